import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandStatus } from '@medsim/protocol';
import { JsonFileState, MemoryState } from '../../src/control/persistent-state.js';
import {
  InsulinPumpTherapy,
  insulinOnBoardFraction,
  parseInsulinPumpState,
  type InsulinDelivery,
  type InsulinPumpOptions,
  type InsulinPumpState,
} from '../../src/control/insulin-pump-therapy.js';
import { HOUR, MINUTE, T0, basal, bolus, commandFields, decoded, pacing, resume, suspend, type Action } from './command-fixtures.js';

const S = CommandStatus;

function makePump(options: Partial<InsulinPumpOptions> = {}): { pump: InsulinPumpTherapy; store: MemoryState<InsulinPumpState> } {
  const store = new MemoryState<InsulinPumpState>();
  const pump = new InsulinPumpTherapy({ startMs: T0, state: store, ...options });
  return { pump, store };
}

let sequence = 0;
/** Applies `action` at `nowMs` after advancing delivery to it, as the command processor does. */
function apply(pump: InsulinPumpTherapy, action: Action, nowMs: number): ReturnType<InsulinPumpTherapy['apply']> {
  pump.advanceTo(nowMs);
  sequence += 1;
  return pump.apply(decoded(commandFields(sequence, action, { issuedAtMs: nowMs })), nowMs);
}

const executed = { status: S.COMMAND_STATUS_EXECUTED, reasonCode: '' };

/** Applies a command that must be refused by `reasonCode`, and proves that nothing changed. */
function expectRefused(
  pump: InsulinPumpTherapy,
  store: MemoryState<InsulinPumpState>,
  action: Action,
  nowMs: number,
  reasonCode: string,
  status = S.COMMAND_STATUS_REJECTED_INTERLOCK,
): void {
  pump.advanceTo(nowMs);
  const before = pump.snapshot();
  const persisted = store.load();
  sequence += 1;
  expect(pump.apply(decoded(commandFields(sequence, action, { issuedAtMs: nowMs })), nowMs)).toEqual({ status, reasonCode });
  expect(pump.snapshot()).toEqual(before);
  expect(store.load()).toEqual(persisted);
}

const sum = (deliveries: readonly InsulinDelivery[], kind?: 'basal' | 'bolus'): number =>
  Math.round(deliveries.filter((d) => kind === undefined || d.kind === kind).reduce((total, d) => total + d.units * 1000, 0));

