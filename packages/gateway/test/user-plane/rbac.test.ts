/**
 * Access control (CTL-01, CTL-17; S9, S10): the role × route × owner matrix over real TLS,
 * IDOR, device credentials, role changes taking effect at once, and deny-by-default routing.
 * The firmware rows (issue 5) run against a real firmware service with a published release and
 * campaigns in each state their decisions need.
 */
import { fastify } from 'fastify';
import { sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_SPECS } from '../../src/user-plane/routes/catalogue.js';
import { installRouteGuard, routeInventory } from '../../src/user-plane/rbac/route-guard.js';
import { PERMISSIONS } from '../../src/user-plane/rbac/permissions.js';
import type { UserRole } from '../../src/users/roles.js';
import { bundleBody, image, releaseMetadata } from '../firmware/helpers.js';
import { Harness, enrolDevice, enrolmentRequest, type Answer, type TestUser } from './fixtures.js';

let h: Harness;

/** Who calls: a name, a role (or none) and a token. */
interface Caller {
  readonly name: 'patientA' | 'patientB' | 'clinicianA' | 'clinicianNone' | 'technician' | 'admin' | 'auditor' | 'anonymous';
  readonly role?: UserRole;
  readonly user?: TestUser;
  token?: string;
}

const callers: Caller[] = [];
let patientA = '';
let patientB = '';
let glassPatient = '';
let deviceCounter = 0;
/** A therapy command for patient A ordered by a clinician who is none of the callers. */
let foreignCommand = '';
/** A maintenance command for the same device ordered by a technician who is none of the callers. */
let foreignMaintenance = '';
const DIAGNOSTICS = { action: { kind: 'run-diagnostics' } };
const BOLUS = { action: { kind: 'insulin-bolus', amountMilliunits: 1000 } };
const orderAs = async (token: string): Promise<string> =>
  (await h.request('POST', '/v1/devices/matrix-device/therapy-commands', { token, body: BOLUS })).body['commandId'] as string;

const caller = (name: Caller['name']): Caller => callers.find((c) => c.name === name)!;
const freshUser = async (role: UserRole = 'clinician'): Promise<TestUser> => h.createUser(role);

