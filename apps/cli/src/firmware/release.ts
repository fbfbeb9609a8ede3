/**
 * `medsim firmware release`: the targets key signs the next targets version of the key directory's
 * repository: the entries of the previous version (whose signatures are checked first), minus
 * --remove, plus each --image. An image is listed only after it verified under the directory's
 * image key, and its entry's model, version and security counter are read from its own header
 * (signTargets refuses any difference), so the two signatures can never disagree about what an
 * image is. The new targets metadata and the images are written into the repository; `publish`
 * takes them to a gateway.
 */
import { formatVersion, metadataPath, signTargets, writeRepository, type FirmwareRelease } from '@medsim/firmware';
import { parseArgs } from 'node:util';
import { UsageError } from '../commands/usage-error.js';
import { table } from '../ui/terminal.js';
import { CommandError } from './command-error.js';
import { checkImage, keyringOf, readImageFile } from './image-check.js';
import { loadReleaseKeys } from './key-dir.js';
import { printJson, printLines, short } from './output.js';
import { latestMetadata, readOfflineMetadata, repositoryDir, requireRoot } from './release-repository.js';

/** A target entry as the targets metadata holds it. */
interface TargetEntry {
  readonly length: number;
  readonly hashes: { readonly sha256?: string };
  readonly custom?: { readonly model?: string; readonly version?: string; readonly securityCounter?: number };
}

/** The entries of targets metadata, by target path. */
export function targetEntries(targetsJson: Uint8Array): Record<string, TargetEntry> {
  try {
    return (JSON.parse(Buffer.from(targetsJson).toString('utf8')) as { signed: { targets: Record<string, TargetEntry> } }).signed.targets;
  } catch (cause) {
    throw new CommandError(`the targets metadata is not readable: ${(cause as Error).message}`);
  }
}

/** Runs `release`; returns the exit code. */
export async function release(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: { keys: { type: 'string' }, image: { type: 'string', multiple: true }, remove: { type: 'string', multiple: true }, json: { type: 'boolean', default: false } },
  });
  if (values.keys === undefined) throw new UsageError('--keys is required');
  const images = values.image ?? [];
  const remove = values.remove ?? [];
  if (images.length === 0 && remove.length === 0) throw new UsageError('give at least one --image FILE or --remove PATH');
  const keys = loadReleaseKeys(values.keys);
  if (keys.targets.length === 0) throw new CommandError(`${values.keys} holds no targets key in service`);
  const repoDir = repositoryDir(values.keys);
  const files = await readOfflineMetadata(repoDir);
  const root = requireRoot(files, repoDir);
  const previous = latestMetadata(files, 'targets');

  const keyring = keyringOf(keys.image);
  const add: FirmwareRelease[] = [];
  for (const file of images) {
    const image = await readImageFile(file);
    const { header } = checkImage(image, keyring, `checking ${file}`).parsed;
    add.push({ model: header.model, version: formatVersion(header.version), securityCounter: header.securityCounter, image });
  }
  const signed = signTargets({ root: root.bytes, ...(previous === undefined ? {} : { previous: { targets: previous.bytes } }), add, remove, signers: keys.targets.map((k) => k.key) });
  const version = (previous?.version ?? 0) + 1;
  await writeRepository(repoDir, new Map([[metadataPath('targets', version), signed.targetsJson], ...signed.targetFiles]));

  const entries = Object.entries(targetEntries(signed.targetsJson)).sort(([a], [b]) => a.localeCompare(b));
  const summary = {
    targetsVersion: version,
    signedBy: keys.targets.map((k) => k.id),
    added: add.map((r) => `${r.model}/${r.model}-${r.version}.bin`),
    removed: remove,
    targets: entries.map(([path, e]) => ({ path, version: e.custom?.version, securityCounter: e.custom?.securityCounter, length: e.length, sha256: e.hashes.sha256 })),
  };
  if (values.json) printJson(summary);
  else {
    printLines([
      `targets v${version} signed by ${summary.signedBy.map(short).join(', ')} in ${repoDir} (${summary.added.length} added, ${remove.length} removed)`,
      table(
        ['target', 'version', 'counter', 'bytes', 'sha256'],
        summary.targets.map((t) => [t.path, t.version ?? '?', String(t.securityCounter ?? '?'), String(t.length), short(t.sha256 ?? '')]),
      ),
      'next: medsim firmware publish --keys DIR --api HOST:PORT --ca FILE --user NAME',
    ]);
  }
  return 0;
}
