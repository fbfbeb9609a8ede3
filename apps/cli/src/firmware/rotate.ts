/**
 * `medsim firmware rotate`: replaces a root or targets key by a new one (routine rotation, or a key
 * holder leaving). The new root version lists the new key in place of the old and is signed by the
 * root keys in service, the new one included for a root rotation, so it meets the threshold of the
 * old root and of the new (TUF spec 5.3.4): devices follow it from the root they trust. For the
 * targets role, the latest targets are re-signed by the new key. The old key file is renamed
 * `*.retired`. `publish` then takes the new root (and targets) to the gateway.
 */
import { TufSigningKey, revokeKey, rootSpecOf } from '@medsim/firmware';
import { parseArgs } from 'node:util';
import { UsageError } from '../commands/usage-error.js';
import { loadReleaseKeys, resolveKeyId } from './key-dir.js';
import { printJson, printLines, short } from './output.js';
import { readOfflineMetadata, repositoryDir, requireRoot } from './release-repository.js';
import { updateRoot } from './root-update.js';

/** Runs `rotate`; returns the exit code. */
export async function rotate(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { keys: { type: 'string' }, role: { type: 'string' }, replace: { type: 'string' }, json: { type: 'boolean', default: false } } });
  if (values.keys === undefined) throw new UsageError('--keys is required');
  const role = values.role;
  if (role !== 'root' && role !== 'targets') throw new UsageError('--role must be root or targets (the gateway\'s online keys are its own)');
  const keys = loadReleaseKeys(values.keys);
  const repoDir = repositoryDir(values.keys);
  const files = await readOfflineMetadata(repoDir);
  const root = requireRoot(files, repoDir);
  const spec = rootSpecOf(root.bytes);
  const roleIds = spec[role].keys.map((k) => k.keyID);
  let oldId: string;
  if (values.replace !== undefined) oldId = resolveKeyId(roleIds, values.replace, '--replace', `the ${role} role`);
  else if (roleIds.length === 1) oldId = roleIds[0]!;
  else throw new UsageError(`the ${role} role has ${roleIds.length} keys: name the one to replace with --replace KEYID`);

  const newKey = TufSigningKey.generate();
  const others = (held: readonly { id: string; key: TufSigningKey }[]): TufSigningKey[] => held.filter((k) => k.id !== oldId).map((k) => k.key);
  const retiring = [...keys.root, ...keys.targets].find((k) => k.id === oldId)?.file;
  const updated = await updateRoot(values.keys, files, root, {
    spec: revokeKey(spec, oldId, newKey.publicKey),
    rootSigners: [...keys.root.map((k) => k.key), ...(role === 'root' ? [newKey] : [])],
    ...(role === 'targets' ? { resignTargetsWith: [...others(keys.targets), newKey] } : {}),
    newKey: { role, key: newKey },
    retire: retiring === undefined ? [] : [retiring],
  });

  const summary = { role, replaced: oldId, newKeyId: newKey.keyId, rootVersion: updated.rootVersion, targetsVersion: updated.targetsVersion ?? null, newKeyFile: updated.newKeyFile, retired: updated.retired };
  if (values.json) printJson(summary);
  else {
    printLines([
      `${role} key ${short(oldId)} replaced by ${newKey.keyId} (${updated.newKeyFile ?? ''})`,
      `  root v${updated.rootVersion}: signed by the old and the new root threshold`,
      ...(updated.targetsVersion === undefined ? [] : [`  targets v${updated.targetsVersion}: re-signed by the new targets key`]),
      retiring === undefined ? `  the old key has no file in ${values.keys}: nothing to retire` : `  old key file renamed ${updated.retired.join(', ')}`,
      'next: medsim firmware publish (devices take the new root on their next update check)',
    ]);
  }
  return 0;
}
