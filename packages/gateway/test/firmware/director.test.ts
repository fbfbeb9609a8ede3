/**
 * The director (Uptane's split, issue 5; CTL-11, CTL-12, U8, U15, U16): each device learns the
 * director key at enrolment, fetches its own signed instruction over the mTLS delivery listener,
 * and the instruction verifies on the device (`verifyDirectorInstruction` of @medsim/firmware)
 * under that key and no other, names exactly the published image, and cannot be read by, or
 * moved to, another device.
 */
import { KeyCache } from '@medsim/crypto';
import { verifyDirectorInstruction, type DirectorCheck } from '@medsim/firmware';
import type { DeviceCredentials } from '@medsim/testkit';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_FILES } from '../../src/index.js';
import { TherapyRig, type RigUser } from '../therapy/helpers.js';
import { bundleBody, deliver, directorKeyOf, image, instructionFor, payloadOf, publish, rejection, releaseMetadata, runningCampaign, type TestImage } from './helpers.js';

let rig: TherapyRig;
let admin: RigUser;
let release: TestImage;
let campaignId: string;
let first: DeviceCredentials;
let second: DeviceCredentials;
let outsider: DeviceCredentials;

beforeAll(async () => {
  rig = await TherapyRig.start();
  const techToken = await rig.login(await rig.user('technician'));
  admin = await rig.user('admin');
  release = image('ultrasound', '2.1.0', 3);
  expect((await publish(rig, techToken, bundleBody(releaseMetadata(1), [release]))).status).toBe(201);
  first = await rig.enrol('us-dir-1', null, 'ultrasound');
  second = await rig.enrol('us-dir-2', null, 'ultrasound');
  outsider = await rig.enrol('us-dir-3', null, 'ultrasound');
  campaignId = await runningCampaign(rig, techToken, admin, await rig.login(admin), { model: 'ultrasound', version: '2.1.0', devices: ['us-dir-1', 'us-dir-2'], stages: [100] });
});
afterAll(async () => rig.close());

const check = async (device: DeviceCredentials, over: Partial<DirectorCheck> = {}): Promise<DirectorCheck> => ({
  directorKey: await directorKeyOf(device),
  deviceId: device.deviceId,
  nowMs: rig.clock.now(),
  seen: () => false,
  ...over,
});

describe('the director key (CTL-11)', () => {
  it('[CTL-11][CTL-12] enrolment gives every device the same director key, apart from the command and session keys; it is kept 0600', { tags: ['CTL-11', 'CTL-12'] }, () => {
    const { directorKey, commandSigner, gatewayIdentity } = first.enrolment;
    expect(directorKey).toEqual(rig.gateway.firmware.director.publicKey);
    expect(second.enrolment.directorKey).toEqual(directorKey);
    expect(directorKey).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(directorKey?.kid).not.toBe(commandSigner.kid);
    expect(directorKey?.x).not.toBe(gatewayIdentity.signing.x);
    expect(statSync(rig.gateway.state.dataDir.file(DATA_FILES.directorKey)).mode & 0o777).toBe(0o600);
  });
});