describe('InsulinPumpTherapy interlocks (each exactly at and one past its bound; refusals change nothing)', () => {
  it('[CTL-09] maximum single bolus: 10 U accepted, 10.001 U refused', { tags: ['CTL-09'] }, () => {
    const { pump, store } = makePump();
    expectRefused(pump, store, bolus(10_001), T0, 'ERR_THERAPY_BOLUS_TOO_LARGE');
    expect(apply(pump, bolus(10_000), T0)).toEqual(executed);
  });

  it('[CTL-09] maximum basal rate at every segment: 3.000 U/h accepted, 3.001 U/h refused', { tags: ['CTL-09'] }, () => {
    const { pump, store } = makePump();
    expectRefused(pump, store, basal([0, 800], [360, 3_001], [600, 800]), T0, 'ERR_THERAPY_BASAL_TOO_HIGH');
    expect(apply(pump, basal([0, 800], [360, 3_000], [600, 800]), T0)).toEqual(executed);
    expect(pump.snapshot().basalSchedule).toEqual([
      { startMinute: 0, rateMilliunitsPerHour: 800 },
      { startMinute: 360, rateMilliunitsPerHour: 3_000 },
      { startMinute: 600, rateMilliunitsPerHour: 800 },
    ]);
  });

  it('[CTL-09] a basal schedule may not deliver more than the daily maximum: 50.000 U accepted, 50.001 U refused', { tags: ['CTL-09'] }, () => {
    const { pump, store } = makePump();
    // 2.5 U/h × 12 h + 2 U/h × 10 h = 50 U; 1 mU/h for the last hour adds 1 mU.
    expectRefused(pump, store, basal([0, 2_500], [720, 2_000], [1_320, 0], [1_380, 1]), T0, 'ERR_THERAPY_BASAL_TOO_HIGH');
    expect(apply(pump, basal([0, 2_500], [720, 2_000], [1_320, 0], [1_380, 0]), T0)).toEqual(executed);
  });

  it('[CTL-09] maximum total daily insulin over a rolling 24 h, basal delivered included', { tags: ['CTL-09'] }, () => {
    const { pump, store } = makePump({
      limits: { maxDailyMilliunits: 20_000, maxInsulinOnBoardMilliunits: 100_000 },
      basalSchedule: [{ startMinute: 0, rateMilliunitsPerHour: 500 }],
    });
    const now = T0 + 24 * HOUR;
    pump.advanceTo(now);
    expect(pump.snapshot().deliveredLast24hMilliunits).toBe(12_000);
    expectRefused(pump, store, bolus(8_001), now, 'ERR_THERAPY_DAILY_LIMIT');
    expect(apply(pump, bolus(8_000), now)).toEqual(executed);
  });

  it('[CTL-09] maximum insulin on board: the largest bolus that fits is accepted, 1 mU more is refused', { tags: ['CTL-09'] }, () => {
    const { pump, store } = makePump({ basalSchedule: [{ startMinute: 0, rateMilliunitsPerHour: 0 }] });
    expect(apply(pump, bolus(10_000), T0)).toEqual(executed);
    const now = T0 + 15 * MINUTE;
    pump.advanceTo(now);
    const onBoard = pump.snapshot().deliveries.reduce((total, d) => total + (d.basalMilliunits + d.bolusMilliunits) * insulinOnBoardFraction((now - d.atMs) / MINUTE), 0);
    expect(onBoard).toBeGreaterThan(9_000);
    const fits = Math.floor(15_000 - onBoard);
    expectRefused(pump, store, bolus(fits + 1), now, 'ERR_THERAPY_INSULIN_ON_BOARD');
    expect(apply(pump, bolus(fits), now)).toEqual(executed);
  });

  it('[CTL-09] minimum interval between boluses: 15 min accepted, 1 ms less refused', { tags: ['CTL-09'] }, () => {
    const { pump, store } = makePump();
    expect(apply(pump, bolus(1_000), T0)).toEqual(executed);
    expectRefused(pump, store, bolus(1_000), T0 + 15 * MINUTE - 1, 'ERR_THERAPY_BOLUS_TOO_SOON');
    expect(apply(pump, bolus(1_000), T0 + 15 * MINUTE)).toEqual(executed);
  });

  it('[CTL-09] no bolus while another is delivered: refused at minute 59 of a 60-min extended bolus, accepted at 60', { tags: ['CTL-09'] }, () => {
    const { pump, store } = makePump();
    expect(apply(pump, bolus(2_000, 60), T0)).toEqual(executed);
    expectRefused(pump, store, bolus(1_000), T0 + 59 * MINUTE, 'ERR_THERAPY_BOLUS_IN_PROGRESS');
    expect(apply(pump, bolus(1_000), T0 + 60 * MINUTE)).toEqual(executed);
  });

  it('[CTL-09] no bolus while suspended; accepted again after resume', { tags: ['CTL-09'] }, () => {
    const { pump, store } = makePump();
    expect(apply(pump, suspend(30), T0)).toEqual(executed);
    expectRefused(pump, store, bolus(1_000), T0 + MINUTE, 'ERR_THERAPY_SUSPENDED');
    expect(apply(pump, resume(), T0 + 2 * MINUTE)).toEqual(executed);
    expect(apply(pump, bolus(1_000), T0 + 2 * MINUTE)).toEqual(executed);
  });

  it('[CTL-09] no bolus larger than the reservoir: 5.000 U of 5 U accepted, 5.001 U refused', { tags: ['CTL-09'] }, () => {
    const { pump, store } = makePump({ reservoirMilliunits: 5_000, basalSchedule: [{ startMinute: 0, rateMilliunitsPerHour: 0 }] });
    expectRefused(pump, store, bolus(5_001), T0, 'ERR_THERAPY_RESERVOIR_INSUFFICIENT');
    expect(apply(pump, bolus(5_000), T0)).toEqual(executed);
  });

  it('[CTL-09] suspend duration bounds: 30 and 60 min accepted, 29 and 61 min refused', { tags: ['CTL-09'] }, () => {
    const { pump, store } = makePump({ limits: { maxSuspendMinutes: 60 } });
    expectRefused(pump, store, suspend(29), T0, 'ERR_THERAPY_SUSPEND_DURATION');
    expectRefused(pump, store, suspend(61), T0, 'ERR_THERAPY_SUSPEND_DURATION');
    expect(apply(pump, suspend(30), T0)).toEqual(executed);
    expect(apply(pump, suspend(60), T0 + MINUTE)).toEqual(executed);
    expect(pump.snapshot().suspendedUntilMs).toBe(T0 + 61 * MINUTE);
  });

  it('[CTL-09] refuses actions of another device kind as REJECTED_STATE', { tags: ['CTL-09'] }, () => {
    const { pump, store } = makePump();
    expectRefused(pump, store, pacing(60), T0, 'ERR_THERAPY_UNSUPPORTED_ACTION', S.COMMAND_STATUS_REJECTED_STATE);
  });

  it('refuses an initial configuration outside its own limits', () => {
    expect(() => makePump({ basalSchedule: [{ startMinute: 0, rateMilliunitsPerHour: 3_001 }] })).toThrow(/initial basal schedule/);
    expect(() => makePump({ limits: { maxBolusMilliunits: 0 } })).toThrow(/maxBolusMilliunits/);
  });
});

