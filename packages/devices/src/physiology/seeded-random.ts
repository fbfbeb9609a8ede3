/**
 * Seeded pseudo-random numbers for the simulation: sfc32 ("small fast counting" generator, Chris
 * Doty-Humphrey, PractRand 0.94 `sfc32::raw32`), its 128-bit state filled by splitmix32 from a 32-bit
 * seed (a string seed is first hashed with FNV-1a). The JavaScript form follows bryc's public-domain
 * "PRNGs" collection (github.com/bryc/code, jshash/PRNGs.md). sfc32 passes PractRand to 2^42+ bytes
 * and BigCrush; period at least 2^32 thanks to the counter.
 *
 * NOT for secrets: the output is predictable from the seed and from a few outputs. Keys, nonces and
 * tokens come from node:crypto.
 *
 * Substreams: `fork(label)` derives a child from this generator's seed and the label only, never from
 * how many numbers were drawn, so one more device (or one more draw somewhere) leaves every other
 * stream's numbers unchanged.
 */
import { PhysiologyInvalidArgumentError } from '../errors.js';
import { fnv1a32, mix32 } from './internal/hash.js';

const TWO_POW_32 = 0x1_0000_0000;

/** What a generator is seeded with: a 32-bit integer (other safe integers are taken modulo 2^32) or a string. */
export type Seed = number | string;

/** The 32-bit seed a number or string stands for. */
export function seed32(seed: Seed): number {
  if (typeof seed === 'string') return fnv1a32(seed);
  if (!Number.isSafeInteger(seed)) throw new PhysiologyInvalidArgumentError('A numeric seed must be a safe integer', { details: { field: 'seed' } });
  // ToUint32 (ECMA-262 §7.1.7): the low 32 bits, negative numbers wrapped.
  return seed >>> 0;
}

/** Deterministic generator: same seed, same sequence, on every platform (32-bit integer arithmetic only). */
export class SeededRandom {
  /** The 32-bit seed this generator (and its forks) derive from. */
  readonly seed: number;
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spare: number | undefined;

  constructor(seed: Seed) {
    this.seed = seed32(seed);
    // splitmix32 (Weyl sequence + mix32) fills the four state words, so neighbouring seeds start far apart.
    let weyl = this.seed;
    const nextSplitmix = (): number => {
      weyl = (weyl + 0x9e3779b9) | 0;
      return mix32(weyl);
    };
    this.#a = nextSplitmix();
    this.#b = nextSplitmix();
    this.#c = nextSplitmix();
    this.#d = nextSplitmix();
    // Discard the first outputs, as PractRand's own sfc32 seeding does (12 rounds), to mix the state.
    for (let i = 0; i < 12; i += 1) this.nextUint32();
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    // PractRand sfc32::raw32 with BARREL_SHIFT 21, RSHIFT 9, LSHIFT 3; #d is the counter.
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A uniform number in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** A uniform integer in [min, max], both included; the range may hold at most 2^32 values. */
  int(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min || max - min + 1 > TWO_POW_32) {
      throw new PhysiologyInvalidArgumentError('int(min, max) needs safe integers with min <= max and at most 2^32 values', { details: { min, max } });
    }
    const span = max - min + 1;
    // Rejection sampling removes the modulo bias of a span that does not divide 2^32.
    const limit = TWO_POW_32 - (TWO_POW_32 % span);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return min + (x % span);
  }

  /**
   * A normally distributed number (Box & Muller 1958): each pair of uniforms gives two normals, the
   * second kept for the next call, so the stream's position depends only on how many calls were made.
   */
  normal(mean = 0, sd = 1): number {
    if (this.#spare !== undefined) {
      const z = this.#spare;
      this.#spare = undefined;
      return mean + sd * z;
    }
    // 1 - next() lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.next()));
    const angle = 2 * Math.PI * this.next();
    this.#spare = radius * Math.sin(angle);
    return mean + sd * radius * Math.cos(angle);
  }

  /** An independent generator for `label`, derived from this generator's seed and the label only. */
  fork(label: string): SeededRandom {
    // The child's seed hashes "<parent seed in hex>/<label>"; splitmix32 seeding then spreads it.
    return new SeededRandom(fnv1a32(`${this.seed.toString(16)}/${label}`));
  }
}
