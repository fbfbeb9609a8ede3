/**
 * A new root version from the release side, shared by `rotate` and `revoke` (TUF spec 5.3.4): the
 * next root with the changed key sets, signed by the root keys in service (rotateRoot refuses it
 * unless it meets the root threshold of the previous root and of the new one); when the targets
 * keys changed, the latest targets re-signed under the new root, since a device would no longer
 * count the old key's signature; then the key files taken out of service renamed `*.retired`.
 *
 * Everything is signed and checked in memory first. Files are then written in an order that leaves
 * a usable directory at each step: the new key file, the metadata, the renames last.
 */
import { metadataPath, rotateRoot, signTargets, writeRepository, type RepositoryFiles, type RootSpec, type TufSigningKey } from '@medsim/firmware';
import { retireKeyFile, writeKeyFile } from './key-dir.js';
import { latestMetadata, repositoryDir, type MetadataVersion } from './release-repository.js';

/** What changes. */
export interface RootUpdate {
  /** The key sets of the new root. */
  readonly spec: RootSpec;
  /** Root keys that sign: old and new ones; rotateRoot uses those the old or the new root lists. */
  readonly rootSigners: readonly TufSigningKey[];
  /** The targets keys that re-sign the latest targets, when the targets role changed. */
  readonly resignTargetsWith?: readonly TufSigningKey[];
  /** A new key, written before anything else. */
  readonly newKey?: { readonly role: 'root' | 'targets'; readonly key: TufSigningKey };
  /** Key files to rename `*.retired` once the new metadata is written. */
  readonly retire: readonly string[];
}

/** What was written. */
export interface RootUpdated {
  readonly rootVersion: number;
  /** The re-signed targets version, when there was one to re-sign. */
  readonly targetsVersion: number | undefined;
  readonly newKeyFile: string | undefined;
  readonly retired: readonly string[];
}

/** Signs and writes the next root (and targets) of `keysDir` (see the file comment). */
export async function updateRoot(keysDir: string, files: RepositoryFiles, root: MetadataVersion, update: RootUpdate): Promise<RootUpdated> {
  const nextRoot = rotateRoot(root.bytes, update.spec, update.rootSigners);
  const rootVersion = root.version + 1;
  const out = new Map([[metadataPath('root', rootVersion), nextRoot]]);
  const targets = latestMetadata(files, 'targets');
  let targetsVersion: number | undefined;
  if (update.resignTargetsWith !== undefined && targets !== undefined) {
    const signed = signTargets({ root: nextRoot, previous: { targets: targets.bytes, root: root.bytes }, signers: update.resignTargetsWith });
    targetsVersion = targets.version + 1;
    out.set(metadataPath('targets', targetsVersion), signed.targetsJson);
  }
  const newKeyFile = update.newKey === undefined ? undefined : writeKeyFile(keysDir, update.newKey.role, update.newKey.key.keyId, update.newKey.key.toPem());
  await writeRepository(repositoryDir(keysDir), out);
  return { rootVersion, targetsVersion, newKeyFile, retired: update.retire.map((file) => retireKeyFile(keysDir, file)) };
}
