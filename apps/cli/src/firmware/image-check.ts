/**
 * Reading and checking a firmware image file, for `build` (the file written), `inspect` and
 * `release` (nothing unverified is listed). At most the format's largest image is read. The
 * structure is parsed strictly (parseImage of @medsim/firmware); the SHA-256 of header and payload
 * (what the signature covers) and of the whole file (what TUF lists) are computed in one pass of
 * 4 MiB steps, with a progress bar on a TTY; given the image keys, the hash and signature are
 * checked as a bootloader checks them (checkSignature). Encrypted images are refused: their hash
 * covers the plaintext, and campaigns cannot roll them out yet (docs/firmware/gateway.md).
 */
import { HEADER_SIZE, IMAGE_LIMITS, ImageKeyring, checkSignature, parseImage, type ImageSigningKey, type ParsedImage } from '@medsim/firmware';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { UsageError } from '../commands/usage-error.js';
import { progress } from '../ui/terminal.js';
import { CommandError } from './command-error.js';

/** The largest image file: header, the format's largest payload (256 MiB) and the largest TLV area. */
export const MAX_IMAGE_FILE_BYTES = HEADER_SIZE + IMAGE_LIMITS.maxPayloadBytes + IMAGE_LIMITS.maxTlvAreaBytes;

/** Bytes hashed between two progress ticks. */
const HASH_STEP_BYTES = 4 * 1024 * 1024;

/** What checkImage found. */
export interface ImageReport {
  readonly parsed: ParsedImage;
  /** SHA-256 of the whole file (hex): the hash TUF lists and the gateway names the file by. */
  readonly fileSha256: string;
  /** SHA-256 of header and payload (hex), computed. */
  readonly computedHash: string;
  /** The computed hash is the one in the hash TLV. */
  readonly hashMatches: boolean;
  /** 'verified' when a keyring was given and the signature verified (a failure throws). */
  readonly signature: 'verified' | 'not-checked';
}

/** Reads an image file; refuses a missing file (usage) or one larger than any image. */
export async function readImageFile(path: string): Promise<Uint8Array> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new UsageError(`${path}: no such file`);
  }
  if (size > MAX_IMAGE_FILE_BYTES) throw new CommandError(`${path} is ${size} bytes, more than the largest image (${MAX_IMAGE_FILE_BYTES})`);
  return new Uint8Array(await readFile(path));
}

/** The keyring of the image keys in service: what a bootloader built by this release team trusts. */
export const keyringOf = (keys: readonly { readonly key: ImageSigningKey }[]): ImageKeyring => new ImageKeyring(keys.map((k) => k.key.publicKey));

/**
 * Parses `bytes` (throws the parser's ERR_FW_IMAGE_* code), hashes them with a progress bar, and,
 * with `keyring`, checks hash and signature (throws ERR_FW_IMAGE_HASH_MISMATCH, _UNTRUSTED_KEY or
 * _BAD_SIGNATURE).
 */
export function checkImage(bytes: Uint8Array, keyring: ImageKeyring | undefined, label: string): ImageReport {
  const parsed = parseImage(bytes);
  // Hash and signature cover the plaintext payload: checking them needs the model's content key.
  if (parsed.header.encrypted) throw new CommandError('the image is encrypted (its hash and signature cover the plaintext, which needs the model\'s content key): medsim firmware builds, checks and releases plaintext images only');
  const signedLength = parsed.signedPart.length;
  const imageHash = createHash('sha256');
  const fileHash = createHash('sha256');
  const bar = progress(label, Math.max(1, Math.ceil(bytes.length / HASH_STEP_BYTES)));
  for (let at = 0; at < bytes.length; at += HASH_STEP_BYTES) {
    const chunk = bytes.subarray(at, Math.min(bytes.length, at + HASH_STEP_BYTES));
    if (at < signedLength) imageHash.update(chunk.subarray(0, signedLength - at));
    fileHash.update(chunk);
    bar.tick();
  }
  bar.done();
  const computed = imageHash.digest();
  if (keyring !== undefined) checkSignature(parsed, computed, keyring);
  return {
    parsed,
    fileSha256: fileHash.digest('hex'),
    computedHash: computed.toString('hex'),
    hashMatches: computed.equals(Buffer.from(parsed.hash)),
    signature: keyring === undefined ? 'not-checked' : 'verified',
  };
}
