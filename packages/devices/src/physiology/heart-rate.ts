/**
 * Heart rhythm, beat by beat. Each beat's RR interval (R peak to next R peak) is drawn when the
 * beat is generated from a mean rate (baseline × circadian rhythm × slow drift, plus anomalies) and
 * heart rate variability: respiratory sinus arrhythmia at the breathing frequency (HF band), a
 * 0.1 Hz Mayer-wave component (LF band) and white noise, their share chosen so that the 5-minute
 * SDNN is near the profile's (HRV bands: Task Force of the ESC and NASPE, Circulation 1996).
 * Variability scales with the mean RR, so it shrinks at high rates as in real hearts.
 *
 * A demand pacemaker (VVI behaviour) paces when the next intrinsic beat would come later than the
 * escape interval 60000 / lower rate: with pacing on, no RR interval exceeds it, so the rate never
 * falls below the lower rate. Atrial fibrillation replaces the rhythm by irregular intervals (log-
 * normal around a faster rate) and removes organised atrial activity.
 *
 * Beats are generated ahead of the patient's time by HEART_BEAT_LOOKAHEAD_MS (the ECG needs the next
 * P wave), always up to a horizon that depends only on the current time: the rhythm is the same
 * whatever the sampling. A setting changed now acts from the first beat not yet generated.
 *
 * Not modelled: ectopic beats, conduction blocks, ventricular arrhythmias, exercise, baroreflex
 * coupling to blood pressure, atrial sensing and tracking (dual-chamber pacing), rate response.
 */
import { PhysiologyInvalidArgumentError } from '../errors.js';
import type { PhysiologyModelContext } from './model-context.js';
import { bySeverity, circadianCosine, clamp, respiratoryPhase } from './internal/rhythms.js';
import { feverRiseC } from './temperature.js';

/** One heartbeat. */
export interface CardiacBeat {
  /** Time of the R peak (ventricular depolarisation), ms since the Unix epoch. */
  readonly timeMs: number;
  /** Interval from the previous beat's R peak, ms (whole ms). */
  readonly rrMs: number;
  /** True when the pacemaker produced this beat. */
  readonly paced: boolean;
  /** Organised atrial activity, 0..1: 1 draws a sinus P wave, 0 atrial fibrillation (f waves, no P). */
  readonly atrialActivity: number;
}

/** Pacemaker behaviour the heart sees: off, or demand pacing at a lower rate. */
export type PacingMode = 'off' | 'demand';

/** What the pacemaker is doing. `lowerRateBpm` matters only in demand mode. */
export interface PacingSettings {
  readonly mode: PacingMode;
  /** Lower rate, pulses/min (30 to 150). */
  readonly lowerRateBpm: number;
}

/** Beats are generated this far ahead of the current time, ms (covers the next beat's P wave). */
export const HEART_BEAT_LOOKAHEAD_MS = 1_000;
/** Beats are kept this long behind the current time, ms (what ECG frames can still be rendered from). */
export const HEART_BEAT_HISTORY_MS = 15 * 60_000;
/** Beats exist this long before the simulation's start, ms, so a frame starting at the start is whole. */
export const HEART_PRE_START_MS = 10_000;
/** Range of a demand pacing lower rate, pulses/min. */
export const PACING_LOWER_RATE_RANGE_BPM = { min: 30, max: 150 } as const;

// Shortest and longest RR interval, ms: 240 and 20 beats/min.
const MIN_RR_MS = 250;
const MAX_RR_MS = 3_000;
// Day-night swing of the mean rate: +-8 %, highest mid-afternoon, lowest around 03:00 (healthy
// adults are ~10 bpm slower asleep).
const CIRCADIAN_AMPLITUDE = 0.08;
const CIRCADIAN_PEAK_HOUR = 15;
// Share of the 5-minute RR variance per component (RSA, LF, slow drift, white): the HF and LF
// powers of resting adults are of the same order (Task Force 1996, Table 2).
const VARIANCE_SHARE = { rsa: 0.4, lf: 0.3, drift: 0.15, white: 0.15 } as const;
// Mayer waves, ~0.1 Hz.
const LF_PERIOD_MS = 10_000;
// Correlation time of the slow drift, ms.
const DRIFT_TAU_MS = 120_000;
// Irregularity of atrial fibrillation: log-normal RR with sigma 0.22 (coefficient of variation of RR
// in AF is typically 15-25 %).
const AF_RR_LOG_SD = 0.22;
// Tachycardia by Liebermeister's rule: ~8.5 bpm per °C of fever (Karjalainen & Viitasalo 1986).
const FEVER_BPM_PER_C = 8.5;
// How many RR intervals the reported heart rate averages (monitors average 4 to 16 beats).
const HEART_RATE_AVERAGE_BEATS = 4;
// Compaction threshold for the beat array.
const COMPACT_AFTER = 2_048;

