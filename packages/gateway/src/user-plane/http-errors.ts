/**
 * How the user plane answers errors (CTL-23): `application/problem+json` with a body of exactly
 * `{ code, message }`, the code from gatewayErrorCatalogue. The status is fixed per code here
 * (the map is total over the catalogue, so a new code needs a decision). Codes that describe the
 * gateway's insides (store, configuration, device plane) are answered as ERR_INTERNAL, and
 * anything unexpected is logged with its stack and answered as ERR_INTERNAL without it.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { GatewayError, type GatewayErrorCode } from '../errors.js';

/** A status, or `internal`: never shown, answered as 500 ERR_INTERNAL. */
type Exposure = number | 'internal';

/** HTTP status of every gateway code. */
export const HTTP_STATUS: Readonly<Record<GatewayErrorCode, Exposure>> = {
  ERR_CONFIG_INVALID: 'internal',
  ERR_DATA_DIR: 'internal',
  ERR_STORE_CORRUPT: 'internal',
  ERR_STORE_FULL: 503,
  ERR_AUDIT_CHAIN_BROKEN: 'internal',
  ERR_PKI_INVALID_CSR: 400,
  ERR_ENROLMENT_TOKEN_INVALID: 401,
  ERR_DEVICE_UNKNOWN: 404,
  ERR_DEVICE_REVOKED: 409,
  ERR_DEVICE_ALREADY_ENROLLED: 409,
  ERR_DEVICE_IDENTITY_MISMATCH: 'internal',
  ERR_DEVICE_DUPLICATE_CONNECTION: 'internal',
  ERR_MQTT_NOT_AUTHORIZED: 'internal',
  ERR_MQTT_TOO_LARGE: 'internal',
  ERR_MQTT_LIMIT: 'internal',
  ERR_BLE_PEER: 'internal',
  ERR_BLE_UNPAIRED: 'internal',
  ERR_INGEST_REFUSED: 'internal',
  ERR_AUTH_FAILED: 401,
  ERR_AUTH_LOCKED: 423,
  ERR_AUTH_RATE_LIMITED: 429,
  ERR_AUTH_MFA_REQUIRED: 401,
  ERR_AUTH_MFA_FAILED: 401,
  ERR_AUTH_MFA_NOT_ENROLLED: 403,
  ERR_AUTH_WEAK_PASSWORD: 400,
  ERR_AUTH_TOKEN_INVALID: 401,
  ERR_AUTH_REFRESH_REUSED: 401,
  ERR_SESSION_SUPERSEDED: 401,
  ERR_SESSION_ACTIVE: 409,
  ERR_SESSION_EXPIRED: 401,
  ERR_SESSION_ENDED: 401,
  ERR_FORBIDDEN: 403,
  ERR_NOT_FOUND: 404,
  ERR_BAD_REQUEST: 400,
  ERR_CONFLICT: 409,
  ERR_UNAVAILABLE: 503,
  ERR_REQUEST_TOO_LARGE: 413,
  ERR_STREAM_TOO_SLOW: 'internal',
  ERR_INTERNAL: 500,
  // Therapy commands (docs/protocols/therapy-commands.md). An unreachable device is a conflict
  // with its current state, not the gateway being unavailable: the clinician is told at once.
  ERR_DEVICE_UNREACHABLE: 409,
  ERR_THERAPY_COMMAND_UNKNOWN: 404,
  ERR_THERAPY_ACTION_INVALID: 400,
  ERR_THERAPY_COMMAND_STATE: 409,
  ERR_THERAPY_CONFIRMATION_EXPIRED: 409,
  ERR_THERAPY_CONFIRMATION_SESSION: 403,
  // 403, not 401: the caller's session is fine, only the step-up factor was refused; a client
  // must not read it as "log in again".
  ERR_THERAPY_STEP_UP_REQUIRED: 403,
  ERR_THERAPY_STEP_UP_FAILED: 403,
  ERR_THERAPY_UNDELIVERABLE: 409,
  // Device-plane refusals: audited, never answered to anyone.
  ERR_THERAPY_ACK_SIGNATURE_INVALID: 'internal',
  ERR_THERAPY_ACK_UNKNOWN_COMMAND: 'internal',
  ERR_THERAPY_ACK_DUPLICATE: 'internal',
  // Raised by verifyCommandEvidence(), a library function; never by a route.
  ERR_THERAPY_EVIDENCE_INVALID: 'internal',
  // Firmware repository, delivery and rollout campaigns (docs/firmware/gateway.md). The delivery
  // listener answers with these statuses too (firmware/delivery-server.ts).
  ERR_FIRMWARE_NAME_INVALID: 400,
  ERR_FIRMWARE_IMAGE_INVALID: 400,
  ERR_FIRMWARE_METADATA_INVALID: 400,
  ERR_FIRMWARE_TOO_LARGE: 413,
  ERR_FIRMWARE_CONFLICT: 409,
  ERR_FIRMWARE_NOT_FOUND: 404,
  ERR_FIRMWARE_RANGE_NOT_SATISFIABLE: 416,
  ERR_FIRMWARE_RATE_LIMITED: 429,
  // Connections are closed, not answered.
  ERR_FIRMWARE_CONNECTION_LIMIT: 'internal',
  ERR_FIRMWARE_REPORT_INVALID: 400,
  ERR_FIRMWARE_REPORT_STALE: 409,
  ERR_CAMPAIGN_UNKNOWN: 404,
  ERR_CAMPAIGN_INVALID: 400,
  ERR_CAMPAIGN_STATE: 409,
  ERR_CAMPAIGN_OVERLAP: 409,
  ERR_CAMPAIGN_SAME_USER: 403,
  // 403, not 401, as for therapy: the session is fine, only the step-up factor was refused.
  ERR_CAMPAIGN_STEP_UP_REQUIRED: 403,
  ERR_CAMPAIGN_STEP_UP_FAILED: 403,
  // A pause reason in the audit trail and the campaign record, never an answer.
  ERR_CAMPAIGN_FAILURE_THRESHOLD: 'internal',
};

