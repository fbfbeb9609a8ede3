import { describe, expect, it } from 'vitest';
import { SeededRandom, seed32 } from '../../src/physiology/seeded-random.js';
import { codeOf } from '../helpers/errors.js';

// Known answers computed with a C program built on PractRand 0.94's sfc32::raw32 (uint32 arithmetic),
// seeded as documented: four splitmix32 outputs from the 32-bit seed, then 12 outputs discarded.
const SFC32_VECTORS: readonly { seed: number | string; outputs: readonly number[] }[] = [
  { seed: 0, outputs: [548183886, 1097162541, 2219297441, 1664216021, 3479288465] },
  { seed: 1, outputs: [1130556604, 2591592147, 3014952990, 960850752, 2734082507] },
  { seed: 42, outputs: [3825871779, 1851418855, 1383259262, 890322987, 2796912455] },
  { seed: 0xdeadbeef, outputs: [3923707769, 1152713806, 2428647379, 2225741545, 3595184339] },
  { seed: 'patient-7', outputs: [1656894111, 147913322, 1593432968] },
];

describe('SeededRandom (sfc32 seeded by splitmix32)', () => {
  it('reproduces the reference C implementation bit for bit', () => {
    for (const { seed, outputs } of SFC32_VECTORS) {
      const random = new SeededRandom(seed);
      expect(outputs.map(() => random.nextUint32())).toEqual(outputs);
    }
  });

  it('hashes string seeds with FNV-1a 32 (the FNV test vectors) and wraps numbers to 32 bits', () => {
    expect(seed32('')).toBe(0x811c9dc5);
    expect(seed32('a')).toBe(0xe40c292c);
    expect(seed32('foobar')).toBe(0xbf9cf968);
    expect(seed32(-1)).toBe(0xffffffff);
    expect(seed32(2 ** 32 + 5)).toBe(5);
  });

  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    const c = new SeededRandom(8);
    const seqA = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 100 }, () => c.next())).not.toEqual(seqA);
  });

  it('forks depend on the seed and label only, not on what the parent drew', () => {
    const fresh = new SeededRandom(99);
    const used = new SeededRandom(99);
    for (let i = 0; i < 1_000; i += 1) used.next();
    const x1 = fresh.fork('device:a');
    const x2 = used.fork('device:a');
    expect(Array.from({ length: 20 }, () => x2.next())).toEqual(Array.from({ length: 20 }, () => x1.next()));
    // Drawing from one fork leaves a sibling untouched; siblings differ from each other and the parent.
    const sibling = new SeededRandom(99).fork('device:b');
    const siblingAgain = new SeededRandom(99).fork('device:b');
    const busy = new SeededRandom(99).fork('device:a');
    for (let i = 0; i < 500; i += 1) busy.next();
    const seq = Array.from({ length: 20 }, () => sibling.next());
    expect(Array.from({ length: 20 }, () => siblingAgain.next())).toEqual(seq);
    expect(seq).not.toEqual(Array.from({ length: 20 }, () => new SeededRandom(99).fork('device:a').next()));
    expect(new SeededRandom(99).fork('x').seed).not.toBe(new SeededRandom(98).fork('x').seed);
  });

  it('draws uniforms in [0, 1), inclusive integers without bias and standard normals', () => {
    const random = new SeededRandom('stats');
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < 20_000; i += 1) {
      const u = random.next();
      sum += u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(sum / 20_000).toBeCloseTo(0.5, 1);
    const counts = new Map<number, number>();
    for (let i = 0; i < 6_000; i += 1) {
      const k = random.int(1, 6);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    for (const n of counts.values()) expect(n).toBeGreaterThan(850);
    expect(random.int(-3, -3)).toBe(-3);
    const normals = Array.from({ length: 20_000 }, () => random.normal(10, 2));
    const mean = normals.reduce((a, b) => a + b, 0) / normals.length;
    const sd = Math.sqrt(normals.reduce((a, b) => a + (b - mean) ** 2, 0) / normals.length);
    expect(mean).toBeCloseTo(10, 1);
    expect(sd).toBeGreaterThan(1.9);
    expect(sd).toBeLessThan(2.1);
  });

  it('[CTL-09] refuses seeds and ranges it cannot honour', { tags: ['CTL-09'] }, () => {
    expect(codeOf(() => new SeededRandom(1.5))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => new SeededRandom(Number.NaN))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    const random = new SeededRandom(1);
    expect(codeOf(() => random.int(5, 4))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => random.int(0, 2 ** 32))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => random.int(0.5, 2))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
  });
});
