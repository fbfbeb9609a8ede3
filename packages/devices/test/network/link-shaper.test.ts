/**
 * The timing model alone, on a made-up clock: exact and deterministic, where the socket tests
 * (fault-proxy.test.ts) can only check bounds on a noisy machine.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinkShaper, MAX_CONSECUTIVE_RETRANSMISSIONS, MIN_RTO_MS } from '../../src/network/link-shaper.js';
import { lcg, testProfile } from './fixtures.js';

describe('LinkShaper', () => {
  it('adds the one-way latency to every chunk when the link is otherwise ideal', () => {
    const shaper = new LinkShaper(testProfile({ latencyMs: 40 }), lcg(1));
    expect(shaper.schedule(100, 0)).toEqual([{ offset: 0, length: 100, deliverAt: 40, retransmissions: 0 }]);
    expect(shaper.schedule(100, 10)[0]?.deliverAt).toBe(50);
  });

  it('keeps jitter within latency ± jitter and never delivers a chunk before an earlier one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 200_000 }), fc.integer({ min: 0, max: 30 })), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 200 }),
        (seed, chunks, latencyMs, jitterMs) => {
          const shaper = new LinkShaper(testProfile({ latencyMs, jitterMs, lossRate: 0.1, bandwidthBitsPerSecond: 8_000_000 }), lcg(seed));
          let now = 0;
          let last = Number.NEGATIVE_INFINITY;
          for (const [size, gap] of chunks) {
            now += gap;
            const slices = shaper.schedule(size, now);
            expect(slices.reduce((sum, s) => sum + s.length, 0)).toBe(size);
            let offset = 0;
            for (const slice of slices) {
              expect(slice.offset).toBe(offset);
              offset += slice.length;
              expect(slice.deliverAt).toBeGreaterThanOrEqual(last);
              expect(slice.deliverAt).toBeGreaterThanOrEqual(now + Math.max(0, latencyMs - jitterMs));
              last = slice.deliverAt;
            }
          }
        },
      ),
      { seed: 20_260_817, numRuns: 100 },
    );
  });

  it('draws jitter both ways around the latency (uniform, clamped at zero)', () => {
    const shaper = new LinkShaper(testProfile({ latencyMs: 100, jitterMs: 50 }), lcg(7));
    // Chunks 1 s apart so that head-of-line blocking never applies.
    const delays = Array.from({ length: 2000 }, (_, i) => shaper.schedule(10, i * 1000)[0]!.deliverAt - i * 1000);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...delays)).toBeLessThanOrEqual(150);
    expect(Math.min(...delays)).toBeLessThan(55);
    expect(Math.max(...delays)).toBeGreaterThan(145);
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    expect(mean).toBeGreaterThan(97);
    expect(mean).toBeLessThan(103);
  });

  it('caps bandwidth with a token bucket: 200 KiB at 1 Mbit/s takes 1.6 s, in slices of the bucket', () => {
    const shaper = new LinkShaper(testProfile({ bandwidthBitsPerSecond: 1_000_000 }), lcg(3));
    // 1 Mbit/s = 125 bytes/ms; the bucket holds 20 ms = 2,500 bytes.
    expect(shaper.burstBytes).toBe(2500);
    const slices = shaper.schedule(200 * 1024, 0);
    expect(slices).toHaveLength(Math.ceil((200 * 1024) / 2500));
    expect(Math.max(...slices.map((s) => s.length))).toBe(2500);
    const last = slices.at(-1)!.deliverAt;
    // The first bucketful leaves at once, the rest at the rate.
    expect(last).toBeCloseTo((200 * 1024 - 2500) / 125, 6);
    // Later chunks queue behind the earlier ones on the same link.
    expect(shaper.schedule(125, 0)[0]!.deliverAt).toBeCloseTo(last + 1, 6);
  });

  it('refills the bucket while idle, up to its depth', () => {
    const shaper = new LinkShaper(testProfile({ bandwidthBitsPerSecond: 1_000_000 }), lcg(3));
    shaper.schedule(2500, 0); // empties the bucket
    expect(shaper.schedule(1250, 0)[0]!.deliverAt).toBeCloseTo(10, 6); // waits for 1,250 tokens
    expect(shaper.schedule(2500, 1000)[0]!.deliverAt).toBe(1000); // a full bucket after 1 s idle
  });

  it('models a loss as a retransmission timeout, doubling on repeated loss, at most 6 times', () => {
    // A generator that always "loses": every retransmission is lost again until the cap.
    const shaper = new LinkShaper(testProfile({ latencyMs: 100, lossRate: 0.5 }), () => 0);
    // RTO = max(200 ms, 2 × RTT) = 400 ms; 6 doublings: 400 × (2^6 - 1).
    expect(shaper.rtoMs).toBe(400);
    const [slice] = shaper.schedule(10, 0);
    expect(slice?.retransmissions).toBe(MAX_CONSECUTIVE_RETRANSMISSIONS);
    expect(slice?.deliverAt).toBe(100 + 400 * (2 ** MAX_CONSECUTIVE_RETRANSMISSIONS - 1));
    // On a short path the RTO floor applies.
    expect(new LinkShaper(testProfile({ latencyMs: 5, lossRate: 0.1 }), () => 0).rtoMs).toBe(MIN_RTO_MS);
  });

  it('loses about lossRate of the chunks, and a lost chunk holds back the ones behind it', () => {
    const shaper = new LinkShaper(testProfile({ latencyMs: 10, lossRate: 0.05 }), lcg(11));
    let retransmitted = 0;
    let blockedBehindLoss = 0;
    let pendingLossUntil = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < 4000; i += 1) {
      const [slice] = shaper.schedule(100, i);
      if (slice!.retransmissions > 0) {
        retransmitted += 1;
        pendingLossUntil = slice!.deliverAt;
      } else if (slice!.deliverAt === pendingLossUntil) {
        blockedBehindLoss += 1;
      }
    }
    // P(at least one retransmission) = 5 %: 200 of 4,000, with a wide margin.
    expect(retransmitted).toBeGreaterThan(140);
    expect(retransmitted).toBeLessThan(260);
    expect(blockedBehindLoss).toBeGreaterThan(0);
  });

  it('is deterministic for a seed', () => {
    const run = (seed: number): number[] => {
      const shaper = new LinkShaper(testProfile({ latencyMs: 30, jitterMs: 20, lossRate: 0.1, bandwidthBitsPerSecond: 2e6 }), lcg(seed));
      return Array.from({ length: 50 }, (_, i) => shaper.schedule(3000, i * 5).map((s) => s.deliverAt)).flat();
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
  });

  it('applies a new profile to later chunks only, and places the end of stream after every byte', () => {
    const shaper = new LinkShaper(testProfile({ latencyMs: 500 }), lcg(5));
    const first = shaper.schedule(10, 0)[0]!.deliverAt;
    shaper.setProfile(testProfile({ latencyMs: 1 }));
    expect(first).toBe(500);
    // In-order delivery: the faster profile cannot overtake the slow chunk already in flight.
    expect(shaper.schedule(10, 1)[0]!.deliverAt).toBe(500);
    expect(shaper.schedule(10, 600)[0]!.deliverAt).toBe(601);
    expect(shaper.scheduleEnd(600)).toBe(601);
  });
});
