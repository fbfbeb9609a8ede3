import { describe, expect, it } from 'vitest';
import { InvalidNetworkOptionsError } from '../../src/errors.js';
import { ReconnectBackoff } from '../../src/network/backoff.js';
import { lcg } from './fixtures.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidNetworkOptionsError);
    return (error as { code?: string }).code;
  }
  return undefined;
};

describe('ReconnectBackoff (AWS "Exponential Backoff And Jitter", 2015)', () => {
  it('full jitter: each delay is uniform in [0, min(cap, base × 2^attempt)]', () => {
    // A source pinned just under 1 shows the ceiling of each attempt.
    const ceiling = new ReconnectBackoff({ baseMs: 100, maxMs: 5000, random: () => 0.999_999 });
    expect(Array.from({ length: 8 }, () => ceiling.next())).toEqual([99, 199, 399, 799, 1599, 3199, 4999, 4999]);
    expect(ceiling.attempts).toBe(8);
    const floor = new ReconnectBackoff({ baseMs: 100, maxMs: 5000, random: () => 0 });
    expect(Array.from({ length: 4 }, () => floor.next())).toEqual([0, 0, 0, 0]);
  });

  it('full jitter spreads a herd: 1,000 devices at attempt 5 do not retry together', () => {
    const random = lcg(2015);
    const delays = Array.from({ length: 1000 }, () => {
      const backoff = new ReconnectBackoff({ baseMs: 500, maxMs: 30_000, random });
      for (let i = 0; i < 5; i += 1) backoff.next();
      return backoff.next();
    });
    // Attempt 5 draws from [0, 16 s]: a tenth of that window holds about a tenth of the herd.
    expect(Math.max(...delays)).toBeLessThanOrEqual(16_000);
    const inFirstTenth = delays.filter((d) => d < 1600).length;
    expect(inFirstTenth).toBeGreaterThan(60);
    expect(inFirstTenth).toBeLessThan(140);
  });

  it('decorrelated jitter: each delay is in [base, min(cap, 3 × previous)]', () => {
    const backoff = new ReconnectBackoff({ baseMs: 100, maxMs: 10_000, random: lcg(9), jitter: 'decorrelated' });
    let previous = 100;
    for (let i = 0; i < 200; i += 1) {
      const delay = backoff.next();
      expect(delay).toBeGreaterThanOrEqual(100);
      // next() floors the delay it returns, not the one it remembers: allow the lost fraction.
      expect(delay).toBeLessThanOrEqual(Math.min(10_000, 3 * (previous + 1)));
      previous = delay;
    }
    const top = new ReconnectBackoff({ baseMs: 100, maxMs: 10_000, random: () => 0.999_999, jitter: 'decorrelated' });
    expect(Array.from({ length: 6 }, () => top.next())).toEqual([299, 899, 2699, 8099, 10_000, 10_000]);
  });

  it('is deterministic for a given random source, and reset() starts over', () => {
    const run = (): number[] => {
      const backoff = new ReconnectBackoff({ baseMs: 250, maxMs: 60_000, random: lcg(77) });
      return Array.from({ length: 20 }, () => backoff.next());
    };
    expect(run()).toEqual(run());
    const backoff = new ReconnectBackoff({ baseMs: 100, maxMs: 60_000, random: () => 0.999_999 });
    for (let i = 0; i < 10; i += 1) backoff.next();
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(backoff.next()).toBe(99);
  });

  it('stays finite after very many attempts', () => {
    const backoff = new ReconnectBackoff({ baseMs: 1, maxMs: 1000, random: () => 0.5 });
    for (let i = 0; i < 5000; i += 1) backoff.next();
    expect(backoff.next()).toBe(500);
  });

  it('[CTL-23] refuses nonsense options and a bad random source with a typed error', { tags: ['CTL-23'] }, () => {
    const random = (): number => 0.5;
    expect(codeOf(() => new ReconnectBackoff({ baseMs: 0, maxMs: 10, random }))).toBe('ERR_NETWORK_INVALID_OPTIONS');
    expect(codeOf(() => new ReconnectBackoff({ baseMs: Number.NaN, maxMs: 10, random }))).toBe('ERR_NETWORK_INVALID_OPTIONS');
    expect(codeOf(() => new ReconnectBackoff({ baseMs: 100, maxMs: 10, random }))).toBe('ERR_NETWORK_INVALID_OPTIONS');
    expect(codeOf(() => new ReconnectBackoff({ baseMs: 100, maxMs: Number.POSITIVE_INFINITY, random }))).toBe('ERR_NETWORK_INVALID_OPTIONS');
    expect(codeOf(() => new ReconnectBackoff({ baseMs: 1, maxMs: 10, random: 0.5 as unknown as () => number }))).toBe('ERR_NETWORK_INVALID_OPTIONS');
    expect(codeOf(() => new ReconnectBackoff({ baseMs: 1, maxMs: 10, random, jitter: 'equal' as 'full' }))).toBe('ERR_NETWORK_INVALID_OPTIONS');
    expect(codeOf(() => new ReconnectBackoff({ baseMs: 1, maxMs: 10, random: () => 1 }).next())).toBe('ERR_NETWORK_INVALID_OPTIONS');
  });
});
