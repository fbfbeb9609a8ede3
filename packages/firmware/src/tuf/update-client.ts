/**
 * The device's update client: tuf-js's Updater (TUF client workflow, spec 5.3-5.6) over a medsim
 * Fetcher, plus what a device needs around it: the newest target for its model, the refusal of
 * anything not newer than the installed firmware, a resumable image download, and a typed error for
 * every refusal (refusal.ts) so the device can audit the exact reason.
 *
 * Trust state lives in the device's own metadata directory: root.json (provisioned at manufacturing
 * with installTrustedRoot) and the timestamp, snapshot and targets tuf-js persists. A refresh is
 * all or nothing for those three: when it fails, they are put back byte for byte, so a refused
 * update never changes the device's trusted state (Uptane: on failure keep the previous metadata).
 * Root versions are the exception: each verified root is kept at once (spec 5.3.8), since trust
 * only moves forward through rotation.
 *
 * Clocks: tuf-js checks expiry against the wall clock (`new Date()`, read when a refresh starts), so
 * the device clock must be set from a trusted source (the gateway's signed time, Uptane's secure
 * time); a clock set back could accept expired metadata, set forward would refuse fresh metadata.
 * Deadlines use the monotonic clock. Limits (UPDATE_LIMITS) follow python-tuf's metadata caps.
 */
import { performance } from 'node:perf_hooks';
import { Updater } from 'tuf-js';
import { MetadataStoreError, NotRefreshedError } from '../errors.js';
import { compareVersions } from '../image/version.js';
import { downloadImage, type DownloadCheckpoint, type DownloadResult, type DownloadSink, type FirmwareTarget } from './download.js';
import type { Fetcher } from './fetcher.js';
import { MetadataStore, type TrustedVersions } from './metadata-store.js';
import { refusalOf } from './refusal.js';
import { assertInstallable, assertSameTarget, verifiedTarget, type InstalledFirmware } from './target-checks.js';
import { REPOSITORY_URL, TufFetcherAdapter } from './tuf-fetcher.js';

/** The client's limits. */
export interface UpdateLimits {
  /** Metadata caps in bytes (python-tuf ngclient/config.py). */
  readonly rootMaxBytes: number;
  readonly timestampMaxBytes: number;
  readonly snapshotMaxBytes: number;
  readonly targetsMaxBytes: number;
  /** Root versions walked in one refresh (python-tuf: 256). */
  readonly maxRootRotations: number;
  /** Total time of one refresh, ms. */
  readonly refreshTimeoutMs: number;
  /** Longest wait for the next bytes of any file, ms. */
  readonly chunkTimeoutMs: number;
  /** Total time of one image download attempt, ms. */
  readonly downloadTimeoutMs: number;
}

/** Default limits: 2 minutes per refresh, 30 s per read, 30 minutes per image attempt. */
export const UPDATE_LIMITS: UpdateLimits = {
  rootMaxBytes: 512_000,
  timestampMaxBytes: 16_384,
  snapshotMaxBytes: 2_000_000,
  targetsMaxBytes: 5_000_000,
  maxRootRotations: 256,
  refreshTimeoutMs: 120_000,
  chunkTimeoutMs: 30_000,
  downloadTimeoutMs: 30 * 60_000,
};

/** Options of UpdateClient. */
export interface UpdateClientOptions {
  /** The device's own metadata directory, holding at least the trusted root.json. */
  readonly metadataDir: string;
  readonly fetcher: Fetcher;
  readonly limits?: Partial<UpdateLimits>;
}

/** Options of one download. */
export interface DownloadOptions {
  /** What the device runs: the target must be for its model and newer (checked before any byte moves). */
  readonly installed: InstalledFirmware;
  /** Where to resume; kept up to date as bytes land (pass the same one to retry). */
  readonly checkpoint: DownloadCheckpoint;
}

