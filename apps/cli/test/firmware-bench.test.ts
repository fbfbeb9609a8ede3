import { describe, expect, it } from 'vitest';
import { runFirmwareBenchmark } from '../src/bench/firmware/verify-benchmark.js';

describe('medsim bench firmware (shape only: speed is never asserted in tests)', () => {
  it('streams one image through raw SHA-256 and the image verifier in paired rounds and reports the ratio against the goal', () => {
    let rounds = 0;
    const result = runFirmwareBenchmark({ imageMiB: 1, rounds: 3, chunkKiB: 16, onRound: () => (rounds += 1) });
    expect(rounds).toBe(3);
    expect(result.settings).toEqual({ imageBytes: 1024 * 1024 + 128 + 144, rounds: 3, chunkBytes: 16 * 1024 });
    expect(result.rawSha256MBps).toBeGreaterThan(0);
    expect(result.verifyMBps).toBeGreaterThan(0);
    expect(result.ratio).toBeGreaterThan(0);
    expect(result.goals).toEqual([{ goal: 'streaming image verification / raw SHA-256 of the same bytes', target: 0.9, actual: result.ratio, met: result.ratio >= 0.9 }]);
  });
});
