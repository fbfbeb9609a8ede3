/**
 * Streaming SHA-256 of large inputs (firmware images) with a hard size limit, so that an
 * endless or oversized stream is cut off instead of hashed forever (TUF "endless data").
 */
import { createHash } from 'node:crypto';
import { InputTooLargeError, TruncatedInputError } from './errors.js';

/** Limits of one streamed digest. */
export interface StreamDigestOptions {
  /** Refuse as soon as more than this many bytes arrive. */
  readonly maxBytes: number;
  /** If given, the stream must be exactly this long. */
  readonly expectedBytes?: number;
}

/** A digest and the number of bytes it covers. */
export interface StreamDigest {
  readonly sha256: Buffer;
  readonly bytes: number;
}

/** SHA-256 of a byte stream (a Readable, or any async or sync iterable of chunks). */
export async function sha256Stream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: StreamDigestOptions): Promise<StreamDigest> {
  const limit = Math.min(options.maxBytes, options.expectedBytes ?? Number.POSITIVE_INFINITY);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of source) {
    bytes += chunk.length;
    if (bytes > limit) {
      throw new InputTooLargeError(`stream exceeds ${limit} bytes`, { details: { limit } });
    }
    hash.update(chunk);
  }
  if (options.expectedBytes !== undefined && bytes !== options.expectedBytes) {
    throw new TruncatedInputError(`stream ended after ${bytes} of ${options.expectedBytes} bytes`, {
      details: { bytes, expected: options.expectedBytes },
    });
  }
  return { sha256: hash.digest(), bytes };
}
