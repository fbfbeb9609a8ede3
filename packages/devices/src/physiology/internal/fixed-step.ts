/**
 * The fixed-step clock of the vital-sign models. A model's state moves only in whole steps counted
 * from the patient's start, so the value at an instant is the same whether the model was advanced
 * every 100 ms, every minute or once: sampling never changes the trajectory.
 */
import type { SeededRandom } from '../seeded-random.js';

/** Step of the cardio-respiratory models (SpO2, blood pressure, temperature, respiration), ms. */
export const STEP_MS = 1_000;

/** A deterministic state machine advanced in fixed steps aligned to `startMs`. */
export abstract class FixedStepModel {
  readonly #startMs: number;
  readonly #stepMs: number;
  #steps = 0;

  protected constructor(startMs: number, stepMs: number = STEP_MS) {
    this.#startMs = startMs;
    this.#stepMs = stepMs;
  }

  /** The instant the model's state describes: the last step boundary at or before the time it was advanced to. */
  get stateTimeMs(): number {
    return this.#startMs + this.#steps * this.#stepMs;
  }

  /** Runs every step whose boundary is at or before `timeMs`; earlier times change nothing. */
  advanceTo(timeMs: number): void {
    const target = Math.floor((timeMs - this.#startMs) / this.#stepMs);
    while (this.#steps < target) {
      this.#steps += 1;
      // Multiplication, not accumulation: boundaries stay exact integers of ms.
      this.step(this.#startMs + this.#steps * this.#stepMs, this.#stepMs);
    }
  }

  /** Moves the state from `timeMs - dtMs` to `timeMs`. */
  protected abstract step(timeMs: number, dtMs: number): void;
}

/**
 * A first-order autoregressive (Ornstein–Uhlenbeck, sampled) process with zero mean: standard
 * deviation `sd` and correlation time `tauMs`, one draw per step. Starts from its stationary law.
 */
export class Ar1Process {
  #value: number;
  readonly #rho: number;
  readonly #innovationSd: number;
  readonly #random: SeededRandom;

  constructor(random: SeededRandom, sd: number, tauMs: number, stepMs: number) {
    this.#random = random;
    this.#rho = Math.exp(-stepMs / tauMs);
    this.#innovationSd = sd * Math.sqrt(1 - this.#rho * this.#rho);
    this.#value = random.normal(0, sd);
  }

  /** The current value. */
  get value(): number {
    return this.#value;
  }

  /** Advances one step and returns the new value. */
  step(): number {
    this.#value = this.#rho * this.#value + this.#random.normal(0, this.#innovationSd);
    return this.#value;
  }
}

/** `current` moved towards `target` over `dtMs` with time constant `tauMs` (exact first-order lag). */
export function relax(current: number, target: number, dtMs: number, tauMs: number): number {
  return target + (current - target) * Math.exp(-dtMs / tauMs);
}
