/**
 * Explicit limits of the device plane (CTL-16; attacks-and-faults M3, M4, M10, M11, M13): the
 * packet size cap enforced on the fixed header before any body is buffered, connections per
 * address, total connections, the TLS handshake and CONNECT timeouts, the inbound QoS 1 inflight
 * cap, and many concurrent devices. Real broker, real TLS on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pulseOximeterReading, type DeviceClient, type DeviceCredentials } from '@medsim/testkit';
import { connect as netConnect } from 'node:net';
import type { Gateway } from '../../src/index.js';
import { auditEvents, connectDevice, enrolDevice, waitFor } from '../fixtures.js';
import { RawMqtt, deviceTls, perTestResources, publishBytes, rss, sleep, varint } from './helpers.js';

const { started, track } = perTestResources(afterEach);
const cleanup = { push: track };

async function device(gateway: Gateway, credentials: DeviceCredentials): Promise<DeviceClient> {
  const client = await connectDevice(gateway, credentials);
  cleanup.push(client);
  return client;
}

const MIB = 1024 * 1024;
const count = (gateway: Gateway, entry: string): number => auditEvents(gateway).filter((e) => e === entry).length;

/** Streams up to `limit` bytes of zeros after `head`, honouring backpressure, until the socket closes. */
async function flood(raw: RawMqtt, head: Buffer, limit: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024);
  let offered = head.length;
  raw.socket.write(head);
  while (offered < limit && !raw.closed && !raw.socket.destroyed) {
    offered += chunk.length;
    if (!raw.socket.write(chunk)) {
      await Promise.race([new Promise((resolve) => raw.socket.once('drain', resolve)), raw.waitClosed(2_000)]);
    }
  }
  return offered;
}

describe('packet size (M3, M4)', () => {
  it('[CTL-16][M3] a first packet that is not CONNECT and announces 256 MB is cut off at its header; RSS grows < 10 MB', { tags: ['CTL-16', 'M3'] }, async () => {
    const gateway = await started();
    const credentials = await enrolDevice(gateway, 'pulse-ox-0401');
    const healthy = await device(gateway, credentials);
    await healthy.openSession();
    const other = await enrolDevice(gateway, 'pulse-ox-0402');
    const before = rss();
    const cases = [
      { head: Buffer.concat([Buffer.of(0x30), varint(268_435_455)]), audit: 'mqtt.malformed:ERR_PROTOCOL_MALFORMED' }, // PUBLISH first
      { head: Buffer.concat([Buffer.of(0x10), varint(268_435_455)]), audit: 'mqtt.packet-too-large:ERR_MQTT_TOO_LARGE' }, // CONNECT of 256 MB
    ];
    for (const c of cases) {
      const raw = RawMqtt.tls(gateway.addresses.mqttPort, deviceTls(other));
      cleanup.push(raw);
      const startedAt = performance.now();
      const offered = await flood(raw, c.head, 64 * MIB);
      expect(await raw.waitClosed(2_000)).toBe(true);
      expect(raw.closedAt! - startedAt).toBeLessThan(1_500);
      // Far less than the 64 MB offered got through before the close (TLS and socket buffers only).
      expect(offered).toBeLessThan(8 * MIB);
      expect(raw.packets).toEqual([]);
      expect(auditEvents(gateway)).toContain(c.audit);
    }
    const growth = rss() - before;
    process.stdout.write(`FIGURE mqtt.broker.oversize_first_packet rss_growth_mb=${(growth / MIB).toFixed(1)}\n`);
    expect(growth).toBeLessThan(10 * MIB);
    await healthy.sendReading(pulseOximeterReading(0));
    expect(gateway.context.readings.countForDevice('pulse-ox-0401')).toBe(1);
  });

  it('[CTL-16][CTL-09][M4] a PUBLISH over mqtt.maxPacketBytes closes the connection, is audited, stores nothing; the limit is exact; others are unaffected', { tags: ['CTL-16', 'CTL-09', 'M4'] }, async () => {
    const gateway = await started({ 'mqtt.maxPacketBytes': 4096 });
    const offender = await device(gateway, await enrolDevice(gateway, 'pulse-ox-0403'));
    const healthy = await device(gateway, await enrolDevice(gateway, 'pulse-ox-0404'));
    await Promise.all([offender.openSession(), healthy.openSession()]);
    const closed = offender.closed();
    offender.mqtt.publish('devices/pulse-ox-0403/telemetry', Buffer.alloc(5_000, 1), { qos: 1 });
    await closed;
    expect(count(gateway, 'mqtt.packet-too-large:ERR_MQTT_TOO_LARGE')).toBe(1);
    expect(gateway.context.readings.countForDevice('pulse-ox-0403')).toBe(0);
    await healthy.sendReading(pulseOximeterReading(0));
    expect(gateway.context.readings.countForDevice('pulse-ox-0404')).toBe(1);

    // Boundary: a 4,096-byte packet passes the size guard (and is then refused as a bad
    // envelope); a 4,097-byte one is cut off by the guard.
    const topic = 'devices/pulse-ox-0403/telemetry';
    const sized = (total: number): Buffer => {
      const overhead = publishBytes(topic, Buffer.alloc(0)).length + 1; // + 1 byte more of length varint at this size
      const packet = publishBytes(topic, Buffer.alloc(total - overhead, 2));
      expect(packet.length).toBe(total);
      return packet;
    };
    await waitFor(() => gateway.devicePlane.connectedDevices === 1, 2_000, 'offender gone');
    for (const [total, tooLarge] of [
      [4096, false],
      [4097, true],
    ] as const) {
      const before = count(gateway, 'mqtt.packet-too-large:ERR_MQTT_TOO_LARGE');
      await waitFor(() => gateway.devicePlane.connectedDevices === 1, 2_000, 'offender gone');
      const raw = await RawMqtt.session(gateway.addresses.mqttPort, offender.credentials);
      cleanup.push(raw);
      raw.send(sized(total));
      expect(await raw.waitClosed(3_000)).toBe(true);
      expect(raw.packets.map((p) => p.cmd)).toEqual(['connack']);
      expect(count(gateway, 'mqtt.packet-too-large:ERR_MQTT_TOO_LARGE') - before, `${total} bytes`).toBe(tooLarge ? 1 : 0);
    }
    expect(auditEvents(gateway).some((e) => e.startsWith('envelope.refused:'))).toBe(true);
    expect(gateway.context.readings.countForDevice('pulse-ox-0403')).toBe(0);
    await healthy.sendReading(pulseOximeterReading(1));
    expect(gateway.context.readings.countForDevice('pulse-ox-0404')).toBe(2);
  });
});

