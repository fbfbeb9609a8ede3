/**
 * decodeMessage / encodeMessage / decodePayload (src/codec.ts): round trips of valid messages,
 * hostile bytes that may only ever produce a catalogued ProtocolError, the size check that runs
 * before any parsing, and the wire-level refusals (truncated, malformed, unknown fields).
 * The field rules of each message are tested in test/validate/.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import {
  CONTENT_MESSAGE,
  ContentType,
  MESSAGE_MAX_BYTES,
  MESSAGE_NAMES,
  MalformedMessageError,
  ProtocolError,
  TruncatedMessageError,
  decodeMessage,
  decodePayload,
  encodeMessage,
  type MessageName,
  type PayloadContentType,
} from '@medsim/protocol';
import { bulkBytes, validMessage } from './arbitraries.js';
import {
  SEED,
  WireType,
  canonical,
  concat,
  decodeOutcome,
  encodeUnchecked,
  expectRefusal,
  expectSameBytes,
  filled,
  generated,
  padTo,
  refusal,
  samples,
  spo2,
  tag,
  withRaw,
} from './fixtures.js';

/** Decodes `bytes` as `name` through the codec, for refusal assertions. */
const decoding =
  <N extends MessageName>(name: N, bytes: Uint8Array) =>
  () =>
    decodeMessage(name, bytes);

/** The sample message of `name`, encoded. */
const sampleBytes = (name: MessageName): Uint8Array => encodeUnchecked(name, samples[name]);

afterEach(() => {
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------------------------------------

describe('round trip', () => {
  function roundTrips<N extends MessageName>(name: N): void {
    fc.assert(
      fc.property(validMessage[name], (fields) => {
        const bytes = encodeMessage(name, fields);
        const decoded = decodeMessage(name, bytes);
        expect(canonical(name, decoded)).toEqual(canonical(name, fields));
        // The codec writes exactly what the generated encoder writes, and decoding loses nothing:
        // the decoded message encodes to the same bytes again.
        expectSameBytes(bytes, generated(name).encode(fields).finish());
        expectSameBytes(generated(name).encode(decoded).finish(), bytes);
      }),
      // No shrinking: a counterexample reads well as generated, and shrinking 64-character texts
      // through encode and decode costs tens of seconds per failing message type.
      { seed: SEED, numRuns: 200, endOnFailure: true },
    );
  }

  for (const name of MESSAGE_NAMES) {
    it(`[CTL-09] ${name}: every valid message encodes and decodes to an equal value (property)`, { tags: ['CTL-09'] }, () => {
      roundTrips(name);
    });
  }
});

// ---------------------------------------------------------------------------------------------

/** Random bytes up to a little above `limit`; large limits mix small arrays with bulk ones. */
function arbitraryBytes(limit: number): fc.Arbitrary<Uint8Array> {
  const upTo = limit + 16;
  if (upTo <= 2_048) return fc.uint8Array({ maxLength: upTo, size: 'max' });
  return fc.oneof(
    fc.uint8Array({ maxLength: 2_048, size: 'max' }),
    fc.tuple(fc.integer({ min: 0, max: upTo }), fc.integer()).map(([length, seed]) => bulkBytes(length, seed)),
  );
}

/** One raw field of hand-made protobuf. */
interface RawField {
  readonly fieldNumber: number;
  readonly wireType: number;
  readonly value: number;
  readonly payload: Uint8Array;
}

/** Any field number 0-16 with any of the 8 wire types (6 and 7 do not exist). */
const rawField: fc.Arbitrary<RawField> = fc.record({
  fieldNumber: fc.integer({ min: 0, max: 16 }),
  wireType: fc.integer({ min: 0, max: 7 }),
  value: fc.oneof(fc.integer({ min: 0, max: 0xffff_ffff }), fc.maxSafeNat()),
  payload: fc.uint8Array({ maxLength: 40 }),
});

function writeRaw(fields: readonly RawField[]): Uint8Array {
  return withRaw(new Uint8Array(0), (w) => {
    for (const { fieldNumber, wireType, value, payload } of fields) {
      w.uint32(tag(fieldNumber, wireType));
      if (wireType === WireType.VARINT) w.uint64(value);
      else if (wireType === WireType.I64) w.fixed64(value);
      else if (wireType === WireType.LEN) w.bytes(payload);
      else if (wireType === WireType.I32) w.fixed32(value);
    }
  });
}

/**
 * Protobuf-shaped garbage: fields with the numbers and wire types the schema uses (and some it
 * does not), nested one level, so that the bytes get past the parser into the validators.
 */
const protobufSoup: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.oneof(
      rawField,
      fc.record({
        fieldNumber: fc.integer({ min: 1, max: 16 }),
        wireType: fc.constant(WireType.LEN),
        value: fc.constant(0),
        payload: fc.array(rawField, { maxLength: 6 }).map(writeRaw),
      }),
    ),
    { maxLength: 12 },
  )
  .map(writeRaw);

/** A change to a valid encoding; positions are taken modulo the length. */
type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'append'; readonly bytes: Uint8Array }
  | { readonly kind: 'duplicate'; readonly at: number; readonly length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.constantFrom(0x00, 0x7f, 0x80, 0xff, 0x07, 0x0f) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 16 }), protobufSoup) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 32 }) }),
);

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out: Uint8Array = Uint8Array.from(bytes);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : ('at' in m ? m.at : 0) % out.length;
    switch (m.kind) {
      case 'flip':
        if (out.length > 0) out[at] = (out[at] ?? 0) ^ (1 << m.bit);
        break;
      case 'set':
        if (out.length > 0) out[at] = m.byte;
        break;
      case 'truncate':
        out = out.subarray(0, at);
        break;
      case 'append':
        out = concat(out, m.bytes);
        break;
      case 'duplicate':
        out = concat(out.subarray(0, at), out.subarray(at, at + m.length), out.subarray(at));
        break;
    }
  }
  return out;
}

