import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandStatus, PacingMode } from '@medsim/protocol';
import { JsonFileState, MemoryState } from '../../src/control/persistent-state.js';
import {
  PACEMAKER_NOMINAL_PROGRAM,
  PACEMAKER_SAFE_MODE_PROGRAM,
  PacemakerTherapy,
  parsePacemakerState,
  type PacemakerOptions,
  type PacemakerState,
} from '../../src/control/pacemaker-therapy.js';
import { PACEMAKER_ID, T0, basal, bolus, commandFields, decoded, pacing, unvalidated, type Action } from './command-fixtures.js';

const S = CommandStatus;
const DAY = 86_400_000;
const YEAR = 365.25 * DAY;

function makePacemaker(options: Partial<PacemakerOptions> = {}): { pacemaker: PacemakerTherapy; store: MemoryState<PacemakerState> } {
  const store = new MemoryState<PacemakerState>();
  return { pacemaker: new PacemakerTherapy({ startMs: T0, state: store, ...options }), store };
}

let sequence = 0;
const command = (action: Action, validate = true) => {
  sequence += 1;
  const fields = commandFields(sequence, action, { deviceId: PACEMAKER_ID });
  return validate ? decoded(fields) : unvalidated(fields);
};
const executed = { status: S.COMMAND_STATUS_EXECUTED, reasonCode: '' };

function expectRefused(
  pacemaker: PacemakerTherapy,
  store: MemoryState<PacemakerState>,
  action: Action,
  reasonCode: string,
  { status = S.COMMAND_STATUS_REJECTED_INTERLOCK, validate = true } = {},
): void {
  const before = pacemaker.snapshot();
  const persisted = store.load();
  expect(pacemaker.apply(command(action, validate), T0)).toEqual({ status, reasonCode });
  expect(pacemaker.snapshot()).toEqual(before);
  expect(store.load()).toEqual(persisted);
}

