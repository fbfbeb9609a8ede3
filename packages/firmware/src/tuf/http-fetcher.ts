/**
 * A Fetcher over HTTP(S) with node:http/node:https: how a device fetches repository files through
 * the gateway (mutual TLS: pass the device's certificate and key and the gateway's CA). A resumed
 * download asks for `Range: bytes=<offset>-`; a server that answers 200 with the whole file instead
 * is skipped forward, so resume works with any server. 404 is ERR_FW_DOWNLOAD_NOT_FOUND (for root
 * versions, the normal end of rotation); any other non-2xx status is ERR_FW_DOWNLOAD_INTERRUPTED.
 * Limits are the consumer's (transfer.ts); the request is destroyed when its signal aborts.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent } from 'node:https';
import type { SecureContext } from 'node:tls';
import { DownloadInterruptedError, DownloadNotFoundError } from '../errors.js';
import type { FetchOptions, Fetcher } from './fetcher.js';

/** Where the repository is served and how to reach it. */
export interface HttpFetcherOptions {
  /** Base URL under which 'metadata/…' and 'targets/…' are served, e.g. https://gateway:8443/firmware/. */
  readonly baseUrl: string;
  /**
   * TLS for https: the gateway's CA and the device's certificate and key (mTLS), or a secure context
   * holding them (a device keystore makes one without its private key leaving it).
   */
  /** Connection pooling (default: Node's global agent); a device shares one small pool for all update traffic. */
  readonly agent?: Agent | false;
  readonly tls?: { readonly ca?: string | Buffer; readonly cert?: string | Buffer; readonly key?: string | Buffer; readonly secureContext?: SecureContext; readonly servername?: string };
}

/** Fetches repository files with HTTP GET (see the file comment). */
export class HttpFetcher implements Fetcher {
  readonly #base: URL;
  readonly #o: HttpFetcherOptions;

  constructor(options: HttpFetcherOptions) {
    this.#base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.#o = options;
  }

  /** See Fetcher.fetch. */
  async *fetch(path: string, options: FetchOptions): AsyncIterable<Uint8Array> {
    const url = new URL(path, this.#base);
    const response = await this.#get(url, options);
    try {
      let skip = response.statusCode === 200 ? options.offset : 0;
      for await (const chunk of response as AsyncIterable<Buffer>) {
        const piece = skip === 0 ? chunk : chunk.subarray(Math.min(skip, chunk.length));
        skip -= chunk.length - piece.length;
        if (piece.length > 0) yield new Uint8Array(piece.buffer, piece.byteOffset, piece.length);
      }
    } finally {
      response.destroy();
    }
  }

  #get(url: URL, options: FetchOptions): Promise<IncomingMessage> {
    const headers = options.offset > 0 ? { range: `bytes=${options.offset}-` } : {};
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(url, { headers, signal: options.signal, ...this.#o.tls, ...(this.#o.agent === undefined ? {} : { agent: this.#o.agent }) }, (response) => {
        const status = response.statusCode ?? 0;
        if (status === 200 || (status === 206 && contentRangeStart(response) === options.offset)) {
          resolve(response);
          return;
        }
        response.destroy();
        reject(status === 404 ? new DownloadNotFoundError(`no file ${url.pathname}`, { details: { status } }) : new DownloadInterruptedError(`HTTP ${status} for ${url.pathname}`, { details: { status } }));
      });
      req.on('error', reject);
      req.end();
    });
  }
}

/** The first byte of a 206 response's Content-Range, or -1. */
function contentRangeStart(response: IncomingMessage): number {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(response.headers['content-range'] ?? '');
  return match === null ? -1 : Number(match[1]);
}
