/**
 * Private key material of Identity objects, reachable only inside @medsim/crypto: the public API
 * hands out Identity objects whose private keys can be used (sign, agree) but not read, except
 * through the explicit exportPrivateJwks() used for persistence.
 */
import type { KeyObject } from 'node:crypto';
import type { X25519KeyPair } from './hpke/dhkem-x25519.js';

/** The private halves of an identity. */
export interface PrivateKeys {
  readonly signing: KeyObject;
  readonly agreement: X25519KeyPair;
}

const registry = new WeakMap<object, PrivateKeys>();

/** Called by Identity's constructor. */
export function registerPrivateKeys(owner: object, keys: PrivateKeys): void {
  registry.set(owner, keys);
}

/** The private keys of an Identity; throws for anything else. */
export function privateKeysOf(owner: object): PrivateKeys {
  const keys = registry.get(owner);
  if (keys === undefined) throw new TypeError('not a medsim Identity');
  return keys;
}
