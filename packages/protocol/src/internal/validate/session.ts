/** Validation of medsim.v1 session.proto messages. */
import { assertDeviceId } from '../../device-id.js';
import { KEY_ID_BYTES, MESSAGE_MAX_BYTES, RANDOM_ID_BYTES } from '../../limits.js';
import type { SessionAccept, SessionInfo, SessionInit } from '../../schema.js';
import { bytesExactly, bytesUpTo, noUnknownFields, supportedVersion, thumbprint, timestamp, uint64 } from './checks.js';

/** The HPKE info of a session. */
export function validateSessionInfo(m: SessionInfo, path = 'SessionInfo'): void {
  noUnknownFields(m, path);
  supportedVersion(m.version, path, 'version');
  assertDeviceId(m.deviceId, path, 'deviceId');
  thumbprint(m.deviceKeyId, path, 'deviceKeyId');
  thumbprint(m.gatewayKeyId, path, 'gatewayKeyId');
  bytesExactly(m.sessionNonce, path, 'sessionNonce', RANDOM_ID_BYTES);
  timestamp(m.timestampMs, path, 'timestampMs');
}

/** The handshake: info, a 32-byte X25519 encapsulation and a confirmation of label + tag. */
export function validateSessionInit(m: SessionInit, path = 'SessionInit'): void {
  noUnknownFields(m, path);
  bytesUpTo(m.info, path, 'info', MESSAGE_MAX_BYTES.SessionInfo);
  bytesExactly(m.enc, path, 'enc', 32);
  bytesUpTo(m.confirmation, path, 'confirmation', 64);
}

/** The gateway's answer. */
export function validateSessionAccept(m: SessionAccept, path = 'SessionAccept'): void {
  noUnknownFields(m, path);
  bytesExactly(m.keyId, path, 'keyId', KEY_ID_BYTES);
  timestamp(m.gatewayTimeMs, path, 'gatewayTimeMs');
  uint64(m.maxMessages, path, 'maxMessages', true);
  uint64(m.maxAgeMs, path, 'maxAgeMs', true);
  bytesExactly(m.gatewayNonce, path, 'gatewayNonce', RANDOM_ID_BYTES);
}
