/**
 * The reader against a report vitest itself writes: a child vitest runs the deliberately red suite
 * in ../fixtures/vitest-suite (a pass, a failure, a skip, a todo, tests stopped by a failing hook, a
 * file that fails to import) with the json reporter, and the evaluation of that report is checked.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestRun } from '../../src/model.js';
import { evaluateControls, unlinkedFailures } from '../../src/evaluation/index.js';
import { FILE_FAILURE_NAME, readVitestReportFile } from '../../src/results/index.js';
import { fixtureControls } from '../fixtures/evidence-catalogue.js';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const suite = fileURLToPath(new URL('../fixtures/vitest-suite/', import.meta.url));
const SUITE_FILE = 'packages/compliance/test/fixtures/vitest-suite/evidence.suite.ts';
const IMPORT_ERROR_FILE = 'packages/compliance/test/fixtures/vitest-suite/import-error.suite.ts';

/** Runs the fixture suite in a child vitest (without this run's VITEST_* variables) and resolves with its exit code. */
function runFixtureSuite(outputFile: string): Promise<number | null> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')));
  const child = spawn(
    process.execPath,
    [join(repo, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'vitest.config.ts', '--reporter=json', `--outputFile=${outputFile}`],
    { cwd: suite, env, stdio: 'ignore' },
  );
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
}

describe('a real vitest 4 JSON report of a red suite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'compliance-real-report-'));
  let exitCode: number | null;
  let run: TestRun;

  beforeAll(async () => {
    const output = join(dir, 'vitest.json');
    exitCode = await runFixtureSuite(output);
    run = await readVitestReportFile(output, { rootDir: repo });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('comes from a run that failed', () => {
    expect(exitCode).toBe(1);
  });

  it('gives each test its outcome and its ids, inherited describe tags and describe prefixes included', () => {
    const inSuite = run.tests.filter((t) => t.file === SUITE_FILE && t.name !== FILE_FAILURE_NAME);
    expect(inSuite.map((t) => [t.name, t.outcome, t.ids])).toEqual([
      ['transfer > [C4] a flipped bit is refused', 'passed', ['CTL-07', 'C4']],
      ['transfer > [CTL-08] a replay is refused (fails on purpose)', 'failed', ['CTL-07', 'CTL-08']],
      ['transfer > [CTL-09] skipped on purpose', 'skipped', ['CTL-07', 'CTL-09']],
      ['transfer > [CTL-10] written later', 'skipped', ['CTL-07', 'CTL-10']],
      ['[CTL-13] boot > [U3] never runs: its hook failed', 'skipped', ['U3', 'CTL-13']],
    ]);
    expect(inSuite[1]?.failure).toBe("AssertionError: expected 'accepted' to be 'refused' // Object.is equality");
  });

  it('turns the failing hook into a failure of the file charged to its ids: CTL-13 is a gap, not "not verified"', () => {
    const fileFailure = run.tests.find((t) => t.file === SUITE_FILE && t.name === FILE_FAILURE_NAME);
    expect(fileFailure).toMatchObject({ outcome: 'failed' });
    expect(fileFailure?.ids).toEqual(expect.arrayContaining(['CTL-13', 'U3', 'CTL-07', 'CTL-08', 'CTL-09']));
    const statuses = Object.fromEntries(evaluateControls(fixtureControls, run).map((c) => [c.id, c.status]));
    expect(statuses).toMatchObject({ 'CTL-07': 'gap', 'CTL-08': 'gap', 'CTL-09': 'gap', 'CTL-13': 'gap', 'CTL-06': 'not-verified' });
  });

  it('keeps a file that failed to import as a failure no control can claim, listed as unlinked', () => {
    const importError = run.tests.find((t) => t.file === IMPORT_ERROR_FILE);
    expect(importError).toEqual({
      file: IMPORT_ERROR_FILE,
      name: FILE_FAILURE_NAME,
      outcome: 'failed',
      durationMs: 0,
      ids: [],
      failure: 'the fixture fails to import on purpose',
    });
    expect(unlinkedFailures(fixtureControls, run)).toEqual([importError]);
  });
});
