/**
 * Streaming image verification: bytes go in as they arrive (a download, or a slot read in chunks);
 * the header is checked as soon as its 128 bytes are in, the hash runs over header and payload
 * without holding them, and `finish()` checks the TLV area, the hash and the signature. With a
 * content key, an encrypted payload is decrypted on the way (AES-256-CTR) and `update` returns the
 * plaintext to write to the slot; the hash covers the plaintext, as the signature does.
 *
 * It refuses as early as the bytes allow: a bad header at byte 128, a payload larger than the slot
 * at once, a byte past the TLV area's declared end at once (endless data, U6/U13), so nothing
 * unbounded is ever buffered (the TLV area is at most 4 KiB).
 */
import { createDecipheriv, createHash, type Decipher, type Hash } from 'node:crypto';
import { MalformedImageError } from '../errors.js';
import { HEADER_SIZE, IMAGE_LIMITS, TLV_INFO_MAGIC, TLV_INFO_SIZE } from './format.js';
import { checkSignature, parseHeader, parseTlvArea, type ImageHeader } from './image.js';
import type { ImageKeyring } from './image-key.js';

/** What a finished stream verified. */
export interface StreamVerified {
  readonly header: ImageHeader;
  readonly hash: Uint8Array;
  readonly keyHash: string;
  /** Bytes of the whole image. */
  readonly totalSize: number;
}

/** Options of ImageStreamVerifier. */
export interface StreamVerifierOptions {
  readonly keyring: ImageKeyring;
  /** Largest payload accepted (the slot size less header and TLVs; default the format's 256 MiB). */
  readonly maxPayloadBytes?: number;
  /** Decrypts an ENCRYPTED payload on the way (without it, the stream must be plaintext). */
  readonly contentKey?: Uint8Array;
}

/** Verifies an image fed in chunks (see the file comment). */
export class ImageStreamVerifier {
  readonly #o: StreamVerifierOptions;
  readonly #hash: Hash = createHash('sha256');
  #headerBytes: Buffer[] = [];
  #headerLength = 0;
  #header: ImageHeader | undefined;
  #decipher: Decipher | undefined;
  #received = 0;
  #tlv: Buffer[] = [];
  #tlvLength = 0;
  #tlvSize: number | undefined;
  #done = false;

  constructor(options: StreamVerifierOptions) {
    this.#o = options;
  }

  /** Bytes taken so far. */
  get received(): number {
    return this.#received;
  }

  /** The header, once 128 bytes are in. */
  get header(): ImageHeader | undefined {
    return this.#header;
  }

  /** Takes the next bytes; returns what to write to the slot (plaintext). Throws on the first bad byte. */
  update(chunk: Uint8Array): Uint8Array {
    if (this.#done) throw new MalformedImageError('bytes after the image was finished');
    const out: Uint8Array[] = [];
    let at = 0;
    while (at < chunk.length) {
      const offset = this.#received;
      if (this.#header === undefined) {
        const n = Math.min(HEADER_SIZE - this.#headerLength, chunk.length - at);
        this.#headerBytes.push(Buffer.from(chunk.subarray(at, at + n)));
        this.#headerLength += n;
        this.#advance(n);
        at += n;
        if (this.#headerLength === HEADER_SIZE) {
          const bytes = Buffer.concat(this.#headerBytes);
          this.#headerBytes = [];
          this.#header = parseHeader(bytes, this.#o.maxPayloadBytes);
          if (this.#header.encrypted && this.#o.contentKey !== undefined) this.#decipher = createDecipheriv('aes-256-ctr', this.#o.contentKey, this.#header.iv);
          this.#hash.update(bytes);
          out.push(bytes);
        }
        continue;
      }
      const tlvStart = HEADER_SIZE + this.#header.payloadSize;
      if (offset < tlvStart) {
        const n = Math.min(tlvStart - offset, chunk.length - at);
        const piece = chunk.subarray(at, at + n);
        const plain = this.#decipher === undefined ? piece : this.#decipher.update(piece);
        this.#hash.update(plain);
        out.push(plain);
        this.#advance(n);
        at += n;
        continue;
      }
      // The TLV area: buffered (at most 4 KiB), its size read from its 4-byte info.
      const limit = this.#tlvSize ?? TLV_INFO_SIZE;
      const n = Math.min(limit - this.#tlvLength, chunk.length - at);
      if (n <= 0) throw new MalformedImageError('bytes after the TLV area');
      const piece = Buffer.from(chunk.subarray(at, at + n));
      this.#tlv.push(piece);
      this.#tlvLength += n;
      this.#advance(n);
      at += n;
      out.push(piece);
      if (this.#tlvSize === undefined && this.#tlvLength === TLV_INFO_SIZE) {
        const info = Buffer.concat(this.#tlv);
        if (info.readUInt16BE(0) !== TLV_INFO_MAGIC) throw new MalformedImageError('no TLV area after the payload');
        const size = info.readUInt16BE(2);
        if (size < TLV_INFO_SIZE || size > IMAGE_LIMITS.maxTlvAreaBytes) throw new MalformedImageError('TLV area size out of range');
        this.#tlvSize = size;
      }
    }
    return out.length === 1 ? out[0]! : new Uint8Array(Buffer.concat(out));
  }

  /** Checks the TLVs, hash and signature once every byte is in; throws what verifyImage would. */
  finish(): StreamVerified {
    if (this.#done) throw new MalformedImageError('finish() called twice');
    this.#done = true;
    if (this.#header === undefined || this.#tlvSize === undefined || this.#tlvLength !== this.#tlvSize) throw new MalformedImageError(`the image ends early (${this.#received} bytes)`);
    const tlvs = parseTlvArea(Buffer.concat(this.#tlv));
    const hash = this.#hash.digest();
    checkSignature(tlvs, hash, this.#o.keyring);
    return { header: this.#header, hash: tlvs.hash, keyHash: tlvs.keyHash, totalSize: this.#received };
  }

  #advance(n: number): void {
    this.#received += n;
  }
}
