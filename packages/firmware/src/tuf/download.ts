/**
 * Downloading a firmware image named by verified TUF metadata, resumably: bytes go to the sink (the
 * inactive flash slot) as they arrive, while a streaming SHA-256 runs over them. The checkpoint
 * holds the offset reached and the hash state, so after an interruption the next attempt asks for
 * `Range: bytes=<offset>-` and continues the same hash; after a reboot, fromWritten() rebuilds it
 * from what the slot holds. The sink hears `complete` only once the length and the SHA-256 equal
 * the target's; it never receives a byte past the declared length (transfer.ts refuses it).
 */
import { createHash, type Hash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DownloadHashMismatchError, DownloadInterruptedError, DownloadTooLargeError, UnknownTargetError, type FirmwareError } from '../errors.js';
import type { Fetcher } from './fetcher.js';
import { storedTargetPath } from './repository.js';
import type { FirmwareCustom } from './targets.js';
import { transfer } from './transfer.js';

/** A firmware image as the verified targets metadata describes it. */
export interface FirmwareTarget extends FirmwareCustom {
  /** The TUF target path, `<model>/<model>-<version>.bin`. */
  readonly path: string;
  /** Exact length in bytes. */
  readonly length: number;
  /** SHA-256 of the image, hex. */
  readonly sha256: string;
}

/** Where the downloaded bytes go (a flash slot). */
export interface DownloadSink {
  /** Stores `chunk` at byte `offset` of the image; offsets arrive in order, without gaps. */
  write(chunk: Uint8Array, offset: number): void | Promise<void>;
  /** Called once, after every byte is in and the length and SHA-256 match the target. */
  complete(sha256: Uint8Array): void | Promise<void>;
}

/** What a finished download verified. */
export interface DownloadResult {
  readonly path: string;
  readonly length: number;
  readonly sha256: string;
}

/** How far a download got: the offset the sink holds and the SHA-256 state over those bytes. */
export class DownloadCheckpoint {
  /** The target the bytes belong to. */
  readonly target: Pick<FirmwareTarget, 'path' | 'length' | 'sha256'>;
  #offset = 0;
  readonly #hash: Hash = createHash('sha256');

  /** A checkpoint at offset 0 for `target`. */
  constructor(target: Pick<FirmwareTarget, 'path' | 'length' | 'sha256'>) {
    this.target = { path: target.path, length: target.length, sha256: target.sha256 };
  }

  /** A checkpoint after the bytes already written (read back from the slot after a reboot). */
  static fromWritten(target: Pick<FirmwareTarget, 'path' | 'length' | 'sha256'>, written: Iterable<Uint8Array>): DownloadCheckpoint {
    const checkpoint = new DownloadCheckpoint(target);
    for (const chunk of written) checkpoint.advance(chunk);
    return checkpoint;
  }

  /** Bytes the sink holds. */
  get offset(): number {
    return this.#offset;
  }

  /** Records `chunk` as written; ERR_FW_DOWNLOAD_TOO_LARGE past the target's length. */
  advance(chunk: Uint8Array): void {
    if (this.#offset + chunk.length > this.target.length) throw new DownloadTooLargeError(`more than the ${this.target.length} bytes of ${this.target.path}`, { details: { limit: this.target.length } });
    this.#hash.update(chunk);
    this.#offset += chunk.length;
  }

  /** SHA-256 of the bytes so far (the running hash continues). */
  digest(): Buffer {
    return this.#hash.copy().digest();
  }
}

/** Limits of one download attempt. */
export interface ImageDownloadOptions {
  readonly checkpoint: DownloadCheckpoint;
  readonly chunkTimeoutMs: number;
  /** Total time for this attempt, ms (a resumed attempt gets its own). */
  readonly timeoutMs: number;
}

/** True for failures after which the same checkpoint can resume the download. */
export function isResumable(error: unknown): boolean {
  const code = (error as Partial<FirmwareError> | undefined)?.code;
  return code === 'ERR_FW_DOWNLOAD_INTERRUPTED' || code === 'ERR_FW_DOWNLOAD_TIMEOUT';
}

/** Downloads the rest of `target` into `sink` from the checkpoint on (see the file comment). */
export async function downloadImage(fetcher: Fetcher, target: FirmwareTarget, sink: DownloadSink, o: ImageDownloadOptions): Promise<DownloadResult> {
  const { checkpoint } = o;
  if (checkpoint.target.path !== target.path || checkpoint.target.sha256 !== target.sha256 || checkpoint.target.length !== target.length) {
    throw new UnknownTargetError('the checkpoint belongs to another target', { details: { path: target.path } });
  }
  if (checkpoint.offset < target.length) {
    await transfer(fetcher, storedTargetPath(target.path, target.sha256), {
      offset: checkpoint.offset,
      maxBytes: target.length - checkpoint.offset,
      chunkTimeoutMs: o.chunkTimeoutMs,
      deadline: performance.now() + o.timeoutMs,
      onChunk: async (chunk) => {
        await sink.write(chunk, checkpoint.offset);
        checkpoint.advance(chunk);
      },
    });
  }
  if (checkpoint.offset < target.length) {
    throw new DownloadInterruptedError(`${target.path} ended at byte ${checkpoint.offset} of ${target.length}`, { details: { path: target.path, offset: checkpoint.offset, length: target.length } });
  }
  const digest = checkpoint.digest();
  if (digest.toString('hex') !== target.sha256) throw new DownloadHashMismatchError(`${target.path} does not have the SHA-256 of its target`, { details: { path: target.path } });
  await sink.complete(new Uint8Array(digest));
  return { path: target.path, length: target.length, sha256: target.sha256 };
}
