/**
 * Core body temperature: a set point following the circadian rhythm (about ±0.35 °C, lowest in the
 * early morning, highest in the late afternoon; Refinetti & Menaker, Physiol Behav 1992) plus fever,
 * which the body approaches with a first-order lag of 20 minutes (thermal inertia), plus a small
 * slow noise. Steps of TEMPERATURE_STEP_MS.
 *
 * Not modelled: ambient temperature, exercise, the menstrual cycle, antipyretics, chills overshoot,
 * hypothermia, the site difference of peripheral thermometers (the device applies its own).
 */
import { FixedStepModel, Ar1Process, relax } from './internal/fixed-step.js';
import { MINUTE_MS, bySeverity, circadianCosine } from './internal/rhythms.js';
import type { PhysiologyModelContext } from './model-context.js';

/** Step of the temperature model, ms (core temperature moves over tens of minutes). */
export const TEMPERATURE_STEP_MS = 10_000;

// Circadian swing of core temperature, °C, and the local hour of its peak.
const CIRCADIAN_AMPLITUDE_C = 0.35;
const CIRCADIAN_PEAK_HOUR = 17;
// Time constant of the approach to the set point.
const TAU_MS = 20 * MINUTE_MS;
// Slow physiological noise: sd 0.03 °C, 5-minute correlation.
const NOISE_SD_C = 0.03;
const NOISE_TAU_MS = 5 * MINUTE_MS;

/**
 * Rise of the temperature set point in a fever of `severity` (0..1), °C: 1.2 to 3.5 °C, so a
 * resting 36.8 °C patient reaches 38.0 to 40.3 °C (fever is >= 38.0 °C).
 */
export function feverRiseC(severity: number): number {
  return bySeverity(severity, 1.2, 3.5);
}

/** Core temperature of one patient. */
export class TemperatureModel extends FixedStepModel {
  readonly #ctx: PhysiologyModelContext;
  readonly #noise: Ar1Process;
  #coreC: number;

  constructor(context: PhysiologyModelContext) {
    super(context.startMs, TEMPERATURE_STEP_MS);
    this.#ctx = context;
    this.#coreC = this.#setPointC(context.startMs);
    this.#noise = new Ar1Process(context.random, NOISE_SD_C, NOISE_TAU_MS, TEMPERATURE_STEP_MS);
  }

  /** Core temperature at the model's state time, °C. */
  get temperatureC(): number {
    return this.#coreC + this.#noise.value;
  }

  protected override step(timeMs: number, dtMs: number): void {
    this.#coreC = relax(this.#coreC, this.#setPointC(timeMs), dtMs, TAU_MS);
    this.#noise.step();
  }

  #setPointC(timeMs: number): number {
    const { profile, utcOffsetMinutes, anomalies } = this.#ctx;
    return (
      profile.baselines.coreTemperatureC +
      CIRCADIAN_AMPLITUDE_C * circadianCosine(timeMs, utcOffsetMinutes, CIRCADIAN_PEAK_HOUR) +
      anomalies.effect('fever', timeMs, feverRiseC)
    );
  }
}
