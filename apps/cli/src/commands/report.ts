/**
 * `medsim report`: the submission set generated from a real test run (issue 6). Runs the test
 * suite (or reads the vitest JSON report given with --results), evaluates every control and
 * requirement honestly (applied only when linked tests passed and none failed), and writes to
 * --out: per profile the checklist, plus the risk management file, the V&V report and the evidence
 * as JSON, each document as Markdown and printable HTML, and the CycloneDX SBOM with hashes.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  PROFILE_IDS,
  addLockfileHashes,
  buildEvidence,
  checklistDocument,
  evidenceToJson,
  generateSbom,
  readVitestReportFile,
  renderHtml,
  renderMarkdown,
  riskFileDocument,
  riskRegisterView,
  summarizeSbom,
  threatsByControl,
  vvReportDocument,
  type DocumentBlocks,
  type EvidenceSet,
  type SbomReference,
} from '@medsim/compliance';
import { systemHeader, softwareIdentity } from '../report/system-facts.js';
import { mark, paint, table } from '../ui/terminal.js';
import { UsageError } from './usage-error.js';

/** Usage of `medsim report`. */
export const reportUsage = `medsim report [--profile mfds-2019|mfds-2022|mfds-2024|fda-premarket|all] [--out DIR]
              [--results FILE] [--formats md,html,json] [--no-sbom] [--json]

Generates the regulatory submission set from a real test run: runs the whole test suite (a few
minutes) unless --results names a vitest JSON report of one, then writes to --out (default
./submission) the checklist of each profile (default all), the cybersecurity risk management file,
the software V&V report (Markdown and printable HTML each), evidence.json, and sbom.cdx.json (the
CycloneDX SBOM of the shipped packages with hashes; --no-sbom skips it). --formats picks the
document formats (default all three). An item is "Applied" only
when its controls' tests passed in this run and none failed. Exit code 1 when any test failed.`;

/** The repository root: the directory whose package.json has workspaces, from this file up. */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, 'utf8')) as { workspaces?: unknown }).workspaces !== undefined) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new UsageError('medsim report runs inside the medsim repository (it reads its tests and lock file)');
    dir = parent;
  }
}

/** Where the root vitest config's JSON reporter writes a run (vitest.config.ts). */
const VITEST_REPORT = join('reports', 'vitest.json');

/** Runs the test suite as `npm test` does after the build; the config's JSON reporter writes the report. */
function runTests(root: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
    const child = spawn(process.execPath, [vitest, 'run'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    // A failing suite still wrote its report: the documents show the failures.
    child.on('exit', () => resolvePromise());
  });
}

function write(dir: string, name: string, doc: DocumentBlocks, formats: ReadonlySet<string>): string[] {
  const written: string[] = [];
  if (formats.has('md')) {
    writeFileSync(join(dir, `${name}.md`), renderMarkdown(doc));
    written.push(`${name}.md`);
  }
  if (formats.has('html')) {
    writeFileSync(join(dir, `${name}.html`), renderHtml(doc));
    written.push(`${name}.html`);
  }
  return written;
}


/** Runs `medsim report`; returns the exit code. */
export async function report(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      profile: { type: 'string', default: 'all' },
      out: { type: 'string', default: 'submission' },
      results: { type: 'string' },
      formats: { type: 'string', default: 'md,html,json' },
      'no-sbom': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const profiles = values.profile === 'all' ? PROFILE_IDS : [values.profile];
  for (const id of profiles) if (!(PROFILE_IDS as readonly string[]).includes(id)) throw new UsageError(`--profile must be one of ${PROFILE_IDS.join(', ')} or all`);
  const formats = new Set(values.formats.split(','));
  if (formats.size === 0 || [...formats].some((f) => !['md', 'html', 'json'].includes(f))) throw new UsageError('--formats is a comma-separated list of md, html and json');
  const root = repositoryRoot();
  const out = resolve(values.out);
  mkdirSync(out, { recursive: true });

  let resultsFile = values.results === undefined ? undefined : resolve(values.results);
  if (resultsFile === undefined) {
    resultsFile = join(root, VITEST_REPORT);
    if (!values.json) process.stderr.write(`${paint('bold', 'medsim report')}: running the test suite (a few minutes) …\n`);
    await runTests(root);
  }
  const run = await readVitestReportFile(resultsFile, { rootDir: root });
  const software = softwareIdentity(root);
  const header = systemHeader();
  const register = riskRegisterView();

  let sbom: SbomReference | undefined;
  if (!values['no-sbom']) {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as unknown;
    const bom = addLockfileHashes(await generateSbom({ cwd: root }), lock);
    writeFileSync(join(out, 'sbom.cdx.json'), `${JSON.stringify(bom, null, 2)}\n`);
    sbom = { file: 'sbom.cdx.json', summary: summarizeSbom(bom) };
  }

  const generatedAt = new Date().toISOString();
  const files: string[] = [];
  const summaries: { profile: string; applied: number; gap: number; notVerified: number; notApplicable: number; total: number }[] = [];
  let first: EvidenceSet | undefined;
  for (const profileId of profiles) {
    const evidence = buildEvidence({ profileId, run, header, software, threatsByControl: threatsByControl(register.threats), generatedAt, ...(sbom === undefined ? {} : { sbom }) });
    first ??= evidence;
    files.push(...write(out, `checklist-${profileId}`, checklistDocument(evidence), formats));
    summaries.push({ profile: profileId, ...evidence.totals });
    if (formats.has('json')) {
      writeFileSync(join(out, `evidence-${profileId}.json`), `${JSON.stringify(evidenceToJson(evidence), null, 2)}\n`);
      files.push(`evidence-${profileId}.json`);
    }
  }
  // The risk file and the V&V report cover every control, whatever the profile.
  files.push(...write(out, 'risk-management-file', riskFileDocument(first!, register), formats));
  files.push(...write(out, 'vv-report', vvReportDocument(first!), formats));
  if (sbom !== undefined) files.push('sbom.cdx.json');

  const failed = run.tests.filter((t) => t.outcome === 'failed').length;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ out, files, profiles: summaries, tests: first!.run.counts, sbom: sbom?.summary, commit: software.commit })}\n`);
  } else {
    process.stdout.write(
      [
        paint('bold', `medsim report: ${out}`),
        `tests: ${first!.run.counts.passed} passed, ${failed} failed, ${first!.run.counts.skipped} skipped (commit ${software.commit.slice(0, 12)}${software.dirty ? ', uncommitted changes' : ''})`,
        '',
        table(
          ['profile', 'applied', 'gap', 'not verified', 'n/a', 'total'],
          summaries.map((s) => [s.profile, String(s.applied), String(s.gap), String(s.notVerified), String(s.notApplicable), String(s.total)]),
        ),
        '',
        ...(sbom === undefined ? [] : [`SBOM: ${sbom.summary.components} components, ${sbom.summary.withHashes} with SHA-512 hashes (sbom.cdx.json)`]),
        `${mark(failed === 0)} ${files.length} files written`,
        '',
      ].join('\n'),
    );
  }
  return failed === 0 ? 0 : 1;
}
