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
  ERR_BLE_PEER: {
    meaning: 'The BLE central refused a peripheral: it does not serve a well-formed medsim envelope service, or claims the id of a device that is unknown, revoked or already connected.',
    remedy: 'Enrol the device first; a device connects over one plane at a time (MQTT or BLE). The audit entry names the claimed id.',
  },
  ERR_BLE_UNPAIRED: {
    meaning: 'A BLE device connected without link encryption (it could not pair). Recorded on its connection; its envelopes are end-to-end encrypted all the same (ADR 0005).',
    remedy: 'Nothing is exposed beyond envelope headers; update the device to pair with LE Secure Connections.',
  },
  ERR_DEVICE_UNREACHABLE: {
    meaning: 'The gateway has no way to reach the device now: no downlink (MQTT connection or BLE link) is registered, the device has not subscribed to the channel, or it has no live session to seal for.',
    remedy: 'Bring the device online (it connects, subscribes to its commands topic and opens a session), then try again; nothing was queued.',
  },
  ERR_THERAPY_COMMAND_UNKNOWN: {
    meaning: 'No therapy command has this id.',
    remedy: 'Check the command id (32 hex digits) returned when the command was ordered.',
  },
  ERR_THERAPY_ACTION_INVALID: {
    meaning: "The ordered therapy action is outside the protocol's ranges or inconsistent (e.g. a basal schedule not starting at minute 0, an upper pacing rate below the lower).",
    remedy: 'Fix the field named in the details; docs/protocols/therapy.md lists every range. The device applies its own, usually stricter, interlocks as well.',
  },
  ERR_THERAPY_COMMAND_STATE: {
    meaning: 'The therapy command is not in a state that allows this (already confirmed, cancelled, expired, or the device or its patient changed since the order).',
    remedy: 'Read the command (GET /v1/therapy-commands/{id}); order a new one if it is needed.',
  },
  ERR_THERAPY_CONFIRMATION_EXPIRED: {
    meaning: 'The confirmation deadline of the therapy command passed before it was confirmed; it is now expired and can never be sent.',
    remedy: 'Order the command again and confirm it within the deadline shown in confirmBy.',
  },
  ERR_THERAPY_CONFIRMATION_SESSION: {
    meaning: 'A therapy command may be confirmed only in the session it was ordered in (signal of intent); this is another session of the same user.',
    remedy: 'Order the command again from the current session.',
  },
  ERR_THERAPY_STEP_UP_REQUIRED: {
    meaning: 'Confirming a therapy command needs a fresh authentication factor in the request: a TOTP code for users with TOTP, the password otherwise.',
    remedy: 'Send totpCode (or password when the account has no TOTP) with the confirmation.',
  },
  ERR_THERAPY_STEP_UP_FAILED: {
    meaning: 'The TOTP code or password sent to confirm a therapy command is wrong, or the TOTP code was already used; it counts towards the account lockout.',
    remedy: 'Enter the current code from the authenticator (a new one, not the one used to log in) or the right password.',
  },
  ERR_THERAPY_UNDELIVERABLE: {
    meaning: 'The confirmed therapy command could not be handed to the device (no connection, no live session, or the send failed); it is recorded as undeliverable and will never be sent.',
    remedy: 'Check the device is online, then order the command again; the reason is in the details.',
  },
  ERR_THERAPY_ACK_SIGNATURE_INVALID: {
    meaning: "A therapy command acknowledgement is not signed by the sending device's enrolled Ed25519 key (wrong key id or bad signature); it was refused and audited as a security event.",
    remedy: 'Treat as a possible forgery or a device with a changed key; investigate the device, revoke it if its keys are in doubt.',
  },
  ERR_THERAPY_ACK_UNKNOWN_COMMAND: {
    meaning: 'A therapy command acknowledgement names no signed command of the sending device, or a different sequence than the one sent; it was refused and audited as a security event.',
    remedy: 'Investigate the device: it answered a command the gateway never sent it.',
  },
  ERR_THERAPY_ACK_DUPLICATE: {
    meaning: 'A second, different acknowledgement arrived for a therapy command that already has one; the first stands and the second was refused and audited.',
    remedy: 'Investigate the device: a command is decided once.',
  },
  ERR_THERAPY_EVIDENCE_INVALID: {
    meaning: 'Therapy command evidence does not verify: a signature, a signer key, the encoding or the binding of acknowledgement to command fails (the reason is in the details).',
    remedy: 'Treat the evidence as altered or incomplete; compare with the audit chain and the enrolment records.',
  },
  ERR_FIRMWARE_NAME_INVALID: {
    meaning: 'A firmware metadata name or target path is not one the repository serves (consistent-snapshot names only: `N.root.json`, `N.targets.json`, `N.snapshot.json`, `timestamp.json`, `<model>/<sha256>.<name>.bin`; no other characters, no `..` or `/` tricks).',
    remedy: 'Publish the bundle as the release tooling writes it; nothing of this bundle was stored.',
  },
  ERR_FIRMWARE_IMAGE_INVALID: {
    meaning: 'A published target is not a medsim firmware image (its header or TLV area does not parse), or disagrees with its path: another model than its directory, or a SHA-256 other than its name says.',
    remedy: 'Rebuild and sign the image with `medsim firmware build`; nothing of this bundle was stored.',
  },
  ERR_FIRMWARE_METADATA_INVALID: {
    meaning: "A published TUF metadata file is not UTF-8 JSON whose `signed._type` is the role its name says and whose `signed.version` is the version its name says.",
    remedy: 'Publish the metadata the release tooling wrote, unchanged; nothing of this bundle was stored.',
  },
  ERR_FIRMWARE_TOO_LARGE: {
    meaning: 'A published image is larger than `firmware.maxImageBytes`, a metadata file larger than its role cap (python-tuf: root 512,000 B, timestamp 16,384, snapshot 2,000,000, targets 5,000,000), or a device\'s update report larger than `firmware.reportMaxBytes` (413). A whole publish request above `firmware.maxBundleBytes` is ERR_REQUEST_TOO_LARGE.',
    remedy: 'Nothing was stored. Build a smaller image (or send a smaller report), or raise the limit in the configuration.',
  },
  ERR_FIRMWARE_CONFLICT: {
    meaning: 'The bundle would change what the repository already published: a versioned metadata file or a target path with other bytes, another image for a model and version already released, or a timestamp older than the current one.',
    remedy: 'Published files never change (consistent snapshots); release a new version with new metadata versions. Nothing of this bundle was stored.',
  },
  ERR_FIRMWARE_NOT_FOUND: {
    meaning: 'The update repository has no metadata file or target by this name (TUF clients read 404 as the end of root rotation).',
    remedy: 'Check the name; a device asks for the next root version until it gets 404.',
  },
  ERR_FIRMWARE_RANGE_NOT_SATISFIABLE: {
    meaning: 'A download asked for a byte range the file does not have, or in a form other than one `bytes=N-` or `bytes=N-M` range (416).',
    remedy: 'Resume from an offset below the length (Content-Range: bytes */length says it).',
  },
  ERR_FIRMWARE_RATE_LIMITED: {
    meaning: 'A device made more update requests per minute than `firmware.requestsPerMinute` (429).',
    remedy: 'Wait for the period in Retry-After; an update downloads in a few ranged requests, not thousands.',
  },
  ERR_FIRMWARE_CONNECTION_LIMIT: {
    meaning: 'An update connection was closed: the delivery listener had `firmware.maxConnections` open, or the device `firmware.maxConnectionsPerDevice`.',
    remedy: 'Reuse one keep-alive connection per device; retry later.',
  },
  ERR_FIRMWARE_REPORT_INVALID: {
    meaning: "A device's update report is not the closed JSON schema (campaign, jti, state, progress, error code), or names a campaign or instruction nonce the gateway never issued to this device.",
    remedy: 'Report against the instruction received (its campaign and jti); nothing was recorded.',
  },
  ERR_FIRMWARE_REPORT_STALE: {
    meaning: "A device's update report goes back on what it reported before (an older state, lower progress, or a second different outcome): replayed or out of order (U15).",
    remedy: 'Nothing was recorded; the state the device reported first stands. A device reports each update once, in order.',
  },
  ERR_CAMPAIGN_UNKNOWN: {
    meaning: 'No rollout campaign has this id.',
    remedy: 'List campaigns with GET /v1/firmware/campaigns.',
  },
  ERR_CAMPAIGN_INVALID: {
    meaning: 'A rollout campaign cannot be made this way: no published release for the model and version, stages not increasing percentages ending at 100, a threshold out of range, an empty cohort, or a listed device that is not enrolled or of another model.',
    remedy: 'Fix the field named in the details; publish the release first.',
  },
  ERR_CAMPAIGN_STATE: {
    meaning: 'The rollout campaign is not in a state that allows this (approving one already approved, resuming one not paused, advancing past the last stage, touching one aborted or completed).',
    remedy: 'Read the campaign (GET /v1/firmware/campaigns/{id}) and act on its current status.',
  },
  ERR_CAMPAIGN_OVERLAP: {
    meaning: 'A device of the cohort is already in another rollout campaign that has not ended; a device follows one campaign at a time.',
    remedy: 'Abort or finish the other campaign, or leave the device out (its id is in the details).',
  },
  ERR_CAMPAIGN_SAME_USER: {
    meaning: 'Two-person rule: the campaign was created by this user, who therefore may not approve it.',
    remedy: 'Another admin approves it.',
  },
  ERR_CAMPAIGN_STEP_UP_REQUIRED: {
    meaning: 'Approving, resuming or advancing a rollout campaign needs a fresh TOTP code in the request.',
    remedy: 'Send totpCode (a code newer than the one used to log in).',
  },
  ERR_CAMPAIGN_STEP_UP_FAILED: {
    meaning: 'The TOTP code sent to approve, resume or advance a rollout campaign is wrong or was already used; it counts towards the account lockout.',
    remedy: 'Enter the current code from the authenticator (a new one, not the one used to log in).',
  },
  ERR_CAMPAIGN_FAILURE_THRESHOLD: {
    meaning: 'A running rollout campaign paused itself: the devices that finished in its current stage failed or reverted at a rate above its threshold. An audit and pause-reason code, never an answer.',
    remedy: 'Read the failing devices\' error codes (GET /v1/firmware/campaigns/{id}/devices); abort, or resume once understood (admin, fresh TOTP code).',
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

/** ERR_DEVICE_UNREACHABLE: carries why the device cannot be reached. */
export class DeviceUnreachableError extends GatewayError {
  /** no-link: no downlink registered; not-subscribed: the device did not subscribe; no-live-session / session-needs-rekey: nothing to seal with. */
  readonly reason: 'no-link' | 'not-subscribed' | 'no-live-session' | 'session-needs-rekey';

  constructor(reason: DeviceUnreachableError['reason'], message: string, options?: MedsimErrorOptions) {
    super('ERR_DEVICE_UNREACHABLE', message, { ...options, details: { reason, ...options?.details } });
    this.reason = reason;
  }
}

/** ERR_THERAPY_COMMAND_UNKNOWN */
export class TherapyCommandUnknownError extends GatewayError {
  constructor(message = 'no such therapy command', options?: MedsimErrorOptions) {
    super('ERR_THERAPY_COMMAND_UNKNOWN', message, options);
  }
}

/** ERR_THERAPY_ACTION_INVALID: details.field names the offending field. */
export class TherapyActionInvalidError extends GatewayError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_ACTION_INVALID', message, options);
  }
}

