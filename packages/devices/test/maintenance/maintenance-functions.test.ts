/**
 * MaintenanceFunctions and the ultrasound self-test on their own (no device, no gateway): the
 * device's limits hold on commands that skipped protocol validation, a report is handed over once
 * and only for its command, a persisted service mode is closed at boot, and the self-test is
 * deterministic by seed and graded by its thresholds.
 */
import { CheckResult, CommandStatus, Severity, decodeMessage } from '@medsim/protocol';
import { describe, expect, it } from 'vitest';
import {
  MaintenanceFunctions,
  MemoryState,
  SeededRandom,
  ULTRASOUND_CHECK_LIMITS,
  UltrasoundSelfTest,
  firmwareVersionNumber,
  gradeCheck,
  parseMaintenanceState,
  type DeviceLogEntry,
  type MaintenanceState,
  type UltrasoundSystemFigures,
} from '../../src/index.js';
import { MINUTE, T0, bolus, commandFields, decoded, unvalidated, type Action } from '../control/command-fixtures.js';
import { codeOf } from '../helpers/errors.js';
import { openService, runDiagnostics, uploadLogs, type MaintenanceAction } from './ultrasound-fixtures.js';

const S = CommandStatus;
const HEALTHY: UltrasoundSystemFigures = { batteryPercent: 90, clockOffsetMs: 12, queuedMessages: 3 };

const selfTest = (seed = 1, system: UltrasoundSystemFigures = HEALTHY): UltrasoundSelfTest =>
  new UltrasoundSelfTest({ random: new SeededRandom(seed), firmwareVersion: '7.2.0', system: () => system });

const LOG: DeviceLogEntry[] = Array.from({ length: 10 }, (_, i) => ({ atMs: T0 + i * MINUTE, severity: Severity.SEVERITY_INFO, component: 'link', event: i % 2 === 0 ? 'link.up' : 'link.down', code: i % 2 === 0 ? '' : 'ERR_LINK_DOWN' }));

function functions(state = new MemoryState<MaintenanceState>(), recorded: string[] = []): MaintenanceFunctions {
  return new MaintenanceFunctions({
    selfTest: selfTest(),
    eventLog: (sinceMs, max) => LOG.filter((e) => e.atMs >= sinceMs).slice(-max),
    state,
    record: (_severity, _component, event) => recorded.push(event),
  });
}

let sequence = 0;
const command = (action: MaintenanceAction | Action): ReturnType<typeof decoded> => {
  sequence += 1;
  return decoded({ ...commandFields(sequence, {}, { deviceId: 'us-unit-1' }), ...action });
};

