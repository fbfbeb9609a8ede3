/**
 * Update delivery for devices (issue 5; CTL-05, CTL-06, CTL-12, CTL-16): the separate HTTPS
 * listener with mutual TLS on 127.0.0.1 port 0. Only an enrolled, non-revoked device with a
 * certificate from the gateway CA gets through; metadata and images are served with ETag and
 * single Range requests, so an interrupted download resumes with exactly the missing bytes;
 * unknown names are 404 (TUF clients end a root rotation on it); every limit is explicit and
 * tested: requests per device, connections per device and in all, report size, connect timeout.
 */
import type { DeviceCredentials } from '@medsim/testkit';
import { createHash } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCa } from '../../src/pki/local-ca.js';
import { waitFor } from '../fixtures.js';
import { TherapyRig } from '../therapy/helpers.js';
import { bundleBody, deliver, deviceAgent, deviceTlsOptions, image, publish, rejection, releaseMetadata, type TestImage } from './helpers.js';

let rig: TherapyRig;
let techToken: string;
let release: TestImage;
let device: DeviceCredentials;
const metadataBytes = releaseMetadata(1);

/** Audit entries of `event` as `event:code`. */
const audited = (event: string): string[] =>
  rig
    .audit()
    .filter((e) => e.event === event)
    .map((e) => `${e.event}:${e.code ?? ''}`);

beforeAll(async () => {
  rig = await TherapyRig.start();
  techToken = await rig.login(await rig.user('technician'));
  // 200 KiB: the image streams in several chunks.
  release = image('ultrasound', '2.0.0', 2, 200 * 1024);
  expect((await publish(rig, techToken, bundleBody(metadataBytes, [release]))).status).toBe(201);
  device = await rig.enrol('us-dl-1', null, 'ultrasound');
});
afterAll(async () => rig.close());

const targetUrl = (file: TestImage): string => `/v1/firmware/repository/targets/${file.filePath}`;

