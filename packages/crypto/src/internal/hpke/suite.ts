/**
 * RFC 9180 identifiers and sizes for the one KEM and KDF medsim uses, and the AEADs the test
 * vectors exercise. Production sessions use AES-256-GCM only (aeadId 0x0002).
 */

/** RFC 9180 §7.1: DHKEM(X25519, HKDF-SHA256). */
export const KEM_X25519_HKDF_SHA256 = 0x0020;
/** RFC 9180 §7.2: HKDF-SHA256. */
export const KDF_HKDF_SHA256 = 0x0001;

/** RFC 9180 §7.3 AEAD ids: node:crypto cipher name and key length. */
export const AEADS = {
  0x0001: { name: 'aes-128-gcm', keyBytes: 16 },
  0x0002: { name: 'aes-256-gcm', keyBytes: 32 },
  0x0003: { name: 'chacha20-poly1305', keyBytes: 32 },
} as const;

/** An AEAD id this implementation supports. */
export type AeadId = keyof typeof AEADS;

/** The production suite's AEAD: AES-256-GCM. */
export const AEAD_AES_256_GCM: AeadId = 0x0002;

/** Nh for HKDF-SHA256, Nsecret/Nenc/Npk/Nsk for X25519, Nn and Nt for all three AEADs: bytes. */
export const HASH_BYTES = 32;
export const X25519_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

/** RFC 9180 §5: the four modes. */
export const MODE = { base: 0x00, psk: 0x01, auth: 0x02, authPsk: 0x03 } as const;
/** An RFC 9180 mode. */
export type Mode = (typeof MODE)[keyof typeof MODE];

/** I2OSP(n, w): n as a w-byte big-endian integer (RFC 9180 §4, RFC 8017 §4.1). */
export function i2osp(n: number, w: number): Buffer {
  const out = Buffer.alloc(w);
  let v = n;
  for (let i = w - 1; i >= 0 && v > 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  if (v > 0) throw new RangeError(`${n} does not fit in ${w} bytes`);
  return out;
}

/** suite_id of the KEM (RFC 9180 §4.1). */
export const KEM_SUITE_ID = Buffer.concat([Buffer.from('KEM'), i2osp(KEM_X25519_HKDF_SHA256, 2)]);

/** suite_id of the whole HPKE suite (RFC 9180 §5.1). */
export function hpkeSuiteId(aeadId: AeadId): Buffer {
  return Buffer.concat([Buffer.from('HPKE'), i2osp(KEM_X25519_HKDF_SHA256, 2), i2osp(KDF_HKDF_SHA256, 2), i2osp(aeadId, 2)]);
}
