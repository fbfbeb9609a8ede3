/**
 * Synthetic ECG, lead II, as a sum of Gaussian waves per beat (P, Q, R, S, T), the time-domain form
 * of the ECGSYN model (McSharry, Clifford, Tarassenko & Smith, "A dynamical model for generating
 * synthetic electrocardiogram signals", IEEE Trans Biomed Eng 50(3), 2003), driven by the heart
 * model's beats: each R peak lies exactly at a beat's time, the QT interval follows Bazett's
 * correction of the preceding RR interval (QTc 400 ms) and the PR interval shortens at high rates.
 * Paced beats get a pacing spike PACING_SPIKE_LEAD_MS before a wide QRS with a discordant T wave
 * (ventricular pacing) and no P wave; atrial fibrillation replaces P waves with 6 Hz f waves.
 * Baseline wander at the breathing rate, respiratory amplitude modulation of the R wave, and a
 * small noise complete the signal.
 *
 * Every sample is a pure function of its time, the beats and a noise key: the same time renders the
 * same value however the stream is cut into frames, so consecutive frames join exactly.
 *
 * Units: one count = ECG_MICROVOLTS_PER_COUNT µV, int16 (±32.7 mV, far beyond an ECG's ~±5 mV).
 *
 * Not modelled: other leads and the heart's electrical axis, ST changes, ectopic beats, bundle branch
 * blocks, muscle and mains interference, electrode-off, filters of a real front end.
 */
import { PhysiologyInvalidArgumentError } from '../errors.js';
import type { CardiacBeat } from './heart-rate.js';
import { hashUnit } from './internal/hash.js';
import { clamp, respiratoryPhase } from './internal/rhythms.js';

/** Sample rates the renderer accepts, Hz: those with a whole number of ms per sample (250 Hz default, 500 Hz diagnostic). */
export const ECG_SAMPLE_RATES_HZ = [100, 125, 200, 250, 500, 1000] as const;
/** A sample rate the renderer accepts. */
export type EcgSampleRateHz = (typeof ECG_SAMPLE_RATES_HZ)[number];
/** Default sample rate, Hz (IEC 60601-2-27 monitoring bandwidth needs at least 250 Hz). */
export const ECG_DEFAULT_SAMPLE_RATE_HZ = 250;
/** Microvolts per sample count. */
export const ECG_MICROVOLTS_PER_COUNT = 1;
/** Most samples one call renders (60 s at 1 kHz, 4 min at 250 Hz): bounds the work of one call. */
export const ECG_MAX_SAMPLES = 60_000;
/** A pacing spike precedes the paced beat's R peak by this much, ms. */
export const PACING_SPIKE_LEAD_MS = 40;
/** Height of a pacing spike, µV (one sample; real spikes are 0.5-1 ms wide). */
export const PACING_SPIKE_MICROVOLTS = 2_000;
/** A beat shapes the signal from this long before its R peak (P wave onset), ms. */
export const ECG_BEAT_LEAD_MS = 300;
/** A beat shapes the signal until this long after its R peak (end of the T wave at the slowest rate), ms. */
export const ECG_BEAT_TAIL_MS = 900;

/** What shapes the signal besides the beats. */
export interface EcgRenderOptions {
  /** Key of the sample noise (a 32-bit integer from the patient's seed). */
  readonly noiseKey: number;
  /** Breathing rate for baseline wander and R amplitude modulation, breaths/min. */
  readonly respirationRate: number;
  /** Origin of the breathing phase, ms (the patient's start). */
  readonly originMs: number;
}

