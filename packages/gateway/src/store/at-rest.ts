/**
 * Encryption at rest (CTL-10): biometric payloads, patient names, TOTP secrets and device
 * session secrets are stored as AES-256-GCM under the data key, with the row's identity as
 * associated data so a ciphertext copied into another row does not open.
 *
 * Blob layout: version (1 byte, 1) ‖ nonce (12 random bytes) ‖ ciphertext ‖ tag (16 bytes).
 * Random 96-bit nonces allow 2^32 encryptions under one key (NIST SP 800-38D): about five days
 * at a sustained 10,000 readings/s. Key rotation with re-encryption is not built yet (a CTL-10
 * gap, recorded in the gateway issue's closing note).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { GatewayError } from '../errors.js';

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** Random bytes drawn from the CSPRNG in blocks: one call per 341 nonces instead of one each. */
class NoncePool {
  #pool = Buffer.alloc(0);
  #offset = 0;

  next(): Buffer {
    if (this.#offset + NONCE_BYTES > this.#pool.length) {
      this.#pool = randomBytes(NONCE_BYTES * 341);
      this.#offset = 0;
    }
    const nonce = this.#pool.subarray(this.#offset, this.#offset + NONCE_BYTES);
    this.#offset += NONCE_BYTES;
    return nonce;
  }
}

/** The data-encryption key for values at rest. */
export class DataKey {
  readonly #key: Buffer;
  readonly #nonces = new NoncePool();

  constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES) throw new GatewayError('ERR_DATA_DIR', 'the data key must be 32 bytes');
    this.#key = Buffer.from(key);
  }

  /** A new random data key. */
  static generate(): Uint8Array {
    return randomBytes(KEY_BYTES);
  }

  /** Encrypts `plaintext`, bound to `context` (e.g. "reading|pump-1|…"). */
  seal(plaintext: Uint8Array, context: string): Buffer {
    const nonce = this.#nonces.next();
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const out = Buffer.concat([Buffer.of(VERSION), nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return out;
  }

  /** Decrypts a blob sealed with the same context; throws ERR_STORE_CORRUPT if it does not verify. */
  open(blob: Uint8Array, context: string): Buffer {
    if (blob.length < 1 + NONCE_BYTES + TAG_BYTES || blob[0] !== VERSION) {
      throw new GatewayError('ERR_STORE_CORRUPT', 'an encrypted value is malformed');
    }
    const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(1, 1 + NONCE_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(1 + NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
    } catch (cause) {
      throw new GatewayError('ERR_STORE_CORRUPT', 'an encrypted value does not verify under the data key', { cause });
    }
  }

  /** Seals a UTF-8 string. */
  sealText(text: string, context: string): Buffer {
    return this.seal(Buffer.from(text, 'utf8'), context);
  }

  /** Opens a UTF-8 string. */
  openText(blob: Uint8Array, context: string): string {
    return this.open(blob, context).toString('utf8');
  }
}
