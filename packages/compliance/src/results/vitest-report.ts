/**
 * Reads vitest 4's JSON report (the `json` reporter; reports/vitest.json at the repository root) into
 * a TestRun, the only test evidence the documents use. The reader is strict: a report that does not
 * have vitest's shape, or whose counts disagree with the tests it lists, is refused rather than read
 * as "nothing failed" (issue 6, "Honesty is the point").
 *
 * Shape (vitest 4.1.12, reporters/json): { startTime, success, numTotalTests, numPassedTests,
 * numFailedTests, testResults: [{ name: absolute file, status, message, startTime, endTime,
 * assertionResults: [{ ancestorTitles, title, status, duration, failureMessages, tags }] }] }.
 *
 * What the report does not say, and how it is handled:
 * - A failing beforeAll/beforeEach hook, or a file that fails to import, leaves no failed test: the
 *   tests it stopped are listed as "skipped" without the error, only the file is "failed". When a
 *   file failed and its failed tests do not account for it (a file message, no failed test, or
 *   skipped tests), the reader adds one failed result for the file carrying every id its tests claim.
 *   This errs towards a gap, never towards "applied". A file that failed to import lists no tests,
 *   so its failure carries no ids: evaluation reports it as an unlinked failure.
 * - Errors vitest reports as "unhandled" (outside any test) are not in the JSON report at all.
 */
import { open } from 'node:fs/promises';
import { posix } from 'node:path';
import type { TestOutcome, TestResult, TestRun } from '../model.js';
import { InvalidReportError, ReportTooLargeError, ReportUnreadableError } from '../errors.js';
import { testIds } from './test-ids.js';

/** Limits of the report reader. */
export const VITEST_REPORT_LIMITS = {
  /** 64 MiB: the whole suite's report is well under 1 MiB today. */
  maxBytes: 64 * 1024 * 1024,
  /** 100,000 tests: about a hundred times the suite (some 1,000 tests). */
  maxTests: 100_000,
  /** 500 characters of a failure message, stack frames removed: enough for the assertion that failed. */
  maxFailureChars: 500,
} as const;

/** Name of the result the reader adds for a file that failed outside its tests. */
export const FILE_FAILURE_NAME = '(file failed outside its tests: import, hook or suite error)';

/** Options of readVitestReport and readVitestReportFile. */
export interface ReadVitestReportOptions {
  /** The repository root: test file paths are reported relative to it. Default: the current directory. */
  readonly rootDir?: string;
}

type Json = Record<string, unknown>;

const invalid = (path: string, expected: string): InvalidReportError =>
  new InvalidReportError(`Not a vitest JSON report: ${path} must be ${expected}`, { details: { path, expected } });

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(path, 'an object');
  return value as Json;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(path, 'an array');
  return value;
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string') throw invalid(path, 'a string');
  return value;
}

function strings(value: unknown, path: string): string[] {
  return array(value, path).map((item, i) => string(item, `${path}[${i}]`));
}

function count(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalid(path, 'a non-negative integer');
  return value;
}

function time(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalid(path, 'a non-negative number of milliseconds');
  return value;
}

/** vitest's per-test statuses; everything but passed and failed means the test did not run. */
const OUTCOMES: Readonly<Record<string, TestOutcome>> = {
  passed: 'passed',
  failed: 'failed',
  skipped: 'skipped',
  pending: 'skipped',
  todo: 'skipped',
  disabled: 'skipped',
};

/** The file's path relative to the root, with forward slashes; a file outside the root is refused. */
function repositoryPath(file: string, rootDir: string, path: string): string {
  const normalized = file.replaceAll('\\', '/');
  const relative = posix.isAbsolute(normalized)
    ? posix.relative(rootDir.replaceAll('\\', '/'), normalized)
    : posix.normalize(normalized);
  if (relative === '' || relative === '..' || relative.startsWith('../') || posix.isAbsolute(relative)) {
    throw invalid(path, `a test file inside the repository root ${rootDir}`);
  }
  return relative;
}

/** The first failure message without its stack frames (they hold machine paths), cut to the limit. */
function failureText(message: string): string {
  const text = message
    .split('\n')
    .filter((line) => !/^\s+at /u.test(line))
    .join('\n')
    .trim();
  const shown = text === '' ? '(failed without a message)' : text;
  const max = VITEST_REPORT_LIMITS.maxFailureChars;
  return shown.length > max ? `${shown.slice(0, max - 1)}…` : shown;
}

interface ReadTest {
  readonly result: TestResult;
  /** vitest's own status, before mapping (todo is told apart from skipped). */
  readonly status: string;
}

function readTest(value: unknown, file: string, path: string): ReadTest {
  const test = object(value, path);
  const ancestors = strings(test.ancestorTitles, `${path}.ancestorTitles`);
  const title = string(test.title, `${path}.title`);
  const status = string(test.status, `${path}.status`);
  const outcome = OUTCOMES[status];
  if (outcome === undefined) throw invalid(`${path}.status`, `one of ${Object.keys(OUTCOMES).join(', ')}`);
  const duration = test.duration === undefined || test.duration === null ? 0 : time(test.duration, `${path}.duration`);
  const failures = test.failureMessages === null ? [] : strings(test.failureMessages, `${path}.failureMessages`);
  // vitest before 4.1 wrote no tags; the name prefixes still give the ids.
  const tags = test.tags === undefined ? [] : strings(test.tags, `${path}.tags`);
  const result: TestResult = {
    file,
    name: [...ancestors, title].join(' > '),
    outcome,
    durationMs: outcome === 'skipped' ? 0 : duration,
    ids: testIds(tags, [...ancestors, title]),
    ...(outcome === 'failed' ? { failure: failureText(failures[0] ?? '') } : {}),
  };
  return { result, status };
}

