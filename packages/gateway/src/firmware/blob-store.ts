/**
 * Content-addressed files for the update repository: each file is stored once, named by the
 * lower-case hex SHA-256 of its bytes, in `<data dir>/firmware/blobs/` (directories 0700, files
 * 0600, like everything else in the data directory: CTL-10). A name is computed, never taken from
 * a request, so nothing a publisher or a device sends can choose where bytes land.
 *
 * Writes are atomic: the bytes go to a temporary file (O_EXCL, 0600), are fsync'ed, renamed over
 * the final name, and the directory is fsync'ed, so after a crash a blob is either whole or
 * absent. A blob already present is not written again (same name, same bytes). Blobs whose
 * publication failed afterwards stay unreferenced; they are harmless and small in number.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, type ReadStream } from 'node:fs';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { GatewayError } from '../errors.js';

const SHA256_HEX = /^[0-9a-f]{64}$/u;

/** Lower-case hex SHA-256 of `bytes`. */
export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A directory of blobs named by their SHA-256. */
export class BlobStore {
  readonly #dir: string;

  /** Opens (creating 0700 if absent) the blob directory `dir`. */
  constructor(dir: string) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (cause) {
      throw new GatewayError('ERR_DATA_DIR', `cannot create the firmware directory ${dir}`, { cause });
    }
    this.#dir = dir;
  }

  /** Stores `bytes` under `sha256` (its digest, computed by the caller from the same bytes). */
  async put(sha256: string, bytes: Uint8Array): Promise<void> {
    const path = this.#path(sha256);
    if (await this.has(sha256)) return;
    const temporary = join(this.#dir, `.${sha256}.${randomBytes(8).toString('hex')}.tmp`);
    try {
      const file = await open(temporary, 'wx', 0o600);
      try {
        await file.writeFile(bytes);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, path);
      const dir = await open(this.#dir, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch (cause) {
      await rm(temporary, { force: true });
      const full = (cause as { code?: string }).code === 'ENOSPC';
      throw new GatewayError(full ? 'ERR_STORE_FULL' : 'ERR_DATA_DIR', `cannot store a firmware file (${(cause as Error).message})`, { cause });
    }
  }

  /** Whether a blob exists. */
  async has(sha256: string): Promise<boolean> {
    try {
      return (await stat(this.#path(sha256))).isFile();
    } catch {
      return false;
    }
  }

  /** The whole blob (metadata files: at most 5 MB). */
  read(sha256: string): Promise<Buffer> {
    return readFile(this.#path(sha256));
  }

  /** Bytes `start` to `end` inclusive, streamed (images: up to 256 MiB). */
  stream(sha256: string, start: number, end: number): ReadStream {
    return createReadStream(this.#path(sha256), { start, end, highWaterMark: 256 * 1024 });
  }

  #path(sha256: string): string {
    // Defence in depth: callers pass digests they computed or read from the index.
    if (!SHA256_HEX.test(sha256)) throw new GatewayError('ERR_INTERNAL', 'a blob name must be a SHA-256');
    return join(this.#dir, sha256);
  }
}
