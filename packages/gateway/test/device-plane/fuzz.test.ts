/**
 * Robustness of the MQTT path under hostile bytes (attacks-and-faults M1, M2, §3.4; CTL-09):
 * random frames into the parser and the gateway's own frame scanner; named malformed frames
 * after an authenticated CONNECT; and the broker-level mutation run over mTLS against the real
 * gateway (valid sessions with half their packets mutated), followed by a health round-trip.
 * Every random choice comes from a seeded PRNG whose seed is printed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceClient, pulseOximeterReading } from '@medsim/testkit';
import { generate, parser, type Packet } from 'mqtt-packet';
import { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { MqttFrameScanner } from '../../src/device-plane/packet-guard.js';
import { LocalCa } from '../../src/pki/local-ca.js';
import type { Gateway } from '../../src/index.js';
import { auditEvents, connectDevice, enrolDevice, startGateway, waitFor } from '../fixtures.js';
import { Prng, RawMqtt, deviceTls, liveBytes, publishBytes, rss, varint } from './helpers.js';

const gateways: Gateway[] = [];
const cleanup: (RawMqtt | DeviceClient)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) {
    if (c instanceof RawMqtt) c.destroy();
    else await c.close().catch(() => undefined);
  }
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

const SEED = Number(process.env.MEDSIM_FUZZ_SEED ?? 0x6d656473);
const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** Counts uncaught exceptions and unhandled rejections while `run` runs. */
async function watchingProcess<T>(run: () => Promise<T>): Promise<{ result: T; uncaught: unknown[] }> {
  const uncaught: unknown[] = [];
  const onError = (error: unknown): void => void uncaught.push(error);
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  try {
    return { result: await run(), uncaught };
  } finally {
    process.off('uncaughtException', onError);
    process.off('unhandledRejection', onError);
  }
}

/** One valid first byte per packet type and flag combination (mqtt-packet testRandom.js). */
const FIRST_BYTES = [0x10, 0x20, 0x30, 0x31, 0x38, 0x39, 0x32, 0x33, 0x3a, 0x3b, 0x34, 0x35, 0x3c, 0x3d, 0x40, 0x50, 0x62, 0x70, 0x82, 0x90, 0xa2, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0];

describe('parser-level random frames (M1)', () => {
  const frames = Number(process.env.MEDSIM_FUZZ_FRAMES ?? 200_000);

  it(`[CTL-09][M1] ${frames} random frames (v4 and v5) into mqtt-packet and the gateway's frame scanner: 0 exceptions`, { tags: ['CTL-09', 'M1'] }, () => {
    const prng = new Prng(SEED);
    let thrown = 0;
    let parsed = 0;
    let parseErrors = 0;
    const refusals: Record<string, number> = {};
    const limit = 4096;
    for (let i = 0; i < frames; i += 1) {
      const frame = prng.bytes(prng.int(512));
      if (frame.length > 0 && prng.chance(0.8)) frame[0] = prng.pick(FIRST_BYTES);
      const p = parser({ protocolVersion: i % 2 === 0 ? 4 : 5 });
      p.on('packet', () => (parsed += 1));
      p.on('error', () => (parseErrors += 1));
      const scanner = new MqttFrameScanner(limit);
      try {
        p.parse(frame);
        // The scanner sees the same bytes in random chunks, as TLS records would split them.
        let refusal: string | undefined;
        for (let at = 0; at < frame.length && refusal === undefined; ) {
          const size = 1 + prng.int(64);
          refusal = scanner.scan(frame.subarray(at, at + size));
          at += size;
        }
        if (refusal !== undefined) refusals[refusal] = (refusals[refusal] ?? 0) + 1;
      } catch {
        thrown += 1;
      }
    }
    process.stdout.write(
      `FIGURE mqtt.parser.random_frames=${frames} thrown=${thrown} parsed=${parsed} parse_errors=${parseErrors} scanner_refusals=${JSON.stringify(refusals)} seed=${hex(SEED)}\n`,
    );
    expect(thrown).toBe(0);
    // The run did reach both the packet and the error paths, and every scanner refusal kind.
    expect(parsed).toBeGreaterThan(0);
    expect(parseErrors).toBeGreaterThan(0);
    expect(Object.keys(refusals).sort()).toEqual(['malformed-length', 'not-connect-first', 'too-large']);
  });

  it('[CTL-09][M1] the frame scanner refuses a too-large announced length at its header, however the header is split', { tags: ['CTL-09', 'M1'] }, () => {
    const header = Buffer.concat([Buffer.of(0x10), varint(5000)]);
    for (let split = 0; split <= header.length; split += 1) {
      const scanner = new MqttFrameScanner(4096);
      const first = scanner.scan(header.subarray(0, split));
      const second = first ?? scanner.scan(header.subarray(split));
      expect(second, `split at ${split}`).toBe('too-large');
    }
    const ok = new MqttFrameScanner(4096);
    const connect = Buffer.concat([Buffer.of(0x10), varint(4093), Buffer.alloc(4093)]);
    expect(connect.length).toBe(4096);
    expect(ok.scan(connect)).toBeUndefined();
    expect(ok.packets).toBe(1);
  });
});

