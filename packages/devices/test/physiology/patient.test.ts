import { describe, expect, it } from 'vitest';
import { MAX_ADVANCE_MS, Patient, type Vitals } from '../../src/physiology/patient.js';
import { PATIENT_PROFILES, PATIENT_PROFILE_IDS, validatePatientProfile, type PatientProfile } from '../../src/physiology/patient-profile.js';
import { codeOf } from '../helpers/errors.js';

const START = Date.UTC(2025, 0, 1, 0, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

/** The same scripted session (anomaly, meal, insulin, pacing at fixed instants) sampled every `cadenceMs`. */
function session(seed: number | string, cadenceMs: number, durationMs: number, sampleEveryMs: number): { vitals: Vitals[]; ecg: Int16Array } {
  const patient = new Patient({ profile: 'type-1-diabetes', seed, startMs: START });
  const vitals: Vitals[] = [];
  const events = new Map<number, () => void>([
    [2 * MIN, () => patient.injectAnomaly({ kind: 'tachycardia', startMs: START + 2 * MIN, durationMs: 3 * MIN, severity: 0.4 })],
    [3 * MIN, () => patient.eatMeal(40)],
    [4 * MIN, () => patient.deliverInsulin(2)],
    [5 * MIN, () => patient.setPacing({ mode: 'demand', lowerRateBpm: 80 })],
  ]);
  for (let t = 0; t <= durationMs; t += cadenceMs) {
    patient.advanceTo(START + t);
    events.get(t)?.();
    if (t % sampleEveryMs === 0) vitals.push(patient.vitals());
  }
  return { vitals, ecg: patient.ecg(START + durationMs - 60_000, 15_000, 250) };
}

describe('patient profiles', () => {
  it('catalogues the required patients with plausible, valid values', () => {
    expect([...PATIENT_PROFILE_IDS].sort()).toEqual(
      ['athlete', 'bradycardia-pacemaker', 'copd', 'elderly-hypertensive', 'healthy-adult', 'heart-failure', 'type-1-diabetes'].sort(),
    );
    for (const id of PATIENT_PROFILE_IDS) {
      const profile: PatientProfile = PATIENT_PROFILES[id];
      expect(profile.id).toBe(id);
      expect(validatePatientProfile(profile)).toBe(profile);
    }
    expect(PATIENT_PROFILES.copd.baselines.spo2Percent).toBeLessThan(PATIENT_PROFILES['healthy-adult'].baselines.spo2Percent - 3);
    expect(PATIENT_PROFILES.copd.baselines.desaturationsPerHour).toBeGreaterThan(PATIENT_PROFILES['healthy-adult'].baselines.desaturationsPerHour);
    expect(PATIENT_PROFILES['type-1-diabetes'].diabetes.insulinSensitivityMgDlPerU).toBeGreaterThan(0);
    expect(PATIENT_PROFILES['bradycardia-pacemaker'].pacemaker.intrinsicRateBpm).toBe(40);
    expect(PATIENT_PROFILES.athlete.baselines.heartRateBpm).toBeLessThan(55);
  });

  it('[CTL-09] refuses an unknown profile id or a caller-built profile out of range', { tags: ['CTL-09'] }, () => {
    expect(codeOf(() => new Patient({ profile: 'zombie', seed: 1, startMs: START }))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => new Patient({ profile: 'toString', seed: 1, startMs: START }))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => new Patient({ profile: undefined as unknown as string, seed: 1, startMs: START }))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    const healthy = PATIENT_PROFILES['healthy-adult'];
    const broken = (baselines: Partial<PatientProfile['baselines']>): PatientProfile => ({ ...healthy, baselines: { ...healthy.baselines, ...baselines } });
    expect(codeOf(() => new Patient({ profile: broken({ heartRateBpm: 400 }), seed: 1, startMs: START }))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => new Patient({ profile: broken({ spo2Percent: Number.NaN }), seed: 1, startMs: START }))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => new Patient({ profile: broken({ diastolicMmHg: 115 }), seed: 1, startMs: START }))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    const t1d = PATIENT_PROFILES['type-1-diabetes'];
    expect(codeOf(() => new Patient({ profile: { ...t1d, diabetes: { ...t1d.diabetes, insulinPeakMinutes: 200 } }, seed: 1, startMs: START }))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => new Patient({ profile: 'healthy-adult', seed: 1, startMs: Number.NaN }))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => new Patient({ profile: 'healthy-adult', seed: 1, startMs: START, utcOffsetMinutes: 10_000 }))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => new Patient({ profile: 'healthy-adult', seed: 1.5, startMs: START }))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
  });
});

