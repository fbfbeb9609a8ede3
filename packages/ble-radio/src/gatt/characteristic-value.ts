/**
 * Shapes shared by the standard GATT characteristic codecs: IEEE 11073 numbers with the precision
 * they were measured at, and named bit sets (status and feature fields).
 */
import type { DecodedFloat } from './ieee11073-float.js';

/** An IEEE 11073 number at a stated precision: mantissa × 10^exponent (a DecodedFloat fits). */
export interface PreciseFloat {
  readonly value: number;
  /** The decimal exponent written on the wire: 36.4 at -1 and 36.40 at -2 are different bytes. */
  readonly exponent: number;
  /** NRes is NaN too: `special` tells it apart so that it is written back as NRes. */
  readonly special?: DecodedFloat['special'];
}

/**
 * An SFLOAT or FLOAT field. A plain number is written at the coarsest exponent that holds it
 * exactly (120 → 120 × 10^0, 36.4 → 364 × 10^-1); a PreciseFloat keeps its exponent, so a decoded
 * value encodes back to the same bytes. NaN means "not available" (IEEE 11073-20601 NaN).
 */
export type FloatValue = number | PreciseFloat;

/** A set of named bits of a status or feature field; an absent name is a clear bit. */
export type FlagSet<K extends string> = { readonly [P in K]?: boolean };

/** The number a FloatValue stands for (NaN for NaN and NRes). */
export function floatNumber(value: FloatValue): number {
  return typeof value === 'number' ? value : value.value;
}
