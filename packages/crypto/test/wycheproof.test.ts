/**
 * Wycheproof vectors (C2SP/wycheproof, Apache-2.0: vectors/wycheproof/LICENSE) through the same
 * node:crypto calls the package makes: AES-256-GCM through TrafficKey, Ed25519 through
 * ed25519Verify, X25519 through dh(), HKDF-SHA256 through hkdfExtract/hkdfExpand. Each test runs
 * every selected vector, collects a line per disagreement (so one run shows all of them, by tcId),
 * and asserts how many vectors it ran, so a filter that silently matches nothing cannot pass.
 */
import { createCipheriv, createDecipheriv, createPublicKey, hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CryptoError } from '../src/errors.js';
import { TrafficKey } from '../src/internal/envelope/traffic-key.js';
import { dh, keyPairFromRawPrivate, publicKeyFromRaw } from '../src/internal/hpke/dhkem-x25519.js';
import { hkdfExpand, hkdfExtract } from '../src/internal/hpke/labeled-kdf.js';
import { ed25519Verify } from '../src/signatures.js';

// The subset of the Wycheproof JSON schemas these tests read (testvectors_v1/*.json).
interface WycheproofFile<Group> {
  readonly algorithm: string;
  readonly numberOfTests: number;
  readonly testGroups: readonly Group[];
}
interface WycheproofTest {
  readonly tcId: number;
  readonly comment: string;
  readonly flags: readonly string[];
  readonly result: 'valid' | 'acceptable' | 'invalid';
}
interface AeadGroup {
  readonly keySize: number;
  readonly ivSize: number;
  readonly tagSize: number;
  readonly tests: readonly (WycheproofTest & { key: string; iv: string; aad: string; msg: string; ct: string; tag: string })[];
}
interface EddsaGroup {
  readonly publicKey: { readonly pk: string };
  readonly publicKeyJwk: { readonly x: string };
  readonly tests: readonly (WycheproofTest & { msg: string; sig: string })[];
}
interface XdhGroup {
  readonly curve: string;
  readonly tests: readonly (WycheproofTest & { public: string; private: string; shared: string })[];
}
interface HkdfGroup {
  readonly tests: readonly (WycheproofTest & { ikm: string; salt: string; info: string; size: number; okm: string })[];
}

function load<Group>(file: string): WycheproofFile<Group> {
  return JSON.parse(readFileSync(new URL(`./vectors/wycheproof/${file}`, import.meta.url), 'utf8')) as WycheproofFile<Group>;
}

const bytes = (hex: string): Buffer => Buffer.from(hex, 'hex');

/** The vector's id and flags, to start a disagreement line. */
const label = (t: WycheproofTest): string => `tcId ${t.tcId} [${t.flags.join(', ')}] ${t.result}`;

/** What a call did: 'returned' or the error it threw, as `Class(CODE)` for the package's errors. */
function outcomeOf(fn: () => unknown): string {
  try {
    fn();
    return 'returned';
  } catch (error) {
    if (error instanceof CryptoError) return `${error.name}(${error.code})`;
    return error instanceof Error ? `untyped ${error.name}: ${error.message}` : 'threw a non-Error';
  }
}

