/** The live-stream WebSocket over real TLS (S8, CTL-01, CTL-06, CTL-16). */
import { setImmediate as tick } from 'node:timers/promises';
import { request as httpRequest } from 'node:http';
import type { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadingJson } from '../../src/store/readings.js';
import { Harness, StreamClient, type TestUser } from './fixtures.js';

let h: Harness;
let patientId = '';
let clinician: TestUser;

beforeAll(async () => {
  h = await Harness.start({}, { stream: { authTimeoutMs: 300, maxBufferedBytes: 64 * 1024 } });
  patientId = h.users.createPatient('Streamed Patient').id;
  clinician = await h.createUser('clinician');
  h.users.assignCareTeam(clinician.id, patientId, 'test');
});
afterAll(async () => h.close());

let readingId = 0;
/** A reading as the feed announces it; `extra` pads it (the stream forwards the object as is). */
const reading = (patient: string, extra: Record<string, unknown> = {}): ReadingJson => ({
  id: (readingId += 1),
  patientId: patient,
  deviceId: 'pulse-ox-0001',
  kind: 'other',
  measuredAt: new Date(h.clock.nowMs).toISOString(),
  receivedAt: new Date(h.clock.nowMs).toISOString(),
  ...extra,
});

async function connect(user: TestUser, token?: string): Promise<StreamClient> {
  const client = new StreamClient(await h.openStream());
  client.send({ type: 'auth', token: token ?? (await h.login(user)).accessToken });
  await client.next((m) => m['type'] === 'authenticated');
  return client;
}

const refusedUpgrade = async (open: Promise<WebSocket>): Promise<string> => {
  try {
    const socket = await open;
    socket.terminate();
    return 'opened';
  } catch (error) {
    return (error as Error).message;
  }
};

describe('handshake (S8)', () => {
  it('[S8][CTL-06] the stream is WSS only: plaintext ws:// and http:// to the port get no service', { tags: ['S8', 'CTL-06'] }, async () => {
    expect(await refusedUpgrade(h.openStream({ protocol: 'ws' }))).not.toBe('opened');
    const plain = await new Promise<string>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port: h.port, path: '/healthz' }, (res) => resolve(`status ${res.statusCode}`));
      req.on('error', (error) => resolve(error.message));
      req.end();
    });
    expect(plain).not.toBe('status 200');
  });

  it('[S8] the Origin is checked before the upgrade: foreign, missing and http origins are refused (403)', { tags: ['S8'] }, async () => {
    for (const origin of ['https://evil.example', null, `http://127.0.0.1:${h.port}`, `https://127.0.0.1:${h.port + 1}`, 'null']) {
      expect(await refusedUpgrade(h.openStream({ origin }))).toMatch(/403/u);
    }
    expect(h.audit().filter((e) => e.event === 'access.denied' && e.object === 'stream-origin').length).toBeGreaterThanOrEqual(5);
    const own = await h.openStream();
    own.terminate();
  });

  it('[S8] an allowed-origins list replaces the same-host rule', { tags: ['S8'] }, async () => {
    const listed = await Harness.start({ 'http.allowedOrigins': 'https://dashboard.example, https://ward.example' });
    try {
      (await listed.openStream({ origin: 'https://ward.example' })).terminate();
      expect(await refusedUpgrade(listed.openStream())).toMatch(/403/u);
    } finally {
      await listed.close();
    }
  });

  it('[S8] a token in the query string is never used: the socket must still authenticate in time or is closed 4401', { tags: ['S8', 'CTL-04'] }, async () => {
    const { accessToken } = await h.login(clinician);
    const client = new StreamClient(await h.openStream({ path: `/v1/stream?token=${accessToken}&access_token=${accessToken}` }));
    const closed = await client.closed;
    expect(closed).toMatchObject({ code: 4401, reason: 'ERR_AUTH_TOKEN_INVALID' });
    expect(client.messages).toEqual([]);
  });

  it('[S8] anything but an auth message first, a bad token, bad JSON and oversized frames close the socket', { tags: ['S8', 'CTL-09'] }, async () => {
    const early = new StreamClient(await h.openStream());
    early.send({ type: 'subscribe', patientId });
    expect(await early.closed).toMatchObject({ code: 4401, reason: 'ERR_AUTH_TOKEN_INVALID' });
    const forged = new StreamClient(await h.openStream());
    forged.send({ type: 'auth', token: 'e30.e30.AAAA' });
    expect(await forged.closed).toMatchObject({ code: 4401, reason: 'ERR_AUTH_TOKEN_INVALID' });
    const garbage = new StreamClient(await h.openStream());
    garbage.socket.send('{not json');
    expect(await garbage.closed).toMatchObject({ code: 4400, reason: 'ERR_BAD_REQUEST' });
    const huge = new StreamClient(await h.openStream());
    huge.send({ type: 'auth', token: 'x'.repeat(10_000) });
    expect((await huge.closed).code).toBe(1009);
  });
});

