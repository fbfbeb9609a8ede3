/**
 * The online half of the repository, run by the gateway with its snapshot and timestamp keys: it
 * takes what the offline side signed (new root versions, targets metadata, images), checks it
 * would verify on a device, and publishes a new snapshot (listing the targets version with its
 * length and SHA-256) and a new timestamp (listing the snapshot the same way), so a device can
 * refuse a swapped or oversized file before parsing it. renewTimestamp() re-signs the timestamp
 * alone, which the gateway does before the 1-day lifetime runs out.
 *
 * It holds no state but its keys: versions come from the repository it is given, so a restarted
 * gateway continues where the stored repository stands. The result is a new map; the input is
 * never modified, so a refused publication leaves the served repository as it was.
 */
import { Metadata, MetadataKind, MetaFile, Snapshot, Timestamp, type Root, type Targets } from '@tufjs/models';
import { InvalidRepositoryInputError, RepositoryThresholdError, RepositoryVersionError } from '../errors.js';
import type { TufSigningKey } from './keys.js';
import {
  DEFAULT_EXPIRY_DAYS,
  TIMESTAMP_PATH,
  TUF_SPEC_VERSION,
  assertRepositoryPath,
  expiresAfter,
  latestVersion,
  metadataPath,
  parseMetadata,
  sha256Hex,
  signAndEncode,
  storedTargetPath,
  type RepositoryFiles,
} from './repository.js';
import { verifyTargets } from './targets.js';

/** The gateway's online keys and lifetimes. */
export interface OnlineSignerOptions {
  readonly snapshotKeys: readonly TufSigningKey[];
  readonly timestampKeys: readonly TufSigningKey[];
  /** Snapshot lifetime in days (default 7). */
  readonly snapshotDays?: number;
  /** Timestamp lifetime in days (default 1). */
  readonly timestampDays?: number;
  /** The clock (default the wall clock). */
  readonly now?: () => Date;
}

/** What the offline side hands over for one publication; every part is optional. */
export interface Publication {
  /** Root versions, in order; versions already published must be byte-identical. */
  readonly rootHistory?: readonly Uint8Array[];
  /** New targets metadata (signTargets). */
  readonly targetsJson?: Uint8Array;
  /** The images it adds, at their stored paths. */
  readonly targetFiles?: RepositoryFiles;
}

/** Signs snapshot and timestamp metadata (see the file comment). */
export class OnlineSigner {
  readonly #o: OnlineSignerOptions;

  constructor(options: OnlineSignerOptions) {
    this.#o = options;
  }

