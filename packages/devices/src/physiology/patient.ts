/**
 * A simulated patient: the physiology models tied together behind one clock. Devices attached to the
 * patient advance it to their own time and read a snapshot of its vital signs, ECG samples and beats;
 * the pump tells it about insulin, the pacemaker about pacing, the fleet injects anomalies.
 *
 * Time is passed in, never read from a clock: milliseconds since the Unix epoch. The patient only
 * moves forward: advancing to an earlier time changes nothing (several devices with slightly
 * different clocks share one patient, and the latest time wins); advancing more than
 * MAX_ADVANCE_MS at once is refused (ERR_PHYSIOLOGY_TIME_JUMP). Events dated before the patient's
 * current time (a meal, a dose) take effect at the current time: the past is never rewritten.
 *
 * Determinism: the same seed, profile, start and sequence of calls give bit-identical outputs; how
 * often the patient is sampled (advanceTo, vitals, ecg) does not change any value at any instant,
 * because each model moves in fixed steps (the heart in beats) and draws from its own substream
 * (SeededRandom.fork) a fixed number of times per step.
 *
 * NOT for clinical use: a plausible demonstration physiology, not a validated patient model.
 */
import { PhysiologyInvalidArgumentError, PhysiologyOutOfHistoryError, PhysiologyTimeJumpError } from '../errors.js';
import { AnomalySchedule, type Anomaly, type ScheduledAnomaly } from './anomalies.js';
import { BloodPressureModel } from './blood-pressure.js';
import { ECG_DEFAULT_SAMPLE_RATE_HZ, EcgWaveform, validateEcgRequest } from './ecg-waveform.js';
import { GlucoseModel, type InsulinRoute, type InsulinDose, type Meal } from './glucose.js';
import { HEART_BEAT_HISTORY_MS, HEART_PRE_START_MS, HeartRateModel, type CardiacBeat, type PacingSettings } from './heart-rate.js';
import { DAY_MS } from './internal/rhythms.js';
import type { PhysiologyModelContext } from './model-context.js';
import { patientProfile, validatePatientProfile, type PatientProfile } from './patient-profile.js';
import { RespirationModel } from './respiration.js';
import { SeededRandom, type Seed } from './seeded-random.js';
import { SpO2Model } from './spo2.js';
import { TemperatureModel } from './temperature.js';

/** Longest forward move of one advanceTo call, ms (7 days: about 3.6 million model steps). */
export const MAX_ADVANCE_MS = 7 * DAY_MS;
/** vitals().rrIntervalsMs lists the beats of this window before the current time, ms (one BLE notification period). */
export const RR_REPORT_WINDOW_MS = 1_000;
/** vitals().pacedFraction counts the beats of this window before the current time, ms. */
export const PACED_FRACTION_WINDOW_MS = 60_000;
// Pulse oximeters average the pulse over more beats than an ECG monitor's heart rate.
const PULSE_RATE_AVERAGE_BEATS = 8;

/** How to build a patient. */
export interface PatientOptions {
  /** A profile, or the id of one in PATIENT_PROFILES. */
  readonly profile: PatientProfile | string;
  /** Seed of every random draw of this patient (32-bit integer or string). */
  readonly seed: Seed;
  /** Start of the simulation, ms since the Unix epoch. */
  readonly startMs: number;
  /** Offset of the patient's local time from UTC, minutes (-840..840, default 0): circadian rhythms and meal times follow it. */
  readonly utcOffsetMinutes?: number;
  /** Add the profile's white-coat offset to blood pressure (a clinic measurement). Default false. */
  readonly whiteCoat?: boolean;
  /** How a diabetic patient gets insulin: own injections (default) or a pump (only deliverInsulin acts). */
  readonly insulinRoute?: InsulinRoute;
  /** Eat the profile's daily meal plan (default true for diabetic profiles). */
  readonly scheduledMeals?: boolean;
}

/** A snapshot of the vital signs at the patient's current time (unrounded: devices round as they display). */
export interface Vitals {
  /** The instant described, ms since the Unix epoch. */
  readonly timeMs: number;
  /** Heart rate from the last 4 RR intervals, beats/min. */
  readonly heartRateBpm: number;
  /** RR intervals of the beats of the last RR_REPORT_WINDOW_MS, oldest first, ms (BLE carries them in 1/1024 s). */
  readonly rrIntervalsMs: readonly number[];
  /** SpO2, %. */
  readonly spo2Percent: number;
  /** Pulse rate from the last 8 RR intervals, beats/min. */
  readonly pulseRateBpm: number;
  /** Perfusion index, %. */
  readonly perfusionIndex: number;
  readonly systolicMmHg: number;
  readonly diastolicMmHg: number;
  readonly meanMmHg: number;
  /** Core temperature, °C. */
  readonly temperatureC: number;
  /** Plasma glucose, mg/dL. */
  readonly glucoseMgDl: number;
  /** Breaths/min. */
  readonly respirationRate: number;
  /** Rapid-acting insulin still to act, U. */
  readonly insulinOnBoardUnits: number;
  /** Fraction (0..1) of the beats of the last minute that were paced. */
  readonly pacedFraction: number;
}

