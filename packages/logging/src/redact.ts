/**
 * The one PHI and secret redact list every medsim logger applies. pino redacts exact paths, and
 * `*` matches a single level, so every place such data can sit is listed; a canary test logs a
 * known value at each path and searches the output for it. Message strings are never redacted:
 * keep patient data and secrets out of messages and in fields, which is where this list works.
 */

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/** Paths of credentials, tokens and key material. */
export const SECRET_PATHS = [
  'password',
  'newPassword',
  'passwordHash',
  'token',
  'accessToken',
  'refreshToken',
  'otp',
  'totpSecret',
  'secret',
  'privateKey',
  'privateJwk',
  'key',
  'keyMaterial',
  'jwk.d',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.secret',
  '*.privateKey',
  '*.d',
] as const;

/** Paths of protected health information: biometric values and patient identity. */
export const PHI_PATHS = [
  'value',
  'values',
  'plaintext',
  'payload',
  'reading',
  'readings',
  'observations',
  'samples',
  'patientName',
  'dateOfBirth',
  'patient.name',
  'patient.dateOfBirth',
  'patient.birthDate',
  '*.value',
  '*.values',
  '*.plaintext',
  '*.payload',
  '*.reading',
  '*.readings',
  '*.observations',
  '*.samples',
  '*.patientName',
  '*.dateOfBirth',
] as const;

/** Every redacted path (the shared list CONVENTIONS.md asks for). */
export const PHI_REDACT_PATHS: readonly string[] = [...SECRET_PATHS, ...PHI_PATHS];
