/**
 * The bounded retry of a queued message the gateway refuses for good. Readings sealed under a
 * session the gateway has since forgotten (the device was offline for more than its 24 h session
 * retention) are refused on every reconnection; MQTT 3.1.1 has no negative PUBACK, so each refusal
 * closes the connection and, without a bound, the first of them would block everything behind it
 * for ever. After UNDELIVERABLE_AFTER_SESSIONS sessions in a row the device gives the message up,
 * reports the loss as STORAGE_DROP (ERR_QUEUE_UNDELIVERABLE), and the newer readings flow.
 */
import { ContentType, SecurityEventType, decodeMessage } from '@medsim/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy, MqttLink, NETWORK_PROFILES, PATIENT_PROFILES, Patient, PulseOximeter, UNDELIVERABLE_AFTER_SESSIONS } from '../../src/index.js';
import { eventually, registryProvisioner, startGateway, tempDir } from '../helpers/gateway-harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const DAY_MS = 86_400_000;

describe('a queued message the gateway refuses for good', () => {
  it('[CTL-16] is given up after a bounded number of sessions, reported, and stops blocking the readings behind it', { tags: ['CTL-16'] }, async () => {
    // One clock for both sides, so a day can pass between two connections.
    let offsetMs = 0;
    const now = (): number => Date.now() + offsetMs;
    const gateway = await startGateway({ now, overrides: { 'mqtt.handshakesPerMinute': 1000 } });
    cleanups.push(() => gateway.close());
    const proxy = new FaultProxy({ target: { host: '127.0.0.1', port: gateway.addresses.mqttPort }, profile: NETWORK_PROFILES.ideal, seed: 1 });
    const proxyPort = await proxy.listen();
    cleanups.push(() => proxy.close());
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const device = new PulseOximeter({
      deviceId: 'spo2-stale',
      dataDir: dir.path,
      seed: 7,
      now,
      patient: new Patient({ profile: PATIENT_PROFILES['healthy-adult'], seed: 7, startMs: Date.now() }),
      provisioner: registryProvisioner(gateway),
      link: (ctx) => new MqttLink({ deviceId: ctx.deviceId, host: '127.0.0.1', port: proxyPort, secureContext: ctx.keystore.tlsSecureContext(ctx.enrolment) }),
      cycleScale: 0.2,
      backoff: { baseMs: 20, maxMs: 100 },
    });
    const reasons: string[] = [];
    device.on('dropped', (_count, reason) => reasons.push(reason));
    cleanups.push(() => device.powerOff());
    await device.powerOn();
    await eventually(() => device.state === 'online' && device.counters.delivered > 2, 20_000, 'online and delivering');

    // Offline: readings are sealed under the current session and queued. A gateway that cannot be
    // reached is no refusal: nothing is given up however many connection attempts fail.
    const outage = proxy.outage({ mode: 'reset', durationMs: 60_000 });
    await eventually(() => device.state !== 'online', 5_000, 'the link down');
    await eventually(() => device.queued >= 4, 5_000, 'readings queued offline');
    expect(device.counters.dropped).toBe(0);
    // A day and more passes: the gateway no longer holds that session (24 h retention).
    offsetMs = DAY_MS + 10 * 60_000;
    const storedBefore = gateway.context.readings.payloadsForDevice('spo2-stale').length;
    await proxy.heal();
    await outage;

    // Back: each stale reading is refused in UNDELIVERABLE_AFTER_SESSIONS sessions, then given up;
    // the readings sealed under the new sessions are stored.
    await eventually(() => device.counters.dropped >= 1 && device.queued <= 2, 60_000, 'the stale readings given up and the queue drained');
    await eventually(
      () =>
        gateway.context.readings
          .payloadsForDevice('spo2-stale')
          .some((r) => r.contentType === ContentType.CONTENT_TYPE_SECURITY_EVENT && decodeMessage('SecurityEvent', r.payload).errorCode === 'ERR_QUEUE_UNDELIVERABLE'),
      20_000,
      'the STORAGE_DROP report',
    );
    const stored = gateway.context.readings.payloadsForDevice('spo2-stale');
    expect(stored.length).toBeGreaterThan(storedBefore);
    const report = stored.map((r) => (r.contentType === ContentType.CONTENT_TYPE_SECURITY_EVENT ? decodeMessage('SecurityEvent', r.payload) : undefined)).find((e) => e?.errorCode === 'ERR_QUEUE_UNDELIVERABLE')!;
    expect(report.type).toBe(SecurityEventType.SECURITY_EVENT_TYPE_STORAGE_DROP);
    expect(report.subject).toMatch(/^[1-9]\d* undeliverable$/);
    expect(Number(report.subject.split(' ')[0])).toBeLessThanOrEqual(device.counters.dropped);
    expect(new Set(reasons)).toEqual(new Set(['undeliverable']));
    // Each given-up reading was refused (and audited) in that many sessions first.
    const refusals = (gateway.context.db.prepare("SELECT count(*) AS n FROM audit_log WHERE event = 'envelope.refused'").get() as { n: number }).n;
    expect(refusals).toBeGreaterThanOrEqual(UNDELIVERABLE_AFTER_SESSIONS * device.counters.dropped);
    // Nothing else was lost: every reading is delivered, given up, or still queued.
    const { produced, delivered, dropped } = device.counters;
    expect(delivered + dropped + device.queued).toBe(produced);
    expect(device.eventLog().some((e) => e.event === 'queue.undeliverable' && e.code === 'ERR_QUEUE_UNDELIVERABLE')).toBe(true);
  });
});
