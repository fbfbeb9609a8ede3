/**
 * One bounded transfer from a Fetcher: the single place where the download limits are enforced,
 * for metadata and images alike, whatever the fetcher does.
 *
 * - Byte cap: the transfer is refused at the first byte past `maxBytes` (endless data, U6); it never
 *   holds more than the cap plus one chunk.
 * - Per-read timeout: no bytes for `chunkTimeoutMs` aborts (a stalled connection).
 * - Total deadline: a server that trickles 1 byte just inside every per-read timeout still ends at
 *   `deadline` (slow retrieval, U7). Deadlines use the monotonic clock (performance.now), never the
 *   wall clock, which may be stepped.
 *
 * On any exit the fetcher's signal is aborted and its iterator closed.
 */
import { performance } from 'node:perf_hooks';
import { DownloadInterruptedError, DownloadTimeoutError, DownloadTooLargeError, FirmwareError } from '../errors.js';
import type { Fetcher } from './fetcher.js';

/** Limits and sink of one transfer. */
export interface TransferOptions {
  readonly offset: number;
  /** Most bytes accepted; one more refuses the transfer with ERR_FW_DOWNLOAD_TOO_LARGE. */
  readonly maxBytes: number;
  readonly chunkTimeoutMs: number;
  /** performance.now() value by which the whole transfer must have ended. */
  readonly deadline: number;
  /** Takes each chunk in order, after the cap check; may be async (a flash write). */
  readonly onChunk: (chunk: Uint8Array) => void | Promise<void>;
}

/**
 * Reads `path` from `fetcher` to its end within the limits; returns the bytes taken. What the
 * fetcher throws becomes ERR_FW_DOWNLOAD_INTERRUPTED (its own FirmwareErrors pass unchanged); what
 * `onChunk` throws passes unchanged.
 */
export async function transfer(fetcher: Fetcher, path: string, o: TransferOptions): Promise<number> {
  const abort = new AbortController();
  let received = 0;
  const failed = (error: unknown): never => {
    if (error instanceof FirmwareError) throw error;
    throw new DownloadInterruptedError(`the transfer of ${path} failed after ${received} bytes`, { cause: error, details: { path, received } });
  };
  let iterator: AsyncIterator<Uint8Array>;
  try {
    iterator = fetcher.fetch(path, { offset: o.offset, maxBytes: o.maxBytes + 1, signal: abort.signal })[Symbol.asyncIterator]();
  } catch (error) {
    return failed(error);
  }
  try {
    for (;;) {
      const step = await within(iterator.next().catch(failed), o, path);
      if (step.done === true) return received;
      if (!(step.value instanceof Uint8Array)) throw new DownloadInterruptedError(`the fetcher gave something other than bytes for ${path}`, { details: { path } });
      received += step.value.length;
      if (received > o.maxBytes) throw new DownloadTooLargeError(`${path} is longer than ${o.maxBytes} bytes`, { details: { path, limit: o.maxBytes } });
      await o.onChunk(step.value);
    }
  } finally {
    abort.abort();
    iterator.return?.().catch(() => undefined);
  }
}

/** `next`, or ERR_FW_DOWNLOAD_TIMEOUT when the per-read timeout or the total deadline comes first. */
async function within<T>(next: Promise<T>, o: TransferOptions, path: string): Promise<T> {
  const left = o.deadline - performance.now();
  const total = left <= o.chunkTimeoutMs;
  const ms = Math.max(0, total ? left : o.chunkTimeoutMs);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const what = total ? 'total deadline' : `per-read timeout of ${o.chunkTimeoutMs} ms`;
      reject(new DownloadTimeoutError(`${path}: the ${what} passed`, { details: { path, limit: total ? 'total' : 'read' } }));
    }, ms);
  });
  try {
    return await Promise.race([next, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
