/**
 * How the device's update client gets repository files: the Fetcher interface (the named variation
 * point, as python-tuf's FetcherInterface), and MemoryFetcher, which serves a repository map in
 * process (tests, and simulated fleets that share a process with their gateway). HttpFetcher
 * (http-fetcher.ts) fetches through the gateway over HTTPS.
 *
 * A fetcher only moves bytes. Every limit is enforced by the consumer (transfer.ts), whatever the
 * fetcher does: the byte cap, the per-read timeout and the total deadline. A fetcher should stop
 * when `signal` aborts, so that a refused transfer also releases its socket.
 */
import { DownloadNotFoundError } from '../errors.js';
import type { RepositoryFiles } from './repository.js';

/** One request. */
export interface FetchOptions {
  /** First byte wanted (a resumed download; HTTP `Range: bytes=offset-`). */
  readonly offset: number;
  /** The consumer reads at most this many bytes and refuses the response past it; a fetcher may bound its request with it. */
  readonly maxBytes: number;
  /** Aborted when the consumer gives up (deadline, cap, refusal). */
  readonly signal: AbortSignal;
}

/** Gets repository files by repository path ('metadata/timestamp.json', 'targets/<model>/<sha256>.<name>'). */
export interface Fetcher {
  /** The file's bytes from `offset`, in chunks. Throws ERR_FW_DOWNLOAD_NOT_FOUND for a missing file. */
  fetch(path: string, options: FetchOptions): AsyncIterable<Uint8Array>;
}

/** Serves a repository map from memory, in chunks of `chunkBytes` (default 64 KiB). */
export class MemoryFetcher implements Fetcher {
  /** The repository served; replace it to publish (tests swap in hostile files). */
  files: RepositoryFiles;
  readonly #chunkBytes: number;

  constructor(files: RepositoryFiles, chunkBytes = 64 * 1024) {
    this.files = files;
    this.#chunkBytes = chunkBytes;
  }

  /** See Fetcher.fetch. */
  async *fetch(path: string, options: FetchOptions): AsyncIterable<Uint8Array> {
    const bytes = this.files.get(path);
    if (bytes === undefined) throw new DownloadNotFoundError(`no file ${path}`, { details: { path } });
    for (let at = options.offset; at < bytes.length && !options.signal.aborted; at += this.#chunkBytes) {
      // A turn of the event loop per chunk, as a socket would give.
      await new Promise<void>((resolve) => setImmediate(resolve));
      yield bytes.subarray(at, at + this.#chunkBytes);
    }
  }
}
