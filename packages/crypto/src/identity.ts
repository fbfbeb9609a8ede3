/**
 * Identities: an Ed25519 signing key and an X25519 agreement key per device and for the gateway,
 * as JWKs whose key ids are RFC 7638 SHA-256 thumbprints. Public keys are imported once, checked
 * (OKP, expected curve, no private members, kid = thumbprint, X25519 not low-order) and cached
 * by kid, so the data path never parses a key again.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { InvalidKeyError } from './errors.js';
import { dh, generateKeyPair } from './internal/hpke/dhkem-x25519.js';
import { privateKeysOf, registerPrivateKeys } from './internal/private-keys.js';

/** The two OKP curves medsim uses. */
export type OkpCurve = 'Ed25519' | 'X25519';

/** A public OKP JWK as medsim publishes it. */
export interface PublicJwk {
  readonly kty: 'OKP';
  readonly crv: OkpCurve;
  readonly x: string;
  readonly kid: string;
  /** "sig" for Ed25519, "enc" for X25519. */
  readonly use: 'sig' | 'enc';
}

/** A public key imported once: its JWK, its kid and the node KeyObject used by the crypto calls. */
export interface KeyEntry {
  readonly jwk: PublicJwk;
  readonly kid: string;
  readonly key: KeyObject;
}

/** The public half of an identity. */
export interface PublicIdentity {
  readonly signing: KeyEntry;
  readonly agreement: KeyEntry;
}

/** Public JWKs of an identity, as exchanged at enrolment. */
export interface PublicJwks {
  readonly signing: JWK;
  readonly agreement: JWK;
}

/** Private JWKs of an identity, for persistence in a 0600 file or a keystore. */
export interface PrivateJwks {
  readonly signing: JWK;
  readonly agreement: JWK;
}

const BASE64URL_32 = /^[A-Za-z0-9_-]{43}$/;

async function thumbprintOf(crv: OkpCurve, x: string): Promise<string> {
  // RFC 7638 §3.2: the required members of an OKP key are crv, kty and x (RFC 8037 §2).
  return calculateJwkThumbprint({ crv, kty: 'OKP', x }, 'sha256');
}

/** Imports public keys once and caches them by kid (RFC 7638 thumbprint). */
export class KeyCache {
  readonly #entries = new Map<string, KeyEntry>();
  readonly #maxEntries: number;

  /** `maxEntries` bounds memory: 100,000 keys is a large fleet with two keys per device. */
  constructor(maxEntries = 100_000) {
    this.#maxEntries = maxEntries;
  }

  /** A cached key by kid. */
  get(kid: string): KeyEntry | undefined {
    return this.#entries.get(kid);
  }