describe('patient', () => {
  it('gives bit-identical outputs for the same seed and calls, and different ones for another seed', () => {
    const a = session(7, 1_000, 8 * MIN, MIN);
    const b = session(7, 1_000, 8 * MIN, MIN);
    const c = session(8, 1_000, 8 * MIN, MIN);
    expect(b.vitals).toEqual(a.vitals);
    expect(b.ecg).toEqual(a.ecg);
    expect(c.vitals.map((v) => v.heartRateBpm)).not.toEqual(a.vitals.map((v) => v.heartRateBpm));
    expect(c.vitals.map((v) => v.glucoseMgDl)).not.toEqual(a.vitals.map((v) => v.glucoseMgDl));
    expect(c.ecg).not.toEqual(a.ecg);
    // String seeds work the same way.
    expect(session('bed-12', 1_000, 2 * MIN, MIN).vitals).toEqual(session('bed-12', 1_000, 2 * MIN, MIN).vitals);
  });

  it('does not depend on the sampling cadence: every 100 ms or every minute, the same values at the same instants', () => {
    const fine = session(11, 100, 8 * MIN, MIN);
    const coarse = session(11, MIN, 8 * MIN, MIN);
    expect(coarse.vitals).toEqual(fine.vitals);
    expect(coarse.ecg).toEqual(fine.ecg);
    // The pacing set at minute 5 holds the floor in both.
    expect(coarse.vitals.at(-1)!.heartRateBpm).toBeGreaterThanOrEqual(80);
  });

  it('keeps every vital sign plausible over 24 simulated hours, for every profile', () => {
    for (const id of PATIENT_PROFILE_IDS) {
      const patient = new Patient({ profile: id, seed: `day-${id}`, startMs: START });
      const b = patient.profile.baselines;
      for (let t = START; t <= START + 24 * HOUR; t += 10 * MIN) {
        patient.advanceTo(t);
        const v = patient.vitals();
        const where = `${id} at ${(t - START) / HOUR} h`;
        expect(v.heartRateBpm, where).toBeGreaterThan(Math.min(30, b.heartRateBpm * 0.8));
        expect(v.heartRateBpm, where).toBeLessThan(b.heartRateBpm * 1.35);
        expect(v.pulseRateBpm, where).toBeGreaterThan(Math.min(30, b.heartRateBpm * 0.8));
        expect(v.spo2Percent, where).toBeGreaterThan(b.spo2Percent - 10);
        expect(v.spo2Percent, where).toBeLessThanOrEqual(100);
        expect(v.perfusionIndex, where).toBeGreaterThan(0.02);
        expect(v.perfusionIndex, where).toBeLessThan(20);
        expect(v.systolicMmHg, where).toBeGreaterThan(75);
        expect(v.systolicMmHg, where).toBeLessThan(190);
        expect(v.diastolicMmHg, where).toBeGreaterThan(40);
        expect(v.diastolicMmHg, where).toBeLessThan(v.systolicMmHg - 10);
        expect(v.meanMmHg, where).toBeGreaterThan(v.diastolicMmHg);
        expect(v.temperatureC, where).toBeGreaterThan(35.8);
        expect(v.temperatureC, where).toBeLessThan(37.6);
        expect(v.respirationRate, where).toBeGreaterThan(8);
        expect(v.respirationRate, where).toBeLessThan(28);
        expect(v.glucoseMgDl, where).toBeGreaterThan(55);
        // Type 1: a forgotten meal bolus can take glucose into the 300s, as in real life.
        expect(v.glucoseMgDl, where).toBeLessThan(id === 'type-1-diabetes' ? 400 : 150);
        expect(v.insulinOnBoardUnits, where).toBeGreaterThanOrEqual(0);
        expect(v.pacedFraction, where).toBe(0);
        for (const rr of v.rrIntervalsMs) expect(rr, where).toBeGreaterThan(250);
      }
    }
  });

  it('follows the circadian rhythm: lower pressure, heart rate and temperature at night', () => {
    const patient = new Patient({ profile: 'healthy-adult', seed: 'circadian', startMs: START });
    const mean = (fromH: number, toH: number, pick: (v: Vitals) => number): number => {
      let [sum, n] = [0, 0];
      for (let t = START + fromH * HOUR; t < START + toH * HOUR; t += 5 * MIN) {
        patient.advanceTo(t);
        sum += pick(patient.vitals());
        n += 1;
      }
      return sum / n;
    };
    const night = { sbp: mean(2, 5, (v) => v.systolicMmHg), hr: 0, temp: 0 };
    night.hr = mean(5, 6, (v) => v.heartRateBpm);
    night.temp = mean(6, 7, (v) => v.temperatureC);
    const day = { sbp: mean(14, 17, (v) => v.systolicMmHg), hr: mean(17, 18, (v) => v.heartRateBpm), temp: mean(18, 19, (v) => v.temperatureC) };
    expect(day.sbp - night.sbp).toBeGreaterThan(8);
    expect(day.hr - night.hr).toBeGreaterThan(3);
    expect(day.temp - night.temp).toBeGreaterThan(0.3);
  });

  it('adds the white-coat offset to blood pressure when asked', () => {
    const home = new Patient({ profile: 'elderly-hypertensive', seed: 3, startMs: START });
    const clinic = new Patient({ profile: 'elderly-hypertensive', seed: 3, startMs: START, whiteCoat: true });
    home.advanceTo(START + 10 * MIN);
    clinic.advanceTo(START + 10 * MIN);
    expect(clinic.vitals().systolicMmHg - home.vitals().systolicMmHg).toBeCloseTo(15, 9);
    expect(clinic.vitals().heartRateBpm).toBe(home.vitals().heartRateBpm);
  });

  it('ignores earlier times, and refuses a jump of more than 7 days', () => {
    const patient = new Patient({ profile: 'healthy-adult', seed: 2, startMs: START });
    patient.advanceTo(START + 5 * MIN);
    const v = patient.vitals();
    patient.advanceTo(START + MIN);
    expect(patient.nowMs).toBe(START + 5 * MIN);
    expect(patient.vitals()).toEqual(v);
    expect(codeOf(() => patient.advanceTo(START + 5 * MIN + MAX_ADVANCE_MS + 1))).toBe('ERR_PHYSIOLOGY_TIME_JUMP');
    expect(codeOf(() => patient.advanceTo(Number.NaN))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(patient.nowMs).toBe(START + 5 * MIN);
  });
});