/** ERR_THERAPY_COMMAND_STATE */
export class TherapyCommandStateError extends GatewayError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_COMMAND_STATE', message, options);
  }
}

/** ERR_THERAPY_CONFIRMATION_EXPIRED */
export class TherapyConfirmationExpiredError extends GatewayError {
  constructor(message = 'the confirmation deadline passed; the command expired', options?: MedsimErrorOptions) {
    super('ERR_THERAPY_CONFIRMATION_EXPIRED', message, options);
  }
}

/** ERR_THERAPY_CONFIRMATION_SESSION */
export class TherapyConfirmationSessionError extends GatewayError {
  constructor(message = 'a command is confirmed only in the session it was ordered in', options?: MedsimErrorOptions) {
    super('ERR_THERAPY_CONFIRMATION_SESSION', message, options);
  }
}

/** ERR_THERAPY_STEP_UP_REQUIRED: carries the factor the request must include. */
export class TherapyStepUpRequiredError extends GatewayError {
  readonly factor: 'totp' | 'password';

  constructor(factor: 'totp' | 'password', options?: MedsimErrorOptions) {
    super('ERR_THERAPY_STEP_UP_REQUIRED', factor === 'totp' ? 'send a fresh TOTP code (totpCode) to confirm' : 'send your password to confirm', {
      ...options,
      details: { factor, ...options?.details },
    });
    this.factor = factor;
  }
}

