/**
 * Field rules of envelope.proto (src/internal/validate/envelope.ts), through decodeMessage.
 * Each case starts from a valid sample and breaks exactly one rule.
 */
import { describe, expect, it } from 'vitest';
import { MAX_SAFE_UINT64, MAX_TIMESTAMP_MS, MESSAGE_MAX_BYTES, decodeMessage } from '@medsim/protocol';
import {
  WireType,
  concat,
  decodingFields,
  encodeUnchecked,
  expectAccepted,
  expectRefusal,
  filled,
  samples,
  tag,
  withRaw,
} from '../fixtures.js';

const header = samples.EnvelopeHeader;

describe('EnvelopeHeader', () => {
  it('[CTL-09][C9] ERR_PROTOCOL_UNSUPPORTED_VERSION: version 2, and version 0 (absent)', { tags: ['CTL-09', 'C9'] }, () => {
    for (const version of [2, 0, 255]) {
      const error = expectRefusal(decodingFields('EnvelopeHeader', { ...header, version }), 'ERR_PROTOCOL_UNSUPPORTED_VERSION', 'EnvelopeHeader.version');
      expect(error.details.value).toBe(version);
    }
  });

  it('[CTL-09] ERR_PROTOCOL_INVALID_DEVICE_ID: upper case, leading hyphen, 65 characters, "+", "/"', { tags: ['CTL-09'] }, () => {
    for (const deviceId of ['Pulse-ox-0001', '-pulse-ox', 'a'.repeat(65), 'pulse+ox', 'pulse/ox', 'pulse-ox-', 'pulse_ox', 'pulse ox', '']) {
      expectRefusal(decodingFields('EnvelopeHeader', { ...header, deviceId }), 'ERR_PROTOCOL_INVALID_DEVICE_ID', 'EnvelopeHeader.deviceId');
    }
  });

  it('[CTL-09] ERR_PROTOCOL_MISSING_FIELD: no key id, no timestamp, no content type', { tags: ['CTL-09'] }, () => {
    expectRefusal(decodingFields('EnvelopeHeader', { ...header, keyId: new Uint8Array(0) }), 'ERR_PROTOCOL_MISSING_FIELD', 'EnvelopeHeader.keyId');
    expectRefusal(decodingFields('EnvelopeHeader', { ...header, timestampMs: 0 }), 'ERR_PROTOCOL_MISSING_FIELD', 'EnvelopeHeader.timestampMs');
    expectRefusal(decodingFields('EnvelopeHeader', { ...header, contentType: 0 }), 'ERR_PROTOCOL_MISSING_FIELD', 'EnvelopeHeader.contentType');
  });

  it('[CTL-09] ERR_PROTOCOL_OUT_OF_RANGE: a key id of 7 or 9 bytes', { tags: ['CTL-09'] }, () => {
    for (const length of [7, 9]) {
      expectRefusal(decodingFields('EnvelopeHeader', { ...header, keyId: filled(length, 1) }), 'ERR_PROTOCOL_OUT_OF_RANGE', 'EnvelopeHeader.keyId');
    }
  });

  it('[CTL-09] ERR_PROTOCOL_UNKNOWN_ENUM: content type 999 and -1', { tags: ['CTL-09'] }, () => {
    for (const contentType of [999, -1, 11]) {
      const error = expectRefusal(decodingFields('EnvelopeHeader', { ...header, contentType }), 'ERR_PROTOCOL_UNKNOWN_ENUM', 'EnvelopeHeader.contentType');
      expect(error.details.value).toBe(contentType);
    }
  });

  it('[CTL-09] ERR_PROTOCOL_OUT_OF_RANGE: uint64 values of 2^53 and above, written with a protobufjs Writer', { tags: ['CTL-09'] }, () => {
    // Doubles cannot hold every integer above 2^53 - 1: such values are refused, never rounded.
    for (const [field, fieldNumber] of [['sequence', 5], ['timestampMs', 6]] as const) {
      const base = encodeUnchecked('EnvelopeHeader', { ...header, [field]: 0 });
      const at2p53 = withRaw(base, (w) => w.uint32(tag(fieldNumber, WireType.VARINT)).uint64(2 ** 53));
      expectRefusal(() => decodeMessage('EnvelopeHeader', at2p53), 'ERR_PROTOCOL_OUT_OF_RANGE', `EnvelopeHeader.${field}`);
      // 2^64 - 1: ten varint bytes, nine 0xff then 0x01.
      const uint64Max = concat(base, Uint8Array.of(tag(fieldNumber, WireType.VARINT), ...filled(9, 0xff), 0x01));
      expectRefusal(() => decodeMessage('EnvelopeHeader', uint64Max), 'ERR_PROTOCOL_OUT_OF_RANGE', `EnvelopeHeader.${field}`);
    }
  });

  it('[CTL-09] accepts the edges: stream 2^32 - 1, sequence 0 and 2^53 - 1, a 64-character device id', { tags: ['CTL-09'] }, () => {
    expectAccepted('EnvelopeHeader', { ...header, streamId: 0xffff_ffff, sequence: 0 });
    expectAccepted('EnvelopeHeader', { ...header, sequence: MAX_SAFE_UINT64, timestampMs: MAX_TIMESTAMP_MS });
    expectAccepted('EnvelopeHeader', { ...header, deviceId: `a${'-'.repeat(62)}b` });
    expectAccepted('EnvelopeHeader', { ...header, deviceId: '0' });
  });
});

describe('SealedEnvelope', () => {
  const sealed = samples.SealedEnvelope;

  it('[CTL-09][C11] ERR_PROTOCOL_MISSING_FIELD: no header, or a 0-length ciphertext', { tags: ['CTL-09', 'C11'] }, () => {
    expectRefusal(decodingFields('SealedEnvelope', { ...sealed, header: new Uint8Array(0) }), 'ERR_PROTOCOL_MISSING_FIELD', 'SealedEnvelope.header');
    expectRefusal(decodingFields('SealedEnvelope', { ...sealed, ciphertext: new Uint8Array(0) }), 'ERR_PROTOCOL_MISSING_FIELD', 'SealedEnvelope.ciphertext');
  });

  it(`[CTL-09][C11] ERR_PROTOCOL_OUT_OF_RANGE: a header over ${MESSAGE_MAX_BYTES.EnvelopeHeader} bytes`, { tags: ['CTL-09', 'C11'] }, () => {
    expectAccepted('SealedEnvelope', { ...sealed, header: filled(MESSAGE_MAX_BYTES.EnvelopeHeader, 1) });
    for (const length of [MESSAGE_MAX_BYTES.EnvelopeHeader + 1, 1024 + 1]) {
      const error = expectRefusal(decodingFields('SealedEnvelope', { ...sealed, header: filled(length, 1) }), 'ERR_PROTOCOL_OUT_OF_RANGE', 'SealedEnvelope.header');
      expect(error.details.max).toBe(MESSAGE_MAX_BYTES.EnvelopeHeader);
    }
  });
});