describe('hostile bytes', () => {
  for (const name of MESSAGE_NAMES) {
    it(
      `[CTL-09][CTL-23] ${name}: arbitrary bytes decode or are refused with a catalogued ProtocolError (property)`,
      { tags: ['CTL-09', 'CTL-23'] },
      () => {
        fc.assert(
          fc.property(fc.oneof(arbitraryBytes(MESSAGE_MAX_BYTES[name]), protobufSoup), (bytes) => {
            decodeOutcome(name, bytes);
          }),
          { seed: SEED, numRuns: 2_000 },
        );
      },
    );
  }

  function survivesMutations<N extends MessageName>(name: N): void {
    fc.assert(
      fc.property(validMessage[name], fc.array(mutation, { minLength: 1, maxLength: 4 }), (fields, mutations) => {
        decodeOutcome(name, mutate(generated(name).encode(fields).finish(), mutations));
      }),
      { seed: SEED, numRuns: 2_000 },
    );
  }

  for (const name of MESSAGE_NAMES) {
    it(
      `[CTL-09][CTL-23][C12] ${name}: bit flips, truncations and appended garbage of valid encodings decode or are refused with a catalogued ProtocolError (property)`,
      { tags: ['CTL-09', 'CTL-23', 'C12'] },
      () => {
        survivesMutations(name);
      },
    );
  }
});

// ---------------------------------------------------------------------------------------------

describe('size limits', () => {
  for (const name of MESSAGE_NAMES) {
    const limit = MESSAGE_MAX_BYTES[name];
    it(
      `[CTL-16][C11] ${name}: ${limit + 1} bytes are refused with ERR_PROTOCOL_TOO_LARGE before decoding, ${limit} bytes are decoded`,
      { tags: ['CTL-16', 'C11'] },
      () => {
        const decoder = vi.spyOn(generated(name), 'decode');

        const over = refusal(decoding(name, padTo(sampleBytes(name), limit + 1)));
        expect(over.code).toBe('ERR_PROTOCOL_TOO_LARGE');
        expect(over.details).toEqual({ message: name, size: limit + 1, limit });
        expect(decoder).not.toHaveBeenCalled();

        // At the limit the bytes reach the decoder; whatever the outcome, size is not the reason.
        expect(decodeOutcome(name, padTo(sampleBytes(name), limit))).not.toBe('ERR_PROTOCOL_TOO_LARGE');
        expect(decoder).toHaveBeenCalledTimes(1);
      },
    );
  }

  it('[CTL-16][C11] the size check comes first: megabytes of garbage are refused for size, not parsed', { tags: ['CTL-16', 'C11'] }, () => {
    const decoder = vi.spyOn(generated('SealedEnvelope'), 'decode');
    expectRefusal(decoding('SealedEnvelope', filled(4 * 1024 * 1024, 0xff)), 'ERR_PROTOCOL_TOO_LARGE');
    expect(decoder).not.toHaveBeenCalled();
  });
});