// Wave amplitudes (µV), offsets from the R peak (ms) and widths (sd, ms) of a normal lead II.
const P_AMPLITUDE = 120;
const P_SD_MS = 20;
const Q_AMPLITUDE = -100;
const Q_OFFSET_MS = -25;
const Q_SD_MS = 7;
const R_AMPLITUDE = 1_100;
const R_SD_MS = 9;
const S_AMPLITUDE = -250;
const S_OFFSET_MS = 25;
const S_SD_MS = 8;
const T_AMPLITUDE = 280;
// QT by Bazett: QTc × sqrt(RR in s); the T peak sits where a Gaussian T ends at the end of QT.
const QTC_MS = 400;
const T_SD_FRACTION = 0.11;
// Paced (ventricular) beat: wide QRS, deep S, discordant T.
const PACED_R_AMPLITUDE = 900;
const PACED_R_OFFSET_MS = -5;
const PACED_R_SD_MS = 22;
const PACED_S_AMPLITUDE = -600;
const PACED_S_OFFSET_MS = 50;
const PACED_S_SD_MS = 25;
const PACED_T_AMPLITUDE = -300;
// Atrial fibrillation f waves, baseline wander, R modulation and noise.
const F_WAVE_AMPLITUDE = 50;
const F_WAVE_HZ = 6;
const WANDER_AMPLITUDE = 40;
const R_RESPIRATORY_MODULATION = 0.05;
const NOISE_AMPLITUDE = 8;

const gauss = (dt: number, center: number, sd: number): number => {
  const z = (dt - center) / sd;
  return z > 5 || z < -5 ? 0 : Math.exp(-0.5 * z * z);
};

/** The contribution of one beat at `dt` ms from its R peak, µV. */
function beatWave(beat: CardiacBeat, dt: number, periodMs: number, breath: number): number {
  const rrS = beat.rrMs / 1_000;
  const qt = clamp(QTC_MS * Math.sqrt(rrS), 240, 600);
  const tSd = T_SD_FRACTION * qt;
  // QT runs from QRS onset (R - 40 ms) to T end (T peak + 2.5 sd).
  const tPeak = qt - 40 - 2.5 * tSd;
  if (beat.paced) {
    const spikeDt = dt + PACING_SPIKE_LEAD_MS;
    // Exactly one sample per spike on any grid: the one in [-period/2, +period/2).
    const spike = spikeDt >= -periodMs / 2 && spikeDt < periodMs / 2 ? PACING_SPIKE_MICROVOLTS : 0;
    return (
      spike +
      PACED_R_AMPLITUDE * gauss(dt, PACED_R_OFFSET_MS, PACED_R_SD_MS) +
      PACED_S_AMPLITUDE * gauss(dt, PACED_S_OFFSET_MS, PACED_S_SD_MS) +
      PACED_T_AMPLITUDE * gauss(dt, tPeak + 20, tSd * 1.2)
    );
  }
  // PR interval 120-200 ms, shorter at high rates; P centred 50 ms after its onset.
  const pr = clamp(120 + 40 * rrS, 120, 200);
  return (
    P_AMPLITUDE * beat.atrialActivity * gauss(dt, -pr + 10, P_SD_MS) +
    Q_AMPLITUDE * gauss(dt, Q_OFFSET_MS, Q_SD_MS) +
    R_AMPLITUDE * (1 + R_RESPIRATORY_MODULATION * breath) * gauss(dt, 0, R_SD_MS) +
    S_AMPLITUDE * gauss(dt, S_OFFSET_MS, S_SD_MS) +
    T_AMPLITUDE * gauss(dt, tPeak, tSd)
  );
}

/** Checks a sample rate and count; ERR_PHYSIOLOGY_INVALID_ARGUMENT otherwise. */
export function validateEcgRequest(fromMs: number, count: number, sampleRateHz: number): void {
  if (typeof fromMs !== 'number' || !Number.isFinite(fromMs)) throw new PhysiologyInvalidArgumentError('ECG fromMs must be a finite time in ms', { details: { field: 'fromMs' } });
  if (!Number.isInteger(count) || count < 0 || count > ECG_MAX_SAMPLES) {
    throw new PhysiologyInvalidArgumentError(`ECG sample count must be an integer in [0, ${ECG_MAX_SAMPLES}]`, { details: { field: 'count', limit: ECG_MAX_SAMPLES } });
  }
  if (!(ECG_SAMPLE_RATES_HZ as readonly number[]).includes(sampleRateHz)) {
    throw new PhysiologyInvalidArgumentError(`ECG sample rate must be one of ${ECG_SAMPLE_RATES_HZ.join(', ')} Hz`, { details: { field: 'sampleRateHz' } });
  }
}