/** The beat-by-beat heart rhythm of one patient. */
export class HeartRateModel {
  readonly #ctx: PhysiologyModelContext;
  readonly #beats: CardiacBeat[] = [];
  #head = 0;
  #nowMs: number;
  #pacing: PacingSettings = { mode: 'off', lowerRateBpm: 60 };
  #drift: number;
  readonly #rrBaseMs: number;
  readonly #driftSd: number;
  readonly #rsaAmplitudeMs: number;
  readonly #lfAmplitudeMs: number;
  readonly #whiteSdMs: number;
  readonly #lfPhase: number;

  constructor(context: PhysiologyModelContext) {
    this.#ctx = context;
    this.#nowMs = context.startMs;
    const { heartRateBpm, hrvSdnnMs } = context.profile.baselines;
    this.#rrBaseMs = 60_000 / heartRateBpm;
    // A sinusoid of amplitude A sampled at random phases has variance A²/2.
    this.#rsaAmplitudeMs = hrvSdnnMs * Math.sqrt(2 * VARIANCE_SHARE.rsa);
    this.#lfAmplitudeMs = hrvSdnnMs * Math.sqrt(2 * VARIANCE_SHARE.lf);
    this.#whiteSdMs = hrvSdnnMs * Math.sqrt(VARIANCE_SHARE.white);
    this.#driftSd = (hrvSdnnMs * Math.sqrt(VARIANCE_SHARE.drift)) / this.#rrBaseMs;
    const random = context.random;
    this.#lfPhase = 2 * Math.PI * random.next();
    this.#drift = random.normal(0, this.#driftSd);
    // Beats before the start at the nominal rate, the last of them at a seeded phase before the start.
    const rr0 = Math.round(60_000 / this.#meanRate(context.startMs));
    const first = context.startMs - random.next() * rr0;
    // Enough beats that a frame starting HEART_PRE_START_MS before the start still has its T waves.
    const count = Math.ceil((HEART_PRE_START_MS + MAX_RR_MS) / rr0) + 1;
    for (let k = count; k >= 0; k -= 1) this.#beats.push({ timeMs: first - k * rr0, rrMs: rr0, paced: false, atrialActivity: 1 });
    this.advanceTo(context.startMs);
  }

  /** The patient's current time as this model knows it. */
  get nowMs(): number {
    return this.#nowMs;
  }

  /** Generates beats up to `nowMs` + HEART_BEAT_LOOKAHEAD_MS and forgets those older than the history; earlier times change nothing. */
  advanceTo(nowMs: number): void {
    if (nowMs > this.#nowMs) this.#nowMs = nowMs;
    while (this.#last().timeMs <= this.#nowMs + HEART_BEAT_LOOKAHEAD_MS) this.#generateNext();
    const keepFrom = this.#nowMs - HEART_BEAT_HISTORY_MS - 2 * MAX_RR_MS;
    while (this.#head < this.#beats.length - 1 && (this.#beats[this.#head]?.timeMs ?? Infinity) < keepFrom) this.#head += 1;
    if (this.#head > COMPACT_AFTER) {
      this.#beats.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Current pacing settings. */
  get pacing(): PacingSettings {
    return this.#pacing;
  }

  /** Changes pacing from the next beat not yet generated; ERR_PHYSIOLOGY_INVALID_ARGUMENT for an unknown mode or a rate outside 30..150. */
  setPacing(settings: PacingSettings): void {
    if (typeof settings !== 'object' || settings === null || (settings.mode !== 'off' && settings.mode !== 'demand')) {
      throw new PhysiologyInvalidArgumentError('pacing.mode must be "off" or "demand"', { details: { field: 'pacing.mode' } });
    }
    const { min, max } = PACING_LOWER_RATE_RANGE_BPM;
    if (settings.mode === 'demand' && !(typeof settings.lowerRateBpm === 'number' && settings.lowerRateBpm >= min && settings.lowerRateBpm <= max)) {
      throw new PhysiologyInvalidArgumentError(`pacing.lowerRateBpm must be in [${min}, ${max}] pulses/min`, { details: { field: 'pacing.lowerRateBpm' } });
    }
    // With pacing off the rate is not used; a missing one keeps the previous value.
    const lowerRateBpm = Number.isFinite(settings.lowerRateBpm) ? settings.lowerRateBpm : this.#pacing.lowerRateBpm;
    this.#pacing = { mode: settings.mode, lowerRateBpm };
  }

  /** Heart rate at the current time, beats/min: 60000 / the mean of the last `beats` RR intervals. */
  heartRateBpm(beats: number = HEART_RATE_AVERAGE_BEATS): number {
    let end = this.#beats.length - 1;
    while (end > this.#head && (this.#beats[end]?.timeMs ?? Infinity) > this.#nowMs) end -= 1;
    let sum = 0;
    let n = 0;
    for (let i = end; i >= this.#head && n < beats; i -= 1, n += 1) sum += this.#beats[i]?.rrMs ?? 0;
    return n === 0 ? 0 : (60_000 * n) / sum;
  }

  /** Beats whose R peak lies in (fromMs, toMs] and not after the current time. */
  beatsBetween(fromMs: number, toMs: number): CardiacBeat[] {
    return this.#slice(fromMs, Math.min(toMs, this.#nowMs));
  }

  /** Beats whose R peak lies in (fromMs, toMs], including those generated ahead (for waveform rendering). */
  beatsForRendering(fromMs: number, toMs: number): CardiacBeat[] {
    return this.#slice(fromMs, toMs);
  }

  /** Fraction (0..1) of the beats in the `windowMs` before the current time that were paced. */
  pacedFraction(windowMs = 60_000): number {
    const beats = this.beatsBetween(this.#nowMs - windowMs, this.#nowMs);
    return beats.length === 0 ? 0 : beats.filter((b) => b.paced).length / beats.length;
  }

  /** Earliest time whose beats are still known, ms. */
  get historyStartMs(): number {
    return Math.max(this.#ctx.startMs - HEART_PRE_START_MS, this.#nowMs - HEART_BEAT_HISTORY_MS);
  }

  #slice(fromMs: number, toMs: number): CardiacBeat[] {
    // Binary search for the first beat after fromMs.
    let lo = this.#head;
    let hi = this.#beats.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#beats[mid]?.timeMs ?? Infinity) <= fromMs) lo = mid + 1;
      else hi = mid;
    }
    const out: CardiacBeat[] = [];
    for (let i = lo; i < this.#beats.length; i += 1) {
      const beat = this.#beats[i];
      if (beat === undefined || beat.timeMs > toMs) break;
      out.push(beat);
    }
    return out;
  }

  #last(): CardiacBeat {
    const last = this.#beats[this.#beats.length - 1];
    if (last === undefined) throw new Error('unreachable: the beat list is never empty');
    return last;
  }

  /** Mean rate at `timeMs` without beat-to-beat variability, beats/min. */
  #meanRate(timeMs: number): number {
    const { anomalies, utcOffsetMinutes, profile } = this.#ctx;
    let rate = profile.baselines.heartRateBpm * (1 + CIRCADIAN_AMPLITUDE * circadianCosine(timeMs, utcOffsetMinutes, CIRCADIAN_PEAK_HOUR)) * (1 + this.#drift);
    rate += anomalies.effect('fever', timeMs, (s) => FEVER_BPM_PER_C * feverRiseC(s));
    // Hypoxaemia and hypoglycaemia both raise sympathetic drive.
    rate += anomalies.effect('hypoxia', timeMs, (s) => bySeverity(s, 10, 25));
    rate += anomalies.effect('hypoglycaemia', timeMs, (s) => bySeverity(s, 8, 20));
    const tachy = anomalies.influence('tachycardia', timeMs);
    if (tachy.envelope > 0) rate += tachy.envelope * Math.max(0, bySeverity(tachy.severity, 130, 180) - rate);
    const brady = anomalies.influence('bradycardia', timeMs);
    if (brady.envelope > 0) rate -= brady.envelope * Math.max(0, rate - bySeverity(brady.severity, 50, 32));
    return clamp(rate, 20, 240);
  }

  #generateNext(): void {
    const last = this.#last();
    const t = last.timeMs;
    const random = this.#ctx.random;
    // Always three normal draws per beat: the stream's position depends only on the beat count.
    const nDrift = random.normal();
    const nWhite = random.normal();
    const nAf = random.normal();
    const rho = Math.exp(-last.rrMs / DRIFT_TAU_MS);
    this.#drift = rho * this.#drift + Math.sqrt(1 - rho * rho) * this.#driftSd * nDrift;
    const rate = this.#meanRate(t);
    const rrMean = 60_000 / rate;
    const scale = rrMean / this.#rrBaseMs;
    const { startMs, profile, anomalies } = this.#ctx;
    const modulation =
      this.#rsaAmplitudeMs * Math.sin(respiratoryPhase(t, startMs, profile.baselines.respirationRate)) +
      this.#lfAmplitudeMs * Math.sin((2 * Math.PI * (t - startMs)) / LF_PERIOD_MS + this.#lfPhase) +
      this.#whiteSdMs * nWhite;
    let rr = rrMean + scale * modulation;
    const af = anomalies.influence('atrial-fibrillation', t);
    if (af.envelope > 0) {
      // AF with a fast ventricular response: 90-140 beats/min, irregularly irregular.
      const afRr = (60_000 / Math.max(rate, bySeverity(af.severity, 90, 140))) * Math.exp(AF_RR_LOG_SD * nAf);
      rr = rr * (1 - af.envelope) + afRr * af.envelope;
    }
    rr = clamp(Math.round(rr), MIN_RR_MS, MAX_RR_MS);
    let paced = false;
    if (this.#pacing.mode === 'demand') {
      // Escape interval rounded down so that the paced rate is never below the lower rate.
      const escapeMs = Math.floor(60_000 / this.#pacing.lowerRateBpm);
      if (rr > escapeMs) {
        rr = escapeMs;
        paced = true;
      }
    }
    this.#beats.push({ timeMs: t + rr, rrMs: rr, paced, atrialActivity: 1 - af.envelope });
  }
}
