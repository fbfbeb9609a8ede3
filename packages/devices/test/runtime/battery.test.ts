import { describe, expect, it } from 'vitest';
import { BATTERY_PROFILES, Battery, type BatteryActivity } from '../../src/runtime/battery.js';

/** mulberry32: seeded activity, so the run replays exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const activity = (random: () => number): BatteryActivity => ({
  radioTxBytes: Math.floor(random() * 5000),
  radioRxBytes: Math.floor(random() * 500),
  measurements: Math.floor(random() * 10),
  idleMs: Math.floor(random() * 3_600_000),
});

describe('Battery', () => {
  it('[CTL-16] drains monotonically to empty, raising low and depleted once each', { tags: ['CTL-16'] }, () => {
    for (const profile of ['ble-coin-cell', 'wifi-li-ion', 'lte-li-ion'] as const) {
      const battery = Battery.fromProfile(profile);
      const events: string[] = [];
      battery.on('low', ({ percent }) => {
        expect(percent).toBeLessThanOrEqual(battery.lowPercent);
        events.push('low');
      });
      battery.on('depleted', () => events.push('depleted'));
      const random = prng(7);
      let last = { mah: battery.remainingMah, percent: battery.percent, voltage: battery.voltage };
      for (let step = 0; step < 1_000_000 && !battery.depleted; step += 1) {
        battery.consume(activity(random));
        const now = { mah: battery.remainingMah, percent: battery.percent, voltage: battery.voltage };
        expect(now.mah).toBeLessThanOrEqual(last.mah);
        expect(now.percent).toBeLessThanOrEqual(last.percent);
        expect(now.voltage).toBeLessThanOrEqual(last.voltage);
        last = now;
      }
      expect(battery.depleted).toBe(true);
      expect(battery.remainingMah).toBe(0);
      expect(battery.consume({ idleMs: 1000 })).toBe(0);
      expect(events).toEqual(['low', 'depleted']);
    }
  });

  it('costs what the model says: 1 h idle at 1 mA is 1 mAh; bytes and measurements in µAh', () => {
    const battery = new Battery({
      chemistry: 'li-ion',
      capacityMah: 100,
      costs: { radioTxPerByteUah: 0.01, radioRxPerByteUah: 0.002, perMeasurementUah: 5, idleCurrentUa: 1000 },
    });
    expect(battery.consume({ idleMs: 3_600_000 })).toBeCloseTo(1, 12);
    expect(battery.consume({ radioTxBytes: 1000, radioRxBytes: 500, measurements: 20 })).toBeCloseTo(0.01 + 0.001 + 0.1, 12);
    expect(battery.percent).toBeCloseTo(100 - 1.111, 9);
  });

  it('reads voltage from the chemistry curve and is deterministic', () => {
    const li = new Battery({ chemistry: 'li-ion' });
    expect(li.voltage).toBe(4.2);
    const coin = new Battery({ chemistry: 'coin-cell', initialPercent: 50 });
    expect(coin.voltage).toBeCloseTo(2.885, 9);
    expect(coin.capacityMah).toBe(BATTERY_PROFILES['ble-coin-cell'].capacityMah);
    expect(new Battery({ chemistry: 'coin-cell', initialPercent: 0 }).voltage).toBe(2.0);
    expect(new Battery({ initialPercent: 15 }).low).toBe(true);

    const a = Battery.fromProfile('lte-li-ion');
    const b = Battery.fromProfile('lte-li-ion');
    const ra = prng(99);
    const rb = prng(99);
    for (let i = 0; i < 500; i += 1) {
      a.consume(activity(ra));
      b.consume(activity(rb));
    }
    expect(a.remainingMah).toBe(b.remainingMah);
    expect(a.voltage).toBe(b.voltage);
  });

  it('charges back to full (a fresh cell for a coin cell), and low can be raised again', () => {
    const battery = Battery.fromProfile('ble-coin-cell', { initialPercent: 11 });
    let lows = 0;
    battery.on('low', () => (lows += 1));
    battery.consume({ idleMs: 3_600_000 * 500 });
    expect(lows).toBe(1);
    battery.charge();
    expect(battery.percent).toBe(100);
    expect(battery.low).toBe(false);
    battery.consume({ idleMs: 3_600_000 * 45_000 });
    expect(lows).toBe(2);
  });

  it('refuses negative activity and nonsensical options', () => {
    const battery = new Battery();
    expect(() => battery.consume({ radioTxBytes: -1 })).toThrow(RangeError);
    expect(() => battery.consume({ idleMs: Number.NaN })).toThrow(RangeError);
    expect(() => new Battery({ capacityMah: 0 })).toThrow(RangeError);
    expect(() => new Battery({ initialPercent: 101 })).toThrow(RangeError);
  });
});
