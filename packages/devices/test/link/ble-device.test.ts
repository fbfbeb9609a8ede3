/**
 * A BLE device end to end: the gateway's BLE central is real noble over the virtual radio; the
 * device's envelopes reach the gateway database through the same ingest path as MQTT; the sniffer
 * never sees a biometric value in clear; the standard Pulse Oximeter service needs an encrypted link.
 */
import { VirtualRadio, createNoble } from '@medsim/ble-radio';
import { encodeMessage } from '@medsim/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { BleLink, PATIENT_PROFILES, Patient, PulseOximeter, type SimulatedDevice } from '../../src/index.js';
import { eventually, readingsFor, registryProvisioner, startGateway, tempDir } from '../helpers/gateway-harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.each([
  { pairing: 'lesc-just-works', encrypted: true },
  { pairing: 'none', encrypted: false },
] as const)('a BLE device (pairing $pairing) through noble into the gateway', ({ pairing, encrypted }) => {
  it('[CTL-07] readings arrive once, end-to-end encrypted: the sniffer sees no value in clear', { tags: ['CTL-07'] }, async () => {
    const radio = new VirtualRadio({ seed: 5 });
    const gateway = await startGateway({ ble: { noble: createNoble(radio) } });
    cleanups.push(() => gateway.close());
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const patient = new Patient({ profile: PATIENT_PROFILES['copd'], seed: 5, startMs: Date.now() });
    let link: BleLink | undefined;
    const device: SimulatedDevice = new PulseOximeter({
      deviceId: 'spo2-ble-1',
      dataDir: dir.path,
      seed: 5,
      patient,
      provisioner: registryProvisioner(gateway),
      link: (ctx) => (link ??= new BleLink({ deviceId: ctx.deviceId, radio, address: 'c0:ff:ee:00:00:01', localName: 'medsim SpO2', device, pairing })),
      cycleScale: 0.05,
    });
    cleanups.push(() => device.powerOff());
    await device.powerOn();
    await eventually(() => device.counters.delivered >= 12, 30_000, '12 deliveries over BLE');
    await device.powerOff();
    const stored = readingsFor(gateway, 'spo2-ble-1');
    expect(stored.length).toBeGreaterThanOrEqual(10);
    expect(new Set(stored.map((r) => r.measuredAtMs)).size).toBe(stored.length);
    // Every stored reading, re-encoded, is nowhere on the air: not the protobuf, not its values.
    for (const reading of stored) {
      expect(radio.sniffer.containsBytes(encodeMessage('VitalSignReading', reading))).toBe(false);
    }
    // The sniffer hears the data channel. Paired (LESC), even the envelope headers are ciphertext on
    // the air; unpaired, it reads them (the device id in the clear, authenticated header), and still
    // no value: the envelopes are encrypted end to end whatever the link does (ADR 0005).
    expect(radio.sniffer.pdus.some((pdu) => pdu.kind === 'ATT')).toBe(true);
    expect(radio.sniffer.containsBytes(Buffer.from('spo2-ble-1'))).toBe(!encrypted);
  });
});
