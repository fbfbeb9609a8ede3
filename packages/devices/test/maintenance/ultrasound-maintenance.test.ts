/**
 * The ultrasound's maintenance channel at device level, with real signatures (issue 4): a service
 * mode only a valid signed command opens, which closes at its deadline, on command and at reboot;
 * diagnostics and log upload as MaintenanceReports holding identifiers only; therapy actions
 * refused; replayed, expired and altered commands refused without effect; safe mode after an
 * integrity failure until a local clearance.
 */
import type { Gateway } from '@medsim/gateway';
import { verifyDetached } from '@medsim/crypto';
import {
  AlarmCode,
  AlarmState,
  CheckResult,
  CommandStatus,
  ContentType,
  OperatingState,
  STREAM_IDS,
  SecurityEventType,
  decodeMessage,
  encodeMessage,
} from '@medsim/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { THERAPY_COMMAND_ACK_LABEL } from '../../src/index.js';
import { MINUTE, bolus, commandFields, makeIdentities, pacing, signCommand, suspend, type Identities } from '../control/command-fixtures.js';
import { startGateway } from '../helpers/gateway-harness.js';
import { US_ID, ackOf, bench, closeService, openService, reportOf, runDiagnostics, securityEventsOf, statusStatesOf, uploadLogs, type Bench } from './ultrasound-fixtures.js';

const S = CommandStatus;
const IDENTIFIER = /^[a-z0-9][a-z0-9._-]*$/;
const CODE = /^(ERR_[A-Z0-9_]+)?$/;