/** The device side of TUF (see the file comment). One operation runs at a time. */
export class UpdateClient {
  readonly #dir: string;
  readonly #store: MetadataStore;
  readonly #fetcher: Fetcher;
  readonly #limits: UpdateLimits;
  #updater: Updater | undefined;
  #targetPaths: readonly string[] = [];
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: UpdateClientOptions) {
    this.#dir = options.metadataDir;
    this.#store = new MetadataStore(options.metadataDir);
    this.#fetcher = options.fetcher;
    this.#limits = { ...UPDATE_LIMITS, ...options.limits };
  }

  /** Updates the trusted metadata from the repository; throws the typed reason of a refusal. */
  refresh(): Promise<TrustedVersions> {
    return this.#exclusive(async () => {
      this.#updater = undefined;
      const saved = await this.#store.save();
      const adapter = new TufFetcherAdapter(this.#fetcher, {
        chunkTimeoutMs: this.#limits.chunkTimeoutMs,
        deadline: performance.now() + this.#limits.refreshTimeoutMs,
        maxFileBytes: this.#limits.targetsMaxBytes,
      });
      const updater = this.#newUpdater(adapter);
      try {
        await updater.refresh();
      } catch (error) {
        const refusal = adapter.lastFailure ?? refusalOf(error);
        await this.#store.restore(saved, refusal);
        throw refusal;
      }
      this.#targetPaths = await this.#store.targetPaths();
      this.#updater = updater;
      return this.trustedVersions();
    });
  }

  /** The versions in the metadata directory now (read back from the files). */
  trustedVersions(): Promise<TrustedVersions> {
    return this.#store.versions();
  }

  /** The newest target for `model` in the verified targets metadata, or undefined when there is none. */
  targetFor(model: string): Promise<FirmwareTarget | undefined> {
    return this.#exclusive(async () => {
      const updater = this.#refreshed();
      let newest: FirmwareTarget | undefined;
      for (const path of this.#targetPaths.filter((p) => p.startsWith(`${model}/`))) {
        const target = await verifiedTarget(updater, path);
        if (newest === undefined || compareVersions(target.version, newest.version) > 0) newest = target;
      }
      return newest;
    });
  }

  /**
   * Checks, before anything is written, that `target` (as a director instruction names it) is
   * exactly the verified entry at its path, for this model and newer than `installed`; returns the
   * verified entry. ERR_FW_UPDATE_UNKNOWN_TARGET, _WRONG_MODEL, _ROLLBACK, _NOT_REFRESHED.
   */
  verify(target: FirmwareTarget, installed: InstalledFirmware): Promise<FirmwareTarget> {
    return this.#exclusive(async () => {
      const verified = await verifiedTarget(this.#refreshed(), target.path);
      assertSameTarget(target, verified);
      assertInstallable(verified, installed);
      return verified;
    });
  }

  /**
   * Downloads `target` into `sink` after checking it is the verified entry, for this model and
   * newer than `installed`; resumes from `checkpoint`. Retry with the same checkpoint after
   * ERR_FW_DOWNLOAD_INTERRUPTED or _TIMEOUT (isResumable).
   */
  download(target: FirmwareTarget, sink: DownloadSink, options: DownloadOptions): Promise<DownloadResult> {
    return this.#exclusive(async () => {
      const verified = await verifiedTarget(this.#refreshed(), target.path);
      assertSameTarget(target, verified);
      assertInstallable(verified, options.installed);
      return downloadImage(this.#fetcher, verified, sink, { checkpoint: options.checkpoint, chunkTimeoutMs: this.#limits.chunkTimeoutMs, timeoutMs: this.#limits.downloadTimeoutMs });
    });
  }

  #newUpdater(adapter: TufFetcherAdapter): Updater {
    const l = this.#limits;
    try {
      return new Updater({
        metadataDir: this.#dir,
        metadataBaseUrl: `${REPOSITORY_URL}metadata`,
        targetBaseUrl: `${REPOSITORY_URL}targets`,
        fetcher: adapter,
        config: { rootMaxLength: l.rootMaxBytes, timestampMaxLength: l.timestampMaxBytes, snapshotMaxLength: l.snapshotMaxBytes, targetsMaxLength: l.targetsMaxBytes, maxRootRotations: l.maxRootRotations },
      });
    } catch (error) {
      throw new MetadataStoreError('the metadata directory holds no valid trusted root.json', { cause: error });
    }
  }

  #refreshed(): Updater {
    if (this.#updater === undefined) throw new NotRefreshedError('refresh() has not succeeded yet');
    return this.#updater;
  }

  #exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(operation, operation);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
