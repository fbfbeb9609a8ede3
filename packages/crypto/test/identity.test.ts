import { describe, expect, it } from 'vitest';
import { Identity, KeyCache } from '@medsim/crypto';
import { calculateJwkThumbprint } from 'jose';
import { identities, refusalCode as codeOf } from './fixtures.js';

describe('identities and the key cache', () => {
  it('[CTL-11] kids are RFC 7638 thumbprints and identities round-trip through private JWKs', { tags: ['CTL-11'] }, async () => {
    const identity = await Identity.generate();
    const { signing, agreement } = identity.publicJwks();
    expect(signing.kid).toBe(await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: signing.x! }));
    expect(agreement).toMatchObject({ kty: 'OKP', crv: 'X25519', use: 'enc' });
    expect('d' in signing || 'd' in agreement).toBe(false);
    const restored = await Identity.fromPrivateJwks(identity.exportPrivateJwks());
    expect(restored.publicJwks()).toEqual(identity.publicJwks());
  });

  it('[CTL-11] no two generated identities share a key', { tags: ['CTL-11'] }, async () => {
    const kids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { public: p } = await Identity.generate();
      kids.add(p.signing.kid).add(p.agreement.kid);
    }
    expect(kids.size).toBe(40);
  });

  it('[CTL-11] imports each public key once and returns the cached entry after', { tags: ['CTL-11'] }, async () => {
    const cache = new KeyCache();
    const jwks = identities.device.publicJwks();
    const first = await cache.importPublicIdentity(jwks);
    const again = await cache.importPublicIdentity(jwks);
    expect(again.signing).toBe(first.signing);
    expect(again.agreement).toBe(first.agreement);
    expect(cache.size).toBe(2);
    expect(cache.get(first.agreement.kid)).toBe(first.agreement);
  });

  it('[CTL-11][C10][C12] refuses wrong curves, private material, bad kids, malformed and low-order keys', { tags: ['CTL-11', 'C10', 'C12'] }, async () => {
    const cache = new KeyCache();
    const { signing, agreement } = identities.device.publicJwks();
    expect(await codeOf(() => cache.importPublicJwk(signing, 'X25519'))).toBe('ERR_CRYPTO_INVALID_KEY');
    expect(await codeOf(() => cache.importPublicJwk({ ...agreement, kid: 'not-the-thumbprint' }, 'X25519'))).toBe('ERR_CRYPTO_INVALID_KEY');
    const privateJwk = identities.device.exportPrivateJwks().agreement;
    expect(await codeOf(() => cache.importPublicJwk(privateJwk, 'X25519'))).toBe('ERR_CRYPTO_INVALID_KEY');
    expect(await codeOf(() => cache.importPublicJwk({ ...agreement, x: `${agreement.x!}=` }, 'X25519'))).toBe('ERR_CRYPTO_INVALID_KEY');
    // The all-zero point is of low order: agreement with it gives the all-zero secret (RFC 7748 §6.1).
    const zero = { kty: 'OKP', crv: 'X25519', x: Buffer.alloc(32).toString('base64url') };
    expect(await codeOf(() => cache.importPublicJwk(zero, 'X25519'))).toBe('ERR_CRYPTO_INVALID_KEY');
    expect(cache.size).toBe(0);
  });

  it('[CTL-16] the cache is bounded', { tags: ['CTL-16'] }, async () => {
    const cache = new KeyCache(1);
    await cache.importPublicJwk(identities.device.publicJwks().signing, 'Ed25519');
    expect(await codeOf(() => cache.importPublicJwk(identities.other.publicJwks().signing, 'Ed25519'))).toBe('ERR_CRYPTO_INVALID_KEY');
  });
});