// ---------------------------------------------------------------------------------------------

describe('wire-level refusals', () => {
  it('[CTL-09][C11] ERR_PROTOCOL_TRUNCATED: a SealedEnvelope cut inside its ciphertext', { tags: ['CTL-09', 'C11'] }, () => {
    const bytes = sampleBytes('SealedEnvelope');
    const error = expectRefusal(decoding('SealedEnvelope', bytes.subarray(0, bytes.length - 1)), 'ERR_PROTOCOL_TRUNCATED');
    expect(error).toBeInstanceOf(TruncatedMessageError);
    expect(error.details).toEqual({ message: 'SealedEnvelope' });
  });

  it('[CTL-09] ERR_PROTOCOL_TRUNCATED: a reading cut inside a nested observation', { tags: ['CTL-09'] }, () => {
    const bytes = sampleBytes('VitalSignReading');
    // The reading ends with its second observation (a 2-byte field header, then 19 bytes).
    expectRefusal(decoding('VitalSignReading', bytes.subarray(0, bytes.length - 5)), 'ERR_PROTOCOL_TRUNCATED');
  });

  it('[CTL-09][C11] every cut strictly inside a ciphertext is ERR_PROTOCOL_TRUNCATED (property)', { tags: ['CTL-09', 'C11'] }, () => {
    fc.assert(
      fc.property(validMessage.SealedEnvelope, fc.nat(), (fields, cut) => {
        const bytes = encodeMessage('SealedEnvelope', fields);
        const ciphertextLength = fields.ciphertext?.length ?? 0;
        // The ciphertext is the last field: its bytes are the last ciphertextLength ones.
        const end = bytes.length - 1 - (cut % ciphertextLength);
        expect(decodeOutcome('SealedEnvelope', bytes.subarray(0, end))).toBe('ERR_PROTOCOL_TRUNCATED');
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('[CTL-09] ERR_PROTOCOL_MALFORMED: wire types 6 and 7 do not exist', { tags: ['CTL-09'] }, () => {
    for (const wireType of [6, 7]) {
      const bytes = withRaw(sampleBytes('Alarm'), (w) => w.uint32(tag(1, wireType)));
      const error = expectRefusal(decoding('Alarm', bytes), 'ERR_PROTOCOL_MALFORMED');
      expect(error).toBeInstanceOf(MalformedMessageError);
      expect(error.details).toEqual({ message: 'Alarm' });
    }
  });

  it('[CTL-09] ERR_PROTOCOL_MALFORMED: invalid UTF-8, field number 0, a stray end-group tag', { tags: ['CTL-09'] }, () => {
    const header = encodeUnchecked('EnvelopeHeader', { ...samples.EnvelopeHeader, deviceId: '' });
    const invalidUtf8 = withRaw(header, (w) => w.uint32(tag(2, WireType.LEN)).bytes(Uint8Array.from([0x70, 0xc3, 0x28])));
    expectRefusal(decoding('EnvelopeHeader', invalidUtf8), 'ERR_PROTOCOL_MALFORMED');
    expectRefusal(decoding('Alarm', withRaw(sampleBytes('Alarm'), (w) => w.uint32(tag(0, WireType.VARINT)).uint32(1))), 'ERR_PROTOCOL_MALFORMED');
    expectRefusal(decoding('Alarm', withRaw(sampleBytes('Alarm'), (w) => w.uint32(tag(9, WireType.EGROUP)))), 'ERR_PROTOCOL_MALFORMED');
  });

  it('[CTL-09][CTL-16] ERR_PROTOCOL_MALFORMED: groups nested deeper than the recursion limit', { tags: ['CTL-09', 'CTL-16'] }, () => {
    // 10,000 nested start-group tags: refused by depth (protobufjs stops at 100), never a stack overflow.
    const deep = withRaw(sampleBytes('SealedEnvelope'), (w) => {
      for (let i = 0; i < 10_000; i++) w.uint32(tag(9, WireType.SGROUP));
    });
    expectRefusal(decoding('SealedEnvelope', deep), 'ERR_PROTOCOL_MALFORMED');
  });

  it('[CTL-23] ERR_PROTOCOL_MALFORMED: input that is not bytes', { tags: ['CTL-23'] }, () => {
    for (const input of ['0801', [8, 1], null, undefined, 42, new ArrayBuffer(4)]) {
      const error = expectRefusal(decoding('Alarm', input as unknown as Uint8Array), 'ERR_PROTOCOL_MALFORMED');
      expect(error.details).toEqual({ message: 'Alarm' });
    }
  });

  it('[CTL-23] parser failures say which message failed, not what protobufjs saw; the cause is kept for logs', { tags: ['CTL-23'] }, () => {
    const truncated = refusal(decoding('SealedEnvelope', sampleBytes('SealedEnvelope').subarray(0, 20)));
    const malformed = refusal(decoding('Alarm', withRaw(sampleBytes('Alarm'), (w) => w.uint32(tag(1, 7)))));
    for (const error of [truncated, malformed]) {
      expect(error.message).toMatch(/^(SealedEnvelope|Alarm) /);
      expect(error.message).not.toMatch(/index out of range|wire type|offset/);
      expect(error.cause).toBeInstanceOf(Error);
    }
  });

  it('[CTL-09][C12] ERR_PROTOCOL_UNKNOWN_FIELD: field number 99 appended to an Alarm', { tags: ['CTL-09', 'C12'] }, () => {
    const bytes = withRaw(sampleBytes('Alarm'), (w) => w.uint32(tag(99, WireType.VARINT)).uint32(1));
    const error = expectRefusal(decoding('Alarm', bytes), 'ERR_PROTOCOL_UNKNOWN_FIELD', 'Alarm');
    expect(error.details.fieldNumber).toBe(99);
  });

  it('[CTL-09][C12] ERR_PROTOCOL_UNKNOWN_FIELD: an undefined field inside a nested observation', { tags: ['CTL-09', 'C12'] }, () => {
    const observation = withRaw(encodeUnchecked('VitalSignReading', { observations: [spo2] }).subarray(2), (w) =>
      w.uint32(tag(9, WireType.VARINT)).uint32(1),
    );
    const reading = withRaw(encodeUnchecked('VitalSignReading', { ...samples.VitalSignReading, observations: [] }), (w) =>
      w.uint32(tag(2, WireType.LEN)).bytes(observation),
    );
    const error = expectRefusal(decoding('VitalSignReading', reading), 'ERR_PROTOCOL_UNKNOWN_FIELD', 'VitalSignReading.observations[0]');
    expect(error.details.fieldNumber).toBe(9);
  });

  it('[CTL-09][C12] every message refuses every field number the schema does not define (property)', { tags: ['CTL-09', 'C12'] }, () => {
    function refusesUnknownFields<N extends MessageName>(name: N): void {
      fc.assert(
        fc.property(
          validMessage[name],
          // No medsim.v1 message defines a field above 14; 2^29 - 1 is the largest field number.
          fc.integer({ min: 15, max: 2 ** 29 - 1 }),
          fc.constantFrom(WireType.VARINT, WireType.I64, WireType.LEN, WireType.I32),
          (fields, fieldNumber, wireType) => {
            const bytes = withRaw(generated(name).encode(fields).finish(), (w) => {
              w.uint32(tag(fieldNumber, wireType));
              if (wireType === WireType.VARINT) w.uint32(1);
              else if (wireType === WireType.I64) w.fixed64(1);
              else if (wireType === WireType.LEN) w.bytes(filled(3, 1));
              else w.fixed32(1);
            });
            if (bytes.length > MESSAGE_MAX_BYTES[name]) return; // refused for size; tested above
            const error = expectRefusal(decoding(name, bytes), 'ERR_PROTOCOL_UNKNOWN_FIELD', name);
            expect(error.details.fieldNumber).toBe(fieldNumber);
          },
        ),
        { seed: SEED, numRuns: 50 },
      );
    }
    for (const name of MESSAGE_NAMES) refusesUnknownFields(name);
  });

  it('[CTL-09][C12] a defined field sent with another wire type is refused, not skipped', { tags: ['CTL-09', 'C12'] }, () => {
    // Alarm.code is a varint (field 1); sent as length-delimited it must not be silently dropped.
    const bytes = withRaw(sampleBytes('Alarm'), (w) => w.uint32(tag(1, WireType.LEN)).bytes(filled(2, 1)));
    expect(decodeOutcome('Alarm', bytes)).not.toBe('accepted');
  });
});

// ---------------------------------------------------------------------------------------------

describe('encodeMessage', () => {
  it('[CTL-09] refuses to encode what decodeMessage would refuse', { tags: ['CTL-09'] }, () => {
    expectRefusal(() => encodeMessage('Alarm', { ...samples.Alarm, code: 0 }), 'ERR_PROTOCOL_MISSING_FIELD', 'Alarm.code');
    expectRefusal(
      () => encodeMessage('TherapyCommand', { ...samples.TherapyCommand, insulinBolus: { amountMilliunits: 25_001 } }),
      'ERR_PROTOCOL_OUT_OF_RANGE',
      'TherapyCommand.insulinBolus.amountMilliunits',
    );
  });

  it('[CTL-23] input that is not a message object is refused with a ProtocolError', { tags: ['CTL-23'] }, () => {
    // The generated encoder throws a TypeError on null and undefined: the codec reports it as malformed.
    for (const fields of [null, undefined]) expectRefusal(() => encodeMessage('Alarm', fields as never), 'ERR_PROTOCOL_MALFORMED');
    // A primitive has no fields: it encodes as an empty message, which lacks every required field.
    for (const fields of [42, 'Alarm']) expectRefusal(() => encodeMessage('Alarm', fields as never), 'ERR_PROTOCOL_MISSING_FIELD', 'Alarm.code');
  });

  it('[CTL-09] refuses numbers a field cannot hold instead of sending another value', { tags: ['CTL-09'] }, () => {
    // uint32 fields keep the low 32 bits and drop fractions on the wire: 2^32 + 1,000 mU would
    // be sent as a valid 1,000 mU bolus, -1 as stream 4,294,967,295.
    const bolus = (amountMilliunits: number) => () =>
      encodeMessage('TherapyCommand', { ...samples.TherapyCommand, insulinBolus: { amountMilliunits } });
    for (const amount of [2 ** 32 + 1_000, 1_000.5, -1]) expect(refusal(bolus(amount)).details.field).toBe('TherapyCommand.insulinBolus.amountMilliunits');
    expect(refusal(() => encodeMessage('EnvelopeHeader', { ...samples.EnvelopeHeader, streamId: -1 })).details.field).toBe('EnvelopeHeader.streamId');
    expect(refusal(() => encodeMessage('EnvelopeHeader', { ...samples.EnvelopeHeader, sequence: 41.5 })).details.field).toBe('EnvelopeHeader.sequence');
  });
});

// ---------------------------------------------------------------------------------------------

describe('decodePayload', () => {
  const contentTypes = Object.keys(CONTENT_MESSAGE).map(Number) as PayloadContentType[];

  it('[CTL-09] decodes the message each content type names', { tags: ['CTL-09'] }, () => {
    expect(contentTypes).toHaveLength(10);
    for (const contentType of contentTypes) {
      const name = CONTENT_MESSAGE[contentType];
      const payload = decodePayload(contentType, sampleBytes(name));
      expect(payload.contentType).toBe(contentType);
      expect(canonical(name, payload.message)).toEqual(canonical(name, samples[name]));
    }
  });

  it('[CTL-09] refuses UNSPECIFIED and undefined content types', { tags: ['CTL-09'] }, () => {
    for (const contentType of [ContentType.CONTENT_TYPE_UNSPECIFIED, 999, -1]) {
      expectRefusal(() => decodePayload(contentType, sampleBytes('Alarm')), 'ERR_PROTOCOL_MALFORMED');
    }
  });

  it('[CTL-09] validates the payload as the named message: a reading is not an alarm', { tags: ['CTL-09'] }, () => {
    const error = refusal(() => decodePayload(ContentType.CONTENT_TYPE_ALARM, sampleBytes('VitalSignReading')));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(String(error.details.field)).toMatch(/^Alarm(\.|$)/);
  });
});
