/**
 * The radio's seeded pseudo-random generator: RSSI noise, advertising delay, interference loss,
 * simulated addresses. Same seed and same sequence of operations give the same air, so a test or
 * a workshop demo replays exactly. It is NOT for secrets: pairing nonces, ECDH keys and link-layer
 * session key diversifiers come from node:crypto (link-security.ts).
 *
 * xoshiro128** (Blackman & Vigna, 2018), seeded from SHA-256 of the seed text so that nearby
 * seeds ("1", "2") give unrelated streams.
 */
import { createHash } from 'node:crypto';

/** A deterministic stream of numbers. */
export interface SeededPrng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** Standard normal (mean 0, standard deviation 1), Box–Muller. */
  gaussian(): number;
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** A generator for `seed`; derive independent streams by naming them (`${seed}/rssi/${address}`). */
export function createSeededPrng(seed: string | number): SeededPrng {
  const digest = createHash('sha256').update(String(seed)).digest();
  const s: number[] = [digest.readUInt32LE(0), digest.readUInt32LE(4), digest.readUInt32LE(8), digest.readUInt32LE(12)];
  // An all-zero state would stay zero; SHA-256 makes it astronomically unlikely, but be exact.
  if (s.every((word): boolean => word === 0)) s[0] = 1;
  const nextUint32 = (): number => {
    const [s0 = 0, s1 = 0, s2 = 0, s3 = 0] = s;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    let n2 = (s2 ^ s0) >>> 0;
    let n3 = (s3 ^ s1) >>> 0;
    const n1 = (s1 ^ n2) >>> 0;
    const n0 = (s0 ^ n3) >>> 0;
    n2 = (n2 ^ t) >>> 0;
    n3 = rotl(n3, 11);
    s[0] = n0;
    s[1] = n1;
    s[2] = n2;
    s[3] = n3;
    return result;
  };
  const next = (): number => nextUint32() / 2 ** 32;
  return {
    next,
    int: (maxExclusive: number): number => Math.floor(next() * maxExclusive),
    gaussian: (): number => {
      // 1 - next() is in (0, 1], so the logarithm is finite.
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
  };
}