describe('connection limits (CTL-16, M10, M13)', () => {
  it('[CTL-16] the connection after mqtt.maxConnectionsPerAddress is dropped before TLS and audited; a freed slot is reusable', { tags: ['CTL-16'] }, async () => {
    const gateway = await started({ 'mqtt.maxConnectionsPerAddress': 5 });
    const credentials = await enrolDevice(gateway, 'pulse-ox-0405');
    const open = Array.from({ length: 5 }, () => RawMqtt.tls(gateway.addresses.mqttPort, deviceTls(credentials)));
    cleanup.push(...open);
    await waitFor(() => open.every((r) => r.secureAt !== undefined), 5_000, 'five handshakes');
    const sixth = RawMqtt.tls(gateway.addresses.mqttPort, deviceTls(credentials));
    cleanup.push(sixth);
    expect(await sixth.waitClosed(2_000)).toBe(true);
    expect(sixth.secureAt).toBeUndefined();
    expect(count(gateway, 'mqtt.connection-limit:ERR_MQTT_LIMIT')).toBe(1);
    expect(open.every((r) => !r.closed)).toBe(true);
    // Freeing one slot lets a device in again.
    open[0]!.destroy();
    await sleep(100);
    const client = await device(gateway, credentials);
    expect(client.mqtt.connected).toBe(true);
  });

  it('[CTL-16] the connection after mqtt.maxConnections (all addresses) is dropped', { tags: ['CTL-16'] }, async () => {
    const gateway = await started({ 'mqtt.maxConnections': 3 });
    const credentials = await enrolDevice(gateway, 'pulse-ox-0406');
    const open = Array.from({ length: 3 }, () => RawMqtt.tls(gateway.addresses.mqttPort, deviceTls(credentials)));
    cleanup.push(...open);
    await waitFor(() => open.every((r) => r.secureAt !== undefined), 5_000, 'three handshakes');
    const fourth = RawMqtt.tls(gateway.addresses.mqttPort, deviceTls(credentials));
    cleanup.push(fourth);
    expect(await fourth.waitClosed(2_000)).toBe(true);
    expect(fourth.secureAt).toBeUndefined();
    expect(open.every((r) => !r.closed)).toBe(true);
  });

  const idleSockets = Number(process.env.MEDSIM_IDLE_SOCKETS ?? 300);

  it(`[CTL-16][M10] ${idleSockets} TLS sockets that never send CONNECT are dropped after mqtt.connectTimeoutMs while a device still connects in < 1 s`, { tags: ['CTL-16', 'M10'] }, async () => {
    const timeoutMs = 500;
    const gateway = await started({ 'mqtt.connectTimeoutMs': timeoutMs });
    const credentials = await enrolDevice(gateway, 'pulse-ox-0407');
    const legit = await enrolDevice(gateway, 'pulse-ox-0408');
    // Opened in waves of 50 so that the handshakes themselves do not hit the handshake timeout.
    const idle: RawMqtt[] = [];
    for (let i = 0; i < idleSockets; i += 50) {
      const wave = Array.from({ length: Math.min(50, idleSockets - i) }, () => RawMqtt.tls(gateway.addresses.mqttPort, deviceTls(credentials)));
      idle.push(...wave);
      cleanup.push(...wave);
      await waitFor(() => wave.every((r) => r.secureAt !== undefined || r.closed), 10_000, 'wave handshakes');
    }
    const handshaken = idle.filter((r) => r.secureAt !== undefined);
    expect(handshaken.length).toBe(idleSockets);
    const connectStart = performance.now();
    const client = await device(gateway, legit);
    const connectMs = performance.now() - connectStart;
    await waitFor(() => idle.every((r) => r.closed), 10_000, 'idle sockets dropped');
    const lifetimes = idle.map((r) => r.closedAt! - r.secureAt!);
    process.stdout.write(
      `FIGURE mqtt.broker.idle_sockets=${idleSockets} dropped=${idle.filter((r) => r.closed).length} legit_connect_ms=${connectMs.toFixed(0)} max_idle_lifetime_ms=${Math.max(...lifetimes).toFixed(0)}\n`,
    );
    expect(connectMs).toBeLessThan(1_000);
    // Dropped by the CONNECT timer (not earlier; not much later: within one timeout of slack).
    expect(Math.min(...lifetimes)).toBeGreaterThanOrEqual(timeoutMs - 50);
    expect(Math.max(...lifetimes)).toBeLessThan(timeoutMs * 2 + 1_000);
    expect(idle.every((r) => r.packets.length === 0)).toBe(true);
    expect(client.mqtt.connected).toBe(true);
    await client.openSession();
    await client.sendReading(pulseOximeterReading(0));
    expect(gateway.context.readings.countForDevice('pulse-ox-0408')).toBe(1);
  });

  it('[CTL-16][M10] raw TCP sockets that never start TLS (or stall mid-hello) are dropped after the handshake timeout and audited', { tags: ['CTL-16', 'M10'] }, async () => {
    const timeoutMs = 500;
    const gateway = await started({ 'mqtt.connectTimeoutMs': timeoutMs });
    const legit = await enrolDevice(gateway, 'pulse-ox-0409');
    const n = 100;
    const sockets = Array.from({ length: n }, (_, i) => {
      const socket = netConnect(gateway.addresses.mqttPort, '127.0.0.1');
      // Every other one sends the first bytes of a TLS ClientHello record and stalls.
      if (i % 2 === 1) socket.write(Buffer.of(0x16, 0x03, 0x01, 0x02, 0x00, 0x01));
      const state = { openedAt: performance.now(), closedAt: undefined as number | undefined };
      socket.on('error', () => undefined);
      socket.on('close', () => (state.closedAt = performance.now()));
      return { socket, state };
    });
    try {
      const client = await device(gateway, legit);
      expect(client.mqtt.connected).toBe(true);
      await waitFor(() => sockets.every((s) => s.state.closedAt !== undefined), 10_000, 'plain sockets dropped');
      const lifetimes = sockets.map((s) => s.state.closedAt! - s.state.openedAt);
      expect(Math.min(...lifetimes)).toBeGreaterThanOrEqual(timeoutMs - 50);
      expect(Math.max(...lifetimes)).toBeLessThan(timeoutMs + 2_000);
      await waitFor(() => count(gateway, 'mqtt.tls-refused:ERR_TLS_HANDSHAKE_TIMEOUT') === n, 2_000, 'handshake timeout audits');
    } finally {
      for (const s of sockets) s.socket.destroy();
    }
  });
});

