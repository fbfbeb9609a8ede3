/**
 * A device's real-time clock: a base clock (Date.now, or the fleet's simulated clock) seen
 * through a crystal that runs fast or slow by a fixed drift, plus an offset. A 32.768 kHz watch
 * crystal is typically ±20 ppm at 25 °C and worse over temperature; ±50 ppm (4.3 s a day) is a
 * cheap part, so that is the default range. The drift is derived from a seed (e.g. the device
 * id), so a fleet is reproducible and its devices disagree the way real ones do.
 *
 * Resync (`setFromNetwork`, with time the device trusts, e.g. the gateway's SessionAccept):
 * - a device that is behind steps forward at once;
 * - a device that is ahead by at most `maxSlewMs` (1 s default) slews: its clock runs slower
 *   (by `slewRate`, 10 % default) until the error is absorbed, so device time never goes
 *   backwards for small corrections (timestamps of readings and audit entries stay ordered);
 * - a device that is ahead by more steps back at once: a clock far in the future is worse than
 *   one backwards step, which the result reports so the runtime can audit it.
 * This follows ntpd's split between slewing small offsets and stepping large ones (RFC 5905
 * §10 and ntpd's 128 ms step threshold), adapted so that forward steps are always allowed.
 */
import { createHash } from 'node:crypto';

/** ±50 ppm: a cheap 32.768 kHz crystal over its temperature range. */
export const DEFAULT_MAX_DRIFT_PPM = 50;

/** Backward corrections up to 1 s are slewed, larger ones stepped. */
export const DEFAULT_MAX_SLEW_MS = 1000;

/** While slewing, the clock runs 10 % slow: 1 s is absorbed in 10 s. */
export const DEFAULT_SLEW_RATE = 0.1;

/** Options of DeviceClock. */
export interface DeviceClockOptions {
  /** The base clock in ms since the epoch (default Date.now). */
  readonly base?: () => number;
  /** Drift in ppm (positive: the device clock runs fast). Overrides `seed`. */
  readonly driftPpm?: number;
  /** Seed of the drift (e.g. the device id): uniform in ±maxDriftPpm. Without both, 0 ppm. */
  readonly seed?: string;
  /** Range of a seeded drift, in ppm (default 50). */
  readonly maxDriftPpm?: number;
  /** Initial offset from the base clock, in ms (a clock set wrong at the factory). */
  readonly offsetMs?: number;
  /** Largest backward correction slewed instead of stepped, in ms (default 1,000). */
  readonly maxSlewMs?: number;
  /** Fraction by which the clock slows while slewing, in (0, 1) (default 0.1). */
  readonly slewRate?: number;
}

/** What a resync did. */
export interface ClockCorrection {
  /** `step`: the clock jumped; `slew`: it is absorbing the error; `none`: it was right. */
  readonly kind: 'step' | 'slew' | 'none';
  /** Trusted time minus device time before the correction, in ms (negative: device was ahead). */
  readonly errorMs: number;
}

/** Maps a seed to a drift uniform in ±maxPpm (SHA-256 of the seed: deterministic, well spread). */
export function seededDriftPpm(seed: string, maxPpm = DEFAULT_MAX_DRIFT_PPM): number {
  const unit = createHash('sha256').update(`medsim/v1 clock drift|${seed}`, 'utf8').digest().readUInt32BE(0) / 0xffffffff;
  return (unit * 2 - 1) * maxPpm;
}

/** A drifting, skewable device clock. */
export class DeviceClock {
  /** Drift in ppm (positive: fast). */
  readonly driftPpm: number;
  readonly #base: () => number;
  readonly #maxSlewMs: number;
  readonly #slewRate: number;
  #baseAnchor: number;
  #deviceAnchor: number;
  // Milliseconds the clock still has to lose (slewing a backward correction).
  #slewPending = 0;

  constructor(options: DeviceClockOptions = {}) {
    this.#base = options.base ?? Date.now;
    const maxDrift = options.maxDriftPpm ?? DEFAULT_MAX_DRIFT_PPM;
    this.driftPpm = options.driftPpm ?? (options.seed === undefined ? 0 : seededDriftPpm(options.seed, maxDrift));
    this.#maxSlewMs = options.maxSlewMs ?? DEFAULT_MAX_SLEW_MS;
    this.#slewRate = options.slewRate ?? DEFAULT_SLEW_RATE;
    if (!Number.isFinite(this.driftPpm) || Math.abs(this.driftPpm) >= 1e6) throw new RangeError('driftPpm must be finite and within ±1,000,000');
    if (!(this.#slewRate > 0 && this.#slewRate < 1)) throw new RangeError('slewRate must be in (0, 1)');
    if (!(this.#maxSlewMs >= 0)) throw new RangeError('maxSlewMs must be non-negative');
    this.#baseAnchor = this.#base();
    this.#deviceAnchor = this.#baseAnchor + (options.offsetMs ?? 0);
  }

  /** Device time in whole ms since the epoch (the RTC's resolution; wire timestamps are integers). */
  now(): number {
    const elapsed = (this.#base() - this.#baseAnchor) * (1 + this.driftPpm / 1e6);
    const lost = Math.min(this.#slewPending, Math.max(0, elapsed) * this.#slewRate);
    // Whole milliseconds, as a device RTC reports them (timestamps on the wire are integers).
    return Math.floor(this.#deviceAnchor + elapsed - lost);
  }

  /** Device time minus base time, in ms. */
  get offsetMs(): number {
    return this.now() - this.#base();
  }

  /** True while a backward correction is still being absorbed. */
  get slewing(): boolean {
    this.#reanchor();
    return this.#slewPending > 0;
  }

  /** Moves the device clock by `ms` (positive: forward), as a test harness or attacker would. */
  skew(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError('skew must be finite');
    this.#reanchor();
    this.#deviceAnchor += ms;
  }

  /** Resynchronises to trusted time (see the policy above). */
  setFromNetwork(trustedNowMs: number): ClockCorrection {
    if (!Number.isFinite(trustedNowMs)) throw new RangeError('trusted time must be finite');
    this.#reanchor();
    // A slew still pending is replaced: the new error is measured from what the clock reads now.
    const errorMs = trustedNowMs - this.#deviceAnchor;
    this.#slewPending = 0;
    if (errorMs === 0) return { kind: 'none', errorMs };
    if (errorMs > 0 || -errorMs > this.#maxSlewMs) {
      this.#deviceAnchor = trustedNowMs;
      return { kind: 'step', errorMs };
    }
    this.#slewPending = -errorMs;
    return { kind: 'slew', errorMs };
  }

  // Folds the time elapsed since the anchor into it, so drift and slew restart from now.
  #reanchor(): void {
    const baseNow = this.#base();
    const elapsed = (baseNow - this.#baseAnchor) * (1 + this.driftPpm / 1e6);
    const lost = Math.min(this.#slewPending, Math.max(0, elapsed) * this.#slewRate);
    this.#deviceAnchor += elapsed - lost;
    this.#slewPending -= lost;
    this.#baseAnchor = baseNow;
  }
}
