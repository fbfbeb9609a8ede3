import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addLockfileHashes, integrityHashes, parseBom, summarizeSbom, type CycloneDxBom } from '../../src/sbom/index.js';

const tarball = (name: string): Buffer => Buffer.from(`tarball of ${name}`);
const sri = (name: string): string => `sha512-${createHash('sha512').update(tarball(name)).digest('base64')}`;
const hex = (name: string): string => createHash('sha512').update(tarball(name)).digest('hex');
const path = (value: string) => [{ name: 'cdx:npm:package:path', value }];

/** A BOM shaped like cyclonedx-npm's: a workspace package, a registry package with one nested below it. */
const bom: CycloneDxBom = {
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  version: 1,
  components: [
    { type: 'library', name: 'gateway', group: '@medsim', version: '0.0.0', properties: path('node_modules/@medsim/gateway'), licenses: [{ license: { id: 'Apache-2.0' } }] },
    {
      type: 'library',
      name: 'aedes',
      version: '1.2.0',
      properties: path('node_modules/aedes'),
      licenses: [{ license: { id: 'MIT' } }],
      components: [{ type: 'library', name: 'uuid', version: '9.0.1', properties: path('node_modules/aedes/node_modules/uuid'), licenses: [{ expression: '(MIT OR Apache-2.0)' }] }],
    },
    { type: 'library', name: 'old-thing', version: '0.1.0', properties: path('node_modules/old-thing') },
  ],
};

const lock = {
  name: 'medsim',
  lockfileVersion: 3,
  packages: {
    '': { name: 'medsim' },
    'node_modules/@medsim/gateway': { resolved: 'packages/gateway', link: true },
    'node_modules/aedes': { version: '1.2.0', integrity: sri('aedes') },
    'node_modules/aedes/node_modules/uuid': { version: '9.0.1', integrity: `${sri('uuid')} sha1-${Buffer.alloc(20, 1).toString('base64')}` },
    'node_modules/old-thing': { version: '0.1.0', integrity: `sha1-${Buffer.alloc(20, 2).toString('base64')}` },
  },
};

describe('integrityHashes', () => {
  it('turns SRI digests into CycloneDX hashes in hex, leaving SHA-1 out', () => {
    expect(integrityHashes(sri('aedes'), 'aedes')).toEqual([{ alg: 'SHA-512', content: hex('aedes') }]);
    const sha256 = createHash('sha256').update('x').digest();
    expect(integrityHashes(`sha256-${sha256.toString('base64')}?opt sha1-${Buffer.alloc(20).toString('base64')}`, 'x')).toEqual([
      { alg: 'SHA-256', content: sha256.toString('hex') },
    ]);
    expect(integrityHashes(`sha1-${Buffer.alloc(20).toString('base64')}`, 'x')).toEqual([]);
  });

  it.each([
    ['an unknown algorithm', `md5-${Buffer.alloc(16).toString('base64')}`],
    ['a digest of the wrong length', `sha512-${Buffer.alloc(32).toString('base64')}`],
    ['not base64', 'sha512-!!!'],
    ['an empty value', ''],
  ])('refuses %s (ERR_COMPLIANCE_SBOM_INVALID)', (_, integrity) => {
    expect(() => integrityHashes(integrity, 'x')).toThrow(expect.objectContaining({ code: 'ERR_COMPLIANCE_SBOM_INVALID' }));
  });
});

describe('addLockfileHashes', () => {
  it('adds the lock file digest to every component that has one, nested ones included, and changes nothing else', () => {
    const before = structuredClone(bom);
    const hashed = addLockfileHashes(bom, lock);
    const [gateway, aedes, oldThing] = hashed.components ?? [];
    expect(gateway).toEqual(bom.components?.[0]);
    expect(aedes?.hashes).toEqual([{ alg: 'SHA-512', content: hex('aedes') }]);
    expect(aedes?.components?.[0]?.hashes).toEqual([{ alg: 'SHA-512', content: hex('uuid') }]);
    expect(oldThing).not.toHaveProperty('hashes');
    expect({ ...hashed, components: undefined }).toEqual({ ...bom, components: undefined });
    expect(bom).toEqual(before);
  });

  it('keeps a hash the BOM already has and refuses one that contradicts the lock file', () => {
    const withHash = (content: string): CycloneDxBom => ({
      ...bom,
      components: [{ ...bom.components![1]!, components: [], hashes: [{ alg: 'SHA-512', content }] }],
    });
    expect(addLockfileHashes(withHash(hex('aedes').toUpperCase()), lock).components?.[0]?.hashes).toHaveLength(1);
    expect(() => addLockfileHashes(withHash(hex('other')), lock)).toThrow(expect.objectContaining({ code: 'ERR_COMPLIANCE_SBOM_INVALID' }));
  });

  it.each([
    ['a lockfile v1', { lockfileVersion: 1, dependencies: {} }],
    ['no packages map', { lockfileVersion: 3 }],
    ['an integrity that is not a string', { lockfileVersion: 3, packages: { 'node_modules/aedes': { integrity: 7 } } }],
  ])('refuses %s (ERR_COMPLIANCE_SBOM_INVALID)', (_, badLock) => {
    expect(() => addLockfileHashes(bom, badLock)).toThrow(expect.objectContaining({ code: 'ERR_COMPLIANCE_SBOM_INVALID' }));
  });
});

describe('parseBom', () => {
  it.each([
    ['a non-object', []],
    ['another format', { bomFormat: 'SPDX', specVersion: '2.3' }],
    ['a component without a name', { bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ type: 'library' }] }],
    ['a hash that is not hex', { bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ type: 'library', name: 'a', hashes: [{ alg: 'SHA-512', content: 'zz' }] }] }],
    ['a property that is not a string pair', { bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ type: 'library', name: 'a', properties: [{ name: 'x' }] }] }],
  ])('refuses %s (ERR_COMPLIANCE_SBOM_INVALID)', (_, value) => {
    expect(() => parseBom(value)).toThrow(expect.objectContaining({ code: 'ERR_COMPLIANCE_SBOM_INVALID' }));
  });

  it('refuses components nested deeper than 64 levels instead of recursing into them', () => {
    let component: Record<string, unknown> = { type: 'library', name: 'leaf' };
    for (let i = 0; i < 100; i++) component = { type: 'library', name: `level-${i}`, components: [component] };
    expect(() => parseBom({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [component] })).toThrow(
      expect.objectContaining({ code: 'ERR_COMPLIANCE_SBOM_INVALID' }),
    );
  });
});

describe('summarizeSbom', () => {
  it('counts components (nested ones too), those with and without hashes, and the licences declared', () => {
    expect(summarizeSbom(addLockfileHashes(bom, lock))).toEqual({
      specVersion: '1.6',
      components: 4,
      withHashes: 2,
      withoutHashes: 2,
      unhashed: ['@medsim/gateway@0.0.0', 'old-thing@0.1.0'],
      licenses: [
        { license: '(MIT OR Apache-2.0)', components: 1 },
        { license: 'Apache-2.0', components: 1 },
        { license: 'MIT', components: 1 },
      ],
      withoutLicense: 1,
    });
  });
});
