/**
 * Nothing secret leaks (CTL-14, CTL-10): after a run through every credential flow, no password,
 * access or refresh token, MFA challenge, TOTP secret, enrolment token, patient name or
 * break-glass reason appears in the audit table or in anything the logger wrote; names, TOTP
 * secrets and reasons are not in the database file in plaintext either.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Secret, URI, type TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './fixtures.js';

let h: Harness;
const secrets = new Set<string>();
const PATIENT_NAME = 'Canary Q. Patientname';
const REASON = 'Canary reason: cardiac arrest in bay 7';

beforeAll(async () => {
  h = await Harness.start({ 'auth.maxFailedLogins': 2 });
  const keep = (value: unknown): void => {
    if (typeof value === 'string' && value.length >= 8) secrets.add(value);
  };
  const patient = h.users.createPatient(PATIENT_NAME);
  secrets.add(PATIENT_NAME);
  const admin = await h.createUser('admin');
  const clinician = await h.createUser('clinician');
  keep(admin.password);
  keep(clinician.password);
  keep((admin.totp as TOTP).secret.base32);
  // A password typed into the user-name field, and wrong passwords, are never recorded.
  await h.request('POST', '/v1/session/login', { body: { username: clinician.password, password: 'Wrong-Canary-Password-1' } });
  await h.request('POST', '/v1/session/login', { body: { username: clinician.username, password: 'Wrong-Canary-Password-2' } });
  secrets.add('Wrong-Canary-Password-1').add('Wrong-Canary-Password-2');
  const step = await h.request('POST', '/v1/session/login', { body: { username: admin.username, password: admin.password } });
  keep(step.body['challenge']);
  await h.request('POST', '/v1/session/mfa', { body: { challenge: step.body['challenge'], code: '000000' } });
  const adminTokens = await h.login(admin);
  keep(adminTokens.accessToken);
  keep(adminTokens.refreshToken);
  const refreshed = await h.request('POST', '/v1/session/refresh', { body: { refreshToken: adminTokens.refreshToken } });
  keep(refreshed.body['accessToken']);
  keep(refreshed.body['refreshToken']);
  await h.request('POST', '/v1/session/refresh', { body: { refreshToken: adminTokens.refreshToken } });
  const admin2 = await h.createUser('admin');
  keep(admin2.password);
  const token = (await h.login(admin2)).accessToken;
  keep(token);
  const created = await h.request('POST', '/v1/users', { token, body: { username: 'canary-tech', role: 'technician' } });
  keep(created.body['password']);
  keep((URI.parse(created.body['totpUri'] as string) as TOTP).secret.base32);
  const reset = await h.request('POST', `/v1/users/${clinician.id}/password-reset`, { token });
  keep(reset.body['password']);
  const totp = await h.request('POST', `/v1/users/${created.body['id'] as string}/totp-reset`, { token });
  keep((URI.parse(totp.body['totpUri'] as string) as TOTP).secret.base32);
  const enrolment = await h.request('POST', '/v1/devices/enrolment-tokens', { token, body: { deviceId: 'canary-device', model: 'pulse-oximeter' } });
  keep(enrolment.body['token']);
  h.users.assignCareTeam(clinician.id, patient.id, 'test');
  const clinicianTokens = await h.login({ ...clinician, password: reset.body['password'] as string });
  keep(clinicianTokens.accessToken);
  await h.request('POST', '/v1/session/break-glass', { token: clinicianTokens.accessToken, body: { patientId: h.users.createPatient('Other').id, reason: REASON } });
  secrets.add(REASON);
  await h.request('GET', '/v1/patients', { token: clinicianTokens.accessToken });
});
afterAll(async () => h.close());

describe('no secrets or PHI in audit entries or logs', () => {
  it('[CTL-14] the audit table holds ids and codes only', { tags: ['CTL-14'] }, () => {
    const table = JSON.stringify(h.ctx.db.prepare('SELECT * FROM audit_log').all());
    expect(secrets.size).toBeGreaterThan(15);
    for (const secret of secrets) expect(table, secret.slice(0, 12)).not.toContain(secret);
    expect(table).toContain('auth.login');
  });

  it('[CTL-14] the log output (debug level, everything written) holds none of them', { tags: ['CTL-14'] }, () => {
    expect(h.logs.text.length).toBeGreaterThan(1000);
    for (const secret of secrets) expect(h.logs.text, secret.slice(0, 12)).not.toContain(secret);
  });

  it('[CTL-10] patient names, TOTP secrets and break-glass reasons are encrypted in the database file', { tags: ['CTL-10'] }, () => {
    h.ctx.db.pragma('wal_checkpoint(FULL)');
    const file = readFileSync(join(h.dir, 'gateway.db'));
    for (const plain of [PATIENT_NAME, REASON, 'bay 7']) expect(file.includes(Buffer.from(plain))).toBe(false);
    for (const secret of secrets) {
      if (/^[A-Z2-7]+=*$/u.test(secret)) expect(file.includes(Buffer.from(Secret.fromBase32(secret).bytes))).toBe(false);
    }
  });
});
