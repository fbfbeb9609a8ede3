/**
 * Helpers shared by the GATT codec tests: hex in and out, the code of a thrown error, and the
 * properties every characteristic codec must have (round trip of any value, and nothing but
 * typed errors for any bytes).
 */
import { expect } from 'vitest';
import fc from 'fast-check';
import { BleError, type DecodedFloat, type PreciseFloat } from '../../src/index.js';

/** fast-check seed of every property in these tests. */
export const SEED = 20_601;

/** Bytes from hex text such as '06 48' or '0648'. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/gu, '');
  return Uint8Array.from(clean.match(/../gu) ?? [], (pair) => Number.parseInt(pair, 16));
}

/** Hex text of bytes, space-separated, for readable failures. */
export function toHex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
}

/** The `code` of what `fn` throws, or undefined when it returns. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

/** The error `fn` throws (fails the test when it returns). */
export function thrown(fn: () => unknown): BleError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BleError);
    return error as BleError;
  }
  throw new Error('expected a throw');
}

/** mantissa × 10^exponent, as the IEEE 11073 decoder computes it. */
const scale = (mantissa: number, exponent: number): number => (exponent >= 0 ? mantissa * 10 ** exponent : mantissa / 10 ** -exponent);

/** Any finite SFLOAT at its own precision. */
export const sfloat = (): fc.Arbitrary<PreciseFloat> =>
  fc.tuple(fc.integer({ min: -2045, max: 2045 }), fc.integer({ min: -8, max: 7 })).map(([mantissa, exponent]) => ({ value: scale(mantissa, exponent), exponent }));

/** Any finite FLOAT at its own precision (exponents kept to ±20, as in the FLOAT tests). */
export const float = (): fc.Arbitrary<PreciseFloat> =>
  fc.tuple(fc.integer({ min: -8_388_605, max: 8_388_605 }), fc.integer({ min: -20, max: 20 })).map(([mantissa, exponent]) => ({ value: scale(mantissa, exponent), exponent }));

/** Any valid Date Time, "not known" date parts included. */
export const dateTime = (): fc.Arbitrary<{ year: number; month: number; day: number; hours: number; minutes: number; seconds: number }> =>
  fc.record({
    year: fc.oneof(fc.constant(0), fc.integer({ min: 1582, max: 9999 })),
    month: fc.integer({ min: 0, max: 12 }),
    day: fc.integer({ min: 0, max: 28 }),
    hours: fc.integer({ min: 0, max: 23 }),
    minutes: fc.integer({ min: 0, max: 59 }),
    seconds: fc.integer({ min: 0, max: 59 }),
  });

/** A flag set with any of `names` set. */
export const flagSet = <K extends string>(names: readonly K[]): fc.Arbitrary<Partial<Record<K, boolean>>> =>
  fc.subarray([...names]).map((set) => Object.fromEntries(set.map((name) => [name, true])) as Partial<Record<K, boolean>>);

/** An optional field: absent or a value. */
export const optional = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arbitrary, { nil: undefined });

/** `T` with every property that may be undefined made optional instead. */
export type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & { [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined> };

/** Drops undefined properties (exactOptionalPropertyTypes: absent, not undefined). */
export function defined<T extends object>(value: T): Defined<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Defined<T>;
}

/** The number of a decoded IEEE 11073 field. */
export const n = (value: DecodedFloat | undefined): number | undefined => value?.value;

/** Bytes derived from valid ones: truncated, extended, or with one byte changed. */
export const mutated = (valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    valid,
    valid.chain((bytes) => fc.integer({ min: 0, max: Math.max(0, bytes.length - 1) }).map((length) => bytes.slice(0, length))),
    valid.chain((bytes) => fc.uint8Array({ minLength: 1, maxLength: 4 }).map((extra) => Uint8Array.from([...bytes, ...extra]))),
    valid.chain((bytes) =>
      fc.tuple(fc.integer({ min: 0, max: Math.max(0, bytes.length - 1) }), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => {
        const copy = bytes.slice();
        if (copy.length > 0) copy[at] = byte;
        return copy;
      }),
    ),
    fc.uint8Array({ maxLength: 40 }),
  );

const DECODE_CODES = new Set(['ERR_BLE_MALFORMED_VALUE', 'ERR_BLE_RESERVED_VALUE']);

/**
 * For any bytes: decode either refuses with a typed error, or returns a value that encodes back
 * to exactly those bytes (or, for the mantissas beside the specials, that the SFLOAT encoder
 * refuses as NotEncodable). `normalize` rewrites bytes the encoder writes in another legal form.
 */
export function expectCanonicalOrRefused<T>(
  bytes: Uint8Array,
  decode: (bytes: Uint8Array) => T,
  encode: (value: T) => Uint8Array,
  normalize: (bytes: Uint8Array) => Uint8Array = (b) => b,
): void {
  let decoded: T;
  try {
    decoded = decode(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(BleError);
    expect(DECODE_CODES.has((error as BleError).code)).toBe(true);
    return;
  }
  let again: Uint8Array;
  try {
    again = encode(decoded);
  } catch (error) {
    expect((error as BleError).code).toBe('ERR_BLE_NOT_ENCODABLE');
    return;
  }
  expect(toHex(again)).toBe(toHex(normalize(bytes)));
}

/** Checks that `encode` then `decode` then `encode` gives the same bytes for every generated value. */
export function expectByteExactRoundTrip<T, D extends T>(arbitrary: fc.Arbitrary<T>, encode: (value: T) => Uint8Array, decode: (bytes: Uint8Array) => D, check?: (value: T, decoded: D) => void): void {
  fc.assert(
    fc.property(arbitrary, (value) => {
      const bytes = encode(value);
      const decoded = decode(bytes);
      expect(toHex(encode(decoded))).toBe(toHex(bytes));
      check?.(value, decoded);
    }),
    { seed: SEED, numRuns: 300 },
  );
}
