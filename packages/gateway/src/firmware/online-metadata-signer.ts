/**
 * The gateway's online half of the TUF repository (issue 5): after each publication that brings
 * root or targets metadata (and not its own snapshot and timestamp), it signs a new snapshot and
 * timestamp with the gateway's online keys (@medsim/firmware OnlineSigner, which also checks the
 * targets verify under the latest root and that these keys meet the root's thresholds), and it
 * renews the timestamp before its one-day lifetime runs out. The offline keys (root, targets)
 * never reach the gateway; a compromise of these online keys can freeze or replay metadata within
 * its expiry, never add an image (docs/firmware/README.md, key hierarchy).
 *
 * Keys: `firmware-online-keys.json` in the data directory (0600: the PKCS#8 PEMs of the snapshot
 * and timestamp keys), created on first start; their public TUF keys are what the release side
 * puts in root.json (`onlinePublicKeys`, also printed by `medsim firmware online-keys`).
 */
import { OnlineSigner, TufSigningKey, type RepositoryFiles } from '@medsim/firmware';
import type { MetadataSigner, PublishResult, RepositoryReader } from './firmware-store.js';

/** The stored form of the online keys. */
interface OnlineKeysFile {
  readonly snapshot: string;
  readonly timestamp: string;
}

/** The gateway's snapshot and timestamp keys. */
export class OnlineKeys {
  private constructor(
    readonly snapshot: TufSigningKey,
    readonly timestamp: TufSigningKey,
  ) {}

  /** New keys from OpenSSL's CSPRNG. */
  static generate(): OnlineKeys {
    return new OnlineKeys(TufSigningKey.generate(), TufSigningKey.generate());
  }

  /** From the data directory's file. */
  static parse(text: string): OnlineKeys {
    const file = JSON.parse(text) as Partial<OnlineKeysFile>;
    if (typeof file.snapshot !== 'string' || typeof file.timestamp !== 'string') throw new Error('not an online keys file');
    return new OnlineKeys(TufSigningKey.fromPem(file.snapshot), TufSigningKey.fromPem(file.timestamp));
  }

  /** The file's text (private keys: written 0600). */
  serialize(): string {
    return JSON.stringify({ snapshot: this.snapshot.toPem(), timestamp: this.timestamp.toPem() } satisfies OnlineKeysFile);
  }

  /** The public TUF keys (key id and raw Ed25519 key, hex) the root must list for each role. */
  get publicKeys(): { snapshot: { keyId: string; publicKeyHex: string }; timestamp: { keyId: string; publicKeyHex: string } } {
    const view = (key: TufSigningKey): { keyId: string; publicKeyHex: string } => ({ keyId: key.keyId, publicKeyHex: String((key.publicKey.toJSON() as { keyval: { public: string } }).keyval.public) });
    return { snapshot: view(this.snapshot), timestamp: view(this.timestamp) };
  }
}

const METADATA_PREFIX = 'metadata/';

/** Reads every metadata file of the store as a RepositoryFiles map (`metadata/<name>`). */
async function currentMetadata(repository: RepositoryReader): Promise<RepositoryFiles> {
  const files = new Map<string, Uint8Array>();
  for (const { name } of repository.listMetadata()) {
    const bytes = await repository.readMetadata(name);
    if (bytes !== undefined) files.set(`${METADATA_PREFIX}${name}`, new Uint8Array(bytes));
  }
  return files;
}

/** What changed between two repository maps, by store name. */
function added(before: RepositoryFiles, after: RepositoryFiles): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [path, bytes] of after) {
    const old = before.get(path);
    if (path.startsWith(METADATA_PREFIX) && (old === undefined || !Buffer.from(old).equals(Buffer.from(bytes)))) out[path.slice(METADATA_PREFIX.length)] = bytes;
  }
  return out;
}

/** The gateway's MetadataSigner (see the file comment). */
export class OnlineMetadataSigner implements MetadataSigner {
  readonly #signer: OnlineSigner;

  constructor(keys: OnlineKeys, now?: () => number) {
    this.#signer = new OnlineSigner({ snapshotKeys: [keys.snapshot], timestampKeys: [keys.timestamp], ...(now === undefined ? {} : { now: () => new Date(now()) }) });
  }

  async afterPublish(published: PublishResult, repository: RepositoryReader): Promise<Readonly<Record<string, Uint8Array>>> {
    const roles = new Set(published.metadata.map((m) => m.role));
    // The release side signed everything itself (all four roles), or nothing needs a new snapshot.
    if (roles.has('snapshot') || roles.has('timestamp') || !(roles.has('targets') || roles.has('root'))) return {};
    const before = await currentMetadata(repository);
    return added(before, this.#signer.publish(before));
  }

  /** A new timestamp over the current snapshot (nothing when nothing was published yet). */
  async renewTimestamp(repository: RepositoryReader): Promise<Readonly<Record<string, Uint8Array>>> {
    const before = await currentMetadata(repository);
    if (![...before.keys()].some((p) => p.includes('.snapshot.json'))) return {};
    return added(before, this.#signer.renewTimestamp(before));
  }
}
