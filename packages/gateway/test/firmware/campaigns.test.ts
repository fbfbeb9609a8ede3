/**
 * Rollout campaigns end to end (issue 5; CTL-01, CTL-12, CTL-14, U15) over the real HTTPS API and
 * the mTLS delivery listener: a technician creates, an admin who is not the creator approves with
 * a fresh TOTP code, stages offer the update to their share of the cohort only (chosen by hashing
 * campaign and device ids), failures past the threshold pause the campaign by themselves
 * (audited), resume and advance are admin decisions, abort stops new instructions, device reports
 * only move forward and only about instructions issued to that device, and the campaign completes
 * when every device finished. Clinicians and patients cannot read or touch any of it.
 */
import type { DeviceCredentials } from '@medsim/testkit';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rankCohort } from '../../src/firmware/campaign-rules.js';
import type { AuditEntry } from '../../src/index.js';
import { TherapyRig, type RigUser } from '../therapy/helpers.js';
import { bundleBody, createCampaign, decide, deliver, image, instructionFor, payloadOf, publish, releaseMetadata, report, updateConfirmed } from './helpers.js';

let rig: TherapyRig;
let technician: RigUser;
let techToken: string;
let creator: RigUser;
let creatorToken: string;
let admin: RigUser;
let adminToken: string;
const tokens: Partial<Record<'clinician' | 'patient' | 'auditor', string>> = {};
const scanners = new Map<string, DeviceCredentials>();
const pumps = new Map<string, DeviceCredentials>();
let staged = '';
let pumpCampaign = '';
/** The campaign made after the staged one was aborted (awaiting approval). */
let followUp = '';

const SCANNER_IDS = Array.from({ length: 10 }, (_, i) => `us-c-${String(i + 1).padStart(2, '0')}`);
const PUMP_IDS = ['pump-c-1', 'pump-c-2', 'pump-c-3'];

beforeAll(async () => {
  rig = await TherapyRig.start();
  technician = await rig.user('technician');
  techToken = await rig.login(technician);
  creator = await rig.user('technician');
  creatorToken = await rig.login(creator);
  admin = await rig.user('admin');
  adminToken = await rig.login(admin);
  for (const role of ['clinician', 'patient', 'auditor'] as const) tokens[role] = await rig.login(await rig.user(role));
  const body = bundleBody(releaseMetadata(1), [image('ultrasound', '3.0.0', 4), image('insulin-pump', '4.0.0', 2)]);
  expect((await publish(rig, techToken, body)).status).toBe(201);
  for (const id of SCANNER_IDS) scanners.set(id, await rig.enrol(id, null, 'ultrasound'));
  for (const id of PUMP_IDS) pumps.set(id, await rig.enrol(id, null, 'insulin-pump'));
});
afterAll(async () => rig.close());

const campaign = async (id: string): Promise<Record<string, unknown>> => (await rig.request('GET', `/v1/firmware/campaigns/${id}`, { token: techToken })).body;
const devicesOf = async (id: string): Promise<{ deviceId: string; eligible: boolean; status: string; progress: number; errorCode: string | null }[]> =>
  (await rig.request('GET', `/v1/firmware/campaigns/${id}/devices`, { token: techToken })).body['devices'] as never;
/** Which scanners get an instruction now. */
const offeredNow = async (devices: ReadonlyMap<string, DeviceCredentials>): Promise<string[]> => {
  const offered: string[] = [];
  for (const [id, credentials] of devices) if ((await instructionFor(rig.gateway, credentials)) !== undefined) offered.push(id);
  return offered;
};
const entries = (event: string): AuditEntry[] => rig.audit().filter((e) => e.event === event);
/** A code that is not the current one (the last digit moved on). */
const wrongCode = (user: RigUser): string => {
  const code = rig.freshCode(user);
  return `${code.slice(0, 5)}${(Number(code[5]) + 5) % 10}`;
};

