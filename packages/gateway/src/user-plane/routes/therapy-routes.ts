/**
 * Therapy commands over HTTPS (CTL-01, CTL-08, CTL-15; docs/protocols/therapy-commands.md):
 * order, confirm with step-up, cancel, status and history, and the auditor's evidence export.
 * Confirm, cancel, status and evidence serve maintenance commands too (maintenance-routes.ts
 * orders them): the routes admit every role that may order (`commands.confirm`) or read
 * (`commands.read`) some command, and the service checks the command's own purpose. The service
 * (therapy/therapy-commands.ts) holds the rules; these routes validate the input shapes and name
 * the caller.
 */
import type { FastifyInstance } from 'fastify';
import { PACING_MODES, type CommandActionInput, type CommandActionKind } from '../../therapy/therapy-action.js';
import { principalOf } from '../rbac/route-guard.js';
import { dateTime, deviceId, idParams, limitQuery, nullableString, object, password, publicJwk } from '../schemas.js';
import { register, type UserPlaneServices } from '../services.js';
import { defineRoute, type JsonSchema } from './route-spec.js';

// JSON types only (integers, lengths); the ranges are the protocol's, checked by validateAction().
const uint32: JsonSchema = { type: 'integer', minimum: 0, maximum: 4_294_967_295 };
const kind = (name: CommandActionKind): JsonSchema => ({ type: 'string', const: name });
const action = (properties: Record<string, JsonSchema>, required: string[]): JsonSchema => ({
  type: 'object',
  properties,
  required: ['kind', ...required],
  additionalProperties: false,
});

/**
 * JSON Schema of an ordered action (the request body's `action`), therapy and maintenance kinds
 * alike on both order routes: the kind's purpose decides the permission (a technician's bolus is
 * a 403 denial, audited, not a shape error), and each route takes its own purpose only.
 */
export const commandActionSchema: JsonSchema = {
  oneOf: [
    action({ kind: kind('insulin-bolus'), amountMilliunits: uint32, durationMinutes: uint32 }, ['amountMilliunits']),
    action(
      {
        kind: kind('basal-schedule'),
        segments: {
          type: 'array',
          minItems: 1,
          // 48: one segment per half hour (REPEATED_LIMITS.basalSegments).
          maxItems: 48,
          items: { type: 'object', properties: { startMinute: uint32, rateMilliunitsPerHour: uint32 }, required: ['startMinute', 'rateMilliunitsPerHour'], additionalProperties: false },
        },
      },
      ['segments'],
    ),
    action({ kind: kind('suspend'), durationMinutes: uint32 }, ['durationMinutes']),
    action({ kind: kind('resume') }, []),
    action(
      {
        kind: kind('pacing-parameters'),
        mode: { type: 'string', enum: [...PACING_MODES] },
        lowerRatePpm: uint32,
        upperRatePpm: uint32,
        amplitudeMillivolts: uint32,
        pulseWidthMicroseconds: uint32,
      },
      ['mode', 'lowerRatePpm', 'upperRatePpm', 'amplitudeMillivolts', 'pulseWidthMicroseconds'],
    ),
    action({ kind: kind('open-service-mode'), durationMinutes: uint32 }, ['durationMinutes']),
    action({ kind: kind('close-service-mode') }, []),
    action({ kind: kind('run-diagnostics') }, []),
    // sinceMs: device time in ms (uint64 on the wire; JSON numbers are exact up to 2^53 - 1).
    action({ kind: kind('upload-logs'), sinceMs: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, maxEntries: uint32 }, ['maxEntries']),
  ],
};

/** A command id: 16 random bytes as 32 lower-case hex digits. */
export const commandIdParams: JsonSchema = object({ commandId: { type: 'string', pattern: '^[0-9a-f]{32}$' } });

const STATUSES = ['awaiting-confirmation', 'cancelled', 'expired', 'signed', 'sent', 'undeliverable', 'executed', 'rejected'];

/** A therapy or maintenance command (TherapyCommandRecord). */
export const commandRecord: JsonSchema = object({
  commandId: { type: 'string' },
  deviceId: { type: 'string' },
  purpose: { type: 'string', enum: ['therapy', 'maintenance'] },
  patientId: nullableString,
  status: { type: 'string', enum: STATUSES },
  action: { type: 'object', additionalProperties: true },
  summary: { type: 'string' },
  issuerUserId: { type: 'string' },
  issuerSessionId: { type: 'string' },
  createdAt: dateTime,
  confirmBy: dateTime,
  confirmedAt: nullableString,
  sequence: { type: ['integer', 'null'] },
  issuedAt: nullableString,
  expiresAt: nullableString,
  sentAt: nullableString,
  decidedAt: nullableString,
  ackStatus: nullableString,
  reasonCode: nullableString,
});

/** Signed bytes, signature and signer key (base64). */
const signedPart: JsonSchema = {
  anyOf: [object({ bytes: { type: 'string' }, signature: { type: 'string' }, signerKid: { type: 'string' }, signerKey: publicJwk }), { type: 'null' }],
};

