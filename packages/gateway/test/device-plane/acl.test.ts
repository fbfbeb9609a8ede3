/**
 * The broker's access control and CONNECT policy (ISVS 4.2.2; attacks-and-faults M5, M6, M8,
 * M9, M13): a device publishes only on its own device-published channels and subscribes only to
 * its own gateway-published ones; hostile topics, retain, QoS 2, Wills, MQTT 5/3.1 and keepalive
 * 0 are refused; odd CONNECT field combinations get a clean answer, never a crash. Raw MQTT over
 * real mTLS, so every hostile byte reaches the real broker as written.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pulseOximeterReading, type DeviceClient, type DeviceCredentials } from '@medsim/testkit';
import type { MqttClient } from 'mqtt';
import type { Gateway } from '../../src/index.js';
import { auditEvents, connectDevice, enrolDevice, startGateway, waitFor } from '../fixtures.js';
import { RawMqtt, attemptConnect, connectBytes, connectPacket, deviceMqttOptions, deviceTls, publishBytes, sleep } from './helpers.js';

const X = 'pulse-ox-0301';
const Y = 'pulse-ox-0302';

let gateway: Gateway;
let x: DeviceCredentials;
let y: DeviceCredentials;
/** Y, connected throughout with an open session: the "others" that must stay unaffected. */
let healthy: DeviceClient;
let healthyReadings = 0;
const cleanup: (RawMqtt | MqttClient | DeviceClient)[] = [];

beforeEach(async () => {
  gateway = await startGateway();
  x = await enrolDevice(gateway, X);
  y = await enrolDevice(gateway, Y);
  healthy = await connectDevice(gateway, y);
  await healthy.openSession();
  healthyReadings = 0;
});

afterEach(async () => {
  for (const c of cleanup.splice(0)) {
    if (c instanceof RawMqtt) c.destroy();
    else if ('credentials' in c) await c.close().catch(() => undefined);
    else c.end(true);
  }
  await healthy.close().catch(() => undefined);
  await gateway.close();
});

/** Y still works: it sends one more reading and it is stored. */
async function othersUnaffected(): Promise<void> {
  expect(healthy.mqtt.connected).toBe(true);
  await healthy.sendReading(pulseOximeterReading(healthyReadings));
  healthyReadings += 1;
  expect(gateway.context.readings.countForDevice(Y)).toBe(healthyReadings);
}

/** A raw CONNECTed session of X; waits for any previous connection of X to be gone first. */
async function sessionOfX(): Promise<RawMqtt> {
  await waitFor(() => gateway.devicePlane.connectedDevices === 1, 3_000, 'previous X connection gone');
  const raw = await RawMqtt.session(gateway.addresses.mqttPort, x);
  cleanup.push(raw);
  return raw;
}

const newAudit = (from: number): string[] => auditEvents(gateway).slice(from);