describe('creating and approving a campaign (CTL-01, CTL-12)', () => {
  it('[CTL-01] only technicians create campaigns; clinicians and patients can neither read nor touch them (403, audited)', { tags: ['CTL-01'] }, async () => {
    const body = { model: 'ultrasound', version: '3.0.0' };
    for (const token of [tokens.clinician!, tokens.patient!, adminToken, tokens.auditor!]) expect((await createCampaign(rig, token, body)).status).toBe(403);
    for (const token of [tokens.clinician!, tokens.patient!]) {
      expect((await rig.request('GET', '/v1/firmware/campaigns', { token })).status).toBe(403);
      expect((await rig.request('GET', '/v1/firmware/releases', { token })).status).toBe(403);
    }
    expect((await rig.request('GET', '/v1/firmware/campaigns', { token: tokens.auditor! })).status).toBe(200);
    expect(entries('access.denied').filter((e) => e.object === 'POST /v1/firmware/campaigns').map((e) => e.role).sort()).toEqual(['admin', 'auditor', 'clinician', 'patient']);
  });

  it('[CTL-01][CTL-12] two-person rule: the creating technician cannot approve; an admin approves only with a fresh TOTP code; nothing is offered before', { tags: ['CTL-01', 'CTL-12'] }, async () => {
    const created = await createCampaign(rig, techToken, { model: 'ultrasound', version: '3.0.0', stages: [10, 50, 100] });
    expect(created.status).toBe(201);
    staged = created.body['campaignId'] as string;
    expect(created.body).toMatchObject({
      status: 'awaiting-approval',
      stages: [10, 50, 100],
      stage: 0,
      failureThresholdPercent: 20,
      minFailureSample: 3,
      createdBy: technician.id,
      approvedBy: null,
      target: { path: 'ultrasound/ultrasound-3.0.0.bin', securityCounter: 4 },
      progress: { cohort: 10, eligible: 0, byStatus: { pending: 10 } },
    });
    expect(await offeredNow(scanners)).toEqual([]);

    expect((await decide(rig, techToken, staged, 'approve', { totpCode: rig.freshCode(technician) })).status).toBe(403);
    expect((await decide(rig, adminToken, staged, 'approve', {})).body['code']).toBe('ERR_CAMPAIGN_STEP_UP_REQUIRED');
    expect((await decide(rig, adminToken, staged, 'approve', { totpCode: wrongCode(admin) })).body['code']).toBe('ERR_CAMPAIGN_STEP_UP_FAILED');
    expect((await campaign(staged))['status']).toBe('awaiting-approval');
    const approved = await decide(rig, adminToken, staged, 'approve', { totpCode: rig.freshCode(admin) });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'running', stage: 0, approvedBy: admin.id, progress: { eligible: 1 } });
    expect((await decide(rig, adminToken, staged, 'approve', { totpCode: rig.freshCode(admin) })).body['code']).toBe('ERR_CAMPAIGN_STATE');
    expect(entries('firmware.campaign-approve').map((e) => `${e.outcome}:${e.code ?? ''}`)).toEqual([
      'denied:ERR_CAMPAIGN_STEP_UP_REQUIRED',
      'denied:ERR_CAMPAIGN_STEP_UP_FAILED',
      'success:',
      'denied:ERR_CAMPAIGN_STATE',
    ]);
    expect(entries('firmware.campaign-create').map((e) => [e.actor, e.object])).toEqual([[technician.id, `firmware-campaign/${staged}`]]);
  });

  it('[CTL-01] a creator who has since become an admin still cannot approve their own campaign (ERR_CAMPAIGN_SAME_USER, audited high)', { tags: ['CTL-01'] }, async () => {
    const created = await createCampaign(rig, creatorToken, { model: 'insulin-pump', version: '4.0.0', stages: [100] });
    expect(created.status).toBe(201);
    pumpCampaign = created.body['campaignId'] as string;
    rig.gateway.users.setRole(creator.id, 'admin');
    const asAdmin = await rig.login(creator);
    const refused = await decide(rig, asAdmin, pumpCampaign, 'approve', { totpCode: rig.freshCode(creator) });
    expect(refused.status).toBe(403);
    expect(refused.body['code']).toBe('ERR_CAMPAIGN_SAME_USER');
    expect(entries('firmware.campaign-approve').at(-1)).toMatchObject({ actor: creator.id, outcome: 'denied', severity: 'high', code: 'ERR_CAMPAIGN_SAME_USER' });
    expect((await decide(rig, adminToken, pumpCampaign, 'approve', { totpCode: rig.freshCode(admin) })).body['status']).toBe('running');
  });

  it('[CTL-12][CTL-09] a campaign for no published release, with bad stages, a device of another model, or a device already in an unfinished campaign is refused', { tags: ['CTL-12', 'CTL-09'] }, async () => {
    for (const [body, code] of [
      [{ model: 'ultrasound', version: '9.9.9' }, 'ERR_CAMPAIGN_INVALID'],
      [{ model: 'ultrasound', version: '3.0.0', stages: [50, 10, 100] }, 'ERR_CAMPAIGN_INVALID'],
      [{ model: 'ultrasound', version: '3.0.0', stages: [10, 50] }, 'ERR_CAMPAIGN_INVALID'],
      [{ model: 'ultrasound', version: '3.0.0', devices: ['pump-c-1'] }, 'ERR_CAMPAIGN_INVALID'],
      [{ model: 'ultrasound', version: '3.0.0', devices: ['no-such-device'] }, 'ERR_CAMPAIGN_INVALID'],
      [{ model: 'pacemaker', version: '3.0.0' }, 'ERR_CAMPAIGN_INVALID'],
      [{ model: 'ultrasound', version: '3.0.0', devices: ['us-c-01'] }, 'ERR_CAMPAIGN_OVERLAP'],
      [{ model: 'ultrasound', version: '3.0.0', failureThresholdPercent: 101 }, 'ERR_BAD_REQUEST'],
      [{ model: 'ultrasound', version: '3.0.0', extra: true }, 'ERR_BAD_REQUEST'],
    ] as const) {
      const answer = await createCampaign(rig, techToken, body);
      expect(answer.body['code'], JSON.stringify(body)).toBe(code);
    }
  });
});

