import { describe, expect, it } from 'vitest';
import { Patient } from '../../src/physiology/patient.js';
import { PATIENT_PROFILES } from '../../src/physiology/patient-profile.js';
import { codeOf } from '../helpers/errors.js';

// 2025-01-01 10:00 UTC: daytime, so circadian swings stay small over the short runs below.
const START = Date.UTC(2025, 0, 1, 10, 0, 0);
const MIN = 60_000;

const sdnn = (rr: readonly number[]): number => {
  const mean = rr.reduce((a, b) => a + b, 0) / rr.length;
  return Math.sqrt(rr.reduce((a, b) => a + (b - mean) ** 2, 0) / rr.length);
};

describe('heart rate model', () => {
  it('has a 5-minute SDNN near each profile value, and a mean rate near the baseline', () => {
    for (const id of ['healthy-adult', 'athlete', 'heart-failure'] as const) {
      const patient = new Patient({ profile: id, seed: 'hrv', startMs: START });
      patient.advanceTo(START + 5 * MIN);
      const rr = patient.rrIntervalsBetween(START, START + 5 * MIN);
      const target = PATIENT_PROFILES[id].baselines.hrvSdnnMs;
      expect(sdnn(rr)).toBeGreaterThan(0.6 * target);
      expect(sdnn(rr)).toBeLessThan(1.6 * target);
      const meanRate = (60_000 * rr.length) / rr.reduce((a, b) => a + b, 0);
      expect(Math.abs(meanRate - PATIENT_PROFILES[id].baselines.heartRateBpm)).toBeLessThan(0.15 * PATIENT_PROFILES[id].baselines.heartRateBpm);
    }
  });

  it('reports RR intervals that add up to the time between beats, and the last second of them in vitals', () => {
    const patient = new Patient({ profile: 'healthy-adult', seed: 3, startMs: START });
    patient.advanceTo(START + MIN);
    const beats = patient.beatsBetween(START, START + MIN);
    for (let i = 1; i < beats.length; i += 1) expect(beats[i]!.timeMs - beats[i - 1]!.timeMs).toBe(beats[i]!.rrMs);
    expect(beats.at(-1)!.timeMs).toBeLessThanOrEqual(START + MIN);
    const vitals = patient.vitals();
    expect(vitals.rrIntervalsMs).toEqual(patient.rrIntervalsBetween(START + MIN - 1_000, START + MIN));
    const last4 = beats.slice(-4).map((b) => b.rrMs);
    expect(vitals.heartRateBpm).toBeCloseTo((60_000 * 4) / last4.reduce((a, b) => a + b, 0), 9);
  });

  it('shows the intrinsic rate of a bradycardia patient with pacing off, and never falls below the lower rate with demand pacing', () => {
    const patient = new Patient({ profile: 'bradycardia-pacemaker', seed: 5, startMs: START });
    patient.advanceTo(START + 2 * MIN);
    expect(patient.pacing.mode).toBe('off');
    expect(patient.vitals().heartRateBpm).toBeLessThan(50);
    expect(patient.vitals().pacedFraction).toBe(0);

    patient.setPacing({ mode: 'demand', lowerRateBpm: 60 });
    patient.advanceTo(START + 3 * MIN);
    for (let t = START + 3 * MIN; t <= START + 20 * MIN; t += 1_000) {
      patient.advanceTo(t);
      expect(patient.vitals().heartRateBpm).toBeGreaterThanOrEqual(60);
    }
    for (const beat of patient.beatsBetween(START + 3 * MIN, START + 20 * MIN)) expect(beat.rrMs).toBeLessThanOrEqual(1_000);
    expect(patient.vitals().pacedFraction).toBe(1);

    // Off again: the intrinsic rhythm is back within a few beats.
    patient.setPacing({ mode: 'off', lowerRateBpm: 60 });
    patient.advanceTo(START + 22 * MIN);
    expect(patient.vitals().heartRateBpm).toBeLessThan(50);
    expect(patient.pacedFraction(30_000)).toBe(0);
  });

  it('paces only the beats that would come late when the intrinsic rate is near the lower rate', () => {
    const patient = new Patient({ profile: 'athlete', seed: 11, startMs: START });
    patient.setPacing({ mode: 'demand', lowerRateBpm: 50 });
    patient.advanceTo(START + 10 * MIN);
    const fraction = patient.pacedFraction(10 * MIN);
    expect(fraction).toBeGreaterThan(0);
    expect(fraction).toBeLessThan(1);
    for (const beat of patient.beatsBetween(START + 2_000, START + 10 * MIN)) expect(beat.rrMs).toBeLessThanOrEqual(1_200);
  });

  it('rises above 120 bpm in tachycardia and falls in bradycardia, then recovers', () => {
    const patient = new Patient({ profile: 'healthy-adult', seed: 8, startMs: START });
    patient.injectAnomaly({ kind: 'tachycardia', startMs: START + MIN, durationMs: 5 * MIN, severity: 0.5 });
    patient.advanceTo(START + 3 * MIN);
    expect(patient.vitals().heartRateBpm).toBeGreaterThan(120);
    patient.advanceTo(START + 8 * MIN);
    expect(patient.vitals().heartRateBpm).toBeLessThan(90);
    patient.injectAnomaly({ kind: 'bradycardia', startMs: START + 8 * MIN, durationMs: 5 * MIN, severity: 1 });
    patient.advanceTo(START + 10 * MIN);
    expect(patient.vitals().heartRateBpm).toBeLessThan(40);
  });

  it('makes the rhythm irregular and faster in atrial fibrillation, with no organised atrial activity', () => {
    const patient = new Patient({ profile: 'healthy-adult', seed: 9, startMs: START });
    patient.advanceTo(START + 2 * MIN);
    const sinus = patient.beatsBetween(START, START + 2 * MIN);
    patient.injectAnomaly({ kind: 'atrial-fibrillation', startMs: START + 2 * MIN, durationMs: 10 * MIN, severity: 0.5 });
    patient.advanceTo(START + 6 * MIN);
    const af = patient.beatsBetween(START + 3 * MIN, START + 6 * MIN);
    // Successive differences: the RMSSD of AF is several times that of sinus rhythm.
    const rmssd = (beats: readonly { rrMs: number }[]): number =>
      Math.sqrt(beats.slice(1).reduce((a, b, i) => a + (b.rrMs - beats[i]!.rrMs) ** 2, 0) / (beats.length - 1));
    expect(rmssd(af)).toBeGreaterThan(3 * rmssd(sinus));
    expect(af.every((b) => b.atrialActivity === 0)).toBe(true);
    expect(sinus.every((b) => b.atrialActivity === 1)).toBe(true);
    expect(patient.vitals().heartRateBpm).toBeGreaterThan(85);
  });

  it('[CTL-09] refuses an unknown pacing mode or a lower rate outside 30..150', { tags: ['CTL-09'] }, () => {
    const patient = new Patient({ profile: 'bradycardia-pacemaker', seed: 1, startMs: START });
    expect(codeOf(() => patient.setPacing({ mode: 'demand', lowerRateBpm: 200 }))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => patient.setPacing({ mode: 'demand', lowerRateBpm: Number.NaN }))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => patient.setPacing({ mode: 'burst' as 'off', lowerRateBpm: 60 }))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(patient.pacing.mode).toBe('off');
  });
});
