/**
 * JWT attacks J1-J14 (attacks-and-faults.md §2.1, RFC 8725) against the real API over TLS: every
 * forged or misused token is answered 401 ERR_AUTH_TOKEN_INVALID, and the valid control passes.
 */
import { SignJWT, exportJWK } from 'jose';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessTokens } from '../../src/user-plane/auth/access-token.js';
import { loadConfig } from '../../src/config/config.js';
import { Harness } from './fixtures.js';

const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64url');

/** A compact JWS over the exact header and payload texts, signed with Ed25519 `key`. */
function signRaw(header: string, payload: string, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

let h: Harness;
let valid: string;
let claims: Record<string, unknown>;
let kid: string;
let privateKey: KeyObject;

/** The header this gateway writes, with changes. */
const header = (changes: Record<string, unknown> = {}): string => JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid, ...changes });
const payload = (changes: Record<string, unknown> = {}): string => JSON.stringify({ ...claims, ...changes });

async function expectRefused(token: string): Promise<void> {
  const answer = await h.request('GET', '/v1/session/me', { token });
  expect(answer.status).toBe(401);
  expect(answer.body).toEqual({ code: 'ERR_AUTH_TOKEN_INVALID', message: expect.any(String) });
}

beforeAll(async () => {
  h = await Harness.start();
  const user = await h.createUser('clinician');
  valid = (await h.login(user)).accessToken;
  claims = JSON.parse(Buffer.from(valid.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  kid = h.ctx.tokenKey.kid;
  privateKey = h.ctx.tokenKey.privateKey;
});
afterAll(async () => h.close());

describe('access tokens resist RFC 8725 attacks', () => {
  it('[CTL-04] the control: a token as issued, and one re-signed from the same texts, are accepted', { tags: ['CTL-04'] }, async () => {
    expect((await h.request('GET', '/v1/session/me', { token: valid })).status).toBe(200);
    const [head, body] = valid.split('.') as [string, string];
    const resigned = signRaw(Buffer.from(head, 'base64url').toString(), Buffer.from(body, 'base64url').toString(), privateKey);
    expect((await h.request('GET', '/v1/session/me', { token: resigned })).status).toBe(200);
    expect(JSON.parse(Buffer.from(head, 'base64url').toString())).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid });
    expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'role', 'sid', 'sub']);
    expect(claims).toMatchObject({ iss: 'medsim-gateway', aud: 'medsim-api', role: 'clinician' });
  });

  it('[J1] alg none / None with an empty signature is refused', { tags: ['J1', 'CTL-04'] }, async () => {
    for (const alg of ['none', 'None', 'NONE']) await expectRefused(`${b64(header({ alg }))}.${b64(payload())}.`);
  });

  it('[J2] HS256 signed with the public key as the HMAC secret is refused', { tags: ['J2', 'CTL-04'] }, async () => {
    const pem = h.ctx.tokenKey.publicKey.export({ format: 'pem', type: 'spki' });
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid }).sign(Buffer.from(pem));
    await expectRefused(forged);
  });

  it('[J3] a tampered payload (role → admin), a flipped signature bit and a stripped signature are refused', { tags: ['J3', 'CTL-04'] }, async () => {
    const [head, , signature] = valid.split('.') as [string, string, string];
    await expectRefused(`${head}.${b64(payload({ role: 'admin' }))}.${signature}`);
    const flipped = Buffer.from(signature, 'base64url');
    flipped[10] = flipped[10]! ^ 0x01;
    await expectRefused(`${head}.${valid.split('.')[1]}.${flipped.toString('base64url')}`);
    await expectRefused(`${head}.${valid.split('.')[1]}.`);
  });

  it('[J4] an embedded jwk header naming the attacker key is ignored and refused', { tags: ['J4', 'CTL-04'] }, async () => {
    const attacker = generateKeyPairSync('ed25519');
    const jwk = await exportJWK(attacker.publicKey);
    await expectRefused(signRaw(header({ jwk }), payload(), attacker.privateKey));
    // Even signed by the real key, a header with members we never write is refused.
    await expectRefused(signRaw(header({ jwk }), payload(), privateKey));
  });

  it('[J5] jku and x5u pointing at an attacker are refused without any outbound connection', { tags: ['J5', 'CTL-04'] }, async () => {
    let connections = 0;
    const trap = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    const { port } = trap.address() as { port: number };
    const attacker = generateKeyPairSync('ed25519');
    for (const member of ['jku', 'x5u']) {
      await expectRefused(signRaw(header({ [member]: `http://127.0.0.1:${port}/jwks` }), payload(), attacker.privateKey));
      await expectRefused(signRaw(header({ [member]: `http://127.0.0.1:${port}/jwks` }), payload(), privateKey));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise<void>((resolve) => trap.close(() => resolve()));
    expect(connections).toBe(0);
  });

  it('[J6] kid injection (path, SQL, 10 kB, non-string) is refused even with a valid signature', { tags: ['J6', 'CTL-04'] }, async () => {
    for (const bad of ['../../etc/passwd', "' OR '1'='1' --", 'k'.repeat(10_000), 42, null, [kid], { kid }]) {
      await expectRefused(signRaw(header({ kid: bad }), payload(), privateKey));
    }
  });

  it('[J7] expired beyond the tolerance and not-yet-valid tokens are refused; the tolerance is capped at 60 s', { tags: ['J7', 'CTL-04'] }, async () => {
    const now = Math.floor(h.clock.nowMs / 1000);
    const tolerance = h.ctx.config['auth.clockToleranceS'];
    await expectRefused(signRaw(header(), payload({ iat: now - 600, exp: now - tolerance - 1 }), privateKey));
    // Within the tolerance the token still passes (the control for the cap).
    expect((await h.request('GET', '/v1/session/me', { token: signRaw(header(), payload({ exp: now - tolerance + 5 }), privateKey) })).status).toBe(200);
    // nbf in the future (and a claim this gateway never writes).
    await expectRefused(signRaw(header(), JSON.stringify({ ...claims, nbf: now + 3600 }), privateKey));
    // iat in the future beyond the tolerance.
    await expectRefused(signRaw(header(), payload({ iat: now + 3600, exp: now + 7200 }), privateKey));
    expect(() => loadConfig({ overrides: { 'auth.clockToleranceS': 61 } })).toThrow(/auth.clockToleranceS/u);
    expect(() => new AccessTokens(h.ctx.tokenKey, h.clock.now, 300, 7200)).toThrow(RangeError);
  });

  it('[J8] a token for another audience or from another issuer is refused', { tags: ['J8', 'CTL-04'] }, async () => {
    await expectRefused(signRaw(header(), payload({ aud: 'medsim-device' }), privateKey));
    await expectRefused(signRaw(header(), payload({ aud: ['medsim-api', 'other'] }), privateKey));
    await expectRefused(signRaw(header(), payload({ iss: 'https://attacker.example' }), privateKey));
  });

  it('[J9] a refresh token, a refresh+jwt and a firmware-manifest JWS are refused as access tokens', { tags: ['J9', 'CTL-04'] }, async () => {
    const user = await h.createUser('clinician');
    const { refreshToken } = await h.login(user);
    await expectRefused(refreshToken);
    await expectRefused(signRaw(header({ typ: 'refresh+jwt' }), payload(), privateKey));
    await expectRefused(signRaw(header({ typ: 'fw-manifest+jws' }), payload(), privateKey));
    await expectRefused(signRaw(header({ typ: 'JWT' }), payload(), privateKey));
  });

  it('[J10] an unknown crit header is refused', { tags: ['J10', 'CTL-04'] }, async () => {
    await expectRefused(signRaw(header({ crit: ['x-evil'], 'x-evil': true }), payload(), privateKey));
  });

  it('[J11] a token missing exp, jti, sid, sub or iat is refused', { tags: ['J11', 'CTL-04'] }, async () => {
    for (const missing of ['exp', 'jti', 'sid', 'sub', 'iat', 'role', 'aud', 'iss']) {
      const rest = { ...claims };
      delete rest[missing];
      await expectRefused(signRaw(header(), JSON.stringify(rest), privateKey));
    }
    // Present but of the wrong type.
    await expectRefused(signRaw(header(), payload({ sid: 7 }), privateKey));
    await expectRefused(signRaw(header(), payload({ role: 'superuser' }), privateKey));
  });

  it('[J12] other algorithms with valid signatures (ES256, RS256, Ed25519 by another key) are refused', { tags: ['J12', 'CTL-04'] }, async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await expectRefused(await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid }).sign(ec.privateKey));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await expectRefused(await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid }).sign(rsa.privateKey));
    await expectRefused(signRaw(header(), payload(), generateKeyPairSync('ed25519').privateKey));
    await expectRefused(signRaw(header({ alg: 'Ed25519' }), payload(), privateKey));
  });

  it('[J13] garbage, empty and oversized tokens are refused; a 1 MB header is cut off by Node first (431)', { tags: ['J13', 'CTL-04'] }, async () => {
    for (const garbage of ['x', 'a.b.c', '...', 'e30.e30.', `${b64('{')}.${b64('{}')}.AAAA`, `${valid}.${valid}`, valid.replace(/\./gu, '')]) await expectRefused(garbage);
    await expectRefused(`${valid.split('.')[0]}.${b64(payload({ pad: 'x'.repeat(5000) }))}.AAAA`);
    for (const authorization of ['', 'Bearer', 'Bearer ', `Basic ${valid}`, `bearer${valid}`, `Bearer ${valid} extra`]) {
      const answer = await h.request('GET', '/v1/session/me', { headers: { authorization } });
      expect(answer.status).toBe(401);
      expect(answer.body['code']).toBe('ERR_AUTH_TOKEN_INVALID');
    }
    const huge = await h.request('GET', '/v1/session/me', { headers: { authorization: `Bearer ${'A'.repeat(1024 * 1024)}` }, fresh: true });
    expect(huge.status).toBe(431);
  });

  it('[J14] duplicate member names and invalid UTF-8 are refused even when signed by the real key', { tags: ['J14', 'CTL-04'] }, async () => {
    const duplicateRole = payload().replace('"role":"clinician"', '"role":"clinician","role":"admin"');
    expect(duplicateRole).toContain('"role":"admin"');
    await expectRefused(signRaw(header(), duplicateRole, privateKey));
    await expectRefused(signRaw(header().replace('"alg":"EdDSA"', '"alg":"EdDSA","alg":"none"'), payload(), privateKey));
    // Non-canonical spacing (a re-encoding) is refused too: only the exact form this gateway writes passes.
    await expectRefused(signRaw(header(), payload().replace(':', ': '), privateKey));
    const badUtf8 = Buffer.concat([Buffer.from(payload().slice(0, -1)), Buffer.from(',"x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const input = `${b64(header())}.${badUtf8.toString('base64url')}`;
    await expectRefused(`${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`);
  });

  it('[CTL-14] token refusals are audited without the token', { tags: ['CTL-14', 'CTL-04'] }, () => {
    const refusals = h.audit().filter((e) => e.event === 'auth.token');
    expect(refusals.length).toBeGreaterThan(20);
    expect(refusals.every((e) => e.outcome === 'denied' && e.code === 'ERR_AUTH_TOKEN_INVALID')).toBe(true);
    expect(JSON.stringify(h.audit())).not.toContain(valid.split('.')[2]);
    expect(h.logs.text).not.toContain(valid.split('.')[2]);
  });
});
