/**
 * Pulse oximetry: arterial saturation approaching a target with a 10-second lag (circulation from
 * lung to finger), the target lowered by spontaneous desaturation episodes (a Poisson process at the
 * profile's rate per hour, each 20 to 120 s deep by ~0.6-1.4 × the profile's depth, a half-sine
 * dip) and by hypoxia; sensor noise (sd 0.4 %, 4-second correlation) on top. The perfusion index
 * follows a slow log-normal wander around the profile's value and falls with vasoconstriction
 * (hypoxia, hypoglycaemia). The pulse rate is the heart's (Patient takes it from the heart model).
 * Steps of STEP_MS.
 *
 * Not modelled: the oxyhaemoglobin dissociation curve, carboxyhaemoglobin, motion artefacts, low-
 * perfusion dropouts, probe site delay differences, accuracy limits of real oximeters (ISO 80601-2-61
 * allows ±4 % Arms; the device model adds its own error).
 */
import { FixedStepModel, Ar1Process, STEP_MS, relax } from './internal/fixed-step.js';
import { HOUR_MS, bySeverity, clamp } from './internal/rhythms.js';
import type { PhysiologyModelContext } from './model-context.js';

/** Limits of a reported SpO2, %. */
export const SPO2_RANGE_PERCENT = { min: 50, max: 100 } as const;
/** Limits of a reported perfusion index, % (the range pulse oximeters display). */
export const PERFUSION_INDEX_RANGE_PERCENT = { min: 0.02, max: 20 } as const;

const TAU_MS = 10_000;
const NOISE_SD = 0.4;
const NOISE_TAU_MS = 4_000;
const PI_LOG_SD = 0.15;
const PI_TAU_MS = 60_000;
const EPISODE_MIN_MS = 20_000;
const EPISODE_SPREAD_MS = 100_000;

interface DesaturationEpisode {
  readonly startMs: number;
  readonly durationMs: number;
  readonly depthPercent: number;
}

/** SpO2 and perfusion index of one patient. */
export class SpO2Model extends FixedStepModel {
  readonly #ctx: PhysiologyModelContext;
  readonly #noise: Ar1Process;
  readonly #piLog: Ar1Process;
  #saturation: number;
  #vasoconstriction = 1;
  #episode: DesaturationEpisode | undefined;

  constructor(context: PhysiologyModelContext) {
    super(context.startMs);
    this.#ctx = context;
    this.#saturation = context.profile.baselines.spo2Percent;
    this.#noise = new Ar1Process(context.random, NOISE_SD, NOISE_TAU_MS, STEP_MS);
    this.#piLog = new Ar1Process(context.random, PI_LOG_SD, PI_TAU_MS, STEP_MS);
  }

  /** SpO2 at the model's state time, %. */
  get spo2Percent(): number {
    return clamp(this.#saturation + this.#noise.value, SPO2_RANGE_PERCENT.min, SPO2_RANGE_PERCENT.max);
  }

  /** Perfusion index at the model's state time, %. */
  get perfusionIndexPercent(): number {
    const pi = this.#ctx.profile.baselines.perfusionIndexPercent * Math.exp(this.#piLog.value) * this.#vasoconstriction;
    return clamp(pi, PERFUSION_INDEX_RANGE_PERCENT.min, PERFUSION_INDEX_RANGE_PERCENT.max);
  }

  /** True while a spontaneous desaturation episode is under way. */
  get desaturating(): boolean {
    return this.#episode !== undefined;
  }

  protected override step(timeMs: number, dtMs: number): void {
    const { random, profile, anomalies } = this.#ctx;
    // Always three uniform draws per step: the stream's position depends only on the step count.
    const uStart = random.next();
    const uDepth = random.next();
    const uDuration = random.next();
    const baselines = profile.baselines;
    if (this.#episode !== undefined && timeMs >= this.#episode.startMs + this.#episode.durationMs) this.#episode = undefined;
    if (this.#episode === undefined && uStart < (baselines.desaturationsPerHour * dtMs) / HOUR_MS) {
      this.#episode = {
        startMs: timeMs,
        durationMs: EPISODE_MIN_MS + EPISODE_SPREAD_MS * uDuration,
        depthPercent: baselines.desaturationDepthPercent * (0.6 + 0.8 * uDepth),
      };
    }
    const episode = this.#episode;
    const dip = episode === undefined ? 0 : episode.depthPercent * Math.sin((Math.PI * (timeMs - episode.startMs)) / episode.durationMs);
    const hypoxia = anomalies.effect('hypoxia', timeMs, (s) => bySeverity(s, 10, 25));
    this.#saturation = relax(this.#saturation, baselines.spo2Percent - dip - hypoxia, dtMs, TAU_MS);
    this.#vasoconstriction =
      (1 - 0.35 * anomalies.influence('hypoxia', timeMs).envelope) * (1 - 0.35 * anomalies.influence('hypoglycaemia', timeMs).envelope);
    this.#noise.step();
    this.#piLog.step();
  }
}
