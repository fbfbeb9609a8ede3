import { describe, expect, it } from 'vitest';
import { ANOMALY_KINDS, AnomalySchedule, MAX_ANOMALIES } from '../../src/physiology/anomalies.js';
import { Patient } from '../../src/physiology/patient.js';
import { codeOf } from '../helpers/errors.js';

const START = Date.UTC(2025, 0, 1, 10, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

const vitalsAt = (patient: Patient, timeMs: number): ReturnType<Patient['vitals']> => {
  patient.advanceTo(timeMs);
  return patient.vitals();
};

describe('anomaly schedule', () => {
  it('ramps in and out smoothly, holds in between, and is zero outside', () => {
    const schedule = new AnomalySchedule();
    schedule.add({ kind: 'fever', startMs: 0, durationMs: 10_000, severity: 0.8, rampMs: 2_000 }, 0);
    expect(schedule.influence('fever', 0).envelope).toBe(0);
    expect(schedule.influence('fever', 1_000).envelope).toBeCloseTo(0.5, 12);
    expect(schedule.influence('fever', 5_000)).toEqual({ envelope: 1, severity: 0.8 });
    expect(schedule.influence('fever', 9_000).envelope).toBeCloseTo(0.5, 12);
    expect(schedule.influence('fever', 10_000).envelope).toBe(0);
    expect(schedule.influence('hypoxia', 5_000)).toEqual({ envelope: 0, severity: 0 });
    let previous = 0;
    for (let t = 0; t <= 2_000; t += 100) {
      const e = schedule.influence('fever', t).envelope;
      expect(e).toBeGreaterThanOrEqual(previous);
      previous = e;
    }
    // The ramp never takes more than a third of a short anomaly.
    const short = schedule.add({ kind: 'hypoxia', startMs: 0, durationMs: 3_000, severity: 1 }, 0);
    expect(short.rampMs).toBe(1_000);
    expect(schedule.influence('hypoxia', 1_500).envelope).toBe(1);
  });

  it('lets anomalies overlap: the strongest of a kind acts, different kinds act together', () => {
    const schedule = new AnomalySchedule();
    schedule.add({ kind: 'tachycardia', startMs: 0, durationMs: 60_000, severity: 0.2, rampMs: 0 }, 0);
    schedule.add({ kind: 'tachycardia', startMs: 10_000, durationMs: 20_000, severity: 0.9, rampMs: 0 }, 0);
    schedule.add({ kind: 'hypoxia', startMs: 0, durationMs: 60_000, severity: 0.5, rampMs: 0 }, 0);
    expect(schedule.influence('tachycardia', 5_000).severity).toBe(0.2);
    expect(schedule.influence('tachycardia', 15_000).severity).toBe(0.9);
    expect(schedule.influence('tachycardia', 45_000).severity).toBe(0.2);
    expect(schedule.effect('hypoxia', 15_000, (s) => 10 * s)).toBe(5);

    const patient = new Patient({ profile: 'healthy-adult', seed: 1, startMs: START });
    patient.injectAnomaly({ kind: 'tachycardia', startMs: START, durationMs: 10 * MIN, severity: 0.5 });
    patient.injectAnomaly({ kind: 'hypoxia', startMs: START, durationMs: 10 * MIN, severity: 0.5 });
    const v = vitalsAt(patient, START + 5 * MIN);
    expect(v.heartRateBpm).toBeGreaterThan(120);
    expect(v.spo2Percent).toBeLessThan(88);
  });

  it('clears by ramping active anomalies out from now and dropping future ones', () => {
    const schedule = new AnomalySchedule();
    schedule.add({ kind: 'fever', startMs: 0, durationMs: 100_000, severity: 1, rampMs: 10_000 }, 0);
    schedule.add({ kind: 'hypoxia', startMs: 50_000, durationMs: 10_000, severity: 1 }, 0);
    schedule.release(30_000);
    expect(schedule.list().map((a) => a.kind)).toEqual(['fever']);
    expect(schedule.influence('fever', 30_000).envelope).toBe(1);
    expect(schedule.influence('fever', 35_000).envelope).toBeCloseTo(0.5, 12);
    expect(schedule.influence('fever', 40_000).envelope).toBe(0);
    schedule.prune(40_000);
    expect(schedule.list()).toEqual([]);

    const patient = new Patient({ profile: 'healthy-adult', seed: 2, startMs: START });
    patient.injectAnomaly({ kind: 'tachycardia', startMs: START, durationMs: HOUR, severity: 1 });
    expect(vitalsAt(patient, START + 2 * MIN).heartRateBpm).toBeGreaterThan(150);
    patient.clearAnomalies();
    expect(vitalsAt(patient, START + 4 * MIN).heartRateBpm).toBeLessThan(90);
    expect(patient.anomalies()).toEqual([]);
  });

  it('[CTL-09] refuses unknown kinds and values out of range', { tags: ['CTL-09'] }, () => {
    const schedule = new AnomalySchedule();
    const ok = { kind: 'fever', startMs: 0, durationMs: 60_000, severity: 0.5 } as const;
    expect(codeOf(() => schedule.add({ ...ok, kind: 'zombie' as 'fever' }, 0))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => schedule.add({ ...ok, severity: 1.5 }, 0))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => schedule.add({ ...ok, severity: Number.NaN }, 0))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => schedule.add({ ...ok, durationMs: 0 }, 0))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => schedule.add({ ...ok, durationMs: 8 * 24 * HOUR }, 0))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => schedule.add({ ...ok, startMs: Number.POSITIVE_INFINITY }, 0))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => schedule.add({ ...ok, rampMs: -1 }, 0))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => schedule.add(null as unknown as typeof ok, 0))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(schedule.list()).toEqual([]);
    for (const kind of ANOMALY_KINDS) expect(schedule.add({ ...ok, kind }, 0).kind).toBe(kind);
  });

  it('[CTL-16] holds at most MAX_ANOMALIES at once, and frees the room of ended ones', { tags: ['CTL-16'] }, () => {
    const schedule = new AnomalySchedule();
    for (let i = 0; i < MAX_ANOMALIES; i += 1) schedule.add({ kind: 'fever', startMs: 0, durationMs: 10_000, severity: 0.1 }, 0);
    expect(codeOf(() => schedule.add({ kind: 'fever', startMs: 0, durationMs: 10_000, severity: 0.1 }, 0))).toBe('ERR_PHYSIOLOGY_CAPACITY');
    expect(schedule.add({ kind: 'fever', startMs: 20_000, durationMs: 10_000, severity: 0.1 }, 15_000).id).toBe(MAX_ANOMALIES + 1);
  });
});