/**
 * Renders `count` samples of lead II from `fromMs` at `sampleRateHz`: sample i is the signal at
 * fromMs + i × 1000 / sampleRateHz. `beats` must be sorted by time and cover ECG_BEAT_TAIL_MS before
 * the first sample to ECG_BEAT_LEAD_MS after the last.
 */
export function renderEcgLeadII(beats: readonly CardiacBeat[], fromMs: number, count: number, sampleRateHz: number, options: EcgRenderOptions): Int16Array {
  validateEcgRequest(fromMs, count, sampleRateHz);
  const periodMs = 1_000 / sampleRateHz;
  const out = new Int16Array(count);
  const noiseKey2 = (options.noiseKey ^ 0x5bd1e995) >>> 0;
  let first = 0;
  let latest = -1;
  for (let i = 0; i < count; i += 1) {
    const t = fromMs + i * periodMs;
    while (first < beats.length && (beats[first]?.timeMs ?? Infinity) < t - ECG_BEAT_TAIL_MS) first += 1;
    while (latest + 1 < beats.length && (beats[latest + 1]?.timeMs ?? Infinity) <= t) latest += 1;
    const breath = Math.sin(respiratoryPhase(t, options.originMs, options.respirationRate));
    let v = WANDER_AMPLITUDE * breath;
    for (let j = first; j < beats.length; j += 1) {
      const beat = beats[j];
      if (beat === undefined || beat.timeMs > t + ECG_BEAT_LEAD_MS) break;
      v += beatWave(beat, t - beat.timeMs, periodMs, breath);
    }
    const fibrillation = 1 - (beats[latest]?.atrialActivity ?? 1);
    if (fibrillation > 0) v += fibrillation * F_WAVE_AMPLITUDE * Math.sin((2 * Math.PI * F_WAVE_HZ * (t - options.originMs)) / 1_000);
    // Triangular noise keyed by the sample's time in µs, so any frame cut gives the same samples.
    const key = Math.round(t * 1_000);
    v += NOISE_AMPLITUDE * (hashUnit(options.noiseKey, key) + hashUnit(noiseKey2, key) - 1);
    out[i] = clamp(Math.round(v / ECG_MICROVOLTS_PER_COUNT), -32_768, 32_767);
  }
  return out;
}

/** Where an EcgWaveform gets its beats (the heart model). */
export interface BeatSource {
  /** Beats whose R peak lies in (fromMs, toMs], sorted by time. */
  beatsForRendering(fromMs: number, toMs: number): readonly CardiacBeat[];
}

/** Lead II of one patient, rendered from its heart's beats. */
export class EcgWaveform {
  readonly #source: BeatSource;
  readonly #options: EcgRenderOptions;

  constructor(source: BeatSource, options: EcgRenderOptions) {
    this.#source = source;
    this.#options = options;
  }

  /**
   * `count` samples from `fromMs` at `sampleRateHz` (ECG_SAMPLE_RATES_HZ): deterministic, and frames
   * rendered one after another join exactly. The beat source must already hold the beats of the range
   * (Patient.ecg advances the patient first).
   */
  samples(fromMs: number, count: number, sampleRateHz: number = ECG_DEFAULT_SAMPLE_RATE_HZ): Int16Array {
    validateEcgRequest(fromMs, count, sampleRateHz);
    const lastMs = fromMs + (Math.max(count, 1) - 1) * (1_000 / sampleRateHz);
    const beats = this.#source.beatsForRendering(fromMs - ECG_BEAT_TAIL_MS - 1, lastMs + ECG_BEAT_LEAD_MS);
    return renderEcgLeadII(beats, fromMs, count, sampleRateHz, this.#options);
  }
}
