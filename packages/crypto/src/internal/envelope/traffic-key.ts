/**
 * One direction's AES-256-GCM key and nonce base. The 96-bit nonce is the nonce base XOR
 * (stream id as 32 bits || sequence as 64 bits), so a nonce is unique for as long as no
 * (stream, sequence) pair repeats under the key, which the session's counters guarantee
 * (NIST SP 800-38D §8.2.1 deterministic construction; the XOR mask as in TLS 1.3 and RFC 9180 §5.2).
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { AuthenticationFailedError } from '../../errors.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
// 16-byte tags only: the decipher refuses shorter (truncated) tags even if a caller passed one.
const GCM_OPTIONS = { authTagLength: TAG_BYTES } as const;

/** A direction's key and nonce base. */
export class TrafficKey {
  readonly #key: KeyObject;
  readonly #nonceBase: Buffer;
  // createCipheriv copies the IV, so one scratch buffer per key serves every call.
  readonly #nonce = Buffer.alloc(NONCE_BYTES);

  constructor(key: Uint8Array, nonceBase: Uint8Array) {
    if (key.length !== 32 || nonceBase.length !== NONCE_BYTES) throw new RangeError('traffic key needs 32 + 12 bytes');
    this.#key = createSecretKey(key);
    this.#nonceBase = Buffer.from(nonceBase);
  }

  /** The nonce of (stream, sequence); `sequence` below 2^53. */
  nonce(streamId: number, sequence: number): Buffer {
    const n = this.#nonce;
    const base = this.#nonceBase;
    n.writeUInt32BE(streamId >>> 0, 0);
    n.writeUInt32BE(Math.floor(sequence / 0x1_0000_0000), 4);
    n.writeUInt32BE(sequence >>> 0, 8);
    for (let i = 0; i < NONCE_BYTES; i++) n[i] = (n[i] ?? 0) ^ (base[i] ?? 0);
    return n;
  }

  /**
   * AES-256-GCM seal of the concatenation of `chunks`, writing ciphertext then tag into `out` at
   * `offset`: each chunk is encrypted where it lies, never concatenated first.
   */
  sealInto(nonce: Buffer, aad: Uint8Array, chunks: readonly Uint8Array[], out: Buffer, offset: number): void {
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce, GCM_OPTIONS);
    cipher.setAAD(aad);
    let at = offset;
    for (const chunk of chunks) at += cipher.update(chunk).copy(out, at);
    cipher.final();
    cipher.getAuthTag().copy(out, at);
  }

  /** AES-256-GCM open of ciphertext||tag; throws AuthenticationFailedError. */
  open(nonce: Buffer, aad: Uint8Array, sealed: Uint8Array): Buffer {
    if (sealed.length < TAG_BYTES) throw new AuthenticationFailedError('ciphertext is shorter than its tag');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, nonce, GCM_OPTIONS);
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    try {
      decipher.final();
    } catch (cause) {
      plaintext.fill(0);
      throw new AuthenticationFailedError('envelope did not authenticate', { cause });
    }
    return plaintext;
  }
}