describe('who may connect to the delivery listener (CTL-05, CTL-06)', () => {
  it('[CTL-05][CTL-12] an enrolled device with its certificate fetches metadata; without a client certificate the TLS handshake is refused and audited', { tags: ['CTL-05', 'CTL-12'] }, async () => {
    const ok = await deliver(rig.gateway, device, 'GET', '/v1/firmware/repository/metadata/1.root.json');
    expect(ok.status).toBe(200);
    expect(ok.bytes.equals(Buffer.from(metadataBytes['1.root.json']!))).toBe(true);

    const before = audited('firmware.tls-refused').length;
    const refused = await rejection(deliver(rig.gateway, device, 'GET', '/v1/firmware/repository/metadata/1.root.json', { tls: { cert: undefined, key: undefined } }));
    expect(refused).toBeDefined();
    await waitFor(() => audited('firmware.tls-refused').length > before, 3_000, 'tls-refused audit');
  });

  it('[CTL-05][CTL-06] a certificate for the same device id and key from a foreign CA is refused in the handshake', { tags: ['CTL-05', 'CTL-06'] }, async () => {
    const { ca: foreign } = await LocalCa.create('attacker CA');
    const forged = await foreign.issueDevice(device.csrPem, device.deviceId, 30);
    const before = audited('firmware.tls-refused').length;
    expect(await rejection(deliver(rig.gateway, device, 'GET', '/v1/firmware/repository/metadata/1.root.json', { tls: { cert: forged.certPem } }))).toBeDefined();
    await waitFor(() => audited('firmware.tls-refused').length > before, 3_000, 'tls-refused audit');
    expect(audited('firmware.tls-refused').at(-1)).toBe('firmware.tls-refused:UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('[CTL-06] TLS 1.2 is served with AEAD suites only: a CBC suite finds no shared cipher', { tags: ['CTL-06'] }, async () => {
    const tls12 = (ciphers: string): Promise<unknown> =>
      deliver(rig.gateway, device, 'GET', '/v1/firmware/repository/metadata/1.root.json', { tls: { maxVersion: 'TLSv1.2', ciphers } });
    const before = audited('firmware.tls-refused').length;
    expect(await rejection(tls12('ECDHE-ECDSA-AES128-SHA256'))).toBeDefined();
    await waitFor(() => audited('firmware.tls-refused').length > before, 3_000, 'tls-refused audit');
    expect(await tls12('ECDHE-ECDSA-AES128-GCM-SHA256')).toMatchObject({ status: 200 });
  });

  it('[CTL-05] a revoked device is refused, and revoking closes the connection it holds', { tags: ['CTL-05'] }, async () => {
    const doomed = await rig.enrol('us-dl-revoked', null, 'ultrasound');
    const agent = deviceAgent(doomed);
    try {
      expect((await deliver(rig.gateway, doomed, 'GET', '/v1/firmware/repository/metadata/1.root.json', { agent })).status).toBe(200);
      const socket = Object.values(agent.freeSockets).flat()[0]!;
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      rig.gateway.context.devices.revoke('us-dl-revoked', { actor: 'test-admin', role: 'admin' });
      await closed;
      expect(await rejection(deliver(rig.gateway, doomed, 'GET', '/v1/firmware/repository/metadata/1.root.json'))).toBeDefined();
      await waitFor(() => audited('firmware.delivery-refused').includes('firmware.delivery-refused:ERR_DEVICE_REVOKED'), 3_000, 'revoked audit');
    } finally {
      agent.destroy();
    }
  });
});

describe('serving the repository (CTL-12, U6)', () => {
  it('[CTL-12] an image is served whole with its SHA-256 as ETag; unknown or malformed names are 404', { tags: ['CTL-12'] }, async () => {
    const whole = await deliver(rig.gateway, device, 'GET', targetUrl(release));
    expect(whole.status).toBe(200);
    expect(whole.headers['etag']).toBe(`"${release.sha256}"`);
    expect(whole.headers['accept-ranges']).toBe('bytes');
    expect(whole.headers['content-length']).toBe(String(release.bytes.length));
    expect(createHash('sha256').update(whole.bytes).digest('hex')).toBe(release.sha256);

    for (const path of [
      '/v1/firmware/repository/metadata/2.root.json',
      '/v1/firmware/repository/metadata/root.json',
      '/v1/firmware/repository/metadata/../metadata/1.root.json',
      '/v1/firmware/repository/metadata/%31.root.json',
      `/v1/firmware/repository/targets/ultrasound/${'0'.repeat(64)}.ultrasound-2.0.0.bin`,
      `/v1/firmware/repository/targets/ultrasound/../ultrasound/${release.sha256}.ultrasound-2.0.0.bin`,
      `/v1/firmware/repository/targets/${release.targetPath}`,
    ]) {
      const answer = await deliver(rig.gateway, device, 'GET', path);
      expect(answer.status, path).toBe(404);
      expect(answer.body['code'], path).toBe('ERR_FIRMWARE_NOT_FOUND');
    }
    const route = await deliver(rig.gateway, device, 'DELETE', '/v1/firmware/repository/metadata/1.root.json');
    expect(route.status).toBe(404);
    expect(route.body['code']).toBe('ERR_NOT_FOUND');
  });

  it('[CTL-12][CTL-16] an interrupted download resumes with a Range request that returns exactly the missing bytes', { tags: ['CTL-12', 'CTL-16'] }, async () => {
    // The first attempt is cut after its first chunk, as a dropped link would.
    const received = await new Promise<Buffer>((resolve, reject) => {
      const request = httpsRequest({ host: '127.0.0.1', port: rig.gateway.addresses.firmwarePort, path: targetUrl(release), agent: false, ...deviceTlsOptions(device) }, (response) => {
        response.once('data', (chunk: Buffer) => {
          request.destroy();
          resolve(chunk);
        });
      });
      request.on('error', (error) => (error.message.includes('aborted') || (error as { code?: string }).code === 'ECONNRESET' ? undefined : reject(error)));
      request.end();
    });
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(release.bytes.length);

    const rest = await deliver(rig.gateway, device, 'GET', targetUrl(release), { headers: { range: `bytes=${received.length}-` } });
    expect(rest.status).toBe(206);
    expect(rest.headers['content-range']).toBe(`bytes ${received.length}-${release.bytes.length - 1}/${release.bytes.length}`);
    expect(rest.bytes.length).toBe(release.bytes.length - received.length);
    const joined = Buffer.concat([received, rest.bytes]);
    expect(joined.equals(Buffer.from(release.bytes))).toBe(true);

    const middle = await deliver(rig.gateway, device, 'GET', targetUrl(release), { headers: { range: 'bytes=100-199' } });
    expect(middle.status).toBe(206);
    expect(middle.bytes.equals(Buffer.from(release.bytes.subarray(100, 200)))).toBe(true);
    // An end past the file is clipped to it.
    const tail = await deliver(rig.gateway, device, 'GET', targetUrl(release), { headers: { range: `bytes=${release.bytes.length - 5}-99999999` } });
    expect(tail.status).toBe(206);
    expect(tail.bytes.equals(Buffer.from(release.bytes.subarray(-5)))).toBe(true);
    // Metadata resumes the same way.
    const meta = await deliver(rig.gateway, device, 'GET', '/v1/firmware/repository/metadata/timestamp.json', { headers: { range: 'bytes=10-' } });
    expect(meta.status).toBe(206);
    expect(meta.bytes.equals(Buffer.from(metadataBytes['timestamp.json']!).subarray(10))).toBe(true);
  });

  it('[CTL-16][U6] a range past the end, reversed, multiple, suffix or in other units is 416 with the length; a stale If-Range gets the whole file', { tags: ['CTL-16', 'U6'] }, async () => {
    const length = release.bytes.length;
    for (const range of [`bytes=${length}-`, `bytes=${length + 10}-${length + 20}`, 'bytes=50-10', 'bytes=0-1,4-5', 'bytes=-100', 'items=0-10', 'bytes= 0-10', 'bytes=0x10-']) {
      const answer = await deliver(rig.gateway, device, 'GET', targetUrl(release), { headers: { range } });
      expect(answer.status, range).toBe(416);
      expect(answer.headers['content-range'], range).toBe(`bytes */${length}`);
      expect(answer.body['code'], range).toBe('ERR_FIRMWARE_RANGE_NOT_SATISFIABLE');
    }
    const stale = await deliver(rig.gateway, device, 'GET', targetUrl(release), { headers: { range: 'bytes=100-', 'if-range': '"another-version"' } });
    expect(stale.status).toBe(200);
    expect(stale.bytes.length).toBe(length);
    const current = await deliver(rig.gateway, device, 'GET', targetUrl(release), { headers: { range: 'bytes=100-', 'if-range': `"${release.sha256}"` } });
    expect(current.status).toBe(206);
  });
});

describe('delivery limits (CTL-16)', () => {
  let limited: TherapyRig;
  const devices: DeviceCredentials[] = [];

  beforeAll(async () => {
    limited = await TherapyRig.start({
      'firmware.requestsPerMinute': 5,
      'firmware.maxConnectionsPerDevice': 1,
      'firmware.maxConnections': 3,
      'firmware.reportMaxBytes': 256,
      'firmware.connectTimeoutMs': 300,
      // Node's agent closes a kept-alive socket 1 s before the server's Keep-Alive hint: 2 s leaves it 1 s.
      'firmware.idleTimeoutMs': 2_000,
    });
    const token = await limited.login(await limited.user('technician'));
    expect((await publish(limited, token, bundleBody(releaseMetadata(1), []))).status).toBe(201);
    for (let i = 1; i <= 5; i += 1) devices.push(await limited.enrol(`us-lim-${i}`, null, 'ultrasound'));
  });
  afterAll(async () => limited.close());

  const limitedAudit = (event: string): string[] =>
    limited
      .audit()
      .filter((e) => e.event === event)
      .map((e) => `${e.object ?? ''}:${e.code ?? ''}`);

  it('[CTL-16] a device gets firmware.requestsPerMinute requests, then 429 with Retry-After (audited once), and more as its budget refills', { tags: ['CTL-16'] }, async () => {
    const [first] = devices as [DeviceCredentials];
    const get = (): ReturnType<typeof deliver> => deliver(limited.gateway, first, 'GET', '/v1/firmware/repository/metadata/timestamp.json');
    for (let i = 0; i < 5; i += 1) expect((await get()).status).toBe(200);
    const refused = await get();
    expect(refused.status).toBe(429);
    expect(refused.body['code']).toBe('ERR_FIRMWARE_RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await get()).status).toBe(429);
    expect(limitedAudit('firmware.rate-limited')).toEqual(['us-lim-1:ERR_FIRMWARE_RATE_LIMITED']);
    // Another device has its own budget.
    expect((await deliver(limited.gateway, devices[1]!, 'GET', '/v1/firmware/repository/metadata/timestamp.json')).status).toBe(200);
    limited.clock.advance(60_000);
    expect((await get()).status).toBe(200);
  });

  it('[CTL-16] a device holds at most firmware.maxConnectionsPerDevice connections; the listener at most firmware.maxConnections', { tags: ['CTL-16'] }, async () => {
    const agents = devices.slice(2, 5).map((d) => deviceAgent(d));
    try {
      const hold = (i: number): ReturnType<typeof deliver> => deliver(limited.gateway, devices[2 + i]!, 'GET', '/v1/firmware/repository/metadata/1.root.json', { agent: agents[i]! });
      expect((await hold(0)).status).toBe(200);
      // A second connection of the same device is closed after its handshake.
      expect(await rejection(deliver(limited.gateway, devices[2]!, 'GET', '/v1/firmware/repository/metadata/1.root.json'))).toBeDefined();
      await waitFor(() => limitedAudit('firmware.connection-limit').includes('us-lim-3:ERR_FIRMWARE_CONNECTION_LIMIT'), 3_000, 'per-device limit audit');
      // Three devices hold three connections: a fourth connection, whoever makes it, is dropped.
      expect((await hold(1)).status).toBe(200);
      expect((await hold(2)).status).toBe(200);
      expect(await rejection(deliver(limited.gateway, devices[1]!, 'GET', '/v1/firmware/repository/metadata/1.root.json'))).toBeDefined();
      // Dropped before TLS: no device is known, so the entry names none.
      await waitFor(() => limitedAudit('firmware.connection-limit').includes(':ERR_FIRMWARE_CONNECTION_LIMIT'), 3_000, 'listener limit audit');
    } finally {
      for (const agent of agents) agent.destroy();
    }
    // Once the connections are gone (the server sees them close shortly after), a new one is served again.
    let answer;
    for (let attempt = 0; attempt < 50 && answer?.status !== 200; attempt += 1) {
      answer = await deliver(limited.gateway, devices[2]!, 'GET', '/v1/firmware/repository/metadata/1.root.json').catch(() => undefined);
      if (answer?.status !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(answer?.status).toBe(200);
  });

  it('[CTL-16][CTL-09] a report larger than firmware.reportMaxBytes is refused with 413 before it is read', { tags: ['CTL-16', 'CTL-09'] }, async () => {
    const [, , , , fifth] = devices as [DeviceCredentials, DeviceCredentials, DeviceCredentials, DeviceCredentials, DeviceCredentials];
    limited.clock.advance(60_000);
    const body = JSON.stringify({ campaign: '0'.repeat(32), jti: 'A'.repeat(22), state: 'downloading', progress: 1, padding: 'x'.repeat(400) });
    const answer = await deliver(limited.gateway, fifth, 'POST', `/v1/firmware/director/${fifth.deviceId}/report`, { body });
    expect(answer.status).toBe(413);
    expect(answer.body['code']).toBe('ERR_FIRMWARE_TOO_LARGE');
  });

  it('[CTL-16] a device that sends its request headers too slowly gets 408 and is closed after firmware.connectTimeoutMs', { tags: ['CTL-16'] }, async () => {
    const socket = tlsConnect({ host: '127.0.0.1', port: limited.gateway.addresses.firmwarePort, ...deviceTlsOptions(devices[3]!) });
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    const closed = new Promise<boolean>((resolve) => socket.once('close', () => resolve(true)));
    socket.once('secureConnect', () => socket.write('GET /v1/firmware/repository/metadata/1.root.json HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
    expect(await Promise.race([closed, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000))])).toBe(true);
    expect(received).toMatch(/^HTTP\/1\.1 408 /u);
  });

  it('[CTL-16] an idle keep-alive connection is closed by the gateway after firmware.idleTimeoutMs', { tags: ['CTL-16'] }, async () => {
    // A raw TLS socket: no client-side keep-alive timer that could close it first.
    const socket = tlsConnect({ host: '127.0.0.1', port: limited.gateway.addresses.firmwarePort, ...deviceTlsOptions(devices[4]!) });
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    const closed = new Promise<boolean>((resolve) => socket.once('close', () => resolve(true)));
    socket.once('secureConnect', () => socket.write('GET /v1/firmware/repository/metadata/1.root.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n'));
    expect(await Promise.race([closed, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000))])).toBe(true);
    expect(received).toMatch(/^HTTP\/1\.1 200 /u);
    expect(received).toMatch(/keep-alive: timeout=2/iu);
  });

  it('[CTL-16] a connection that never starts TLS is closed after firmware.connectTimeoutMs', { tags: ['CTL-16'] }, async () => {
    const socket = netConnect(limited.gateway.addresses.firmwarePort, '127.0.0.1');
    const closed = new Promise<boolean>((resolve) => socket.once('close', () => resolve(true)));
    socket.on('error', () => undefined);
    expect(await Promise.race([closed, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000))])).toBe(true);
  });
});
