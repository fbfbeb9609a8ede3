/**
 * A monitoring device over MQTT into a real gateway: enrolment on first boot, the HPKE session, every
 * reading stored once, and the store-and-forward queue across a device power cycle.
 */
import type { Gateway } from '@medsim/gateway';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttLink, PATIENT_PROFILES, Patient, PulseOximeter, type LinkFactory } from '../../src/index.js';
import { eventually, readingsFor, registryProvisioner, startGateway, tempDir } from '../helpers/gateway-harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const mqttLink = (gateway: Gateway): LinkFactory => (ctx) =>
  new MqttLink({ deviceId: ctx.deviceId, host: '127.0.0.1', port: gateway.addresses.mqttPort, secureContext: ctx.keystore.tlsSecureContext(ctx.enrolment) });

describe('a monitoring device over MQTT', () => {
  it('[CTL-07] enrols, opens a session and every reading reaches the gateway database once', { tags: ['CTL-07'] }, async () => {
    const gateway = await startGateway();
    cleanups.push(() => gateway.close());
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const patient = new Patient({ profile: PATIENT_PROFILES['healthy-adult'], seed: 7, startMs: Date.now() });
    const device = new PulseOximeter({ deviceId: 'spo2-1', dataDir: dir.path, seed: 7, patient, provisioner: registryProvisioner(gateway), link: mqttLink(gateway), cycleScale: 0.02 });
    cleanups.push(() => device.powerOff());
    await device.powerOn();
    await eventually(() => device.counters.delivered >= 10, 20_000, '10 deliveries');
    await device.powerOff();
    const stored = readingsFor(gateway, 'spo2-1');
    expect(stored.length).toBeGreaterThanOrEqual(9);
    const times = stored.map((r) => r.measuredAtMs);
    expect(new Set(times).size).toBe(times.length);
    expect(stored[0]!.observations.map((o) => o.parameter)).toHaveLength(2);
    // Power cycle: the same identity comes back (no second enrolment) and delivery goes on.
    const before = readingsFor(gateway, 'spo2-1').length;
    await device.powerOn();
    await eventually(() => readingsFor(gateway, 'spo2-1').length >= before + 3, 20_000, 'readings after the power cycle');
    expect(device.counters.sessions).toBe(2);
  });
});
