import { describe, expect, it } from 'vitest';
import { PACING_SPIKE_LEAD_MS, PACING_SPIKE_MICROVOLTS, renderEcgLeadII } from '../../src/physiology/ecg-waveform.js';
import { Patient } from '../../src/physiology/patient.js';
import { codeOf } from '../helpers/errors.js';

const START = Date.UTC(2025, 0, 1, 10, 0, 0);

/** A plain R-peak detector: local maxima above a threshold, 200 ms refractory. */
function detectPeaks(samples: Int16Array, rateHz: number, threshold: number): number[] {
  const refractory = Math.round(0.2 * rateHz);
  const peaks: number[] = [];
  for (let i = 1; i < samples.length - 1; i += 1) {
    const v = samples[i]!;
    if (v < threshold || v < samples[i - 1]! || v < samples[i + 1]!) continue;
    const last = peaks.at(-1);
    if (last !== undefined && i - last < refractory) {
      if (v > samples[last]!) peaks[peaks.length - 1] = i;
      continue;
    }
    peaks.push(i);
  }
  return peaks;
}

describe('ECG waveform (lead II)', () => {
  it('has one R peak per beat, at the beat time, at the heart rate', () => {
    for (const rateHz of [250, 500]) {
      const patient = new Patient({ profile: 'healthy-adult', seed: 'ecg', startMs: START });
      const count = 30 * rateHz;
      const samples = patient.ecg(START, count, rateHz);
      const peaks = detectPeaks(samples, rateHz, 600);
      const beats = patient.beatsBetween(START + 200, START + 29_800);
      const inner = peaks.filter((i) => i * (1000 / rateHz) > 200 && i * (1000 / rateHz) <= 29_800);
      expect(inner.length).toBe(beats.length);
      inner.forEach((i, k) => expect(Math.abs(START + (i * 1000) / rateHz - beats[k]!.timeMs)).toBeLessThanOrEqual(1000 / rateHz));
      // Rate from the detected peaks agrees with the heart model.
      const intervals = inner.slice(1).map((i, k) => ((i - inner[k]!) * 1000) / rateHz);
      const detectedRate = 60_000 / (intervals.reduce((a, b) => a + b, 0) / intervals.length);
      const modelRate = 60_000 / (beats.slice(1).reduce((a, b) => a + b.rrMs, 0) / (beats.length - 1));
      expect(Math.abs(detectedRate - modelRate)).toBeLessThan(1);
      // Amplitudes are those of a lead II in µV: R about 1 mV, baseline near zero.
      expect(Math.max(...samples)).toBeGreaterThan(900);
      expect(Math.max(...samples)).toBeLessThan(1_500);
    }
  });

  it('joins frames continuously: one-second frames equal one long render, whatever the cadence', () => {
    const a = new Patient({ profile: 'heart-failure', seed: 21, startMs: START });
    const b = new Patient({ profile: 'heart-failure', seed: 21, startMs: START });
    const frames: Int16Array[] = [];
    for (let k = 0; k < 20; k += 1) {
      a.advanceTo(START + (k + 1) * 1_000);
      frames.push(a.ecg(START + k * 1_000, 250, 250));
    }
    b.advanceTo(START + 20_000);
    const whole = b.ecg(START, 5_000, 250);
    const joined = new Int16Array(5_000);
    frames.forEach((f, k) => joined.set(f, k * 250));
    expect(joined).toEqual(whole);
    // Rendering the same range again gives the same samples.
    expect(b.ecg(START + 3_000, 500, 250)).toEqual(whole.subarray(750, 1_250));
  });

  it('draws a pacing spike before each paced QRS and none for intrinsic beats', () => {
    const patient = new Patient({ profile: 'bradycardia-pacemaker', seed: 4, startMs: START });
    patient.setPacing({ mode: 'demand', lowerRateBpm: 70 });
    patient.advanceTo(START + 10_000);
    const from = START + 10_000;
    const samples = patient.ecg(from, 20 * 250, 250);
    const spikes: number[] = [];
    for (let i = 1; i < samples.length; i += 1) if (samples[i]! - samples[i - 1]! > PACING_SPIKE_MICROVOLTS / 2) spikes.push(from + i * 4);
    const paced = patient.beatsBetween(from + 100, from + 19_900).filter((b) => b.paced);
    expect(paced.length).toBeGreaterThan(20);
    const inner = spikes.filter((t) => t > from + 100 - PACING_SPIKE_LEAD_MS && t <= from + 19_900 - PACING_SPIKE_LEAD_MS);
    expect(inner.length).toBe(paced.length);
    inner.forEach((t, k) => expect(Math.abs(t + PACING_SPIKE_LEAD_MS - paced[k]!.timeMs)).toBeLessThanOrEqual(2));

    const intrinsic = new Patient({ profile: 'healthy-adult', seed: 4, startMs: START }).ecg(START, 5_000, 250);
    for (let i = 1; i < intrinsic.length; i += 1) expect(intrinsic[i]! - intrinsic[i - 1]!).toBeLessThan(PACING_SPIKE_MICROVOLTS / 2);
  });

  it('replaces P waves by fibrillatory waves in atrial fibrillation', () => {
    const rms = (xs: ArrayLike<number>): number => Math.sqrt(Array.from(xs).reduce((a, b) => a + b * b, 0) / xs.length);
    // Same beat times, sinus versus fibrillating atria: the signal before the QRS differs.
    const beats = Array.from({ length: 12 }, (_, k) => ({ timeMs: START + k * 800, rrMs: 800, paced: false, atrialActivity: 1 }));
    const fib = beats.map((b) => ({ ...b, atrialActivity: 0 }));
    const options = { noiseKey: 1, respirationRate: 15, originMs: START };
    const sinus = renderEcgLeadII(beats, START + 1_600, 500, 250, options);
    const af = renderEcgLeadII(fib, START + 1_600, 500, 250, options);
    // ~150 ms before an R peak lies the P wave's top: ~120 µV in sinus rhythm, absent in AF.
    const pIndex = ((3_200 - 152 - 1_600) / 1_000) * 250;
    expect(sinus[pIndex]! - af[pIndex]!).toBeGreaterThan(50);
    // AF adds a 6 Hz oscillation: the difference between the two signals is that f wave.
    const diff = Array.from(af, (v, i) => v - sinus[i]!);
    expect(rms(diff)).toBeGreaterThan(30);
  });

  it('[CTL-09] [CTL-16] refuses bad rates and counts, and ranges outside the retained history', { tags: ['CTL-09', 'CTL-16'] }, () => {
    const patient = new Patient({ profile: 'healthy-adult', seed: 1, startMs: START });
    expect(codeOf(() => patient.ecg(START, 250, 360))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => patient.ecg(START, -1, 250))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => patient.ecg(START, 1.5, 250))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => patient.ecg(START, 60_001, 1_000))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => patient.ecg(Number.NaN, 250, 250))).toBe('ERR_PHYSIOLOGY_INVALID_ARGUMENT');
    expect(codeOf(() => patient.ecg(START - 60_000, 250, 250))).toBe('ERR_PHYSIOLOGY_OUT_OF_HISTORY');
    // A few seconds before the start is covered (device clocks differ slightly).
    expect(patient.ecg(START - 5_000, 250, 250)).toHaveLength(250);
    patient.advanceTo(START + 20 * 60_000);
    expect(codeOf(() => patient.ecg(START + 60_000, 250, 250))).toBe('ERR_PHYSIOLOGY_OUT_OF_HISTORY');
    expect(patient.ecg(START + 6 * 60_000, 250, 250)).toHaveLength(250);
    expect(patient.ecg(START + 19 * 60_000, 0, 250)).toHaveLength(0);
  });
});
