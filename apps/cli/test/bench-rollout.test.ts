import { execFile } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROLLOUT_LIMITS, rolloutSettings, type RolloutBenchResult } from '../src/bench/rollout/run-rollout-benchmark.js';

// The built binary: the gateway runs in a child process, which loads the compiled files (npm test
// builds before testing).
const bin = fileURLToPath(new URL('../dist/bin/medsim.js', import.meta.url));
const run = promisify(execFile);

describe('medsim bench rollout (shape only: speed is never asserted in tests)', () => {
  it('publishes a release, has a staged campaign approved and updates every device through the gateway, counting the bytes it moved', async () => {
    const { stdout } = await run(process.execPath, [bin, 'bench', 'rollout', '--json', '--devices', '6', '--image-kib', '64', '--concurrency', '4', '--stages', '50,100'], { maxBuffer: 16 * 1024 * 1024 });
    const result = JSON.parse(stdout) as RolloutBenchResult;
    const { settings, rollout, bytes } = result;
    expect(settings).toMatchObject({ devices: 6, imageKiB: 64, concurrency: 4, stages: [50, 100], flashFsync: false });
    // The image: a 64 KiB payload with its header and signature TLVs.
    expect(settings.imageBytes).toBeGreaterThan(64 * 1024);

    // Every device confirmed, runs 1.1.0 with the raised counter in its own bootloader, and the gateway completed the campaign.
    expect(rollout).toMatchObject({ confirmed: 6, failed: 0, waiting: 0, runningNewVersion: 6, campaignStatus: 'completed' });
    expect(rollout.firstFailure).toBeUndefined();
    // Stage 1 offered half the cohort; devices of stage 2 that asked before it opened found nothing (with 4
    // updating at once, at least one of the first 4 is a stage-2 device, and its one request beats 3 updates).
    expect(result.stages.map(({ percent, devices, confirmed }) => ({ percent, devices, confirmed }))).toEqual([
      { percent: 50, devices: 3, confirmed: 3 },
      { percent: 100, devices: 3, confirmed: 3 },
    ]);
    expect(rollout.emptyChecks).toBeGreaterThanOrEqual(1);
    expect(bytes.emptyPolls).toBe(rollout.emptyChecks);
    const stageEnds = result.stages.map((s) => s.endSeconds!);
    expect(stageEnds[1]).toBeCloseTo(rollout.seconds, 6);
    expect(stageEnds[0]).toBeLessThanOrEqual(stageEnds[1]!);

    // Bytes: every device fetched the whole image at least once, the metadata and its instruction, and reported.
    expect(bytes.image.requests).toBeGreaterThanOrEqual(6);
    expect(bytes.image.bytes).toBeGreaterThanOrEqual(6 * settings.imageBytes);
    expect(bytes.metadata.bytes).toBeGreaterThan(0);
    expect(bytes.instructions.requests).toBeGreaterThanOrEqual(6);
    // Per device at least: trial and confirmed after the reboot, installed before it.
    expect(bytes.reports.requests).toBeGreaterThanOrEqual(6 * 3);
    const payload = bytes.image.bytes + bytes.metadata.bytes + bytes.instructions.bytes + bytes.reports.bytes;
    expect(bytes.payloadPerDevice).toBeCloseTo(payload / 6, 6);
    expect(bytes.payloadOverhead).toBeGreaterThanOrEqual(1);
    // The wire carries the payload plus TLS and HTTP, in at least one connection per device before and after its reboot.
    expect(bytes.wire.bytesIn + bytes.wire.bytesOut).toBeGreaterThan(payload);
    expect(bytes.wireOverhead).toBeGreaterThan(bytes.payloadOverhead);
    expect(bytes.wire.connections).toBeGreaterThanOrEqual(12);

    for (const value of [rollout.seconds, rollout.devicesPerMinute, result.perDevice.p50Seconds, result.perDevice.p95Seconds, result.cpu.devicesSeconds, result.cpu.gatewaySeconds]) {
      expect(Number.isFinite(value) && value > 0).toBe(true);
    }
    expect(result.perDevice.p50Seconds).toBeLessThanOrEqual(result.perDevice.p95Seconds);
    expect(result.notes.some((n) => n.includes('fsync off'))).toBe(true);
  });

  it('refuses settings outside its limits before it starts anything (usage error, exit 2)', async () => {
    const refused = run(process.execPath, [bin, 'bench', 'rollout', '--stages', '50']);
    await expect(refused).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('rollout: stages must be') });
  });

  it('checks every setting against its limit and the campaign stage rule', () => {
    expect(rolloutSettings({})).toEqual({ devices: 1000, imageKiB: 1024, concurrency: 32, stages: [100] });
    const limit = (settings: Parameters<typeof rolloutSettings>[0]): string => {
      try {
        rolloutSettings(settings);
        return 'accepted';
      } catch (error) {
        expect(error).toBeInstanceOf(RangeError);
        return (error as Error).message.split(' ')[0]!;
      }
    };
    expect(limit({ devices: ROLLOUT_LIMITS.maxDevices, imageKiB: 1, concurrency: ROLLOUT_LIMITS.maxConcurrency })).toBe('accepted');
    for (const devices of [0, 1.5, ROLLOUT_LIMITS.maxDevices + 1, Number.NaN]) expect(limit({ devices })).toBe('devices');
    for (const imageKiB of [0, ROLLOUT_LIMITS.maxImageKiB + 1]) expect(limit({ imageKiB })).toBe('image');
    for (const concurrency of [0, ROLLOUT_LIMITS.maxConcurrency + 1]) expect(limit({ concurrency })).toBe('concurrency');
    for (const stages of [[], [50], [50, 50, 100], [0, 100], [100, 100], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100]]) expect(limit({ stages })).toBe('stages');
    expect(limit({ stages: [1, 2, 3, 4, 5, 6, 7, 8, 9, 100] })).toBe('accepted');
    // Every device keeps two images on disk: the largest run needs ~500 GiB in the temp directory.
    const disk = statfsSync(tmpdir());
    const largest = { devices: ROLLOUT_LIMITS.maxDevices, imageKiB: ROLLOUT_LIMITS.maxImageKiB };
    const needed = largest.devices * 2 * largest.imageKiB * 1024;
    expect(limit(largest)).toBe(needed > disk.bavail * disk.bsize ? 'the' : 'accepted');
  });
});