/** One request of a case, possibly needing fresh objects (so an allowed call does not spoil the next). */
interface Call {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

/** One row of the matrix: a route, an owner situation, how to call it, who may. */
interface Case {
  readonly route: string;
  readonly owner: string;
  readonly call: (c: Caller) => Promise<Call> | Call;
  /** Callers allowed (2xx); everyone else gets 403, or 401 without a token. `public`: same answer for everyone. */
  readonly allowed: readonly Caller['name'][] | 'public';
  /** Log the caller in again first (the previous row ended their session). */
  readonly freshSession?: true;
}

const ADMIN_ONLY = ['admin'] as const;
const DEVICE_STAFF = ['admin', 'technician'] as const;
const everyoneWithToken: Caller['name'][] = ['patientA', 'patientB', 'clinicianA', 'clinicianNone', 'technician', 'admin', 'auditor'];

/** firmware.read (technician, admin, auditor). */
const FIRMWARE_READERS = ['technician', 'admin', 'auditor'] as const;
/** firmware.campaign-stop (technician, admin). */
const CAMPAIGN_STOPPERS = ['technician', 'admin'] as const;
/** The firmware rows' model: release 1.0.0 is published in beforeAll, 1.1.0 by the matrix's technician. */
const FW_MODEL = 'ultrasound';
const FIRST_RELEASE = bundleBody(releaseMetadata(1), [image(FW_MODEL, '1.0.0')]);
const NEXT_RELEASE = bundleBody(releaseMetadata(2), [image(FW_MODEL, '1.1.0', 2)]);
/** The campaign states the decisions act on. */
type CampaignState = 'awaiting-approval' | 'running' | 'paused';
/** One campaign per state for the callers who must be refused (a wrongly allowed call would change it). */
const sharedCampaign: Record<CampaignState, string> = { 'awaiting-approval': '', running: '', paused: '' };
/** An enrolled device of FW_MODEL in no campaign (what a wrongly allowed create would take). */
let idleFirmwareDevice = '';
/** A technician and an admin who are none of the callers: they create and approve the campaigns the rows need. */
let releaserToken = '';
let approver: TestUser | undefined;
let approverToken = '';

/** A setup call that must succeed (2xx). */
const setup = async (path: string, token: string, body?: unknown): Promise<Answer> => {
  const answer = await h.request('POST', path, { token, ...(body === undefined ? {} : { body }) });
  if (answer.status < 200 || answer.status > 299) throw new Error(`setup ${path}: ${answer.status} ${answer.text}`);
  return answer;
};

/** A fresh enrolled device of FW_MODEL (a device follows one unfinished campaign at a time). */
const firmwareDevice = async (): Promise<string> => {
  const deviceId = `matrix-fw-${(deviceCounter += 1)}`;
  await enrolDevice(h, deviceId, null, FW_MODEL);
  return deviceId;
};

/** A campaign of one fresh device, brought to `state` by the releaser and the approver. */
const campaignIn = async (state: CampaignState): Promise<string> => {
  const created = await setup('/v1/firmware/campaigns', releaserToken, { model: FW_MODEL, version: '1.0.0', devices: [await firmwareDevice()] });
  const campaignId = created.body['campaignId'] as string;
  if (state !== 'awaiting-approval') await setup(`/v1/firmware/campaigns/${campaignId}/approve`, approverToken, { totpCode: h.freshCode(approver!) });
  if (state === 'paused') await setup(`/v1/firmware/campaigns/${campaignId}/pause`, releaserToken);
  return campaignId;
};

/** A valid step-up code of every caller with an authenticator, so only the role can refuse the call. */
const stepUpCode = (c: Caller): string => (c.user?.totp === undefined ? '000000' : h.freshCode(c.user));

/**
 * A campaign decision: each allowed caller acts on a fresh campaign in `state` (a decision is
 * one-shot), everyone else on the shared one; approve, resume and advance carry a TOTP code.
 */
const decisionCase = (action: string, state: CampaignState, allowed: readonly Caller['name'][], stepUp: boolean): Case => ({
  route: `POST /v1/firmware/campaigns/:campaignId/${action}`,
  owner: `campaign ${state}, created by another technician`,
  call: async (c) => {
    const campaignId = allowed.includes(c.name) ? await campaignIn(state) : sharedCampaign[state];
    return { method: 'POST', path: `/v1/firmware/campaigns/${campaignId}/${action}`, ...(stepUp ? { body: { totpCode: stepUpCode(c) } } : {}) };
  },
  allowed,
});

/** A target user an admin may act on (fresh for each allowed call). */
const targetUser = async (c: Caller): Promise<string> => (c.name === 'admin' ? (await freshUser()).id : caller('clinicianNone').user!.id);

const cases: Case[] = [
  { route: 'GET /healthz', owner: '-', call: () => ({ method: 'GET', path: '/healthz' }), allowed: 'public' },
  { route: 'GET /v1/openapi.json', owner: '-', call: () => ({ method: 'GET', path: '/v1/openapi.json' }), allowed: 'public' },
  { route: 'GET /v1/session/banner', owner: '-', call: () => ({ method: 'GET', path: '/v1/session/banner' }), allowed: 'public' },
  {
    route: 'POST /v1/session/login',
    owner: '-',
    call: (c) => ({ method: 'POST', path: '/v1/session/login', body: { username: `nobody-as-${c.name.toLowerCase()}`, password: 'whatever-password-1' } }),
    allowed: 'public',
  },
  { route: 'POST /v1/session/mfa', owner: '-', call: () => ({ method: 'POST', path: '/v1/session/mfa', body: { challenge: 'mfa_x', code: '123456' } }), allowed: 'public' },
  { route: 'POST /v1/session/refresh', owner: '-', call: () => ({ method: 'POST', path: '/v1/session/refresh', body: { refreshToken: 'rt_x' } }), allowed: 'public' },
  { route: 'GET /v1/session/me', owner: 'self', call: () => ({ method: 'GET', path: '/v1/session/me' }), allowed: everyoneWithToken },
  {
    route: 'POST /v1/session/break-glass',
    owner: 'other patient',
    call: () => ({ method: 'POST', path: '/v1/session/break-glass', body: { patientId: glassPatient, reason: 'matrix probe, emergency cover' } }),
    allowed: ['clinicianA', 'clinicianNone'],
  },
  { route: 'POST /v1/patients', owner: '-', call: () => ({ method: 'POST', path: '/v1/patients', body: { displayName: 'New Patient' } }), allowed: ADMIN_ONLY },
  { route: 'GET /v1/patients', owner: 'scoped', call: () => ({ method: 'GET', path: '/v1/patients' }), allowed: ['patientA', 'patientB', 'clinicianA', 'clinicianNone', 'admin'] },
  {
    route: 'GET /v1/patients/:id/readings',
    owner: 'patient A (on clinicianA\'s care team)',
    call: () => ({ method: 'GET', path: `/v1/patients/${patientA}/readings` }),
    allowed: ['patientA', 'clinicianA'],
  },
  {
    route: 'GET /v1/patients/:id/readings',
    owner: 'patient B (on no care team)',
    call: () => ({ method: 'GET', path: `/v1/patients/${patientB}/readings` }),
    allowed: ['patientB'],
  },
  {
    route: 'POST /v1/devices/enrolment-tokens',
    owner: '-',
    call: () => ({ method: 'POST', path: '/v1/devices/enrolment-tokens', body: { deviceId: `matrix-${(deviceCounter += 1)}`, model: 'pulse-oximeter' } }),
    allowed: DEVICE_STAFF,
  },
  {
    route: 'POST /v1/devices/enrol',
    owner: '-',
    call: async () => {
      const deviceId = `matrix-${(deviceCounter += 1)}`;
      const { token } = h.ctx.devices.createEnrolmentToken({ deviceId, model: 'pulse-oximeter', createdBy: 'test' });
      return { method: 'POST', path: '/v1/devices/enrol', body: await enrolmentRequest(token, deviceId) };
    },
    allowed: 'public',
  },
  { route: 'GET /v1/devices', owner: '-', call: () => ({ method: 'GET', path: '/v1/devices' }), allowed: DEVICE_STAFF },
  { route: 'GET /v1/devices/:id', owner: '-', call: () => ({ method: 'GET', path: '/v1/devices/matrix-device' }), allowed: DEVICE_STAFF },
  {
    route: 'POST /v1/devices/:id/revoke',
    owner: '-',
    call: async (c) => {
      const deviceId = `matrix-${(deviceCounter += 1)}`;
      if (c.name === 'admin' || c.name === 'technician') await enrolDevice(h, deviceId);
      return { method: 'POST', path: `/v1/devices/${deviceId}/revoke` };
    },
    allowed: DEVICE_STAFF,
  },
  {
    route: 'POST /v1/users',
    owner: '-',
    call: () => ({ method: 'POST', path: '/v1/users', body: { username: `matrix-user-${(deviceCounter += 1)}`, role: 'clinician' } }),
    allowed: ADMIN_ONLY,
  },
  { route: 'GET /v1/users', owner: '-', call: () => ({ method: 'GET', path: '/v1/users' }), allowed: ADMIN_ONLY },
  ...(['disable', 'enable', 'unlock', 'password-reset', 'totp-reset'] as const).map(
    (action): Case => ({
      route: `POST /v1/users/:id/${action}`,
      owner: 'another user',
      call: async (c) => ({ method: 'POST', path: `/v1/users/${await targetUser(c)}/${action}` }),
      allowed: ADMIN_ONLY,
    }),
  ),
  ...(['disable', 'password-reset'] as const).map(
    (action): Case => ({
      route: `POST /v1/users/:id/${action}`,
      owner: 'own account',
      call: (c) => ({ method: 'POST', path: `/v1/users/${c.user?.id ?? caller('admin').user!.id}/${action}` }),
      allowed: [],
    }),
  ),
  {
    route: 'PUT /v1/users/:id/role',
    owner: 'another user',
    call: async (c) => ({ method: 'PUT', path: `/v1/users/${await targetUser(c)}/role`, body: { role: 'clinician' } }),
    allowed: ADMIN_ONLY,
  },
  {
    route: 'PUT /v1/users/:id/role',
    owner: 'own account (self-elevation)',
    call: (c) => ({ method: 'PUT', path: `/v1/users/${c.user?.id ?? caller('admin').user!.id}/role`, body: { role: 'admin' } }),
    allowed: [],
  },
  {
    route: 'PUT /v1/care-teams/:clinicianId/patients/:patientId',
    owner: '-',
    call: () => ({ method: 'PUT', path: `/v1/care-teams/${caller('clinicianNone').user!.id}/patients/${glassPatient}` }),
    allowed: ADMIN_ONLY,
  },
  {
    route: 'DELETE /v1/care-teams/:clinicianId/patients/:patientId',
    owner: '-',
    call: async (c) => {
      const clinician = c.name === 'admin' ? await freshUser() : caller('clinicianA').user!;
      if (c.name === 'admin') h.users.assignCareTeam(clinician.id, glassPatient, 'test');
      return { method: 'DELETE', path: `/v1/care-teams/${clinician.id}/patients/${c.name === 'admin' ? glassPatient : patientA}` };
    },
    allowed: ADMIN_ONLY,
  },
  { route: 'GET /v1/audit', owner: '-', call: () => ({ method: 'GET', path: '/v1/audit?limit=5' }), allowed: ['auditor'] },
  { route: 'GET /v1/audit/export', owner: '-', call: () => ({ method: 'GET', path: '/v1/audit/export' }), allowed: ['auditor'] },
  {
    route: 'POST /v1/devices/:id/therapy-commands',
    owner: "device of patient A (on clinicianA's care team)",
    call: () => ({ method: 'POST', path: '/v1/devices/matrix-device/therapy-commands', body: BOLUS }),
    allowed: ['clinicianA'],
  },
  {
    route: 'POST /v1/therapy-commands/:commandId/confirm',
    owner: 'a command another clinician ordered',
    call: (c) => ({ method: 'POST', path: `/v1/therapy-commands/${foreignCommand}/confirm`, body: { password: c.user?.password ?? 'x' } }),
    allowed: [],
  },
  {
    route: 'POST /v1/therapy-commands/:commandId/cancel',
    owner: "own command (clinicianA), else another clinician's",
    call: async (c) => ({ method: 'POST', path: `/v1/therapy-commands/${c.name === 'clinicianA' ? await orderAs(c.token!) : foreignCommand}/cancel` }),
    allowed: ['clinicianA'],
  },
  { route: 'GET /v1/therapy-commands/:commandId', owner: 'command for patient A', call: () => ({ method: 'GET', path: `/v1/therapy-commands/${foreignCommand}` }), allowed: ['clinicianA', 'auditor'] },
  { route: 'GET /v1/devices/:id/therapy-commands', owner: 'device of patient A', call: () => ({ method: 'GET', path: '/v1/devices/matrix-device/therapy-commands' }), allowed: ['clinicianA', 'auditor'] },
  {
    route: 'GET /v1/therapy-commands/:commandId',
    owner: 'maintenance command',
    call: () => ({ method: 'GET', path: `/v1/therapy-commands/${foreignMaintenance}` }),
    allowed: ['technician', 'auditor'],
  },
  {
    route: 'POST /v1/therapy-commands/:commandId/confirm',
    owner: 'a maintenance command another technician ordered',
    call: () => ({ method: 'POST', path: `/v1/therapy-commands/${foreignMaintenance}/confirm`, body: { totpCode: '123456' } }),
    allowed: [],
  },
  {
    route: 'POST /v1/devices/:id/maintenance-commands',
    owner: 'any enrolled device (no patient scope)',
    call: () => ({ method: 'POST', path: '/v1/devices/matrix-device/maintenance-commands', body: DIAGNOSTICS }),
    allowed: ['technician'],
  },
  {
    route: 'GET /v1/devices/:id/maintenance-commands',
    owner: 'any device',
    call: () => ({ method: 'GET', path: '/v1/devices/matrix-device/maintenance-commands' }),
    allowed: ['technician'],
  },
  {
    route: 'GET /v1/devices/:id/maintenance-reports',
    owner: 'any device',
    call: () => ({ method: 'GET', path: '/v1/devices/matrix-device/maintenance-reports' }),
    allowed: ['technician'],
  },
  {
    route: 'GET /v1/therapy-commands/:commandId/evidence',
    owner: 'command for patient A',
    call: () => ({ method: 'GET', path: `/v1/therapy-commands/${foreignCommand}/evidence` }),
    allowed: ['auditor'],
  },
  {
    route: 'GET /v1/firmware/releases',
    owner: '-',
    call: () => ({ method: 'GET', path: `/v1/firmware/releases?model=${FW_MODEL}` }),
    allowed: FIRMWARE_READERS,
  },
  {
    route: 'POST /v1/firmware/releases',
    owner: 'a new release (the same bytes again change nothing)',
    call: () => ({ method: 'POST', path: '/v1/firmware/releases', body: NEXT_RELEASE }),
    allowed: ['technician'],
  },
  { route: 'GET /v1/firmware/campaigns', owner: '-', call: () => ({ method: 'GET', path: '/v1/firmware/campaigns?limit=5' }), allowed: FIRMWARE_READERS },
  {
    route: 'POST /v1/firmware/campaigns',
    owner: 'enrolled devices of the released model in no campaign',
    call: async (c) => ({
      method: 'POST',
      path: '/v1/firmware/campaigns',
      body: { model: FW_MODEL, version: '1.0.0', devices: [c.name === 'technician' ? await firmwareDevice() : idleFirmwareDevice] },
    }),
    allowed: ['technician'],
  },
  {
    route: 'GET /v1/firmware/campaigns/:campaignId',
    owner: 'a running campaign',
    call: () => ({ method: 'GET', path: `/v1/firmware/campaigns/${sharedCampaign.running}` }),
    allowed: FIRMWARE_READERS,
  },
  {
    route: 'GET /v1/firmware/campaigns/:campaignId/devices',
    owner: 'a running campaign',
    call: () => ({ method: 'GET', path: `/v1/firmware/campaigns/${sharedCampaign.running}/devices` }),
    allowed: FIRMWARE_READERS,
  },
  // Two-person rule: the admin callers never created these campaigns.
  decisionCase('approve', 'awaiting-approval', ADMIN_ONLY, true),
  decisionCase('pause', 'running', CAMPAIGN_STOPPERS, false),
  decisionCase('resume', 'paused', ADMIN_ONLY, true),
  decisionCase('advance', 'running', ADMIN_ONLY, true),
  decisionCase('abort', 'running', CAMPAIGN_STOPPERS, false),
  // Session-ending routes run last (each caller's token dies with them).
  { route: 'POST /v1/session/logout', owner: 'self', call: () => ({ method: 'POST', path: '/v1/session/logout' }), allowed: everyoneWithToken },
  {
    route: 'POST /v1/session/password',
    owner: 'self',
    call: (c) => ({ method: 'POST', path: '/v1/session/password', body: { currentPassword: c.user?.password ?? 'x', newPassword: `${c.user?.password ?? 'x'}-new` } }),
    allowed: everyoneWithToken,
    freshSession: true,
  },
];

beforeAll(async () => {
  h = await Harness.start({ 'auth.accessTokenTtlS': 3600, 'auth.idleTimeoutS': 3600 });
  patientA = h.users.createPatient('Patient A').id;
  patientB = h.users.createPatient('Patient B').id;
  glassPatient = h.users.createPatient('Break-glass target').id;
  await enrolDevice(h, 'matrix-device', patientA);
  const roles: [Caller['name'], UserRole, string?][] = [
    ['patientA', 'patient', patientA],
    ['patientB', 'patient', patientB],
    ['clinicianA', 'clinician'],
    ['clinicianNone', 'clinician'],
    ['technician', 'technician'],
    ['admin', 'admin'],
    ['auditor', 'auditor'],
  ];
  for (const [name, role, patientId] of roles) {
    const user = await h.createUser(role, patientId === undefined ? {} : { patientId });
    callers.push({ name, role, user, token: (await h.login(user)).accessToken });
  }
  callers.push({ name: 'anonymous' });
  h.users.assignCareTeam(caller('clinicianA').user!.id, patientA, 'test');
  const orderer = await h.createUser('clinician');
  h.users.assignCareTeam(orderer.id, patientA, 'test');
  foreignCommand = await orderAs((await h.login(orderer)).accessToken);
  const maintainer = await h.createUser('technician');
  const maintained = await h.request('POST', '/v1/devices/matrix-device/maintenance-commands', { token: (await h.login(maintainer)).accessToken, body: DIAGNOSTICS });
  foreignMaintenance = maintained.body['commandId'] as string;
  releaserToken = (await h.login(await h.createUser('technician'))).accessToken;
  approver = await h.createUser('admin');
  approverToken = (await h.login(approver)).accessToken;
  await setup('/v1/firmware/releases', releaserToken, FIRST_RELEASE);
  for (const state of ['awaiting-approval', 'running', 'paused'] as const) sharedCampaign[state] = await campaignIn(state);
  idleFirmwareDevice = await firmwareDevice();
});
afterAll(async () => h.close());

describe('role × route × owner matrix (CTL-01)', () => {
  it('[CTL-01][CTL-17] the matrix covers every route of the catalogue', { tags: ['CTL-01', 'CTL-17'] }, () => {
    const covered = new Set([...cases.map((c) => c.route.replace(/\/(disable|enable|unlock|password-reset|totp-reset)$/u, '/$1')), 'GET /v1/stream']);
    const catalogue = new Set(ROUTE_SPECS.map((spec) => `${spec.method} ${spec.url}`));
    expect([...catalogue].filter((r) => !covered.has(r))).toEqual([]);
    expect([...covered].filter((r) => !catalogue.has(r))).toEqual([]);
  });

  it('[CTL-01][S9] every role on every route and owner gets 2xx exactly when allowed, else 403 (401 without a token)', { tags: ['CTL-01', 'S9'] }, async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const row of cases) {
      const answers = new Map<string, Answer>();
      for (const c of callers) {
        if (row.freshSession === true && c.user !== undefined) c.token = (await h.login(c.user)).accessToken;
        const call = await row.call(c);
        const answer = await h.request(call.method, call.path, { ...(c.token === undefined ? {} : { token: c.token }), ...(call.body === undefined ? {} : { body: call.body }) });
        answers.set(c.name, answer);
        checked += 1;
        if (row.allowed === 'public') continue;
        const expected = c.name === 'anonymous' ? 401 : row.allowed.includes(c.name) ? '2xx' : 403;
        const ok = expected === '2xx' ? answer.status >= 200 && answer.status < 300 : answer.status === expected;
        if (!ok) failures.push(`${row.route} [${row.owner}] as ${c.name}: expected ${expected}, got ${answer.status} ${answer.text.slice(0, 120)}`);
        if (expected === 403 && answer.body['code'] !== 'ERR_FORBIDDEN') failures.push(`${row.route} as ${c.name}: code ${String(answer.body['code'])}`);
      }
      if (row.allowed === 'public') {
        // The guard ignores bearer tokens on public routes: everyone gets the same kind of answer, never 403.
        const statuses = new Set([...answers.values()].map((a) => a.status));
        if (statuses.size !== 1 || statuses.has(403)) failures.push(`${row.route} (public): statuses ${[...statuses].join(',')}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBe(cases.length * callers.length);
  });

  it('[CTL-01][CTL-14] denials are audited as access.denied with the caller, role and object', { tags: ['CTL-01', 'CTL-14'] }, () => {
    const denials = h.audit().filter((e) => e.event === 'access.denied');
    expect(denials.length).toBeGreaterThan(50);
    expect(denials.every((e) => e.code === 'ERR_FORBIDDEN' && e.role !== undefined && e.object !== undefined)).toBe(true);
  });
});

describe('object scope and credentials (S9)', () => {
  it('[S9][CTL-01] patient A cannot read patient B; a clinician cannot read an unassigned patient; lists are scoped', { tags: ['S9', 'CTL-01'] }, async () => {
    const a = await h.createUser('patient');
    const b = await h.createUser('patient');
    const clinician = await h.createUser('clinician');
    const tokenA = (await h.login(a)).accessToken;
    const tokenC = (await h.login(clinician)).accessToken;
    const patientOfB = h.users.get(b.id)!.patientId!;
    const patientOfA = h.users.get(a.id)!.patientId!;
    expect((await h.request('GET', `/v1/patients/${patientOfB}/readings`, { token: tokenA })).status).toBe(403);
    expect((await h.request('GET', `/v1/patients/${patientOfA}/readings`, { token: tokenA })).status).toBe(200);
    expect((await h.request('GET', `/v1/patients/${patientOfA}/readings`, { token: tokenC })).status).toBe(403);
    expect((await h.request('GET', '/v1/patients', { token: tokenA })).body['patients']).toEqual([expect.objectContaining({ id: patientOfA })]);
    expect((await h.request('GET', '/v1/patients', { token: tokenC })).body['patients']).toEqual([]);
    h.users.assignCareTeam(clinician.id, patientOfA, 'test');
    expect((await h.request('GET', `/v1/patients/${patientOfA}/readings`, { token: tokenC })).status).toBe(200);
    expect((await h.request('GET', '/v1/patients', { token: tokenC })).body['patients']).toEqual([expect.objectContaining({ id: patientOfA, displayName: expect.any(String) })]);
    h.users.unassignCareTeam(clinician.id, patientOfA);
    expect((await h.request('GET', `/v1/patients/${patientOfA}/readings`, { token: tokenC })).status).toBe(403);
  });

  it('[S9][CTL-01] device credentials never act as user tokens: 401', { tags: ['S9', 'CTL-01'] }, async () => {
    const { token: enrolmentToken } = h.ctx.devices.createEnrolmentToken({ deviceId: 'credential-probe', model: 'pulse-oximeter', createdBy: 'test' });
    const now = Math.floor(h.clock.nowMs / 1000);
    // A well-formed, correctly signed token for a device subject with no session row.
    const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: h.ctx.tokenKey.kid })).toString('base64url');
    const claims = { role: 'clinician', sid: '00000000-0000-4000-8000-000000000000', iss: 'medsim-gateway', aud: 'medsim-api', sub: 'matrix-device', jti: 'x', iat: now, exp: now + 60 };
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const deviceJwt = `${header}.${body}.${sign(null, Buffer.from(`${header}.${body}`), h.ctx.tokenKey.privateKey).toString('base64url')}`;
    for (const token of [enrolmentToken, deviceJwt, h.ctx.tls.certPem.replace(/\s|-|BEGIN|END|CERTIFICATE/gu, '').slice(0, 200)]) {
      const answer = await h.request('GET', `/v1/patients/${patientA}/readings`, { token });
      expect(answer.status).toBe(401);
    }
  });

  it('[S10][CTL-01] a role change applies to the very next request, even with an unexpired token', { tags: ['S10', 'CTL-01'] }, async () => {
    const clinician = await h.createUser('clinician');
    h.users.assignCareTeam(clinician.id, patientA, 'test');
    const { accessToken } = await h.login(clinician);
    expect((await h.request('GET', `/v1/patients/${patientA}/readings`, { token: accessToken })).status).toBe(200);
    const admin = await h.login(await h.createUser('admin'));
    const demoted = await h.request('PUT', `/v1/users/${clinician.id}/role`, { token: admin.accessToken, body: { role: 'technician' } });
    expect(demoted.status).toBe(200);
    expect((await h.request('GET', `/v1/patients/${patientA}/readings`, { token: accessToken })).status).toBe(401);
    // Even if the session end were missed (role changed behind the API), the role is re-read per request.
    const other = await h.createUser('clinician');
    h.users.assignCareTeam(other.id, patientA, 'test');
    const otherToken = (await h.login(other)).accessToken;
    h.ctx.db.prepare("UPDATE users SET role = 'technician' WHERE id = ?").run(other.id);
    const answer = await h.request('GET', `/v1/patients/${patientA}/readings`, { token: otherToken });
    expect(answer.status).toBe(401);
    expect(answer.body['code']).toBe('ERR_SESSION_ENDED');
  });
});

describe('deny by default (CTL-01, CTL-17)', () => {
  it('[CTL-01][CTL-17] a route without a declared permission stops start-up', { tags: ['CTL-01', 'CTL-17'] }, () => {
    const app = fastify();
    installRouteGuard(app, { authenticator: {} as never, audit: {} as never, requests: {} as never, credentials: {} as never });
    expect(() => app.get('/v1/forgotten', () => 'open')).toThrow(/declares no permission/u);
    expect(() => app.get('/v1/typo', { config: { permission: 'patients.raed' as never } }, () => 'open')).toThrow(/declares no permission/u);
    expect(() => app.get('/v1/fine', { config: { permission: 'audit.read' } }, () => 'ok')).not.toThrow();
  });

  it('[CTL-17] the running route inventory is exactly the catalogue, each with its declared permission', { tags: ['CTL-17'] }, () => {
    const running = routeInventory(h.app).map((r) => `${r.method} ${r.url} ${r.permission}`).sort();
    const catalogue = ROUTE_SPECS.map((spec) => `${spec.method} ${spec.url} ${spec.permission}`).sort();
    expect(running).toEqual(catalogue);
  });

  it('[CTL-01] technicians and admins hold no permission that reads biometric data; only auditors read the audit log', { tags: ['CTL-01', 'CTL-14'] }, () => {
    for (const permission of ['readings.read', 'stream.subscribe', 'session.break-glass'] as const) {
      expect(PERMISSIONS[permission].roles).not.toContain('technician');
      expect(PERMISSIONS[permission].roles).not.toContain('admin');
    }
    expect(PERMISSIONS['audit.read'].roles).toEqual(['auditor']);
    expect(PERMISSIONS['audit.export'].roles).toEqual(['auditor']);
  });

  it('[CTL-17][CTL-23] an unknown route or method is a 404 problem, whoever asks', { tags: ['CTL-17', 'CTL-23'] }, async () => {
    for (const [method, path] of [
      ['GET', '/v1/nothing'],
      ['DELETE', '/v1/patients'],
      ['GET', '/v2/patients'],
      ['GET', '/admin'],
    ] as const) {
      const answer = await h.request(method, path, { token: caller('auditor').token! });
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ code: 'ERR_NOT_FOUND', message: 'no such route' });
    }
  });
});