/** The simulated patient. */
export class Patient {
  /** The patient's profile. */
  readonly profile: PatientProfile;
  /** Start of the simulation, ms since the Unix epoch. */
  readonly startMs: number;
  readonly #anomalies = new AnomalySchedule();
  readonly #heart: HeartRateModel;
  readonly #spo2: SpO2Model;
  readonly #bloodPressure: BloodPressureModel;
  readonly #temperature: TemperatureModel;
  readonly #respiration: RespirationModel;
  readonly #glucose: GlucoseModel;
  readonly #ecg: EcgWaveform;
  #nowMs: number;

  /** Builds the patient at `startMs`; ERR_PHYSIOLOGY_INVALID_ARGUMENT for an unknown or out-of-range profile, seed or option. */
  constructor(options: PatientOptions) {
    const profile = validatePatientProfile(typeof options.profile === 'string' ? patientProfile(options.profile) : options.profile);
    if (typeof options.startMs !== 'number' || !Number.isFinite(options.startMs)) {
      throw new PhysiologyInvalidArgumentError('startMs must be a finite time in ms', { details: { field: 'startMs' } });
    }
    const utcOffsetMinutes = options.utcOffsetMinutes ?? 0;
    if (!Number.isInteger(utcOffsetMinutes) || utcOffsetMinutes < -840 || utcOffsetMinutes > 840) {
      throw new PhysiologyInvalidArgumentError('utcOffsetMinutes must be an integer in [-840, 840]', { details: { field: 'utcOffsetMinutes' } });
    }
    if (options.insulinRoute !== undefined && options.insulinRoute !== 'injections' && options.insulinRoute !== 'pump') {
      throw new PhysiologyInvalidArgumentError('insulinRoute must be "injections" or "pump"', { details: { field: 'insulinRoute' } });
    }
    this.profile = profile;
    this.startMs = options.startMs;
    this.#nowMs = options.startMs;
    const random = new SeededRandom(options.seed);
    // One substream per model, keyed by name: a model's numbers never depend on another's draws.
    const context = (label: string): PhysiologyModelContext => ({
      profile,
      random: random.fork(label),
      startMs: options.startMs,
      anomalies: this.#anomalies,
      utcOffsetMinutes,
    });
    this.#heart = new HeartRateModel(context('heart'));
    this.#spo2 = new SpO2Model(context('spo2'));
    this.#bloodPressure = new BloodPressureModel(context('blood-pressure'), { whiteCoat: options.whiteCoat ?? false });
    this.#temperature = new TemperatureModel(context('temperature'));
    this.#respiration = new RespirationModel(context('respiration'));
    const glucoseOptions = {
      ...(options.insulinRoute === undefined ? {} : { insulinRoute: options.insulinRoute }),
      ...(options.scheduledMeals === undefined ? {} : { scheduledMeals: options.scheduledMeals }),
    };
    this.#glucose = new GlucoseModel(context('glucose'), glucoseOptions);
    this.#ecg = new EcgWaveform(this.#heart, {
      noiseKey: random.fork('ecg').nextUint32(),
      respirationRate: profile.baselines.respirationRate,
      originMs: options.startMs,
    });
  }

  /** The patient's current time, ms since the Unix epoch. */
  get nowMs(): number {
    return this.#nowMs;
  }

  /**
   * Moves the patient to `timeMs`. Earlier (or equal) times are ignored; a move of more than
   * MAX_ADVANCE_MS throws ERR_PHYSIOLOGY_TIME_JUMP and changes nothing.
   */
  advanceTo(timeMs: number): void {
    if (typeof timeMs !== 'number' || !Number.isFinite(timeMs)) throw new PhysiologyInvalidArgumentError('advanceTo needs a finite time in ms', { details: { field: 'timeMs' } });
    if (timeMs <= this.#nowMs) return;
    if (timeMs - this.#nowMs > MAX_ADVANCE_MS) {
      throw new PhysiologyTimeJumpError(`advanceTo may move at most ${MAX_ADVANCE_MS} ms at once`, { details: { limit: MAX_ADVANCE_MS, requested: timeMs - this.#nowMs } });
    }
    this.#nowMs = timeMs;
    this.#heart.advanceTo(timeMs);
    this.#spo2.advanceTo(timeMs);
    this.#bloodPressure.advanceTo(timeMs);
    this.#temperature.advanceTo(timeMs);
    this.#respiration.advanceTo(timeMs);
    this.#glucose.advanceTo(timeMs);
    this.#anomalies.prune(timeMs);
  }

  /** The vital signs at the current time (the stepped models report their last step at or before it). */
  vitals(): Vitals {
    const now = this.#nowMs;
    return {
      timeMs: now,
      heartRateBpm: this.#heart.heartRateBpm(),
      rrIntervalsMs: this.#heart.beatsBetween(now - RR_REPORT_WINDOW_MS, now).map((b) => b.rrMs),
      spo2Percent: this.#spo2.spo2Percent,
      pulseRateBpm: this.#heart.heartRateBpm(PULSE_RATE_AVERAGE_BEATS),
      perfusionIndex: this.#spo2.perfusionIndexPercent,
      systolicMmHg: this.#bloodPressure.systolicMmHg,
      diastolicMmHg: this.#bloodPressure.diastolicMmHg,
      meanMmHg: this.#bloodPressure.meanMmHg,
      temperatureC: this.#temperature.temperatureC,
      glucoseMgDl: this.#glucose.glucoseMgDl,
      respirationRate: this.#respiration.respirationRate,
      insulinOnBoardUnits: this.#glucose.insulinOnBoardUnits,
      pacedFraction: this.#heart.pacedFraction(PACED_FRACTION_WINDOW_MS),
    };
  }

  /**
   * `count` ECG samples (lead II, int16, 1 µV per count) from `fromMs` at `sampleRateHz` (one of
   * ECG_SAMPLE_RATES_HZ). Asking past the current time advances the patient to the last sample.
   * ERR_PHYSIOLOGY_OUT_OF_HISTORY before HEART_PRE_START_MS ahead of the start or more than
   * HEART_BEAT_HISTORY_MS behind the current time.
   */
  ecg(fromMs: number, count: number, sampleRateHz: number = ECG_DEFAULT_SAMPLE_RATE_HZ): Int16Array {
    validateEcgRequest(fromMs, count, sampleRateHz);
    const lastMs = fromMs + (Math.max(count, 1) - 1) * (1_000 / sampleRateHz);
    // The history as it will be once the patient has reached the last sample.
    const historyStartMs = Math.max(this.startMs - HEART_PRE_START_MS, Math.max(this.#nowMs, lastMs) - HEART_BEAT_HISTORY_MS);
    if (fromMs < historyStartMs) {
      throw new PhysiologyOutOfHistoryError('ECG samples asked for before the retained beat history', { details: { historyStartMs } });
    }
    if (count === 0) return new Int16Array(0);
    this.advanceTo(lastMs);
    return this.#ecg.samples(fromMs, count, sampleRateHz);
  }

  /** Beats whose R peak lies in (fromMs, toMs], up to the current time (the pacemaker's event counters read them). */
  beatsBetween(fromMs: number, toMs: number): CardiacBeat[] {
    return this.#heart.beatsBetween(fromMs, toMs);
  }

  /** RR intervals (ms) of the beats in (fromMs, toMs], up to the current time. */
  rrIntervalsBetween(fromMs: number, toMs: number): number[] {
    return this.#heart.beatsBetween(fromMs, toMs).map((b) => b.rrMs);
  }

  /** Lays an anomaly over the physiology (see Anomaly); it acts from the current time on. */
  injectAnomaly(anomaly: Anomaly): ScheduledAnomaly {
    return this.#anomalies.add(anomaly, this.#nowMs);
  }

  /** Ends every anomaly: those not started are dropped, active ones ramp out from now. */
  clearAnomalies(): void {
    this.#anomalies.release(this.#nowMs);
  }

  /** Anomalies still scheduled or ramping out. */
  anomalies(): readonly ScheduledAnomaly[] {
    return this.#anomalies.list();
  }

  /** Carbohydrate eaten at `atMs` (default now; earlier counts from now). See GlucoseModel.eatMeal for limits. */
  eatMeal(grams: number, atMs: number = this.#nowMs, absorptionMinutes?: number): Meal {
    const at = Math.max(atMs, this.#nowMs);
    return absorptionMinutes === undefined ? this.#glucose.eatMeal(grams, at) : this.#glucose.eatMeal(grams, at, absorptionMinutes);
  }

  /** Rapid-acting insulin given at `atMs` (default now; earlier counts from now): boluses and basal pulses. */
  deliverInsulin(units: number, atMs: number = this.#nowMs): InsulinDose {
    return this.#glucose.deliverInsulin(units, Math.max(atMs, this.#nowMs));
  }

  /** How a diabetic patient gets insulin. */
  get insulinRoute(): InsulinRoute {
    return this.#glucose.insulinRoute;
  }

  /** Switches a diabetic patient between own injections and a pump (e.g. when a pump is attached). */
  setInsulinRoute(route: InsulinRoute): void {
    this.#glucose.setInsulinRoute(route);
  }

  /** Meals eaten or planned (for days already reached) starting in (fromMs, toMs]. */
  mealsBetween(fromMs: number, toMs: number): Meal[] {
    return this.#glucose.mealsBetween(fromMs, toMs);
  }

  /** Current pacing settings (off until a pacemaker sets them). */
  get pacing(): PacingSettings {
    return this.#heart.pacing;
  }

  /** Sets pacing: demand pacing keeps every RR interval within 60000 / lowerRateBpm from the next beat not yet generated. */
  setPacing(settings: PacingSettings): void {
    this.#heart.setPacing(settings);
  }

  /** Fraction (0..1) of the beats in the `windowMs` before now that were paced. */
  pacedFraction(windowMs: number = PACED_FRACTION_WINDOW_MS): number {
    return this.#heart.pacedFraction(windowMs);
  }
}
