/**
 * A TUF repository simulator for the update tests, after tuf-conformance's RepositorySimulator: a
 * real repository built with the release tools (root 2 of 3, targets, online snapshot and timestamp
 * keys), a device client on a fresh metadata directory, and helpers to forge the hostile metadata an
 * attacker would serve (re-signed with chosen keys, edited after signing, padded).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, type MetadataKind, type Signature } from '@tufjs/models';
import {
  ImageSigningKey,
  MemoryFetcher,
  OnlineSigner,
  TufSigningKey,
  UpdateClient,
  buildImage,
  createRoot,
  installTrustedRoot,
  latestVersion,
  metadataPath,
  signTargets,
  type DownloadSink,
  type Fetcher,
  type FirmwareRelease,
  type RepositoryFiles,
  type RootSpec,
  type UpdateLimits,
} from '../../src/index.js';

export const imageKey = ImageSigningKey.generate();

/** A real signed image (4 KiB payload) for a release. */
export function release(model: string, version: string, securityCounter: number): FirmwareRelease {
  const image = buildImage({ model, version, securityCounter, buildTimeMs: Date.UTC(2026, 10, 1), payloadSize: 4096 }, imageKey);
  return { image, model, version, securityCounter };
}

/** The release team's and the gateway's keys. */
export function newKeys() {
  return {
    root: [TufSigningKey.generate(), TufSigningKey.generate(), TufSigningKey.generate()],
    targets: TufSigningKey.generate(),
    snapshot: TufSigningKey.generate(),
    timestamp: TufSigningKey.generate(),
  };
}
export type Keys = ReturnType<typeof newKeys>;

/** The root spec of `keys`: root 2 of 3, one key for each other role. */
export function specOf(keys: Keys): RootSpec {
  return {
    root: { keys: keys.root.map((k) => k.publicKey), threshold: 2 },
    targets: { keys: [keys.targets.publicKey], threshold: 1 },
    snapshot: { keys: [keys.snapshot.publicKey], threshold: 1 },
    timestamp: { keys: [keys.timestamp.publicKey], threshold: 1 },
  };
}

/** A repository with ultrasound 1.0.0 and pump 1.0.0 published. */
export function newRepository(keys: Keys = newKeys()) {
  const root = createRoot(specOf(keys), keys.root.slice(0, 2));
  const online = new OnlineSigner({ snapshotKeys: [keys.snapshot], timestampKeys: [keys.timestamp] });
  const { targetsJson, targetFiles } = signTargets({ root, add: [release('ultrasound', '1.0.0', 1), release('pump', '1.0.0', 1)], signers: [keys.targets] });
  const files = online.publish(new Map(), { rootHistory: [root], targetsJson, targetFiles });
  return { keys, root, online, files };
}

/** The latest file of a versioned role. */
export function latest(files: RepositoryFiles, role: 'root' | 'targets' | 'snapshot'): Uint8Array {
  const bytes = files.get(metadataPath(role, latestVersion(files, role)));
  if (bytes === undefined) throw new Error(`no ${role}`);
  return bytes;
}

/**
 * A device: a client on a fresh metadata directory provisioned with `root`, fetching from memory
 * (through `wrap`, to inject faults).
 */
export async function newDevice(root: Uint8Array, files: RepositoryFiles, limits: Partial<UpdateLimits> = {}, wrap: (inner: Fetcher) => Fetcher = (inner) => inner) {
  const metadataDir = await mkdtemp(join(tmpdir(), 'medsim-tuf-'));
  await installTrustedRoot(metadataDir, root);
  const fetcher = new MemoryFetcher(files, 1024);
  return { metadataDir, fetcher, client: new UpdateClient({ metadataDir, fetcher: wrap(fetcher), limits }) };
}

/** SHA-256 of every file in the device's metadata directory: its whole trusted state. */
export async function trustedState(metadataDir: string): Promise<Record<string, string>> {
  const state: Record<string, string> = {};
  for (const name of (await readdir(metadataDir)).sort()) state[name] = createHash('sha256').update(await readFile(join(metadataDir, name))).digest('hex');
  return state;
}

/** The `meta` entry snapshot or timestamp metadata records for `bytes`. */
export function metaOf(bytes: Uint8Array, version: number, withHashes = true): Record<string, unknown> {
  return withHashes ? { version, length: bytes.length, hashes: { sha256: createHash('sha256').update(bytes).digest('hex') } } : { version };
}

type Signer = { readonly keyId: string; readonly signer: (data: Buffer) => Signature };

/** Metadata JSON as a test edits it to forge hostile inputs: any field may be read or written. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- forged metadata is edited freely, field by field
export type Editable = Record<string, any>;

/** Metadata JSON: the signed part and the signatures. */
export interface MetadataJson {
  signed: Editable;
  signatures: { keyid: string; sig: string }[];
}

/** Parses metadata bytes. */
export function json(bytes: Uint8Array | undefined): MetadataJson {
  return JSON.parse(Buffer.from(bytes ?? []).toString('utf8')) as MetadataJson;
}

/**
 * `bytes` with its signed part edited by `edit` (JSON, so any field can be forged) and signed
 * afresh by `signers` (none: unsigned).
 */
export function forge(bytes: Uint8Array, kind: MetadataKind, edit: (signed: Editable) => void, signers: readonly Signer[]): Uint8Array {
  const { signed } = json(bytes);
  edit(signed);
  const md = Metadata.fromJSON(kind as MetadataKind.Root, { signed, signatures: [] });
  for (const s of signers) md.sign(s.signer);
  return new Uint8Array(Buffer.from(JSON.stringify(md.toJSON())));
}

/** An edit for forge(): set the version. */
export const toVersion =
  (version: number) =>
  (signed: Editable): void => {
    signed.version = version;
  };

/** `bytes` as JSON, edited in place by `edit` (signatures left as they were). */
export function editJson(bytes: Uint8Array, edit: (md: MetadataJson) => void): Uint8Array {
  const md = json(bytes);
  edit(md);
  return new Uint8Array(Buffer.from(JSON.stringify(md)));
}

/** A map with `changes` applied over `files`. */
export function withFiles(files: RepositoryFiles, changes: Record<string, Uint8Array>): RepositoryFiles {
  return new Map([...files, ...Object.entries(changes)]);
}

/** The code of the error `promise` rejects with (undefined when it resolves). */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

/** The error `promise` rejects with. */
export async function errorOf(promise: Promise<unknown>): Promise<{ code?: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; details?: Record<string, unknown> };
  }
  throw new Error('expected a rejection');
}

/** A flash slot stand-in: checks offsets arrive in order and records completion. */
export class MemorySink implements DownloadSink {
  readonly chunks: Uint8Array[] = [];
  written = 0;
  completed: Uint8Array | undefined;

  write(chunk: Uint8Array, offset: number): void {
    if (offset !== this.written) throw new Error(`write at ${offset}, expected ${this.written}`);
    this.chunks.push(new Uint8Array(chunk));
    this.written += chunk.length;
  }

  complete(sha256: Uint8Array): void {
    if (this.completed !== undefined) throw new Error('completed twice');
    this.completed = sha256;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
