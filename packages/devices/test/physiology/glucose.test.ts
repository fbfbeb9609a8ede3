import { describe, expect, it } from 'vitest';
import { INSULIN_DELAY_MINUTES, MAX_ACTIVE_DOSES, MAX_MEALS, exponentialInsulinOnBoard, parabolicCarbsAbsorbed } from '../../src/physiology/glucose.js';
import { Patient, type PatientOptions } from '../../src/physiology/patient.js';
import { codeOf } from '../helpers/errors.js';

// 2025-01-01 09:00 UTC, between breakfast and lunch of the default meal plan.
const START = Date.UTC(2025, 0, 1, 9, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

/** Two patients with the same seed: what differs between them is what the test did to one. */
const twins = (options: Partial<PatientOptions> = {}): [Patient, Patient] => {
  const make = (): Patient => new Patient({ profile: 'type-1-diabetes', seed: 'glucose', startMs: START, scheduledMeals: false, ...options });
  return [make(), make()];
};

const glucoseAt = (patient: Patient, timeMs: number): number => {
  patient.advanceTo(timeMs);
  return patient.vitals().glucoseMgDl;
};

describe('insulin and carbohydrate curves', () => {
  it('follows the exponential insulin model: all on board until the delay, none after the action time, peak activity at the peak time', () => {
    const [td, tp] = [360, 75];
    expect(exponentialInsulinOnBoard(0, td, tp)).toBe(1);
    expect(exponentialInsulinOnBoard(INSULIN_DELAY_MINUTES, td, tp)).toBe(1);
    expect(exponentialInsulinOnBoard(INSULIN_DELAY_MINUTES + td, td, tp)).toBe(0);
    // IOB = 1 - ∫ activity, activity(t) = S/τ² · t · (1 - t/td) · e^(-t/τ) (the model's definition):
    // integrate it numerically and compare.
    const tau = (tp * (1 - tp / td)) / (1 - (2 * tp) / td);
    const a = (2 * tau) / td;
    const s = 1 / (1 - a + (1 + a) * Math.exp(-td / tau));
    const activity = (t: number): number => (s / tau ** 2) * t * (1 - t / td) * Math.exp(-t / tau);
    let integral = 0;
    let peakAt = 0;
    let peak = 0;
    for (let t = 0; t < td; t += 0.01) {
      const v = activity(t + 0.005);
      integral += v * 0.01;
      if (v > peak) [peak, peakAt] = [v, t];
      if (Math.abs(t - 120) < 0.005 || Math.abs(t - 240) < 0.005) expect(exponentialInsulinOnBoard(t + 0.01 + INSULIN_DELAY_MINUTES, td, tp)).toBeCloseTo(1 - integral, 4);
    }
    expect(integral).toBeCloseTo(1, 4);
    expect(peakAt).toBeCloseTo(tp, 0);
    for (let m = 1; m <= 400; m += 1) expect(exponentialInsulinOnBoard(m, td, tp)).toBeLessThanOrEqual(exponentialInsulinOnBoard(m - 1, td, tp));
  });

  it('absorbs carbohydrate on the parabolic curve: half at half time, all at the end', () => {
    expect(parabolicCarbsAbsorbed(0, 180)).toBe(0);
    expect(parabolicCarbsAbsorbed(45, 180)).toBeCloseTo(0.125, 12);
    expect(parabolicCarbsAbsorbed(90, 180)).toBeCloseTo(0.5, 12);
    expect(parabolicCarbsAbsorbed(135, 180)).toBeCloseTo(0.875, 12);
    expect(parabolicCarbsAbsorbed(180, 180)).toBe(1);
    expect(parabolicCarbsAbsorbed(-5, 180)).toBe(0);
  });
});

describe('glucose model', () => {
  it('rises after a meal, by about the carbs absorbed × ISF / carb ratio', () => {
    const [fed, fasting] = twins({ insulinRoute: 'injections' });
    fed.eatMeal(60, START);
    const rise = glucoseAt(fed, START + 90 * MIN) - glucoseAt(fasting, START + 90 * MIN);
    // 60 g × (50 / 12) mg/dL per g × 50 % absorbed at half the 180-minute absorption time = 125 mg/dL,
    // less what the kidneys excrete above 180 mg/dL.
    expect(rise).toBeGreaterThan(90);
    expect(rise).toBeLessThan(130);

    const healthy = new Patient({ profile: 'healthy-adult', seed: 3, startMs: START });
    const before = healthy.vitals().glucoseMgDl;
    healthy.eatMeal(60);
    expect(glucoseAt(healthy, START + 60 * MIN)).toBeGreaterThan(before + 25);
    expect(glucoseAt(healthy, START + 5 * HOUR)).toBeLessThan(before + 10);
  });

  it('falls after insulin, and insulin on board decays over the action time', () => {
    const [dosed, control] = twins();
    const dose = dosed.deliverInsulin(3, START);
    expect(dose).toEqual({ atMs: START, units: 3, source: 'delivered' });
    dosed.advanceTo(START + 5 * MIN);
    expect(dosed.vitals().insulinOnBoardUnits).toBeCloseTo(3, 6);
    const fall = glucoseAt(control, START + 3 * HOUR) - glucoseAt(dosed, START + 3 * HOUR);
    expect(fall).toBeGreaterThan(60);
    expect(dosed.vitals().insulinOnBoardUnits).toBeGreaterThan(0.5);
    expect(dosed.vitals().insulinOnBoardUnits).toBeLessThan(2);
    dosed.advanceTo(START + 6 * HOUR + 11 * MIN);
    expect(dosed.vitals().insulinOnBoardUnits).toBe(0);
  });

  it('brings hypoglycaemia with too much insulin, but never below 20 mg/dL', () => {
    const [patient] = twins();
    patient.deliverInsulin(12, START);
    let min = Infinity;
    for (let t = START; t <= START + 6 * HOUR; t += 5 * MIN) min = Math.min(min, glucoseAt(patient, t));
    expect(min).toBeLessThan(70);
    expect(min).toBeGreaterThanOrEqual(20);
  });

  it('climbs on a pump that delivers nothing, and stays level on injections with fasting', () => {
    const [pump, injections] = [
      new Patient({ profile: 'type-1-diabetes', seed: 1, startMs: START, scheduledMeals: false, insulinRoute: 'pump' }),
      new Patient({ profile: 'type-1-diabetes', seed: 1, startMs: START, scheduledMeals: false }),
    ];
    expect(pump.insulinRoute).toBe('pump');
    const start = pump.vitals().glucoseMgDl;
    expect(glucoseAt(pump, START + 4 * HOUR) - start).toBeGreaterThan(100);
    expect(Math.abs(glucoseAt(injections, START + 4 * HOUR) - start)).toBeLessThan(40);
    // A pump delivering the basal rate each minute keeps it level once the insulin on board has built
    // up (about the action time): then glucose moves little over hours.
    const basal = new Patient({ profile: 'type-1-diabetes', seed: 1, startMs: START, scheduledMeals: false, insulinRoute: 'pump' });
    let atSteadyState = 0;
    for (let m = 0; m < 11 * 60; m += 1) {
      if (m === 7 * 60) atSteadyState = glucoseAt(basal, START + m * MIN);
      basal.advanceTo(START + m * MIN);
      basal.deliverInsulin(0.8 / 60, START + m * MIN);
    }
    expect(basal.vitals().insulinOnBoardUnits).toBeGreaterThan(1.5);
    expect(Math.abs(glucoseAt(basal, START + 11 * HOUR) - atSteadyState)).toBeLessThan(30);
  });

  it('moves during the day on the scheduled meal plan without anyone calling eatMeal', () => {
    const patient = new Patient({ profile: 'type-1-diabetes', seed: 'day', startMs: START });
    let [min, max] = [Infinity, -Infinity];
    for (let t = START; t <= START + 24 * HOUR; t += 5 * MIN) {
      const g = glucoseAt(patient, t);
      [min, max] = [Math.min(min, g), Math.max(max, g)];
    }
    expect(max - min).toBeGreaterThan(40);
    expect(min).toBeGreaterThan(40);
    expect(max).toBeLessThan(400);
    const meals = patient.mealsBetween(START + 18 * HOUR, START + 24 * HOUR);
    expect(meals.length).toBeGreaterThan(0);
    expect(meals.every((m) => m.source === 'scheduled' && m.carbsG > 0)).toBe(true);
    // Without diabetes, no plan: glucose stays near fasting.
    const healthy = new Patient({ profile: 'healthy-adult', seed: 'day', startMs: START });
    healthy.advanceTo(START + 12 * HOUR);
    expect(healthy.mealsBetween(START, START + 12 * HOUR)).toEqual([]);
    expect(Math.abs(healthy.vitals().glucoseMgDl - 88)).toBeLessThan(15);
  });

  it('falls below 70 mg/dL in a hypoglycaemia anomaly and above 250 in hyperglycaemia', () => {
    for (const profile of ['healthy-adult', 'type-1-diabetes'] as const) {
      const patient = new Patient({ profile, seed: 2, startMs: START, scheduledMeals: false });
      patient.injectAnomaly({ kind: 'hypoglycaemia', startMs: START, durationMs: 2 * HOUR, severity: 0.6 });
      expect(glucoseAt(patient, START + HOUR)).toBeLessThan(70);
      patient.injectAnomaly({ kind: 'hyperglycaemia', startMs: START + 3 * HOUR, durationMs: 3 * HOUR, severity: 0.5 });
      expect(glucoseAt(patient, START + 5 * HOUR)).toBeGreaterThan(250);
    }
  });

  it('counts a meal or dose dated in the past from the current time', () => {
    const [patient] = twins();
    patient.advanceTo(START + HOUR);
    expect(patient.deliverInsulin(1, START).atMs).toBe(START + HOUR);
    expect(patient.eatMeal(20, START).atMs).toBe(START + HOUR);
    expect(patient.eatMeal(20, START + 2 * HOUR).atMs).toBe(START + 2 * HOUR);
    expect(patient.mealsBetween(START, START + 3 * HOUR).map((m) => m.carbsG)).toEqual([20, 20]);
  });

  it('[CTL-09] refuses meals and doses outside their ranges', { tags: ['CTL-09'] }, () => {
    const [patient] = twins();
    for (const grams of [0, -5, 301, Number.NaN, Number.POSITIVE_INFINITY]) expect(codeOf(() => patient.eatMeal(grams))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => patient.eatMeal(30, Number.NaN))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => patient.eatMeal(30, START, 10))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    for (const units of [0, -1, 25.5, Number.NaN]) expect(codeOf(() => patient.deliverInsulin(units))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => patient.setInsulinRoute('iv' as 'pump'))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(patient.vitals().insulinOnBoardUnits).toBe(0);
  });

  it('[CTL-16] bounds the meals and doses one patient holds', { tags: ['CTL-16'] }, () => {
    const [patient] = twins();
    for (let i = 0; i < MAX_MEALS; i += 1) patient.eatMeal(1);
    expect(codeOf(() => patient.eatMeal(1))).toBe('ERR_PHYSIOLOGY_CAPACITY');
    for (let i = 0; i < MAX_ACTIVE_DOSES; i += 1) patient.deliverInsulin(0.001);
    expect(codeOf(() => patient.deliverInsulin(0.001))).toBe('ERR_PHYSIOLOGY_CAPACITY');
    // Once the doses have acted they are forgotten and new ones are accepted.
    patient.advanceTo(START + 7 * HOUR);
    expect(patient.deliverInsulin(0.001).units).toBe(0.001);
  });
});
