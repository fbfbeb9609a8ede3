import { afterEach, describe, expect, it } from 'vitest';
import { pulseOximeterReading } from '@medsim/testkit';
import { ContentType, STREAM_IDS, v1 } from '@medsim/protocol';
import { readFileSync } from 'node:fs';
import type { Gateway } from '../../src/index.js';
import { DATA_FILES } from '../../src/index.js';
import { LogCapture, auditEvents, connectDevice, enrolDevice, startGateway, tempDataDir, waitFor } from '../fixtures.js';

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

async function started(options: Parameters<typeof startGateway>[0] = {}): Promise<Gateway> {
  const gateway = await startGateway(options);
  gateways.push(gateway);
  return gateway;
}

function createPatient(gateway: Gateway, id: string): void {
  gateway.context.db
    .prepare('INSERT INTO patients (id, display_name_enc, created_at) VALUES (?, ?, ?)')
    .run(id, gateway.context.dataKey.sealText('Test Patient', `patient|${id}`), Date.now());
}

describe('device plane ingest (real broker, real TLS, real envelopes)', () => {
  it('[CTL-05][CTL-07] an enrolled device opens a session and its readings are committed before PUBACK', { tags: ['CTL-05', 'CTL-07'] }, async () => {
    const gateway = await started();
    createPatient(gateway, 'patient-1');
    const credentials = await enrolDevice(gateway, 'pulse-ox-0001', 'pulse-oximeter', 'patient-1');
    const device = await connectDevice(gateway, credentials);
    await device.openSession();
    for (let i = 0; i < 20; i += 1) {
      await device.sendReading(pulseOximeterReading(i));
      // The PUBACK arrived: the reading is already in the database.
      expect(gateway.context.readings.countForDevice('pulse-ox-0001')).toBe(i + 1);
    }
    const stored = gateway.context.readings.forPatient('patient-1', { limit: 100 });
    expect(stored).toHaveLength(20);
    expect(stored[3]?.reading?.observations.map((o) => o.value)).toEqual([94 + 3, 63]);
    await device.close();
  });

  it('[CTL-10][CTL-07][CTL-14] readings are encrypted at rest and never logged: no plaintext payload in the database file or the log', { tags: ['CTL-10', 'CTL-07', 'CTL-14'] }, async () => {
    const log = new LogCapture();
    const gateway = await started({ log });
    const credentials = await enrolDevice(gateway, 'pulse-ox-0002');
    const device = await connectDevice(gateway, credentials);
    await device.openSession();
    // A canary reading with an unusual value: its encoded observation must appear nowhere on disk.
    const canary = { ...pulseOximeterReading(0), observations: [{ ...pulseOximeterReading(0).observations![0]!, value: 87.654321 }] };
    await device.sendReading(canary);
    await device.close();
    gateway.context.db.pragma('wal_checkpoint(TRUNCATE)');
    const needle = Buffer.alloc(8);
    needle.writeDoubleLE(87.654321);
    const file = readFileSync(gateway.state.dataDir.file(DATA_FILES.database));
    expect(file.includes(needle)).toBe(false);
    expect(gateway.context.readings.countForDevice('pulse-ox-0002')).toBe(1);
    // The log ran at debug level throughout: the value appears in no form.
    expect(log.text.length).toBeGreaterThan(0);
    expect(log.text).not.toContain('87.65');
    expect(log.text).not.toContain(needle.toString('base64'));
    // Nor does the stored reading's own row hold it in any readable column.
    const row = gateway.context.db.prepare("SELECT * FROM readings WHERE device_id = 'pulse-ox-0002'").get() as Record<string, unknown>;
    expect(JSON.stringify(row)).not.toContain('87.65');
  });

  it('[CTL-08][M15] a redelivered envelope is acknowledged again and stored once', { tags: ['CTL-08', 'M15'] }, async () => {
    const gateway = await started();
    const device = await connectDevice(gateway, await enrolDevice(gateway, 'pulse-ox-0003'));
    await device.openSession();
    const envelope = device.sealReading(pulseOximeterReading(1));
    await device.publish('telemetry', envelope);
    await device.publish('telemetry', envelope);
    await device.publish('telemetry', envelope);
    expect(gateway.context.readings.countForDevice('pulse-ox-0003')).toBe(1);
    expect(gateway.ingest.counters.duplicates).toBe(2);
    expect(device.mqtt.connected).toBe(true);
    await device.close();
  });

  it('[CTL-07][CTL-09] a tampered envelope closes only the offending connection, with an audit entry', { tags: ['CTL-07', 'CTL-09'] }, async () => {
    const gateway = await started();
    const bad = await connectDevice(gateway, await enrolDevice(gateway, 'pulse-ox-0004'));
    const good = await connectDevice(gateway, await enrolDevice(gateway, 'pulse-ox-0005'));
    await Promise.all([bad.openSession(), good.openSession()]);
    const envelope = Buffer.from(bad.sealReading(pulseOximeterReading(2)));
    envelope[envelope.length - 3]! ^= 0x01;
    const closed = bad.closed();
    bad.publish('telemetry', envelope).catch(() => undefined);
    await closed;
    expect(gateway.context.readings.countForDevice('pulse-ox-0004')).toBe(0);
    expect(auditEvents(gateway)).toContain('envelope.refused:ERR_CRYPTO_AUTH_FAILED');
    await good.sendReading(pulseOximeterReading(3));
    expect(gateway.context.readings.countForDevice('pulse-ox-0005')).toBe(1);
    await good.close();
  });

  it('[CTL-09] a valid envelope whose reading is out of range is refused and not stored', { tags: ['CTL-09'] }, async () => {
    const gateway = await started();
    const device = await connectDevice(gateway, await enrolDevice(gateway, 'pulse-ox-0006'));
    await device.openSession();
    const reading = pulseOximeterReading(0);
    // Encoded with the raw generated class: medsim's own encoder refuses out-of-range values.
    const outOfRange = v1.VitalSignReading.encode(v1.VitalSignReading.create({ ...reading, observations: [{ ...reading.observations![0]!, value: 250 }] })).finish();
    const closed = device.closed();
    const envelope = device.session.seal(ContentType.CONTENT_TYPE_VITAL_SIGN_READING, outOfRange, { streamId: STREAM_IDS.numerics });
    device.publish('telemetry', envelope).catch(() => undefined);
    await closed;
    expect(gateway.context.readings.countForDevice('pulse-ox-0006')).toBe(0);
    expect(auditEvents(gateway).some((e) => e.startsWith('envelope.refused:ERR_PROTOCOL_'))).toBe(true);
  });

  it('[CTL-16][F1] readings and device sessions survive a restart on the same data directory', { tags: ['CTL-16', 'F1'] }, async () => {
    const dir = tempDataDir();
    const first = await startGateway({ dataDir: dir.path });
    const credentials = await enrolDevice(first, 'pulse-ox-0007');
    const device = await connectDevice(first, credentials);
    await device.openSession();
    await device.sendReading(pulseOximeterReading(0));
    // Sealed under the first gateway's session, delivered only after the restart.
    const sealedBefore = device.sealReading(pulseOximeterReading(1));
    await device.close();
    await first.close();

    const second = await started({ dataDir: dir.path });
    const again = await connectDevice(second, credentials);
    // The resumed session opens the envelope: the device's queued data is not lost to a restart.
    const session = device.session;
    await again.publish('telemetry', sealedBefore);
    expect(second.context.readings.countForDevice('pulse-ox-0007')).toBe(2);
    expect(session.deviceId).toBe('pulse-ox-0007');
    await again.close();
    await waitFor(() => second.devicePlane.connectedDevices === 0);
  });
});
