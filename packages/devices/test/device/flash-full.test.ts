/**
 * A full flash while the gateway is unreachable: the documented policy drops the oldest readings,
 * keeps every alarm, and the device reports the drop to the gateway (STORAGE_DROP security event,
 * audited) once it is back.
 */
import { AlarmState, ContentType, SecurityEventType, decodeMessage, decodePayload } from '@medsim/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttLink, PATIENT_PROFILES, Patient, PulseOximeter } from '../../src/index.js';
import { eventually, registryProvisioner, startGateway, tempDir } from '../helpers/gateway-harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a full flash during an outage', () => {
  it('[CTL-16] drops the oldest readings, keeps the alarms, and reports the drop when the gateway is back', { tags: ['CTL-16', 'CTL-22'] }, async () => {
    const gateway = await startGateway();
    cleanups.push(() => gateway.close());
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    let reachable = true;
    const patient = new Patient({ profile: PATIENT_PROFILES['copd'], seed: 4, startMs: Date.now() });
    const device = new PulseOximeter({
      deviceId: 'spo2-full',
      dataDir: dir.path,
      seed: 4,
      patient,
      provisioner: registryProvisioner(gateway),
      link: (ctx) => new MqttLink({ deviceId: ctx.deviceId, host: '127.0.0.1', port: reachable ? gateway.addresses.mqttPort : 1, secureContext: ctx.keystore.tlsSecureContext(ctx.enrolment) }),
      cycleScale: 0.01,
      flashBytes: 8 * 1024,
      backoff: { baseMs: 20, maxMs: 100 },
    });
    cleanups.push(() => device.powerOff());
    await device.powerOn();
    await eventually(() => device.state === 'online', 20_000, 'online');
    // The outage: the link drops and every reconnection fails; hypoxia starts meanwhile (alarms).
    reachable = false;
    await device.powerCycle();
    patient.injectAnomaly({ kind: 'hypoxia', startMs: device.clock.now(), durationMs: 4_000, severity: 1, rampMs: 300 });
    await eventually(() => device.counters.dropped > 20 && device.activeAlarms.length > 0, 30_000, 'readings dropped on a full flash, and a desaturation alarm raised offline');
    // Back: the queue drains; the drop report and the alarms arrive.
    reachable = true;
    await eventually(
      () => gateway.context.readings.payloadsForDevice('spo2-full').some((r) => r.contentType === ContentType.CONTENT_TYPE_SECURITY_EVENT && decodeMessage('SecurityEvent', r.payload).type === SecurityEventType.SECURITY_EVENT_TYPE_STORAGE_DROP),
      30_000,
      'the STORAGE_DROP report',
    );
    // The alarm raised during the outage survived the full flash and arrives.
    const alarms = (): { state: AlarmState }[] =>
      gateway.context.readings.payloadsForDevice('spo2-full').filter((r) => r.contentType === ContentType.CONTENT_TYPE_ALARM).map((r) => decodePayload(ContentType.CONTENT_TYPE_ALARM, r.payload).message as { state: AlarmState });
    await eventually(() => alarms().some((a) => a.state === AlarmState.ALARM_STATE_ACTIVE), 30_000, 'the alarm raised offline');
    expect((gateway.context.db.prepare("SELECT count(*) AS n FROM audit_log WHERE event = 'device.security-event'").get() as { n: number }).n).toBeGreaterThan(0);
  });
});