const u16 = (n: number): Buffer => Buffer.of(n >> 8, n & 0xff);
const mqttString = (s: string | Buffer): Buffer => Buffer.concat([u16(Buffer.from(s).length), Buffer.from(s)]);
const frame = (firstByte: number, body: Buffer): Buffer => Buffer.concat([Buffer.of(firstByte), varint(body.length), body]);

describe('named malformed frames after an authenticated CONNECT (M2)', () => {
  const ID = 'pulse-ox-0501';
  const CMD = `devices/${ID}/commands`;
  const TEL = `devices/${ID}/telemetry`;
  /**
   * closed: the gateway drops the connection. tolerated: aedes/mqtt-packet accept a packet
   * MQTT 3.1.1 calls malformed, with a harmless answer (listed in the report).
   */
  const cases: { name: string; bytes: Buffer; expect: 'closed' | 'tolerated' }[] = [
    { name: 'SUBSCRIBE with header flags 0 (must be 0x2)', bytes: frame(0x80, Buffer.concat([u16(1), mqttString(CMD), Buffer.of(1)])), expect: 'closed' },
    { name: 'UNSUBSCRIBE with header flags 0', bytes: frame(0xa0, Buffer.concat([u16(1), mqttString(CMD)])), expect: 'closed' },
    { name: 'PUBREL with header flags 0', bytes: frame(0x60, u16(1)), expect: 'closed' },
    { name: 'DISCONNECT with header flags set', bytes: Buffer.of(0xe1, 0x00), expect: 'closed' },
    { name: 'PUBLISH with both QoS bits set', bytes: publishBytes(TEL, Buffer.alloc(4), { qos: 3 }), expect: 'closed' },
    { name: 'SUBSCRIBE with QoS 3', bytes: frame(0x82, Buffer.concat([u16(1), mqttString(CMD), Buffer.of(3)])), expect: 'closed' },
    { name: 'SUBSCRIBE with reserved option bits', bytes: frame(0x82, Buffer.concat([u16(1), mqttString(CMD), Buffer.of(0x41)])), expect: 'closed' },
    { name: 'SUBSCRIBE with no topic filter ([MQTT-3.8.3-3])', bytes: frame(0x82, u16(1)), expect: 'closed' },
    { name: 'a 5-byte remaining length (invalid variable byte integer)', bytes: Buffer.of(0x30, 0xff, 0xff, 0xff, 0xff, 0x7f), expect: 'closed' },
    { name: 'PUBLISH QoS 1, remaining length only', bytes: Buffer.of(0x32, 0x00), expect: 'closed' },
    { name: 'PUBLISH QoS 1 with topic and no message id', bytes: frame(0x32, mqttString(TEL)), expect: 'closed' },
    { name: 'PUBLISH QoS 1 with an empty topic', bytes: publishBytes('', Buffer.alloc(4)), expect: 'closed' },
    { name: 'PUBLISH QoS 1 with message id 0 ([MQTT-2.3.1-1])', bytes: publishBytes(TEL, Buffer.alloc(4), { messageId: 0 }), expect: 'closed' },
    { name: 'PUBLISH QoS 0 with DUP set ([MQTT-3.3.1-2])', bytes: publishBytes(TEL, Buffer.alloc(4), { qos: 0, dup: true }), expect: 'closed' },
    { name: 'PUBLISH topic length past the end of the packet', bytes: Buffer.concat([Buffer.of(0x32, 0x06, 0xff, 0xff), Buffer.from('abcd')]), expect: 'closed' },
    { name: 'SUBSCRIBE filter length past the end of the packet', bytes: Buffer.concat([Buffer.of(0x82, 0x06, 0x00, 0x01, 0x00, 0x40), Buffer.from('ab')]), expect: 'closed' },
    { name: 'reserved packet type 0', bytes: Buffer.of(0x00, 0x00), expect: 'closed' },
    { name: 'packet type 15 (AUTH, MQTT 5 only)', bytes: Buffer.of(0xf0, 0x00), expect: 'closed' },
    { name: 'a second CONNECT ([MQTT-3.1.0-2])', bytes: frame(0x10, Buffer.concat([mqttString('MQTT'), Buffer.of(4, 2), u16(30), mqttString(ID)])), expect: 'closed' },
    { name: 'CONNACK sent by the client', bytes: Buffer.of(0x20, 0x02, 0x00, 0x00), expect: 'closed' },
    { name: 'SUBACK sent by the client', bytes: Buffer.of(0x90, 0x03, 0x00, 0x01, 0x00), expect: 'closed' },
    { name: 'UNSUBACK sent by the client', bytes: Buffer.of(0xb0, 0x02, 0x00, 0x01), expect: 'closed' },
    { name: 'PINGRESP sent by the client', bytes: Buffer.of(0xd0, 0x00), expect: 'closed' },
    { name: 'UNSUBSCRIBE with no topic filter ([MQTT-3.10.3-2])', bytes: frame(0xa2, u16(1)), expect: 'tolerated' },
    { name: 'SUBSCRIBE with message id 0 ([MQTT-2.3.1-1])', bytes: frame(0x82, Buffer.concat([u16(0), mqttString(CMD), Buffer.of(1)])), expect: 'tolerated' },
    { name: 'SUBSCRIBE with an invalid UTF-8 filter', bytes: frame(0x82, Buffer.concat([u16(1), mqttString(Buffer.concat([Buffer.from(`devices/${ID}/`), Buffer.of(0xff)])), Buffer.of(1)])), expect: 'tolerated' },
    { name: 'PINGREQ with a remaining length of 1', bytes: Buffer.of(0xc0, 0x01, 0x00), expect: 'tolerated' },
    { name: 'PUBACK for an unknown message id', bytes: Buffer.of(0x40, 0x02, 0x12, 0x34), expect: 'tolerated' },
    { name: 'PUBACK with a trailing byte', bytes: Buffer.of(0x40, 0x03, 0x00, 0x01, 0x00), expect: 'tolerated' },
    { name: 'PUBREC for an unknown message id', bytes: Buffer.of(0x50, 0x02, 0x12, 0x34), expect: 'tolerated' },
    { name: 'PUBREL for an unknown message id', bytes: Buffer.of(0x62, 0x02, 0x12, 0x34), expect: 'tolerated' },
    { name: 'PUBCOMP for an unknown message id', bytes: Buffer.of(0x70, 0x02, 0x12, 0x34), expect: 'tolerated' },
  ];

  it(`[CTL-09][M2] ${cases.length} named malformed frames: each closes the connection or is answered harmlessly; no PUBACK, no grant, no crash`, { tags: ['CTL-09', 'M2'] }, async () => {
    const gateway = await startGateway();
    gateways.push(gateway);
    const credentials = await enrolDevice(gateway, ID);
    const { uncaught } = await watchingProcess(async () => {
      for (const c of cases) {
        await waitFor(() => gateway.devicePlane.connectedDevices === 0, 3_000, 'previous connection gone');
        const raw = await RawMqtt.session(gateway.addresses.mqttPort, credentials);
        cleanup.push(raw);
        raw.send(c.bytes);
        raw.send({ cmd: 'pingreq' });
        const answers = (): Packet[] => raw.packets.slice(1);
        if (c.expect === 'closed') {
          expect(await raw.waitClosed(2_000), c.name).toBe(true);
          expect(answers(), c.name).toEqual([]);
        } else {
          expect(await raw.next('pingresp', 2_000), c.name).toBeDefined();
          expect(raw.closed, c.name).toBe(false);
        }
        expect(answers().filter((p) => p.cmd === 'puback'), c.name).toEqual([]);
        // Whatever the frame, nothing but the own command channel is ever granted.
        for (const suback of answers().filter((p) => p.cmd === 'suback') as { granted: number[] }[]) {
          expect(suback.granted.every((g) => g === 128 || g <= 1), c.name).toBe(true);
        }
        raw.destroy();
      }
    });
    expect(uncaught).toEqual([]);
    expect(gateway.context.readings.countForDevice(ID)).toBe(0);
    const health = await connectDevice(gateway, credentials);
    cleanup.push(health);
    await health.openSession();
    await health.sendReading(pulseOximeterReading(0));
    expect(gateway.context.readings.countForDevice(ID)).toBe(1);
  });
});

