/**
 * The HTTP surface over real TLS (CTL-06, CTL-09, CTL-14, CTL-17, CTL-23): transport, headers,
 * error answers, size limits, generated documents, readings paging, devices, audit routes.
 */
import { ContentType } from '@medsim/protocol';
import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportAuditLog } from '../../src/audit/audit-log.js';
import { renderAccessControl, ACCESS_CONTROL_PATH } from '../../src/user-plane/access-control-doc.js';
import { buildOpenApiDocument, renderOpenApi, OPENAPI_PATH } from '../../src/user-plane/openapi.js';
import { SECURITY_HEADERS } from '../../src/user-plane/security-headers.js';
import { Harness, enrolmentRequest, type Answer } from './fixtures.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
let h: Harness;
let adminToken = '';
let auditorToken = '';
let clinicianToken = '';
let patientId = '';

beforeAll(async () => {
  h = await Harness.start({ 'http.bodyLimitBytes': 2048 });
  adminToken = (await h.login(await h.createUser('admin'))).accessToken;
  auditorToken = (await h.login(await h.createUser('auditor'))).accessToken;
  const clinician = await h.createUser('clinician');
  clinicianToken = (await h.login(clinician)).accessToken;
  patientId = h.users.createPatient('Paged Patient').id;
  h.users.assignCareTeam(clinician.id, patientId, 'test');
});
afterAll(async () => h.close());

const expectHeaders = (answer: Answer): void => {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(answer.headers[name], name).toBe(value);
  expect(answer.headers['x-powered-by']).toBeUndefined();
  expect(answer.headers['server']).toBeUndefined();
};

describe('transport and headers', () => {
  it('[CTL-06] TLS 1.3 only: a TLS 1.2 client is refused, 1.3 is served', { tags: ['CTL-06'] }, async () => {
    const handshake = (maxVersion: 'TLSv1.2' | 'TLSv1.3'): Promise<string> =>
      new Promise((resolve) => {
        const socket = connect({ host: '127.0.0.1', port: h.port, ca: h.ctx.tls.caPem, maxVersion }, () => {
          resolve(socket.getProtocol() ?? 'none');
          socket.end();
        });
        socket.on('error', (error) => resolve(`refused: ${error.message}`));
      });
    expect(await handshake('TLSv1.3')).toBe('TLSv1.3');
    expect(await handshake('TLSv1.2')).toMatch(/^refused/u);
  });

  it('[CTL-17] security headers are on successes, errors and 404s; /healthz says nothing more than ok', { tags: ['CTL-17'] }, async () => {
    const health = await h.request('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
    for (const answer of [health, await h.request('GET', '/v1/nothing'), await h.request('GET', '/v1/session/me'), await h.request('GET', '/v1/patients', { token: clinicianToken })]) {
      expectHeaders(answer);
    }
  });
});

describe('error answers (CTL-23, CTL-09)', () => {
  it('[CTL-23][CTL-09] malformed, unknown-member, wrong-type and wrong-media bodies get { code, message } problems', { tags: ['CTL-23', 'CTL-09'] }, async () => {
    const answers = [
      await h.request('POST', '/v1/session/login', { raw: '{"username": "a", ', headers: { 'content-type': 'application/json' } }),
      await h.request('POST', '/v1/session/login', { body: { username: 'a', password: 'b', admin: true } }),
      await h.request('POST', '/v1/session/login', { body: { username: ['a'], password: 'b' } }),
      await h.request('POST', '/v1/session/login', { raw: '{"username":"a","password":"b","__proto__":{"x":1}}', headers: { 'content-type': 'application/json' } }),
      await h.request('GET', `/v1/patients/${patientId}/readings?limit=1001`, { token: clinicianToken }),
      await h.request('GET', '/v1/patients/not-a-uuid/readings', { token: clinicianToken }),
    ];
    for (const answer of answers) {
      expect(answer.status, answer.text).toBe(400);
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/u);
      expect(Object.keys(answer.body).sort()).toEqual(['code', 'message']);
      expect(answer.body['code']).toBe('ERR_BAD_REQUEST');
    }
    const media = await h.request('POST', '/v1/session/login', { raw: 'username=a', headers: { 'content-type': 'text/plain' } });
    expect(media.status).toBe(415);
    expect(media.body['code']).toBe('ERR_BAD_REQUEST');
  });

  it('[CTL-09][CTL-16] a body over http.bodyLimitBytes is refused with 413 ERR_REQUEST_TOO_LARGE', { tags: ['CTL-09', 'CTL-16'] }, async () => {
    const answer = await h.request('POST', '/v1/session/login', { body: { username: 'a', password: 'p'.repeat(4096) } });
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({ code: 'ERR_REQUEST_TOO_LARGE', message: expect.any(String) });
  });

  it('[CTL-23] an unexpected fault is answered 500 ERR_INTERNAL with no internals; the log keeps the cause', { tags: ['CTL-23'] }, async () => {
    const original = h.ctx.readings.forPatient.bind(h.ctx.readings);
    h.ctx.readings.forPatient = () => {
      throw new Error('SQLITE_CANARY at /srv/medsim/gateway.db line 42');
    };
    try {
      const answer = await h.request('GET', `/v1/patients/${patientId}/readings`, { token: clinicianToken });
      expect(answer.status).toBe(500);
      expect(answer.body).toEqual({ code: 'ERR_INTERNAL', message: 'the request could not be completed' });
      expect(answer.text).not.toContain('CANARY');
      expect(answer.text).not.toMatch(/at .*\.ts:\d+/u);
      expect(h.logs.text).toContain('SQLITE_CANARY');
    } finally {
      h.ctx.readings.forPatient = original;
    }
  });
});