describe('Wycheproof AES-GCM', () => {
  const file = load<AeadGroup>('aes_gcm_test.json');
  const vectors = (keySize: number) =>
    file.testGroups.filter((g) => g.keySize === keySize && g.ivSize === 96 && g.tagSize === 128).flatMap((g) => g.tests);

  it('[CTL-07][C5] AES-256-GCM: 66 Wycheproof vectors agree through TrafficKey (39 valid seal and open, 27 modified tags refused)', { tags: ['CTL-07', 'C5'] }, () => {
    const problems: string[] = [];
    const checked = { valid: 0, invalid: 0 };
    for (const t of vectors(256)) {
      const traffic = new TrafficKey(bytes(t.key), bytes(t.iv));
      // nonce(stream 0, sequence 0) = nonce base XOR zeros: the vector's IV unchanged.
      const nonce = traffic.nonce(0, 0);
      const sealed = bytes(t.ct + t.tag);
      if (t.result === 'valid') {
        checked.valid += 1;
        const ours = Buffer.alloc(bytes(t.msg).length + 16);
        traffic.sealInto(nonce, bytes(t.aad), [bytes(t.msg)], ours, 0);
        if (!ours.equals(sealed)) problems.push(`${label(t)}: seal gave ${ours.toString('hex')}`);
        let opened: Buffer | undefined;
        const outcome = outcomeOf(() => (opened = traffic.open(nonce, bytes(t.aad), sealed)));
        if (opened?.equals(bytes(t.msg)) !== true) problems.push(`${label(t)}: open ${outcome}, plaintext ${opened?.toString('hex')}`);
      } else {
        checked.invalid += 1;
        const outcome = outcomeOf(() => traffic.open(nonce, bytes(t.aad), sealed));
        if (outcome !== 'AuthenticationFailedError(ERR_CRYPTO_AUTH_FAILED)') problems.push(`${label(t)}: open ${outcome}`);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toEqual({ valid: 39, invalid: 27 });
  });

  it('[CTL-07][C5] AES-128-GCM: 67 Wycheproof vectors agree through the node:crypto calls HpkeContext makes', { tags: ['CTL-07', 'C5'] }, () => {
    // HpkeContext derives its key, so it cannot take a vector's key: this repeats its exact calls
    // (src/internal/hpke/context.ts seal/open). AES-128-GCM is the AEAD of RFC 9180 A.1.
    const problems: string[] = [];
    const checked = { valid: 0, invalid: 0 };
    for (const t of vectors(128)) {
      const [key, iv, aad, msg] = [bytes(t.key), bytes(t.iv), bytes(t.aad), bytes(t.msg)];
      const sealed = bytes(t.ct + t.tag);
      const open = (): Buffer => {
        const decipher = createDecipheriv('aes-128-gcm', key, iv, { authTagLength: 16 });
        decipher.setAAD(aad, { plaintextLength: sealed.length - 16 });
        decipher.setAuthTag(sealed.subarray(sealed.length - 16));
        return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
      };
      if (t.result === 'valid') {
        checked.valid += 1;
        const cipher = createCipheriv('aes-128-gcm', key, iv, { authTagLength: 16 });
        cipher.setAAD(aad, { plaintextLength: msg.length });
        const ours = Buffer.concat([cipher.update(msg), cipher.final(), cipher.getAuthTag()]);
        if (!ours.equals(sealed)) problems.push(`${label(t)}: seal gave ${ours.toString('hex')}`);
        if (!open().equals(msg)) problems.push(`${label(t)}: open gave another plaintext`);
      } else {
        checked.invalid += 1;
        if (outcomeOf(open) === 'returned') problems.push(`${label(t)}: opened`);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toEqual({ valid: 40, invalid: 27 });
  });
});

describe('Wycheproof Ed25519', () => {
  it('[CTL-12][CTL-15] Ed25519: 151 Wycheproof vectors agree through ed25519Verify (88 verify, 63 rejected)', { tags: ['CTL-12', 'CTL-15'] }, () => {
    const file = load<EddsaGroup>('ed25519_test.json');
    const problems: string[] = [];
    const checked = { valid: 0, invalid: 0 };
    for (const group of file.testGroups) {
      // The vectors carry public keys only (raw hex), so this is verification only.
      const x = bytes(group.publicKey.pk).toString('base64url');
      expect(x).toBe(group.publicKeyJwk.x);
      const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
      for (const t of group.tests) {
        const verified = ed25519Verify(publicKey, bytes(t.msg), bytes(t.sig));
        if (t.result === 'valid') checked.valid += 1;
        else checked.invalid += 1;
        if (verified !== (t.result === 'valid')) problems.push(`${label(t)} ${t.comment}: ed25519Verify returned ${verified}`);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toEqual({ valid: 88, invalid: 63 });
    expect(checked.valid + checked.invalid).toBe(file.numberOfTests);
  });
});

describe('Wycheproof X25519', () => {
  const file = load<XdhGroup>('x25519_test.json');
  const vectors = file.testGroups.flatMap((g) => g.tests);
  // RFC 7748 §6.1: a low-order public key gives the all-zero shared secret, which RFC 9180 §7.1.4
  // requires DH to refuse. Wycheproof marks these ZeroSharedSecret and lists them as acceptable.
  const isZero = (hex: string): boolean => /^(00)+$/.test(hex);

  /** dh(private, public) through the package's raw-key imports: the shared hex or the refusal. */
  function agree(t: XdhGroup['tests'][number]): string {
    let shared = '';
    const outcome = outcomeOf(() => {
      const { privateKey } = keyPairFromRawPrivate(bytes(t.private));
      shared = dh(privateKey, publicKeyFromRaw(bytes(t.public))).toString('hex');
    });
    return outcome === 'returned' ? shared : outcome;
  }

  it('[CTL-11] X25519: 487 Wycheproof vectors with a non-zero shared secret agree through dh()', { tags: ['CTL-11'] }, () => {
    expect(file.testGroups.every((g) => g.curve === 'curve25519')).toBe(true);
    const problems: string[] = [];
    const checked = { valid: 0, acceptable: 0, invalid: 0 };
    for (const t of vectors.filter((v) => !isZero(v.shared))) {
      checked[t.result] += 1;
      const got = agree(t);
      // An invalid vector must be refused (publicKeyFromRaw refuses a key that is not 32 bytes)
      // or give another value; the file has none today, every key being 32 bytes.
      const ok = t.result === 'invalid' ? got !== t.shared : got === t.shared;
      if (!ok) problems.push(`${label(t)} ${t.comment}: got ${got}, expected ${t.shared}`);
    }
    expect(problems).toEqual([]);
    expect(checked).toEqual({ valid: 264, acceptable: 223, invalid: 0 });
  });

  it('[CTL-11][C10] X25519: the 31 low-order (ZeroSharedSecret) vectors are refused with ERR_CRYPTO_INVALID_KEY', { tags: ['CTL-11', 'C10'] }, () => {
    const lowOrder = vectors.filter((v) => isZero(v.shared));
    const problems = lowOrder
      .map((t) => ({ t, got: agree(t) }))
      .filter(({ got }) => got !== 'InvalidKeyError(ERR_CRYPTO_INVALID_KEY)')
      .map(({ t, got }) => `${label(t)} ${t.comment}: got ${got}`);
    expect(problems).toEqual([]);
    expect(lowOrder).toHaveLength(31);
    expect(lowOrder.every((t) => t.flags.includes('ZeroSharedSecret'))).toBe(true);
    expect(lowOrder.length + 487).toBe(file.numberOfTests);
  });
});

describe('Wycheproof HKDF-SHA256', () => {
  it('[CTL-11][C13] HKDF-SHA256: 86 Wycheproof vectors agree through hkdfExtract/hkdfExpand and node hkdfSync (83 derive, 3 over-length refused)', { tags: ['CTL-11', 'C13'] }, () => {
    const file = load<HkdfGroup>('hkdf_sha256_test.json');
    const problems: string[] = [];
    const checked = { valid: 0, invalid: 0, emptySalt: 0 };
    for (const t of file.testGroups.flatMap((g) => g.tests)) {
      const [ikm, salt, info] = [bytes(t.ikm), bytes(t.salt), bytes(t.info)];
      // RFC 5869 §2.2: an empty salt stands for HashLen zero bytes; HMAC's key padding does that.
      if (salt.length === 0) checked.emptySalt += 1;
      const routes: Record<string, () => Buffer> = {
        'hkdfExpand(hkdfExtract())': () => hkdfExpand(hkdfExtract(salt, ikm), info, t.size),
        'node hkdfSync': () => Buffer.from(hkdfSync('sha256', ikm, salt, info, t.size)),
      };
      for (const [route, derive] of Object.entries(routes)) {
        let okm: Buffer | undefined;
        const outcome = outcomeOf(() => (okm = derive()));
        if (t.result === 'valid' && okm?.toString('hex') !== t.okm) problems.push(`${label(t)} ${route}: ${outcome}, okm ${okm?.toString('hex')}`);
        // SizeTooLarge: more than 255 * 32 bytes (RFC 5869 §2.3) must throw, never truncate.
        if (t.result === 'invalid' && outcome === 'returned') problems.push(`${label(t)} ${route}: derived ${t.size} bytes`);
      }
      checked[t.result === 'invalid' ? 'invalid' : 'valid'] += 1;
    }
    expect(problems).toEqual([]);
    expect(checked).toEqual({ valid: 83, invalid: 3, emptySalt: 23 });
  });
});
