/**
 * HKDF-SHA256 Extract and Expand (RFC 5869 §2.2, §2.3) as separate steps, which RFC 9180 needs
 * and node:crypto's one-shot hkdf() does not offer, built on node:crypto's HMAC; and RFC 9180's
 * labeled variants (§4). Checked against the Wycheproof HKDF-SHA256 vectors and node's hkdfSync.
 */
import { createHmac } from 'node:crypto';
import { HASH_BYTES, i2osp } from './suite.js';

const HPKE_V1 = Buffer.from('HPKE-v1');

/** HKDF-Extract(salt, ikm) = HMAC-SHA256(salt, ikm); an empty salt acts as HashLen zero bytes. */
export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Buffer {
  return createHmac('sha256', salt).update(ikm).digest();
}

/** HKDF-Expand(prk, info, length), length at most 255 * 32 bytes (RFC 5869 §2.3). */
export function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  if (!Number.isInteger(length) || length < 0 || length > 255 * HASH_BYTES) {
    throw new RangeError(`HKDF-Expand length ${length} is not in [0, ${255 * HASH_BYTES}]`);
  }
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; i <= Math.ceil(length / HASH_BYTES); i++) {
    previous = createHmac('sha256', prk).update(previous).update(info).update(Uint8Array.of(i)).digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** LabeledExtract(salt, label, ikm) of RFC 9180 §4. */
export function labeledExtract(suiteId: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array): Buffer {
  return hkdfExtract(salt, Buffer.concat([HPKE_V1, suiteId, Buffer.from(label), ikm]));
}

/** LabeledExpand(prk, label, info, L) of RFC 9180 §4. */
export function labeledExpand(suiteId: Uint8Array, prk: Uint8Array, label: string, info: Uint8Array, length: number): Buffer {
  return hkdfExpand(prk, Buffer.concat([i2osp(length, 2), HPKE_V1, suiteId, Buffer.from(label), info]), length);
}