describe('publish ACL (ISVS 4.2.2, M6)', () => {
  it('[CTL-01][M6] device X publishing a valid envelope on devices/Y/telemetry is disconnected, nothing is stored, it is audited', { tags: ['CTL-01', 'M6'] }, async () => {
    const attacker = await connectDevice(gateway, x);
    cleanup.push(attacker);
    await attacker.openSession();
    const envelope = attacker.sealReading(pulseOximeterReading(0));
    const closed = attacker.closed();
    attacker.mqtt.publish(`devices/${Y}/telemetry`, Buffer.from(envelope), { qos: 1 });
    await closed;
    expect(gateway.context.readings.countForDevice(X)).toBe(0);
    expect(gateway.context.readings.countForDevice(Y)).toBe(0);
    expect(auditEvents(gateway)).toContain('mqtt.publish-denied:ERR_MQTT_NOT_AUTHORIZED');
    await othersUnaffected();
    // Control: the same envelope on X's own topic is valid and stored, so only the topic was wrong.
    const raw = await sessionOfX();
    raw.send(publishBytes(`devices/${X}/telemetry`, envelope, { messageId: 9 }));
    expect(await raw.next('puback', 3_000)).toMatchObject({ cmd: 'puback', messageId: 9 });
    expect(gateway.context.readings.countForDevice(X)).toBe(1);
  });

  it('[CTL-01][M6] retain=true and QoS 2 are refused even for a valid envelope on the own topic; the same envelope at QoS 1 is stored', { tags: ['CTL-01', 'M6'] }, async () => {
    const device = await connectDevice(gateway, x);
    await device.openSession();
    const envelope = device.sealReading(pulseOximeterReading(0));
    await device.close();
    for (const options of [{ retain: true, qos: 1 }, { qos: 2 }] as const) {
      const from = auditEvents(gateway).length;
      const raw = await sessionOfX();
      raw.send(publishBytes(`devices/${X}/telemetry`, envelope, { ...options, messageId: 3 }));
      expect(await raw.waitClosed(3_000)).toBe(true);
      expect(raw.packets.map((p) => p.cmd)).toEqual(['connack']); // no PUBACK, no PUBREC
      expect(newAudit(from)).toContain('mqtt.publish-denied:ERR_MQTT_NOT_AUTHORIZED');
      expect(gateway.context.readings.countForDevice(X)).toBe(0);
    }
    await othersUnaffected();
    const raw = await sessionOfX();
    raw.send(publishBytes(`devices/${X}/telemetry`, envelope, { qos: 1, messageId: 4 }));
    expect(await raw.next('puback', 3_000)).toMatchObject({ messageId: 4 });
    expect(gateway.context.readings.countForDevice(X)).toBe(1);
  });

  const envelopeLike = Buffer.alloc(64, 7);
  const hostileTopics: { name: string; topic: Buffer | string; event: string }[] = [
    { name: "a gateway-owned channel (devices/X/commands)", topic: `devices/${X}/commands`, event: 'mqtt.publish-denied' },
    { name: 'devices/X/session/accept', topic: `devices/${X}/session/accept`, event: 'mqtt.publish-denied' },
    { name: 'devices/X/update', topic: `devices/${X}/update`, event: 'mqtt.publish-denied' },
    { name: 'an unknown channel', topic: `devices/${X}/firmware`, event: 'mqtt.publish-denied' },
    { name: 'a trailing slash', topic: `devices/${X}/telemetry/`, event: 'mqtt.publish-denied' },
    { name: 'a leading slash', topic: `/devices/${X}/telemetry`, event: 'mqtt.publish-denied' },
    { name: '# in the topic', topic: `devices/${X}/#`, event: 'mqtt.malformed' },
    { name: '+ in the topic', topic: 'devices/+/telemetry', event: 'mqtt.malformed' },
    { name: 'a bare #', topic: '#', event: 'mqtt.malformed' },
    { name: '$SYS/x', topic: '$SYS/x', event: 'mqtt.publish-denied' },
    { name: '$SYS/broker/clients', topic: '$SYS/medsim-gateway/new/clients', event: 'mqtt.publish-denied' },
    { name: 'an empty topic', topic: '', event: 'mqtt.malformed' },
    { name: '150 levels (GHSA-xxqp-5qx8-gj5q)', topic: `devices/${X}/${'a/'.repeat(147)}telemetry`, event: 'mqtt.malformed' },
    { name: 'a 64 kB topic', topic: `devices/${X}/${'t'.repeat(65_535 - 11 - X.length)}`, event: 'mqtt.publish-denied' },
    { name: 'U+0000 in the topic', topic: `devices/${X}/telemetry\u0000`, event: 'mqtt.publish-denied' },
    { name: 'U+0000 inside the device id', topic: `devices/${X}\u0000/telemetry`, event: 'mqtt.publish-denied' },
    { name: 'invalid UTF-8 in the topic', topic: Buffer.concat([Buffer.from(`devices/${X}/telemetry`), Buffer.of(0xff, 0xfe)]), event: 'mqtt.publish-denied' },
    { name: 'an overlong UTF-8 "/"', topic: Buffer.concat([Buffer.from(`devices/${X}`), Buffer.of(0xc0, 0xaf), Buffer.from('telemetry')]), event: 'mqtt.publish-denied' },
  ];
  for (const c of hostileTopics) {
    it(`[CTL-09][M5] PUBLISH with ${c.name} is refused without PUBACK; the broker stays alive for others`, { tags: ['CTL-09', 'M5'] }, async () => {
      const from = auditEvents(gateway).length;
      const raw = await sessionOfX();
      raw.send(publishBytes(c.topic, envelopeLike, { qos: 1, messageId: 11 }));
      expect(await raw.waitClosed(3_000)).toBe(true);
      expect(raw.packets.map((p) => p.cmd)).toEqual(['connack']);
      expect(newAudit(from).filter((e) => e.startsWith(`${c.event}:`))).toHaveLength(1);
      expect(gateway.context.readings.countForDevice(X)).toBe(0);
      await othersUnaffected();
    });
  }
});

