/**
 * The runtime's event log (what UploadLogs reports): bounded, oldest overwritten, identifiers only
 * (free text is not recorded), new at each power-on, and free of the values a device handles, here
 * an insulin pump's bolus.
 */
import type { Gateway } from '@medsim/gateway';
import { Severity, encodeMessage } from '@medsim/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_LOG_CAPACITY, InsulinPump, PATIENT_PROFILES, Patient, type Produced } from '../../src/index.js';
import { ManualClock, T0, bolus, commandFields, makeIdentities, signCommand, type Identities } from '../control/command-fixtures.js';
import { startGateway, tempDir } from '../helpers/gateway-harness.js';
import { bench, benchProvisioner, type Bench } from './ultrasound-fixtures.js';

let gateway: Gateway;
let ids: Identities;
beforeAll(async () => {
  [gateway, ids] = await Promise.all([startGateway(), makeIdentities()]);
});
afterAll(async () => {
  await gateway.close();
});
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let count = 0;
async function poweredBench(): Promise<Bench> {
  count += 1;
  const b = bench(gateway, ids, 1, `us-log-${count}`);
  cleanups.push(b.cleanup);
  await b.device.powerOn();
  return b;
}

describe('device event log', () => {
  it('[CTL-14] keeps the newest EVENT_LOG_CAPACITY entries, oldest first, frozen; eventLog(sinceMs, max) selects', { tags: ['CTL-14', 'CTL-16'] }, async () => {
    const b = await poweredBench();
    const d = b.device;
    const atBoot = d.eventLog().length;
    expect(atBoot).toBeGreaterThan(0);
    for (let i = 0; i < 600; i += 1) {
      b.clock.advance(1_000);
      d.record(Severity.SEVERITY_INFO, 'test', `test.event-${i}`);
    }
    const log = d.eventLog();
    expect(log).toHaveLength(EVENT_LOG_CAPACITY);
    expect(log[0]!.event).toBe('test.event-100');
    expect(log.at(-1)!.event).toBe('test.event-599');
    expect(log.every((e, i) => i === 0 || e.atMs >= log[i - 1]!.atMs)).toBe(true);
    expect(Object.isFrozen(log[0])).toBe(true);
    expect(d.eventLog(0, 3).map((e) => e.event)).toEqual(['test.event-597', 'test.event-598', 'test.event-599']);
    expect(d.eventLog(T0 + 590_000).map((e) => e.event)).toEqual(Array.from({ length: 11 }, (_, i) => `test.event-${589 + i}`));
    expect(d.eventLog(0, 0)).toEqual([]);
    // Each call is a copy: the caller cannot change the device's log.
    (log as unknown[]).length = 0;
    expect(d.eventLog()).toHaveLength(EVENT_LOG_CAPACITY);
  });

  it('[CTL-14] records identifiers only: free text is not recorded, a code that is not ERR_* is blanked', { tags: ['CTL-14'] }, async () => {
    const b = await poweredBench();
    const d = b.device;
    const before = d.eventLog().length;
    d.record(Severity.SEVERITY_INFO, 'link', 'Patient Jane Doe, MRN 123456');
    d.record(Severity.SEVERITY_INFO, 'Jane Doe', 'link.up');
    d.record(Severity.SEVERITY_INFO, 'link', 'x'.repeat(65));
    expect(d.eventLog()).toHaveLength(before);
    d.record(Severity.SEVERITY_LOW, 'link', 'link.down', 'heart rate 72');
    expect(d.eventLog().at(-1)).toMatchObject({ component: 'link', event: 'link.down', code: '' });
    // Whatever is recorded fits maintenance.proto's validator (encodeMessage validates).
    expect(() => encodeMessage('MaintenanceReport', { commandId: new Uint8Array(16), generatedAtMs: T0, checks: [], logs: [...d.eventLog(0, 200)] })).not.toThrow();
  });

  it('starts anew at each power-on (RAM)', async () => {
    const b = await poweredBench();
    b.device.record(Severity.SEVERITY_INFO, 'test', 'test.before-cut');
    await b.device.powerCycle();
    const events = b.device.eventLog().map((e) => e.event);
    expect(events[0]).toBe('power.on');
    expect(events).not.toContain('test.before-cut');
    expect(events).not.toContain('enrolment.completed'); // enrolled at the first boot only
    expect(events).toContain('boot.completed');
  });

  it('[CTL-14] an insulin pump logs its bolus decision, never the dose or who ordered it', { tags: ['CTL-14'] }, async () => {
    class BenchPump extends InsulinPump {
      deliver(signed: Uint8Array): Produced[] {
        const out = this.handleCommand(signed);
        this.produceAll(out);
        return out;
      }
    }
    const dir = tempDir('medsim-pump-log-');
    const clock = new ManualClock(T0);
    const pump = new BenchPump({
      deviceId: 'pump-log-1',
      dataDir: dir.path,
      seed: 3,
      patient: new Patient({ profile: PATIENT_PROFILES['type-1-diabetes'], seed: 3, startMs: T0 }),
      provisioner: benchProvisioner(gateway, ids),
      link: () => {
        throw new Error('offline');
      },
      now: clock.now,
      cycleScale: 1000,
    });
    pump.on('error', () => undefined);
    cleanups.push(async () => {
      await pump.powerOff();
      dir.cleanup();
    });
    await pump.powerOn();
    pump.deliver(signCommand(ids.gateway, commandFields(1, bolus(2_345), { deviceId: 'pump-log-1', issuedAtMs: T0 })));
    expect(pump.decisions.at(-1)?.reasonCode).toBe('');
    const log = pump.eventLog();
    expect(log.at(-1)).toMatchObject({ component: 'command', event: 'command.executed', code: '' });
    const text = JSON.stringify(log.map(({ component, event, code }) => ({ component, event, code })));
    expect(text).not.toMatch(/2345|2\.345|dr-house|bolus/i);
  });
});