describe('MaintenanceFunctions', () => {
  it('[CTL-09] holds its own limits on commands that skipped protocol validation', { tags: ['CTL-09'] }, () => {
    const m = functions();
    for (const action of [{ openServiceMode: { durationMinutes: 0 } }, { openServiceMode: { durationMinutes: 241 } }, { uploadLogs: { sinceMs: 0, maxEntries: 0 } }, { uploadLogs: { sinceMs: 0, maxEntries: 201 } }]) {
      expect(m.apply(unvalidated({ ...commandFields(1, {}, { deviceId: 'us-unit-1' }), ...action }), T0)).toEqual({ status: S.COMMAND_STATUS_REJECTED_INVALID, reasonCode: 'ERR_THERAPY_MALFORMED_COMMAND' });
    }
    expect(m.apply(unvalidated(commandFields(1, {}, { deviceId: 'us-unit-1' })), T0)).toEqual({ status: S.COMMAND_STATUS_REJECTED_STATE, reasonCode: 'ERR_THERAPY_UNSUPPORTED_ACTION' });
    expect(m.apply(decoded({ ...commandFields(1, bolus(100), { deviceId: 'us-unit-1' }) }), T0)).toEqual({ status: S.COMMAND_STATUS_REJECTED_STATE, reasonCode: 'ERR_THERAPY_UNSUPPORTED_ACTION' });
    expect(m.snapshot()).toEqual({ version: 1, serviceMode: null, safeMode: null });
    // A device may keep service mode shorter than the protocol allows.
    const short = new MaintenanceFunctions({ selfTest: selfTest(), eventLog: () => [], maxServiceMinutes: 30 });
    expect(short.apply(command(openService(31)), T0).reasonCode).toBe('ERR_THERAPY_MALFORMED_COMMAND');
    expect(short.apply(command(openService(30)), T0).status).toBe(S.COMMAND_STATUS_EXECUTED);
    expect(codeOf(() => new MaintenanceFunctions({ selfTest: selfTest(), eventLog: () => [], maxServiceMinutes: 241 }))).toBe('ERR_THERAPY_INVALID_CONFIG');
  });

  it('hands a report over once, and only for the command that produced it', () => {
    const m = functions();
    const diagnostics = command(runDiagnostics());
    expect(m.apply(diagnostics, T0).status).toBe(S.COMMAND_STATUS_EXECUTED);
    expect(m.takeReport(command(runDiagnostics()).commandId)).toBeUndefined();
    const bytes = m.takeReport(diagnostics.commandId)!;
    expect(decodeMessage('MaintenanceReport', bytes).checks).toHaveLength(9);
    expect(m.takeReport(diagnostics.commandId)).toBeUndefined();
    // A refused command leaves no report behind, nor an earlier one.
    const logs = command(uploadLogs(T0 + 4 * MINUTE, 3));
    m.apply(logs, T0);
    expect(m.apply(command(bolus(100)), T0).status).toBe(S.COMMAND_STATUS_REJECTED_STATE);
    expect(m.takeReport(logs.commandId)).toBeUndefined();
    // Log bounds: at or after sinceMs, the newest maxEntries.
    m.apply(logs, T0);
    expect(decodeMessage('MaintenanceReport', m.takeReport(logs.commandId)!).logs.map((e) => e.atMs)).toEqual([T0 + 7 * MINUTE, T0 + 8 * MINUTE, T0 + 9 * MINUTE]);
  });

  it('[CTL-19] closes service mode at its deadline, on safe mode, and at boot; safe mode persists and clears only locally', { tags: ['CTL-19'] }, () => {
    const state = new MemoryState<MaintenanceState>();
    const recorded: string[] = [];
    const m = functions(state, recorded);
    m.apply(command(openService(10)), T0);
    expect(m.serviceModeOpen(T0 + 10 * MINUTE - 1)).toBe(true);
    expect(m.serviceModeOpen(T0 + 10 * MINUTE)).toBe(false);
    m.advanceTo(T0 + 10 * MINUTE);
    expect(m.snapshot().serviceMode).toBeNull();
    // Persisted open, then "rebooted": closed by the new instance.
    m.apply(command(openService(120)), T0 + 11 * MINUTE);
    expect(state.load()?.serviceMode).not.toBeNull();
    const rebooted = functions(state, recorded);
    expect(rebooted.snapshot().serviceMode).toBeNull();
    expect(state.load()?.serviceMode).toBeNull();
    // Safe mode closes an open service mode, refuses everything, survives a reboot.
    rebooted.apply(command(openService(60)), T0 + 12 * MINUTE);
    rebooted.enterSafeMode('ERR_THERAPY_SIGNATURE_INVALID', T0 + 13 * MINUTE);
    expect(rebooted.snapshot()).toMatchObject({ serviceMode: null, safeMode: { sinceMs: T0 + 13 * MINUTE, reasonCode: 'ERR_THERAPY_SIGNATURE_INVALID' } });
    expect(rebooted.apply(command(runDiagnostics()), T0 + 14 * MINUTE).reasonCode).toBe('ERR_THERAPY_SAFE_MODE');
    const again = functions(state, recorded);
    expect(again.inSafeMode).toBe(true);
    expect(codeOf(() => again.clearSafeMode({ source: 'remote' } as never))).toBe('ERR_THERAPY_INVALID_CONFIG');
    again.clearSafeMode({ source: 'device-button' });
    expect(again.inSafeMode).toBe(false);
    expect(recorded).toEqual(['service.opened', 'service.expired', 'service.opened', 'service.closed-at-boot', 'service.opened', 'service.closed-safe-mode']);
  });

  it('[CTL-23] refuses a corrupt persisted state', { tags: ['CTL-23'] }, () => {
    expect(codeOf(() => parseMaintenanceState({ version: 1, serviceMode: { openedAtMs: 1, untilMs: 2, commandId: 'not hex' }, safeMode: null }))).toBe('ERR_THERAPY_STATE_CORRUPT');
    expect(codeOf(() => functions(new MemoryState({ version: 2 } as unknown as MaintenanceState)))).toBe('ERR_THERAPY_STATE_CORRUPT');
  });
});

describe('UltrasoundSelfTest', () => {
  it('the same seed gives the same checks, another seed others', () => {
    const a = selfTest(7);
    const b = selfTest(7);
    const c = selfTest(8);
    const runs = (t: UltrasoundSelfTest): unknown[] => [t.run(T0), t.run(T0 + MINUTE), t.run(T0 + 2 * MINUTE)];
    const first = runs(a);
    expect(runs(b)).toEqual(first);
    expect(runs(c)).not.toEqual(first);
  });

  it('grades by its thresholds: the system figures and injected faults', () => {
    const result = (t: UltrasoundSelfTest, name: string): CheckResult => t.run(T0).find((c) => c.name === name)!.result;
    const failing = selfTest(1, { batteryPercent: 5, clockOffsetMs: -45_000, queuedMessages: 500 });
    expect(result(failing, 'battery.charge')).toBe(CheckResult.CHECK_RESULT_FAIL);
    expect(result(failing, 'clock.offset')).toBe(CheckResult.CHECK_RESULT_FAIL);
    expect(result(failing, 'queue.depth')).toBe(CheckResult.CHECK_RESULT_WARN);
    const t = selfTest();
    t.injectFaults({ probeTemperatureCel: 42, supplyVolts: 10.5 });
    expect(result(t, 'probe.temperature')).toBe(CheckResult.CHECK_RESULT_WARN);
    expect(result(t, 'power.supply')).toBe(CheckResult.CHECK_RESULT_FAIL);
    t.injectFaults({ probeTemperatureCel: 43.5 });
    expect(result(t, 'probe.temperature')).toBe(CheckResult.CHECK_RESULT_FAIL);
    expect(codeOf(() => t.injectFaults({ deadElements: 193 }))).toBe('ERR_THERAPY_INVALID_CONFIG');
    expect(gradeCheck(Number.NaN, ULTRASOUND_CHECK_LIMITS['fan.speed'])).toBe(CheckResult.CHECK_RESULT_FAIL);
    expect(gradeCheck(1_800, ULTRASOUND_CHECK_LIMITS['fan.speed'])).toBe(CheckResult.CHECK_RESULT_PASS);
    expect(firmwareVersionNumber('7.2.0')).toBe(70_200);
    expect(codeOf(() => firmwareVersionNumber('7.2'))).toBe('ERR_THERAPY_INVALID_CONFIG');
  });
});
