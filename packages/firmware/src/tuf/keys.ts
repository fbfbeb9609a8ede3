/**
 * TUF release keys: Ed25519 (keytype and scheme "ed25519", public key as 64 hex characters), the
 * only key type the medsim repository uses, so a device verifies one algorithm. The key id is the
 * SHA-256 of the key's canonical JSON (TUF spec 4.2: the id is a hash of the key, so one key cannot
 * pose as two). Private keys live in PKCS#8 PEM files, one per key: root and targets keys offline
 * with the release team, snapshot and timestamp keys on the gateway (see repository.ts).
 */
import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { canonicalize } from '@tufjs/canonical-json';
import { Key, Signature } from '@tufjs/models';
import { InvalidReleaseKeyError } from '../errors.js';
import { rawEd25519PublicKey } from '../image/image-key.js';

/** The TUF key type and signature scheme of every medsim release key. */
export const TUF_KEY_SCHEME = 'ed25519';

/** The TUF key id of a key: SHA-256 of its canonical JSON, hex. */
export function tufKeyId(key: Pick<Key, 'toJSON'>): string {
  return createHash('sha256').update(canonicalize(key.toJSON())).digest('hex');
}

/** The TUF public key for a raw 32-byte Ed25519 public key. */
export function tufPublicKey(rawPublicKey: Uint8Array): Key {
  if (rawPublicKey.length !== 32) throw new InvalidReleaseKeyError('an Ed25519 public key is 32 bytes', { details: { length: rawPublicKey.length } });
  const body = { keyType: TUF_KEY_SCHEME, scheme: TUF_KEY_SCHEME, keyVal: { public: Buffer.from(rawPublicKey).toString('hex') } };
  return new Key({ keyID: tufKeyId(new Key({ keyID: '', ...body })), ...body });
}

/** A private release key: signs TUF metadata for the roles the root lists it under. */
export class TufSigningKey {
  readonly #privateKey: KeyObject;
  /** The public key as it appears in root metadata. */
  readonly publicKey: Key;

  private constructor(privateKey: KeyObject) {
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new InvalidReleaseKeyError('TUF release keys are Ed25519', { details: { type: privateKey.asymmetricKeyType ?? 'unknown' } });
    this.#privateKey = privateKey;
    this.publicKey = tufPublicKey(rawEd25519PublicKey(privateKey));
  }

  /** A new random key (OpenSSL's CSPRNG). */
  static generate(): TufSigningKey {
    return new TufSigningKey(generateKeyPairSync('ed25519').privateKey);
  }

  /** From a PKCS#8 PEM key file; throws ERR_FW_KEY_INVALID for anything but an Ed25519 private key. */
  static fromPem(pem: string): TufSigningKey {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: pem, format: 'pem' });
    } catch (error) {
      throw new InvalidReleaseKeyError('not a PEM private key', { cause: error });
    }
    return new TufSigningKey(key);
  }

  /** The key id roles and signatures name this key by. */
  get keyId(): string {
    return this.publicKey.keyID;
  }

  /** PKCS#8 PEM of the private key, for the key file (write it mode 0600). */
  toPem(): string {
    return this.#privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  }

  /** The synchronous signer `Metadata.sign` takes: Ed25519 over the canonical JSON of `signed`. */
  readonly signer = (data: Buffer): Signature => new Signature({ keyID: this.keyId, sig: sign(null, data, this.#privateKey).toString('hex') });
}
