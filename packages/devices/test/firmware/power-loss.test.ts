/**
 * Power loss at every write step of an update (MCUboot sim `perm_with_fails`,
 * `perm_with_random_fails`, `status_write_fails_*`; attacks-and-faults.md section 1.3). One full
 * update is: boot, install in chunks, finish (power cycle 1); trial boot, health check, confirm
 * (power cycle 2). Its K flash writes are counted by a FlashFaults injector; then for EVERY k in
 * 1..K power is cut at write k (a torn write: a drawn fraction of its bytes lands), the device is
 * reopened and booted, and:
 *
 * - it runs a valid image, byte-identical (hash) to the old or the new one;
 * - the OTP counter is the old value or the new one, never anything else;
 * - the update, taken up again, completes, and a second full update after it succeeds.
 *
 * Chunk size and torn fraction are drawn by fast-check with a fixed seed, so every run checks the
 * same cases.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Bootloader, FlashFaults, OtpCounter, type TornWrite } from '../../src/index.js';
import { cleanup, hashOf, install, makeImage, optionsFor, provisioned } from './fixtures.js';

const v1 = makeImage('1.0.0', 1);
const v2 = makeImage('1.1.0', 2);
const v3 = makeImage('1.2.0', 3);
const HASHES = [hashOf(v1), hashOf(v2)];

afterEach(cleanup);

const codeOfError = (error: unknown): string | undefined => (error as { code?: string }).code;

/**
 * The update agent: power cycles until `image` runs confirmed. Each cycle boots; a trial of the
 * image is health-checked and confirmed; anything else gets the image installed (resumed when an
 * install was cut). Returns the number of power cycles; throws what the bootloader throws.
 */
function agentUpdate(dir: string, image: Uint8Array, chunk: number, faults?: FlashFaults): number {
  const hash = hashOf(image);
  for (let cycle = 1; cycle <= 6; cycle += 1) {
    const loader = Bootloader.open(dir, optionsFor(faults));
    try {
      const result = loader.boot();
      if (result.mode === 'application' && result.image.hash === hash) {
        if (result.trial) {
          expect(loader.healthCheck().healthy).toBe(true);
          loader.confirm();
        }
        return cycle;
      }
      install(loader, image, chunk);
    } finally {
      loader.close();
    }
  }
  throw new Error('the update did not complete in 6 power cycles');
}

/** Reopens `dir` and boots it (with `faults`, which may cut this boot too); checks the invariant. */
function bootAndCheck(dir: string, faults?: FlashFaults): void {
  const loader = Bootloader.open(dir, optionsFor(faults));
  try {
    const result = loader.boot();
    expect(result.mode).toBe('application');
    if (result.mode === 'application') expect(HASHES).toContain(result.image.hash);
    expect([1, 2]).toContain(loader.securityCounter);
  } finally {
    loader.close();
  }
}

/** The counter as the fuses hold it (a read: no write). */
function fuses(dir: string): number {
  const otp = OtpCounter.open(dir);
  try {
    return otp.read();
  } finally {
    otp.close();
  }
}

/** Writes of one full update with `chunk`-byte chunks. */
function countWrites(chunk: number): number {
  const faults = new FlashFaults();
  expect(agentUpdate(provisioned(v1), v2, chunk, faults)).toBe(2);
  return faults.writes;
}

const tornBy = (permille: number): TornWrite => (length) => Math.floor((length * permille) / 1000);