describe('packets that follow a CONNECT before it is authenticated (regression, found by the mutation run)', () => {
  // aedes dispatches packets that arrive in a later read while their CONNECT is still being
  // handled, before client.id is even set. Reproduced deterministically by driving the broker
  // with a stream whose second chunk lands on the next tick, before aedes' setImmediate(init).
  const followers: [string, Packet][] = [
    ['SUBSCRIBE', { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'devices/pulse-ox-0502/commands', qos: 1 }] }],
    ['PUBLISH', { cmd: 'publish', messageId: 1, topic: 'devices/pulse-ox-0502/telemetry', payload: Buffer.alloc(8), qos: 1, retain: false, dup: false }],
  ];
  for (const [name, second] of followers) {
    it(`[CTL-09][M2] a ${name} right behind a CONNECT is refused, not dispatched unauthenticated, and does not crash the gateway`, { tags: ['CTL-09', 'M2'] }, async () => {
      const gateway = await startGateway();
      gateways.push(gateway);
      await enrolDevice(gateway, 'pulse-ox-0502');
      const answers: Packet[] = [];
      const parse = parser();
      parse.on('packet', (p: Packet) => answers.push(p));
      const stream = new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, callback) {
          parse.parse(chunk);
          callback();
        },
      });
      const { uncaught } = await watchingProcess(async () => {
        gateway.devicePlane.broker.handle(stream);
        stream.push(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: 'pulse-ox-0502' }));
        process.nextTick(() => stream.push(generate(second)));
        await waitFor(() => stream.destroyed, 2_000, 'stream closed');
        await new Promise((resolve) => setTimeout(resolve, 50));
      });
      expect(uncaught).toEqual([]);
      expect(answers.filter((p) => p.cmd === 'suback' || p.cmd === 'puback')).toEqual([]);
      expect(gateway.context.readings.countForDevice('pulse-ox-0502')).toBe(0);
      expect(gateway.devicePlane.connectedDevices).toBe(0);
    });
  }
});

