import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DATA_FILES, openDatabase } from '@medsim/gateway';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin/medsim.js', import.meta.url));
const run = (...args: string[]) =>
  promisify(execFile)(process.execPath, [bin, ...args], { timeout: 60_000 }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );

describe('medsim admin create and medsim audit verify|export', () => {
  it('[CTL-14][CTL-02] creates users with generated passwords, and the audit verifier catches an edited entry', { tags: ['CTL-14', 'CTL-02'] }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medsim-audit-'));
    try {
      const created = await run('admin', 'create', '--username', 'alice', '--role', 'technician', '--data-dir', dir, '--json');
      expect(created.code).toBe(0);
      const user = JSON.parse(created.stdout) as { password: string; totpUri?: string };
      expect(user.password).toMatch(/^[a-zA-Z0-9]{4}(-[a-zA-Z0-9]{4}){5}$/u);
      expect(user.totpUri).toMatch(/^otpauth:\/\/totp\//u);
      expect((await run('admin', 'create', '--username', 'bob', '--role', 'clinician', '--data-dir', dir, '--json')).code).toBe(0);

      const verified = await run('audit', 'verify', '--data-dir', dir, '--json');
      expect(verified.code).toBe(0);
      expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });
      const exported = (await run('audit', 'export', '--data-dir', dir)).stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string });
      expect(exported.map((e) => e.event)).toContain('user.create');
      expect(exported.length).toBe((JSON.parse(verified.stdout) as { entries: number }).entries);

      const db = openDatabase(join(dir, DATA_FILES.database));
      db.prepare("UPDATE audit_log SET outcome = 'failure' WHERE seq = 2").run();
      db.close();
      const broken = await run('audit', 'verify', '--data-dir', dir, '--json');
      expect(broken.code).toBe(1);
      expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, firstBad: { seq: 2 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
