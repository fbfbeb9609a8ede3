/**
 * The signal of intent (CTL-08, CTL-02): only the ordering clinician, in the ordering session,
 * before the deadline, with a fresh factor, confirms; every refusal is audited and nothing
 * reaches the pump. The pump is connected and listening throughout: the first command it ever
 * receives is the one valid confirmation at the end (MQTT QoS 1 keeps order, so anything sent
 * by a refused confirmation would have arrived before it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TherapyRig, bolus, type Pump, type RigUser } from './helpers.js';

let rig: TherapyRig;
let patient: string;
let clinician: RigUser;
let token: string;
let pump: Pump;

beforeAll(async () => {
  rig = await TherapyRig.start();
  patient = rig.patient('Ben Ode');
  clinician = await rig.user('clinician', { careTeam: [patient] });
  token = await rig.login(clinician);
  pump = await rig.connect(await rig.enrol('pump-intent', patient));
});
afterAll(async () => rig.close());

async function order(as = token, amount = 1000): Promise<string> {
  const answer = await rig.request('POST', '/v1/devices/pump-intent/therapy-commands', { token: as, body: bolus(amount) });
  expect(answer.status).toBe(201);
  return answer.body['commandId'] as string;
}

const confirm = (commandId: string, as: string, body: unknown): ReturnType<TherapyRig['request']> =>
  rig.request('POST', `/v1/therapy-commands/${commandId}/confirm`, { token: as, body });

/** The command's status as its orderer reads it, and that it was never signed. */
async function unsent(commandId: string, as = token): Promise<string> {
  const read = await rig.request('GET', `/v1/therapy-commands/${commandId}`, { token: as });
  expect(read.body['sequence']).toBeNull();
  expect(rig.auditOf(commandId).some((e) => e.event === 'therapy.send')).toBe(false);
  return read.body['status'] as string;
}