describe('PacemakerTherapy interlocks (stricter than the protocol; refusals leave the program unchanged)', () => {
  it('[CTL-09] lower rate 40-120 ppm: 40 and 120 accepted, 39 and 121 refused', { tags: ['CTL-09'] }, () => {
    const { pacemaker, store } = makePacemaker({ program: { ...PACEMAKER_NOMINAL_PROGRAM, lowerRatePpm: 60, upperRatePpm: 150 } });
    expectRefused(pacemaker, store, pacing(39, 150), 'ERR_THERAPY_LOWER_RATE');
    expect(pacemaker.apply(command(pacing(40, 150)), T0)).toEqual(executed);
    expect(pacemaker.apply(command(pacing(70, 150)), T0)).toEqual(executed);
    expect(pacemaker.apply(command(pacing(100, 150)), T0)).toEqual(executed);
    expectRefused(pacemaker, store, pacing(121, 150), 'ERR_THERAPY_LOWER_RATE');
    expect(pacemaker.apply(command(pacing(120, 150)), T0)).toEqual(executed);
  });

  it('[CTL-09] upper rate 80-180 ppm: 80 and 180 accepted, 79 and 181 refused', { tags: ['CTL-09'] }, () => {
    const { pacemaker, store } = makePacemaker();
    expectRefused(pacemaker, store, pacing(60, 79), 'ERR_THERAPY_UPPER_RATE');
    expect(pacemaker.apply(command(pacing(60, 80)), T0)).toEqual(executed);
    expectRefused(pacemaker, store, pacing(60, 181), 'ERR_THERAPY_UPPER_RATE');
    expect(pacemaker.apply(command(pacing(60, 180)), T0)).toEqual(executed);
  });

  it('[CTL-09] upper rate at least 10 ppm above the lower rate: +10 accepted, +9 refused', { tags: ['CTL-09'] }, () => {
    const { pacemaker, store } = makePacemaker();
    expectRefused(pacemaker, store, pacing(80, 89), 'ERR_THERAPY_RATE_SEPARATION');
    expect(pacemaker.apply(command(pacing(80, 90)), T0)).toEqual(executed);
  });

  it('[CTL-09] lower rate changes by at most 30 ppm per command: 60 to 90 accepted, 60 to 91 refused', { tags: ['CTL-09'] }, () => {
    const { pacemaker, store } = makePacemaker();
    expectRefused(pacemaker, store, pacing(91, 130), 'ERR_THERAPY_RATE_STEP');
    expect(pacemaker.apply(command(pacing(90, 130)), T0)).toEqual(executed);
    expectRefused(pacemaker, store, pacing(59, 130), 'ERR_THERAPY_RATE_STEP');
    expect(pacemaker.apply(command(pacing(60, 130)), T0)).toEqual(executed);
  });

  it('[CTL-09] amplitude 500-7500 mV and pulse width 100-1500 µs, the upper bounds held even without protocol validation', { tags: ['CTL-09'] }, () => {
    const { pacemaker, store } = makePacemaker();
    expectRefused(pacemaker, store, pacing(60, 130, 499), 'ERR_THERAPY_AMPLITUDE');
    expect(pacemaker.apply(command(pacing(60, 130, 500)), T0)).toEqual(executed);
    expect(pacemaker.apply(command(pacing(60, 130, 7_500)), T0)).toEqual(executed);
    expectRefused(pacemaker, store, pacing(60, 130, 7_501), 'ERR_THERAPY_AMPLITUDE', { validate: false });
    expectRefused(pacemaker, store, pacing(60, 130, 3_500, 99), 'ERR_THERAPY_PULSE_WIDTH');
    expect(pacemaker.apply(command(pacing(60, 130, 3_500, 100)), T0)).toEqual(executed);
    expect(pacemaker.apply(command(pacing(60, 130, 3_500, 1_500)), T0)).toEqual(executed);
    expectRefused(pacemaker, store, pacing(60, 130, 3_500, 1_501), 'ERR_THERAPY_PULSE_WIDTH', { validate: false });
  });

  it('[CTL-09] ODO (no pacing) is refused for a pacing-dependent patient and accepted otherwise', { tags: ['CTL-09'] }, () => {
    const odo = pacing(60, 130, 3_500, 400, PacingMode.PACING_MODE_ODO);
    const dependent = makePacemaker();
    expect(dependent.pacemaker.pacingDependent).toBe(true);
    expectRefused(dependent.pacemaker, dependent.store, odo, 'ERR_THERAPY_MODE_UNSAFE');
    const independent = makePacemaker({ pacingDependent: false });
    expect(independent.pacemaker.apply(command(odo), T0)).toEqual(executed);
    expect(independent.pacemaker.snapshot().program.mode).toBe(PacingMode.PACING_MODE_ODO);
  });

  it('[CTL-09] refuses insulin actions as REJECTED_STATE', { tags: ['CTL-09'] }, () => {
    const { pacemaker, store } = makePacemaker();
    expectRefused(pacemaker, store, bolus(1_000), 'ERR_THERAPY_UNSUPPORTED_ACTION', { status: S.COMMAND_STATUS_REJECTED_STATE });
    expectRefused(pacemaker, store, basal([0, 800]), 'ERR_THERAPY_UNSUPPORTED_ACTION', { status: S.COMMAND_STATUS_REJECTED_STATE });
  });

  it('programs every parameter of an accepted command', () => {
    const { pacemaker } = makePacemaker();
    expect(pacemaker.apply(command(pacing(70, 140, 2_500, 500, PacingMode.PACING_MODE_VVIR)), T0)).toEqual(executed);
    expect(pacemaker.snapshot().program).toEqual({
      mode: PacingMode.PACING_MODE_VVIR,
      lowerRatePpm: 70,
      upperRatePpm: 140,
      amplitudeMillivolts: 2_500,
      pulseWidthMicroseconds: 500,
    });
  });
});

describe('PacemakerTherapy safe mode', () => {
  it('[CTL-22] reverts to the backup program VVI 65 ppm, 5.0 V / 1.0 ms, and refuses remote programming until cleared in clinic', { tags: ['CTL-22'] }, () => {
    const { pacemaker, store } = makePacemaker();
    expect(pacemaker.apply(command(pacing(70, 140)), T0)).toEqual(executed);
    pacemaker.enterSafeMode('ERR_THERAPY_SIGNATURE_INVALID', T0 + 1_000);
    const snapshot = pacemaker.snapshot();
    expect(snapshot.program).toEqual({
      mode: PacingMode.PACING_MODE_VVI,
      lowerRatePpm: 65,
      upperRatePpm: 120,
      amplitudeMillivolts: 5_000,
      pulseWidthMicroseconds: 1_000,
    });
    expect(snapshot.program).toEqual(PACEMAKER_SAFE_MODE_PROGRAM);
    expect(snapshot.safeMode).toEqual({ sinceMs: T0 + 1_000, reasonCode: 'ERR_THERAPY_SIGNATURE_INVALID', previousProgram: { ...PACEMAKER_NOMINAL_PROGRAM, lowerRatePpm: 70, upperRatePpm: 140 } });
    expect(pacemaker.telemetry().safeMode).toBe(true);
    expectRefused(pacemaker, store, pacing(60, 130), 'ERR_THERAPY_SAFE_MODE', { status: S.COMMAND_STATUS_REJECTED_STATE });
    // A second integrity failure keeps the first record.
    pacemaker.enterSafeMode('ERR_THERAPY_UNKNOWN_SIGNER', T0 + 2_000);
    expect(pacemaker.snapshot().safeMode?.reasonCode).toBe('ERR_THERAPY_SIGNATURE_INVALID');
    pacemaker.clearSafeMode({ source: 'clinic-programmer' });
    // The backup program stays until the clinician programs another.
    expect(pacemaker.snapshot()).toMatchObject({ safeMode: null, program: PACEMAKER_SAFE_MODE_PROGRAM });
    expect(pacemaker.apply(command(pacing(60, 130)), T0)).toEqual(executed);
  });
});

