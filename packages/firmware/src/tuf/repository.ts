/**
 * The medsim TUF image repository as a plain map of files (path → bytes), its layout, and what the
 * offline (root.ts, targets.ts) and online (online-signer.ts) halves of the release side share.
 *
 * Key split (TUF spec 6.1, "offline keys"): root and targets keys stay with the release team on an
 * offline machine; the gateway holds only the snapshot and timestamp keys, which it must use
 * unattended (every publication, and before the timestamp expires). A compromised gateway can then
 * freeze or withhold updates for at most the metadata lifetimes, but never ship an image the
 * targets key did not sign.
 *
 * Layout, with consistent snapshots (TUF spec 4.4 and 5.5): every version of root, targets and
 * snapshot is its own file (`metadata/N.root.json`, `metadata/N.targets.json`,
 * `metadata/N.snapshot.json`), only `metadata/timestamp.json` is overwritten, and images are stored
 * under their hash (`targets/<model>/<sha256>.<model>-<version>.bin`). A device in the middle of a
 * refresh therefore never reads a file replaced under it, files are immutable (cacheable,
 * resumable), and a publication is complete once the timestamp is written last.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { Metadata, type MetadataKind, type Root, type Signature, type Snapshot, type Targets, type Timestamp } from '@tufjs/models';
import { InvalidRepositoryInputError } from '../errors.js';

/** A TUF repository as files: repository-relative path ('metadata/…' or 'targets/…') → bytes. */
export type RepositoryFiles = ReadonlyMap<string, Uint8Array>;

/** The TUF specification version written into every metadata file. */
export const TUF_SPEC_VERSION = '1.0.31';

/** Default lifetimes in days: short for the online roles, which the gateway re-signs unattended. */
export const DEFAULT_EXPIRY_DAYS = { root: 365, targets: 90, snapshot: 7, timestamp: 1 } as const;

/** A top-level TUF role. */
export type TopLevelRole = keyof typeof DEFAULT_EXPIRY_DAYS;

/** When and for how long a signer signs (`now` is injectable for tests). */
export interface ExpiryOptions {
  /** The signing time; default the wall clock. */
  readonly now?: Date;
  /** Lifetime in days; default DEFAULT_EXPIRY_DAYS for the role. */
  readonly expiresInDays?: number;
}

