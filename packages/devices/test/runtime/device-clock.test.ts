import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_DRIFT_PPM, DeviceClock, seededDriftPpm } from '../../src/runtime/device-clock.js';

const DAY_MS = 86_400_000;

/** A controlled base clock. */
function baseClock(start = 1_767_225_600_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('DeviceClock', () => {
  it('drifts by its ppm: +50 ppm gains 4.32 s a day, -20 ppm loses 1.728 s', () => {
    const base = baseClock();
    const fast = new DeviceClock({ base: base.now, driftPpm: 50 });
    const slow = new DeviceClock({ base: base.now, driftPpm: -20 });
    const exact = new DeviceClock({ base: base.now });
    base.advance(DAY_MS);
    expect(fast.offsetMs).toBeCloseTo(4320, 6);
    expect(slow.offsetMs).toBeCloseTo(-1728, 6);
    expect(exact.offsetMs).toBe(0);
  });

  it('derives its drift from a seed: reproducible, within ±50 ppm, different per device', () => {
    const drifts = Array.from({ length: 200 }, (_, i) => seededDriftPpm(`oximeter-${i}`));
    expect(seededDriftPpm('oximeter-0')).toBe(drifts[0]);
    for (const d of drifts) expect(Math.abs(d)).toBeLessThanOrEqual(DEFAULT_MAX_DRIFT_PPM);
    expect(new Set(drifts).size).toBe(200);
    // Spread over the range, both signs.
    expect(Math.min(...drifts)).toBeLessThan(-40);
    expect(Math.max(...drifts)).toBeGreaterThan(40);
    expect(new DeviceClock({ seed: 'oximeter-7' }).driftPpm).toBe(drifts[7]);
    expect(new DeviceClock({ seed: 'oximeter-7', driftPpm: 3 }).driftPpm).toBe(3);
    expect(Math.abs(seededDriftPpm('x', 10))).toBeLessThanOrEqual(10);
  });

  it('applies an initial offset and injected skew, forwards and backwards', () => {
    const base = baseClock();
    const clock = new DeviceClock({ base: base.now, offsetMs: -30_000 });
    expect(clock.offsetMs).toBe(-30_000);
    clock.skew(5 * 60_000);
    expect(clock.offsetMs).toBe(4.5 * 60_000);
    base.advance(1000);
    clock.skew(-2 * 3_600_000);
    expect(clock.now()).toBe(base.now() + 4.5 * 60_000 - 2 * 3_600_000);
  });

  it('resync steps forward at once and steps back only beyond the slew limit', () => {
    const base = baseClock();
    const clock = new DeviceClock({ base: base.now });
    clock.skew(-90_000);
    expect(clock.setFromNetwork(base.now())).toEqual({ kind: 'step', errorMs: 90_000 });
    expect(clock.offsetMs).toBe(0);
    clock.skew(3_600_000);
    expect(clock.setFromNetwork(base.now())).toEqual({ kind: 'step', errorMs: -3_600_000 });
    expect(clock.offsetMs).toBe(0);
    expect(clock.setFromNetwork(base.now())).toEqual({ kind: 'none', errorMs: 0 });
  });

  it('slews a small backward correction: time never decreases, and the error is absorbed at the slew rate', () => {
    const base = baseClock();
    const clock = new DeviceClock({ base: base.now, driftPpm: 40 });
    clock.skew(800);
    const correction = clock.setFromNetwork(base.now());
    expect(correction.kind).toBe('slew');
    expect(correction.errorMs).toBe(-800);
    expect(clock.slewing).toBe(true);
    let last = clock.now();
    expect(last).toBe(base.now() + 800);
    // 10 % slow: 800 ms take 8 s of device time; sample every 100 ms.
    for (let i = 0; i < 100; i += 1) {
      base.advance(100);
      const now = clock.now();
      expect(now).toBeGreaterThan(last);
      last = now;
    }
    expect(clock.slewing).toBe(false);
    // Only the drift since the resync remains: 10 s at 40 ppm = 0.4 ms, below the clock's 1 ms resolution.
    expect(clock.offsetMs).toBe(Math.floor(10_000 * 40e-6));
  });

  it('refuses nonsensical options', () => {
    expect(() => new DeviceClock({ slewRate: 1 })).toThrow(RangeError);
    expect(() => new DeviceClock({ driftPpm: Number.NaN })).toThrow(RangeError);
    expect(() => new DeviceClock().skew(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