describe('inflight and concurrency (CTL-16, M11)', () => {
  it('[CTL-16] a burst of QoS 1 PUBLISHes over mqtt.maxInflight in one read closes the connection with an audit; sequential publishing is unaffected', { tags: ['CTL-16'] }, async () => {
    const gateway = await started({ 'mqtt.maxInflight': 3 });
    const credentials = await enrolDevice(gateway, 'pulse-ox-0410');
    const sealer = await device(gateway, credentials);
    await sealer.openSession();
    for (let i = 0; i < 10; i += 1) await sealer.sendReading(pulseOximeterReading(i));
    expect(gateway.context.readings.countForDevice('pulse-ox-0410')).toBe(10);
    const burst = Array.from({ length: 20 }, (_, i) => sealer.sealReading(pulseOximeterReading(100 + i)));
    await sealer.close();
    await waitFor(() => gateway.devicePlane.connectedDevices === 0, 2_000, 'sealer gone');

    // The 20 PUBLISHes in one TLS write: aedes dispatches a whole read batch at once, so they
    // are all in flight together and the fourth one trips the limit.
    const raw = await RawMqtt.session(gateway.addresses.mqttPort, credentials);
    cleanup.push(raw);
    raw.send(Buffer.concat(burst.map((envelope, i) => publishBytes('devices/pulse-ox-0410/telemetry', envelope, { messageId: i + 1 }))));
    expect(await raw.waitClosed(3_000)).toBe(true);
    expect(count(gateway, 'mqtt.inflight-limit:ERR_MQTT_LIMIT')).toBeGreaterThanOrEqual(1);
    const stored = gateway.context.readings.countForDevice('pulse-ox-0410') - 10;
    const acked = raw.packets.filter((p) => p.cmd === 'puback').length;
    process.stdout.write(`FIGURE mqtt.broker.inflight_limit=3 burst=20 stored=${stored} acked=${acked}\n`);
    // At most the limit was taken in (and acknowledged no more than stored): the rest stays with the device.
    expect(stored).toBeLessThanOrEqual(3);
    expect(acked).toBeLessThanOrEqual(stored);
  });

  const concurrent = Number(process.env.MEDSIM_CONCURRENT_DEVICES ?? 200);

  it(`[CTL-16][M11] ${concurrent} devices connect concurrently, each opens a session and publishes a reading`, { tags: ['CTL-16', 'M11'] }, async () => {
    const gateway = await started();
    const ids = Array.from({ length: concurrent }, (_, i) => `bp-cuff-${String(i).padStart(4, '0')}`);
    const credentials: DeviceCredentials[] = [];
    for (let i = 0; i < ids.length; i += 25) credentials.push(...(await Promise.all(ids.slice(i, i + 25).map((id) => enrolDevice(gateway, id, 'blood-pressure-cuff')))));
    const startedAt = performance.now();
    const clients = await Promise.all(
      credentials.map(async (c, i) => {
        const client = await connectDevice(gateway, c, { timeoutMs: 30_000 });
        cleanup.push(client);
        await client.openSession();
        await client.sendReading(pulseOximeterReading(i));
        return client;
      }),
    );
    const elapsedMs = performance.now() - startedAt;
    const stored = ids.reduce((n, id) => n + gateway.context.readings.countForDevice(id), 0);
    process.stdout.write(`FIGURE mqtt.broker.concurrent_devices=${concurrent} served=${stored} ms=${elapsedMs.toFixed(0)}\n`);
    expect(stored).toBe(concurrent);
    expect(gateway.devicePlane.connectedDevices).toBe(concurrent);
    expect(clients.every((c) => c.mqtt.connected)).toBe(true);
  });
});

describe('session handshake rate', () => {
  it('[CTL-16] a device opening sessions faster than mqtt.handshakesPerMinute is cut off, and audited', { tags: ['CTL-16'] }, async () => {
    const gateway = await started({ 'mqtt.handshakesPerMinute': 2 });
    const client = await device(gateway, await enrolDevice(gateway, 'pulse-ox-0190'));
    await client.openSession();
    await client.openSession();
    const closed = client.closed();
    await expect(client.openSession()).rejects.toThrow();
    await closed;
    expect(auditEvents(gateway)).toContain('envelope.refused:ERR_MQTT_LIMIT');
    // Only that device: another one still opens its session.
    const other = await device(gateway, await enrolDevice(gateway, 'pulse-ox-0191'));
    await other.openSession();
  });
});