describe('confirmation (signal of intent)', () => {
  it('[CTL-08][CTL-01] another clinician of the same care team cannot confirm: 403, audited, nothing signed', { tags: ['CTL-08', 'CTL-01'] }, async () => {
    const colleague = await rig.user('clinician', { careTeam: [patient] });
    const colleagueToken = await rig.login(colleague);
    const commandId = await order();
    const answer = await confirm(commandId, colleagueToken, { password: colleague.password });
    expect(answer.status).toBe(403);
    expect(answer.body['code']).toBe('ERR_FORBIDDEN');
    expect(await unsent(commandId)).toBe('awaiting-confirmation');
    expect(rig.auditOf(commandId).at(-1)).toMatchObject({ event: 'therapy.confirm', outcome: 'denied', actor: colleague.id, severity: 'high', code: 'ERR_FORBIDDEN' });
    // Nor cancel it.
    expect((await rig.request('POST', `/v1/therapy-commands/${commandId}/cancel`, { token: colleagueToken })).body['code']).toBe('ERR_FORBIDDEN');
  });

  it('[CTL-08][CTL-03] the same clinician in another session cannot confirm (the order was made in the session that ended)', { tags: ['CTL-08', 'CTL-03'] }, async () => {
    const other = await rig.user('clinician', { careTeam: [patient] });
    const firstToken = await rig.login(other);
    const commandId = await order(firstToken);
    const secondToken = await rig.login(other);
    // Single session: the first token is dead, and the second session is not the ordering one.
    expect((await confirm(commandId, firstToken, { password: other.password })).status).toBe(401);
    const answer = await confirm(commandId, secondToken, { password: other.password });
    expect(answer.status).toBe(403);
    expect(answer.body['code']).toBe('ERR_THERAPY_CONFIRMATION_SESSION');
    expect(await unsent(commandId, secondToken)).toBe('awaiting-confirmation');
    expect(rig.auditOf(commandId).at(-1)).toMatchObject({ event: 'therapy.confirm', outcome: 'denied', code: 'ERR_THERAPY_CONFIRMATION_SESSION' });
  });

  it('[CTL-08] after the deadline the command is expired: confirmation refused, status expired', { tags: ['CTL-08'] }, async () => {
    const late = await order();
    const untouched = await order();
    rig.clock.advance(120_000);
    const answer = await confirm(late, token, { password: clinician.password });
    expect(answer.status).toBe(409);
    expect(answer.body['code']).toBe('ERR_THERAPY_CONFIRMATION_EXPIRED');
    expect(await unsent(late)).toBe('expired');
    // Expired by the clock alone, stored or not.
    expect(await unsent(untouched)).toBe('expired');
    expect((await rig.request('POST', `/v1/therapy-commands/${untouched}/cancel`, { token })).body['code']).toBe('ERR_THERAPY_COMMAND_STATE');
  });

  it('[CTL-08][CTL-02] without the step-up factor, or with a wrong one, confirmation is refused; wrong factors count towards lockout', { tags: ['CTL-08', 'CTL-02'] }, async () => {
    const commandId = await order();
    const missing = await confirm(commandId, token, {});
    expect(missing.status).toBe(403);
    expect(missing.body).toMatchObject({ code: 'ERR_THERAPY_STEP_UP_REQUIRED', message: expect.stringContaining('password') });
    const wrong = await confirm(commandId, token, { password: `${clinician.password}x` });
    expect(wrong.status).toBe(403);
    expect(wrong.body['code']).toBe('ERR_THERAPY_STEP_UP_FAILED');
    expect(await unsent(commandId)).toBe('awaiting-confirmation');
    expect(rig.auditOf(commandId).slice(-2).map((e) => e.code)).toEqual(['ERR_THERAPY_STEP_UP_REQUIRED', 'ERR_THERAPY_STEP_UP_FAILED']);

    const victim = await rig.user('clinician', { careTeam: [patient] });
    const victimToken = await rig.login(victim);
    const guessed = await order(victimToken);
    const answers: number[] = [];
    for (let i = 0; i < 5; i += 1) answers.push((await confirm(guessed, victimToken, { password: `guess-${i}-wrong-password` })).status);
    // auth.maxFailedLogins (5): the fifth wrong factor locks the account, and then even the right one is refused.
    expect(answers).toEqual([403, 403, 403, 403, 423]);
    const locked = await confirm(guessed, victimToken, { password: victim.password });
    expect(locked.status).toBe(423);
    expect(locked.body['code']).toBe('ERR_AUTH_LOCKED');
    expect(await unsent(guessed, victimToken)).toBe('awaiting-confirmation');
    expect(rig.audit().some((e) => e.event === 'auth.lockout' && e.actor === victim.id)).toBe(true);
  });

  it('[CTL-08] a cancelled command cannot be confirmed; only one awaiting confirmation can be cancelled', { tags: ['CTL-08'] }, async () => {
    const commandId = await order();
    const cancelled = await rig.request('POST', `/v1/therapy-commands/${commandId}/cancel`, { token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body['status']).toBe('cancelled');
    expect((await confirm(commandId, token, { password: clinician.password })).body['code']).toBe('ERR_THERAPY_COMMAND_STATE');
    expect((await rig.request('POST', `/v1/therapy-commands/${commandId}/cancel`, { token })).body['code']).toBe('ERR_THERAPY_COMMAND_STATE');
    expect(await unsent(commandId)).toBe('cancelled');
    expect(rig.auditOf(commandId).map((e) => `${e.event}:${e.outcome}`)).toEqual(['therapy.order:success', 'therapy.cancel:success', 'therapy.confirm:denied', 'therapy.cancel:denied']);
  });

  it('[CTL-08][CTL-01] a patient taken off the care team, or a pump revoked, after the order stops the confirmation', { tags: ['CTL-08', 'CTL-01'] }, async () => {
    const leaving = await rig.user('clinician', { careTeam: [patient] });
    const leavingToken = await rig.login(leaving);
    const commandId = await order(leavingToken);
    rig.gateway.users.unassignCareTeam(leaving.id, patient);
    expect((await confirm(commandId, leavingToken, { password: leaving.password })).body['code']).toBe('ERR_FORBIDDEN');

    const revokedPatient = rig.patient('Cy Dee');
    const other = await rig.user('clinician', { careTeam: [revokedPatient] });
    const otherToken = await rig.login(other);
    await rig.enrol('pump-revoked', revokedPatient);
    const order2 = await rig.request('POST', '/v1/devices/pump-revoked/therapy-commands', { token: otherToken, body: bolus(500) });
    rig.gateway.context.devices.revoke('pump-revoked', { actor: 'test', role: 'admin' });
    const refused = await confirm(order2.body['commandId'] as string, otherToken, { password: other.password });
    expect(refused.status).toBe(409);
    expect(refused.body['code']).toBe('ERR_THERAPY_COMMAND_STATE');
    // And a revoked pump takes no new order.
    expect((await rig.request('POST', '/v1/devices/pump-revoked/therapy-commands', { token: otherToken, body: bolus(500) })).body['code']).toBe('ERR_DEVICE_REVOKED');
  });

  it('[CTL-08] after all those refusals the pump received nothing: the first command it gets is this valid one, sequence 1', { tags: ['CTL-08'] }, async () => {
    const commandId = await order(token, 4321);
    const answer = await confirm(commandId, token, { password: clinician.password });
    expect(answer.body).toMatchObject({ status: 'sent', sequence: 1 });
    const first = await pump.receiver.next();
    expect(first.command.insulinBolus?.amountMilliunits).toBe(4321);
    expect(pump.receiver.received).toHaveLength(1);
    expect(pump.receiver.errors).toEqual([]);
  });
});

describe('TOTP step-up (auth.mfaForClinicians)', () => {
  it('[CTL-08][CTL-02] a clinician with TOTP confirms with a fresh code only: not the password, not the code used to log in', { tags: ['CTL-08', 'CTL-02'] }, async () => {
    const mfa = await TherapyRig.start({ 'auth.mfaForClinicians': true });
    try {
      const p = mfa.patient();
      const user = await mfa.user('clinician', { careTeam: [p] });
      expect(user.totp).toBeDefined();
      const userToken = await mfa.login(user);
      const loginCode = user.totp!.generate({ timestamp: mfa.clock.nowMs });
      const device = await mfa.connect(await mfa.enrol('pump-totp', p));
      const ordered = await mfa.request('POST', '/v1/devices/pump-totp/therapy-commands', { token: userToken, body: bolus(800) });
      const commandId = ordered.body['commandId'] as string;
      const path = `/v1/therapy-commands/${commandId}/confirm`;
      const withPassword = await mfa.request('POST', path, { token: userToken, body: { password: user.password } });
      expect(withPassword.body).toMatchObject({ code: 'ERR_THERAPY_STEP_UP_REQUIRED', message: expect.stringContaining('TOTP') });
      expect((await mfa.request('POST', path, { token: userToken, body: { totpCode: loginCode } })).body['code']).toBe('ERR_THERAPY_STEP_UP_FAILED');
      const fresh = await mfa.request('POST', path, { token: userToken, body: { totpCode: mfa.freshCode(user) } });
      expect(fresh.status).toBe(200);
      expect(fresh.body['status']).toBe('sent');
      expect((await device.receiver.next()).command.commandSequence).toBe(1);
    } finally {
      await mfa.close();
    }
  });
});