/** ERR_THERAPY_STEP_UP_FAILED */
export class TherapyStepUpFailedError extends GatewayError {
  constructor(message = 'the confirmation factor is not valid', options?: MedsimErrorOptions) {
    super('ERR_THERAPY_STEP_UP_FAILED', message, options);
  }
}

/** ERR_THERAPY_UNDELIVERABLE: details.reason says why (the underlying code). */
export class TherapyUndeliverableError extends GatewayError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_UNDELIVERABLE', message, options);
  }
}

/** ERR_THERAPY_ACK_SIGNATURE_INVALID */
export class TherapyAckSignatureInvalidError extends GatewayError {
  constructor(message = 'the acknowledgement is not signed by the device key', options?: MedsimErrorOptions) {
    super('ERR_THERAPY_ACK_SIGNATURE_INVALID', message, options);
  }
}

/** ERR_THERAPY_ACK_UNKNOWN_COMMAND */
export class TherapyAckUnknownCommandError extends GatewayError {
  constructor(message = 'the acknowledgement names no command sent to this device', options?: MedsimErrorOptions) {
    super('ERR_THERAPY_ACK_UNKNOWN_COMMAND', message, options);
  }
}

/** ERR_THERAPY_ACK_DUPLICATE */
export class TherapyAckDuplicateError extends GatewayError {
  constructor(message = 'the command already has an acknowledgement', options?: MedsimErrorOptions) {
    super('ERR_THERAPY_ACK_DUPLICATE', message, options);
  }
}