describe('broker-level mutation run over mTLS (§3.4, M1, M2)', () => {
  const SESSIONS = Number(process.env.MEDSIM_FUZZ_SESSIONS ?? 500);
  /** RSS growth bound (attacks-and-faults §7: < 50 MB); larger runs may set their own. */
  const RSS_BOUND_MB = Number(process.env.MEDSIM_FUZZ_RSS_MB ?? 50);
  const WORKERS = 8;

  /** Byte flips, truncation, insertion or pure random bytes. */
  function mutate(prng: Prng, bytes: Buffer): Buffer {
    switch (prng.int(4)) {
      case 0: {
        if (bytes.length === 0) return prng.bytes(1);
        const out = Buffer.from(bytes);
        for (let k = 1 + prng.int(4); k > 0; k -= 1) out[prng.int(out.length)]! ^= 1 + prng.int(255);
        return out;
      }
      case 1:
        return bytes.subarray(0, prng.int(bytes.length));
      case 2: {
        const at = prng.int(bytes.length + 1);
        return Buffer.concat([bytes.subarray(0, at), prng.bytes(1 + prng.int(16)), bytes.subarray(at)]);
      }
      default:
        return prng.bytes(prng.int(512));
    }
  }

  it(`[CTL-09][M1][M2] ${SESSIONS} mutated sessions against the real gateway: 0 uncaught exceptions, still serving, PUBACK only for stored readings, bounded RSS`, { tags: ['CTL-09', 'M1', 'M2'] }, async () => {
    const gateway = await startGateway({ overrides: { 'mqtt.connectTimeoutMs': 1_000 } });
    gateways.push(gateway);
    const port = gateway.addresses.mqttPort;

    // Each worker drives one enrolled device; its envelopes are sealed in advance under a real
    // session (resumed by the gateway from the store), so intact PUBLISHes are storable readings.
    const { ca: foreignCa } = await LocalCa.create('fuzz foreign CA');
    const workers = await Promise.all(
      Array.from({ length: WORKERS }, async (_, w) => {
        const credentials = await enrolDevice(gateway, `fuzz-dev-${w}`);
        const sealer = await connectDevice(gateway, credentials);
        await sealer.openSession();
        const envelopes = Array.from({ length: Math.ceil(SESSIONS / WORKERS) + 1 }, (_, i) => Buffer.from(sealer.sealReading(pulseOximeterReading(i))));
        await sealer.close();
        const foreign = (await foreignCa.issueDevice(credentials.csrPem, credentials.deviceId, 30)).certPem;
        return { credentials, envelopes, foreign };
      }),
    );
    await waitFor(() => gateway.devicePlane.connectedDevices === 0, 3_000, 'sealers gone');

    const stats = { tlsRefused: 0, connected: 0, closedByServer: 0, pubacks: 0, mutatedPackets: 0 };
    const acknowledged: { deviceId: string; envelope: Buffer }[] = [];
    const rssBefore = rss();
    const liveBefore = liveBytes();
    const startedAt = performance.now();

    const session = async (worker: (typeof workers)[number], index: number, rand: Prng): Promise<void> => {
      const { credentials, envelopes, foreign } = worker;
      const id = credentials.deviceId;
      const roll = rand.next();
      const tls: ConnectionOptions = roll < 0.05 ? { ...deviceTls(credentials), cert: foreign } : roll < 0.1 ? { ca: credentials.enrolment.caCertificatePem } : deviceTls(credentials);
      const maybe = (bytes: Buffer, p: number): Buffer => {
        if (!rand.chance(p)) return bytes;
        stats.mutatedPackets += 1;
        return mutate(rand, bytes);
      };
      const subscribeTopic = rand.pick([`devices/${id}/commands`, `devices/${id}/update`, '#', 'devices/fuzz-dev-0/commands', '$SYS/#', `devices/${id}/${'x/'.repeat(150)}`]);
      const publishTopic = rand.chance(0.9) ? `devices/${id}/telemetry` : rand.pick(['$SYS/x', 'devices/fuzz-dev-1/telemetry', `devices/${id}/${'x/'.repeat(150)}telemetry`]);
      const envelope = envelopes[index]!;
      const publish = publishBytes(publishTopic, envelope, { messageId: 1 + rand.int(65_535) });
      const connect = maybe(Buffer.from(connectPacketBytes(id)), 0.3);
      const rest = Buffer.concat([
        maybe(frame(0x82, Buffer.concat([u16(1 + rand.int(65_535)), mqttString(subscribeTopic), Buffer.of(1)])), 0.5),
        maybe(publish, 0.5),
        maybe(frame(0xa2, Buffer.concat([u16(1 + rand.int(65_535)), mqttString(subscribeTopic)])), 0.5),
        maybe(Buffer.of(0xc0, 0x00), 0.5),
      ]);
      const raw = RawMqtt.tls(port, tls);
      raw.send(connect);
      const connack = (await raw.next('connack', 500)) as { returnCode?: number } | undefined;
      if (connack?.returnCode === 0) stats.connected += 1;
      raw.send(rest);
      await Promise.race([raw.next('pingresp', 150, 1), raw.waitClosed(150)]);
      if (raw.closed) stats.closedByServer += 1;
      const pubacks = raw.packets.filter((p) => p.cmd === 'puback').length;
      stats.pubacks += pubacks;
      if (pubacks > 0) acknowledged.push({ deviceId: id, envelope });
      raw.destroy();
      // Let the gateway see the close before this device's next session (one connection per device).
      await waitFor(() => gateway.context.devices.get(id)?.online !== true, 2_000, `${id} offline`).catch(() => undefined);
    };

    const { uncaught } = await watchingProcess(() =>
      Promise.all(
        workers.map(async (worker, w) => {
          // One PRNG per worker, derived from the seed: the run is reproducible whatever the interleaving.
          const rand = new Prng((SEED ^ Math.imul(w + 1, 0x9e3779b1)) >>> 0);
          for (let i = w; i < SESSIONS; i += WORKERS) await session(worker, Math.floor(i / WORKERS), rand);
        }),
      ),
    );
    const elapsedMs = performance.now() - startedAt;
    // With TLS 1.3 the client sees its handshake finish before the server rejects its
    // certificate, so refused handshakes are counted on the gateway's side.
    stats.tlsRefused = auditEvents(gateway).filter((e) => e.startsWith('mqtt.tls-refused:')).length;
    let stored = 0;
    for (const w of workers) stored += gateway.context.readings.countForDevice(w.credentials.deviceId);

    // Health round-trip: a well-behaved device opens a session and a reading is stored.
    const healthCredentials = await enrolDevice(gateway, 'fuzz-health');
    const health = await DeviceClient.connect(healthCredentials, { host: '127.0.0.1', port, timeoutMs: 5_000 });
    cleanup.push(health);
    await health.openSession();
    await health.sendReading(pulseOximeterReading(0));
    const healthy = gateway.context.readings.countForDevice('fuzz-health') === 1;
    const growthMb = (rss() - rssBefore) / (1024 * 1024);
    const liveGrowthMb = (liveBytes() - liveBefore) / (1024 * 1024);

    // PUBACK means committed (§3.7): every acknowledged envelope is in the store.
    const exists = gateway.context.db.prepare('SELECT 1 FROM readings WHERE device_id = ? AND key_id = ? AND stream_id = ? AND sequence = ?');
    const missing = acknowledged.filter(({ deviceId, envelope }) => {
      const { header } = gateway.sessions.peek(envelope);
      return exists.get(deviceId, Buffer.from(header.keyId), header.streamId, header.sequence) === undefined;
    });
    process.stdout.write(
      `FIGURE mqtt.broker.mutated_sessions=${SESSIONS} crashes=${uncaught.length} health=${healthy ? 'ok' : 'FAILED'} ` +
        `mutated_packets=${stats.mutatedPackets} tls_refused=${stats.tlsRefused} connected=${stats.connected} closed_by_gateway=${stats.closedByServer} ` +
        `pubacks=${stats.pubacks} stored=${stored} puback_not_stored=${missing.length} rss_growth_mb=${growthMb.toFixed(1)} live_growth_mb=${liveGrowthMb.toFixed(1)} ms=${elapsedMs.toFixed(0)} seed=${hex(SEED)}\n`,
    );
    // A crash is reported with its stack, and with the seed that reproduces the run.
    for (const error of uncaught.slice(0, 3)) process.stdout.write(`UNCAUGHT ${(error as Error).stack ?? String(error)}\n`);
    expect(uncaught).toEqual([]);
    expect(healthy).toBe(true);
    expect(missing).toEqual([]);
    // RSS also holds what the allocator keeps after both ends' TLS work (client and gateway share
    // this process); live heap + external memory after a full GC is what a leak would grow.
    expect(growthMb).toBeLessThan(RSS_BOUND_MB);
    expect(liveGrowthMb).toBeLessThan(20);
    // The run exercised all of it: refused handshakes, authenticated sessions, refusals, acknowledged readings.
    expect(stats.tlsRefused).toBeGreaterThan(0);
    expect(stats.connected).toBeGreaterThan(SESSIONS / 10);
    expect(stats.closedByServer).toBeGreaterThan(0);
    expect(stats.pubacks).toBeGreaterThan(0);
    expect(auditEvents(gateway).filter((e) => e.startsWith('mqtt.malformed:')).length).toBeGreaterThan(0);
  });
});

/** An intact CONNECT of a device, as bytes. */
function connectPacketBytes(clientId: string): Buffer {
  return frame(0x10, Buffer.concat([mqttString('MQTT'), Buffer.of(4, 0x02), u16(30), mqttString(clientId)]));
}
