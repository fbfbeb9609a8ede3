/**
 * Byte-level reading and writing of GATT characteristic values, shared by the service codecs.
 * Every multi-byte integer of a Bluetooth SIG characteristic is little-endian (Bluetooth Core 5.4
 * Vol 3 Part G §3.3.3.5: "multi-octet fields ... least significant octet first"). Readers refuse
 * what they cannot account for, writers refuse what does not fit: both name the characteristic
 * and field in the error details, never the value (it may be a biometric reading).
 */
import { MalformedValueError, NotEncodableError, ReservedValueError, ValueOutOfRangeError } from '../errors.js';
import type { FlagSet, FloatValue } from '../gatt/characteristic-value.js';
import { FLOAT_SPECIAL, SFLOAT_SPECIAL, decodeFloat, decodeSfloat, encodeFloat, encodeSfloat, type DecodedFloat } from '../gatt/ieee11073-float.js';

/**
 * Largest attribute value, in bytes (Bluetooth Core 5.4 Vol 3 Part F §3.2.9). Every codec refuses
 * longer values, whatever the MTU. The same fact as the radio's ATT_MAX_VALUE_LENGTH, kept here
 * so that the codecs do not depend on the radio.
 */
export const ATT_VALUE_MAX_BYTES = 512;

/** Throws ValueOutOfRangeError for an encoder input. */
export function outOfRange(characteristic: string, field: string, reason: string): never {
  throw new ValueOutOfRangeError(`${characteristic}: ${field} ${reason}`, { details: { characteristic, field, reason } });
}

/** Checks an encoder input is an integer in min..max. */
export function checkInteger(value: unknown, min: number, max: number, characteristic: string, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    outOfRange(characteristic, field, `must be an integer in ${min}..${max}`);
  }
  return value;
}

/** Sequential reader of one characteristic value. */
export class ValueReader {
  readonly #bytes: Uint8Array;
  readonly #characteristic: string;
  #offset = 0;

  constructor(bytes: unknown, characteristic: string) {
    this.#characteristic = characteristic;
    if (!(bytes instanceof Uint8Array)) this.fail('value', 'not a byte array');
    this.#bytes = bytes;
    if (bytes.length > ATT_VALUE_MAX_BYTES) this.fail('value', `longer than ${ATT_VALUE_MAX_BYTES} bytes`);
  }

