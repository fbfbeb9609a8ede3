/**
 * Sessions over real TLS (CTL-03, CTL-04, CTL-18; S1-S5): single session (replace and reject,
 * with the race), logout, timeouts on the controlled clock, credential changes, refresh
 * rotation with reuse detection, break-glass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/user-plane/sessions/session-store.js';
import { Harness, StreamClient, type Answer, type TestUser } from './fixtures.js';

let h: Harness;

beforeAll(async () => {
  h = await Harness.start({ 'auth.idleTimeoutS': 120, 'auth.absoluteLifetimeS': 600, 'auth.breakGlassMaxS': 120 });
});
afterAll(async () => h.close());

const me = (token: string): Promise<Answer> => h.request('GET', '/v1/session/me', { token });
const sidOf = (token: string): string => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;
const liveSessions = (userId: string): number =>
  (h.ctx.db.prepare('SELECT count(*) AS n FROM sessions WHERE user_id = ? AND ended_at IS NULL').get(userId) as { n: number }).n;

async function authenticatedStream(harness: Harness, token: string): Promise<StreamClient> {
  const client = new StreamClient(await harness.openStream());
  client.send({ type: 'auth', token });
  await client.next((m) => m['type'] === 'authenticated');
  return client;
}

describe('logout and re-login', () => {
  it('[S1][CTL-04] after logout the access and refresh tokens are refused', { tags: ['S1', 'CTL-04'] }, async () => {
    const user = await h.createUser('clinician');
    const tokens = await h.login(user);
    expect((await me(tokens.accessToken)).status).toBe(200);
    expect((await h.request('POST', '/v1/session/logout', { token: tokens.accessToken })).status).toBe(204);
    const replay = await me(tokens.accessToken);
    expect(replay.status).toBe(401);
    expect(replay.body['code']).toBe('ERR_SESSION_ENDED');
    expect((await h.request('POST', '/v1/session/refresh', { body: { refreshToken: tokens.refreshToken } })).status).toBe(401);
    expect(h.audit().some((e) => e.event === 'session.logout' && e.actor === user.id)).toBe(true);
  });

  it('[S5][CTL-04] a new login gets a new session id; the old one is dead', { tags: ['S5', 'CTL-04'] }, async () => {
    const user = await h.createUser('clinician');
    const first = await h.login(user);
    const second = await h.login(user);
    expect(sidOf(second.accessToken)).not.toBe(sidOf(first.accessToken));
    expect((await me(first.accessToken)).status).toBe(401);
    expect((await me(second.accessToken)).body['session']).toMatchObject({ id: sidOf(second.accessToken) });
  });
});

describe('single session (MFDS 1.2)', () => {
  it('[S2][CTL-03] replace: the old token gets 401 ERR_SESSION_SUPERSEDED and its WebSocket closes within 1 s (4001)', { tags: ['S2', 'CTL-03'] }, async () => {
    const user = await h.createUser('clinician');
    const old = await h.login(user);
    const stream = await authenticatedStream(h, old.accessToken);
    const started = performance.now();
    const fresh = await h.login(user);
    const closed = await stream.closed;
    expect(closed.code).toBe(4001);
    expect(closed.reason).toBe('ERR_SESSION_SUPERSEDED');
    expect(closed.at - started).toBeLessThan(1000);
    const answer = await me(old.accessToken);
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ code: 'ERR_SESSION_SUPERSEDED', message: expect.any(String) });
    expect((await me(fresh.accessToken)).status).toBe(200);
    const supersede = h.audit().filter((e) => e.event === 'session.supersede' && e.actor === user.id);
    expect(supersede).toHaveLength(1);
    expect(supersede[0]).toMatchObject({ object: sidOf(old.accessToken), code: 'ERR_SESSION_SUPERSEDED' });
    expect(liveSessions(user.id)).toBe(1);
  });

  it('[CTL-03] replace: 20 parallel logins leave exactly one live session and one working token', { tags: ['CTL-03'] }, async () => {
    const user = await h.createUser('clinician');
    const answers = await Promise.all(Array.from({ length: 20 }, () => h.request('POST', '/v1/session/login', { body: { username: user.username, password: user.password } })));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(liveSessions(user.id)).toBe(1);
    const working = await Promise.all(answers.map(async (a) => (await me(a.body['accessToken'] as string)).status));
    expect(working.filter((s) => s === 200)).toHaveLength(1);
  });

  it('[CTL-03] reject: a second login gets 409 ERR_SESSION_ACTIVE (audited); the race leaves one session', { tags: ['CTL-03', 'CTL-14'] }, async () => {
    const strict = await Harness.start({ 'auth.sessionPolicy': 'reject', 'auth.idleTimeoutS': 60, 'auth.absoluteLifetimeS': 600 });
    try {
      const user = await strict.createUser('clinician');
      const first = await strict.login(user);
      const second = await strict.request('POST', '/v1/session/login', { body: { username: user.username, password: user.password } });
      expect(second.status).toBe(409);
      expect(second.body['code']).toBe('ERR_SESSION_ACTIVE');
      expect((await strict.request('GET', '/v1/session/me', { token: first.accessToken })).status).toBe(200);
      expect(strict.audit().some((e) => e.event === 'session.reject' && e.actor === user.id && e.code === 'ERR_SESSION_ACTIVE')).toBe(true);
      // An MFA user is refused at the password step already (no challenge issued).
      const admin = await strict.createUser('admin');
      await strict.login(admin);
      expect((await strict.request('POST', '/v1/session/login', { body: { username: admin.username, password: admin.password } })).status).toBe(409);
      // An idle session does not count.
      strict.clock.advance(61_000);
      expect((await strict.request('POST', '/v1/session/login', { body: { username: user.username, password: user.password } })).status).toBe(200);
      // Race: 20 parallel logins for a user without a session: one wins.
      const racer = await strict.createUser('clinician');
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => strict.request('POST', '/v1/session/login', { body: { username: racer.username, password: racer.password } })),
      );
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 409)).toHaveLength(19);
      expect((strict.ctx.db.prepare('SELECT count(*) AS n FROM sessions WHERE user_id = ? AND ended_at IS NULL').get(racer.id) as { n: number }).n).toBe(1);
    } finally {
      await strict.close();
    }
  });
});

describe('timeouts on the controlled clock (S4)', () => {
  it('[S4][CTL-04] a session idle longer than auth.idleTimeoutS ends: 401 ERR_SESSION_EXPIRED', { tags: ['S4', 'CTL-04'] }, async () => {
    const user = await h.createUser('clinician');
    const { accessToken } = await h.login(user);
    h.clock.advance(100_000);
    expect((await me(accessToken)).status).toBe(200);
    h.clock.advance(100_000);
    expect((await me(accessToken)).status).toBe(200);
    h.clock.advance(121_000);
    const answer = await me(accessToken);
    expect(answer.status).toBe(401);
    expect(answer.body['code']).toBe('ERR_SESSION_EXPIRED');
    expect(h.ctx.db.prepare('SELECT end_reason FROM sessions WHERE id = ?').get(sidOf(accessToken))).toEqual({ end_reason: 'idle' });
  });

  it('[S4][CTL-04] a session ends at auth.absoluteLifetimeS even while in use', { tags: ['S4', 'CTL-04'] }, async () => {
    const user = await h.createUser('clinician');
    let tokens = await h.login(user);
    for (let t = 0; t < 5; t++) {
      h.clock.advance(100_000);
      const refreshed = await h.request('POST', '/v1/session/refresh', { body: { refreshToken: tokens.refreshToken } });
      expect(refreshed.status).toBe(200);
      tokens = refreshed.body as unknown as typeof tokens;
    }
    h.clock.advance(101_000);
    const answer = await me(tokens.accessToken);
    expect(answer.status).toBe(401);
    expect(answer.body['code']).toBe('ERR_SESSION_EXPIRED');
    expect((await h.request('POST', '/v1/session/refresh', { body: { refreshToken: tokens.refreshToken } })).status).toBe(401);
  });
});

describe('credential and role changes (S3)', () => {
  it('[S3][CTL-04] disable, role change, password reset and TOTP reset each end the user\'s session at once', { tags: ['S3', 'CTL-04'] }, async () => {
    const admin = await h.createUser('admin');
    const adminTokens = await h.login(admin);
    const actions: [string, string, unknown][] = [
      ['POST', 'disable', undefined],
      ['PUT', 'role', { role: 'technician' }],
      ['POST', 'password-reset', undefined],
      ['POST', 'totp-reset', undefined],
    ];
    for (const [method, action, body] of actions) {
      const victim: TestUser = await h.createUser('clinician');
      const { accessToken, refreshToken } = await h.login(victim);
      const stream = await authenticatedStream(h, accessToken);
      const done = await h.request(method, `/v1/users/${victim.id}/${action}`, { token: adminTokens.accessToken, ...(body === undefined ? {} : { body }) });
      expect(done.status, action).toBeLessThan(300);
      const answer = await me(accessToken);
      expect(answer.status, action).toBe(401);
      expect(answer.body['code'], action).toBe('ERR_SESSION_ENDED');
      expect((await h.request('POST', '/v1/session/refresh', { body: { refreshToken } })).status, action).toBe(401);
      expect((await stream.closed).code, action).toBe(4002);
    }
    const events = h.audit().map((e) => e.event);
    for (const event of ['user.disable', 'user.role-change', 'user.password-reset', 'user.totp-reset']) expect(events).toContain(event);
  });

  it('[S3][CTL-04] changing one\'s own password checks the current one and ends the session', { tags: ['S3', 'CTL-04'] }, async () => {
    const user = await h.createUser('clinician');
    const { accessToken } = await h.login(user);
    const wrong = await h.request('POST', '/v1/session/password', { token: accessToken, body: { currentPassword: 'not-my-password-1', newPassword: 'a-brand-new-passphrase-9' } });
    expect(wrong.status).toBe(401);
    const changed = await h.request('POST', '/v1/session/password', { token: accessToken, body: { currentPassword: user.password, newPassword: 'a-brand-new-passphrase-9' } });
    expect(changed.status).toBe(204);
    expect((await me(accessToken)).status).toBe(401);
    expect((await h.request('POST', '/v1/session/login', { body: { username: user.username, password: user.password } })).status).toBe(401);
    expect((await h.request('POST', '/v1/session/login', { body: { username: user.username, password: 'a-brand-new-passphrase-9' } })).status).toBe(200);
  });
});

describe('refresh tokens', () => {
  it('[CTL-04] rotate on use; presenting a used one revokes the family and ends the session (audited high)', { tags: ['CTL-04', 'CTL-14'] }, async () => {
    const user = await h.createUser('clinician');
    const first = await h.login(user);
    const rotated = await h.request('POST', '/v1/session/refresh', { body: { refreshToken: first.refreshToken } });
    expect(rotated.status).toBe(200);
    const second = rotated.body as { accessToken: string; refreshToken: string };
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(sidOf(second.accessToken)).toBe(sidOf(first.accessToken));
    expect((await me(second.accessToken)).status).toBe(200);
    const reuse = await h.request('POST', '/v1/session/refresh', { body: { refreshToken: first.refreshToken } });
    expect(reuse.status).toBe(401);
    expect(reuse.body['code']).toBe('ERR_AUTH_REFRESH_REUSED');
    expect((await h.request('POST', '/v1/session/refresh', { body: { refreshToken: second.refreshToken } })).status).toBe(401);
    const after = await me(second.accessToken);
    expect(after.status).toBe(401);
    expect(after.body['code']).toBe('ERR_SESSION_ENDED');
    const alarm = h.audit().find((e) => e.event === 'session.refresh-reuse' && e.actor === user.id);
    expect(alarm).toMatchObject({ severity: 'high', outcome: 'denied', code: 'ERR_AUTH_REFRESH_REUSED' });
    const stored = h.ctx.db.prepare('SELECT token_hash FROM refresh_tokens').all() as { token_hash: Buffer }[];
    expect(stored.every((row) => row.token_hash.length === 32)).toBe(true);
  });

  it('[CTL-04] unknown, malformed and expired refresh tokens are refused', { tags: ['CTL-04'] }, async () => {
    for (const refreshToken of ['rt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'garbage', 'rt_']) {
      const answer = await h.request('POST', '/v1/session/refresh', { body: { refreshToken } });
      expect(answer.status).toBe(401);
      expect(answer.body['code']).toBe('ERR_AUTH_TOKEN_INVALID');
    }
  });
});

describe('break-glass (CTL-18)', () => {
  it('[CTL-18] grants time-limited read access to one patient with a reason, audited high, and lapses by itself', { tags: ['CTL-18', 'CTL-01', 'CTL-14'] }, async () => {
    const clinician = await h.createUser('clinician');
    const patient = h.users.createPatient('Emergency Case');
    const other = h.users.createPatient('Someone Else');
    const { accessToken } = await h.login(clinician);
    const readings = (id: string): Promise<Answer> => h.request('GET', `/v1/patients/${id}/readings`, { token: accessToken });
    expect((await readings(patient.id)).status).toBe(403);
    const noReason = await h.request('POST', '/v1/session/break-glass', { token: accessToken, body: { patientId: patient.id, reason: 'because' } });
    expect(noReason.status).toBe(400);
    const granted = await h.request('POST', '/v1/session/break-glass', {
      token: accessToken,
      body: { patientId: patient.id, reason: 'Unresponsive patient in ward 3, covering clinician' },
    });
    expect(granted.status).toBe(200);
    expect(granted.body).toEqual({ patientId: patient.id, until: new Date(h.clock.nowMs + 120_000).toISOString() });
    expect((await readings(patient.id)).status).toBe(200);
    expect((await readings(other.id)).status).toBe(403);
    expect(h.audit().find((e) => e.event === 'access.break-glass' && e.actor === clinician.id)).toMatchObject({ severity: 'high', object: patient.id });
    const row = h.ctx.db.prepare('SELECT break_glass_patient, break_glass_reason FROM sessions WHERE id = ?').get(sidOf(accessToken)) as Record<string, string>;
    expect(row['break_glass_patient']).toBe(patient.id);
    // The reason is kept for review, sealed at rest (it may describe the patient).
    expect(row['break_glass_reason']).not.toContain('ward');
    const reviewer = new SessionStore(h.ctx.db, h.ctx.dataKey, h.clock.now, { idleMs: 1, absoluteMs: 1 });
    expect(reviewer.breakGlassReason(sidOf(accessToken))).toBe('Unresponsive patient in ward 3, covering clinician');
    h.clock.advance(60_000);
    expect((await readings(patient.id)).status).toBe(200);
    h.clock.advance(61_000);
    expect((await readings(patient.id)).status).toBe(403);
    expect((await me(accessToken)).body['breakGlass']).toBeNull();
  });

  it('[CTL-18][CTL-01] only clinicians may break the glass', { tags: ['CTL-18', 'CTL-01'] }, async () => {
    const patient = h.users.createPatient('Target');
    for (const role of ['patient', 'technician', 'admin', 'auditor'] as const) {
      const user = await h.createUser(role);
      const { accessToken } = await h.login(user);
      const answer = await h.request('POST', '/v1/session/break-glass', { token: accessToken, body: { patientId: patient.id, reason: 'I would like to look at this' } });
      expect(answer.status, role).toBe(403);
    }
  });
});
