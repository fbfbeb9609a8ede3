/**
 * Who may order and read therapy (CTL-01, CTL-18): clinicians for their care team only; no other
 * role orders; break-glass (emergency reading) never grants therapy; auditors read everything and
 * alone export evidence. Denials are 403 ERR_FORBIDDEN and audited, like every other route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS, USER_ROLES } from '../../src/index.js';
import { TherapyRig, bolus, type RigUser } from './helpers.js';

let rig: TherapyRig;
let patient: string;
let clinician: RigUser;
let token: string;
let commandId: string;

beforeAll(async () => {
  rig = await TherapyRig.start();
  patient = rig.patient('Dee Eff');
  clinician = await rig.user('clinician', { careTeam: [patient] });
  token = await rig.login(clinician);
  await rig.enrol('pump-access', patient);
  await rig.enrol('pump-unassigned', null);
  const ordered = await rig.request('POST', '/v1/devices/pump-access/therapy-commands', { token, body: bolus(1500) });
  expect(ordered.status).toBe(201);
  commandId = ordered.body['commandId'] as string;
});
afterAll(async () => rig.close());

describe('therapy access (CTL-01)', () => {
  it('[CTL-01] patients, technicians, admins and auditors cannot order therapy: 403, audited', { tags: ['CTL-01'] }, async () => {
    for (const role of ['patient', 'technician', 'admin', 'auditor'] as const) {
      const user = await rig.user(role, role === 'patient' ? { patientId: patient } : {});
      const userToken = await rig.login(user);
      const answer = await rig.request('POST', '/v1/devices/pump-access/therapy-commands', { token: userToken, body: bolus(1000) });
      expect(answer.status, role).toBe(403);
      expect(answer.body['code']).toBe('ERR_FORBIDDEN');
      expect(rig.audit().at(-1)).toMatchObject({ event: 'access.denied', actor: user.id, role, code: 'ERR_FORBIDDEN' });
      // Nor confirm or cancel someone's command.
      expect((await rig.request('POST', `/v1/therapy-commands/${commandId}/confirm`, { token: userToken, body: { password: user.password } })).status).toBe(403);
      expect((await rig.request('POST', `/v1/therapy-commands/${commandId}/cancel`, { token: userToken })).status).toBe(403);
    }
    const grants = Object.entries(PERMISSIONS).filter(([name]) => name.startsWith('therapy.'));
    expect(Object.fromEntries(grants.map(([name, spec]) => [name, [...spec.roles]]))).toEqual({
      'therapy.order': ['clinician'],
      'therapy.read': ['clinician', 'auditor'],
      'therapy.evidence': ['auditor'],
    });
    expect(USER_ROLES.filter((role) => role !== 'clinician' && (PERMISSIONS['therapy.order'].roles as readonly string[]).includes(role))).toEqual([]);
  });

  it('[CTL-01][S9] a clinician outside the care team cannot order, read or list; an unknown or unassigned device answers the same 403', { tags: ['CTL-01', 'S9'] }, async () => {
    const outsider = await rig.user('clinician');
    const outsiderToken = await rig.login(outsider);
    for (const deviceId of ['pump-access', 'pump-unassigned', 'pump-nowhere']) {
      const answer = await rig.request('POST', `/v1/devices/${deviceId}/therapy-commands`, { token: outsiderToken, body: bolus(1000) });
      expect(answer.status, deviceId).toBe(403);
      expect(answer.body['code']).toBe('ERR_FORBIDDEN');
    }
    // Even the care-team clinician cannot order for a pump no patient is assigned to.
    expect((await rig.request('POST', '/v1/devices/pump-unassigned/therapy-commands', { token, body: bolus(1000) })).status).toBe(403);
    expect((await rig.request('GET', `/v1/therapy-commands/${commandId}`, { token: outsiderToken })).status).toBe(403);
    expect((await rig.request('GET', '/v1/devices/pump-access/therapy-commands', { token: outsiderToken })).status).toBe(403);
    const denied = rig.audit().filter((e) => e.event === 'access.denied' && e.actor === outsider.id);
    expect(denied.map((e) => e.object)).toEqual([
      'device/pump-access',
      'device/pump-unassigned',
      'device/pump-nowhere',
      `therapy-command/${commandId}`,
      'device/pump-access',
    ]);
    // An unknown command id is a 404, a malformed one a 400.
    expect((await rig.request('GET', `/v1/therapy-commands/${'0'.repeat(32)}`, { token })).body['code']).toBe('ERR_THERAPY_COMMAND_UNKNOWN');
    expect((await rig.request('GET', '/v1/therapy-commands/not-an-id', { token })).status).toBe(400);
  });

  it('[CTL-18][CTL-01] break-glass grants emergency reading of the patient, never therapy', { tags: ['CTL-18', 'CTL-01'] }, async () => {
    const emergency = await rig.user('clinician');
    const emergencyToken = await rig.login(emergency);
    const glass = await rig.request('POST', '/v1/session/break-glass', { token: emergencyToken, body: { patientId: patient, reason: 'patient collapsed in the ward' } });
    expect(glass.status).toBe(200);
    expect((await rig.request('GET', `/v1/patients/${patient}/readings`, { token: emergencyToken })).status).toBe(200);
    const answer = await rig.request('POST', '/v1/devices/pump-access/therapy-commands', { token: emergencyToken, body: bolus(1000) });
    expect(answer.status).toBe(403);
    expect(answer.body['code']).toBe('ERR_FORBIDDEN');
    expect((await rig.request('GET', `/v1/therapy-commands/${commandId}`, { token: emergencyToken })).status).toBe(403);
  });

  it('[CTL-01][CTL-15] auditors read every command and a device history, and alone export evidence; clinicians read their own', { tags: ['CTL-01', 'CTL-15'] }, async () => {
    const auditor = await rig.user('auditor');
    const auditorToken = await rig.login(auditor);
    // The MFA logins above moved the clock past the first command's deadline: a fresh one.
    expect((await rig.request('GET', `/v1/therapy-commands/${commandId}`, { token })).body['status']).toBe('expired');
    commandId = (await rig.request('POST', '/v1/devices/pump-access/therapy-commands', { token, body: bolus(1500) })).body['commandId'] as string;
    const read = await rig.request('GET', `/v1/therapy-commands/${commandId}`, { token: auditorToken });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ commandId, status: 'awaiting-confirmation', issuerUserId: clinician.id });
    const history = await rig.request('GET', '/v1/devices/pump-access/therapy-commands', { token: auditorToken });
    expect((history.body['commands'] as { commandId: string }[]).map((c) => c.commandId)).toContain(commandId);
    const mine = await rig.request('GET', '/v1/devices/pump-access/therapy-commands?limit=1', { token });
    expect(mine.body['commands']).toEqual([expect.objectContaining({ commandId, summary: 'Bolus 1.500 U now, insulin-pump pump-access, patient Dee Eff' })]);
    const evidence = await rig.request('GET', `/v1/therapy-commands/${commandId}/evidence`, { token: auditorToken });
    expect(evidence.status).toBe(200);
    // Never signed yet: the evidence says so rather than inventing bytes.
    expect(evidence.body).toMatchObject({ commandId, command: null, ack: null, status: 'awaiting-confirmation' });
    expect((await rig.request('GET', `/v1/therapy-commands/${commandId}/evidence`, { token })).status).toBe(403);
  });

  it('[CTL-01] a clinician sees only the commands of care-team patients, not those for the device\'s previous patient', { tags: ['CTL-01'] }, async () => {
    const previous = rig.patient('Previous Patient');
    const next = rig.patient('Next Patient');
    const before = await rig.user('clinician', { careTeam: [previous] });
    const after = await rig.user('clinician', { careTeam: [next] });
    const beforeToken = await rig.login(before);
    const afterToken = await rig.login(after);
    await rig.enrol('pump-moved', previous);
    const old = await rig.request('POST', '/v1/devices/pump-moved/therapy-commands', { token: beforeToken, body: bolus(600) });
    expect(old.status).toBe(201);
    // The pump goes to another patient (revoked and enrolled again for them).
    rig.gateway.context.devices.revoke('pump-moved', { actor: 'test', role: 'admin' });
    await rig.enrol('pump-moved', next);
    const history = await rig.request('GET', '/v1/devices/pump-moved/therapy-commands', { token: afterToken });
    expect(history.status).toBe(200);
    expect(history.body['commands']).toEqual([]);
    expect((await rig.request('GET', `/v1/therapy-commands/${String(old.body['commandId'])}`, { token: afterToken })).status).toBe(403);
  });
});
