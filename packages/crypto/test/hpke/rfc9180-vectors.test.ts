/**
 * RFC 9180 Appendix A vectors through the package's HPKE on node:crypto: A.1 (AES-128-GCM) and
 * A.2 (ChaCha20Poly1305) for DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256, each in Base, PSK, Auth
 * and AuthPSK mode. Production uses AES-256-GCM, which the RFC gives no vectors for; its AEAD is
 * covered by Wycheproof (../wycheproof.test.ts) and the suite by @hpke/core (./hpke-core-interop).
 */
import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HpkeContext, type KeyScheduleInput } from '../../src/internal/hpke/context.js';
import { decap, deriveKeyPair, encap, rawPublicKey } from '../../src/internal/hpke/dhkem-x25519.js';
import { KDF_HKDF_SHA256, KEM_X25519_HKDF_SHA256, MODE, type AeadId, type Mode } from '../../src/internal/hpke/suite.js';
import { parseRfc9180Vectors, type Rfc9180KeyPair, type Rfc9180Vector } from '../vectors/parse-rfc9180.js';

const appendixText = readFileSync(new URL('../vectors/rfc9180-appendix-a.txt', import.meta.url), 'utf8');
const vectors = parseRfc9180Vectors(appendixText);

/**
 * Checks per block: 2 per derived key pair (sk, pk: 3 pairs in the auth modes, else 2); enc, and
 * shared_secret from Encap and from Decap (3); key, base_nonce, exporter_secret (3); ct from Seal
 * and pt from Open per encryption (6 × 2); each exported value from sender and recipient (3 × 2).
 */
const CHECKS_PER_BLOCK: Record<Mode, number> = {
  [MODE.base]: 28,
  [MODE.psk]: 28,
  [MODE.auth]: 30,
  [MODE.authPsk]: 30,
};

/** Byte comparisons that record every mismatch, so one run names all of them. */
class Comparisons {
  count = 0;
  readonly mismatches: string[] = [];

  constructor(private readonly block: string) {}

  bytes(what: string, actual: Uint8Array, expected: Uint8Array): void {
    this.count += 1;
    if (!Buffer.from(actual).equals(expected)) {
      this.mismatches.push(`${this.block}: ${what} is ${Buffer.from(actual).toString('hex')}, expected ${Buffer.from(expected).toString('hex')}`);
    }
  }
}

function asMode(mode: number): Mode {
  const known = Object.values(MODE).find((m) => m === mode);
  if (known === undefined) throw new Error(`unknown RFC 9180 mode ${mode}`);
  return known;
}

function asAeadId(id: number): AeadId {
  if (id === 0x0001 || id === 0x0002 || id === 0x0003) return id;
  throw new Error(`unsupported AEAD id ${id}`);
}

/** The raw 32-byte scalar at the end of an X25519 PKCS#8 DER (RFC 8410 §7). */
const rawPrivateKey = (key: KeyObject): Buffer => key.export({ format: 'der', type: 'pkcs8' }).subarray(-32);

/** Runs one block through DeriveKeyPair, (Auth)Encap/(Auth)Decap, the key schedule, Seal/Open and Export. */
function verifyBlock(v: Rfc9180Vector): Comparisons {
  const c = new Comparisons(v.name);

  // RFC 9180 §7.1.3 DeriveKeyPair for the ephemeral (E), recipient (R) and sender (S) keys.
  const derive = (x: string, expected: Rfc9180KeyPair) => {
    const pair = deriveKeyPair(expected.ikm);
    c.bytes(`sk${x}m`, rawPrivateKey(pair.privateKey), expected.sk);
    c.bytes(`pk${x}m`, rawPublicKey(pair.publicKey), expected.pk);
    return pair;
  };
  const ephemeral = derive('E', v.ephemeral);
  const recipient = derive('R', v.recipient);
  const sender = v.sender === undefined ? undefined : derive('S', v.sender);

  // RFC 9180 §4.1: Encap with the vector's ephemeral key; the recipient decapsulates the vector's enc.
  const encapsulation = encap(recipient.publicKey, sender, ephemeral);
  c.bytes('enc', encapsulation.enc, v.enc);
  c.bytes('shared_secret (Encap)', encapsulation.sharedSecret, v.sharedSecret);
  const decapsulated = decap(v.enc, recipient, sender?.publicKey);
  c.bytes('shared_secret (Decap)', decapsulated, v.sharedSecret);

  // RFC 9180 §5.1 key schedule. key_schedule_context and secret are intermediates HpkeContext does
  // not expose; key, base_nonce and exporter_secret are derived from both.
  const input: KeyScheduleInput = {
    mode: asMode(v.mode),
    aeadId: asAeadId(v.aeadId),
    info: v.info,
    ...v.psk,
  };
  const sealer = new HpkeContext(encapsulation.sharedSecret, input);
  const opener = new HpkeContext(decapsulated, input);
  c.bytes('key', sealer.key, v.key);
  c.bytes('base_nonce', sealer.baseNonce, v.baseNonce);
  c.bytes('exporter_secret', sealer.exporterSecret, v.exporterSecret);

  // RFC 9180 §5.2: the vectors list sequence numbers 0, 1, 2, 4, 255 and 256. The gaps are used up
  // by sealing empty messages, which the recipient opens so both contexts stay in step.
  const empty = Buffer.alloc(0);
  for (const e of v.encryptions) {
    while (sealer.sequence < e.sequenceNumber) opener.open(empty, sealer.seal(empty, empty));
    c.bytes(`ct of sequence number ${e.sequenceNumber}`, sealer.seal(e.aad, e.pt), e.ct);
    c.bytes(`pt of sequence number ${e.sequenceNumber}`, opener.open(e.aad, e.ct), e.pt);
  }

  // RFC 9180 §5.3 Export, on both sides.
  for (const x of v.exports) {
    const what = `exported value for context "${x.exporterContext.toString('hex')}"`;
    c.bytes(`${what} (sender)`, sealer.export(x.exporterContext, x.length), x.exportedValue);
    c.bytes(`${what} (recipient)`, opener.export(x.exporterContext, x.length), x.exportedValue);
  }
  return c;
}

