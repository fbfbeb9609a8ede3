import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin/medsim.js', import.meta.url));

describe('medsim start (what npm start runs)', () => {
  it('[CTL-03][CTL-05][CTL-07] runs a gateway with a demo fleet; readings flow and every attack fails', { tags: ['CTL-03', 'CTL-05', 'CTL-07'] }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medsim-start-'));
    const dataDir = join(dir, 'demo');
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [bin, 'start', '--duration', '4', '--json', '--data-dir', dataDir, '--mqtt-port', '0', '--http-port', '0', '--firmware-port', '0'], { timeout: 90_000 });
      const events = stdout.trim().split('\n').map((line) => JSON.parse(line) as { kind: string; passed?: boolean; title?: string; readingsStored?: number; checks?: number });
      const checks = events.filter((e) => e.kind === 'check');
      expect(checks.filter((c) => c.passed !== true).map((c) => c.title)).toEqual([]);
      expect(checks.length).toBeGreaterThanOrEqual(13);
      // One simulated device of every model.
      expect(events.filter((e) => e.kind === 'device')).toHaveLength(9);
      expect(events.filter((e) => e.kind === 'reading').length).toBeGreaterThan(3);
      expect(events.filter((e) => e.kind === 'account').map((e) => (e as unknown as { username: string }).username)).toContain('admin');
      const summary = events.at(-1)!;
      expect(summary).toMatchObject({ kind: 'summary' });
      expect(summary.readingsStored).toBeGreaterThan(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
