/**
 * IEEE 11073-20601 SFLOAT (16-bit) and FLOAT (32-bit): the number formats of the Bluetooth SIG
 * health services (Blood Pressure, Glucose, Health Thermometer, Pulse Oximeter). A value is
 * mantissa × 10^exponent, both signed two's complement: SFLOAT has a 4-bit exponent and a 12-bit
 * mantissa, FLOAT an 8-bit exponent and a 24-bit mantissa. The exponent carries the measurement's
 * precision, so 36.4 °C at one decimal is (364, -1), and 2, 2.0 and 2.00 are distinct encodings.
 *
 * Five mantissa values are reserved (with exponent 0): NaN, NRes (not at this resolution),
 * +INFINITY, -INFINITY and one reserved for future use. Decoding returns NaN for NaN and NRes,
 * the infinities for INFINITY, and refuses the reserved value; encoding never produces a
 * reserved mantissa for a finite number.
 */
import { NotEncodableError, ReservedValueError } from '../errors.js';

/** The layout of one of the two formats. */
interface Format {
  readonly name: 'SFLOAT' | 'FLOAT';
  readonly mantissaBits: number;
  readonly exponentBits: number;
}

const SFLOAT: Format = { name: 'SFLOAT', mantissaBits: 12, exponentBits: 4 };
const FLOAT: Format = { name: 'FLOAT', mantissaBits: 24, exponentBits: 8 };

/** Raw special values of SFLOAT. */
export const SFLOAT_SPECIAL = { nan: 0x07ff, nres: 0x0800, positiveInfinity: 0x07fe, negativeInfinity: 0x0802, reserved: 0x0801 } as const;

/** Raw special values of FLOAT. */
export const FLOAT_SPECIAL = { nan: 0x007fffff, nres: 0x00800000, positiveInfinity: 0x007ffffe, negativeInfinity: 0x00800002, reserved: 0x00800001 } as const;

/** The largest mantissa magnitude a finite number may use (the top values are the specials). */
const maxMantissa = (format: Format): number => 2 ** (format.mantissaBits - 1) - 3;
const exponentRange = (format: Format): readonly [number, number] => [-(2 ** (format.exponentBits - 1)), 2 ** (format.exponentBits - 1) - 1];

/** A decoded number with the precision it was sent at. */
export interface DecodedFloat {
  /** The number (NaN for NaN and NRes; ±Infinity). */
  readonly value: number;
  readonly mantissa: number;
  readonly exponent: number;
  /** Which special value, if any. */
  readonly special?: 'nan' | 'nres' | 'positive-infinity' | 'negative-infinity';
}

function decode(raw: number, format: Format, specials: typeof SFLOAT_SPECIAL | typeof FLOAT_SPECIAL): DecodedFloat {
  const mantissaMask = 2 ** format.mantissaBits - 1;
  const rawMantissa = raw & mantissaMask;
  const rawExponent = Math.floor(raw / 2 ** format.mantissaBits) & (2 ** format.exponentBits - 1);
  if (rawExponent === 0) {
    if (rawMantissa === specials.nan) return { value: Number.NaN, mantissa: rawMantissa, exponent: 0, special: 'nan' };
    if (rawMantissa === specials.nres) return { value: Number.NaN, mantissa: rawMantissa, exponent: 0, special: 'nres' };
    if (rawMantissa === specials.positiveInfinity) return { value: Number.POSITIVE_INFINITY, mantissa: rawMantissa, exponent: 0, special: 'positive-infinity' };
    if (rawMantissa === specials.negativeInfinity) return { value: Number.NEGATIVE_INFINITY, mantissa: rawMantissa, exponent: 0, special: 'negative-infinity' };
    if (rawMantissa === specials.reserved) throw new ReservedValueError(`${format.name} 0x${raw.toString(16)} is reserved for future use`);
  }
  const mantissa = rawMantissa >= 2 ** (format.mantissaBits - 1) ? rawMantissa - 2 ** format.mantissaBits : rawMantissa;
  const exponent = rawExponent >= 2 ** (format.exponentBits - 1) ? rawExponent - 2 ** format.exponentBits : rawExponent;
  return { value: scale(mantissa, exponent), mantissa, exponent };
}

