/**
 * `medsim report` end to end on a given test result: a run in which one CTL-07 test failed writes
 * the whole submission set and never shows a requirement mapped to CTL-07 as applied; the exit code
 * says a test failed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin/medsim.js', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/u, '');
const fixture = fileURLToPath(new URL('../../../packages/compliance/test/fixtures/vitest/ctl07-failed.json', import.meta.url));

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function run(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, 'report', ...args], { maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

describe('medsim report', () => {
  it('writes the checklists, the risk file, the V&V report, the evidence and the SBOM from a run; a failed CTL-07 test makes its requirements gaps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medsim-report-'));
    dirs.push(dir);
    // The fixture's files sit under "/repo": here they are test files of this repository.
    const results = join(dir, 'results.json');
    writeFileSync(results, readFileSync(fixture, 'utf8').replaceAll('/repo/', `${root}/`));
    const out = join(dir, 'submission');
    const { code, stdout } = await run(['--results', results, '--out', out, '--json']);
    expect(code).toBe(1);
    const summary = JSON.parse(stdout) as { files: string[]; profiles: { profile: string; applied: number; gap: number }[]; sbom: { components: number; withHashes: number } };
    expect(new Set(readdirSync(out))).toEqual(new Set(summary.files));
    for (const name of ['checklist-mfds-2019.md', 'checklist-mfds-2019.html', 'checklist-mfds-2024.md', 'checklist-fda-premarket.html', 'risk-management-file.md', 'risk-management-file.html', 'vv-report.md', 'vv-report.html', 'evidence-mfds-2022.json', 'sbom.cdx.json']) {
      expect(summary.files).toContain(name);
    }
    expect(summary.profiles.map((p) => p.profile)).toEqual(['mfds-2019', 'mfds-2022', 'mfds-2024', 'fda-premarket']);
    expect(summary.profiles.every((p) => p.gap > 0)).toBe(true);
    const checklist = readFileSync(join(out, 'checklist-mfds-2019.md'), 'utf8');
    expect(checklist.split('\n').find((line) => line.startsWith('| **2.1**'))).toContain('GAP');
    expect(summary.sbom.withHashes).toBeGreaterThan(100);
    const bom = JSON.parse(readFileSync(join(out, 'sbom.cdx.json'), 'utf8')) as { bomFormat: string; specVersion: string };
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6' });
  });

  it('refuses an unknown profile with exit code 2', async () => {
    const { code, stderr } = await run(['--profile', 'iso-27001', '--results', fixture, '--no-sbom']);
    expect(code).toBe(2);
    expect(stderr).toContain('--profile must be one of');
  });
});
