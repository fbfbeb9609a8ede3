import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { BenchmarkResult } from 'medsim';

// The built binary: each benchmark path runs in a worker thread, which loads the compiled files
// (npm test builds before testing).
const bin = fileURLToPath(new URL('../dist/bin/medsim.js', import.meta.url));

describe('medsim bench (shape only: speed is never asserted in tests)', () => {
  it('measures every path at every size and computes ratios and goals from the measurements', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'bench', 'crypto', '--json', '--rounds', '3', '--slice-ms', '40', '--sizes', '64,16384', '--no-openssl']);
    const result = JSON.parse(stdout) as BenchmarkResult;
    expect(result.results.map((r) => `${r.path}/${r.bytes}`).sort()).toEqual(
      ['jwe/16384', 'jwe/64', 'raw/16384', 'raw/64', 'tuned/16384', 'tuned/64', 'waveform/16384', 'waveform/64'],
    );
    for (const r of result.results) {
      expect(r.messagesPerSecond).toBeGreaterThan(0);
      expect(r.megabytesPerSecond).toBeCloseTo((r.messagesPerSecond * r.bytes) / 1e6, 6);
    }
    expect(result.ratios).toHaveLength(6);
    for (const r of result.ratios) expect(r.ratio).toBeGreaterThan(0);
    // 256 B was not measured and openssl was off: those goals are unknown, not guessed.
    expect(result.goals.map((g) => g.met)).toEqual([undefined, undefined, undefined]);
    expect(result.handshakesPerSecond).toBeGreaterThan(0);
  });
});
