/**
 * Errors of @medsim/gateway. Each refusal has a stable code: audit entries, HTTP problem
 * answers and tests name it. What a remote peer is told is decided where it is answered: the
 * user plane maps codes to HTTP statuses (user-plane/http-errors.ts); the device plane closes
 * the connection and never explains why (no oracle).
 */
import { MedsimError, type ErrorCatalogue, type MedsimErrorOptions } from '@medsim/protocol';

/** Codes of @medsim/gateway, with meaning and remedy (the source of docs/reference/errors.md). */
export const gatewayErrorCatalogue = {
  ERR_CONFIG_INVALID: {
    meaning: 'A configuration value (file, environment or flag) is missing, of the wrong type or outside its allowed range; start-up stops.',
    remedy: 'Fix the key named in the message; docs/configuration.md lists every key, its default and its range.',
  },
  ERR_DATA_DIR: {
    meaning: 'The data directory or a key file in it cannot be created or read, or a key file is readable by others than its owner.',
    remedy: 'Check the path and permissions (key files must be 0600); never copy key files with looser modes.',
  },
  ERR_STORE_CORRUPT: {
    meaning: 'The SQLite database failed its integrity check, is not a medsim database, or was written by a newer medsim.',
    remedy: 'Restore the data directory from a backup; the gateway never starts on a damaged store or silently starts empty.',
  },
  ERR_STORE_FULL: {
    meaning: 'The database could not take the write (disk or page limit full); the reading was not acknowledged.',
    remedy: 'Free space; devices keep unacknowledged readings and resend them.',
  },
  ERR_AUDIT_CHAIN_BROKEN: {
    meaning: 'The audit chain does not verify: an entry was edited, deleted, inserted or reordered.',
    remedy: 'Treat as a security incident; the first failing sequence number is in the details.',
  },
  ERR_PKI_INVALID_CSR: {
    meaning: 'A certificate signing request is malformed, not self-signed by its key, or uses a key type other than ECDSA P-256.',
    remedy: 'Send a PKCS#10 CSR made with the device key (testkit createDeviceCredentials shows how).',
  },
  ERR_ENROLMENT_TOKEN_INVALID: {
    meaning: 'The enrolment token is unknown, already used, expired, or for another device id.',
    remedy: 'Ask an admin or technician for a new one-time token for this device.',
  },
  ERR_DEVICE_UNKNOWN: {
    meaning: 'No enrolled device has this id or certificate.',
    remedy: 'Enrol the device first.',
  },
  ERR_DEVICE_REVOKED: {
    meaning: "The device's certificate was revoked; it may not connect.",
    remedy: 'Re-enrol the device with a new token after investigating why it was revoked.',
  },
  ERR_DEVICE_ALREADY_ENROLLED: {
    meaning: 'A device with this id is already enrolled and not revoked.',
    remedy: 'Revoke it first, or use another id.',
  },
  ERR_DEVICE_IDENTITY_MISMATCH: {
    meaning: "The MQTT client id is not the device id in the client certificate.",
    remedy: 'Connect with clientId equal to the enrolled device id.',
  },
  ERR_DEVICE_DUPLICATE_CONNECTION: {
    meaning: 'A second live connection with the same device identity was refused (possible clone).',
    remedy: 'Close the first connection first; if none is yours, the device key may be cloned: revoke it.',
  },
  ERR_MQTT_NOT_AUTHORIZED: {
    meaning: 'A device published or subscribed outside its own topics, used a wildcard, or touched $SYS.',
    remedy: 'Publish only on devices/{own id}/telemetry|status|events|session|commands/ack|update/status; subscribe only to own commands, update and session/accept.',
  },
  ERR_MQTT_TOO_LARGE: {
    meaning: 'An MQTT packet or payload is larger than the configured limit; the connection was closed.',
    remedy: 'Send smaller messages (split waveforms into frames).',
  },
  ERR_MQTT_LIMIT: {
    meaning: 'A connection limit was reached (connections per address, total connections, inflight messages or connect timeout).',
    remedy: 'Back off and retry; the limits are in docs/configuration.md.',
  },
  ERR_INGEST_REFUSED: {
    meaning: 'An envelope or handshake from a device was refused (decryption, replay, decoding or range check failed); the connection was closed.',
    remedy: 'The device should open a new session; the audit log has the underlying crypto or protocol code.',
  },
  ERR_AUTH_FAILED: {
    meaning: 'Login failed: unknown user or wrong password (the two are answered identically).',
    remedy: 'Check the user name and password.',
  },
  ERR_AUTH_LOCKED: {
    meaning: 'Too many failed logins: the account is locked for a back-off period.',
    remedy: 'Wait for the period in Retry-After, or ask an admin to unlock.',
  },
  ERR_AUTH_RATE_LIMITED: {
    meaning: 'Too many requests from this address.',
    remedy: 'Wait for the period in Retry-After.',
  },
  ERR_AUTH_MFA_REQUIRED: {
    meaning: 'The password was right; a TOTP code is needed to finish logging in (always for admin, technician and auditor).',
    remedy: 'Call POST /v1/session/mfa with the challenge and the current code.',
  },
  ERR_AUTH_MFA_FAILED: {
    meaning: 'The TOTP code is wrong, expired, already used, or the challenge is unknown or expired.',
    remedy: 'Log in again and enter the current code from the authenticator.',
  },
  ERR_AUTH_WEAK_PASSWORD: {
    meaning: 'The new password does not meet the password policy (length, not the user name, not a common password).',
    remedy: 'Choose a passphrase of at least 12 characters.',
  },
  ERR_AUTH_TOKEN_INVALID: {
    meaning: 'The access or refresh token is missing, malformed, forged, expired, of the wrong type or audience.',
    remedy: 'Log in again.',
  },
  ERR_AUTH_REFRESH_REUSED: {
    meaning: 'A refresh token was used twice: the whole token family and its session were revoked.',
    remedy: 'Log in again; a stolen refresh token is suspected and audited.',
  },
  ERR_SESSION_SUPERSEDED: {
    meaning: 'This session ended because the same user logged in elsewhere (single-session policy "replace", MFDS 1.2).',
    remedy: 'Log in again; only one session per user is live at a time.',
  },
  ERR_SESSION_ACTIVE: {
    meaning: 'Login refused: the user already has a live session (single-session policy "reject", MFDS 1.2).',
    remedy: 'Log out the other session first, or wait for it to time out.',
  },
  ERR_SESSION_EXPIRED: {
    meaning: 'The session passed its idle timeout or absolute lifetime.',
    remedy: 'Log in again.',
  },
  ERR_SESSION_ENDED: {
    meaning: 'The session was logged out or revoked (by an admin, a credential change or refresh-token reuse).',
    remedy: 'Log in again.',
  },
  ERR_FORBIDDEN: {
    meaning: "The caller's role or care-team scope does not allow this action on this object (deny by default).",
    remedy: 'Ask an admin for the role or the care-team assignment; emergency access exists for clinicians.',
  },
  ERR_NOT_FOUND: {
    meaning: 'No such route or object.',
    remedy: 'Check the path; the OpenAPI document lists every route.',
  },
  ERR_BAD_REQUEST: {
    meaning: 'The request body, query or parameters failed validation.',
    remedy: 'Fix the field named in the details; the OpenAPI document has the schemas.',
  },
  ERR_CONFLICT: {
    meaning: 'The request conflicts with the current state (the object exists, or changed meanwhile).',
    remedy: 'Reload and retry.',
  },
  ERR_UNAVAILABLE: {
    meaning: 'The gateway cannot serve the request now (store full, shutting down).',
    remedy: 'Retry later.',
  },
  ERR_AUTH_MFA_NOT_ENROLLED: {
    meaning: 'The password was right but the role needs a TOTP second factor and none is enrolled; no tokens are issued.',
    remedy: 'Ask an admin to enrol TOTP (POST /v1/users/{id}/totp-reset) and add the otpauth URI to an authenticator.',
  },
  ERR_REQUEST_TOO_LARGE: {
    meaning: 'The request body is larger than http.bodyLimitBytes; it was refused unread (413).',
    remedy: 'Send a smaller body; page large queries.',
  },
  ERR_STREAM_TOO_SLOW: {
    meaning: 'A live-stream client read too slowly: its outgoing buffer passed the limit and the socket was closed (1013).',
    remedy: 'Reconnect, subscribe to fewer patients, and fetch what was missed from the readings route.',
  },
  ERR_INTERNAL: {
    meaning: 'An unexpected fault; the request was not completed. The answer carries no internals, the gateway log has the cause.',
    remedy: 'Retry; report it with the time of the request if it persists.',
  },
} as const satisfies ErrorCatalogue;

/** A code of @medsim/gateway. */
export type GatewayErrorCode = keyof typeof gatewayErrorCatalogue;

/** Every error the gateway throws on purpose. */
export class GatewayError extends MedsimError {
  declare readonly code: GatewayErrorCode;

  constructor(code: GatewayErrorCode, message: string, options?: MedsimErrorOptions) {
    super(code, message, options);
  }
}

/** ERR_CONFIG_INVALID: carries the offending key. */
export class ConfigError extends GatewayError {
  /** The configuration key, e.g. "mqtt.port". */
  readonly key: string;

  constructor(key: string, message: string, options?: MedsimErrorOptions) {
    super('ERR_CONFIG_INVALID', `config ${key}: ${message}`, { ...options, details: { key, ...options?.details } });
    this.key = key;
  }
}