/** Why therapy evidence failed verification. */
export type EvidenceFailure = 'malformed' | 'missing-command' | 'command-key' | 'command-signature' | 'ack-key' | 'ack-signature' | 'binding' | 'missing-ack';

/** ERR_THERAPY_EVIDENCE_INVALID: carries which check failed. */
export class TherapyEvidenceInvalidError extends GatewayError {
  readonly reason: EvidenceFailure;

  constructor(reason: EvidenceFailure, message: string, options?: MedsimErrorOptions) {
    super('ERR_THERAPY_EVIDENCE_INVALID', message, { ...options, details: { reason, ...options?.details } });
    this.reason = reason;
  }
}

/** ERR_FIRMWARE_NAME_INVALID: details.name is the refused name (at most 200 characters). */
export class FirmwareNameInvalidError extends GatewayError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FIRMWARE_NAME_INVALID', message, options);
  }
}

/** ERR_FIRMWARE_IMAGE_INVALID: details.reason is the image parser's code or the disagreement. */
export class FirmwareImageInvalidError extends GatewayError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FIRMWARE_IMAGE_INVALID', message, options);
  }
}

/** ERR_FIRMWARE_METADATA_INVALID */
export class FirmwareMetadataInvalidError extends GatewayError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FIRMWARE_METADATA_INVALID', message, options);
  }
}