  /** The repository after `publication`, with a new snapshot and timestamp version. */
  publish(current: RepositoryFiles, publication: Publication = {}): RepositoryFiles {
    const files = new Map(current);
    for (const bytes of publication.rootHistory ?? []) addRoot(files, bytes);
    const root = latestRoot(files);
    if (publication.targetsJson !== undefined) addTargets(files, root, publication.targetsJson, publication.targetFiles ?? new Map());
    else if (publication.targetFiles !== undefined) throw new InvalidRepositoryInputError('target files come with the targets metadata that lists them', { details: { field: 'targetFiles' } });
    const targetsVersion = latestVersion(files, 'targets');
    const targetsBytes = files.get(metadataPath('targets', targetsVersion));
    if (targetsBytes === undefined) throw new InvalidRepositoryInputError('no targets metadata published yet', { details: { field: 'targetsJson' } });
    // After a targets key rotation the old targets no longer verify: they must be re-signed first.
    verifyTargets(root, parseMetadata(MetadataKind.Targets, targetsBytes), 'the published targets');

    const snapshotVersion = latestVersion(files, 'snapshot') + 1;
    const snapshot = new Metadata(
      new Snapshot({ version: snapshotVersion, specVersion: TUF_SPEC_VERSION, expires: this.#expires('snapshot'), meta: { 'targets.json': metaFile(targetsVersion, targetsBytes) } }),
    );
    const snapshotBytes = this.#sign(root, 'snapshot', snapshot, this.#o.snapshotKeys);
    files.set(metadataPath('snapshot', snapshotVersion), snapshotBytes);
    return this.#withTimestamp(files, root, snapshotVersion, snapshotBytes);
  }

  /** The repository with only a new timestamp version (same snapshot), to keep it from expiring. */
  renewTimestamp(current: RepositoryFiles): RepositoryFiles {
    const files = new Map(current);
    const snapshotVersion = latestVersion(files, 'snapshot');
    const snapshotBytes = files.get(metadataPath('snapshot', snapshotVersion));
    if (snapshotBytes === undefined) throw new InvalidRepositoryInputError('nothing published yet', { details: { field: 'snapshot' } });
    return this.#withTimestamp(files, latestRoot(files), snapshotVersion, snapshotBytes);
  }

  #withTimestamp(files: Map<string, Uint8Array>, root: Metadata<Root>, snapshotVersion: number, snapshotBytes: Uint8Array): RepositoryFiles {
    const previous = files.get(TIMESTAMP_PATH);
    const version = previous === undefined ? 1 : parseMetadata(MetadataKind.Timestamp, previous).signed.version + 1;
    const timestamp = new Metadata(new Timestamp({ version, specVersion: TUF_SPEC_VERSION, expires: this.#expires('timestamp'), snapshotMeta: metaFile(snapshotVersion, snapshotBytes) }));
    files.set(TIMESTAMP_PATH, this.#sign(root, 'timestamp', timestamp, this.#o.timestampKeys));
    return files;
  }

  #expires(role: 'snapshot' | 'timestamp'): string {
    const days = role === 'snapshot' ? this.#o.snapshotDays : this.#o.timestampDays;
    return expiresAfter(this.#o.now?.() ?? new Date(), days ?? DEFAULT_EXPIRY_DAYS[role]);
  }

  /** Signs, then checks the result verifies under the root: the root may list other online keys. */
  #sign(root: Metadata<Root>, role: 'snapshot' | 'timestamp', md: Metadata<Snapshot> | Metadata<Timestamp>, keys: readonly TufSigningKey[]): Uint8Array {
    const bytes = signAndEncode(md, keys);
    try {
      root.verifyDelegate(role, md);
    } catch (error) {
      throw new RepositoryThresholdError(`the online ${role} keys do not meet the ${role} threshold of the latest root`, { cause: error, details: { role } });
    }
    return bytes;
  }
}

/** Length and SHA-256 of a metadata file, as snapshot and timestamp record it. */
function metaFile(version: number, bytes: Uint8Array): MetaFile {
  return new MetaFile({ version, length: bytes.length, hashes: { sha256: sha256Hex(bytes) } });
}

function latestRoot(files: RepositoryFiles): Metadata<Root> {
  const bytes = files.get(metadataPath('root', latestVersion(files, 'root')));
  if (bytes === undefined) throw new InvalidRepositoryInputError('the repository has no root yet', { details: { field: 'rootHistory' } });
  return parseMetadata(MetadataKind.Root, bytes);
}

/** Adds the next root version after checking it as a device would (TUF spec 5.3.4). */
function addRoot(files: Map<string, Uint8Array>, bytes: Uint8Array): void {
  const next = parseMetadata(MetadataKind.Root, bytes);
  const path = metadataPath('root', next.signed.version);
  const published = files.get(path);
  if (published !== undefined) {
    if (!Buffer.from(published).equals(Buffer.from(bytes))) throw new InvalidRepositoryInputError(`root version ${next.signed.version} is already published with other content`, { details: { field: 'rootHistory' } });
    return;
  }
  const latest = latestVersion(files, 'root');
  if (next.signed.version !== latest + 1) throw new InvalidRepositoryInputError(`root version ${next.signed.version} does not follow version ${latest}`, { details: { field: 'rootHistory' } });
  const trusting = latest === 0 ? next : latestRoot(files);
  try {
    trusting.verifyDelegate('root', next);
    next.verifyDelegate('root', next);
  } catch (error) {
    throw new RepositoryThresholdError(`root version ${next.signed.version} is not signed by the old and the new root threshold`, { cause: error, details: { role: 'root' } });
  }
  files.set(path, new Uint8Array(bytes));
}

/** Adds targets metadata and its images; every entry must have its image, of the right length and hash. */
function addTargets(files: Map<string, Uint8Array>, root: Metadata<Root>, bytes: Uint8Array, targetFiles: RepositoryFiles): void {
  const targets: Metadata<Targets> = parseMetadata(MetadataKind.Targets, bytes);
  verifyTargets(root, targets, 'the targets');
  const current = latestVersion(files, 'targets');
  if (targets.signed.version <= current) throw new RepositoryVersionError(`targets version ${targets.signed.version} is not above the published ${current}`, { details: { version: targets.signed.version, published: current } });
  const expected = new Map<string, { length: number; sha256: string }>();
  for (const [path, entry] of Object.entries(targets.signed.targets)) {
    const sha256 = entry.hashes.sha256;
    if (sha256 === undefined) throw new InvalidRepositoryInputError(`target ${path} has no sha256`, { details: { field: 'targetsJson' } });
    expected.set(storedTargetPath(path, sha256), { length: entry.length, sha256 });
  }
  for (const [path, image] of targetFiles) {
    assertRepositoryPath(path);
    const entry = expected.get(path);
    if (entry === undefined || image.length !== entry.length || sha256Hex(image) !== entry.sha256) throw new InvalidRepositoryInputError(`${path} is not an image the targets list`, { details: { field: 'targetFiles' } });
    files.set(path, image);
  }
  for (const [path, entry] of expected) {
    if (files.get(path)?.length !== entry.length) throw new InvalidRepositoryInputError(`the image for ${path} is missing`, { details: { field: 'targetFiles' } });
  }
  files.set(metadataPath('targets', targets.signed.version), new Uint8Array(bytes));
}
