import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin/medsim.js', import.meta.url));
const spec = fileURLToPath(new URL('../../../examples/fleet-every-model.json', import.meta.url));

describe('medsim fleet', () => {
  it('runs the example spec (every model, BLE and MQTT) against an in-process gateway and prints its events as JSON lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medsim-fleet-'));
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [bin, 'fleet', '--spec', spec, '--with-gateway', '--duration', '6', '--json', '--data-dir', dir], { timeout: 120_000 });
      const events = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(events[0]).toMatchObject({ kind: 'control-endpoint' });
      expect(statSync(join(dir, 'control-token')).mode & 0o777).toBe(0o600);
      const online = new Set(events.filter((e) => e['kind'] === 'state' && e['state'] === 'online').map((e) => e['deviceId']));
      expect(online.size).toBe(11);
      const summary = events.at(-1)!;
      expect(summary).toMatchObject({ kind: 'summary', devices: 11 });
      expect(summary['delivered']).toBeGreaterThan(11);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a spec that is not JSON with the usage exit code', async () => {
    const run = promisify(execFile)(process.execPath, [bin, 'fleet', '--spec', '/dev/null', '--with-gateway'], { timeout: 30_000 });
    await expect(run).rejects.toMatchObject({ code: 2 });
  });
});
