/**
 * The adapter between tuf-js and a medsim Fetcher: a tuf-js BaseFetcher whose downloads run
 * through transfer.ts, so metadata gets the same byte cap (tuf-js passes each role's maximum, or the
 * length the timestamp or snapshot declares), per-read timeout and total deadline as images.
 * Metadata is held in memory (at most the 5 MB targets cap), never in temporary files.
 *
 * tuf-js ends root rotation only on a DownloadHTTPError with status 403 or 404, so a missing file is
 * thrown as DownloadHTTPError(…, 404). Because tuf-js re-throws snapshot and targets failures as
 * text, the adapter keeps the typed error of the last failed download (`lastFailure`) for the
 * client to report.
 *
 * tuf-js counts signatures per key id and does not check that an id is the hash of its key, so a
 * root listing one public key under two ids would let that key count twice toward a threshold
 * (tuf-conformance test_duplicate_keys). The adapter refuses such a root before tuf-js reads it.
 */
import { BaseFetcher } from 'tuf-js';
import { DownloadHTTPError } from 'tuf-js/dist/error.js';
import { DownloadInterruptedError, DownloadTooLargeError, FirmwareError, MalformedMetadataError, MetadataTooLargeError } from '../errors.js';
import type { Fetcher } from './fetcher.js';
import { transfer } from './transfer.js';

/** The base URL handed to tuf-js; the adapter maps its URLs back to repository paths. */
export const REPOSITORY_URL = 'medsim-repository://repository/';

const ROOT_FILE = /^metadata\/\d+\.root\.json$/;

/** Limits of the adapter's downloads. */
export interface TufFetcherAdapterOptions {
  readonly chunkTimeoutMs: number;
  /** performance.now() value by which every download of this refresh must have ended. */
  readonly deadline: number;
  /** Cap of files read through `fetch` (tuf-js's own target download; the client does not use it). */
  readonly maxFileBytes: number;
}

/** A tuf-js fetcher over a medsim Fetcher (see the file comment). */
export class TufFetcherAdapter extends BaseFetcher {
  readonly #fetcher: Fetcher;
  readonly #o: TufFetcherAdapterOptions;
  #failure: FirmwareError | undefined;

  constructor(fetcher: Fetcher, options: TufFetcherAdapterOptions) {
    super();
    this.#fetcher = fetcher;
    this.#o = options;
  }

  /** The typed error of the most recent download, when it failed (and was not the end of root rotation). */
  get lastFailure(): FirmwareError | undefined {
    return this.#failure;
  }

  /** A whole file of at most `maxLength` bytes. */
  override async downloadBytes(url: string, maxLength: number): Promise<Buffer> {
    const path = repositoryPath(url);
    this.#failure = undefined;
    const chunks: Uint8Array[] = [];
    try {
      await transfer(this.#fetcher, path, { offset: 0, maxBytes: maxLength, chunkTimeoutMs: this.#o.chunkTimeoutMs, deadline: this.#o.deadline, onChunk: (chunk) => void chunks.push(chunk) });
      const bytes = Buffer.concat(chunks);
      if (ROOT_FILE.test(path)) assertDistinctKeys(bytes);
      return bytes;
    } catch (error) {
      const failure = asMetadataFailure(error, path, maxLength);
      const notFound = failure.code === 'ERR_FW_DOWNLOAD_NOT_FOUND';
      // A missing next root version is the normal end of rotation, not a failure.
      if (!(notFound && ROOT_FILE.test(path))) this.#failure = failure;
      throw notFound ? new DownloadHTTPError('Failed to download', 404) : failure;
    }
  }

  /** A file as a stream, for BaseFetcher.downloadFile (capped at maxFileBytes). */
  override async fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
    const bytes = await this.downloadBytes(url, this.#o.maxFileBytes);
    return new Blob([new Uint8Array(bytes)]).stream() as ReadableStream<Uint8Array<ArrayBuffer>>;
  }
}

/** The repository path of a tuf-js URL. */
function repositoryPath(url: string): string {
  if (!url.startsWith(REPOSITORY_URL)) throw new DownloadInterruptedError('tuf-js asked for a URL outside the repository', { details: { url: url.slice(0, 80) } });
  return decodeURIComponent(url.slice(REPOSITORY_URL.length));
}

function asMetadataFailure(error: unknown, path: string, maxLength: number): FirmwareError {
  if (error instanceof DownloadTooLargeError) return new MetadataTooLargeError(`${path} is larger than its ${maxLength}-byte limit`, { cause: error, details: { path, limit: maxLength } });
  if (error instanceof FirmwareError) return error;
  return new DownloadInterruptedError(`${path} could not be read`, { cause: error, details: { path } });
}

/** Refuses a root that lists one public key under two key ids (see the file comment). */
function assertDistinctKeys(bytes: Buffer): void {
  let keys: unknown;
  try {
    keys = (JSON.parse(bytes.toString('utf8')) as { signed?: { keys?: unknown } }).signed?.keys;
  } catch {
    return; // Not JSON: tuf-js refuses it with its own message.
  }
  if (typeof keys !== 'object' || keys === null) return;
  const seen = new Set<string>();
  for (const key of Object.values(keys as Record<string, { keyval?: { public?: unknown } }>)) {
    const material = key.keyval?.public;
    if (typeof material !== 'string') continue;
    if (seen.has(material.toLowerCase())) throw new MalformedMetadataError('the root lists one public key under two key ids, which would count it twice toward a threshold', { details: { role: 'root' } });
    seen.add(material.toLowerCase());
  }
}