const DAY_MS = 86_400_000;
/** Safe repository paths: two known top directories, no '..', no empty segments. */
const SAFE_PATH = /^(metadata|targets)(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$/;
const VERSIONED = /^metadata\/([1-9]\d{0,9})\.(root|targets|snapshot)\.json$/;

/** A role whose every version is its own file. */
export type VersionedRole = Exclude<TopLevelRole, 'timestamp'>;

/** The one metadata file that is overwritten: the entry point of every refresh. */
export const TIMESTAMP_PATH = 'metadata/timestamp.json';

/** The repository path of one version of a role's metadata. */
export function metadataPath(role: VersionedRole, version: number): string {
  return `metadata/${version}.${role}.json`;
}

/** The TUF target path of a firmware release: `<model>/<model>-<version>.bin`. */
export function firmwareTargetPath(model: string, version: string): string {
  return `${model}/${model}-${version}.bin`;
}

/** Where a target is stored under consistent snapshots: `targets/<dir>/<sha256>.<basename>`. */
export function storedTargetPath(targetPath: string, sha256Hex: string): string {
  const slash = targetPath.lastIndexOf('/');
  return slash === -1 ? `targets/${sha256Hex}.${targetPath}` : `targets/${targetPath.slice(0, slash)}/${sha256Hex}.${targetPath.slice(slash + 1)}`;
}

/** SHA-256, hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A TUF `expires` value (seconds precision, UTC) `days` after `now`. */
export function expiresAfter(now: Date, days: number): string {
  if (!(days > 0 && days <= 3660)) throw new InvalidRepositoryInputError('a lifetime is more than 0 and at most 3660 days', { details: { field: 'expiresInDays' } });
  return new Date(Math.floor(now.getTime() / 1000) * 1000 + days * DAY_MS).toISOString().replace('.000Z', 'Z');
}

/** The expiry of a role signed with `options` now. */
export function expiryFor(role: TopLevelRole, options: ExpiryOptions = {}): string {
  return expiresAfter(options.now ?? new Date(), options.expiresInDays ?? DEFAULT_EXPIRY_DAYS[role]);
}

/** Highest published version of a versioned role (0 when none). */
export function latestVersion(files: RepositoryFiles, role: VersionedRole): number {
  let latest = 0;
  for (const path of files.keys()) {
    const match = VERSIONED.exec(path);
    if (match?.[2] === role) latest = Math.max(latest, Number(match[1]));
  }
  return latest;
}

/** Parses metadata bytes of one role; ERR_FW_REPO_INVALID when they are not that role's metadata. */
export function parseMetadata(kind: MetadataKind.Root, bytes: Uint8Array): Metadata<Root>;
export function parseMetadata(kind: MetadataKind.Targets, bytes: Uint8Array): Metadata<Targets>;
export function parseMetadata(kind: MetadataKind.Snapshot, bytes: Uint8Array): Metadata<Snapshot>;
export function parseMetadata(kind: MetadataKind.Timestamp, bytes: Uint8Array): Metadata<Timestamp>;
export function parseMetadata(kind: MetadataKind, bytes: Uint8Array): Metadata<Root | Targets | Snapshot | Timestamp> {
  try {
    return Metadata.fromJSON(kind as MetadataKind.Root, JSON.parse(Buffer.from(bytes).toString('utf8')) as Parameters<typeof Metadata.fromJSON>[1]);
  } catch (error) {
    throw new InvalidRepositoryInputError(`not valid ${kind} metadata`, { cause: error, details: { field: kind } });
  }
}

/** Signs `md` with each signer once (a signature per key id) and encodes it as a repository file. */
export function signAndEncode(md: Metadata<Root | Targets | Snapshot | Timestamp>, signers: readonly { readonly keyId: string; readonly signer: (data: Buffer) => Signature }[]): Uint8Array {
  const seen = new Set<string>();
  for (const s of signers) {
    if (seen.has(s.keyId)) continue;
    seen.add(s.keyId);
    md.sign(s.signer);
  }
  return new Uint8Array(Buffer.from(JSON.stringify(md.toJSON())));
}

/** Checks `path` is a safe repository path (no traversal); ERR_FW_REPO_INVALID otherwise. */
export function assertRepositoryPath(path: string): void {
  if (!SAFE_PATH.test(path) || path.length > 512) throw new InvalidRepositoryInputError(`not a repository path: ${JSON.stringify(path.slice(0, 80))}`, { details: { field: 'path' } });
}

/** Writes the files under `dir` (each through a temporary file and rename, so none is ever half written). */
export async function writeRepository(dir: string, files: RepositoryFiles): Promise<void> {
  for (const [path, bytes] of files) {
    assertRepositoryPath(path);
    const target = join(dir, ...path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(`${target}.tmp`, bytes);
    await rename(`${target}.tmp`, target);
  }
}

/** Reads a repository written by writeRepository (files under `metadata/` and `targets/`). */
export async function readRepository(dir: string): Promise<RepositoryFiles> {
  const files = new Map<string, Uint8Array>();
  for (const top of ['metadata', 'targets']) {
    let names: string[];
    try {
      names = await readdir(join(dir, top), { recursive: true });
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const path = `${top}/${name.split(sep).join('/')}`;
      if (!SAFE_PATH.test(path) || path.endsWith('.tmp')) continue;
      const bytes = await readFile(join(dir, top, name)).catch(() => undefined);
      if (bytes !== undefined) files.set(path, new Uint8Array(bytes));
    }
  }
  return files;
}
