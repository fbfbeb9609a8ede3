/**
 * HTTP Range requests for resumable downloads (RFC 9110 §14): one range of bytes, `bytes=N-`
 * (from N to the end: what a device resuming after an interruption asks for) or `bytes=N-M`
 * (inclusive, M clipped to the end). Anything else (several ranges, suffix ranges, other units,
 * a start at or past the end, an end before the start) is refused with 416 and a Content-Range
 * naming the length, rather than silently answered with the whole file, so a client that meant to
 * resume never appends a full copy to what it has.
 */
import { FirmwareRangeError } from '../errors.js';

/** Bytes `start` to `end`, inclusive. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

// At most 15 digits per position: beyond 2^53 no file here is that long anyway.
const RANGE = /^bytes=(\d{1,15})-(\d{0,15})$/u;

/**
 * The range a `Range` header asks of a file of `length` bytes: undefined without a header (the
 * whole file); throws ERR_FIRMWARE_RANGE_NOT_SATISFIABLE for anything not served.
 */
export function parseByteRange(header: string | undefined, length: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const match = RANGE.exec(header);
  if (match === null) throw new FirmwareRangeError(length, 'only one range, bytes=N- or bytes=N-M, is served');
  const start = Number(match[1]);
  const last = match[2] === '' ? length - 1 : Number(match[2]);
  if (start >= length || last < start) throw new FirmwareRangeError(length);
  return { start, end: Math.min(last, length - 1) };
}
