/**
 * `medsim firmware revoke`: takes a key out of the root for good (lost, stolen, or its holder
 * gone), without a replacement: the new root version no longer lists it in any role and is signed
 * by the other root keys in service, never by the revoked one. Devices walk every root version in
 * order, so one that was offline still passes through the revocation, and from then on refuse
 * what the key signs (U10). A key whose role would fall below its threshold is refused: replace it
 * with `rotate` instead. When the key was a targets key, the latest targets are re-signed by the
 * targets keys that remain; its file, if here, is renamed `*.retired`.
 */
import { revokeKey, rootSpecOf, type RootSpec } from '@medsim/firmware';
import { parseArgs } from 'node:util';
import { UsageError } from '../commands/usage-error.js';
import { CommandError } from './command-error.js';
import { loadReleaseKeys, resolveKeyId } from './key-dir.js';
import { printJson, printLines, short } from './output.js';
import { readOfflineMetadata, repositoryDir, requireRoot } from './release-repository.js';
import { updateRoot } from './root-update.js';

const ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;

/** Runs `revoke`; returns the exit code. */
export async function revoke(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: { keys: { type: 'string' }, key: { type: 'string' }, json: { type: 'boolean', default: false } } });
  if (values.keys === undefined || values.key === undefined) throw new UsageError('--keys and --key are required');
  const keys = loadReleaseKeys(values.keys);
  const repoDir = repositoryDir(values.keys);
  const files = await readOfflineMetadata(repoDir);
  const root = requireRoot(files, repoDir);
  const spec: RootSpec = rootSpecOf(root.bytes);
  const id = resolveKeyId(ROLES.flatMap((role) => spec[role].keys.map((k) => k.keyID)), values.key, '--key', `root v${root.version}`);
  const roles = ROLES.filter((role) => spec[role].keys.some((k) => k.keyID === id));
  for (const role of roles) {
    const { keys: roleKeys, threshold } = spec[role];
    if (roleKeys.length - 1 < threshold) {
      const instead = role === 'root' || role === 'targets' ? `replace it: medsim firmware rotate --role ${role} --replace ${short(id)}` : 'list a new gateway key in its place';
      throw new CommandError(`revoking ${short(id)} would leave the ${role} role ${roleKeys.length - 1} keys for a threshold of ${threshold}: ${instead}`);
    }
  }

  const retiring = [...keys.root, ...keys.targets].find((k) => k.id === id)?.file;
  const updated = await updateRoot(values.keys, files, root, {
    spec: revokeKey(spec, id),
    rootSigners: keys.root.filter((k) => k.id !== id).map((k) => k.key),
    ...(roles.includes('targets') ? { resignTargetsWith: keys.targets.filter((k) => k.id !== id).map((k) => k.key) } : {}),
    retire: retiring === undefined ? [] : [retiring],
  });

  const summary = { revoked: id, roles, rootVersion: updated.rootVersion, targetsVersion: updated.targetsVersion ?? null, retired: updated.retired };
  if (values.json) printJson(summary);
  else {
    printLines([
      `key ${id} revoked from ${roles.join(', ')}: root v${updated.rootVersion}, signed by the other root keys`,
      ...(updated.targetsVersion === undefined ? [] : [`  targets v${updated.targetsVersion}: re-signed by the remaining targets keys`]),
      retiring === undefined ? `  the key has no file in ${values.keys}: nothing to retire` : `  its key file renamed ${updated.retired.join(', ')}`,
      'next: medsim firmware publish (devices take the new root on their next update check)',
    ]);
  }
  return 0;
}
