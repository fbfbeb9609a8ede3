/**
 * Image-signing keys (Ed25519, node:crypto) and the keyring a bootloader trusts. The key that signs
 * an image's hash is named in the image by its key hash (SHA-256 of the 32-byte raw public key), as
 * MCUboot's KEYHASH TLV does, so a bootloader with several trusted keys knows which one to use and
 * a revoked key is recognised by name.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { InvalidImageSpecError } from '../errors.js';

/** The raw public key inside an Ed25519 SPKI DER (the last 32 bytes of its 44). */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** SHA-256 of a 32-byte raw Ed25519 public key, hex: how images and keyrings name a key. */
export function imageKeyHash(rawPublicKey: Uint8Array): string {
  return createHash('sha256').update(rawPublicKey).digest('hex');
}

/** The raw 32 bytes of an Ed25519 public key object. */
export function rawEd25519PublicKey(key: KeyObject): Uint8Array {
  if (key.asymmetricKeyType !== 'ed25519') throw new InvalidImageSpecError('image keys are Ed25519', { details: { field: 'key' } });
  const der = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(SPKI_ED25519_PREFIX.length));
}

/** A public Ed25519 key object from its raw 32 bytes. */
export function ed25519PublicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new InvalidImageSpecError('an Ed25519 public key is 32 bytes', { details: { field: 'key' } });
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** A private image-signing key; signs 32-byte image hashes. */
export class ImageSigningKey {
  readonly #privateKey: KeyObject;
  /** The raw public key (32 bytes) and its key hash. */
  readonly publicKey: Uint8Array;
  readonly keyHash: string;

  private constructor(privateKey: KeyObject) {
    this.#privateKey = privateKey;
    this.publicKey = rawEd25519PublicKey(privateKey);
    this.keyHash = imageKeyHash(this.publicKey);
  }

  /** A new random key (OpenSSL's CSPRNG). */
  static generate(): ImageSigningKey {
    return new ImageSigningKey(generateKeyPairSync('ed25519').privateKey);
  }

  /** From a PKCS#8 PEM (what `medsim firmware keys` writes, mode 0600). */
  static fromPem(pem: string): ImageSigningKey {
    return new ImageSigningKey(createPrivateKey({ key: pem, format: 'pem' }));
  }

  /** PKCS#8 PEM of the private key, for the release operator's key file. */
  toPem(): string {
    return this.#privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  }

  /** Ed25519 signature (64 bytes) over `message`. */
  sign(message: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, message, this.#privateKey));
  }
}

/**
 * The image keys a bootloader trusts (burned in at manufacturing), and the ones revoked since. A
 * revoked key stays revoked even if it is also listed as trusted.
 */
export class ImageKeyring {
  readonly #trusted = new Map<string, KeyObject>();
  readonly #revoked = new Set<string>();

  constructor(trusted: readonly Uint8Array[] = [], revokedKeyHashes: readonly string[] = []) {
    for (const raw of trusted) this.#trusted.set(imageKeyHash(raw), ed25519PublicKeyFromRaw(raw));
    for (const hash of revokedKeyHashes) this.#revoked.add(hash.toLowerCase());
  }

  /** Key hashes trusted and not revoked. */
  get keyHashes(): readonly string[] {
    return [...this.#trusted.keys()].filter((h) => !this.#revoked.has(h));
  }

  /** True when `keyHash` names a trusted key that was not revoked. */
  trusts(keyHash: string): boolean {
    return this.#trusted.has(keyHash) && !this.#revoked.has(keyHash);
  }

  /** True when `keyHash` was revoked. */
  isRevoked(keyHash: string): boolean {
    return this.#revoked.has(keyHash);
  }

  /** Verifies `signature` over `message` with the key named `keyHash`; false when it is not trusted. */
  verify(keyHash: string, message: Uint8Array, signature: Uint8Array): boolean {
    const key = this.trusts(keyHash) ? this.#trusted.get(keyHash) : undefined;
    if (key === undefined || signature.length !== 64) return false;
    return verify(null, message, key, signature);
  }
}
