/**
 * One live connection per device identity (CTL-03): a second connection with the same
 * certificate and client id is refused instead of aedes' takeover ([MQTT-3.1.4-2]), the first
 * keeps working, and the duplicate is audited as a possible clone. Real broker over mTLS.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceClient, pulseOximeterReading } from '@medsim/testkit';
import type { MqttClient } from 'mqtt';
import type { Gateway } from '../../src/index.js';
import { auditEvents, connectDevice, enrolDevice, startGateway, waitFor } from '../fixtures.js';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { RawMqtt, attemptConnect, connectPacket, deviceMqttOptions, deviceTls, sleep } from './helpers.js';

const gateways: Gateway[] = [];
const clients: (MqttClient | DeviceClient)[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) {
    if ('credentials' in c) await c.close().catch(() => undefined);
    else c.end(true);
  }
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

async function started(): Promise<Gateway> {
  const gateway = await startGateway();
  gateways.push(gateway);
  return gateway;
}

const cloneAlerts = (gateway: Gateway): string[] => auditEvents(gateway).filter((e) => e.startsWith('device.clone-suspected'));

describe('single live connection per device (CTL-03)', () => {
  it('[CTL-03] a second connection with the same certificate is refused; the first stays and keeps publishing; a clone alert is audited', { tags: ['CTL-03'] }, async () => {
    const gateway = await started();
    const credentials = await enrolDevice(gateway, 'pulse-ox-0201');
    const first = await connectDevice(gateway, credentials);
    clients.push(first);
    await first.openSession();
    await first.sendReading(pulseOximeterReading(0));
    let firstClosed = false;
    void first.closed().then(() => (firstClosed = true));

    const second = await attemptConnect(gateway.addresses.mqttPort, deviceMqttOptions(credentials));
    clients.push(second.client);
    expect(second.connected).toBe(false);
    expect(second.returnCode).toBe(2);
    expect(cloneAlerts(gateway)).toEqual(['device.clone-suspected:ERR_DEVICE_DUPLICATE_CONNECTION']);
    const alert = gateway.context.db.prepare("SELECT severity, object, actor FROM audit_log WHERE event = 'device.clone-suspected'").get();
    expect(alert).toEqual({ severity: 'high', object: 'pulse-ox-0201', actor: 'pulse-ox-0201' });

    await sleep(300);
    expect(firstClosed).toBe(false);
    expect(first.mqtt.connected).toBe(true);
    for (let i = 1; i <= 5; i += 1) await first.sendReading(pulseOximeterReading(i));
    expect(gateway.context.readings.countForDevice('pulse-ox-0201')).toBe(6);
    expect(gateway.devicePlane.connectedDevices).toBe(1);
    expect(gateway.context.devices.get('pulse-ox-0201')?.online).toBe(true);

    // After the first disconnects, the device connects again (its session resumes from the store).
    await first.close();
    await waitFor(() => gateway.devicePlane.connectedDevices === 0, 2_000, 'first connection gone');
    expect(gateway.context.devices.get('pulse-ox-0201')?.online).toBe(false);
    const again = await connectDevice(gateway, credentials);
    clients.push(again);
    await again.publish('telemetry', first.sealReading(pulseOximeterReading(6)));
    expect(gateway.context.readings.countForDevice('pulse-ox-0201')).toBe(7);
    expect(cloneAlerts(gateway)).toHaveLength(1);
  });

  it('[CTL-03] a refused duplicate does not tear down the first connection when it disconnects abruptly', { tags: ['CTL-03'] }, async () => {
    const gateway = await started();
    const credentials = await enrolDevice(gateway, 'pulse-ox-0202');
    const first = await connectDevice(gateway, credentials);
    clients.push(first);
    await first.openSession();
    // Duplicates dropped right after their refusal, and duplicates whose socket dies right
    // after sending CONNECT (before any answer): none of their closes may end the first's entry.
    for (let i = 0; i < 5; i += 1) {
      const dup = await attemptConnect(gateway.addresses.mqttPort, deviceMqttOptions(credentials));
      clients.push(dup.client);
      expect(dup.connected).toBe(false);
      dup.client.end(true);
      const raw = RawMqtt.tls(gateway.addresses.mqttPort, deviceTls(credentials));
      raw.send(connectPacket(credentials.deviceId));
      raw.socket.once('secureConnect', () => setImmediate(() => raw.destroy()));
      await raw.waitClosed(2_000);
    }
    await sleep(200);
    expect(first.mqtt.connected).toBe(true);
    expect(gateway.devicePlane.connectedDevices).toBe(1);
    await first.sendReading(pulseOximeterReading(0));
    expect(gateway.context.readings.countForDevice('pulse-ox-0202')).toBe(1);
    expect(cloneAlerts(gateway).length).toBeGreaterThanOrEqual(5);
    // And the device is still known as one connection: a further duplicate is still refused.
    const late = await attemptConnect(gateway.addresses.mqttPort, deviceMqttOptions(credentials));
    clients.push(late.client);
    expect(late.returnCode).toBe(2);
  });

  it('[CTL-03] 10 simultaneous connects with the same identity: exactly one is connected', { tags: ['CTL-03'] }, async () => {
    const gateway = await started();
    const credentials = await enrolDevice(gateway, 'pulse-ox-0203');
    const attempts = await Promise.all(Array.from({ length: 10 }, () => attemptConnect(gateway.addresses.mqttPort, deviceMqttOptions(credentials))));
    clients.push(...attempts.map((a) => a.client));
    const winners = attempts.filter((a) => a.connected);
    expect(winners).toHaveLength(1);
    expect(attempts.filter((a) => !a.connected).map((a) => a.returnCode)).toEqual(Array.from({ length: 9 }, () => 2));
    expect(cloneAlerts(gateway)).toHaveLength(9);
    await sleep(300);
    expect(winners[0]!.client.connected).toBe(true);
    expect(gateway.devicePlane.connectedDevices).toBe(1);
    // The winner is a working device connection: it can subscribe to its own channel.
    const granted = await winners[0]!.client.subscribeAsync('devices/pulse-ox-0203/commands', { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
  });

  it('[CTL-03][CTL-16] a device whose connection died silently is locked out only until its keepalive expires (1.5 x keepalive)', { tags: ['CTL-03', 'CTL-16'] }, async () => {
    const gateway = await started();
    const credentials = await enrolDevice(gateway, 'pulse-ox-0204');
    // A TCP relay the test can freeze: the first connection goes silent both ways, as when a
    // network path dies without a FIN or RST.
    const relayed: Socket[] = [];
    let frozen = false;
    const relay: Server = createServer((inbound) => {
      const outbound = netConnect(gateway.addresses.mqttPort, '127.0.0.1');
      relayed.push(inbound, outbound);
      // Once frozen, nothing crosses, not even the device side's close: the gateway can only
      // learn of the loss from its own keepalive check.
      inbound.on('data', (chunk) => frozen || outbound.write(chunk));
      outbound.on('data', (chunk) => frozen || inbound.write(chunk));
      inbound.on('error', () => frozen || outbound.destroy());
      outbound.on('error', () => inbound.destroy());
      inbound.on('close', () => frozen || outbound.destroy());
      outbound.on('close', () => inbound.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    try {
      const port = (relay.address() as { port: number }).port;
      const first = await connectDevice(gateway, credentials);
      await first.close();
      await waitFor(() => gateway.devicePlane.connectedDevices === 0, 2_000, 'warm-up connection gone');
      const viaRelay = await DeviceClient.connect(credentials, { host: '127.0.0.1', port, keepalive: 1, timeoutMs: 5_000 });
      clients.push(viaRelay);
      expect(gateway.devicePlane.connectedDevices).toBe(1);
      frozen = true;
      const frozenAt = performance.now();
      // While the dead connection is still the live one, the device's reconnect is refused...
      const early = await attemptConnect(gateway.addresses.mqttPort, deviceMqttOptions(credentials));
      clients.push(early.client);
      expect(early.returnCode).toBe(2);
      // ...and once aedes' keepalive check (1.5 x 1 s) drops it, the device connects again.
      await waitFor(() => gateway.devicePlane.connectedDevices === 0, 5_000, 'keepalive expiry');
      const lockoutMs = performance.now() - frozenAt;
      process.stdout.write(`FIGURE mqtt.broker.silent_drop_lockout_ms=${lockoutMs.toFixed(0)} keepalive_s=1\n`);
      expect(lockoutMs).toBeGreaterThanOrEqual(1_000);
      expect(lockoutMs).toBeLessThan(3_500);
      const back = await connectDevice(gateway, credentials);
      clients.push(back);
      expect(back.mqtt.connected).toBe(true);
    } finally {
      for (const s of relayed) s.destroy();
      await new Promise((resolve) => relay.close(resolve));
    }
  });
});
