/**
 * Respiration rate: baseline with a small circadian swing, raised by hypoxaemia (chemoreflex) and
 * fever (about 2 breaths/min per °C), approached with a one-minute lag, plus slow noise. Steps of
 * STEP_MS. The heart model's respiratory sinus arrhythmia and the ECG's baseline wander breathe at
 * the baseline rate (a simplification: they do not follow this model's changes).
 *
 * Not modelled: tidal volume, apnoeas, Cheyne-Stokes or Kussmaul patterns, speech, sleep stages.
 */
import { FixedStepModel, Ar1Process, STEP_MS, relax } from './internal/fixed-step.js';
import { bySeverity, circadianCosine, clamp } from './internal/rhythms.js';
import type { PhysiologyModelContext } from './model-context.js';
import { feverRiseC } from './temperature.js';

const CIRCADIAN_AMPLITUDE = 0.05;
const CIRCADIAN_PEAK_HOUR = 15;
const TAU_MS = 60_000;
// Breath-to-breath variability of the counted rate: sd 0.7 /min, 90-second correlation.
const NOISE_SD = 0.7;
const NOISE_TAU_MS = 90_000;
const BREATHS_PER_MIN_PER_C = 2;

/** Plausible limits of a counted respiration rate, breaths/min. */
export const RESPIRATION_RATE_RANGE = { min: 4, max: 60 } as const;

/** Respiration rate of one patient. */
export class RespirationModel extends FixedStepModel {
  readonly #ctx: PhysiologyModelContext;
  readonly #noise: Ar1Process;
  #rate: number;

  constructor(context: PhysiologyModelContext) {
    super(context.startMs);
    this.#ctx = context;
    this.#rate = this.#target(context.startMs);
    this.#noise = new Ar1Process(context.random, NOISE_SD, NOISE_TAU_MS, STEP_MS);
  }

  /** Breaths/min at the model's state time. */
  get respirationRate(): number {
    return clamp(this.#rate + this.#noise.value, RESPIRATION_RATE_RANGE.min, RESPIRATION_RATE_RANGE.max);
  }

  protected override step(timeMs: number, dtMs: number): void {
    this.#rate = relax(this.#rate, this.#target(timeMs), dtMs, TAU_MS);
    this.#noise.step();
  }

  #target(timeMs: number): number {
    const { profile, utcOffsetMinutes, anomalies } = this.#ctx;
    return (
      profile.baselines.respirationRate * (1 + CIRCADIAN_AMPLITUDE * circadianCosine(timeMs, utcOffsetMinutes, CIRCADIAN_PEAK_HOUR)) +
      anomalies.effect('hypoxia', timeMs, (s) => bySeverity(s, 4, 12)) +
      anomalies.effect('fever', timeMs, (s) => BREATHS_PER_MIN_PER_C * feverRiseC(s))
    );
  }
}
