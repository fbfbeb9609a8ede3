/** Validation of medsim.v1 envelope.proto messages. */
import { assertDeviceId } from '../../device-id.js';
import { KEY_ID_BYTES, MESSAGE_MAX_BYTES } from '../../limits.js';
import { ContentType, type EnvelopeHeader, type SealedEnvelope } from '../../schema.js';
import { bytesExactly, bytesUpTo, integerIn, knownEnum, noUnknownFields, supportedVersion, timestamp, uint64 } from './checks.js';

/** An envelope header: version 1, a device id, an 8-byte key id, a known content type. */
export function validateEnvelopeHeader(m: EnvelopeHeader, path = 'EnvelopeHeader'): void {
  noUnknownFields(m, path);
  supportedVersion(m.version, path, 'version');
  assertDeviceId(m.deviceId, path, 'deviceId');
  bytesExactly(m.keyId, path, 'keyId', KEY_ID_BYTES);
  validateHeaderVariableFields(m, path);
}

/** Checks of the header fields that change per envelope (the constant ones are checked once). */
export function validateHeaderVariableFields(
  m: { readonly streamId: number; readonly sequence: number; readonly timestampMs: number; readonly contentType: number },
  path = 'EnvelopeHeader',
): void {
  integerIn(m.streamId, path, 'streamId', 0, 0xffff_ffff);
  uint64(m.sequence, path, 'sequence');
  timestamp(m.timestampMs, path, 'timestampMs');
  knownEnum(ContentType, m.contentType, path, 'contentType');
}

/** A sealed envelope: a header and a ciphertext of at least one tag. */
export function validateSealedEnvelope(m: SealedEnvelope, path = 'SealedEnvelope'): void {
  noUnknownFields(m, path);
  bytesUpTo(m.header, path, 'header', MESSAGE_MAX_BYTES.EnvelopeHeader);
  bytesUpTo(m.ciphertext, path, 'ciphertext', MESSAGE_MAX_BYTES.SealedEnvelope);
}
