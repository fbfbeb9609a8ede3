/**
 * Director instructions (Uptane's director, issue 5): signed by the director key only, for one
 * device, fresh, acted on once; anything else refused with its own code (U10, U15, U16, crit).
 */
import { Identity, signJws } from '@medsim/crypto';
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DIRECTOR_TYP, signDirectorInstruction, verifyDirectorInstruction, type DirectorCheck, type DirectorInstruction } from '../../src/index.js';

const director = await Identity.generate();
const impostor = await Identity.generate();
const NOW = Date.UTC(2026, 10, 29, 12);

const instruction = (over: Partial<DirectorInstruction> = {}): DirectorInstruction => ({
  v: 1,
  sub: 'us-0001',
  jti: randomBytes(16).toString('base64url'),
  iat: NOW - 1000,
  exp: NOW + 3_600_000,
  campaign: 'c-2026-11-ultrasound',
  target: { path: 'ultrasound/ultrasound-2.1.0.bin', model: 'ultrasound', version: '2.1.0', securityCounter: 3, length: 4380, sha256: 'ab'.repeat(32) },
  ...over,
});

const check = (over: Partial<DirectorCheck> = {}): DirectorCheck => ({ directorKey: director.public.signing, deviceId: 'us-0001', nowMs: NOW, seen: () => false, ...over });

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('director instructions', () => {
  it('[CTL-12] verify on the device they were issued for, and give back the target', async () => {
    const issued = instruction({ checkNonce: randomBytes(16).toString('base64url') });
    const jws = await signDirectorInstruction(director, issued);
    expect(await verifyDirectorInstruction(jws, check({ checkNonce: issued.checkNonce! }))).toEqual(issued);
  });

  it('[CTL-12][U10] are refused when signed by another key, or edited after signing', async () => {
    expect(await codeOf(verifyDirectorInstruction(await signDirectorInstruction(impostor, instruction()), check()))).toBe('ERR_FW_DIRECTOR_INVALID');
    const [h, p, s] = (await signDirectorInstruction(director, instruction())).split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as DirectorInstruction;
    const edited = Buffer.from(JSON.stringify({ ...payload, target: { ...payload.target, securityCounter: 9 } })).toString('base64url');
    expect(await codeOf(verifyDirectorInstruction(`${h}.${edited}.${s}`, check()))).toBe('ERR_FW_DIRECTOR_INVALID');
    // Signature stripped, or alg none.
    expect(await codeOf(verifyDirectorInstruction(`${h}.${p}.`, check()))).toBe('ERR_FW_DIRECTOR_INVALID');
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: DIRECTOR_TYP })).toString('base64url');
    expect(await codeOf(verifyDirectorInstruction(`${none}.${p}.`, check()))).toBe('ERR_FW_DIRECTOR_INVALID');
  });

  it('[CTL-12][U16] refuse another token type signed by the same key (typ confusion)', async () => {
    const jws = await signJws(director, new TextEncoder().encode(JSON.stringify(instruction())), 'medsim-therapy-command+jws');
    expect(await codeOf(verifyDirectorInstruction(jws, check()))).toBe('ERR_FW_DIRECTOR_INVALID');
  });

  it('[CTL-12][U9] refuse an unknown critical header parameter', async () => {
    // Signed with the real director key (jose will not sign an unknown crit, so by hand).
    const privateKey = createPrivateKey({ key: director.exportPrivateJwks().signing, format: 'jwk' });
    const header = Buffer.from(JSON.stringify({ alg: 'Ed25519', typ: DIRECTOR_TYP, kid: director.public.signing.kid, crit: ['x-medsim-delta'], 'x-medsim-delta': true })).toString('base64url');
    const body = Buffer.from(JSON.stringify(instruction())).toString('base64url');
    const jws = `${header}.${body}.${sign(null, Buffer.from(`${header}.${body}`), privateKey).toString('base64url')}`;
    expect(await codeOf(verifyDirectorInstruction(jws, check()))).toBe('ERR_FW_DIRECTOR_CRITICAL');
  });

  it('[CTL-12][U15] refuse an instruction for another device, expired, from the future, or replayed', async () => {
    const jws = await signDirectorInstruction(director, instruction());
    expect(await codeOf(verifyDirectorInstruction(jws, check({ deviceId: 'us-0002' })))).toBe('ERR_FW_DIRECTOR_WRONG_DEVICE');
    expect(await codeOf(verifyDirectorInstruction(jws, check({ nowMs: NOW + 3_600_000 })))).toBe('ERR_FW_DIRECTOR_EXPIRED');
    const future = await signDirectorInstruction(director, instruction({ iat: NOW + 600_000, exp: NOW + 700_000 }));
    expect(await codeOf(verifyDirectorInstruction(future, check()))).toBe('ERR_FW_DIRECTOR_EXPIRED');
    expect(await codeOf(verifyDirectorInstruction(jws, check({ seen: () => true })))).toBe('ERR_FW_DIRECTOR_REPLAYED');
    // An old instruction that does not answer the device's latest update check.
    expect(await codeOf(verifyDirectorInstruction(jws, check({ checkNonce: randomBytes(16).toString('base64url') })))).toBe('ERR_FW_DIRECTOR_REPLAYED');
  });

  it('[CTL-09] refuse oversized instructions before parsing, and payloads outside the schema', async () => {
    expect(await codeOf(verifyDirectorInstruction('a'.repeat(8 * 1024 + 1), check()))).toBe('ERR_FW_DIRECTOR_TOO_LARGE');
    const unsigned = async (payload: unknown): Promise<string> => signJws(director, new TextEncoder().encode(JSON.stringify(payload)), DIRECTOR_TYP);
    const bad: unknown[] = [
      { ...instruction(), extra: 1 },
      { ...instruction(), v: 2 },
      { ...instruction(), exp: NOW + 2 * 86_400_000 },
      { ...instruction(), target: { ...instruction().target, path: 'pacemaker/ultrasound-2.1.0.bin' } },
      { ...instruction(), target: { ...instruction().target, path: '../../etc/passwd.bin' } },
      { ...instruction(), target: { ...instruction().target, version: '2.1' } },
      { ...instruction(), target: { ...instruction().target, securityCounter: -1 } },
      { ...instruction(), jti: 'short' },
      [instruction()],
    ];
    for (const payload of bad) expect(await codeOf(verifyDirectorInstruction(await unsigned(payload), check()))).toBe('ERR_FW_DIRECTOR_INVALID');
    // And the director refuses to sign them in the first place.
    expect(await codeOf(signDirectorInstruction(director, { ...instruction(), jti: 'short' }))).toBe('ERR_FW_DIRECTOR_INVALID');
  });
});