/** mantissa × 10^exponent, computed so that decimal values come out as their nearest double. */
function scale(mantissa: number, exponent: number): number {
  return exponent >= 0 ? mantissa * 10 ** exponent : mantissa / 10 ** -exponent;
}

function encode(value: number, exponent: number | undefined, format: Format, specials: typeof SFLOAT_SPECIAL | typeof FLOAT_SPECIAL): number {
  if (Number.isNaN(value)) return specials.nan;
  if (value === Number.POSITIVE_INFINITY) return specials.positiveInfinity;
  if (value === Number.NEGATIVE_INFINITY) return specials.negativeInfinity;
  const [minExponent, maxExponent] = exponentRange(format);
  const limit = maxMantissa(format);
  const fits = (e: number): number | undefined => {
    const mantissa = Math.round(scale(value, -e));
    // The value must be exact at this precision (relative tolerance for binary fractions).
    if (Math.abs(mantissa) > limit || Math.abs(scale(mantissa, e) - value) > Math.abs(value) * 1e-12 + 1e-300) return undefined;
    return mantissa;
  };
  let chosen: { mantissa: number; exponent: number } | undefined;
  if (exponent !== undefined) {
    if (!Number.isInteger(exponent) || exponent < minExponent || exponent > maxExponent) {
      throw new NotEncodableError(`${format.name} exponent must be an integer in ${minExponent}..${maxExponent}`, { details: { exponent } });
    }
    const mantissa = fits(exponent);
    if (mantissa !== undefined) chosen = { mantissa, exponent };
  } else {
    // The coarsest exact precision: 120 → (120, 0), 36.4 → (364, -1), 12000 → (12, 3) only if needed.
    for (let e = 0; e >= minExponent && chosen === undefined; e -= 1) {
      const mantissa = fits(e);
      if (mantissa !== undefined) chosen = { mantissa, exponent: e };
    }
    for (let e = 1; e <= maxExponent && chosen === undefined; e += 1) {
      const mantissa = fits(e);
      if (mantissa !== undefined) chosen = { mantissa, exponent: e };
    }
  }
  if (chosen === undefined) {
    throw new NotEncodableError(`${value} cannot be written exactly as an ${format.name}${exponent === undefined ? '' : ` with exponent ${exponent}`}`, {
      details: { format: format.name },
    });
  }
  const rawMantissa = chosen.mantissa < 0 ? chosen.mantissa + 2 ** format.mantissaBits : chosen.mantissa;
  const rawExponent = chosen.exponent < 0 ? chosen.exponent + 2 ** format.exponentBits : chosen.exponent;
  return rawExponent * 2 ** format.mantissaBits + rawMantissa;
}

/** Decodes a 16-bit SFLOAT. Throws ReservedValueError for the reserved value. */
export function decodeSfloat(raw: number): DecodedFloat {
  return decode(raw & 0xffff, SFLOAT, SFLOAT_SPECIAL);
}

/** Decodes a 32-bit FLOAT. Throws ReservedValueError for the reserved value. */
export function decodeFloat(raw: number): DecodedFloat {
  return decode(raw >>> 0, FLOAT, FLOAT_SPECIAL);
}

/**
 * Encodes `value` as a 16-bit SFLOAT at `exponent` (the precision), or at the coarsest exponent
 * that holds it exactly. NaN and ±Infinity map to their special values. Throws NotEncodableError.
 */
export function encodeSfloat(value: number, exponent?: number): number {
  return encode(value, exponent, SFLOAT, SFLOAT_SPECIAL);
}

/** Encodes `value` as a 32-bit FLOAT (see encodeSfloat). */
export function encodeFloat(value: number, exponent?: number): number {
  return encode(value, exponent, FLOAT, FLOAT_SPECIAL);
}