let gateway: Gateway;
let ids: Identities;
beforeAll(async () => {
  [gateway, ids] = await Promise.all([startGateway(), makeIdentities()]);
});
afterAll(async () => {
  await gateway.close();
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let benches = 0;
/** A powered-on bench ultrasound (each with its own device id: the gateway enrols an id once). */
async function poweredBench(seed = 1): Promise<Bench> {
  benches += 1;
  const b = bench(gateway, ids, seed, `${US_ID}-${benches}`);
  cleanups.push(b.cleanup);
  await b.device.powerOn();
  return b;
}

const events = (b: Bench): string[] => b.device.eventLog().map((e) => e.event);

describe('ultrasound service mode', () => {
  it('[CTL-19][CTL-08] opens only by a valid signed command, shows SERVICE, and closes after its duration and on command', { tags: ['CTL-19', 'CTL-08', 'CTL-22'] }, async () => {
    const b = await poweredBench();
    const d = b.device;
    expect(d.operatingState).toBe(OperatingState.OPERATING_STATE_NORMAL);

    // Refused, and nothing opens: expired, for another device, confirmed too long before issuing.
    expect(ackOf(d.deliver(b.command(openService(30), { issuedAtMs: b.clock.nowMs - 10 * MINUTE })))).toEqual({ status: S.COMMAND_STATUS_REJECTED_STALE, reasonCode: 'ERR_THERAPY_EXPIRED' });
    expect(ackOf(d.deliver(b.command(openService(30), { deviceId: 'us-someone-else' })))).toEqual({ status: S.COMMAND_STATUS_REJECTED_STATE, reasonCode: 'ERR_THERAPY_WRONG_DEVICE' });
    expect(ackOf(d.deliver(b.command(openService(30), { confirmedAtMs: b.clock.nowMs - 5 * MINUTE })))).toEqual({ status: S.COMMAND_STATUS_REJECTED_INVALID, reasonCode: 'ERR_THERAPY_UNCONFIRMED' });
    expect(d.operatingState).toBe(OperatingState.OPERATING_STATE_NORMAL);
    expect(d.maintenance.snapshot().serviceMode).toBeNull();
    expect(securityEventsOf(b.produced)).not.toContain(SecurityEventType.SECURITY_EVENT_TYPE_SERVICE_MODE_OPENED);

    // A valid command opens it for 30 min: ack, SERVICE_MODE_OPENED, and a status saying SERVICE at once.
    const open = b.command(openService(30));
    const opened = d.deliver(open);
    expect(ackOf(opened)).toEqual({ status: S.COMMAND_STATUS_EXECUTED, reasonCode: '' });
    expect(securityEventsOf(opened)).toEqual([SecurityEventType.SECURITY_EVENT_TYPE_SERVICE_MODE_OPENED]);
    expect(statusStatesOf(opened)).toEqual([OperatingState.OPERATING_STATE_SERVICE]);
    expect(d.operatingState).toBe(OperatingState.OPERATING_STATE_SERVICE);
    expect(d.maintenance.snapshot().serviceMode).toMatchObject({ openedAtMs: b.clock.nowMs, untilMs: b.clock.nowMs + 30 * MINUTE });

    // The same bytes again: a replay, refused, reported; the deadline does not move.
    const before = d.maintenance.snapshot();
    b.clock.advance(MINUTE);
    const replayed = d.deliver(open);
    expect(ackOf(replayed).status).toBe(S.COMMAND_STATUS_REJECTED_REPLAY);
    expect(securityEventsOf(replayed)).toEqual([SecurityEventType.SECURITY_EVENT_TYPE_REPLAY_DETECTED]);
    expect(d.maintenance.snapshot()).toEqual(before);

    // Still open one minute before the deadline; closed by the first cycle at it.
    b.clock.advance(28 * MINUTE);
    d.runCycle();
    expect(d.operatingState).toBe(OperatingState.OPERATING_STATE_SERVICE);
    b.clock.advance(MINUTE);
    const from = b.produced.length;
    d.runCycle();
    expect(d.operatingState).toBe(OperatingState.OPERATING_STATE_NORMAL);
    expect(statusStatesOf(b.produced.slice(from))).toEqual([OperatingState.OPERATING_STATE_NORMAL]);
    expect(d.maintenance.snapshot().serviceMode).toBeNull();
    expect(events(b)).toContain('service.expired');

    // Opened again, closed by command before its deadline; closing a closed service mode changes nothing.
    d.deliver(b.command(openService(60)));
    expect(d.operatingState).toBe(OperatingState.OPERATING_STATE_SERVICE);
    const closed = d.deliver(b.command(closeService()));
    expect(ackOf(closed)).toEqual({ status: S.COMMAND_STATUS_EXECUTED, reasonCode: '' });
    expect(statusStatesOf(closed)).toEqual([OperatingState.OPERATING_STATE_NORMAL]);
    expect(d.operatingState).toBe(OperatingState.OPERATING_STATE_NORMAL);
    const again = d.deliver(b.command(closeService()));
    expect(ackOf(again).status).toBe(S.COMMAND_STATUS_EXECUTED);
    expect(statusStatesOf(again)).toEqual([]);
    expect(events(b).filter((e) => e.startsWith('service.'))).toEqual(['service.opened', 'service.expired', 'service.opened', 'service.closed']);
  });

  it('[CTL-19] a reboot closes service mode; the replay state survives it', { tags: ['CTL-19', 'CTL-08'] }, async () => {
    const b = await poweredBench();
    const open = b.command(openService(240));
    b.device.deliver(open);
    expect(b.device.operatingState).toBe(OperatingState.OPERATING_STATE_SERVICE);
    await b.device.powerCycle();
    expect(b.device.operatingState).toBe(OperatingState.OPERATING_STATE_NORMAL);
    expect(b.device.maintenance.snapshot().serviceMode).toBeNull();
    // A new log per power-on; the closing at boot is in it.
    expect(events(b).slice(0, 1)).toEqual(['power.on']);
    expect(events(b)).toContain('service.closed-at-boot');
    // The opening command, delivered again after the reboot, is still a replay.
    expect(ackOf(b.device.deliver(open)).status).toBe(S.COMMAND_STATUS_REJECTED_REPLAY);
    expect(b.device.operatingState).toBe(OperatingState.OPERATING_STATE_NORMAL);
    b.device.runCycle();
    expect(statusStatesOf(b.produced).at(-1)).toBe(OperatingState.OPERATING_STATE_NORMAL);
  });
});

describe('ultrasound diagnostics', () => {
  it('[CTL-14] a signed RunDiagnostics yields a signed ack and a MaintenanceReport of identifiers and numbers only; injected dead elements FAIL', { tags: ['CTL-14', 'CTL-15'] }, async () => {
    const b = await poweredBench();
    const d = b.device;
    const command = b.command(runDiagnostics());
    const out = d.deliver(command);
    // The ack is signed by the device's own key.
    const ackMessage = out.find((m) => m.contentType === ContentType.CONTENT_TYPE_THERAPY_COMMAND_ACK)!;
    const signedAck = decodeMessage('SignedTherapyCommandAck', ackMessage.payload);
    verifyDetached(d.keystore.sessionIdentity().public.signing, THERAPY_COMMAND_ACK_LABEL, signedAck.ack, signedAck.signature);
    expect(ackOf(out).status).toBe(S.COMMAND_STATUS_EXECUTED);
    // The report: status channel, control stream (as the gateway expects it), kept through a full flash.
    const message = out.find((m) => m.contentType === ContentType.CONTENT_TYPE_MAINTENANCE_REPORT)!;
    expect(message).toMatchObject({ channel: 'status', streamId: STREAM_IDS.control, priority: 'alarm' });
    const report = reportOf(out)!; // decoded and validated by the protocol
    expect(Buffer.from(report.commandId)).toEqual(Buffer.from(decodeMessage('TherapyCommand', decodeMessage('SignedTherapyCommand', command).command).commandId));
    expect(report.generatedAtMs).toBe(b.clock.nowMs);
    expect(report.logs).toEqual([]);
    expect(report.checks.map((c) => c.name)).toEqual([
      'transducer.elements',
      'transducer.dead-elements',
      'probe.temperature',
      'fan.speed',
      'power.supply',
      'battery.charge',
      'queue.depth',
      'clock.offset',
      'firmware.version',
    ]);
    for (const check of report.checks) {
      expect(check.name).toMatch(IDENTIFIER);
      expect(check.unit).toMatch(/^[\x21-\x7e]{0,16}$/);
      expect(Number.isFinite(check.value)).toBe(true);
      // A healthy system at boot: every check passes.
      expect(check.result, check.name).toBe(CheckResult.CHECK_RESULT_PASS);
    }
    const value = (name: string, r = report): number => r.checks.find((c) => c.name === name)!.value;
    expect(value('transducer.elements')).toBe(192);
    expect(value('firmware.version')).toBe(70_200);
    expect(value('clock.offset')).toBe(0);

    // Fault injection: 8 dead elements fail the probe; 2 only warn; cleared, it passes again.
    const resultOf = (name: string): CheckResult => reportOf(d.deliver(b.command(runDiagnostics())))!.checks.find((c) => c.name === name)!.result;
    d.selfTest.injectFaults({ deadElements: 8 });
    expect(resultOf('transducer.dead-elements')).toBe(CheckResult.CHECK_RESULT_FAIL);
    d.selfTest.injectFaults({ deadElements: 2, fanSpeedPerMin: 0 });
    expect(resultOf('transducer.dead-elements')).toBe(CheckResult.CHECK_RESULT_WARN);
    expect(resultOf('fan.speed')).toBe(CheckResult.CHECK_RESULT_FAIL);
    d.selfTest.clearFaults();
    expect(resultOf('transducer.dead-elements')).toBe(CheckResult.CHECK_RESULT_PASS);
    // Diagnostics read the device, they change nothing: no service mode needed, none opened.
    expect(d.operatingState).toBe(OperatingState.OPERATING_STATE_NORMAL);
  });
});

describe('ultrasound log upload', () => {
  it('[CTL-14] respects sinceMs and maxEntries and carries identifiers only, none of the values the device measured', { tags: ['CTL-14'] }, async () => {
    const b = await poweredBench(5);
    const d = b.device;
    const diagnostics = reportOf(d.deliver(b.command(runDiagnostics())))!;
    b.clock.advance(5 * MINUTE);
    const since = b.clock.nowMs;
    d.deliver(b.command(openService(15)));
    d.deliver(b.command(bolus(2_345)));
    d.deliver(b.command(closeService()));

    // Everything kept: what eventLog() holds when the upload runs (its own decision comes after).
    const expected = d.eventLog(0, 200).map((e) => ({ atMs: e.atMs, severity: e.severity, component: e.component, event: e.event, code: e.code }));
    const all = reportOf(d.deliver(b.command(uploadLogs(0, 200))))!;
    expect(all.checks).toEqual([]);
    expect(all.logs.map((e) => ({ atMs: e.atMs, severity: e.severity, component: e.component, event: e.event, code: e.code }))).toEqual(expected);
    expect(all.logs.map((e) => e.event)).toEqual(
      expect.arrayContaining(['power.on', 'enrolment.completed', 'boot.completed', 'link.unavailable', 'command.executed', 'service.opened', 'state.service', 'security.service-mode-opened', 'command.rejected-state', 'service.closed', 'state.normal']),
    );
    expect(all.logs.find((e) => e.event === 'command.rejected-state')?.code).toBe('ERR_THERAPY_UNSUPPORTED_ACTION');

    // sinceMs: nothing older; maxEntries: the newest ones.
    const recent = reportOf(d.deliver(b.command(uploadLogs(since, 200))))!;
    expect(recent.logs.length).toBeGreaterThan(3);
    expect(recent.logs.every((e) => e.atMs >= since)).toBe(true);
    expect(recent.logs.map((e) => e.event)).not.toContain('enrolment.completed');
    const newestTwo = d.eventLog(since, 2).map((e) => e.event);
    const two = reportOf(d.deliver(b.command(uploadLogs(since, 2))))!;
    expect(two.logs.map((e) => e.event)).toEqual(newestTwo);
    expect(newestTwo).toHaveLength(2);

    // Identifiers only: no free text, no issuer, no command id, no measured value.
    const payload = Buffer.from(encodeMessage('MaintenanceReport', all));
    for (const entry of all.logs) {
      expect(entry.component).toMatch(IDENTIFIER);
      expect(entry.event).toMatch(IDENTIFIER);
      expect(entry.code).toMatch(CODE);
    }
    expect(payload.includes('dr-house')).toBe(false);
    expect(payload.includes(Buffer.from(diagnostics.commandId))).toBe(false);
    expect(JSON.stringify(all.logs.map(({ component, event, code }) => [component, event, code]))).not.toMatch(/\d{3,}/);
    for (const check of diagnostics.checks) {
      const double = Buffer.alloc(8);
      double.writeDoubleLE(check.value);
      expect(payload.includes(double), `${check.name} = ${check.value}`).toBe(false);
    }
  });
});

describe('ultrasound refusals', () => {
  it('[CTL-17] refuses every therapy action, whoever signed it, and changes nothing', { tags: ['CTL-17', 'CTL-08'] }, async () => {
    const b = await poweredBench();
    const d = b.device;
    const before = d.maintenance.snapshot();
    for (const action of [bolus(1_000), pacing(60), suspend(30)]) {
      const out = d.deliver(b.command(action));
      expect(ackOf(out)).toEqual({ status: S.COMMAND_STATUS_REJECTED_STATE, reasonCode: 'ERR_THERAPY_UNSUPPORTED_ACTION' });
      expect(reportOf(out)).toBeUndefined();
    }
    expect(d.counters.refusedCommands).toBe(3);
    expect(d.maintenance.snapshot()).toEqual(before);
    expect(d.operatingState).toBe(OperatingState.OPERATING_STATE_NORMAL);
  });

  it('[CTL-08][CTL-22] an altered command is an integrity failure: safe mode closes service mode and refuses maintenance until a local clearance', { tags: ['CTL-08', 'CTL-22', 'CTL-19'] }, async () => {
    const b = await poweredBench();
    const d = b.device;
    d.deliver(b.command(openService(30)));
    expect(d.operatingState).toBe(OperatingState.OPERATING_STATE_SERVICE);

    // A valid command whose duration was changed in transit (inside the session): the signature no longer verifies.
    const fields = { ...commandFields(100, {}, { deviceId: d.deviceId, issuedAtMs: b.clock.nowMs }), ...openService(30) };
    const genuine = decodeMessage('SignedTherapyCommand', signCommand(ids.gateway, fields));
    const altered = encodeMessage('SignedTherapyCommand', {
      command: encodeMessage('TherapyCommand', { ...fields, openServiceMode: { durationMinutes: 240 } }),
      signerKeyId: genuine.signerKeyId,
      signature: genuine.signature,
    });
    const out = d.deliver(altered);
    expect(ackOf(out)).toEqual({ status: S.COMMAND_STATUS_REJECTED_SIGNATURE, reasonCode: 'ERR_THERAPY_SIGNATURE_INVALID' });
    expect(securityEventsOf(out)).toEqual([SecurityEventType.SECURITY_EVENT_TYPE_SIGNATURE_INVALID, SecurityEventType.SECURITY_EVENT_TYPE_SAFE_MODE_ENTERED]);
    const alarms = out.filter((m) => m.contentType === ContentType.CONTENT_TYPE_ALARM).map((m) => decodeMessage('Alarm', m.payload));
    expect(alarms).toMatchObject([{ code: AlarmCode.ALARM_CODE_SAFE_MODE, state: AlarmState.ALARM_STATE_ACTIVE }]);
    expect(d.operatingState).toBe(OperatingState.OPERATING_STATE_SAFE_MODE);
    expect(d.maintenance.snapshot().serviceMode).toBeNull();
    expect(events(b)).toContain('service.closed-safe-mode');

    // Valid commands are refused now, and so is one signed by another key.
    for (const action of [runDiagnostics(), openService(10), uploadLogs(0, 10)]) {
      const refused = d.deliver(b.command(action));
      expect(ackOf(refused)).toEqual({ status: S.COMMAND_STATUS_REJECTED_STATE, reasonCode: 'ERR_THERAPY_SAFE_MODE' });
      expect(reportOf(refused)).toBeUndefined();
    }
    const forged = signCommand(ids.attacker, { ...commandFields(200, {}, { deviceId: d.deviceId, issuedAtMs: b.clock.nowMs }), ...openService(30) });
    expect(ackOf(d.deliver(forged))).toEqual({ status: S.COMMAND_STATUS_REJECTED_SIGNATURE, reasonCode: 'ERR_THERAPY_UNKNOWN_SIGNER' });
    expect(d.operatingState).toBe(OperatingState.OPERATING_STATE_SAFE_MODE);

    // Safe mode survives a reboot; only someone at the device clears it.
    await d.powerCycle();
    expect(d.operatingState).toBe(OperatingState.OPERATING_STATE_SAFE_MODE);
    d.clearSafeMode({ source: 'device-button' });
    expect(d.operatingState).toBe(OperatingState.OPERATING_STATE_NORMAL);
    const after = d.deliver(b.command(runDiagnostics()));
    expect(ackOf(after).status).toBe(S.COMMAND_STATUS_EXECUTED);
    expect(reportOf(after)?.checks.length).toBe(9);
    // Service mode stayed closed through all of it.
    expect(d.maintenance.snapshot().serviceMode).toBeNull();
  });
});
