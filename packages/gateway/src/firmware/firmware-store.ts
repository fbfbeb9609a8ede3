/**
 * The update repository's storage (issue 5, "Gateway side"; CTL-12): published releases as
 * content-addressed files (blob-store.ts) with an SQLite index of TUF metadata by name and of
 * target images by path, model, version, security counter, length and SHA-256.
 *
 * A release arrives as a bundle signed offline by the release side: `{ metadata, targets }`,
 * name → bytes. The gateway does not verify TUF signatures (the device does, against its own
 * trusted root; the metadata is opaque here), but it refuses what no device should ever be
 * offered, before storing anything: names outside the repository's patterns, oversized files,
 * metadata whose role or version disagrees with its name, targets that do not parse as a medsim
 * image (`parseImage` of @medsim/firmware), whose model is not their directory or whose SHA-256
 * is not the one their name carries, and any change to something already published. Publishing
 * the same bundle twice changes nothing.
 *
 * Online signing seam: after a bundle is stored, the store hands it to a MetadataSigner, which
 * may return more metadata (a new snapshot and timestamp signed with the gateway's online keys)
 * to store the same way. The default signs nothing: the release side publishes all four roles.
 */
import type { AuditStream } from '@medsim/logging';
import { MedsimError } from '@medsim/protocol';
import { parseImage } from '@medsim/firmware';
import { FirmwareConflictError, FirmwareImageInvalidError, FirmwareMetadataInvalidError, FirmwareTooLargeError, GatewayError } from '../errors.js';
import type { Database } from '../store/database.js';
import { sha256Hex, type BlobStore } from './blob-store.js';
import { METADATA_MAX_BYTES, parseMetadataName, parseTargetFileName, type MetadataName, type MetadataRole, type TargetFileName } from './repository-names.js';

/** Most files of each kind in one bundle (a release is four metadata files and a few images). */
export const BUNDLE_LIMITS = { metadataFiles: 64, targetFiles: 256 } as const;

/** A release as the release side publishes it: file name → bytes. */
export interface ReleaseBundle {
  /** TUF metadata by name (`N.root.json`, `N.targets.json`, `N.snapshot.json`, `timestamp.json`). */
  readonly metadata: Readonly<Record<string, Uint8Array>>;
  /** Images by hash-prefixed path (`<model>/<sha256>.<name>.bin`). */
  readonly targets: Readonly<Record<string, Uint8Array>>;
}

/** A stored metadata file. */
export interface MetadataRecord {
  readonly name: string;
  readonly role: MetadataRole;
  readonly version: number;
  readonly length: number;
  readonly sha256: string;
  readonly publishedAt: string;
  readonly publishedBy: string;
}

/** A stored target image, with what its header says. */
export interface TargetRecord {
  /** TUF target path `<model>/<name>.bin`. */
  readonly targetPath: string;
  /** Where devices fetch it: `<model>/<sha256>.<name>.bin`. */
  readonly filePath: string;
  readonly model: string;
  readonly version: string;
  readonly securityCounter: number;
  readonly length: number;
  readonly sha256: string;
  readonly encrypted: boolean;
  readonly publishedAt: string;
  readonly publishedBy: string;
}

/** What one publication stored (files already present with the same bytes included). */
export interface PublishResult {
  readonly metadata: readonly MetadataRecord[];
  readonly targets: readonly TargetRecord[];
}

/** Read access to the repository, for a MetadataSigner. */
export interface RepositoryReader {
  listMetadata(): MetadataRecord[];
  metadataRecord(name: string): MetadataRecord | undefined;
  readMetadata(name: string): Promise<Buffer | undefined>;
  listTargets(model?: string): TargetRecord[];
}

/**
 * Signs metadata online after each publication (the lead's snapshot/timestamp signer plugs in
 * here). Returns metadata files to store on top, by name; they pass the same checks.
 */
export interface MetadataSigner {
  afterPublish(published: PublishResult, repository: RepositoryReader): Promise<Readonly<Record<string, Uint8Array>>>;
}

/** The default signer: nothing is signed online (the release side signs every role offline). */
export const NO_ONLINE_SIGNING: MetadataSigner = { afterPublish: () => Promise.resolve({}) };

/** Who publishes, for the audit trail. */
export interface Publisher {
  readonly actor: string;
  readonly role: string;
  readonly source?: string;
}

/** Options of FirmwareStore. */
export interface FirmwareStoreOptions {
  readonly db: Database;
  readonly blobs: BlobStore;
  readonly audit: AuditStream;
  readonly now: () => number;
  /** `firmware.maxImageBytes`. */
  readonly maxImageBytes: number;
  readonly signer?: MetadataSigner;
}

