/**
 * DHKEM(X25519, HKDF-SHA256) of RFC 9180 §4.1 on node:crypto's X25519 (OpenSSL), with
 * DeriveKeyPair of §7.1.3. X25519 outputs of all zeros (low-order public keys) are refused, as
 * §7.1.4 requires: OpenSSL refuses them and the code checks again (C10).
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { InvalidKeyError } from '../../errors.js';
import { labeledExpand, labeledExtract } from './labeled-kdf.js';
import { HASH_BYTES, KEM_SUITE_ID, X25519_BYTES } from './suite.js';

// DER prefixes that wrap a raw 32-byte X25519 key (RFC 8410 §7 PKCS#8 and §4 SubjectPublicKeyInfo).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

/** An X25519 key pair as node KeyObjects. */
export interface X25519KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** A raw 32-byte X25519 public key as a KeyObject; throws InvalidKeyError. */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== X25519_BYTES) throw new InvalidKeyError('X25519 public key must be 32 bytes');
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** A raw 32-byte X25519 private key as a key pair. */
export function keyPairFromRawPrivate(raw: Uint8Array): X25519KeyPair {
  if (raw.length !== X25519_BYTES) throw new InvalidKeyError('X25519 private key must be 32 bytes');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** SerializePublicKey: the raw 32 bytes of an X25519 public key. */
export function rawPublicKey(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - X25519_BYTES);
}

/** A fresh X25519 key pair from OpenSSL's CSPRNG. */
export function generateKeyPair(): X25519KeyPair {
  return generateKeyPairSync('x25519');
}

/** DeriveKeyPair(ikm) of RFC 9180 §7.1.3 (X25519 clamps the scalar itself). */
export function deriveKeyPair(ikm: Uint8Array): X25519KeyPair {
  const dkpPrk = labeledExtract(KEM_SUITE_ID, Buffer.alloc(0), 'dkp_prk', ikm);
  return keyPairFromRawPrivate(labeledExpand(KEM_SUITE_ID, dkpPrk, 'sk', Buffer.alloc(0), X25519_BYTES));
}

/** DH(sk, pk); refuses the all-zero output of low-order points (RFC 9180 §7.1.4, RFC 7748 §6.1). */
export function dh(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey });
  } catch (cause) {
    throw new InvalidKeyError('X25519 agreement failed (low-order or invalid public key)', { cause });
  }
  if (shared.every((byte) => byte === 0)) throw new InvalidKeyError('X25519 agreement gave the all-zero value');
  return shared;
}

function extractAndExpand(dhValue: Uint8Array, kemContext: Uint8Array): Buffer {
  const eaePrk = labeledExtract(KEM_SUITE_ID, Buffer.alloc(0), 'eae_prk', dhValue);
  return labeledExpand(KEM_SUITE_ID, eaePrk, 'shared_secret', kemContext, HASH_BYTES);
}

/** The result of an encapsulation: the shared secret and the encapsulated key to send. */
export interface Encapsulation {
  readonly sharedSecret: Buffer;
  readonly enc: Buffer;
}

/**
 * Encap (base) or AuthEncap (when `sender` is given) of RFC 9180 §4.1. `ephemeral` is for test
 * vectors only; in use it is fresh for every call.
 */
export function encap(recipient: KeyObject, sender?: X25519KeyPair, ephemeral: X25519KeyPair = generateKeyPair()): Encapsulation {
  const enc = rawPublicKey(ephemeral.publicKey);
  const pkRm = rawPublicKey(recipient);
  if (sender === undefined) {
    const sharedSecret = extractAndExpand(dh(ephemeral.privateKey, recipient), Buffer.concat([enc, pkRm]));
    return { sharedSecret, enc };
  }
  const dhValue = Buffer.concat([dh(ephemeral.privateKey, recipient), dh(sender.privateKey, recipient)]);
  const kemContext = Buffer.concat([enc, pkRm, rawPublicKey(sender.publicKey)]);
  return { sharedSecret: extractAndExpand(dhValue, kemContext), enc };
}

/** Decap (base) or AuthDecap (when `sender` is given) of RFC 9180 §4.1. */
export function decap(enc: Uint8Array, recipient: X25519KeyPair, sender?: KeyObject): Buffer {
  const pkE = publicKeyFromRaw(enc);
  const pkRm = rawPublicKey(recipient.publicKey);
  if (sender === undefined) {
    return extractAndExpand(dh(recipient.privateKey, pkE), Buffer.concat([enc, pkRm]));
  }
  const dhValue = Buffer.concat([dh(recipient.privateKey, pkE), dh(recipient.privateKey, sender)]);
  return extractAndExpand(dhValue, Buffer.concat([enc, pkRm, rawPublicKey(sender)]));
}
