/**
 * JSON Schema fragments shared by the routes (CTL-09: every input validated at the boundary).
 * Request bodies refuse unknown members (`additionalProperties: false`, with ajv's
 * removeAdditional off, so they are errors rather than silently dropped); strings have lengths.
 */
import { USER_ROLES } from '../users/roles.js';
import { PASSWORD_MAX_LENGTH } from '../users/password.js';
import type { JsonSchema } from './routes/route-spec.js';

/** An object schema with required members and no others. */
export const object = (properties: Record<string, JsonSchema>, required: readonly string[] = Object.keys(properties)): JsonSchema => ({
  type: 'object',
  properties,
  required: [...required],
  additionalProperties: false,
});

/** A UUID (user, patient and session ids). */
export const uuid: JsonSchema = { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' };
/** A device id (lower-case letters, digits, inner hyphens; @medsim/protocol isDeviceId is checked too). */
export const deviceId: JsonSchema = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$' };
/** An ISO 8601 / RFC 3339 time. */
export const dateTime: JsonSchema = { type: 'string', format: 'date-time', maxLength: 40 };
/** A user role. */
export const role: JsonSchema = { type: 'string', enum: [...USER_ROLES] };
/** A password as sent (the policy is checked by code, with a clear error). */
export const password: JsonSchema = { type: 'string', minLength: 1, maxLength: PASSWORD_MAX_LENGTH * 4 };
/** A query cursor: a decimal id (query values are strings; nothing is coerced). */
export const cursorQuery: JsonSchema = { type: 'string', pattern: '^[0-9]{1,15}$' };
/** A query page size, 1 to 1000. */
export const limitQuery: JsonSchema = { type: 'string', pattern: '^(1000|[1-9][0-9]{0,2})$' };

/** A nullable string. */
export const nullableString: JsonSchema = { type: ['string', 'null'] };

/** `{ id }` path parameter. */
export const idParams = (schema: JsonSchema = uuid): JsonSchema => object({ id: schema });

/** The error answer (application/problem+json). */
export const problem: JsonSchema = object({ code: { type: 'string' }, message: { type: 'string' } });

/** An empty success answer. */
export const okAnswer: JsonSchema = object({ ok: { type: 'boolean', const: true } });

/** A user as listed. */
export const userRecord: JsonSchema = object({
  id: uuid,
  username: { type: 'string' },
  role,
  patientId: { type: ['string', 'null'] },
  disabled: { type: 'boolean' },
  mfaEnrolled: { type: 'boolean' },
  lockedUntil: { type: ['string', 'null'] },
  createdAt: { type: 'string' },
});

/** A patient as listed. */
export const patientRecord: JsonSchema = object({ id: uuid, displayName: { type: 'string' }, createdAt: { type: 'string' } });

/** A reading (ReadingJson). `reading` is the decoded VitalSignReading. */
export const readingRecord: JsonSchema = object(
  {
    id: { type: 'integer' },
    patientId: { type: ['string', 'null'] },
    deviceId: { type: 'string' },
    kind: { type: 'string', enum: ['vital-sign-reading', 'alarm', 'device-status', 'waveform-frame', 'other'] },
    measuredAt: { type: 'string' },
    receivedAt: { type: 'string' },
    reading: { type: 'object', additionalProperties: true },
  },
  ['id', 'patientId', 'deviceId', 'kind', 'measuredAt', 'receivedAt'],
);

/** A device (DeviceRecord). */
export const deviceRecord: JsonSchema = object({
  id: { type: 'string' },
  model: { type: 'string' },
  patientId: nullableString,
  status: { type: 'string', enum: ['pending', 'enrolled', 'revoked'] },
  certificateSerial: nullableString,
  enrolledAt: nullableString,
  revokedAt: nullableString,
  lastSeenAt: nullableString,
  online: { type: 'boolean' },
});

/** An audit entry (AuditEntry). */
export const auditEntry: JsonSchema = object(
  {
    seq: { type: 'integer' },
    at: { type: 'string' },
    event: { type: 'string' },
    outcome: { type: 'string' },
    severity: { type: 'string' },
    actor: { type: 'string' },
    role: { type: 'string' },
    source: { type: 'string' },
    object: { type: 'string' },
    code: { type: 'string' },
    prevHash: { type: 'string' },
    hash: { type: 'string' },
  },
  ['seq', 'at', 'event', 'outcome', 'severity', 'actor', 'prevHash', 'hash'],
);

/** Tokens of a complete login or refresh. */
export const tokenSet: JsonSchema = object({
  accessToken: { type: 'string' },
  tokenType: { type: 'string', const: 'Bearer' },
  expiresIn: { type: 'integer' },
  refreshToken: { type: 'string' },
  refreshExpiresAt: { type: 'string' },
});

/** A public JWK (Ed25519 or X25519) as sent at enrolment. */
export const publicJwk: JsonSchema = { type: 'object', maxProperties: 8, additionalProperties: { type: 'string', maxLength: 512 } };
