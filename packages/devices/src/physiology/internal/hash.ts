/**
 * Stateless 32-bit hashing for the simulation: FNV-1a for strings and a splitmix32-style finaliser
 * for integers. Not cryptographic: only for spreading seeds and for noise that must be a pure
 * function of a sample's time (so an ECG frame renders the same however the stream is cut).
 */

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a 32-bit over the UTF-16 code units of `text` (Fowler, Noll, Vo; IETF draft-eastlake-fnv). */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/**
 * The output function of splitmix32 (multipliers 0x21f0aaad and 0x735a2d97, shifts 16/15/15, from
 * Chris Wellons' hash-prospector, as used by bryc's splitmix32): a bijective avalanche mix.
 */
export function mix32(value: number): number {
  let z = value | 0;
  z ^= z >>> 16;
  z = Math.imul(z, 0x21f0aaad);
  z ^= z >>> 15;
  z = Math.imul(z, 0x735a2d97);
  z ^= z >>> 15;
  return z >>> 0;
}

/** A uniform number in [0, 1) that depends only on `key` and the integer `index` (|index| < 2^53). */
export function hashUnit(key: number, index: number): number {
  const low = index % 0x1_0000_0000;
  const high = Math.floor(index / 0x1_0000_0000);
  return mix32(key ^ mix32(low ^ mix32(high + 0x9e3779b9))) / 0x1_0000_0000;
}
