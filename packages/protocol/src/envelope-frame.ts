/**
 * The hot path of envelope encoding and decoding. A session's device id, key id and version never
 * change, so an EnvelopeFrameWriter validates and encodes them once (with the generated encoder)
 * and then:
 * - frame() writes each frame, SealedEnvelope framing, header and room for the ciphertext, into a
 *   single allocation. The bytes are exactly those of the generated encoders (a property test
 *   checks it): proto3 fields in field-number order, zero values omitted.
 * - parse() recognises the session's own frames in that canonical form with one prefix comparison
 *   and four varints. Anything else (another session's frame, another field order, a cut or
 *   altered frame) gives undefined, and the caller decodes it with the generic, validating
 *   decoder, which then accepts or refuses it. A property test checks that parse() never accepts
 *   what the generic decoder would refuse, and that both agree on every field.
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

/** Every field of an envelope header, as both decoders return it. */
export interface EnvelopeHeaderFields extends EnvelopeHeaderVariableFields {
  readonly version: number;
  readonly deviceId: string;
  readonly keyId: Uint8Array;
}

/** An envelope whose framing and header decoded and validated; the ciphertext is not yet opened. */
export interface DecodedEnvelope {
  /** The header bytes exactly as received: the associated data. */
  readonly headerBytes: Uint8Array;
  readonly header: EnvelopeHeaderFields;
  /** Ciphertext followed by the 16-byte tag. */
  readonly ciphertext: Uint8Array;
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

const VARIABLE_FIELD_TAGS = [TAG_STREAM_ID, TAG_SEQUENCE, TAG_TIMESTAMP, TAG_CONTENT_TYPE] as const;

/**
 * Reads a minimally encoded varint of at most 8 bytes (below 2^56) ending before `end`; returns
 * [value, next offset], or undefined for anything else (the generic decoder then judges it).
 */
function readCanonicalVarint(bytes: Uint8Array, offset: number, end: number): [number, number] | undefined {
  let value = 0;
  let scale = 1;
  for (let at = offset; at < end && at < offset + 8; at++) {
    const byte = bytes[at]!;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return byte === 0 && at > offset ? undefined : [value, at + 1];
    scale *= 0x80;
  }
  return undefined;
}

/** Writes, and recognises, the sealed envelopes of one (device id, key id) pair. */
export class EnvelopeFrameWriter {
  readonly #prefix: Buffer;
  readonly #deviceId: string;
  readonly #keyId: Buffer;

  /** Validates the constant fields once; throws the protocol's typed errors. */
  constructor(deviceId: string, keyId: Uint8Array) {
    assertDeviceId(deviceId, 'EnvelopeHeader');
    if (keyId.length !== KEY_ID_BYTES) {
      throw new OutOfRangeError(`EnvelopeHeader.keyId must be ${KEY_ID_BYTES} bytes`, { details: { field: 'EnvelopeHeader.keyId' } });
    }
    this.#prefix = Buffer.from(v1.EnvelopeHeader.encode({ version: PROTOCOL_VERSION, deviceId, keyId }).finish());
    this.#deviceId = deviceId;
    this.#keyId = Buffer.from(keyId);
  }

  /**
   * The envelope if `bytes` is a canonical frame of this device id and key id, with its
   * variable fields validated (throwing the protocol's typed errors, as the generic decoder
   * would); undefined for anything else, which the caller then decodes the generic way.
   */
  parse(bytes: Uint8Array): DecodedEnvelope | undefined {
    if (bytes.length > MESSAGE_MAX_BYTES.SealedEnvelope || bytes[0] !== TAG_SEALED_HEADER) return undefined;
    const headerLength = readCanonicalVarint(bytes, 1, bytes.length);
    if (headerLength === undefined || headerLength[0] > MESSAGE_MAX_BYTES.EnvelopeHeader) return undefined;
    const [length, headerStart] = headerLength;
    const headerEnd = headerStart + length;
    const prefix = this.#prefix;
    if (headerEnd > bytes.length || length < prefix.length || prefix.compare(bytes, headerStart, headerStart + prefix.length) !== 0) {
      return undefined;
    }
    const values = [0, 0, 0, 0];
    let at = headerStart + prefix.length;
    for (let field = 0; field < VARIABLE_FIELD_TAGS.length && at < headerEnd; field++) {
      if (bytes[at] !== VARIABLE_FIELD_TAGS[field]) continue;
      const read = readCanonicalVarint(bytes, at + 1, headerEnd);
      // Zero is never written: an explicit zero is not the canonical form.
      if (read === undefined || read[0] === 0) return undefined;
      values[field] = read[0];
      at = read[1];
    }
    // A uint32 or int32 above its range is not what a writer produces (protobufjs would truncate it).
    if (at !== headerEnd || bytes[headerEnd] !== TAG_SEALED_CIPHERTEXT || values[0]! > 0xffff_ffff || values[3]! > 0x7fff_ffff) {
      return undefined;
    }
    const ciphertextLength = readCanonicalVarint(bytes, headerEnd + 1, bytes.length);
    if (ciphertextLength === undefined || ciphertextLength[0] < AEAD_TAG_BYTES || ciphertextLength[1] + ciphertextLength[0] !== bytes.length) {
      return undefined;
    }
    const header: EnvelopeHeaderFields = {
      version: PROTOCOL_VERSION,
      deviceId: this.#deviceId,
      keyId: this.#keyId,
      streamId: values[0]!,
      sequence: values[1]!,
      timestampMs: values[2]!,
      contentType: values[3]!,
    };
    validateHeaderVariableFields(header);
    return { headerBytes: bytes.subarray(headerStart, headerEnd), header, ciphertext: bytes.subarray(ciphertextLength[1]) };
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
