import { mkdtempSync, mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readVitestReport, readVitestReportFile, VITEST_REPORT_LIMITS } from '../../src/results/index.js';
import { FIXTURE_ROOT, fixtureReport, fixtureReportPath } from '../fixtures/evidence-catalogue.js';

const root = { rootDir: FIXTURE_ROOT };

type Json = Record<string, unknown>;

/** The fixture report with one change made by `edit`. */
function edited(edit: (report: Json) => void): Json {
  const report = fixtureReport('ctl07-failed');
  edit(report);
  return report;
}

/** The report's file entries. */
const files = (report: Json): Json[] => report.testResults as Json[];

/** The tests of file `f`. */
const tests = (report: Json, f: number): Json[] => files(report)[f]!.assertionResults as Json[];

describe('readVitestReport', () => {
  it('reads every test with its repository-relative file, name, outcome, duration and ids', () => {
    const run = readVitestReport(fixtureReport('ctl07-failed'), root);
    expect(run.startedAt).toBe(new Date(1795924000000).toISOString());
    // From the run's start to the last file's end.
    expect(run.durationMs).toBe(2000);
    expect(run.tests).toHaveLength(8);
    expect(run.tests[0]).toEqual({
      file: 'packages/crypto/test/envelope.test.ts',
      name: 'AEAD envelope > [CTL-07][C4] a flipped ciphertext bit is refused',
      outcome: 'passed',
      durationMs: 3.25,
      ids: ['CTL-07', 'C4'],
    });
    expect(run.tests.map((t) => t.outcome)).toEqual(['passed', 'failed', 'passed', 'passed', 'passed', 'skipped', 'passed', 'skipped']);
    expect(run.tests[5]).toMatchObject({ name: 'firmware image > boot > [CTL-13] a corrupted slot boots into safe mode', durationMs: 0 });
  });

  it('keeps the first failure message of a failed test, without its stack frames (machine paths)', () => {
    const failed = readVitestReport(fixtureReport('ctl07-failed'), root).tests.filter((t) => t.outcome === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ ids: ['CTL-07', 'C5'], failure: 'AssertionError: expected [Function] to throw an error' });
    expect(readVitestReport(fixtureReport('all-passed'), root).tests.some((t) => 'failure' in t)).toBe(false);
  });

  it(`cuts a failure message at ${VITEST_REPORT_LIMITS.maxFailureChars} characters`, () => {
    const report = edited((r) => {
      tests(r, 0)[1]!.failureMessages = [`Error: ${'x'.repeat(5000)}\n    at somewhere (/repo/a.ts:1:1)`, 'second'];
    });
    const failure = readVitestReport(report, root).tests[1]?.failure ?? '';
    expect(failure).toHaveLength(VITEST_REPORT_LIMITS.maxFailureChars);
    expect(failure.startsWith('Error: xxx')).toBe(true);
    expect(failure.endsWith('…')).toBe(true);
  });

  it('takes ids from tags and from the [ID] prefixes of describe and test titles, either alone', () => {
    const report = edited((r) => {
      const [rollback, modified, corrupted] = tests(r, 1);
      // Ids from the title alone, from the tags alone, from a describe title alone.
      rollback!.tags = [];
      modified!.title = 'a modified byte fails the hash';
      corrupted!.ancestorTitles = ['[CTL-13] firmware image', 'boot'];
      corrupted!.title = 'a corrupted slot boots into safe mode';
      corrupted!.tags = ['slow'];
    });
    const run = readVitestReport(report, root).tests;
    expect(run[3]?.ids).toEqual(['CTL-12', 'U3']);
    expect(run[4]?.ids).toEqual(['CTL-12', 'CTL-13']);
    expect(run[5]?.ids).toEqual(['CTL-13']);
  });

  it('counts todo, pending and disabled tests as not run', () => {
    for (const status of ['todo', 'pending', 'disabled']) {
      const report = edited((r) => {
        tests(r, 2)[1]!.status = status;
      });
      expect(readVitestReport(report, root).tests[7]?.outcome).toBe('skipped');
    }
  });

  it('reads a report of an older vitest without tags from the name prefixes', () => {
    const report = edited((r) => {
      for (let f = 0; f < 3; f++) for (const test of tests(r, f)) delete test.tags;
    });
    expect(readVitestReport(report, root).tests.map((t) => t.ids)).toEqual([
      ['CTL-07', 'C4'],
      ['CTL-07', 'C5'],
      ['CTL-08', 'C2'],
      ['CTL-12', 'U3'],
      ['CTL-12', 'CTL-13'],
      ['CTL-13'],
      ['CTL-16', 'F2'],
      ['CTL-09'],
    ]);
  });

  it('charges a file that failed outside its tests (a hook stopped them) to every id the file claims', () => {
    // A failing beforeAll: vitest lists the tests it stopped as skipped and marks only the file failed.
    const report = edited((r) => {
      files(r)[1]!.status = 'failed';
    });
    const tests = readVitestReport(report, root).tests;
    expect(tests).toHaveLength(9);
    expect(tests[6]).toMatchObject({
      file: 'packages/firmware/test/image.test.ts',
      outcome: 'failed',
      ids: ['CTL-12', 'U3', 'CTL-13'],
    });
    expect(tests[6]?.failure).toMatch(/outside its tests/u);
  });

  it('charges a file message (an error while importing or in a file-level hook) the same way', () => {
    const report = edited((r) => {
      files(r)[2]!.status = 'failed';
      files(r)[2]!.message = 'Cannot find module ./limits.js';
    });
    expect(readVitestReport(report, root).tests.at(-1)).toMatchObject({
      file: 'packages/gateway/test/limits.test.ts',
      outcome: 'failed',
      ids: ['CTL-16', 'F2', 'CTL-09'],
      failure: 'Cannot find module ./limits.js',
    });
  });

  it('adds nothing when the failed tests of a failed file account for its failure', () => {
    expect(readVitestReport(fixtureReport('ctl07-failed'), root).tests).toHaveLength(8);
  });

  it.each([
    ['no testResults', (r: Json) => delete r.testResults],
    ['no success flag', (r: Json) => delete r.success],
    ['a status vitest does not write', (r: Json) => (tests(r, 0)[0]!.status = 'flaky')],
    ['a file status vitest does not write', (r: Json) => (files(r)[0]!.status = 'skipped')],
    ['tags that are not strings', (r: Json) => (tests(r, 0)[0]!.tags = [7])],
    ['a negative duration', (r: Json) => (tests(r, 0)[0]!.duration = -1)],
    ['a title that is not a string', (r: Json) => (tests(r, 0)[0]!.title = null)],
    ['a fractional count', (r: Json) => (r.numTotalTests = 7.5)],
    ['a failed test hidden from the counts', (r: Json) => (r.numFailedTests = 0)],
    ['a test left out of the listing', (r: Json) => tests(r, 2).pop()],
    ['more tests than declared', (r: Json) => tests(r, 2).push(tests(r, 2)[0]!)],
    ['a test file outside the repository', (r: Json) => (files(r)[0]!.name = '/elsewhere/envelope.test.ts')],
    ['a relative path climbing out of the repository', (r: Json) => (files(r)[0]!.name = '../envelope.test.ts')],
  ])('refuses a report with %s (ERR_COMPLIANCE_REPORT_INVALID)', (_, edit) => {
    expect(() => readVitestReport(edited(edit), root)).toThrow(expect.objectContaining({ code: 'ERR_COMPLIANCE_REPORT_INVALID' }));
  });

  it('refuses a value that is not a report object (ERR_COMPLIANCE_REPORT_INVALID)', () => {
    for (const value of ['report', null, [], 42]) {
      expect(() => readVitestReport(value, root)).toThrow(expect.objectContaining({ code: 'ERR_COMPLIANCE_REPORT_INVALID' }));
    }
  });

  it(`refuses a report declaring more than ${VITEST_REPORT_LIMITS.maxTests} tests before reading them`, () => {
    const report = edited((r) => {
      r.numTotalTests = VITEST_REPORT_LIMITS.maxTests + 1;
    });
    expect(() => readVitestReport(report, root)).toThrow(expect.objectContaining({ code: 'ERR_COMPLIANCE_REPORT_TOO_LARGE' }));
  });

  it('reports files relative to the current directory by default', () => {
    const cwd = process.cwd();
    const report = edited((r) => {
      for (const file of files(r)) file.name = join(cwd, String(file.name).slice(FIXTURE_ROOT.length + 1));
    });
    expect(readVitestReport(report).tests[0]?.file).toBe('packages/crypto/test/envelope.test.ts');
  });
});