describe('InsulinPumpTherapy delivery', () => {
  it('delivers a basal rate exactly, carrying fractions of a milliunit between 1-minute steps', () => {
    const { pump } = makePump({ basalSchedule: [{ startMinute: 0, rateMilliunitsPerHour: 850 }] });
    const deliveries = pump.advanceTo(T0 + HOUR);
    expect(sum(deliveries, 'basal')).toBe(850);
    expect(deliveries.every((d) => d.kind === 'basal' && (d.atMs - T0) % MINUTE === 0)).toBe(true);
    expect(pump.snapshot().reservoirMilliunits).toBe(200_000 - 850);
  });

  it('follows the schedule by local time of day', () => {
    // T0 is 08:00 UTC; the second segment starts at 08:00 local.
    const schedule = [
      { startMinute: 0, rateMilliunitsPerHour: 500 },
      { startMinute: 480, rateMilliunitsPerHour: 1_200 },
    ];
    expect(sum(makePump({ basalSchedule: schedule }).pump.advanceTo(T0 + HOUR))).toBe(1_200);
    expect(sum(makePump({ basalSchedule: schedule, utcOffsetMinutes: -60 }).pump.advanceTo(T0 + HOUR))).toBe(500);
  });

  it('delivers an immediate bolus at the maximum delivery rate (1.5 U/min) and tells onDelivery', () => {
    const told: InsulinDelivery[] = [];
    const { pump } = makePump({ basalSchedule: [{ startMinute: 0, rateMilliunitsPerHour: 0 }], onDelivery: (d) => told.push(d) });
    expect(apply(pump, bolus(4_000), T0)).toEqual(executed);
    const deliveries = pump.advanceTo(T0 + 5 * MINUTE);
    expect(deliveries).toEqual([
      { atMs: T0 + MINUTE, units: 1.5, kind: 'bolus' },
      { atMs: T0 + 2 * MINUTE, units: 1.5, kind: 'bolus' },
      { atMs: T0 + 3 * MINUTE, units: 1, kind: 'bolus' },
    ]);
    expect(told).toEqual(deliveries);
    expect(pump.snapshot().bolus).toBeNull();
  });

  it('spreads an extended bolus evenly over its duration', () => {
    const { pump } = makePump({ basalSchedule: [{ startMinute: 0, rateMilliunitsPerHour: 0 }] });
    expect(apply(pump, bolus(1_000, 30), T0)).toEqual(executed);
    const deliveries = pump.advanceTo(T0 + HOUR);
    expect(deliveries).toHaveLength(30);
    expect(sum(deliveries)).toBe(1_000);
    expect(Math.max(...deliveries.map((d) => d.units))).toBeLessThanOrEqual(0.034);
  });

  it('stops delivery while suspended, cancels a running bolus, and resumes by itself when the suspend ends', () => {
    const { pump } = makePump({ basalSchedule: [{ startMinute: 0, rateMilliunitsPerHour: 600 }] });
    expect(apply(pump, bolus(2_000, 60), T0)).toEqual(executed);
    pump.advanceTo(T0 + 10 * MINUTE);
    expect(apply(pump, suspend(30), T0 + 10 * MINUTE)).toEqual(executed);
    expect(pump.snapshot()).toMatchObject({ bolus: null, suspended: true, currentBasalMilliunitsPerHour: 0 });
    const during = pump.advanceTo(T0 + 40 * MINUTE);
    expect(during).toEqual([]);
    const after = pump.advanceTo(T0 + 70 * MINUTE);
    expect(sum(after)).toBe(300);
    expect(pump.snapshot().suspended).toBe(false);
  });

  it('stops at an empty reservoir and raises the reservoir alarms', () => {
    const { pump } = makePump({ reservoirMilliunits: 20_050, basalSchedule: [{ startMinute: 0, rateMilliunitsPerHour: 2_000 }] });
    expect(pump.snapshot().alarms).toEqual([]);
    pump.advanceTo(T0 + 2 * MINUTE);
    expect(pump.snapshot()).toMatchObject({ reservoirMilliunits: 20_050 - 66, alarms: ['reservoir-low'] });
    // 12 h at 2 U/h would be 24 U; only what is left is delivered, then nothing.
    expect(sum(pump.advanceTo(T0 + 12 * HOUR))).toBe(20_050 - 66);
    expect(pump.advanceTo(T0 + 13 * HOUR)).toEqual([]);
    expect(pump.snapshot()).toMatchObject({ reservoirMilliunits: 0, alarms: ['reservoir-empty'] });
  });

  it('keeps only 24 h of delivery log', () => {
    const { pump } = makePump();
    pump.advanceTo(T0 + 48 * HOUR);
    const snapshot = pump.snapshot();
    expect(snapshot.deliveries).toHaveLength(1_440);
    expect(snapshot.deliveredLast24hMilliunits).toBe(800 * 24);
  });

  it('models insulin on board with an exponential action curve (peak 75 min, 6 h)', () => {
    expect(insulinOnBoardFraction(0)).toBe(1);
    expect(insulinOnBoardFraction(360)).toBe(0);
    const samples = Array.from({ length: 37 }, (_, i) => insulinOnBoardFraction(i * 10));
    expect(samples.every((value, i) => i === 0 || value <= (samples[i - 1] ?? 1))).toBe(true);
    // Half of a dose has acted between 1.5 and 3 hours after it (rapid-acting analogues).
    expect(insulinOnBoardFraction(90)).toBeGreaterThan(0.5);
    expect(insulinOnBoardFraction(180)).toBeLessThan(0.5);
  });
});

