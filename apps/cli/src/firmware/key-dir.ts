/**
 * The release key directory of `medsim firmware` (docs/firmware/release.md): the offline release
 * keys as PKCS#8 PEM files, one per key, named `<role>-<first 16 hex digits of its id>.pem` (role
 * root, targets or image; the id is the TUF key id, or the image key hash), and the TUF repository
 * the release side builds under `repository/`.
 *
 * The directory is 0700 and every key file 0600, created with that mode (O_EXCL: never over an
 * existing file); a key file that group or others may read is refused, as the gateway refuses its
 * own (CTL-10, CTL-11). A key taken out of service is renamed `<file>.retired`, never deleted, so
 * what signed each published version stays on record.
 */
import { ImageSigningKey, TufSigningKey } from '@medsim/firmware';
import { chmodSync, closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../commands/usage-error.js';
import { CommandError } from './command-error.js';

/** The offline keys a key directory holds. */
export type KeyRole = 'root' | 'targets' | 'image';

/** The repository directory inside a key directory. */
export const REPOSITORY_DIR = 'repository';

const KEY_FILE = /^(root|targets|image)-([0-9a-f]{16})\.pem$/u;
/** Shortest key id prefix accepted on the command line (32 bits: no accidental match among a root's keys). */
const MIN_ID_PREFIX = 8;

/** A key and the file it lives in. */
export interface KeyFile<K> {
  /** File name inside the key directory. */
  readonly file: string;
  /** TUF key id, or image key hash (64 hex digits). */
  readonly id: string;
  readonly key: K;
}

/** The keys in service in a key directory (retired files are not loaded). */
export interface ReleaseKeys {
  readonly root: readonly KeyFile<TufSigningKey>[];
  readonly targets: readonly KeyFile<TufSigningKey>[];
  readonly image: readonly KeyFile<ImageSigningKey>[];
}

/** The file name of a key: role and the first 16 hex digits of its id. */
export const keyFileName = (role: KeyRole, id: string): string => `${role}-${id.slice(0, 16)}.pem`;

/** Creates `dir` (0700) for a new key set; refuses a path that exists and is not an empty directory. */
export function createKeyDir(dir: string): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return;
  }
  if (!statSync(dir).isDirectory()) throw new UsageError(`${dir} exists and is not a directory`);
  if (readdirSync(dir).length > 0) throw new UsageError(`${dir} is not empty: refusing to overwrite release keys (give a new directory)`);
  chmodSync(dir, 0o700);
}

/** Writes a key file (0600, O_EXCL); returns its name. */
export function writeKeyFile(dir: string, role: KeyRole, id: string, pem: string): string {
  const file = keyFileName(role, id);
  let fd: number | undefined;
  try {
    fd = openSync(join(dir, file), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    writeSync(fd, Buffer.from(pem, 'utf8'));
  } catch (cause) {
    throw new CommandError(`cannot create key file ${join(dir, file)}: ${(cause as Error).message}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return file;
}

/** Reads a key file, refusing one that group or others may read. */
function readKeyFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY);
  try {
    if ((fstatSync(fd).mode & 0o077) !== 0) throw new CommandError(`${path} is readable by group or others: chmod 600 it (and ask whether the key leaked)`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** A key parsed from its PEM; a file that holds no Ed25519 private key is refused by name. */
function parseKey<K>(dir: string, file: string, parse: () => K): K {
  try {
    return parse();
  } catch (cause) {
    throw new CommandError(`${join(dir, file)} is not an Ed25519 private key in PKCS#8 PEM: ${(cause as Error).message}`);
  }
}

/** `entry`, after checking its file name names its key (a renamed file would sign as the wrong key). */
function named<K>(dir: string, role: KeyRole, entry: KeyFile<K>): KeyFile<K> {
  if (keyFileName(role, entry.id) !== entry.file) throw new CommandError(`${join(dir, entry.file)} holds another key than its name says (${entry.id.slice(0, 16)})`);
  return entry;
}

/** Loads the keys in service from `dir`; a file whose name does not match its key is refused. */
export function loadReleaseKeys(dir: string): ReleaseKeys {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--keys ${dir}: no such key directory (create one with medsim firmware keys init)`);
  const keys: { root: KeyFile<TufSigningKey>[]; targets: KeyFile<TufSigningKey>[]; image: KeyFile<ImageSigningKey>[] } = { root: [], targets: [], image: [] };
  for (const file of readdirSync(dir).sort()) {
    const match = KEY_FILE.exec(file);
    if (match === null) continue;
    const role = match[1] as KeyRole;
    const pem = readKeyFile(join(dir, file));
    if (role === 'image') {
      const key = parseKey(dir, file, () => ImageSigningKey.fromPem(pem));
      keys.image.push(named(dir, role, { file, id: key.keyHash, key }));
    } else {
      const key = parseKey(dir, file, () => TufSigningKey.fromPem(pem));
      keys[role].push(named(dir, role, { file, id: key.keyId, key }));
    }
  }
  return keys;
}

/** Renames a key file to `<file>.retired`; returns the new name. */
export function retireKeyFile(dir: string, file: string): string {
  const retired = `${file}.retired`;
  if (existsSync(join(dir, retired))) throw new CommandError(`${join(dir, retired)} already exists: not renaming ${file} over it`);
  renameSync(join(dir, file), join(dir, retired));
  return retired;
}

/** The one id among `ids` (the keys of `where`) that `given` names in full or by a unique prefix of at least 8 hex digits. */
export function resolveKeyId(ids: readonly string[], given: string, flag: string, where: string): string {
  const prefix = given.toLowerCase();
  if (!/^[0-9a-f]+$/u.test(prefix) || prefix.length < MIN_ID_PREFIX || prefix.length > 64) throw new UsageError(`${flag} must be a key id, or at least its first ${MIN_ID_PREFIX} hex digits`);
  const matches = [...new Set(ids)].filter((id) => id.startsWith(prefix));
  if (matches.length === 0) throw new UsageError(`${flag} ${given}: not a key of ${where}`);
  if (matches.length > 1) throw new UsageError(`${flag} ${given}: more than one key starts with it; give more digits`);
  return matches[0]!;
}
