/**
 * EnvelopeFrameWriter (src/envelope-frame.ts) writes SealedEnvelope + EnvelopeHeader bytes by hand
 * on the hot path. Its output must be byte for byte what the generated encoders write: the header
 * bytes are the AEAD associated data, so a single differing byte breaks every envelope.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  AEAD_TAG_BYTES,
  ContentType,
  EnvelopeFrameWriter,
  MAX_SAFE_UINT64,
  MAX_TIMESTAMP_MS,
  MESSAGE_MAX_BYTES,
  PROTOCOL_VERSION,
  decodeMessage,
  v1,
  type EnvelopeHeaderVariableFields,
} from '@medsim/protocol';
import { CIPHERTEXT_MAX_BYTES, bulkBytes, bytesOfLength, deviceId, headerVariableFields } from './arbitraries.js';
import { KEY_ID, SEED, canonical, expectRefusal, expectSameBytes, filled, refusal, samples } from './fixtures.js';

const fields: EnvelopeHeaderVariableFields = {
  streamId: samples.EnvelopeHeader.streamId,
  sequence: samples.EnvelopeHeader.sequence,
  timestampMs: samples.EnvelopeHeader.timestampMs,
  contentType: samples.EnvelopeHeader.contentType,
};

/**
 * Writes one frame, fills its ciphertext and checks it against the generated encoders: the
 * header, the whole envelope, and what decodeMessage makes of both.
 */
function expectGeneratedBytes(id: string, keyId: Uint8Array, variable: EnvelopeHeaderVariableFields, ciphertext: Uint8Array): void {
  const frame = new EnvelopeFrameWriter(id, keyId).frame(variable, ciphertext.length);
  const header = v1.EnvelopeHeader.encode({ version: PROTOCOL_VERSION, deviceId: id, keyId, ...variable }).finish();
  expectSameBytes(frame.header, header);

  expect(frame.ciphertextOffset + ciphertext.length).toBe(frame.bytes.length);
  frame.bytes.set(ciphertext, frame.ciphertextOffset);
  expectSameBytes(frame.bytes, v1.SealedEnvelope.encode({ header, ciphertext }).finish());

  const sealed = decodeMessage('SealedEnvelope', frame.bytes);
  expectSameBytes(sealed.header, header);
  expect(canonical('EnvelopeHeader', decodeMessage('EnvelopeHeader', sealed.header))).toEqual(
    canonical('EnvelopeHeader', { version: PROTOCOL_VERSION, deviceId: id, keyId, ...variable }),
  );
}