describe('PacemakerTherapy telemetry', () => {
  it('drains the battery from 3.2 V to the ERI (2.6 V) in the nominal longevity, faster at high output', () => {
    const nominal = makePacemaker({ nominalLongevityYears: 8 }).pacemaker;
    expect(nominal.telemetry()).toMatchObject({ batteryVolts: 3.2, electiveReplacement: false });
    nominal.advanceTo(T0 + 4 * YEAR);
    expect(nominal.telemetry().batteryVolts).toBeCloseTo(2.9, 3);
    nominal.advanceTo(T0 + 8 * YEAR - DAY);
    expect(nominal.telemetry()).toMatchObject({ electiveReplacement: false });
    nominal.advanceTo(T0 + 8 * YEAR + DAY);
    expect(nominal.telemetry()).toMatchObject({ electiveReplacement: true });
    expect(nominal.snapshot().electiveReplacement).toBe(true);

    const highOutput = makePacemaker().pacemaker;
    highOutput.enterSafeMode('ERR_THERAPY_SIGNATURE_INVALID', T0);
    highOutput.advanceTo(T0 + 2 * YEAR);
    const lowOutput = makePacemaker({ program: { ...PACEMAKER_NOMINAL_PROGRAM, amplitudeMillivolts: 2_500 } }).pacemaker;
    lowOutput.advanceTo(T0 + 2 * YEAR);
    expect(highOutput.telemetry().batteryVolts).toBeLessThan(lowOutput.telemetry().batteryVolts - 0.2);
  });

  it('uses percent paced from the physiology: less pacing drains less', () => {
    let paced = 100;
    const { pacemaker } = makePacemaker({ percentPaced: () => paced });
    expect(pacemaker.telemetry().percentPaced).toBe(100);
    pacemaker.advanceTo(T0 + YEAR);
    const afterFullYear = pacemaker.snapshot().batteryVolts;
    paced = 0;
    pacemaker.advanceTo(T0 + 2 * YEAR);
    // At the nominal program half of the drain is pacing energy: an unpaced year costs half.
    expect(afterFullYear - pacemaker.snapshot().batteryVolts).toBeCloseTo((3.2 - afterFullYear) / 2, 9);
    expect(pacemaker.telemetry().percentPaced).toBe(0);
  });

  it('reports lead impedance around 500 Ω with seeded noise, and alarms below 200 or above 2000 Ω', () => {
    const readings = (seed: number): number[] => {
      const { pacemaker } = makePacemaker({ seed });
      return Array.from({ length: 50 }, () => pacemaker.telemetry().leadImpedanceOhms);
    };
    const first = readings(7);
    expect(readings(7)).toEqual(first);
    expect(readings(8)).not.toEqual(first);
    expect(first.every((ohms) => ohms >= 475 && ohms <= 525)).toBe(true);
    expect(new Set(first).size).toBeGreaterThan(10);
    const { pacemaker } = makePacemaker();
    expect(pacemaker.telemetry().leadImpedanceAlarm).toBe(false);
    pacemaker.setLeadImpedanceBaseline(2_500);
    expect(pacemaker.telemetry().leadImpedanceAlarm).toBe(true);
    pacemaker.setLeadImpedanceBaseline(150);
    expect(pacemaker.telemetry().leadImpedanceAlarm).toBe(true);
  });

  it('keeps program, safe mode and battery across a restart (JsonFileState)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'medsim-pacemaker-'));
    try {
      const path = join(dir, 'pacemaker.json');
      const before = new PacemakerTherapy({ startMs: T0, state: new JsonFileState(path, { parse: parsePacemakerState }) });
      expect(before.apply(command(pacing(75, 140)), T0)).toEqual(executed);
      before.advanceTo(T0 + YEAR);
      before.enterSafeMode('ERR_THERAPY_SIGNATURE_INVALID', T0 + YEAR);
      const after = new PacemakerTherapy({ startMs: T0, state: new JsonFileState(path, { parse: parsePacemakerState }) });
      expect(after.snapshot()).toEqual(before.snapshot());
      expect(after.inSafeMode).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
