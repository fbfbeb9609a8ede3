/**
 * Arterial blood pressure: daytime baseline lowered at night by the profile's nocturnal dip (10-20 %
 * in "dippers", < 10 % in "non-dippers"; ESH 2023 guideline on ambulatory monitoring), slow
 * variability (sd 5/2.5 mmHg, 10-minute correlation, diastolic partly following systolic), a
 * respiratory swing (±2.5/±1 mmHg, normal variation < 10 mmHg) and beat/measurement noise (sd 1.5/1
 * mmHg), an optional white-coat offset, and the hypertensive-crisis anomaly (systolic +60 to +100,
 * diastolic +40 to +60 mmHg: beyond 180/120 mmHg). Mean arterial pressure is DBP + (SBP - DBP) / 3.
 * Steps of STEP_MS.
 *
 * Not modelled: the pressure waveform, orthostatic changes, exercise, medication timing, baroreflex
 * coupling to heart rate, cuff measurement errors (the device model adds its own).
 */
import { FixedStepModel, Ar1Process, STEP_MS } from './internal/fixed-step.js';
import { MINUTE_MS, bySeverity, clamp, nightWeight, respiratoryPhase } from './internal/rhythms.js';
import type { PhysiologyModelContext } from './model-context.js';

/** Limits of a simulated pressure, mmHg. */
export const BLOOD_PRESSURE_RANGE_MMHG = { systolicMin: 60, systolicMax: 280, diastolicMin: 30, diastolicMax: 180 } as const;

const SLOW_SYSTOLIC_SD = 5;
const SLOW_DIASTOLIC_SD = 2.5;
const SLOW_TAU_MS = 10 * MINUTE_MS;
const RESPIRATORY_SYSTOLIC = 2.5;
const RESPIRATORY_DIASTOLIC = 1;
const BEAT_SYSTOLIC_SD = 1.5;
const BEAT_DIASTOLIC_SD = 1;

/** Options of the blood pressure model. */
export interface BloodPressureOptions {
  /** Adds the profile's white-coat offset (a measurement in a clinic). */
  readonly whiteCoat?: boolean;
}

/** Blood pressure of one patient. */
export class BloodPressureModel extends FixedStepModel {
  readonly #ctx: PhysiologyModelContext;
  readonly #whiteCoat: boolean;
  readonly #slowSystolic: Ar1Process;
  readonly #slowDiastolic: Ar1Process;
  #systolic = 0;
  #diastolic = 0;

  constructor(context: PhysiologyModelContext, options: BloodPressureOptions = {}) {
    super(context.startMs);
    this.#ctx = context;
    this.#whiteCoat = options.whiteCoat ?? false;
    this.#slowSystolic = new Ar1Process(context.random, SLOW_SYSTOLIC_SD, SLOW_TAU_MS, STEP_MS);
    this.#slowDiastolic = new Ar1Process(context.random, SLOW_DIASTOLIC_SD, SLOW_TAU_MS, STEP_MS);
    this.#compute(context.startMs);
  }

  /** Systolic pressure at the model's state time, mmHg. */
  get systolicMmHg(): number {
    return this.#systolic;
  }

  /** Diastolic pressure at the model's state time, mmHg. */
  get diastolicMmHg(): number {
    return this.#diastolic;
  }

  /** Mean arterial pressure, mmHg (one third of the pulse pressure above diastolic). */
  get meanMmHg(): number {
    return this.#diastolic + (this.#systolic - this.#diastolic) / 3;
  }

  protected override step(timeMs: number): void {
    this.#slowSystolic.step();
    this.#slowDiastolic.step();
    this.#compute(timeMs);
  }

  #compute(timeMs: number): void {
    const { random, profile, anomalies, utcOffsetMinutes, startMs } = this.#ctx;
    // Always two normal draws per computation: the stream's position depends only on the step count.
    const beatSystolic = random.normal(0, BEAT_SYSTOLIC_SD);
    const beatDiastolic = random.normal(0, BEAT_DIASTOLIC_SD);
    const b = profile.baselines;
    const dip = 1 - b.nocturnalDipFraction * nightWeight(timeMs, utcOffsetMinutes);
    const whiteCoat = this.#whiteCoat ? b.whiteCoatSystolicMmHg : 0;
    const breath = Math.sin(respiratoryPhase(timeMs, startMs, b.respirationRate));
    const slow = this.#slowSystolic.value;
    let systolic = b.systolicMmHg * dip + whiteCoat + slow + RESPIRATORY_SYSTOLIC * breath + beatSystolic;
    let diastolic = b.diastolicMmHg * dip + whiteCoat / 2 + 0.5 * slow + this.#slowDiastolic.value + RESPIRATORY_DIASTOLIC * breath + beatDiastolic;
    systolic += anomalies.effect('hypertensive-crisis', timeMs, (s) => bySeverity(s, 60, 100));
    diastolic += anomalies.effect('hypertensive-crisis', timeMs, (s) => bySeverity(s, 40, 60));
    const r = BLOOD_PRESSURE_RANGE_MMHG;
    this.#systolic = clamp(systolic, r.systolicMin, r.systolicMax);
    this.#diastolic = clamp(diastolic, r.diastolicMin, Math.min(r.diastolicMax, this.#systolic - 10));
  }
}
