/**
 * The traceability proof, static half: for each control, the test files of the repository that
 * claim it by a [CTL-nn] name prefix or a tag. The counts are annotated on the test (they
 * appear in the JSON and JUnit reports); a control with none is not a failure here: the documents
 * show it as not verified. The claim rule itself is checked on files written for the purpose.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTROLS } from '../../src/catalogue/index.js';
import { filesClaiming, testFiles } from './test-files.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
/** This directory's tests name control ids as data, not as claims. */
const SELF = 'packages/compliance/test/catalogue';
/** Tests of the evidence reader and evaluation: their test names and tags are data too. */
const EVIDENCE_DATA = ['packages/compliance/test/results', 'packages/compliance/test/evaluation'];

describe('which test files claim a control', () => {
  const fixture = mkdtempSync(join(tmpdir(), 'medsim-trace-'));
  afterAll(() => rmSync(fixture, { recursive: true, force: true }));
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(fixture, path)), { recursive: true });
    writeFileSync(join(fixture, path), text);
  };
  write('packages/a/test/named.test.ts', "it('[CTL-12][U3] refuses a rollback', () => {});");
  write('packages/a/test/deep/tagged.test.ts', 'it(\'refuses\', { tags: ["CTL-01", \'U1\'] }, () => {});');
  write('packages/a/test/template.test.ts', "it(`[CTL-21][F8] a database ${name}`, { tags: [`CTL-03`] }, () => {}); const t = a ? 'CTL-04' : '';");
  write('packages/b/test/comment.test.ts', "/** Verifies CTL-01 (CTL-02, CTL-12). */ describe('sessions (CTL-04)', () => {});");
  write('packages/b/test/prefix.test.ts', "it('[CTL-1] and [CTL-012] and CTL-01x', () => {});");
  write('packages/b/test/helper.ts', "it('[CTL-01] in a helper, not a test file', () => {});");
  write('packages/b/test/node_modules/dep/x.test.ts', "it('[CTL-01] a dependency', () => {});");
  write('apps/cli/test/cli.test.ts', "it('[CTL-12] the cli', () => {});");
  write('scripts/test/docs.test.ts', "it('[CTL-23] docs', () => {});");
  write('packages/c/src/not-a-root.test.ts', "it('[CTL-01] outside a test root', () => {});");
  write('packages/c/test/excluded/data.test.ts', "it('[CTL-01] excluded', () => {});");

  it('finds *.test.ts under packages/*/test, apps/*/test and scripts/test, recursively, outside node_modules and excluded directories', () => {
    expect(testFiles(fixture, ['packages/c/test/excluded'])).toEqual([
      'apps/cli/test/cli.test.ts',
      'packages/a/test/deep/tagged.test.ts',
      'packages/a/test/named.test.ts',
      'packages/a/test/template.test.ts',
      'packages/b/test/comment.test.ts',
      'packages/b/test/prefix.test.ts',
      'scripts/test/docs.test.ts',
    ]);
  });

  it('counts a [ID] name prefix or the id as a whole quoted string, never a comment, a describe title or a longer id', () => {
    const claims = filesClaiming(fixture, testFiles(fixture), ['CTL-01', 'CTL-02', 'CTL-03', 'CTL-04', 'CTL-12', 'CTL-21', 'CTL-23']);
    expect(Object.fromEntries(claims)).toEqual({
      'CTL-01': ['packages/a/test/deep/tagged.test.ts', 'packages/c/test/excluded/data.test.ts'],
      'CTL-02': [],
      'CTL-03': ['packages/a/test/template.test.ts'],
      'CTL-04': ['packages/a/test/template.test.ts'],
      'CTL-12': ['apps/cli/test/cli.test.ts', 'packages/a/test/named.test.ts'],
      'CTL-21': ['packages/a/test/template.test.ts'],
      'CTL-23': ['scripts/test/docs.test.ts'],
    });
  });
});

describe('traceability of the repository', () => {
  it('counts, for every control, the test files that claim it', async ({ annotate }) => {
    const files = testFiles(root, [SELF, ...EVIDENCE_DATA]);
    const claims = filesClaiming(root, files, CONTROLS.map((c) => c.id));
    // The scan reaches every kind of test root, and a known claim is found where it is.
    for (const prefix of ['packages/gateway/test/', 'packages/devices/test/', 'apps/cli/test/', 'scripts/test/']) {
      expect(files.some((f) => f.startsWith(prefix)), prefix).toBe(true);
    }
    expect(files.some((f) => f.startsWith(`${SELF}/`))).toBe(false);
    expect(claims.get('CTL-13')).toContain('packages/devices/test/firmware/secure-boot.test.ts');
    expect(claims.get('CTL-01')).toContain('packages/gateway/test/user-plane/rbac.test.ts');
    const lines = CONTROLS.map((c) => `${c.id} ${String(claims.get(c.id)?.length ?? 0).padStart(3)} test file(s)${(claims.get(c.id)?.length ?? 0) === 0 ? ' (not verified)' : ''}`);
    await annotate(`test files claiming each control (of ${files.length}):\n${lines.join('\n')}`, 'traceability');
  });
});