interface MetadataRow {
  name: string;
  role: MetadataRole;
  version: number;
  sha256: string;
  length: number;
  published_at: number;
  published_by: string;
}

interface TargetRow {
  file_path: string;
  target_path: string;
  model: string;
  version: string;
  version_major: number;
  version_minor: number;
  version_patch: number;
  security_counter: number;
  length: number;
  sha256: string;
  encrypted: number;
  published_at: number;
  published_by: string;
}

/** A checked metadata file, ready to store. */
interface StagedMetadata extends MetadataName {
  readonly bytes: Uint8Array;
  readonly sha256: string;
  readonly signedVersion: number;
}

/** A checked target, ready to store. */
interface StagedTarget extends TargetFileName {
  readonly bytes: Uint8Array;
  readonly version: { readonly text: string; readonly major: number; readonly minor: number; readonly patch: number };
  readonly securityCounter: number;
  readonly encrypted: boolean;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const iso = (ms: number): string => new Date(ms).toISOString();

/** Checks a metadata file against its name (size cap first, then the role and version inside). */
function stageMetadata(name: string, bytes: Uint8Array): StagedMetadata {
  const parsed = parseMetadataName(name);
  const cap = METADATA_MAX_BYTES[parsed.role];
  if (bytes.length > cap) throw new FirmwareTooLargeError(`${name} is ${bytes.length} bytes; ${parsed.role} metadata is at most ${cap}`, { details: { name, limit: cap } });
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new FirmwareMetadataInvalidError(`${name} is not UTF-8 JSON`, { cause, details: { name } });
  }
  const signed = isObject(json) ? json['signed'] : undefined;
  if (!isObject(signed) || signed['_type'] !== parsed.role) throw new FirmwareMetadataInvalidError(`${name} is not ${parsed.role} metadata (signed._type)`, { details: { name } });
  const version = signed['version'];
  if (!Number.isSafeInteger(version) || (version as number) < 1 || (parsed.version !== undefined && version !== parsed.version)) {
    throw new FirmwareMetadataInvalidError(`${name} carries another version than its name (signed.version)`, { details: { name } });
  }
  return { ...parsed, bytes, sha256: sha256Hex(bytes), signedVersion: version as number };
}

/** Checks a target image against its name: size, hash, structure, model. */
function stageTarget(filePath: string, bytes: Uint8Array, maxImageBytes: number): StagedTarget {
  const name = parseTargetFileName(filePath);
  if (bytes.length > maxImageBytes) throw new FirmwareTooLargeError(`${filePath} is ${bytes.length} bytes; images are at most ${maxImageBytes}`, { details: { name: filePath, limit: maxImageBytes } });
  if (sha256Hex(bytes) !== name.sha256) throw new FirmwareImageInvalidError(`${filePath}: the bytes' SHA-256 is not the one in the name`, { details: { name: filePath, reason: 'hash' } });
  let header;
  try {
    ({ header } = parseImage(bytes));
  } catch (cause) {
    const reason = cause instanceof MedsimError ? cause.code : 'unparseable';
    throw new FirmwareImageInvalidError(`${filePath} is not a medsim firmware image (${reason})`, { cause, details: { name: filePath, reason } });
  }
  if (header.model !== name.model) throw new FirmwareImageInvalidError(`${filePath}: the image is for model ${header.model}`, { details: { name: filePath, reason: 'model' } });
  return {
    ...name,
    bytes,
    version: { text: header.versionText, ...header.version },
    securityCounter: header.securityCounter,
    encrypted: header.encrypted,
  };
}

/** The repository index and its files. */
export class FirmwareStore implements RepositoryReader {
  readonly #o: FirmwareStoreOptions;
  readonly #signer: MetadataSigner;
  readonly #metadataByName;
  readonly #targetByFile;
  readonly #targetByPath;
  readonly #targetByVersion;

  constructor(options: FirmwareStoreOptions) {
    this.#o = options;
    this.#signer = options.signer ?? NO_ONLINE_SIGNING;
    this.#metadataByName = options.db.prepare('SELECT * FROM firmware_metadata WHERE name = ?');
    this.#targetByFile = options.db.prepare('SELECT * FROM firmware_targets WHERE file_path = ?');
    this.#targetByPath = options.db.prepare('SELECT * FROM firmware_targets WHERE target_path = ?');
    this.#targetByVersion = options.db.prepare('SELECT * FROM firmware_targets WHERE model = ? AND version = ?');
  }