describe('subscribe ACL (ISVS 4.2.2, M6)', () => {
  const denied = ['#', '+/+/+', 'devices/+/telemetry', 'devices/#', '$SYS/#', '$SYS/medsim-gateway/new/clients', `devices/${Y}/commands`, `devices/${Y}/session/accept`, `devices/${X}/#`, `devices/${X}/+`, `devices/${X}/telemetry`, `devices/${X}/session`];

  it('[CTL-01][M6] subscriptions outside the own gateway channels get SUBACK 128, the connection stays, nothing is delivered', { tags: ['CTL-01', 'M6'] }, async () => {
    const from = auditEvents(gateway).length;
    const raw = await sessionOfX();
    let messageId = 1;
    for (const topic of denied) {
      const after = raw.packets.length;
      raw.send({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos: 1 }] });
      expect(await raw.next('suback', 2_000, after), topic).toMatchObject({ messageId, granted: [128] });
      messageId += 1;
    }
    expect(raw.closed).toBe(false);
    expect(newAudit(from).filter((e) => e === 'mqtt.subscribe-denied:ERR_MQTT_NOT_AUTHORIZED')).toHaveLength(denied.length);
    // Traffic on Y's channels and the broker's own $SYS announcements never reach X.
    await gateway.devicePlane.publish(Y, 'commands', Buffer.from('for Y only'));
    await othersUnaffected();
    const other = await connectDevice(gateway, await enrolDevice(gateway, 'pulse-ox-0303')); // $SYS/.../new/clients
    cleanup.push(other);
    raw.send({ cmd: 'pingreq' });
    expect(await raw.next('pingresp', 2_000)).toBeDefined();
    await sleep(200);
    expect(raw.packets.filter((p) => p.cmd === 'publish')).toEqual([]);
    expect(raw.closed).toBe(false);
  });

  it('[CTL-01][M6] the own commands, update and session/accept channels are granted at QoS 1 and delivered; a mixed SUBSCRIBE is answered per filter', { tags: ['CTL-01', 'M6'] }, async () => {
    const raw = await sessionOfX();
    const own = ['commands', 'update', 'session/accept'].map((path) => `devices/${X}/${path}`);
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: own.map((topic) => ({ topic, qos: 1 })) });
    expect(await raw.next('suback', 2_000)).toMatchObject({ granted: [1, 1, 1] });
    const after = raw.packets.length;
    raw.send({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: `devices/${X}/commands`, qos: 0 }, { topic: '#', qos: 0 }, { topic: `devices/${Y}/update`, qos: 1 }] });
    expect(await raw.next('suback', 2_000, after)).toMatchObject({ messageId: 2, granted: [0, 128, 128] });
    // Re-subscribed at QoS 1 (the QoS 0 one above replaced it); a command is delivered once, at QoS 1 at most.
    raw.send({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: `devices/${X}/commands`, qos: 2 }] });
    await waitFor(() => raw.packets.filter((p) => p.cmd === 'suback').length === 3, 2_000, 'third SUBACK');
    await gateway.devicePlane.publish(X, 'commands', Buffer.from('command for X'));
    const delivered = (await raw.next('publish', 2_000)) as { topic: string; qos: number; payload: Buffer } | undefined;
    expect(delivered?.topic).toBe(`devices/${X}/commands`);
    expect(delivered?.qos).toBeLessThanOrEqual(1);
    expect(delivered?.payload.toString()).toBe('command for X');
  });
});