/** The therapy routes. */
export const therapyRoutes = {
  order: defineRoute({
    method: 'POST',
    url: '/v1/devices/:id/therapy-commands',
    permission: 'therapy.order',
    tag: 'therapy',
    summary: 'Order a therapy action for a device; it waits for confirmation (nothing is sent yet).',
    description:
      'The device\'s patient must be on the caller\'s care team (break-glass does not count). Ranges are the protocol\'s (docs/protocols/therapy.md): ' +
      '400 ERR_THERAPY_ACTION_INVALID names the field. The answer carries the summary to confirm and the deadline (confirmBy). ' +
      'A maintenance action is 403 here for a clinician (maintenance.order) and is ordered at /v1/devices/{id}/maintenance-commands.',
    schema: {
      params: idParams(deviceId),
      body: object({ action: commandActionSchema }),
      response: { 201: commandRecord },
    },
  }),
  confirm: defineRoute({
    method: 'POST',
    url: '/v1/therapy-commands/:commandId/confirm',
    permission: 'commands.confirm',
    tag: 'therapy',
    summary: 'Confirm a therapy or maintenance command (signal of intent) with a fresh factor; the gateway signs it and sends it to the device.',
    description:
      'Only a holder of the order permission of the command\'s purpose (therapy.order, maintenance.order) who ordered it, in the ordering session, ' +
      'before confirmBy. Step-up: totpCode (a code newer than the one used to log in) when the account ' +
      'has TOTP, else password; a wrong factor counts towards lockout. Answers the command `sent`; a device that cannot be reached gives 409 ' +
      'ERR_THERAPY_UNDELIVERABLE and the command is recorded undeliverable (never queued).',
    schema: {
      params: commandIdParams,
      body: object({ password, totpCode: { type: 'string', minLength: 1, maxLength: 16 } }, []),
      response: { 200: commandRecord },
    },
  }),
  cancel: defineRoute({
    method: 'POST',
    url: '/v1/therapy-commands/:commandId/cancel',
    permission: 'commands.confirm',
    tag: 'therapy',
    summary: 'Cancel a therapy or maintenance command that awaits confirmation (its orderer only).',
    schema: { params: commandIdParams, response: { 200: commandRecord } },
  }),
  get: defineRoute({
    method: 'GET',
    url: '/v1/therapy-commands/:commandId',
    permission: 'commands.read',
    tag: 'therapy',
    summary: 'One command: status, summary, sequence and the device\'s answer (clinicians: therapy for the care team; technicians: maintenance; auditors: all).',
    schema: { params: commandIdParams, response: { 200: commandRecord } },
  }),
  history: defineRoute({
    method: 'GET',
    url: '/v1/devices/:id/therapy-commands',
    permission: 'therapy.read',
    tag: 'therapy',
    summary: 'A device\'s therapy commands, newest first (clinicians: those of care-team patients).',
    schema: {
      params: idParams(deviceId),
      querystring: object({ limit: limitQuery }, []),
      response: { 200: object({ commands: { type: 'array', items: commandRecord } }) },
    },
  }),
  evidence: defineRoute({
    method: 'GET',
    url: '/v1/therapy-commands/:commandId/evidence',
    permission: 'therapy.evidence',
    tag: 'therapy',
    summary: 'Non-repudiation evidence of a therapy or maintenance command: signed command, device-signed acknowledgement, both keys, audit entry ids.',
    description: 'Verify offline with verifyCommandEvidence() of @medsim/gateway (docs/protocols/therapy-commands.md). The export is audited.',
    schema: {
      params: commandIdParams,
      response: {
        200: object({
          format: { type: 'string' },
          commandId: { type: 'string' },
          deviceId: { type: 'string' },
          patientId: nullableString,
          status: { type: 'string', enum: STATUSES },
          command: signedPart,
          ack: signedPart,
          auditSeqs: { type: 'array', items: { type: 'integer' } },
          exportedAt: dateTime,
        }),
      },
    },
  }),
};

/** Registers the therapy routes. */
export function registerTherapyRoutes(app: FastifyInstance, s: UserPlaneServices): void {
  const { therapy } = s;

  register<{ Params: { id: string }; Body: { action: CommandActionInput } }>(app, therapyRoutes.order, async (request, reply) =>
    reply.code(201).send(therapy.order(principalOf(request), request.params.id, request.body.action, request.ip, 'therapy')),
  );

  register<{ Params: { commandId: string }; Body: { password?: string; totpCode?: string } }>(app, therapyRoutes.confirm, async (request) => {
    const { password, totpCode } = request.body;
    return therapy.confirm(principalOf(request), request.params.commandId, { ...(password === undefined ? {} : { password }), ...(totpCode === undefined ? {} : { totpCode }) }, request.ip);
  });

  register<{ Params: { commandId: string } }>(app, therapyRoutes.cancel, (request) => therapy.cancel(principalOf(request), request.params.commandId, request.ip));

  register<{ Params: { commandId: string } }>(app, therapyRoutes.get, (request) => therapy.get(principalOf(request), request.params.commandId, request.ip));

  register<{ Params: { id: string }; Querystring: { limit?: string } }>(app, therapyRoutes.history, (request) => ({
    commands: therapy.history(principalOf(request), request.params.id, Number(request.query.limit ?? 100), request.ip),
  }));

  register<{ Params: { commandId: string } }>(app, therapyRoutes.evidence, (request) => therapy.evidence(principalOf(request), request.params.commandId, request.ip));
}