  /**
   * Publishes a bundle: checks every file, stores the bytes, indexes them in one transaction,
   * then stores what the online signer adds. Audited per file (`firmware.publish`), and once on
   * refusal. Throws ERR_FIRMWARE_NAME_INVALID, _TOO_LARGE, _METADATA_INVALID, _IMAGE_INVALID,
   * _CONFLICT, ERR_BAD_REQUEST (an empty bundle, or more files than BUNDLE_LIMITS); nothing is indexed then.
   */
  async publish(bundle: ReleaseBundle, by: Publisher): Promise<PublishResult> {
    const result = await this.#audited(by, () => {
      const metadataNames = Object.keys(bundle.metadata);
      const targetNames = Object.keys(bundle.targets);
      if (metadataNames.length + targetNames.length === 0) throw new GatewayError('ERR_BAD_REQUEST', 'the bundle holds no file');
      if (metadataNames.length > BUNDLE_LIMITS.metadataFiles || targetNames.length > BUNDLE_LIMITS.targetFiles) {
        throw new GatewayError('ERR_BAD_REQUEST', `a bundle holds at most ${BUNDLE_LIMITS.metadataFiles} metadata files and ${BUNDLE_LIMITS.targetFiles} targets`);
      }
      const metadata = metadataNames.map((name) => stageMetadata(name, bundle.metadata[name]!));
      const targets = targetNames.map((name) => stageTarget(name, bundle.targets[name]!, this.#o.maxImageBytes));
      return this.#store(metadata, targets, by);
    });
    const signed = await this.putMetadata(await this.#signer.afterPublish(result, this), { actor: 'gateway', role: 'system' });
    return { metadata: [...result.metadata, ...signed], targets: result.targets };
  }

  /**
   * Stores metadata files on their own (the online signer's snapshot and timestamp, now or when
   * the timestamp nears expiry), with the same checks and audit as publish().
   */
  async putMetadata(files: Readonly<Record<string, Uint8Array>>, by: Publisher): Promise<MetadataRecord[]> {
    if (Object.keys(files).length === 0) return [];
    return this.#audited(by, async () => [...(await this.#store(Object.entries(files).map(([name, bytes]) => stageMetadata(name, bytes)), [], by)).metadata]);
  }

  /** Runs a publication, auditing its refusal (the successes are audited per file by #store). */
  async #audited<T>(by: Publisher, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      this.#o.audit.record({ event: 'firmware.publish', outcome: 'denied', severity: 'medium', ...by, object: 'firmware-repository', code: error instanceof MedsimError ? error.code : 'ERR_INTERNAL' });
      throw error;
    }
  }

  /** A metadata file's index entry. */
  metadataRecord(name: string): MetadataRecord | undefined {
    const row = this.#metadataByName.get(name) as MetadataRow | undefined;
    return row === undefined ? undefined : this.#metadataRecord(row);
  }

  /** A metadata file's bytes. */
  async readMetadata(name: string): Promise<Buffer | undefined> {
    const record = this.metadataRecord(name);
    return record === undefined ? undefined : this.#o.blobs.read(record.sha256);
  }

  /** Every metadata file, by role then version. */
  listMetadata(): MetadataRecord[] {
    const rows = this.#o.db.prepare('SELECT * FROM firmware_metadata ORDER BY role, version').all() as MetadataRow[];
    return rows.map((row) => this.#metadataRecord(row));
  }

  /** Target images, newest version first per model (one model, or all). */
  listTargets(model?: string): TargetRecord[] {
    const order = 'ORDER BY model, version_major DESC, version_minor DESC, version_patch DESC';
    const rows = (
      model === undefined
        ? this.#o.db.prepare(`SELECT * FROM firmware_targets ${order}`).all()
        : this.#o.db.prepare(`SELECT * FROM firmware_targets WHERE model = ? ${order}`).all(model)
    ) as TargetRow[];
    return rows.map((row) => this.#targetRecord(row));
  }

  /** A target by the path devices fetch it at (`<model>/<sha256>.<name>.bin`). */
  targetByFile(filePath: string): TargetRecord | undefined {
    const row = this.#targetByFile.get(filePath) as TargetRow | undefined;
    return row === undefined ? undefined : this.#targetRecord(row);
  }

  /** A target by TUF target path. */
  targetByPath(targetPath: string): TargetRecord | undefined {
    const row = this.#targetByPath.get(targetPath) as TargetRow | undefined;
    return row === undefined ? undefined : this.#targetRecord(row);
  }

  /** The release of `model` at `version`. */
  targetByVersion(model: string, version: string): TargetRecord | undefined {
    const row = this.#targetByVersion.get(model, version) as TargetRow | undefined;
    return row === undefined ? undefined : this.#targetRecord(row);
  }

  /** Checks conflicts, writes the blobs, indexes everything in one transaction, audits. */
  async #store(metadata: readonly StagedMetadata[], targets: readonly StagedTarget[], by: Publisher): Promise<PublishResult> {
    this.#conflicts(metadata, targets);
    for (const file of [...metadata.map((m) => ({ sha256: m.sha256, bytes: m.bytes })), ...targets]) await this.#o.blobs.put(file.sha256, file.bytes);
    const now = this.#o.now();
    const { db } = this.#o;
    db.transaction(() => {
      // Checked again inside the transaction: another publication may have run meanwhile.
      this.#conflicts(metadata, targets);
      for (const m of metadata) {
        db.prepare(
          `INSERT INTO firmware_metadata (name, role, version, sha256, length, published_at, published_by) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET version = excluded.version, sha256 = excluded.sha256, length = excluded.length,
             published_at = excluded.published_at, published_by = excluded.published_by
           WHERE firmware_metadata.sha256 <> excluded.sha256`,
        ).run(m.name, m.role, m.signedVersion, m.sha256, m.bytes.length, now, by.actor);
      }
      for (const t of targets) {
        db.prepare(
          `INSERT OR IGNORE INTO firmware_targets (file_path, target_path, model, version, version_major, version_minor, version_patch,
             security_counter, length, sha256, encrypted, published_at, published_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(t.filePath, t.targetPath, t.model, t.version.text, t.version.major, t.version.minor, t.version.patch, t.securityCounter, t.bytes.length, t.sha256, t.encrypted ? 1 : 0, now, by.actor);
      }
    })();
    for (const m of metadata) this.#o.audit.record({ event: 'firmware.publish', outcome: 'success', severity: 'medium', ...by, object: `firmware-metadata/${m.name};sha256/${m.sha256}` });
    for (const t of targets) this.#o.audit.record({ event: 'firmware.publish', outcome: 'success', severity: 'medium', ...by, object: `firmware-target/${t.targetPath};sha256/${t.sha256}` });
    return {
      metadata: metadata.map((m) => this.metadataRecord(m.name)!),
      targets: targets.map((t) => this.targetByFile(t.filePath)!),
    };
  }

  /** Throws ERR_FIRMWARE_CONFLICT when the files would change what is published, or each other. */
  #conflicts(metadata: readonly StagedMetadata[], targets: readonly StagedTarget[]): void {
    const conflict = (message: string, name: string): never => {
      throw new FirmwareConflictError(message, { details: { name } });
    };
    for (const m of metadata) {
      const stored = this.metadataRecord(m.name);
      if (stored === undefined || stored.sha256 === m.sha256) continue;
      if (m.role !== 'timestamp') conflict(`${m.name} is published already, with other bytes`, m.name);
      if (m.signedVersion <= stored.version) conflict(`timestamp version ${m.signedVersion} is not above the published ${stored.version}`, m.name);
    }
    const seen = new Map<string, string>();
    for (const t of targets) {
      const release = `${t.model}@${t.version.text}`;
      for (const key of [t.targetPath, release]) {
        if (seen.has(key) && seen.get(key) !== t.filePath) conflict(`the bundle holds two images for ${key}`, t.filePath);
        seen.set(key, t.filePath);
      }
      const byPath = this.targetByPath(t.targetPath);
      if (byPath !== undefined && byPath.filePath !== t.filePath) conflict(`${t.targetPath} is published already, with other bytes`, t.filePath);
      const byVersion = this.targetByVersion(t.model, t.version.text);
      if (byVersion !== undefined && byVersion.filePath !== t.filePath) conflict(`${t.model} ${t.version.text} is published already, as another image`, t.filePath);
    }
  }

  #metadataRecord(row: MetadataRow): MetadataRecord {
    return { name: row.name, role: row.role, version: row.version, length: row.length, sha256: row.sha256, publishedAt: iso(row.published_at), publishedBy: row.published_by };
  }

  #targetRecord(row: TargetRow): TargetRecord {
    return {
      targetPath: row.target_path,
      filePath: row.file_path,
      model: row.model,
      version: row.version,
      securityCounter: row.security_counter,
      length: row.length,
      sha256: row.sha256,
      encrypted: row.encrypted === 1,
      publishedAt: iso(row.published_at),
      publishedBy: row.published_by,
    };
  }
}