describe('RFC 9180 Appendix A vectors', () => {
  it('[CTL-11] the appendix parses into 8 blocks: A.1 and A.2, each in the four modes, with 6 encryptions and 3 exports each', { tags: ['CTL-11'] }, () => {
    expect(vectors.map((v) => v.name)).toEqual([
      'A.1.1 AES-128-GCM Base',
      'A.1.2 AES-128-GCM PSK',
      'A.1.3 AES-128-GCM Auth',
      'A.1.4 AES-128-GCM AuthPSK',
      'A.2.1 ChaCha20Poly1305 Base',
      'A.2.2 ChaCha20Poly1305 PSK',
      'A.2.3 ChaCha20Poly1305 Auth',
      'A.2.4 ChaCha20Poly1305 AuthPSK',
    ]);
    for (const v of vectors) {
      expect([v.kemId, v.kdfId], v.name).toEqual([KEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256]);
      expect(v.encryptions.map((e) => e.sequenceNumber), v.name).toEqual([0, 1, 2, 4, 255, 256]);
      expect(v.exports, v.name).toHaveLength(3);
    }
    // 4 × 28 (Base, PSK) + 4 × 30 (Auth, AuthPSK): the total the per-block tests below assert.
    expect(vectors.reduce((sum, v) => sum + CHECKS_PER_BLOCK[asMode(v.mode)], 0)).toBe(232);
  });

  it('[CTL-11] the parser refuses a damaged copy rather than yield fewer checks', { tags: ['CTL-11'] }, () => {
    const text = appendixText;
    const damaged = {
      'a dropped field': text.replace(/^key: [0-9a-f]+\n/m, ''),
      'a stray line': text.replace('#### Encryptions', '#### Encryptions\nsee above'),
      'an odd-length value': text.replace('key: 4531685d41d65f03dc48f6b8302c05b0', 'key: 4531685d41d65f03dc48f6b8302c05b'),
      'two records run together': text.replace(/(ct: [0-9a-f]+\n[0-9a-f]+\n)\n(sequence number: 1)/, '$1$2'),
    };
    for (const [damage, copy] of Object.entries(damaged)) {
      expect(copy, damage).not.toBe(text);
      expect(() => parseRfc9180Vectors(copy), damage).toThrow(/A\.1\.1|rfc9180-appendix-a\.txt:\d+/);
    }
  });

  for (const v of vectors) {
    const checks = CHECKS_PER_BLOCK[asMode(v.mode)];
    it(`[CTL-07][CTL-11] RFC 9180 ${v.name}: all ${checks} values agree`, { tags: ['CTL-07', 'CTL-11'] }, () => {
      const c = verifyBlock(v);
      expect(c.mismatches).toEqual([]);
      expect(c.count).toBe(checks);
    });
  }

  it('[CTL-11] the comparison is live: one changed hex digit of an expected key gives exactly that mismatch', { tags: ['CTL-11'] }, () => {
    const [first] = vectors;
    if (first === undefined) throw new Error('no vectors parsed');
    const key = Buffer.from(first.key);
    key[0] = (key[0] ?? 0) ^ 0x01; // 45 -> 44: the second hex digit of the key
    const c = verifyBlock({ ...first, key });
    expect(c.mismatches).toEqual([`A.1.1 AES-128-GCM Base: key is ${first.key.toString('hex')}, expected ${key.toString('hex')}`]);
    expect(c.count).toBe(28);
  });
});
