/**
 * The hot path of envelope encoding. A session's device id, key id and version never change, so
 * an EnvelopeFrameWriter validates and encodes them once (with the generated encoder) and then
 * writes each frame, SealedEnvelope framing, header and room for the ciphertext, into a single
 * allocation. The bytes are exactly those of the generated encoders (a property test checks it):
 * proto3 fields in field-number order, zero values omitted.
 */
import { assertDeviceId } from './device-id.js';
import { validateHeaderVariableFields } from './internal/validate/envelope.js';
import { AEAD_TAG_BYTES, KEY_ID_BYTES, MESSAGE_MAX_BYTES, PROTOCOL_VERSION } from './limits.js';
import { v1, type ContentType } from './schema.js';
import { MessageTooLargeError, OutOfRangeError } from './errors.js';
import { varintLength, writeVarint } from './internal/varint.js';

/** The fields of a header that change from one envelope to the next. */
export interface EnvelopeHeaderVariableFields {
  readonly streamId: number;
  readonly sequence: number;
  readonly timestampMs: number;
  readonly contentType: ContentType;
}

/** A frame with its header written and its ciphertext still to fill in. */
export interface EnvelopeFrame {
  /** The whole SealedEnvelope encoding. */
  readonly bytes: Buffer;
  /** The encoded header inside `bytes` (the associated data). */
  readonly header: Buffer;
  /** Where the ciphertext (ciphertextLength bytes) goes in `bytes`. */
  readonly ciphertextOffset: number;
}

// Wire tags: (field number << 3) | wire type (0 varint, 2 length-delimited).
const TAG_STREAM_ID = 0x20;
const TAG_SEQUENCE = 0x28;
const TAG_TIMESTAMP = 0x30;
const TAG_CONTENT_TYPE = 0x38;
const TAG_SEALED_HEADER = 0x0a;
const TAG_SEALED_CIPHERTEXT = 0x12;

const fieldLength = (value: number): number => (value === 0 ? 0 : 1 + varintLength(value));

/** Writes a varint field unless it holds the proto3 default 0 (which is omitted on the wire). */
function writeVarintField(out: Buffer, offset: number, tag: number, value: number): number {
  if (value === 0) return offset;
  out[offset] = tag;
  return writeVarint(out, offset + 1, value);
}

/** Writes sealed envelopes for one (device id, key id) pair. */
export class EnvelopeFrameWriter {
  readonly #prefix: Buffer;

  /** Validates the constant fields once; throws the protocol's typed errors. */
  constructor(deviceId: string, keyId: Uint8Array) {
    assertDeviceId(deviceId, 'EnvelopeHeader');
    if (keyId.length !== KEY_ID_BYTES) {
      throw new OutOfRangeError(`EnvelopeHeader.keyId must be ${KEY_ID_BYTES} bytes`, { details: { field: 'EnvelopeHeader.keyId' } });
    }
    this.#prefix = Buffer.from(v1.EnvelopeHeader.encode({ version: PROTOCOL_VERSION, deviceId, keyId }).finish());
  }

  /**
   * Allocates and writes the frame of an envelope whose ciphertext (tag included) is
   * `ciphertextLength` bytes; throws OutOfRangeError or MessageTooLargeError for lengths no
   * receiver would accept.
   */
  frame(fields: EnvelopeHeaderVariableFields, ciphertextLength: number): EnvelopeFrame {
    validateHeaderVariableFields(fields);
    if (!Number.isSafeInteger(ciphertextLength) || ciphertextLength < AEAD_TAG_BYTES) {
      throw new OutOfRangeError(`SealedEnvelope.ciphertext must be at least ${AEAD_TAG_BYTES} bytes`, {
        details: { field: 'SealedEnvelope.ciphertext' },
      });
    }
    const { streamId, sequence, timestampMs, contentType } = fields;
    const headerLength =
      this.#prefix.length + fieldLength(streamId) + fieldLength(sequence) + fieldLength(timestampMs) + fieldLength(contentType);
    const headerStart = 1 + varintLength(headerLength);
    const ciphertextOffset = headerStart + headerLength + 1 + varintLength(ciphertextLength);
    if (ciphertextOffset + ciphertextLength > MESSAGE_MAX_BYTES.SealedEnvelope) {
      const size = ciphertextOffset + ciphertextLength;
      throw new MessageTooLargeError(`SealedEnvelope would be ${size} bytes; the limit is ${MESSAGE_MAX_BYTES.SealedEnvelope}`, {
        details: { message: 'SealedEnvelope', size, limit: MESSAGE_MAX_BYTES.SealedEnvelope },
      });
    }
    const bytes = Buffer.allocUnsafe(ciphertextOffset + ciphertextLength);
    bytes[0] = TAG_SEALED_HEADER;
    writeVarint(bytes, 1, headerLength);
    let at = headerStart + this.#prefix.copy(bytes, headerStart);
    at = writeVarintField(bytes, at, TAG_STREAM_ID, streamId);
    at = writeVarintField(bytes, at, TAG_SEQUENCE, sequence);
    at = writeVarintField(bytes, at, TAG_TIMESTAMP, timestampMs);
    at = writeVarintField(bytes, at, TAG_CONTENT_TYPE, contentType);
    bytes[at] = TAG_SEALED_CIPHERTEXT;
    writeVarint(bytes, at + 1, ciphertextLength);
    return { bytes, header: bytes.subarray(headerStart, headerStart + headerLength), ciphertextOffset };
  }
}
