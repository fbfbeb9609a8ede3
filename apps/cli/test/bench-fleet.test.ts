import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { FleetBenchResult } from '../src/bench/fleet/run-fleet-benchmark.js';

// The built binary: the gateway runs in a child process and fleet workers in worker threads, both
// of which load the compiled files (npm test builds before testing).
const bin = fileURLToPath(new URL('../dist/bin/medsim.js', import.meta.url));

async function benchFleet(args: readonly string[]): Promise<FleetBenchResult> {
  const { stdout } = await promisify(execFile)(process.execPath, [bin, 'bench', 'fleet', '--json', ...args], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as FleetBenchResult;
}

function expectShape(result: FleetBenchResult, devices: number, workers: number): void {
  expect(result.settings).toMatchObject({ devices, workers, transport: 'mqtt', flashFsync: false, reportMs: 1000 });
  expect(result.start.devices).toBe(devices);
  expect(result.start.online).toBe(devices);
  expect(result.threads.map((t) => t.devices).reduce((a, b) => a + b, 0)).toBe(devices);
  expect(result.threads).toHaveLength(workers);
  // Readings were generated, delivered (PUBACK after the gateway's commit) and stored.
  expect(result.readings.produced).toBeGreaterThan(0);
  expect(result.readings.delivered).toBeGreaterThan(0);
  expect(result.readings.producedPerSecond).toBeCloseTo(result.readings.produced / result.window.seconds, 6);
  expect(result.gateway.storedInWindow).toBeGreaterThan(0);
  expect(result.gateway.refused).toBe(0);
  expect(result.readings.deviceErrors).toBe(0);
  expect(['schedstat', 'stat', 'event-loop']).toContain(result.cpu.method);
  expect(result.cpu.fleetThreadsSeconds).toBeGreaterThan(0);
  for (const value of [result.cpu.fleetThreadsSecondsPerDevicePerMinute, result.memory.rssPerDeviceBytes, result.memory.heapUsedPerDeviceBytes]) {
    expect(Number.isFinite(value)).toBe(true);
  }
  expect(result.notes.some((n) => n.includes('fsync off'))).toBe(true);
}

describe('medsim bench fleet (shape only: speed is never asserted in tests)', () => {
  it('runs a fleet in the main thread against a gateway process and reports rates, CPU and memory per device', async () => {
    const result = await benchFleet(['--devices', '20', '--duration', '2', '--workers', '1']);
    expectShape(result, 20, 1);
    // The default mix: the six monitoring models.
    expect(result.settings.models).toHaveLength(6);
    expect(result.memory.workerThreadsIdleBytes).toBe(0);
  });

  it('splits the fleet over worker threads that enrol through the same gateway', async () => {
    const result = await benchFleet(['--devices', '12', '--duration', '2', '--workers', '2', '--model', 'pulse-oximeter,thermometer']);
    expectShape(result, 12, 2);
    expect(result.settings.models).toEqual(['pulse-oximeter', 'thermometer']);
    expect(result.threads.map((t) => t.devices)).toEqual([6, 6]);
  });

  it('splits the fleet over worker processes whose memory and CPU it sums', async () => {
    const result = await benchFleet(['--devices', '10', '--duration', '2', '--workers', '2', '--processes', '--model', 'heart-rate-sensor']);
    expectShape(result, 10, 2);
    expect(result.settings.isolation).toBe('process');
    expect(result.threads.map((t) => t.thread)).toEqual(['process 1', 'process 2']);
    // Two whole Node.js processes idle: tens of MiB, unlike two threads inside this one.
    expect(result.memory.workerThreadsIdleBytes).toBeGreaterThan(2 * 20 * 1024 * 1024);
    expect(result.cpu.processSeconds).toBeGreaterThan(0);
    expect(result.notes.some((n) => n.includes('each fleet worker run in their own processes'))).toBe(true);
  });
});
