import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MedsimError } from '@medsim/protocol';
import { signDetached, signJws, verifyDetached, verifyJws } from '@medsim/crypto';
import { CompactSign } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { identities, refusalCode as codeOf } from './fixtures.js';

const { gateway, other } = identities;
const LABEL = 'medsim/v1 therapy-command';

describe('detached Ed25519 signatures (commands, image headers)', () => {
  it('[CTL-08][CTL-15] verify for the signer, label and bytes they were made for, and nothing else', { tags: ['CTL-08', 'CTL-15'] }, async () => {
    const command = Buffer.from('bolus 2.0 U for pump-0001');
    const signature = signDetached(gateway, LABEL, command);
    expect(() => verifyDetached(gateway.public.signing, LABEL, command, signature)).not.toThrow();
    expect(await codeOf(() => verifyDetached(other.public.signing, LABEL, command, signature))).toBe('ERR_CRYPTO_SIGNATURE_INVALID');
    expect(await codeOf(() => verifyDetached(gateway.public.signing, 'medsim/v1 firmware', command, signature))).toBe('ERR_CRYPTO_SIGNATURE_INVALID');
    expect(await codeOf(() => verifyDetached(gateway.public.signing, LABEL, command, signature.subarray(1)))).toBe('ERR_CRYPTO_SIGNATURE_INVALID');
  });

  it('[CTL-08][CTL-15] any bit flip of message or signature is refused (property)', { tags: ['CTL-08', 'CTL-15'] }, () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 512 }), fc.nat(), fc.boolean(), (message, position, inSignature) => {
        const signature = signDetached(gateway, LABEL, message);
        const target = Buffer.from(inSignature ? signature : message);
        const bit = position % (target.length * 8);
        target[bit >>> 3] = (target[bit >>> 3] ?? 0) ^ (1 << (bit & 7));
        const [m, s] = inSignature ? [message, target] : [target, signature];
        expect(() => verifyDetached(gateway.public.signing, LABEL, m, s)).toThrow(MedsimError);
      }),
      { seed: 11, numRuns: 300 },
    );
  });
});

describe('compact JWS (manifests, update instructions)', () => {
  const resolve = (kid: string) => (kid === gateway.public.signing.kid ? gateway.public.signing : undefined);
  const typ = 'fw-manifest+jws';

  it('[CTL-12] round-trips with the expected typ and kid', { tags: ['CTL-12'] }, async () => {
    const jws = await signJws(gateway, Buffer.from('{"version":"1.2.0"}'), typ);
    const { payload, kid } = await verifyJws(jws, resolve, typ);
    expect(Buffer.from(payload).toString()).toBe('{"version":"1.2.0"}');
    expect(kid).toBe(gateway.public.signing.kid);
  });

  it('[CTL-12] refuses a wrong typ, an unknown kid, a tampered payload, another algorithm and garbage', { tags: ['CTL-12'] }, async () => {
    const jws = await signJws(gateway, Buffer.from('{"version":"1.2.0"}'), typ);
    expect(await codeOf(() => verifyJws(jws, resolve, 'other+jws'))).toBe('ERR_CRYPTO_SIGNATURE_INVALID');
    const byOther = await signJws(other, Buffer.from('x'), typ);
    expect(await codeOf(() => verifyJws(byOther, resolve, typ))).toBe('ERR_CRYPTO_SIGNATURE_INVALID');
    const [h, , s] = jws.split('.');
    expect(await codeOf(() => verifyJws(`${h}.${Buffer.from('{"version":"9.9.9"}').toString('base64url')}.${s}`, resolve, typ))).toBe(
      'ERR_CRYPTO_SIGNATURE_INVALID',
    );
    const es256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const foreign = await new CompactSign(Buffer.from('x')).setProtectedHeader({ alg: 'ES256', typ, kid: gateway.public.signing.kid }).sign(es256.privateKey);
    expect(await codeOf(() => verifyJws(foreign, resolve, typ))).toBe('ERR_CRYPTO_SIGNATURE_INVALID');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('x').toString('base64url')}.`;
    expect(await codeOf(() => verifyJws(none, resolve, typ))).toMatch(/ERR_CRYPTO_(SIGNATURE_INVALID|MALFORMED)/);
    expect(await codeOf(() => verifyJws('not.a.jws.at.all', resolve, typ))).toBe('ERR_CRYPTO_MALFORMED');
  });
});