  /** Throws MalformedValueError for this characteristic. */
  fail(field: string, reason: string): never {
    throw new MalformedValueError(`${this.#characteristic}: ${field}: ${reason}`, {
      details: { characteristic: this.#characteristic, field, reason },
    });
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  #take(length: number, field: string): number {
    if (this.#offset + length > this.#bytes.length) this.fail(field, 'truncated');
    const at = this.#offset;
    this.#offset += length;
    return at;
  }

  #unsigned(length: number, field: string): number {
    const at = this.#take(length, field);
    let value = 0;
    for (let i = length - 1; i >= 0; i -= 1) value = value * 256 + (this.#bytes[at + i] ?? 0);
    return value;
  }

  uint8(field: string): number {
    return this.#unsigned(1, field);
  }

  uint16(field: string): number {
    return this.#unsigned(2, field);
  }

  int16(field: string): number {
    const value = this.#unsigned(2, field);
    return value >= 0x8000 ? value - 0x10000 : value;
  }

  uint24(field: string): number {
    return this.#unsigned(3, field);
  }

  uint32(field: string): number {
    return this.#unsigned(4, field);
  }

  /** 40-bit unsigned (System ID manufacturer identifier); below 2^53, so exact as a number. */
  uint40(field: string): number {
    return this.#unsigned(5, field);
  }

  /** `length` bytes, copied. */
  bytes(length: number, field: string): Uint8Array {
    const at = this.#take(length, field);
    return this.#bytes.slice(at, at + length);
  }

  /** Everything not read yet, copied. */
  rest(): Uint8Array {
    return this.bytes(this.remaining, 'value');
  }

  sfloat(field: string): DecodedFloat {
    const raw = this.uint16(field);
    return this.#ieee(() => decodeSfloat(raw), field);
  }

  float(field: string): DecodedFloat {
    const raw = this.uint32(field);
    return this.#ieee(() => decodeFloat(raw), field);
  }

  #ieee(decode: () => DecodedFloat, field: string): DecodedFloat {
    try {
      return decode();
    } catch (error) {
      if (error instanceof ReservedValueError) {
        throw new ReservedValueError(`${this.#characteristic}: ${field}: reserved IEEE 11073 value`, {
          details: { characteristic: this.#characteristic, field },
          cause: error,
        });
      }
      throw error;
    }
  }

  /** Refuses trailing bytes: a value is exactly as long as its flags say. */
  end(): void {
    if (this.remaining !== 0) this.fail('value', `${this.remaining} trailing bytes`);
  }
}

/** Sequential writer of one characteristic value. */
export class ValueWriter {
  readonly #bytes: number[] = [];
  readonly #characteristic: string;

  constructor(characteristic: string) {
    this.#characteristic = characteristic;
  }

  #unsigned(value: unknown, length: number, field: string): void {
    let remaining = checkInteger(value, 0, 2 ** (8 * length) - 1, this.#characteristic, field);
    for (let i = 0; i < length; i += 1) {
      this.#bytes.push(remaining % 256);
      remaining = Math.floor(remaining / 256);
    }
  }

  uint8(value: unknown, field: string): void {
    this.#unsigned(value, 1, field);
  }

  uint16(value: unknown, field: string): void {
    this.#unsigned(value, 2, field);
  }

  int16(value: unknown, field: string): void {
    const checked = checkInteger(value, -0x8000, 0x7fff, this.#characteristic, field);
    this.#unsigned(checked < 0 ? checked + 0x10000 : checked, 2, field);
  }

  uint24(value: unknown, field: string): void {
    this.#unsigned(value, 3, field);
  }

  uint32(value: unknown, field: string): void {
    this.#unsigned(value, 4, field);
  }

  uint40(value: unknown, field: string): void {
    this.#unsigned(value, 5, field);
  }

  bytes(value: Uint8Array): void {
    for (const byte of value) this.#bytes.push(byte);
  }

  sfloat(value: FloatValue, field: string): void {
    this.#unsigned(this.#ieee(value, 'SFLOAT', field), 2, field);
  }

  float(value: FloatValue, field: string): void {
    this.#unsigned(this.#ieee(value, 'FLOAT', field), 4, field);
  }

  #ieee(value: FloatValue, format: 'SFLOAT' | 'FLOAT', field: string): number {
    const encode = format === 'SFLOAT' ? encodeSfloat : encodeFloat;
    const specials = format === 'SFLOAT' ? SFLOAT_SPECIAL : FLOAT_SPECIAL;
    const number = typeof value === 'number' ? value : (value as { value?: unknown } | null)?.value;
    if (typeof number !== 'number') outOfRange(this.#characteristic, field, 'must be a number');
    try {
      if (typeof value === 'number') return encode(value);
      if (value.special === 'nres') return specials.nres;
      return Number.isFinite(number) ? encode(number, value.exponent) : encode(number);
    } catch (error) {
      if (error instanceof NotEncodableError) {
        throw new NotEncodableError(`${this.#characteristic}: ${field} cannot be written as an ${format}`, {
          details: { characteristic: this.#characteristic, field },
          cause: error,
        });
      }
      throw error;
    }
  }

  /** The value; refuses one longer than an attribute may be. */
  finish(): Uint8Array {
    if (this.#bytes.length > ATT_VALUE_MAX_BYTES) outOfRange(this.#characteristic, 'value', `longer than ${ATT_VALUE_MAX_BYTES} bytes`);
    return Uint8Array.from(this.#bytes);
  }
}

/** A one-byte (or one-nibble) enumeration of the specification, by name. */
export class CodeTable<K extends string> {
  readonly #byName: ReadonlyMap<string, number>;
  readonly #byCode: ReadonlyMap<number, K>;

  constructor(table: Readonly<Record<K, number>>) {
    const entries = Object.entries(table) as [K, number][];
    this.#byName = new Map(entries);
    this.#byCode = new Map(entries.map(([name, code]) => [code, name]));
  }

  /** The code of `name`; ValueOutOfRangeError for a name the table lacks. */
  code(name: unknown, characteristic: string, field: string): number {
    const code = typeof name === 'string' ? this.#byName.get(name) : undefined;
    if (code === undefined) outOfRange(characteristic, field, `must be one of ${[...this.#byName.keys()].join(', ')}`);
    return code;
  }

  /** The name of `code`; MalformedValueError for a reserved code. */
  name(code: number, reader: ValueReader, field: string): K {
    const name = this.#byCode.get(code);
    if (name === undefined) reader.fail(field, `reserved value ${code}`);
    return name;
  }
}

/** A status or feature bit field: name → bit number (0 = least significant). */
export class BitField<K extends string> {
  readonly #bits: ReadonlyMap<string, number>;
  readonly #mask: number;

  constructor(bits: Readonly<Record<K, number>>) {
    this.#bits = new Map(Object.entries(bits));
    this.#mask = [...this.#bits.values()].reduce((mask, bit) => mask + 2 ** bit, 0);
  }

  /** The raw field; ValueOutOfRangeError for a name the field lacks. */
  encode(set: FlagSet<K> | undefined, characteristic: string, field: string): number {
    let raw = 0;
    for (const [name, on] of Object.entries(set ?? {})) {
      const bit = this.#bits.get(name);
      if (bit === undefined) outOfRange(characteristic, field, `has no bit named ${name}`);
      if (typeof on !== 'boolean') outOfRange(characteristic, field, `bit ${name} must be a boolean`);
      if (on) raw += 2 ** bit;
    }
    return raw;
  }

  /** Every named bit; MalformedValueError when a reserved bit is set. */
  decode(raw: number, reader: ValueReader, field: string): Record<K, boolean> {
    // Reserved bits are refused rather than ignored: medsim implements exactly these versions, and
    // a set reserved bit means the peer speaks another one (CTL-09).
    if ((raw & ~this.#mask) !== 0) reader.fail(field, 'reserved bit set');
    const set: Record<string, boolean> = {};
    for (const [name, bit] of this.#bits) set[name] = (raw & (2 ** bit)) !== 0;
    return set;
  }
}

/** The Date Time fields (see gatt/date-time.ts). */
export interface DateTimeFields {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
}

/** Why a Date Time is invalid, or undefined (GATT Specification Supplement §3.70 Date Time). */
export function dateTimeProblem(value: DateTimeFields): string | undefined {
  const { year, month, day, hours, minutes, seconds } = value;
  const inRange = (n: unknown, min: number, max: number): boolean => typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;
  // 0 means "not known" for year, month and day; otherwise 1582 (Gregorian calendar) to 9999.
  if (!inRange(year, 0, 9999) || (year !== 0 && year < 1582)) return 'year must be 0 (not known) or 1582..9999';
  if (!inRange(month, 0, 12)) return 'month must be 0 (not known) or 1..12';
  if (!inRange(day, 0, 31)) return 'day must be 0 (not known) or 1..31';
  if (!inRange(hours, 0, 23)) return 'hours must be 0..23';
  if (!inRange(minutes, 0, 59)) return 'minutes must be 0..59';
  if (!inRange(seconds, 0, 59)) return 'seconds must be 0..59';
  if (year !== 0 && month !== 0 && day !== 0 && day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return 'day does not exist in that month';
  return undefined;
}

/** Reads a 7-byte Date Time field. */
export function readDateTime(reader: ValueReader, field: string): DateTimeFields {
  const value = {
    year: reader.uint16(field),
    month: reader.uint8(field),
    day: reader.uint8(field),
    hours: reader.uint8(field),
    minutes: reader.uint8(field),
    seconds: reader.uint8(field),
  };
  const problem = dateTimeProblem(value);
  if (problem !== undefined) reader.fail(field, problem);
  return value;
}

/** Writes a 7-byte Date Time field. */
export function writeDateTime(writer: ValueWriter, value: DateTimeFields, characteristic: string, field: string): void {
  const problem = typeof value === 'object' && value !== null ? dateTimeProblem(value) : 'must be a Date Time';
  if (problem !== undefined) outOfRange(characteristic, field, problem);
  writer.uint16(value.year, field);
  writer.uint8(value.month, field);
  writer.uint8(value.day, field);
  writer.uint8(value.hours, field);
  writer.uint8(value.minutes, field);
  writer.uint8(value.seconds, field);
}