describe('instructions (CTL-12)', () => {
  it('[CTL-12][U8] a device fetches its own instruction; it verifies under the enrolment key and names exactly the published image, which downloads with that hash and length', { tags: ['CTL-12', 'U8'] }, async () => {
    const jws = await instructionFor(rig.gateway, first);
    expect(jws).toBeDefined();
    const instruction = await verifyDirectorInstruction(jws!, await check(first));
    expect(instruction).toMatchObject({
      v: 1,
      sub: 'us-dir-1',
      campaign: campaignId,
      target: { path: release.targetPath, model: 'ultrasound', version: '2.1.0', securityCounter: 3, length: release.bytes.length, sha256: release.sha256 },
    });
    expect(instruction.jti).toMatch(/^[A-Za-z0-9_-]{22}$/u);
    expect(instruction.exp - instruction.iat).toBe(rig.gateway.context.config['firmware.instructionTtlS'] * 1000);
    // The file the device fetches: hash-prefixed, as tuf-js asks for it.
    const download = await deliver(rig.gateway, first, 'GET', `/v1/firmware/repository/targets/ultrasound/${instruction.target.sha256}.ultrasound-2.1.0.bin`);
    expect(download.status).toBe(200);
    expect(download.bytes.length).toBe(instruction.target.length);
    expect(download.bytes.equals(Buffer.from(release.bytes))).toBe(true);

    // Asked again, the same instruction (one nonce per update attempt); the device is now offered.
    expect(await instructionFor(rig.gateway, first)).toBe(jws);
    const devices = (await rig.request('GET', `/v1/firmware/campaigns/${campaignId}/devices`, { token: await rig.login(admin) })).body['devices'] as { deviceId: string; status: string }[];
    expect(devices.find((d) => d.deviceId === 'us-dir-1')?.status).toBe('offered');
    expect(rig.audit().filter((e) => e.event === 'firmware.director-issue').map((e) => e.object)).toContain(`firmware-campaign/${campaignId};device/us-dir-1;jti/${instruction.jti}`);
  });

  it('[CTL-12][U15] with the nonce of its update check, a device gets a new instruction bound to it; a replayed nonce or another check nonce is refused on the device', { tags: ['CTL-12', 'U15'] }, async () => {
    const nonce = randomBytes(16).toString('base64url');
    const answer = await deliver(rig.gateway, first, 'GET', `/v1/firmware/director/us-dir-1?nonce=${nonce}`);
    expect(answer.status).toBe(200);
    const jws = answer.body['instruction'] as string;
    const instruction = await verifyDirectorInstruction(jws, await check(first, { checkNonce: nonce }));
    expect(instruction.checkNonce).toBe(nonce);
    expect(await rejection(verifyDirectorInstruction(jws, await check(first, { checkNonce: randomBytes(16).toString('base64url') })))).toMatchObject({ code: 'ERR_FW_DIRECTOR_REPLAYED' });
    expect(await rejection(verifyDirectorInstruction(jws, await check(first, { seen: (jti) => jti === instruction.jti })))).toMatchObject({ code: 'ERR_FW_DIRECTOR_REPLAYED' });
    for (const query of ['nonce=short', `nonce=${nonce}&nonce=${nonce}`, `other=${nonce}`]) {
      const bad = await deliver(rig.gateway, first, 'GET', `/v1/firmware/director/us-dir-1?${query}`);
      expect(bad.status, query).toBe(400);
    }
  });

  it('[CTL-12][U16] an instruction verifies under the director key only: not under the command-signing key, not for another device, not after expiry', { tags: ['CTL-12', 'U16', 'U5'] }, async () => {
    const jws = (await instructionFor(rig.gateway, first))!;
    const commandKey = await new KeyCache().importPublicJwk(first.enrolment.commandSigner, 'Ed25519');
    expect(await rejection(verifyDirectorInstruction(jws, await check(first, { directorKey: commandKey })))).toMatchObject({ code: 'ERR_FW_DIRECTOR_INVALID' });
    expect(await rejection(verifyDirectorInstruction(jws, await check(second, { deviceId: 'us-dir-2' })))).toMatchObject({ code: 'ERR_FW_DIRECTOR_WRONG_DEVICE' });
    const { exp } = payloadOf(jws);
    expect(await rejection(verifyDirectorInstruction(jws, await check(first, { nowMs: exp })))).toMatchObject({ code: 'ERR_FW_DIRECTOR_EXPIRED' });
  });

  it('[CTL-01][CTL-12] a device reads and reports only its own updates: another device\'s path is 403, audited', { tags: ['CTL-01', 'CTL-12'] }, async () => {
    const read = await deliver(rig.gateway, second, 'GET', '/v1/firmware/director/us-dir-1');
    expect(read.status).toBe(403);
    expect(read.body['code']).toBe('ERR_FORBIDDEN');
    expect(read.body['instruction']).toBeUndefined();
    const jws = (await instructionFor(rig.gateway, first))!;
    const { campaign, jti } = payloadOf(jws);
    const forged = await deliver(rig.gateway, second, 'POST', '/v1/firmware/director/us-dir-1/report', { body: JSON.stringify({ campaign, jti, state: 'failed', errorCode: 'ERR_FAKE' }) });
    expect(forged.status).toBe(403);
    const denied = rig.audit().filter((e) => e.event === 'access.denied' && e.actor === 'us-dir-2');
    expect(denied.map((e) => e.object)).toEqual(['device/us-dir-1', 'device/us-dir-1']);
    // Nothing changed for the first device.
    const devices = (await rig.request('GET', `/v1/firmware/campaigns/${campaignId}/devices`, { token: await rig.login(admin) })).body['devices'] as { deviceId: string; status: string }[];
    expect(devices.find((d) => d.deviceId === 'us-dir-1')?.status).toBe('offered');
  });

  it('[CTL-12] a device in no running campaign gets 204 and no instruction', { tags: ['CTL-12'] }, async () => {
    const answer = await deliver(rig.gateway, outsider, 'GET', '/v1/firmware/director/us-dir-3');
    expect(answer.status).toBe(204);
    expect(answer.bytes.length).toBe(0);
  });
});
