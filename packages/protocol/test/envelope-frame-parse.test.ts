import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ContentType, EnvelopeFrameWriter, MedsimError, decodeMessage, v1, type DecodedEnvelope } from '@medsim/protocol';

const DEVICE = 'pulse-ox-0001';
const KEY_ID = Buffer.from('0123456789abcdef', 'hex');
const writer = new EnvelopeFrameWriter(DEVICE, KEY_ID);

const variableFields = fc.record({
  streamId: fc.constantFrom(0, 1, 2, 127, 128, 0xffff_ffff),
  sequence: fc.oneof(fc.constantFrom(0, 1, 127, 128, 2 ** 32, Number.MAX_SAFE_INTEGER), fc.maxSafeNat()),
  timestampMs: fc.integer({ min: 1, max: 8_640_000_000_000_000 }),
  contentType: fc.constantFrom(...Object.values(ContentType).filter((v): v is ContentType => typeof v === 'number' && v !== ContentType.CONTENT_TYPE_UNSPECIFIED)),
});

function frameOf(fields: Parameters<EnvelopeFrameWriter["frame"]>[0], ciphertextLength: number): Buffer {
  const frame = writer.frame(fields, ciphertextLength);
  frame.bytes.fill(0xa5, frame.ciphertextOffset);
  return frame.bytes;
}

/** The generic decoder's verdict: the decoded envelope, or the refusal code. */
function generic(bytes: Uint8Array): DecodedEnvelope | string {
  try {
    const sealed = decodeMessage('SealedEnvelope', bytes);
    if (sealed.ciphertext.length < 16) return 'short ciphertext';
    return { headerBytes: sealed.header, header: decodeMessage('EnvelopeHeader', sealed.header), ciphertext: sealed.ciphertext };
  } catch (error) {
    if (error instanceof MedsimError) return error.code;
    throw error;
  }
}

const plain = (e: DecodedEnvelope) => ({
  headerBytes: Buffer.from(e.headerBytes).toString('hex'),
  ciphertext: Buffer.from(e.ciphertext).toString('hex'),
  // Field by field: the generated class keeps proto3 defaults on its prototype.
  header: {
    version: e.header.version,
    deviceId: e.header.deviceId,
    keyId: Buffer.from(e.header.keyId).toString('hex'),
    streamId: e.header.streamId,
    sequence: e.header.sequence,
    timestampMs: e.header.timestampMs,
    contentType: e.header.contentType,
  },
});

describe('EnvelopeFrameWriter.parse (the fast path for a session\'s own frames)', () => {
  it('[CTL-09] reads every frame the writer wrote, exactly as the generic decoder does (property)', { tags: ['CTL-09'] }, () => {
    fc.assert(
      fc.property(variableFields, fc.integer({ min: 16, max: 3000 }), (fields, length) => {
        const bytes = frameOf(fields, length);
        const fast = writer.parse(bytes);
        const slow = generic(bytes);
        expect(fast).toBeDefined();
        expect(typeof slow).toBe('object');
        expect(plain(fast!)).toEqual(plain(slow as DecodedEnvelope));
      }),
      { seed: 20261128, numRuns: 1000 },
    );
  });

  it('[CTL-09][C5][C12] never accepts what the generic decoder refuses, and never disagrees with it (property)', { tags: ['CTL-09', 'C5', 'C12'] }, () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    );
    fc.assert(
      fc.property(variableFields, fc.integer({ min: 16, max: 200 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), (fields, length, mutations) => {
        let bytes = frameOf(fields, length);
        for (const m of mutations) {
          const at = m.at % (bytes.length + 1);
          if (m.kind === 'flip' && at < bytes.length) bytes[at]! ^= 1 << m.bit;
          if (m.kind === 'cut') bytes = bytes.subarray(0, at);
          if (m.kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Uint8Array.of(m.byte), bytes.subarray(at)]);
        }
        let fast: DecodedEnvelope | string | undefined;
        try {
          fast = writer.parse(bytes);
        } catch (error) {
          fast = (error as MedsimError).code;
        }
        const slow = generic(bytes);
        if (fast === undefined) return; // not recognised: the generic decoder decides
        if (typeof fast === 'string') expect(fast).toBe(slow);
        else expect(plain(fast)).toEqual(plain(slow as DecodedEnvelope));
      }),
      { seed: 20261128, numRuns: 3000 },
    );
  });

  it('[CTL-09] leaves other sessions\' frames and non-canonical encodings to the generic decoder', { tags: ['CTL-09'] }, () => {
    const other = new EnvelopeFrameWriter('pump-0001', KEY_ID).frame({ streamId: 1, sequence: 5, timestampMs: 9, contentType: 1 }, 32);
    expect(writer.parse(other.bytes)).toBeUndefined();
    // Valid protobuf, but with sequence before stream id: the generic decoder accepts it.
    const header = Buffer.concat([
      Buffer.from(v1.EnvelopeHeader.encode({ version: 1, deviceId: DEVICE, keyId: KEY_ID }).finish()),
      Uint8Array.of(0x28, 0x05, 0x20, 0x01, 0x30, 0x09, 0x38, 0x01),
    ]);
    const reordered = Buffer.from(v1.SealedEnvelope.encode({ header, ciphertext: Buffer.alloc(32) }).finish());
    expect(writer.parse(reordered)).toBeUndefined();
    expect(typeof generic(reordered)).toBe('object');
  });
});