/** ERR_FIRMWARE_TOO_LARGE: details.limit is the limit passed, in bytes. */
export class FirmwareTooLargeError extends GatewayError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FIRMWARE_TOO_LARGE', message, options);
  }
}

/** ERR_FIRMWARE_CONFLICT */
export class FirmwareConflictError extends GatewayError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FIRMWARE_CONFLICT', message, options);
  }
}

/** ERR_FIRMWARE_NOT_FOUND */
export class FirmwareNotFoundError extends GatewayError {
  constructor(message = 'no such file in the update repository', options?: MedsimErrorOptions) {
    super('ERR_FIRMWARE_NOT_FOUND', message, options);
  }
}

/** ERR_FIRMWARE_RANGE_NOT_SATISFIABLE: carries the file length for Content-Range. */
export class FirmwareRangeError extends GatewayError {
  /** Length of the file, bytes. */
  readonly length: number;

  constructor(length: number, message = 'the range is not satisfiable', options?: MedsimErrorOptions) {
    super('ERR_FIRMWARE_RANGE_NOT_SATISFIABLE', message, { ...options, details: { length, ...options?.details } });
    this.length = length;
  }
}

/** ERR_FIRMWARE_RATE_LIMITED: details.retryAfterS says when to come back. */
export class FirmwareRateLimitedError extends GatewayError {
  constructor(retryAfterS: number, options?: MedsimErrorOptions) {
    super('ERR_FIRMWARE_RATE_LIMITED', 'too many update requests; slow down', { ...options, details: { retryAfterS, ...options?.details } });
  }
}

/** ERR_FIRMWARE_REPORT_INVALID */
export class FirmwareReportInvalidError extends GatewayError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FIRMWARE_REPORT_INVALID', message, options);
  }
}

/** ERR_FIRMWARE_REPORT_STALE */
export class FirmwareReportStaleError extends GatewayError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_FIRMWARE_REPORT_STALE', message, options);
  }
}

/** ERR_CAMPAIGN_UNKNOWN */
export class CampaignUnknownError extends GatewayError {
  constructor(message = 'no such rollout campaign', options?: MedsimErrorOptions) {
    super('ERR_CAMPAIGN_UNKNOWN', message, options);
  }
}

/** ERR_CAMPAIGN_INVALID: details.field names the offending field. */
export class CampaignInvalidError extends GatewayError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CAMPAIGN_INVALID', message, options);
  }
}

/** ERR_CAMPAIGN_STATE */
export class CampaignStateError extends GatewayError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CAMPAIGN_STATE', message, options);
  }
}

/** ERR_CAMPAIGN_OVERLAP: details.deviceId and details.campaignId name the device and the other campaign. */
export class CampaignOverlapError extends GatewayError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_CAMPAIGN_OVERLAP', message, options);
  }
}

/** ERR_CAMPAIGN_SAME_USER */
export class CampaignSameUserError extends GatewayError {
  constructor(message = 'two-person rule: the creator of a campaign may not approve it', options?: MedsimErrorOptions) {
    super('ERR_CAMPAIGN_SAME_USER', message, options);
  }
}

/** ERR_CAMPAIGN_STEP_UP_REQUIRED */
export class CampaignStepUpRequiredError extends GatewayError {
  constructor(message = 'send a fresh TOTP code (totpCode)', options?: MedsimErrorOptions) {
    super('ERR_CAMPAIGN_STEP_UP_REQUIRED', message, options);
  }
}

/** ERR_CAMPAIGN_STEP_UP_FAILED */
export class CampaignStepUpFailedError extends GatewayError {
  constructor(message = 'the TOTP code is not valid', options?: MedsimErrorOptions) {
    super('ERR_CAMPAIGN_STEP_UP_FAILED', message, options);
  }
}
