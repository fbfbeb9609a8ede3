/** Login over real TLS (CTL-02, S6, S7): hashing, policy, no oracle, lockout, TOTP, banner, rate limits. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserStore } from '../../src/users/user-store.js';
import { Harness, type Answer } from './fixtures.js';

let h: Harness;

beforeAll(async () => {
  h = await Harness.start({ 'auth.maxFailedLogins': 3, 'auth.lockoutBaseS': 60, 'auth.banner': 'Authorised clinical use only. Activity is audited.' });
});
afterAll(async () => h.close());

const login = (username: string, password: string): Promise<Answer> => h.request('POST', '/v1/session/login', { body: { username, password } });
const withoutDate = (headers: Answer['headers']): Record<string, unknown> => Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'date'));
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('passwords', () => {
  it('[CTL-02] are stored as scrypt with their parameters recorded, never in plaintext', { tags: ['CTL-02'] }, async () => {
    const user = await h.createUser('clinician');
    const row = h.ctx.db.prepare('SELECT password_hash FROM users WHERE id = ?').get(user.id) as { password_hash: string };
    expect(row.password_hash).toMatch(/^scrypt\$N=16384,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/u);
    h.ctx.db.pragma('wal_checkpoint(FULL)');
    const file = readFileSync(join(h.dir, 'gateway.db'));
    expect(file.includes(Buffer.from(user.password))).toBe(false);
    expect((await login(user.username, user.password)).status).toBe(200);
  });

  it('[CTL-02] a login under an older cost re-hashes with the current one', { tags: ['CTL-02'] }, async () => {
    const user = await h.createUser('clinician');
    const stronger = new UserStore({ db: h.ctx.db, dataKey: h.ctx.dataKey, now: h.clock.now, scryptCost: 2 ** 15, mfaForClinicians: false });
    expect(await stronger.verifyPassword(user.id, user.password)).toBe(true);
    const row = h.ctx.db.prepare('SELECT password_hash FROM users WHERE id = ?').get(user.id) as { password_hash: string };
    expect(row.password_hash).toMatch(/^scrypt\$N=32768,/u);
    expect(await stronger.verifyPassword(user.id, `${user.password}x`)).toBe(false);
  });

  it('[CTL-02] the policy refuses short, long, name-containing and common passwords with ERR_AUTH_WEAK_PASSWORD', { tags: ['CTL-02'] }, async () => {
    const admin = await h.createUser('admin');
    const { accessToken } = await h.login(admin);
    for (const password of ['short-pass1', 'x'.repeat(129), 'my-name-is-weakling-2026', 'Password1234', 'correcthorsebatterystaple']) {
      const answer = await h.request('POST', '/v1/users', { token: accessToken, body: { username: 'weakling-2026', role: 'clinician', password } });
      expect(answer.status).toBe(400);
      expect(answer.body['code']).toBe('ERR_AUTH_WEAK_PASSWORD');
      expect(answer.text).not.toContain(password);
    }
    const generated = await h.request('POST', '/v1/users', { token: accessToken, body: { username: 'weakling-2026', role: 'clinician' } });
    expect(generated.status).toBe(201);
    expect(generated.body['password']).toMatch(/^([a-zA-Z2-9]{4}-){5}[a-zA-Z2-9]{4}$/u);
    expect((await login('weakling-2026', generated.body['password'] as string)).status).toBe(200);
  });
});

describe('no account oracle (S6)', () => {
  it('[S6][CTL-02] unknown user and wrong password get the same status, headers (but date) and body bytes', { tags: ['S6', 'CTL-02'] }, async () => {
    const user = await h.createUser('clinician');
    const unknown = await login('nobody-here', 'whatever-password-1');
    const wrong = await login(user.username, 'whatever-password-1');
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(Buffer.from(unknown.text)).toEqual(Buffer.from(wrong.text));
    expect(unknown.body).toEqual({ code: 'ERR_AUTH_FAILED', message: expect.any(String) });
    expect(withoutDate(unknown.headers)).toEqual(withoutDate(wrong.headers));
    // A disabled account with the right password answers the same too.
    h.users.setDisabled(user.id, true);
    const disabled = await login(user.username, user.password);
    expect(disabled.status).toBe(401);
    expect(disabled.text).toBe(wrong.text);
  });

  it('[S6][CTL-02] unknown users cost the same scrypt work as known ones (timing within 2x)', { tags: ['S6', 'CTL-02'] }, async () => {
    const user = await h.createUser('clinician');
    const unknownTimes: number[] = [];
    const wrongTimes: number[] = [];
    for (let i = 0; i < 8; i++) {
      // Alternate, and never reach the lock threshold (3): a success in between clears the count.
      let start = performance.now();
      await login(`ghost-${i}`, 'whatever-password-1');
      unknownTimes.push(performance.now() - start);
      start = performance.now();
      await login(user.username, 'whatever-password-1');
      wrongTimes.push(performance.now() - start);
      await login(user.username, user.password);
    }
    const ratio = median(unknownTimes) / median(wrongTimes);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});

describe('lockout (S6)', () => {
  it('[S6][CTL-02] locks after auth.maxFailedLogins failures, 423 + Retry-After, doubling per lock; audited', { tags: ['S6', 'CTL-02', 'CTL-14'] }, async () => {
    const user = await h.createUser('clinician');
    expect((await login(user.username, 'wrong-password-11')).status).toBe(401);
    expect((await login(user.username, 'wrong-password-12')).status).toBe(401);
    const locking = await login(user.username, 'wrong-password-13');
    expect(locking.status).toBe(423);
    expect(locking.body['code']).toBe('ERR_AUTH_LOCKED');
    expect(locking.headers['retry-after']).toBe('60');
    // Even the right password is refused while locked.
    const locked = await login(user.username, user.password);
    expect(locked.status).toBe(423);
    h.clock.advance(61_000);
    for (let i = 0; i < 2; i++) expect((await login(user.username, 'wrong-password-14')).status).toBe(401);
    const second = await login(user.username, 'wrong-password-15');
    expect(second.status).toBe(423);
    expect(second.headers['retry-after']).toBe('120');
    h.clock.advance(121_000);
    expect((await login(user.username, user.password)).status).toBe(200);
    const lockouts = h.audit().filter((e) => e.event === 'auth.lockout' && e.actor === user.id);
    expect(lockouts).toHaveLength(2);
    expect(lockouts.every((e) => e.severity === 'high' && e.code === 'ERR_AUTH_LOCKED')).toBe(true);
  });

  it('[S6][CTL-02] an unknown name locks exactly like a known one (the lock is no oracle)', { tags: ['S6', 'CTL-02'] }, async () => {
    const user = await h.createUser('clinician');
    const known: Answer[] = [];
    const unknown: Answer[] = [];
    for (let i = 0; i < 4; i++) {
      known.push(await login(user.username, 'wrong-password-21'));
      unknown.push(await login('never-existed', 'wrong-password-21'));
    }
    expect(known.map((a) => a.status)).toEqual([401, 401, 423, 423]);
    expect(unknown.map((a) => a.status)).toEqual(known.map((a) => a.status));
    expect(unknown.map((a) => a.text)).toEqual(known.map((a) => a.text));
    expect(unknown.map((a) => a.headers['retry-after'])).toEqual(known.map((a) => a.headers['retry-after']));
  });

  it('[CTL-02] an admin can unlock a locked account', { tags: ['CTL-02'] }, async () => {
    const user = await h.createUser('clinician');
    for (let i = 0; i < 3; i++) await login(user.username, 'wrong-password-31');
    expect((await login(user.username, user.password)).status).toBe(423);
    const admin = await h.createUser('admin');
    const { accessToken } = await h.login(admin);
    expect((await h.request('POST', `/v1/users/${user.id}/unlock`, { token: accessToken })).status).toBe(204);
    expect((await login(user.username, user.password)).status).toBe(200);
  });
});

describe('TOTP second factor', () => {
  it('[CTL-02] admin, technician and auditor get a challenge, not tokens, and need the current code', { tags: ['CTL-02'] }, async () => {
    for (const role of ['admin', 'technician', 'auditor'] as const) {
      const user = await h.createUser(role);
      expect(user.totp).toBeDefined();
      const first = await login(user.username, user.password);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ mfaRequired: true, challenge: expect.stringMatching(/^mfa_/u), expiresIn: 300 });
      expect(first.body['accessToken']).toBeUndefined();
      const wrong = await h.request('POST', '/v1/session/mfa', { body: { challenge: first.body['challenge'], code: '000000' } });
      expect(wrong.status).toBe(401);
      expect(wrong.body['code']).toBe('ERR_AUTH_MFA_FAILED');
      // The challenge was single use: even the right code fails on it now.
      const reused = await h.request('POST', '/v1/session/mfa', { body: { challenge: first.body['challenge'], code: h.freshCode(user) } });
      expect(reused.status).toBe(401);
      const tokens = await h.login(user);
      expect(tokens.accessToken).toBeTypeOf('string');
    }
  });

  it('[CTL-02] a TOTP code is accepted once: replaying it (or an older one) is refused', { tags: ['CTL-02'] }, async () => {
    const user = await h.createUser('admin');
    const code = h.freshCode(user);
    const first = await login(user.username, user.password);
    expect((await h.request('POST', '/v1/session/mfa', { body: { challenge: first.body['challenge'], code } })).status).toBe(200);
    const again = await login(user.username, user.password);
    const replay = await h.request('POST', '/v1/session/mfa', { body: { challenge: again.body['challenge'], code } });
    expect(replay.status).toBe(401);
    expect(replay.body['code']).toBe('ERR_AUTH_MFA_FAILED');
    // The previous step's code is inside the ±1 window but older than the last accepted one.
    const previous = user.totp!.generate({ timestamp: h.clock.nowMs - 30_000 });
    const third = await login(user.username, user.password);
    expect((await h.request('POST', '/v1/session/mfa', { body: { challenge: third.body['challenge'], code: previous } })).status).toBe(401);
  });

  it('[CTL-02] wrong TOTP codes count towards the lockout', { tags: ['CTL-02'] }, async () => {
    const user = await h.createUser('technician');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const first = await login(user.username, user.password);
      statuses.push((await h.request('POST', '/v1/session/mfa', { body: { challenge: first.body['challenge'], code: '123456' } })).status);
    }
    expect(statuses).toEqual([401, 401, 423]);
    expect((await login(user.username, user.password)).status).toBe(423);
  });

  it('[CTL-02] a privileged user without an enrolled TOTP gets no tokens until an admin enrols one', { tags: ['CTL-02'] }, async () => {
    const user = await h.createUser('auditor');
    h.ctx.db.prepare('UPDATE users SET totp_secret_enc = NULL WHERE id = ?').run(user.id);
    const refused = await login(user.username, user.password);
    expect(refused.status).toBe(403);
    expect(refused.body['code']).toBe('ERR_AUTH_MFA_NOT_ENROLLED');
    const admin = await h.createUser('admin');
    const { accessToken } = await h.login(admin);
    const reset = await h.request('POST', `/v1/users/${user.id}/totp-reset`, { token: accessToken });
    expect(reset.status).toBe(200);
    expect(reset.body['totpUri']).toMatch(/^otpauth:\/\/totp\//u);
  });

  it('[CTL-02] clinicians need TOTP only when auth.mfaForClinicians is on', { tags: ['CTL-02'] }, async () => {
    const plain = await h.createUser('clinician');
    expect(plain.totp).toBeUndefined();
    expect((await login(plain.username, plain.password)).body['accessToken']).toBeTypeOf('string');
    const strict = await Harness.start({ 'auth.mfaForClinicians': true });
    try {
      const clinician = await strict.createUser('clinician');
      expect(clinician.totp).toBeDefined();
      const first = await strict.request('POST', '/v1/session/login', { body: { username: clinician.username, password: clinician.password } });
      expect(first.body['mfaRequired']).toBe(true);
      expect((await strict.login(clinician)).accessToken).toBeTypeOf('string');
      const patient = await strict.createUser('patient');
      expect(patient.totp).toBeUndefined();
    } finally {
      await strict.close();
    }
  });
});

describe('accounts, banner, limits', () => {
  it('[S7][CTL-02] a fresh store has no users, and no default credentials log in', { tags: ['S7', 'CTL-02'] }, async () => {
    const fresh = await Harness.start();
    try {
      expect(fresh.users.count()).toBe(0);
      for (const [username, password] of [
        ['admin', 'admin'],
        ['admin', 'password'],
        ['root', 'root'],
        ['medsim', 'medsim'],
      ] as const) {
        expect((await fresh.request('POST', '/v1/session/login', { body: { username, password } })).status).toBe(401);
      }
    } finally {
      await fresh.close();
    }
  });

  it('[CTL-02] the login banner (IEC 62443 CR 1.12) is served before login', { tags: ['CTL-02'] }, async () => {
    const answer = await h.request('GET', '/v1/session/banner');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ banner: 'Authorised clinical use only. Activity is audited.' });
  });

  it('[CTL-16][CTL-02] logins per address are limited: 429 ERR_AUTH_RATE_LIMITED with Retry-After, audited once', { tags: ['CTL-16', 'CTL-02'] }, async () => {
    const limited = await Harness.start({ 'auth.loginsPerMinute': 3 });
    try {
      const statuses: number[] = [];
      let last: Answer | undefined;
      for (let i = 0; i < 5; i++) {
        last = await limited.request('POST', '/v1/session/login', { body: { username: `n${i}`, password: 'whatever-password-1' } });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      expect(last!.body['code']).toBe('ERR_AUTH_RATE_LIMITED');
      expect(Number(last!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // Other routes are not under the login limit.
      expect((await limited.request('GET', '/v1/session/banner')).status).toBe(200);
      expect(limited.audit().filter((e) => e.event === 'auth.rate-limited')).toHaveLength(1);
      limited.clock.advance(60_000);
      expect((await limited.request('POST', '/v1/session/login', { body: { username: 'n9', password: 'whatever-password-1' } })).status).toBe(401);
    } finally {
      await limited.close();
    }
  });

  it('[CTL-16] every request counts against http.requestsPerMinute per address', { tags: ['CTL-16'] }, async () => {
    const limited = await Harness.start({ 'http.requestsPerMinute': 5 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await limited.request('GET', '/healthz')).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});