describe('anomaly effects on the vital signs', () => {
  it('hypoxia brings SpO2 below 88 % and lowers the perfusion index', () => {
    const patient = new Patient({ profile: 'healthy-adult', seed: 3, startMs: START });
    const before = vitalsAt(patient, START + MIN);
    patient.injectAnomaly({ kind: 'hypoxia', startMs: START + MIN, durationMs: 10 * MIN, severity: 0.5 });
    const during = vitalsAt(patient, START + 6 * MIN);
    expect(during.spo2Percent).toBeLessThan(88);
    expect(during.respirationRate).toBeGreaterThan(before.respirationRate + 4);
    expect(during.heartRateBpm).toBeGreaterThan(before.heartRateBpm + 5);
    expect(vitalsAt(patient, START + 15 * MIN).spo2Percent).toBeGreaterThan(95);
  });

  it('fever raises core temperature above 38 °C, with heart and breathing rates', () => {
    const patient = new Patient({ profile: 'healthy-adult', seed: 4, startMs: START });
    const before = vitalsAt(patient, START + MIN);
    patient.injectAnomaly({ kind: 'fever', startMs: START + MIN, durationMs: 6 * HOUR, severity: 0.5 });
    const during = vitalsAt(patient, START + 3 * HOUR);
    expect(during.temperatureC).toBeGreaterThan(38.5);
    expect(during.heartRateBpm).toBeGreaterThan(before.heartRateBpm + 10);
    expect(during.respirationRate).toBeGreaterThan(before.respirationRate + 2);
    expect(vitalsAt(patient, START + 9 * HOUR).temperatureC).toBeLessThan(37.6);
  });

  it('a hypertensive crisis takes blood pressure beyond 180/120 mmHg', () => {
    const patient = new Patient({ profile: 'elderly-hypertensive', seed: 5, startMs: START });
    patient.injectAnomaly({ kind: 'hypertensive-crisis', startMs: START, durationMs: HOUR, severity: 0.5 });
    const v = vitalsAt(patient, START + 20 * MIN);
    expect(v.systolicMmHg).toBeGreaterThan(180);
    expect(v.diastolicMmHg).toBeGreaterThan(120);
    expect(v.meanMmHg).toBeCloseTo(v.diastolicMmHg + (v.systolicMmHg - v.diastolicMmHg) / 3, 9);
  });

  it('gives a COPD patient lower SpO2 and more desaturations than a healthy adult', () => {
    const dips = (profile: 'copd' | 'healthy-adult'): { episodes: number; mean: number } => {
      const patient = new Patient({ profile, seed: 6, startMs: START });
      let [episodes, inEpisode, sum, n] = [0, false, 0, 0];
      const baseline = patient.profile.baselines.spo2Percent;
      for (let t = START; t <= START + 6 * HOUR; t += 5_000) {
        const spo2 = vitalsAt(patient, t).spo2Percent;
        sum += spo2;
        n += 1;
        // An episode: below baseline - 2.5 %, over once back above baseline - 1 % (hysteresis).
        if (!inEpisode && spo2 < baseline - 2.5) {
          episodes += 1;
          inEpisode = true;
        } else if (inEpisode && spo2 > baseline - 1) {
          inEpisode = false;
        }
      }
      return { episodes, mean: sum / n };
    };
    const copd = dips('copd');
    const healthy = dips('healthy-adult');
    expect(copd.episodes).toBeGreaterThan(8);
    expect(copd.episodes).toBeGreaterThan(3 * Math.max(1, healthy.episodes));
    expect(copd.mean).toBeLessThan(93);
    expect(healthy.mean).toBeGreaterThan(96);
  });
});