describe('InsulinPumpTherapy safe mode', () => {
  it('[CTL-22] cancels a running bolus, keeps the basal, refuses remote commands until a local clearance', { tags: ['CTL-22'] }, () => {
    const { pump, store } = makePump({ basalSchedule: [{ startMinute: 0, rateMilliunitsPerHour: 1_200 }] });
    expect(apply(pump, bolus(6_000), T0)).toEqual(executed);
    pump.advanceTo(T0 + 2 * MINUTE);
    pump.enterSafeMode('ERR_THERAPY_SIGNATURE_INVALID', T0 + 2 * MINUTE);
    expect(pump.inSafeMode).toBe(true);
    expect(pump.snapshot()).toMatchObject({ bolus: null, safeMode: { sinceMs: T0 + 2 * MINUTE, reasonCode: 'ERR_THERAPY_SIGNATURE_INVALID' } });
    expect(pump.snapshot().alarms).toContain('safe-mode');
    // Basal continues on the last verified schedule: 1.2 U/h, and no more bolus.
    const deliveries = pump.advanceTo(T0 + 62 * MINUTE);
    expect(sum(deliveries, 'basal')).toBe(1_200);
    expect(sum(deliveries, 'bolus')).toBe(0);
    expectRefused(pump, store, bolus(1_000), T0 + 62 * MINUTE, 'ERR_THERAPY_SAFE_MODE', S.COMMAND_STATUS_REJECTED_STATE);
    expectRefused(pump, store, basal([0, 100]), T0 + 62 * MINUTE, 'ERR_THERAPY_SAFE_MODE', S.COMMAND_STATUS_REJECTED_STATE);
    pump.clearSafeMode({ source: 'device-button' });
    expect(pump.inSafeMode).toBe(false);
    expect(apply(pump, bolus(1_000), T0 + 62 * MINUTE)).toEqual(executed);
  });

  it('keeps its therapy state across a restart (JsonFileState)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'medsim-pump-'));
    try {
      const path = join(dir, 'pump.json');
      const options = { startMs: T0, state: new JsonFileState(path, { parse: parseInsulinPumpState }) };
      const before = new InsulinPumpTherapy(options);
      expect(apply(before, basal([0, 700], [720, 900]), T0)).toEqual(executed);
      expect(apply(before, bolus(2_000, 30), T0)).toEqual(executed);
      before.advanceTo(T0 + 10 * MINUTE);
      before.enterSafeMode('ERR_THERAPY_UNKNOWN_SIGNER', T0 + 10 * MINUTE);
      const after = new InsulinPumpTherapy({ ...options, state: new JsonFileState(path, { parse: parseInsulinPumpState }) });
      expect(after.snapshot()).toEqual(before.snapshot());
      expect(after.inSafeMode).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