describe('staged rollout (CTL-12)', () => {
  it('[CTL-12] the first stage (10 %) offers the update to exactly one device: the first in the order of SHA-256(campaign id, device id)', { tags: ['CTL-12'] }, async () => {
    const [first] = rankCohort(staged, SCANNER_IDS);
    expect(await offeredNow(scanners)).toEqual([first]);
    const devices = await devicesOf(staged);
    expect(devices.filter((d) => d.eligible).map((d) => d.deviceId)).toEqual([first]);
    expect(devices.find((d) => d.deviceId === first)?.status).toBe('offered');
  });

  it('[CTL-12] when every device of the stage has confirmed, the campaign moves to 50 % by itself (audited); a finished device gets no further instruction', { tags: ['CTL-12', 'CTL-14'] }, async () => {
    const order = rankCohort(staged, SCANNER_IDS);
    const first = scanners.get(order[0]!)!;
    await updateConfirmed(rig.gateway, first, (await instructionFor(rig.gateway, first))!);
    expect(await campaign(staged)).toMatchObject({ status: 'running', stage: 1, progress: { eligible: 5, byStatus: { confirmed: 1 } } });
    expect(entries('firmware.campaign-advance').map((e) => [e.actor, e.object])).toEqual([['system', `firmware-campaign/${staged};stage/1`]]);
    expect((await offeredNow(scanners)).sort()).toEqual(order.slice(1, 5).sort());
  });

  it('[CTL-12] failures past the threshold pause the campaign by itself once the minimum sample finished (audited high); a paused campaign issues no instruction', { tags: ['CTL-12', 'CTL-14', 'CTL-22'] }, async () => {
    const order = rankCohort(staged, SCANNER_IDS);
    const device = (rank: number): DeviceCredentials => scanners.get(order[rank]!)!;
    const jws = async (rank: number): Promise<string> => (await instructionFor(rig.gateway, device(rank)))!;
    expect((await report(rig.gateway, device(1), await jws(1), { state: 'failed', errorCode: 'ERR_FW_IMAGE_HASH_MISMATCH' })).status).toBe(204);
    expect((await report(rig.gateway, device(2), await jws(2), { state: 'reverted', errorCode: 'ERR_BOOT_HEALTH_CHECK' })).status).toBe(204);
    // Two of two failed, but fewer than minFailureSample (3) finished: still running.
    expect((await campaign(staged))['status']).toBe('running');
    await updateConfirmed(rig.gateway, device(3), await jws(3));
    const paused = await campaign(staged);
    expect(paused).toMatchObject({ status: 'paused', stage: 1, pauseReason: 'ERR_CAMPAIGN_FAILURE_THRESHOLD', progress: { stageFinished: 3, stageFailed: 2 } });
    expect(entries('firmware.campaign-pause').at(-1)).toMatchObject({ actor: 'system', outcome: 'failure', severity: 'high', code: 'ERR_CAMPAIGN_FAILURE_THRESHOLD', object: `firmware-campaign/${staged};stage/1` });
    const devices = await devicesOf(staged);
    expect(devices.find((d) => d.deviceId === order[1])).toMatchObject({ status: 'failed', errorCode: 'ERR_FW_IMAGE_HASH_MISMATCH' });
    expect(devices.find((d) => d.deviceId === order[2])).toMatchObject({ status: 'reverted', errorCode: 'ERR_BOOT_HEALTH_CHECK' });
    // The stage's last device, offered before the pause, gets nothing while paused.
    expect(await offeredNow(scanners)).toEqual([]);
  });

  it('[CTL-01][CTL-12] only an admin resumes, with a fresh TOTP code; technicians may pause again', { tags: ['CTL-01', 'CTL-12'] }, async () => {
    const order = rankCohort(staged, SCANNER_IDS);
    expect((await decide(rig, techToken, staged, 'resume', { totpCode: rig.freshCode(technician) })).status).toBe(403);
    expect((await decide(rig, adminToken, staged, 'resume', {})).body['code']).toBe('ERR_CAMPAIGN_STEP_UP_REQUIRED');
    const resumed = await decide(rig, adminToken, staged, 'resume', { totpCode: rig.freshCode(admin) });
    expect(resumed.body).toMatchObject({ status: 'running', pauseReason: null, progress: { stageFinished: 0, stageFailed: 0 } });
    expect(await offeredNow(scanners)).toEqual([order[4]]);
    expect((await decide(rig, techToken, staged, 'pause')).body).toMatchObject({ status: 'paused', pauseReason: 'manual' });
    expect(await offeredNow(scanners)).toEqual([]);
    expect((await decide(rig, techToken, staged, 'pause')).body['code']).toBe('ERR_CAMPAIGN_STATE');
    expect((await decide(rig, adminToken, staged, 'resume', { totpCode: rig.freshCode(admin) })).body['status']).toBe('running');
  });

  it('[CTL-12] an admin advances a stage early with a fresh TOTP code; past the last stage there is nothing to advance to', { tags: ['CTL-12'] }, async () => {
    expect((await decide(rig, techToken, staged, 'advance', { totpCode: rig.freshCode(technician) })).status).toBe(403);
    const advanced = await decide(rig, adminToken, staged, 'advance', { totpCode: rig.freshCode(admin) });
    expect(advanced.body).toMatchObject({ status: 'running', stage: 2, progress: { eligible: 10 } });
    expect((await decide(rig, adminToken, staged, 'advance', { totpCode: rig.freshCode(admin) })).body['code']).toBe('ERR_CAMPAIGN_STATE');
    const order = rankCohort(staged, SCANNER_IDS);
    expect((await offeredNow(scanners)).sort()).toEqual(order.slice(4).sort());
  });

  it('[CTL-12] aborting stops new instructions for good (technician, audited); the devices may join a new campaign', { tags: ['CTL-12', 'CTL-14'] }, async () => {
    const aborted = await decide(rig, techToken, staged, 'abort');
    expect(aborted.body).toMatchObject({ status: 'aborted' });
    expect(aborted.body['endedAt']).not.toBeNull();
    expect(await offeredNow(scanners)).toEqual([]);
    expect((await decide(rig, adminToken, staged, 'resume', { totpCode: rig.freshCode(admin) })).body['code']).toBe('ERR_CAMPAIGN_STATE');
    expect((await decide(rig, techToken, staged, 'abort')).body['code']).toBe('ERR_CAMPAIGN_STATE');
    expect(entries('firmware.campaign-abort').map((e) => [e.actor, e.outcome])).toEqual([
      [technician.id, 'success'],
      [technician.id, 'denied'],
    ]);
    const next = await createCampaign(rig, techToken, { model: 'ultrasound', version: '3.0.0', devices: ['us-c-01'] });
    expect(next.status).toBe(201);
    followUp = next.body['campaignId'] as string;
  });

  it('[CTL-02] wrong step-up codes count towards the account lockout: the admin is locked out after auth.maxFailedLogins, audited', { tags: ['CTL-02'] }, async () => {
    const other = await rig.user('admin');
    const token = await rig.login(other);
    const codes: string[] = [];
    for (let i = 0; i < 5; i += 1) codes.push((await decide(rig, token, followUp, 'approve', { totpCode: wrongCode(other) })).body['code'] as string);
    expect(codes).toEqual([...Array<string>(4).fill('ERR_CAMPAIGN_STEP_UP_FAILED'), 'ERR_AUTH_LOCKED']);
    // Locked: even the right code is refused now, and the campaign still awaits approval.
    const locked = await decide(rig, token, followUp, 'approve', { totpCode: rig.freshCode(other) });
    expect(locked.status).toBe(423);
    expect((await campaign(followUp))['status']).toBe('awaiting-approval');
    expect(entries('auth.lockout').map((e) => e.actor)).toContain(other.id);
  });
});