describe('EnvelopeFrameWriter', () => {
  it('[CTL-09][C11] writes exactly the bytes of the generated encoders, for any valid fields (property)', { tags: ['CTL-09', 'C11'] }, () => {
    fc.assert(
      fc.property(
        deviceId,
        bytesOfLength(8),
        headerVariableFields,
        fc.integer({ min: AEAD_TAG_BYTES, max: CIPHERTEXT_MAX_BYTES }),
        fc.integer(),
        (id, keyId, variable, ciphertextLength, seed) => {
          expectGeneratedBytes(id, keyId, variable, bulkBytes(ciphertextLength, seed));
        },
      ),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('[CTL-09] matches at the varint edges: zero values omitted, 2^32 - 1, 2^53 - 1, lengths 127/128 and 16383/16384', { tags: ['CTL-09'] }, () => {
    const extremes: EnvelopeHeaderVariableFields[] = [
      { streamId: 0, sequence: 0, timestampMs: 1, contentType: ContentType.CONTENT_TYPE_VITAL_SIGN_READING },
      { streamId: 0xffff_ffff, sequence: MAX_SAFE_UINT64, timestampMs: MAX_TIMESTAMP_MS, contentType: ContentType.CONTENT_TYPE_SESSION_ACCEPT },
      { streamId: 127, sequence: 128, timestampMs: 2 ** 35, contentType: ContentType.CONTENT_TYPE_ALARM },
    ];
    for (const variable of extremes) {
      for (const length of [AEAD_TAG_BYTES, 127, 128, 16_383, 16_384, CIPHERTEXT_MAX_BYTES]) {
        expectGeneratedBytes(`d${'-'.repeat(62)}9`, KEY_ID, variable, filled(length, 0xc7));
      }
    }
  });

  it('[CTL-09][CTL-23] refuses invalid variable fields with typed errors naming the field', { tags: ['CTL-09', 'CTL-23'] }, () => {
    const writer = new EnvelopeFrameWriter('pulse-ox-0001', KEY_ID);
    const refused: [Partial<EnvelopeHeaderVariableFields>, string, string][] = [
      [{ streamId: -1 }, 'ERR_PROTOCOL_OUT_OF_RANGE', 'streamId'],
      [{ streamId: 2 ** 32 }, 'ERR_PROTOCOL_OUT_OF_RANGE', 'streamId'],
      [{ streamId: 1.5 }, 'ERR_PROTOCOL_OUT_OF_RANGE', 'streamId'],
      [{ sequence: -1 }, 'ERR_PROTOCOL_OUT_OF_RANGE', 'sequence'],
      [{ sequence: 2 ** 53 }, 'ERR_PROTOCOL_OUT_OF_RANGE', 'sequence'],
      [{ sequence: Number.NaN }, 'ERR_PROTOCOL_OUT_OF_RANGE', 'sequence'],
      [{ timestampMs: 0 }, 'ERR_PROTOCOL_MISSING_FIELD', 'timestampMs'],
      [{ timestampMs: MAX_TIMESTAMP_MS + 1 }, 'ERR_PROTOCOL_OUT_OF_RANGE', 'timestampMs'],
      [{ contentType: ContentType.CONTENT_TYPE_UNSPECIFIED }, 'ERR_PROTOCOL_MISSING_FIELD', 'contentType'],
      [{ contentType: 999 as ContentType }, 'ERR_PROTOCOL_UNKNOWN_ENUM', 'contentType'],
      [{ contentType: 1.5 as ContentType }, 'ERR_PROTOCOL_UNKNOWN_ENUM', 'contentType'],
    ];
    for (const [change, code, field] of refused) {
      const error = refusal(() => writer.frame({ ...fields, ...change }, 32));
      expect({ code: error.code, field: error.details.field }).toEqual({ code, field: `EnvelopeHeader.${field}` });
    }
  });

  it('[CTL-09] refuses an invalid device id or key id when the writer is built', { tags: ['CTL-09'] }, () => {
    for (const id of ['Pulse-ox', '-pulse', 'a'.repeat(65), 'a+b', 'a/b', '']) {
      expectRefusal(() => new EnvelopeFrameWriter(id, KEY_ID), 'ERR_PROTOCOL_INVALID_DEVICE_ID', 'EnvelopeHeader.deviceId');
    }
    for (const length of [0, 7, 9]) {
      expectRefusal(() => new EnvelopeFrameWriter('pulse-ox-0001', filled(length, 1)), 'ERR_PROTOCOL_OUT_OF_RANGE', 'EnvelopeHeader.keyId');
    }
  });

  it('[CTL-16][C11] refuses a ciphertext length whose frame no receiver would accept', { tags: ['CTL-16', 'C11'] }, () => {
    const writer = new EnvelopeFrameWriter('pulse-ox-0001', KEY_ID);
    const largest = writer.frame(fields, CIPHERTEXT_MAX_BYTES);
    largest.bytes.fill(0xc7, largest.ciphertextOffset);
    expect(decodeMessage('SealedEnvelope', largest.bytes).ciphertext).toHaveLength(CIPHERTEXT_MAX_BYTES);
    // Shorter than a tag, negative, fractional or NaN: not a ciphertext; over the limit: too large.
    for (const length of [0, AEAD_TAG_BYTES - 1, -1, 1.5, Number.NaN]) {
      expect(refusal(() => writer.frame(fields, length)).code).toBe('ERR_PROTOCOL_OUT_OF_RANGE');
    }
    expect(refusal(() => writer.frame(fields, MESSAGE_MAX_BYTES.SealedEnvelope)).code).toBe('ERR_PROTOCOL_TOO_LARGE');
  });
});