/** The answer to one error. */
export interface Problem {
  readonly status: number;
  readonly code: GatewayErrorCode;
  readonly message: string;
  /** Seconds, sent as Retry-After (429, 423, 503). */
  readonly retryAfterS?: number;
}

const INTERNAL: Problem = { status: 500, code: 'ERR_INTERNAL', message: 'the request could not be completed' };

/** Fastify's own client errors (parser, size, media type), by their codes. */
function fromFastify(error: FastifyError): Problem | undefined {
  if (error.validation !== undefined) {
    const first = error.validation[0];
    const where = `${error.validationContext ?? 'request'}${first?.instancePath ?? ''}`;
    // ajv's message names the rule ("must be integer"), never the value.
    return { status: 400, code: 'ERR_BAD_REQUEST', message: `${where} ${first?.message ?? 'is invalid'}` };
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, code: 'ERR_REQUEST_TOO_LARGE', message: 'the request body is too large' };
  const status = error.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return { status: status === 415 ? 415 : 400, code: 'ERR_BAD_REQUEST', message: 'the request cannot be read (JSON body and content-type application/json expected)' };
  }
  return undefined;
}

/** The problem answer for `error`. */
export function problemOf(error: unknown): Problem {
  if (error instanceof GatewayError) {
    const exposure = HTTP_STATUS[error.code];
    if (exposure === 'internal') return INTERNAL;
    const retry = error.details['retryAfterS'];
    return { status: exposure, code: error.code, message: error.message, ...(typeof retry === 'number' ? { retryAfterS: retry } : {}) };
  }
  if (error instanceof Error && typeof (error as FastifyError).code === 'string') return fromFastify(error as FastifyError) ?? INTERNAL;
  return INTERNAL;
}

/** Sends a problem answer. */
export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  if (problem.retryAfterS !== undefined) void reply.header('retry-after', String(problem.retryAfterS));
  return reply.code(problem.status).type('application/problem+json').send({ code: problem.code, message: problem.message });
}

/** The fastify error handler: typed answer, internals logged only. */
export function errorHandler(log: Logger): (error: unknown, request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (error, request, reply) => {
    const problem = problemOf(error);
    if (problem.status >= 500) log.error({ err: error, method: request.method, route: request.routeOptions.url }, 'request failed');
    return sendProblem(reply, problem);
  };
}
