/**
 * `medsim firmware keys init`: the offline key ceremony (docs/firmware/release.md). Generates three
 * root keys (threshold 2), a targets key and an image-signing key (Ed25519, OpenSSL's CSPRNG) into
 * a new directory, takes the gateway's online snapshot and timestamp public keys from the file
 * `online-keys` printed, and signs root version 1 with two of the three root keys: the threshold,
 * so the ceremony shows that any two officers suffice. Everything is built and checked in memory
 * first; the files are written only once the root verifies (createRoot checks it as a device would).
 */
import { TufSigningKey, ImageSigningKey, createRoot, metadataPath, writeRepository, type RootSpec } from '@medsim/firmware';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../commands/usage-error.js';
import { createKeyDir, writeKeyFile } from './key-dir.js';
import { parseOnlinePublicKeys } from './online-keys.js';
import { printJson, printLines } from './output.js';
import { repositoryDir } from './release-repository.js';

/** Root keys and how many must sign: three officers, any two of them. */
export const ROOT_KEYS = { count: 3, threshold: 2 } as const;

/** Runs `keys init`; returns the exit code. */
export async function keysInit(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: { dir: { type: 'string' }, 'online-keys': { type: 'string' }, json: { type: 'boolean', default: false } } });
  if (positionals[0] !== 'init' || positionals.length > 1) throw new UsageError('say keys init');
  if (values.dir === undefined) throw new UsageError('--dir is required');
  if (values['online-keys'] === undefined) throw new UsageError('--online-keys FILE is required (print it on the gateway host with medsim firmware online-keys)');
  let text: string;
  try {
    text = readFileSync(values['online-keys'], 'utf8');
  } catch {
    throw new UsageError(`--online-keys ${values['online-keys']}: cannot read the file`);
  }
  const online = parseOnlinePublicKeys(text, values['online-keys']);

  const rootKeys = Array.from({ length: ROOT_KEYS.count }, () => TufSigningKey.generate());
  const targetsKey = TufSigningKey.generate();
  const imageKey = ImageSigningKey.generate();
  const spec: RootSpec = {
    root: { keys: rootKeys.map((k) => k.publicKey), threshold: ROOT_KEYS.threshold },
    targets: { keys: [targetsKey.publicKey], threshold: 1 },
    snapshot: { keys: [online.snapshot], threshold: 1 },
    timestamp: { keys: [online.timestamp], threshold: 1 },
  };
  const root = createRoot(spec, rootKeys.slice(0, ROOT_KEYS.threshold));

  createKeyDir(values.dir);
  const files = [
    ...rootKeys.map((k) => writeKeyFile(values.dir!, 'root', k.keyId, k.toPem())),
    writeKeyFile(values.dir, 'targets', targetsKey.keyId, targetsKey.toPem()),
    writeKeyFile(values.dir, 'image', imageKey.keyHash, imageKey.toPem()),
  ];
  const rootPath = metadataPath('root', 1);
  await writeRepository(repositoryDir(values.dir), new Map([[rootPath, root]]));

  const summary = {
    dir: values.dir,
    files,
    root: { keyIds: rootKeys.map((k) => k.keyId), threshold: ROOT_KEYS.threshold, signedBy: rootKeys.slice(0, ROOT_KEYS.threshold).map((k) => k.keyId) },
    targets: { keyId: targetsKey.keyId },
    image: { keyHash: imageKey.keyHash, publicKeyHex: Buffer.from(imageKey.publicKey).toString('hex') },
    snapshot: { keyId: online.snapshot.keyID },
    timestamp: { keyId: online.timestamp.keyID },
    rootMetadata: join(repositoryDir(values.dir), ...rootPath.split('/')),
  };
  if (values.json) {
    printJson(summary);
  } else {
    printLines([
      `release keys in ${values.dir} (0700; key files 0600: split the root keys between their officers)`,
      ...summary.root.keyIds.map((id, i) => `  root ${i + 1}     ${id}${i < ROOT_KEYS.threshold ? '  (signed root v1)' : ''}`),
      `  targets    ${summary.targets.keyId}`,
      `  image      ${summary.image.keyHash}  (key hash; public key ${summary.image.publicKeyHex}: the bootloader keyring)`,
      `  snapshot   ${summary.snapshot.keyId}  (gateway, online)`,
      `  timestamp  ${summary.timestamp.keyId}  (gateway, online)`,
      `root v1 (threshold ${ROOT_KEYS.threshold} of ${ROOT_KEYS.count}): ${summary.rootMetadata}`,
    ]);
  }
  return 0;
}