describe('generated documents', () => {
  it('[CTL-17] the OpenAPI document is served at /v1/openapi.json and committed unchanged (run npm run docs after a change)', { tags: ['CTL-17'] }, async () => {
    expect(readFileSync(`${root}${OPENAPI_PATH}`, 'utf8')).toBe(renderOpenApi());
    const served = await h.request('GET', '/v1/openapi.json');
    expect(served.status).toBe(200);
    expect(served.body).toEqual(JSON.parse(renderOpenApi()));
    const document = buildOpenApiDocument() as { openapi: string; paths: Record<string, Record<string, { security: unknown[]; 'x-permission': string }>> };
    expect(document.openapi).toBe('3.1.0');
    for (const operations of Object.values(document.paths)) {
      for (const operation of Object.values(operations)) expect(operation.security.length === 0).toBe(operation['x-permission'] === 'public');
    }
  });

  it('[CTL-01] docs/access-control.md is the permission matrix as the code has it (run npm run docs after a change)', { tags: ['CTL-01'] }, () => {
    expect(readFileSync(`${root}${ACCESS_CONTROL_PATH}`, 'utf8')).toBe(renderAccessControl());
  });
});

describe('readings', () => {
  it('[CTL-01][CTL-09] readings page by cursor within a time range, at most 1000 per page', { tags: ['CTL-01', 'CTL-09'] }, async () => {
    const base = h.clock.nowMs;
    for (let i = 0; i < 5; i++) {
      h.ctx.readings.insert({
        deviceId: 'pulse-ox-0001',
        keyId: Buffer.alloc(8, 1),
        streamId: 1,
        sequence: i,
        patientId,
        contentType: ContentType.CONTENT_TYPE_ALARM,
        measuredAtMs: base + i * 1000,
        receivedAtMs: base + i * 1000,
        payload: Buffer.from([i]),
      });
    }
    const page = (query: string): Promise<Answer> => h.request('GET', `/v1/patients/${patientId}/readings?${query}`, { token: clinicianToken });
    const first = await page('limit=2');
    expect(first.status).toBe(200);
    const readings = first.body['readings'] as { id: number; kind: string; measuredAt: string }[];
    expect(readings).toHaveLength(2);
    expect(readings[0]).toMatchObject({ kind: 'alarm', patientId, deviceId: 'pulse-ox-0001' });
    const second = await page(`limit=2&after=${String(first.body['next'])}`);
    expect((second.body['readings'] as unknown[]).length).toBe(2);
    const last = await page(`limit=2&after=${String(second.body['next'])}`);
    expect(last.body).toMatchObject({ next: null });
    expect((last.body['readings'] as unknown[]).length).toBe(1);
    const from = new Date(base + 1000).toISOString();
    const to = new Date(base + 3000).toISOString();
    const ranged = await page(`from=${from}&to=${to}`);
    expect((ranged.body['readings'] as { measuredAt: string }[]).map((r) => r.measuredAt)).toEqual([from, new Date(base + 2000).toISOString()]);
  });
});

