/**
 * Adds component hashes to a cyclonedx-npm BOM from package-lock.json (reference/hpke-tuf-totp-sbom.md
 * §4, the verified post-processing). cyclonedx-npm puts hashes only where `npm ls` shows a `resolved`
 * URL, and this project's npm config (omit-lockfile-registry-resolved) keeps registry URLs out of the
 * lock file on purpose, so the BOM comes without hashes. The lock file still has each package's
 * `integrity` (Subresource Integrity: the tarball's digest, base64), which is the same digest:
 * `sha512-<base64>` becomes { alg: "SHA-512", content: <hex> }.
 *
 * A component is found in the lock file by its `cdx:npm:package:path` property (node_modules/…).
 * Workspace packages are links without an integrity and stay without hashes, as does any package
 * whose only digest is SHA-1 (not collision resistant); summarizeSbom lists them.
 */
import { InvalidSbomError } from '../errors.js';
import { parseBom, propertyValue, type CycloneDxBom, type CycloneDxComponent, type CycloneDxHash } from './cyclonedx.js';

/** SRI algorithm → CycloneDX hash algorithm and digest length in bytes. SHA-1 is left out on purpose. */
const ALGORITHMS: Readonly<Record<string, { readonly alg: string; readonly bytes: number }>> = {
  sha256: { alg: 'SHA-256', bytes: 32 },
  sha384: { alg: 'SHA-384', bytes: 48 },
  sha512: { alg: 'SHA-512', bytes: 64 },
};

/** One SRI token: algorithm, base64 digest, optional `?options` (SRI §3.5). */
const SRI_TOKEN = /^(sha1|sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})(?:\?\S*)?$/u;

/** The property cyclonedx-npm records a package's place in the tree under. */
export const PACKAGE_PATH_PROPERTY = 'cdx:npm:package:path';

/**
 * The CycloneDX hashes of an SRI `integrity` value (one or more space-separated tokens).
 * @throws InvalidSbomError when a token is malformed or a digest has the wrong length.
 */
export function integrityHashes(integrity: string, where: string): CycloneDxHash[] {
  const hashes: CycloneDxHash[] = [];
  for (const token of integrity.trim().split(/\s+/u)) {
    const match = SRI_TOKEN.exec(token);
    if (match === null) throw new InvalidSbomError(`${where}: malformed integrity value`, { details: { where } });
    const [, name = '', base64 = ''] = match;
    const algorithm = ALGORITHMS[name];
    if (algorithm === undefined) continue;
    const digest = Buffer.from(base64, 'base64');
    if (digest.length !== algorithm.bytes) {
      throw new InvalidSbomError(`${where}: a ${name} digest of ${digest.length} bytes`, { details: { where, bytes: digest.length } });
    }
    hashes.push({ alg: algorithm.alg, content: digest.toString('hex') });
  }
  return hashes;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The lock file's `packages` map (lockfile v2 and v3). */
function lockPackages(packageLock: unknown): Json {
  if (!isObject(packageLock) || (packageLock.lockfileVersion !== 2 && packageLock.lockfileVersion !== 3) || !isObject(packageLock.packages)) {
    throw new InvalidSbomError('Not an npm lock file v2 or v3 (lockfileVersion and packages)', { details: { where: 'package-lock.json' } });
  }
  return packageLock.packages;
}

/** The component's hashes with the lock file's added; a contradiction between the two is refused. */
function mergeHashes(component: CycloneDxComponent, added: readonly CycloneDxHash[], where: string): CycloneDxHash[] {
  const hashes = [...(component.hashes ?? [])];
  for (const hash of added) {
    const existing = hashes.find((h) => h.alg === hash.alg);
    if (existing === undefined) hashes.push(hash);
    else if (existing.content.toLowerCase() !== hash.content) {
      throw new InvalidSbomError(`${where}: the BOM's ${hash.alg} differs from the lock file's integrity`, { details: { where, alg: hash.alg } });
    }
  }
  return hashes;
}

function withHashes(components: readonly CycloneDxComponent[], packages: Json): CycloneDxComponent[] {
  return components.map((component) => {
    const path = propertyValue(component, PACKAGE_PATH_PROPERTY);
    const entry = path === undefined ? undefined : packages[path];
    const integrity = isObject(entry) ? entry.integrity : undefined;
    if (integrity !== undefined && typeof integrity !== 'string') {
      throw new InvalidSbomError(`package-lock.json ${path ?? ''}: integrity is not a string`, { details: { where: path ?? '' } });
    }
    const added = integrity === undefined ? [] : integrityHashes(integrity, `package-lock.json ${path ?? ''}`);
    const nested = component.components === undefined ? {} : { components: withHashes(component.components, packages) };
    const hashes = added.length === 0 ? {} : { hashes: mergeHashes(component, added, path ?? component.name) };
    return { ...component, ...hashes, ...nested };
  });
}

/**
 * A copy of the BOM in which every component the lock file has an integrity for carries that digest
 * as a CycloneDX hash (SHA-512 for every registry package npm installs today). The input is not
 * changed.
 * @throws InvalidSbomError when the BOM or the lock file is malformed, or a hash already in the BOM
 *   contradicts the lock file.
 */
export function addLockfileHashes(bom: CycloneDxBom, packageLock: unknown): CycloneDxBom {
  const checked = parseBom(bom);
  const packages = lockPackages(packageLock);
  return checked.components === undefined ? checked : { ...checked, components: withHashes(checked.components, packages) };
}
