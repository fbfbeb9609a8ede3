/**
 * The device's update metadata directory, where tuf-js keeps what the device trusts: root.json
 * (provisioned at manufacturing) and the timestamp.json, snapshot.json and targets.json it persists
 * after verifying them. This module adds what the update client needs around tuf-js: provisioning,
 * reading the trusted versions back (for audit and tests), and putting the three non-root files
 * back byte for byte after a refused refresh.
 *
 * tuf-js writes these files in place, not through a rename: a file torn by a power cut is ignored
 * and fetched again, except root.json, whose loss makes every refresh fail with ERR_FW_META_STORE
 * until the device is provisioned again.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MetadataStoreError, type FirmwareError } from '../errors.js';

/** Versions of the metadata the device trusts (undefined for a role never fetched). */
export interface TrustedVersions {
  readonly root: number | undefined;
  readonly timestamp: number | undefined;
  readonly snapshot: number | undefined;
  readonly targets: number | undefined;
}

/** The files a refused refresh puts back; root versions only move forward (spec 5.3.8). */
const RESTORED = ['timestamp', 'snapshot', 'targets'] as const;

/** The bytes of the restorable files before a refresh. */
export type SavedMetadata = ReadonlyMap<string, Buffer>;

/** Provisions `root` as the device's trusted root; false (and nothing written) when one is already there. */
export async function installTrustedRoot(metadataDir: string, root: Uint8Array): Promise<boolean> {
  try {
    await writeFile(join(metadataDir, 'root.json'), root, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new MetadataStoreError('could not write root.json', { cause: error });
  }
}

/** The metadata directory as the update client sees it. */
export class MetadataStore {
  readonly #dir: string;

  constructor(metadataDir: string) {
    this.#dir = metadataDir;
  }

  /** The current bytes of timestamp, snapshot and targets, for restore(). */
  save(): Promise<SavedMetadata> {
    return this.#read(RESTORED);
  }

  /** Puts the files back as saved (each by temporary file and rename); ERR_FW_META_STORE when it cannot. */
  async restore(saved: SavedMetadata, refusal: FirmwareError): Promise<void> {
    const now = await this.#read(RESTORED);
    try {
      for (const role of RESTORED) {
        const before = saved.get(role);
        const path = join(this.#dir, `${role}.json`);
        if (before === undefined) await rm(path, { force: true });
        else if (!before.equals(now.get(role) ?? Buffer.alloc(0))) {
          await writeFile(`${path}.restore`, before);
          await rename(`${path}.restore`, path);
        }
      }
    } catch (error) {
      throw new MetadataStoreError(`could not restore the metadata after ${refusal.code}`, { cause: error, details: { refusal: refusal.code } });
    }
  }

  /** The versions in the directory now. */
  async versions(): Promise<TrustedVersions> {
    const files = await this.#read(['root', 'timestamp', 'snapshot', 'targets']);
    const version = (role: string): number | undefined => {
      try {
        const parsed = JSON.parse(files.get(role)?.toString('utf8') ?? 'null') as { signed?: { version?: unknown } } | null;
        return typeof parsed?.signed?.version === 'number' ? parsed.signed.version : undefined;
      } catch {
        return undefined;
      }
    };
    return { root: version('root'), timestamp: version('timestamp'), snapshot: version('snapshot'), targets: version('targets') };
  }

  /** Target paths of the targets metadata tuf-js has just verified and persisted. */
  async targetPaths(): Promise<readonly string[]> {
    const bytes = (await this.#read(['targets'])).get('targets');
    try {
      return Object.keys((JSON.parse(bytes?.toString('utf8') ?? '') as { signed: { targets: object } }).signed.targets);
    } catch (error) {
      throw new MetadataStoreError('could not read back targets.json', { cause: error });
    }
  }

  async #read(roles: readonly string[]): Promise<Map<string, Buffer>> {
    const files = new Map<string, Buffer>();
    for (const role of roles) {
      const bytes = await readFile(join(this.#dir, `${role}.json`)).catch(() => undefined);
      if (bytes !== undefined) files.set(role, bytes);
    }
    return files;
  }
}