describe('devices over HTTPS', () => {
  it('[CTL-05][CTL-14] token → enrol → list → revoke; a used token is refused; each step audited', { tags: ['CTL-05', 'CTL-14'] }, async () => {
    const created = await h.request('POST', '/v1/devices/enrolment-tokens', { token: adminToken, body: { deviceId: 'pump-0042', model: 'insulin-pump', patientId } });
    expect(created.status).toBe(201);
    const token = created.body['token'] as string;
    const request = await enrolmentRequest(token, 'pump-0042');
    const enrolled = await h.request('POST', '/v1/devices/enrol', { body: request });
    expect(enrolled.status).toBe(201);
    expect(enrolled.body['certificatePem']).toMatch(/^-----BEGIN CERTIFICATE-----/u);
    expect(enrolled.body['caCertificatePem']).toBe(h.ctx.tls.caPem);
    const again = await h.request('POST', '/v1/devices/enrol', { body: request });
    expect(again.status).toBe(401);
    expect(again.body['code']).toBe('ERR_ENROLMENT_TOKEN_INVALID');
    const device = await h.request('GET', '/v1/devices/pump-0042', { token: adminToken });
    expect(device.body).toMatchObject({ id: 'pump-0042', status: 'enrolled', patientId });
    expect((await h.request('POST', '/v1/devices/pump-0042/revoke', { token: adminToken })).status).toBe(204);
    expect((await h.request('GET', '/v1/devices', { token: adminToken })).body['devices']).toEqual([expect.objectContaining({ id: 'pump-0042', status: 'revoked' })]);
    const unknown = await h.request('GET', '/v1/devices/pump-9999', { token: adminToken });
    expect(unknown.status).toBe(404);
    expect(unknown.body['code']).toBe('ERR_DEVICE_UNKNOWN');
    const events = h.audit().map((e) => e.event);
    for (const event of ['device.enrolment-token', 'device.enrol', 'device.revoke']) expect(events).toContain(event);
    expect(JSON.stringify(h.audit())).not.toContain(token);
  });
});

describe('audit routes (CTL-14)', () => {
  it('[CTL-14] the auditor queries with filters and pages; the export is the chain as JSON lines', { tags: ['CTL-14'] }, async () => {
    const logins = await h.request('GET', '/v1/audit?event=auth.login&limit=2', { token: auditorToken });
    expect(logins.status).toBe(200);
    const entries = logins.body['entries'] as { seq: number; event: string }[];
    expect(entries).toHaveLength(2);
    expect(entries.every((e) => e.event === 'auth.login')).toBe(true);
    const next = await h.request('GET', `/v1/audit?event=auth.login&after=${String(logins.body['next'])}`, { token: auditorToken });
    expect((next.body['entries'] as { seq: number }[])[0]!.seq).toBeGreaterThan(entries[1]!.seq);
    const exported = await h.request('GET', '/v1/audit/export', { token: auditorToken });
    expect(exported.status).toBe(200);
    expect(exported.headers['content-type']).toMatch(/^application\/x-ndjson/u);
    expectHeaders(exported);
    const lines = exported.text.trimEnd().split('\n');
    const chain = [...exportAuditLog(h.ctx.db)];
    expect(lines).toEqual(chain.slice(0, lines.length));
    expect(chain.slice(0, lines.length).some((line) => line.includes('"audit.export"'))).toBe(true);
    expect((await h.request('GET', '/v1/audit', { token: clinicianToken })).status).toBe(403);
  });
});