describe('CONNECT policy (M8, M9, M13)', () => {
  it('[CTL-17][M8] a CONNECT with a Will is refused and closed, and the Will is never published', { tags: ['CTL-17', 'M8'] }, async () => {
    // Y listens on its command channel: a Will aimed there would reach it if the broker published it.
    const heard: string[] = [];
    healthy.mqtt.on('message', (topic) => heard.push(topic));
    await healthy.mqtt.subscribeAsync(`devices/${Y}/commands`, { qos: 1 });
    for (const [clientId, willTopic] of [
      [X, `devices/${Y}/commands`],
      [X, `devices/${X}/telemetry`],
      [Y, `devices/${Y}/commands`], // authentication would fail too (X's certificate, Y's id): aedes #214
    ] as const) {
      const from = auditEvents(gateway).length;
      const raw = RawMqtt.tls(gateway.addresses.mqttPort, deviceTls(x));
      cleanup.push(raw);
      raw.send(connectPacket(clientId, { will: { topic: willTopic, payload: Buffer.from('will'), qos: 1, retain: false } }));
      expect(await raw.waitClosed(2_000)).toBe(true);
      expect(raw.packets).toEqual([]);
      expect(newAudit(from)).toEqual(['mqtt.connect-refused:ERR_MQTT_NOT_AUTHORIZED']);
    }
    // An accepted device whose socket then dies abruptly has no Will either.
    const raw = await sessionOfX();
    raw.destroy();
    await sleep(300);
    expect(heard).toEqual([]);
    expect(gateway.context.readings.countForDevice(X)).toBe(0);
    // Control: the path the Will would have taken does deliver.
    await gateway.devicePlane.publish(Y, 'commands', Buffer.from('real command'));
    await waitFor(() => heard.length === 1, 2_000, 'control command');
    await othersUnaffected();
  });

  it('[CTL-17][M13] MQTT 5, MQTT 3.1 and keepalive 0 are refused and closed; a keepalive over the limit gets CONNACK 6; the limit itself is accepted', { tags: ['CTL-17', 'M13'] }, async () => {
    const v5 = await attemptConnect(gateway.addresses.mqttPort, deviceMqttOptions(x, { protocolVersion: 5 }));
    cleanup.push(v5.client);
    expect(v5.connected).toBe(false);
    for (const extra of [{ protocolId: 'MQIsdp', protocolVersion: 3 }, { keepalive: 0 }] as const) {
      const from = auditEvents(gateway).length;
      const raw = RawMqtt.tls(gateway.addresses.mqttPort, deviceTls(x));
      cleanup.push(raw);
      raw.send(connectPacket(X, extra));
      // Closed at once (not left open without CONNACK past the connect timeout).
      expect(await raw.waitClosed(2_000)).toBe(true);
      expect(raw.packets).toEqual([]);
      expect(newAudit(from)).toEqual(['mqtt.connect-refused:ERR_MQTT_NOT_AUTHORIZED']);
    }
    const limit = gateway.context.config['mqtt.keepaliveLimitS'];
    const over = RawMqtt.tls(gateway.addresses.mqttPort, deviceTls(x));
    cleanup.push(over);
    over.send(connectPacket(X, { keepalive: limit + 1 }));
    expect(await over.next('connack', 2_000)).toMatchObject({ returnCode: 6 });
    expect(await over.waitClosed(2_000)).toBe(true);
    const atLimit = await sessionOfX();
    expect(atLimit.closed).toBe(false);
    atLimit.destroy();
    await othersUnaffected();
  });

  type Outcome = 'accepted' | 'refused';
  const combos: { name: string; bytes: () => Buffer; outcome: Outcome; returnCode?: number }[] = [
    { name: 'username, no password', bytes: () => connectBytes({ clientId: X, username: 'device' }), outcome: 'accepted' },
    { name: 'empty username, no password', bytes: () => connectBytes({ clientId: X, username: '' }), outcome: 'accepted' },
    { name: 'username and empty password', bytes: () => connectBytes({ clientId: X, username: 'device', password: '' }), outcome: 'accepted' },
    { name: 'username and binary password', bytes: () => connectBytes({ clientId: X, username: 'device', password: Buffer.of(0, 0xff, 0x80) }), outcome: 'accepted' },
    { name: 'password without username ([MQTT-3.1.2-22])', bytes: () => connectBytes({ clientId: X, password: 'secret' }), outcome: 'refused' },
    { name: 'username flag set, username missing', bytes: () => connectBytes({ clientId: X, flags: 0x82 }), outcome: 'refused' },
    { name: 'password flag set, password missing', bytes: () => connectBytes({ clientId: X, username: 'u', flags: 0xc2 }), outcome: 'refused' },
    { name: 'reserved flag bit set ([MQTT-3.1.2-3])', bytes: () => connectBytes({ clientId: X, flags: 0x03 }), outcome: 'refused' },
    { name: 'no client id, clean', bytes: () => connectBytes({ clientId: '' }), outcome: 'refused', returnCode: 2 },
    { name: 'no client id, not clean', bytes: () => connectBytes({ clientId: '', clean: false }), outcome: 'refused' },
    { name: 'not clean, own id', bytes: () => connectBytes({ clientId: X, clean: false }), outcome: 'accepted' },
    { name: "another device's id", bytes: () => connectBytes({ clientId: Y }), outcome: 'refused', returnCode: 2 },
    { name: 'a 65,535-byte client id', bytes: () => connectBytes({ clientId: 'd'.repeat(65_535) }), outcome: 'refused', returnCode: 2 },
    { name: 'U+0000 in the client id', bytes: () => connectBytes({ clientId: `${X}\u0000` }), outcome: 'refused' },
    { name: 'invalid UTF-8 client id', bytes: () => Buffer.concat([connectBytes({ clientId: X }).subarray(0, -X.length), Buffer.from(X.slice(0, -1)), Buffer.of(0xff)]), outcome: 'refused' },
    { name: 'protocol name "MQTX"', bytes: () => connectBytes({ clientId: X, protocolName: 'MQTX' }), outcome: 'refused' },
    { name: 'protocol level 0', bytes: () => connectBytes({ clientId: X, level: 0 }), outcome: 'refused' },
    { name: 'protocol level 255', bytes: () => connectBytes({ clientId: X, level: 255 }), outcome: 'refused' },
    { name: 'an empty CONNECT body', bytes: () => Buffer.of(0x10, 0x00), outcome: 'refused' },
    { name: 'a CONNECT cut after the protocol name', bytes: () => Buffer.of(0x10, 0x06, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54), outcome: 'refused' },
  ];
  it('[CTL-05][M9] every present/absent CONNECT field combination gets a clean answer and never a crash', { tags: ['CTL-05', 'M9'] }, async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => void uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      for (const c of combos) {
        await waitFor(() => gateway.devicePlane.connectedDevices === 1, 3_000, 'previous X connection gone');
        const raw = RawMqtt.tls(gateway.addresses.mqttPort, deviceTls(x));
        cleanup.push(raw);
        raw.send(c.bytes());
        const connack = (await raw.next('connack', 2_000)) as { returnCode: number } | undefined;
        if (c.outcome === 'accepted') {
          expect(connack?.returnCode, c.name).toBe(0);
          raw.send({ cmd: 'pingreq' });
          expect(await raw.next('pingresp', 2_000), c.name).toBeDefined();
        } else {
          expect(connack?.returnCode, c.name).not.toBe(0);
          if (c.returnCode !== undefined) expect(connack?.returnCode, c.name).toBe(c.returnCode);
          expect(await raw.waitClosed(2_000), c.name).toBe(true);
        }
        raw.destroy();
      }
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
    await othersUnaffected();
  });
});
