/**
 * [CTL-20] The SBOM of what ships, from the real tool on this repository (about 2 s a run): CycloneDX
 * 1.6, validated by the tool, listing every workspace package and its runtime dependencies, every
 * registry package with a SHA-512 hash once the lock file digests are added, and no dev-only tools.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addLockfileHashes,
  allComponents,
  generateSbom,
  PACKAGE_PATH_PROPERTY,
  propertyValue,
  sbomToolArguments,
  summarizeSbom,
  type CycloneDxBom,
  type CycloneDxComponent,
} from '../../src/sbom/index.js';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));

interface LockEntry {
  readonly integrity?: string;
  readonly link?: boolean;
  readonly dev?: boolean;
}
const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };

/** The names of the workspace packages, from their package.json files. */
const workspaces = ['packages', 'apps']
  .flatMap((dir) => readdirSync(join(repo, dir)).map((name) => join(repo, dir, name, 'package.json')))
  .filter((file) => existsSync(file))
  .map((file) => (JSON.parse(readFileSync(file, 'utf8')) as { name: string }).name);

const fullName = (c: CycloneDxComponent): string => (c.group === undefined ? c.name : `${c.group}/${c.name}`);

describe('generateSbom on this repository', () => {
  let bom: CycloneDxBom;
  let components: CycloneDxComponent[];

  beforeAll(async () => {
    bom = await generateSbom({ cwd: repo, omitDev: true });
    components = [...allComponents(bom.components)];
  });

  it('[CTL-20] is a CycloneDX 1.6 JSON BOM of the workspace root, the same on every run', { tags: ['CTL-20'] }, async () => {
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6', $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json' });
    expect(bom).toMatchObject({ metadata: { component: { name: 'medsim' } } });
    expect(bom).not.toHaveProperty('serialNumber');
    expect(bom).not.toHaveProperty('metadata.timestamp');
    expect(sbomToolArguments(true)).toEqual(expect.arrayContaining(['--omit', 'dev', '--validate', '--output-reproducible']));
    // A second run, with omitDev left to its default (true), gives the same document.
    expect(await generateSbom({ cwd: repo })).toEqual(bom);
  });

  it('[CTL-20] lists every workspace package and their runtime dependencies', { tags: ['CTL-20'] }, () => {
    const names = new Set(components.map(fullName));
    expect(workspaces.length).toBeGreaterThanOrEqual(9);
    for (const name of workspaces) expect(names, name).toContain(name);
    for (const name of ['jose', 'aedes', 'better-sqlite3', 'tuf-js', 'fastify', 'pino', 'protobufjs', '@peculiar/x509']) expect(names, name).toContain(name);
  });

  it('[CTL-20] leaves out dev-only tools when omitDev is set', { tags: ['CTL-20'] }, () => {
    const names = new Set(components.map(fullName));
    for (const name of ['vitest', 'eslint', 'typescript', 'fast-check', 'turbo', 'typescript-eslint', 'protobufjs-cli']) {
      // Installed here as dev dependencies, so their absence is the option's doing.
      expect(lock.packages[`node_modules/${name}`]?.dev, name).toBe(true);
      expect(names, name).not.toContain(name);
    }
  });

  it('[CTL-20] has no component hashes from the tool here, and a SHA-512 for every registry package after addLockfileHashes', { tags: ['CTL-20'] }, () => {
    // The tool hashes only a distribution reference, and only for packages with a resolved URL, which
    // this project's npm keeps out of the lock file (reference/hpke-tuf-totp-sbom.md §4).
    expect(summarizeSbom(bom).withHashes).toBe(0);
    const hashed = [...allComponents(addLockfileHashes(bom, lock).components)];
    expect(hashed).toHaveLength(components.length);
    for (const component of hashed) {
      const entry = lock.packages[propertyValue(component, PACKAGE_PATH_PROPERTY) ?? ''];
      expect(entry, fullName(component)).toBeDefined();
      if (entry?.link === true) {
        expect(component, fullName(component)).not.toHaveProperty('hashes');
        continue;
      }
      const digest = Buffer.from(entry?.integrity?.replace(/^sha512-/u, '') ?? '', 'base64').toString('hex');
      expect(component.hashes, fullName(component)).toEqual([{ alg: 'SHA-512', content: digest }]);
      expect(digest).toMatch(/^[0-9a-f]{128}$/u);
    }
  });

  it('[CTL-20] summarises components, hashes and licences: only workspace packages are without a hash', { tags: ['CTL-20'] }, () => {
    const summary = summarizeSbom(addLockfileHashes(bom, lock));
    expect(summary.components).toBe(components.length);
    expect(summary.withHashes + summary.withoutHashes).toBe(summary.components);
    expect(summary.unhashed.map((n) => n.replace(/@0\.0\.0$/u, '')).sort()).toEqual([...workspaces].sort());
    expect(summary.licenses[0]).toEqual({ license: 'MIT', components: expect.any(Number) });
    expect(summary.licenses.find((l) => l.license === 'Apache-2.0')?.components).toBeGreaterThanOrEqual(workspaces.length);
  });
});

describe('generateSbom failures', () => {
  const empty = mkdtempSync(join(tmpdir(), 'compliance-sbom-'));
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  it('reports a project the tool cannot read, with its stderr (ERR_COMPLIANCE_SBOM_TOOL_FAILED)', async () => {
    await expect(generateSbom({ cwd: empty })).rejects.toMatchObject({
      code: 'ERR_COMPLIANCE_SBOM_TOOL_FAILED',
      details: { stderr: expect.stringContaining("missing project's manifest file") },
    });
  });

  it('reports a directory that does not exist (ERR_COMPLIANCE_SBOM_TOOL_FAILED)', async () => {
    await expect(generateSbom({ cwd: join(empty, 'missing') })).rejects.toMatchObject({ code: 'ERR_COMPLIANCE_SBOM_TOOL_FAILED' });
  });

  it('[CTL-16] stops the tool at its time limit (ERR_COMPLIANCE_SBOM_TIMEOUT)', { tags: ['CTL-16'] }, async () => {
    await expect(generateSbom({ cwd: repo, timeoutMs: 1 })).rejects.toMatchObject({ code: 'ERR_COMPLIANCE_SBOM_TIMEOUT' });
  });

  it('[CTL-16] stops the tool at its output limit (ERR_COMPLIANCE_SBOM_TOO_LARGE)', { tags: ['CTL-16'] }, async () => {
    await expect(generateSbom({ cwd: repo, maxOutputBytes: 1024 })).rejects.toMatchObject({ code: 'ERR_COMPLIANCE_SBOM_TOO_LARGE' });
  });
});