  /** Number of cached keys. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Imports a public OKP JWK of the expected curve, or returns the cached entry. Throws
   * InvalidKeyError for anything else, including a `kid` that is not the key's thumbprint.
   */
  async importPublicJwk(jwk: JWK, curve: OkpCurve): Promise<KeyEntry> {
    if (jwk.kty !== 'OKP' || jwk.crv !== curve || typeof jwk.x !== 'string' || !BASE64URL_32.test(jwk.x)) {
      throw new InvalidKeyError(`expected a public OKP ${curve} JWK`, { details: { curve } });
    }
    if ('d' in jwk) throw new InvalidKeyError('a public key must not carry private material');
    const kid = await thumbprintOf(curve, jwk.x);
    if (jwk.kid !== undefined && jwk.kid !== kid) {
      throw new InvalidKeyError('kid is not the RFC 7638 thumbprint of the key', { details: { curve } });
    }
    const cached = this.#entries.get(kid);
    if (cached !== undefined) return cached;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: { kty: 'OKP', crv: curve, x: jwk.x }, format: 'jwk' });
    } catch (cause) {
      throw new InvalidKeyError(`not a valid ${curve} public key`, { cause });
    }
    // C10: refuse low-order X25519 points once, at import, instead of at every handshake.
    if (curve === 'X25519') dh(generateKeyPair().privateKey, key);
    if (this.#entries.size >= this.#maxEntries) {
      throw new InvalidKeyError('key cache is full', { details: { maxEntries: this.#maxEntries } });
    }
    const entry: KeyEntry = { jwk: { kty: 'OKP', crv: curve, x: jwk.x, kid, use: curve === 'Ed25519' ? 'sig' : 'enc' }, kid, key };
    this.#entries.set(kid, entry);
    return entry;
  }

  /** Imports both public keys of an identity. */
  async importPublicIdentity(jwks: PublicJwks): Promise<PublicIdentity> {
    const [signing, agreement] = await Promise.all([
      this.importPublicJwk(jwks.signing, 'Ed25519'),
      this.importPublicJwk(jwks.agreement, 'X25519'),
    ]);
    return { signing, agreement };
  }
}

async function entryFor(publicKey: KeyObject, curve: OkpCurve): Promise<KeyEntry> {
  const x = publicKey.export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new InvalidKeyError('public key has no x');
  const kid = await thumbprintOf(curve, x);
  return { jwk: { kty: 'OKP', crv: curve, x, kid, use: curve === 'Ed25519' ? 'sig' : 'enc' }, kid, key: publicKey };
}

/** A device's or the gateway's own keys. Private keys are usable through medsim's APIs only. */
export class Identity {
  readonly public: PublicIdentity;

  private constructor(publicIdentity: PublicIdentity, signing: KeyObject, agreement: KeyObject) {
    this.public = publicIdentity;
    registerPrivateKeys(this, {
      signing,
      agreement: { privateKey: agreement, publicKey: publicIdentity.agreement.key },
    });
  }

  /** A new identity from OpenSSL's CSPRNG. */
  static async generate(): Promise<Identity> {
    const signing = generateKeyPairSync('ed25519');
    const agreement = generateKeyPairSync('x25519');
    const publicIdentity = {
      signing: await entryFor(signing.publicKey, 'Ed25519'),
      agreement: await entryFor(agreement.publicKey, 'X25519'),
    };
    return new Identity(publicIdentity, signing.privateKey, agreement.privateKey);
  }

  /** An identity restored from exportPrivateJwks(); throws InvalidKeyError. */
  static async fromPrivateJwks(jwks: PrivateJwks): Promise<Identity> {
    const load = (jwk: JWK, curve: OkpCurve): KeyObject => {
      if (jwk.kty !== 'OKP' || jwk.crv !== curve || typeof jwk.d !== 'string') {
        throw new InvalidKeyError(`expected a private OKP ${curve} JWK`, { details: { curve } });
      }
      try {
        return createPrivateKey({ key: { kty: 'OKP', crv: curve, d: jwk.d, x: jwk.x ?? '' }, format: 'jwk' });
      } catch (cause) {
        throw new InvalidKeyError(`not a valid ${curve} private key`, { cause });
      }
    };
    const signing = load(jwks.signing, 'Ed25519');
    const agreement = load(jwks.agreement, 'X25519');
    const publicIdentity = {
      signing: await entryFor(createPublicKey(signing), 'Ed25519'),
      agreement: await entryFor(createPublicKey(agreement), 'X25519'),
    };
    if (jwks.signing.x !== publicIdentity.signing.jwk.x || jwks.agreement.x !== publicIdentity.agreement.jwk.x) {
      throw new InvalidKeyError('private JWK does not match its public part');
    }
    return new Identity(publicIdentity, signing, agreement);
  }

  /** Public JWKs, as sent at enrolment. */
  publicJwks(): PublicJwks {
    return { signing: { ...this.public.signing.jwk }, agreement: { ...this.public.agreement.jwk } };
  }

  /** Private JWKs for persistence. Whoever calls this must store them 0600 and never log them. */
  exportPrivateJwks(): PrivateJwks {
    const { signing, agreement } = privateKeysOf(this);
    const withKid = (key: KeyObject, kid: string): JWK => ({ ...key.export({ format: 'jwk' }), kid });
    return { signing: withKid(signing, this.public.signing.kid), agreement: withKid(agreement.privateKey, this.public.agreement.kid) };
  }
}