describe('device reports (CTL-09, U15)', () => {
  it('[CTL-09][U15] a report must name an instruction issued to that device for that campaign; state and progress only move forward; a resend changes nothing', { tags: ['CTL-09', 'U15'] }, async () => {
    const p1 = pumps.get('pump-c-1')!;
    const p2 = pumps.get('pump-c-2')!;
    const jws1 = (await instructionFor(rig.gateway, p1))!;
    const jws2 = (await instructionFor(rig.gateway, p2))!;
    const { campaign: id, jti } = payloadOf(jws1);
    expect(id).toBe(pumpCampaign);
    const post = (device: DeviceCredentials, body: unknown, headers?: Record<string, string>): ReturnType<typeof deliver> =>
      deliver(rig.gateway, device, 'POST', `/v1/firmware/director/${device.deviceId}/report`, { body: typeof body === 'string' ? body : JSON.stringify(body), ...(headers === undefined ? {} : { headers }) });

    for (const [device, body] of [
      [p1, { campaign: id, jti: randomBytes(16).toString('base64url'), state: 'downloading', progress: 5 }],
      [p2, { campaign: id, jti, state: 'failed', errorCode: 'ERR_FAKE' }],
      [p1, { campaign: randomBytes(16).toString('hex'), jti, state: 'downloading', progress: 5 }],
    ] as const) {
      const answer = await post(device, body);
      expect(answer.status).toBe(400);
      expect(answer.body['code']).toBe('ERR_FIRMWARE_REPORT_INVALID');
    }
    for (const body of [
      { campaign: id, jti, state: 'downloading', progress: 5, extra: 1 },
      { campaign: id, jti, state: 'downloading' },
      { campaign: id, jti, state: 'downloading', progress: 101 },
      { campaign: id, jti, state: 'installed', progress: 100 },
      { campaign: id, jti, state: 'failed' },
      { campaign: id, jti, state: 'failed', errorCode: 'not an error code' },
      { campaign: id, jti, state: 'confirmed', errorCode: 'ERR_X' },
      { campaign: id, jti, state: 'hacked' },
      [id, jti, 'installed'],
      '{"campaign": ',
    ]) {
      const answer = await post(p1, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body['code']).toBe('ERR_FIRMWARE_REPORT_INVALID');
    }
    expect((await post(p1, { campaign: id, jti, state: 'installed' }, { 'content-type': 'text/plain' })).status).toBe(400);

    expect((await report(rig.gateway, p1, jws1, { state: 'downloading', progress: 30 })).status).toBe(204);
    for (const state of [{ state: 'downloading', progress: 20 }, { state: 'downloading', progress: 0 }]) {
      const stale = await report(rig.gateway, p1, jws1, state);
      expect(stale.status).toBe(409);
      expect(stale.body['code']).toBe('ERR_FIRMWARE_REPORT_STALE');
    }
    expect((await report(rig.gateway, p1, jws1, { state: 'installed' })).status).toBe(204);
    expect((await report(rig.gateway, p1, jws1, { state: 'downloading', progress: 90 })).body['code']).toBe('ERR_FIRMWARE_REPORT_STALE');
    expect((await report(rig.gateway, p1, jws1, { state: 'installed' })).status).toBe(204);
    expect((await devicesOf(pumpCampaign)).find((d) => d.deviceId === 'pump-c-1')).toMatchObject({ status: 'installed', progress: 100 });
    // Status changes are audited (the resend is not); refusals are audited too.
    const ours = entries('firmware.report').filter((e) => e.actor === 'pump-c-1' || e.actor === 'pump-c-2');
    expect(ours.filter((e) => e.outcome === 'success').map((e) => e.object?.split(';status/')[1])).toEqual(['downloading', 'installed']);
    expect(ours.filter((e) => e.outcome === 'denied').length).toBeGreaterThanOrEqual(15);
    // The second pump's own instruction is accepted: the refusals above were about whose it was.
    expect((await report(rig.gateway, p2, jws2, { state: 'downloading', progress: 1 })).status).toBe(204);
  });

  it('[CTL-12][U15] when every device has confirmed, the campaign completes (audited); a second outcome is stale and a finished device gets no instruction', { tags: ['CTL-12', 'U15'] }, async () => {
    const p1 = pumps.get('pump-c-1')!;
    const jws1 = (await instructionFor(rig.gateway, p1))!;
    expect((await report(rig.gateway, p1, jws1, { state: 'trial' })).status).toBe(204);
    expect((await report(rig.gateway, p1, jws1, { state: 'confirmed' })).status).toBe(204);
    for (const id of ['pump-c-2', 'pump-c-3']) {
      const device = pumps.get(id)!;
      await updateConfirmed(rig.gateway, device, (await instructionFor(rig.gateway, device))!);
    }
    const done = await campaign(pumpCampaign);
    expect(done).toMatchObject({ status: 'completed', progress: { byStatus: { confirmed: 3 } } });
    expect(done['endedAt']).not.toBeNull();
    expect(entries('firmware.campaign-complete').map((e) => [e.actor, e.object])).toEqual([['system', `firmware-campaign/${pumpCampaign}`]]);
    expect((await report(rig.gateway, p1, jws1, { state: 'failed', errorCode: 'ERR_LATE' })).body['code']).toBe('ERR_FIRMWARE_REPORT_STALE');
    expect((await report(rig.gateway, p1, jws1, { state: 'confirmed' })).status).toBe(204);
    expect(await offeredNow(pumps)).toEqual([]);
  });
});