describe('subscriptions and pushes', () => {
  it('[CTL-01][S9] subscriptions are authorised like the readings route; pushes reach only subscribers of that patient', { tags: ['CTL-01', 'S9'] }, async () => {
    const other = h.users.createPatient('Other Patient').id;
    const watcher = await connect(clinician);
    watcher.send({ type: 'subscribe', patientId });
    expect(await watcher.next((m) => m['type'] === 'subscribed')).toEqual({ type: 'subscribed', patientId });
    watcher.send({ type: 'subscribe', patientId: other });
    expect(await watcher.next((m) => m['type'] === 'error')).toEqual({ type: 'error', code: 'ERR_FORBIDDEN', patientId: other });
    const technician = await connect(await h.createUser('technician'));
    technician.send({ type: 'subscribe', patientId });
    expect(await technician.next((m) => m['type'] === 'error')).toMatchObject({ code: 'ERR_FORBIDDEN' });
    const self = await h.createUser('patient', { patientId });
    const own = await connect(self);
    own.send({ type: 'subscribe', patientId });
    await own.next((m) => m['type'] === 'subscribed');

    h.ctx.feed.emit('reading', reading(patientId));
    h.ctx.feed.emit('reading', reading(other));
    h.ctx.feed.emit('reading', reading(patientId));
    const pushed = await watcher.next((m) => m['type'] === 'readings');
    expect(pushed['patientId']).toBe(patientId);
    expect((pushed['readings'] as ReadingJson[]).map((r) => r.patientId)).toEqual([patientId, patientId]);
    await own.next((m) => m['type'] === 'readings');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(technician.messages.some((m) => m['type'] === 'readings')).toBe(false);
    expect(watcher.messages.filter((m) => m['type'] === 'readings').every((m) => m['patientId'] === patientId)).toBe(true);
    for (const c of [watcher, technician, own]) c.socket.close();
  });

  it('[CTL-01] a care-team removal stops the flow at the next push batch', { tags: ['CTL-01'] }, async () => {
    const nurse = await h.createUser('clinician');
    h.users.assignCareTeam(nurse.id, patientId, 'test');
    const client = await connect(nurse);
    client.send({ type: 'subscribe', patientId });
    await client.next((m) => m['type'] === 'subscribed');
    h.users.unassignCareTeam(nurse.id, patientId);
    h.ctx.feed.emit('reading', reading(patientId));
    expect(await client.next((m) => m['type'] === 'unsubscribed')).toEqual({ type: 'unsubscribed', patientId, code: 'ERR_FORBIDDEN' });
    expect(client.messages.some((m) => m['type'] === 'readings')).toBe(false);
    client.socket.close();
  });

  it('[S4][CTL-04] a session that idled out is closed at the next push batch (4002 ERR_SESSION_EXPIRED)', { tags: ['S4', 'CTL-04'] }, async () => {
    const nurse = await h.createUser('clinician');
    h.users.assignCareTeam(nurse.id, patientId, 'test');
    const client = await connect(nurse);
    client.send({ type: 'subscribe', patientId });
    await client.next((m) => m['type'] === 'subscribed');
    h.clock.advance((h.ctx.config['auth.idleTimeoutS'] + 1) * 1000);
    h.ctx.feed.emit('reading', reading(patientId));
    expect(await client.closed).toMatchObject({ code: 4002, reason: 'ERR_SESSION_EXPIRED' });
  });

  it('[CTL-16] a client that stops reading is dropped once its unsent data passes the limit', { tags: ['CTL-16'] }, async () => {
    const client = await connect(clinician);
    client.send({ type: 'subscribe', patientId });
    await client.next((m) => m['type'] === 'subscribed');
    const raw = (client.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    raw.pause();
    const bulk = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 400; i++) {
      h.ctx.feed.emit('reading', reading(patientId, { kind: 'other', padding: bulk }));
      await tick();
      if (h.logs.text.includes('ERR_STREAM_TOO_SLOW')) break;
    }
    expect(h.logs.text).toContain('ERR_STREAM_TOO_SLOW');
    raw.resume();
    const closed = await client.closed;
    expect([1006, 1013]).toContain(closed.code);
  });
});
