/**
 * The release side's copy of the TUF repository, `<keys>/repository/` in the layout of
 * @medsim/firmware (repository.ts: `metadata/N.root.json`, `metadata/N.targets.json`,
 * `targets/<model>/<sha256>.<model>-<version>.bin`). The release side signs only root and targets;
 * snapshot and timestamp are the gateway's (online keys). Metadata is read whole; images are read
 * one at a time, only when a command needs them, since the directory keeps every image released.
 */
import { latestVersion, type RepositoryFiles, type VersionedRole } from '@medsim/firmware';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CommandError } from './command-error.js';
import { REPOSITORY_DIR } from './key-dir.js';

const OFFLINE_METADATA = /^[1-9]\d{0,9}\.(root|targets)\.json$/u;

/** One version of a role's metadata. */
export interface MetadataVersion {
  readonly version: number;
  readonly bytes: Uint8Array;
}

/** The repository directory of a key directory. */
export const repositoryDir = (keysDir: string): string => join(keysDir, REPOSITORY_DIR);

/** Every root and targets version under `<repo>/metadata/`, keyed `metadata/<name>` as @medsim/firmware keys them. */
export async function readOfflineMetadata(repoDir: string): Promise<RepositoryFiles> {
  const files = new Map<string, Uint8Array>();
  let names: string[];
  try {
    names = await readdir(join(repoDir, 'metadata'));
  } catch {
    return files;
  }
  // Root versions first, in order, then targets: the order a device reads them in.
  const order = (name: string): [boolean, number] => [name.includes('.targets.'), Number(name.split('.')[0])];
  const sorted = names.filter((n) => OFFLINE_METADATA.test(n)).sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    return Number(x[0]) - Number(y[0]) || x[1] - y[1];
  });
  for (const name of sorted) files.set(`metadata/${name}`, new Uint8Array(await readFile(join(repoDir, 'metadata', name))));
  return files;
}

/** The latest version of `role`, or undefined when there is none. */
export function latestMetadata(files: RepositoryFiles, role: VersionedRole): MetadataVersion | undefined {
  const version = latestVersion(files, role);
  const bytes = files.get(`metadata/${version}.${role}.json`);
  return bytes === undefined ? undefined : { version, bytes };
}

/** The latest root; refuses a repository without one (not made by `keys init`). */
export function requireRoot(files: RepositoryFiles, repoDir: string): MetadataVersion {
  const root = latestMetadata(files, 'root');
  if (root === undefined) throw new CommandError(`${repoDir} holds no root metadata: make the keys with medsim firmware keys init`);
  return root;
}

/** The bytes of a stored image (`targets/...` path of the repository). */
export async function readStoredTarget(repoDir: string, storedPath: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(join(repoDir, ...storedPath.split('/'))));
  } catch (cause) {
    throw new CommandError(`the targets metadata lists ${storedPath}, which is missing from ${repoDir}: ${(cause as Error).message}`);
  }
}