describe('readVitestReportFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'compliance-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a report file', async () => {
    const run = await readVitestReportFile(fileURLToPath(fixtureReportPath('ctl07-failed')), root);
    expect(run.tests.filter((t) => t.outcome === 'failed').map((t) => t.ids)).toEqual([['CTL-07', 'C5']]);
  });

  it('refuses a missing file and a directory (ERR_COMPLIANCE_REPORT_UNREADABLE)', async () => {
    mkdirSync(join(dir, 'a-directory'));
    for (const path of [join(dir, 'missing.json'), join(dir, 'a-directory')]) {
      await expect(readVitestReportFile(path, root)).rejects.toMatchObject({ code: 'ERR_COMPLIANCE_REPORT_UNREADABLE' });
    }
  });

  it('refuses a file that is not JSON (ERR_COMPLIANCE_REPORT_INVALID)', async () => {
    const path = join(dir, 'cut.json');
    writeFileSync(path, '{"numTotalTests": 8, "testResu');
    await expect(readVitestReportFile(path, root)).rejects.toMatchObject({ code: 'ERR_COMPLIANCE_REPORT_INVALID' });
  });

  it(`refuses a file over ${VITEST_REPORT_LIMITS.maxBytes} bytes without reading it`, async () => {
    const path = join(dir, 'huge.json');
    writeFileSync(path, '');
    // Sparse: the size is what is checked, nothing is read.
    truncateSync(path, VITEST_REPORT_LIMITS.maxBytes + 1);
    await expect(readVitestReportFile(path, root)).rejects.toMatchObject({
      code: 'ERR_COMPLIANCE_REPORT_TOO_LARGE',
      details: { bytes: VITEST_REPORT_LIMITS.maxBytes + 1 },
    });
  });
});