/** The result standing for a file that failed outside its tests, or undefined when its failed tests explain it. */
function fileFailure(file: string, message: string, tests: readonly ReadTest[]): TestResult | undefined {
  const failed = tests.some((t) => t.result.outcome === 'failed');
  const stopped = tests.some((t) => t.result.outcome === 'skipped' && t.status !== 'todo');
  if (message === '' && failed && !stopped) return undefined;
  return {
    file,
    name: FILE_FAILURE_NAME,
    outcome: 'failed',
    durationMs: 0,
    ids: [...new Set(tests.flatMap((t) => t.result.ids))],
    failure: failureText(message === '' ? 'The file failed outside its tests (a hook or suite error); vitest lists the tests it stopped as skipped.' : message),
  };
}

/**
 * Reads a parsed vitest 4 JSON report into a TestRun: one TestResult per test, in report order, with
 * its repository-relative file, "describe > test" name, outcome (skipped, todo and pending count as
 * not run), duration, claimed ids (tags and name prefixes) and first failure message. A file that
 * failed outside its tests adds one failed result (see the file header).
 * @throws InvalidReportError when the value is not a vitest JSON report of this repository.
 * @throws ReportTooLargeError when it lists more than VITEST_REPORT_LIMITS.maxTests tests.
 */
export function readVitestReport(report: unknown, options: ReadVitestReportOptions = {}): TestRun {
  const rootDir = options.rootDir ?? process.cwd();
  const top = object(report, 'report');
  const startTime = time(top.startTime, 'startTime');
  if (typeof top.success !== 'boolean') throw invalid('success', 'a boolean');
  const declared = {
    total: count(top.numTotalTests, 'numTotalTests'),
    passed: count(top.numPassedTests, 'numPassedTests'),
    failed: count(top.numFailedTests, 'numFailedTests'),
  };
  if (declared.total > VITEST_REPORT_LIMITS.maxTests) {
    throw new ReportTooLargeError(`The report lists ${declared.total} tests, over the limit`, {
      details: { tests: declared.total, limit: VITEST_REPORT_LIMITS.maxTests },
    });
  }
  const tests: TestResult[] = [];
  const counted = { total: 0, passed: 0, failed: 0 };
  let endTime = startTime;
  array(top.testResults, 'testResults').forEach((value, f) => {
    const path = `testResults[${f}]`;
    const entry = object(value, path);
    const file = repositoryPath(string(entry.name, `${path}.name`), rootDir, `${path}.name`);
    const status = string(entry.status, `${path}.status`);
    if (status !== 'passed' && status !== 'failed') throw invalid(`${path}.status`, 'passed or failed');
    const message = string(entry.message, `${path}.message`);
    time(entry.startTime, `${path}.startTime`);
    endTime = Math.max(endTime, time(entry.endTime, `${path}.endTime`));
    const read = array(entry.assertionResults, `${path}.assertionResults`).map((t, i) => readTest(t, file, `${path}.assertionResults[${i}]`));
    counted.total += read.length;
    // Checked as the files are read, so a report that understates its size is not read to the end.
    if (counted.total > declared.total) throw invalid('testResults', `at most numTotalTests (${declared.total}) tests`);
    for (const { result } of read) {
      if (result.outcome === 'passed') counted.passed++;
      if (result.outcome === 'failed') counted.failed++;
      tests.push(result);
    }
    const failure = status === 'failed' ? fileFailure(file, message, read) : undefined;
    if (failure !== undefined) tests.push(failure);
  });
  for (const key of ['total', 'passed', 'failed'] as const) {
    if (counted[key] !== declared[key]) {
      throw new InvalidReportError(`The report's ${key} count (${declared[key]}) disagrees with the tests it lists (${counted[key]})`, {
        details: { count: key, declared: declared[key], listed: counted[key] },
      });
    }
  }
  return { startedAt: new Date(startTime).toISOString(), durationMs: endTime - startTime, tests };
}

/**
 * Reads a vitest JSON report file (at most VITEST_REPORT_LIMITS.maxBytes) into a TestRun.
 * @throws ReportUnreadableError when the file cannot be read.
 * @throws ReportTooLargeError when it is larger than the limit.
 * @throws InvalidReportError when it is not JSON or not a vitest report (see readVitestReport).
 */
export async function readVitestReportFile(path: string, options: ReadVitestReportOptions = {}): Promise<TestRun> {
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new ReportUnreadableError(`${path} is not a file`, { details: { path } });
      if (stats.size > VITEST_REPORT_LIMITS.maxBytes) {
        throw new ReportTooLargeError(`${path} is ${stats.size} bytes, over the limit`, {
          details: { path, bytes: stats.size, limit: VITEST_REPORT_LIMITS.maxBytes },
        });
      }
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof ReportTooLargeError || error instanceof ReportUnreadableError) throw error;
    throw new ReportUnreadableError(`Cannot read the test report ${path}`, { details: { path }, cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidReportError(`${path} is not JSON`, { details: { path }, cause: error });
  }
  return readVitestReport(parsed, options);
}