describe('power loss during an update', () => {
  it('counts the writes of one update: marks, chunks with their progress, pending, trial, confirm, counter', () => {
    // 16,656-byte image in 4 KiB chunks: 5 chunks.
    expect(countWrites(4096)).toBe(1 + 2 * 5 + 1 + 1 + 2);
  });

  it('[CTL-12][CTL-13][CTL-16] power lost at EVERY write k of an update: the device boots the old or the new image, the counter is the old or the new value, and updating still works (property)', { tags: ['CTL-12', 'CTL-13', 'CTL-16'] }, () => {
    let scenarios = 0;
    fc.assert(
      fc.property(fc.constantFrom(2048, 4096, 16 * 1024), fc.integer({ min: 0, max: 1000 }), (chunk, permille) => {
        const total = countWrites(chunk);
        for (let k = 1; k <= total; k += 1) {
          const dir = provisioned(v1);
          const faults = new FlashFaults().powerLossAt(k, tornBy(permille));
          let lost: unknown;
          try {
            agentUpdate(dir, v2, chunk, faults);
          } catch (error) {
            lost = error;
          }
          expect(codeOfError(lost)).toBe('ERR_BOOT_POWER_LOST');
          expect(faults.writes).toBe(k);
          expect([1, 2]).toContain(fuses(dir));
          bootAndCheck(dir);
          if (k === total) {
            // The last write is the counter's burn: the image is confirmed, so it stays, and its boot finishes the raise.
            const loader = Bootloader.open(dir, optionsFor());
            expect(loader.boot()).toMatchObject({ mode: 'application', image: { hash: hashOf(v2) }, trial: false });
            expect(loader.securityCounter).toBe(2);
            loader.close();
          }
          agentUpdate(dir, v2, chunk);
          expect(fuses(dir)).toBe(2);
          agentUpdate(dir, v3, chunk);
          expect(fuses(dir)).toBe(3);
          scenarios += 1;
          cleanup();
        }
      }),
      { seed: 0x5eed_b007, numRuns: 4 },
    );
    // Every run covers at least the 9 writes of a 2-chunk update.
    expect(scenarios).toBeGreaterThanOrEqual(4 * 9);
  });

  it('[CTL-12][CTL-13][CTL-16] several power losses in one update, during recovery boots too: every boot runs the old or the new image and the update completes (property)', { tags: ['CTL-12', 'CTL-13', 'CTL-16'] }, () => {
    const total = countWrites(4096);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 3 * total }), { minLength: 2, maxLength: 5 }), fc.integer({ min: 0, max: 1000 }), (points, permille) => {
        const dir = provisioned(v1);
        const faults = new FlashFaults();
        for (const point of points) faults.powerLossAt(point, tornBy(permille));
        let losses = 0;
        for (;;) {
          try {
            agentUpdate(dir, v2, 4096, faults);
            break;
          } catch (error) {
            expect(codeOfError(error)).toBe('ERR_BOOT_POWER_LOST');
            losses += 1;
          }
          expect([1, 2]).toContain(fuses(dir));
          // The recovery boot runs with the same injector: it may be cut as well.
          try {
            bootAndCheck(dir, faults);
          } catch (error) {
            expect(codeOfError(error)).toBe('ERR_BOOT_POWER_LOST');
            losses += 1;
          }
          expect(losses).toBeLessThanOrEqual(points.length);
        }
        expect(losses).toBe(points.filter((p) => p <= faults.writes).length);
        expect(fuses(dir)).toBe(2);
        agentUpdate(dir, v3, 4096);
        expect(fuses(dir)).toBe(3);
        cleanup();
      }),
      { seed: 0x5eed_0005, numRuns: 40 },
    );
  });

  it('[CTL-16] a write that fails (EIO) at EVERY step k of an update: the device still boots the old or the new image and the update completes on retry', { tags: ['CTL-16'] }, () => {
    const total = countWrites(4096);
    const outcomes = new Set<string>();
    for (let k = 1; k <= total; k += 1) {
      const dir = provisioned(v1);
      let failure: string | undefined;
      try {
        agentUpdate(dir, v2, 4096, new FlashFaults().failAt(k));
      } catch (error) {
        failure = codeOfError(error);
      }
      // Either the step reported the failure, or boot went on without it (a trial it could not start waits for the next boot).
      outcomes.add(failure ?? 'absorbed');
      expect([undefined, 'ERR_BOOT_WRITE_FAILED']).toContain(failure);
      bootAndCheck(dir);
      agentUpdate(dir, v2, 4096);
      expect(fuses(dir)).toBe(2);
      cleanup();
    }
    expect(outcomes).toEqual(new Set(['ERR_BOOT_WRITE_FAILED', 'absorbed']));
  });
});
