/**
 * Programmed bradycardia parameters and telemetry of the simulated pacemaker, with interlocks on
 * remote programming that are stricter than the protocol's ranges, and the backup ("power-on
 * reset") program as safe mode after an integrity failure.
 *
 * Remote programming may only move the device within a conservative envelope; anything outside it
 * (very low or high rates, non-pacing modes for a dependent patient, thresholds-based output
 * changes) belongs in clinic, with the patient monitored and a programmer at hand.
 *
 * A simulation for a reference design: not for clinical use.
 */
import { PacingMode, type PacingParameters, type TherapyCommand } from '@medsim/protocol';
import {
  ControlStateCorruptError,
  InvalidTherapyConfigError,
  PacingAmplitudeError,
  PacingLowerRateError,
  PacingModeUnsafeError,
  PacingPulseWidthError,
  PacingRateSeparationError,
  PacingRateStepError,
  PacingUpperRateError,
  TherapySafeModeError,
  UnsupportedTherapyActionError,
} from '../errors.js';
import type { ControlledTherapy, LocalClearance } from './command-processor.js';
import type { PersistentState } from './persistent-state.js';
import { THERAPY_EXECUTED, refusalOutcome, type TherapyOutcome } from './therapy-command-verifier.js';

/** A bradycardia program (therapy.proto PacingParameters as the device keeps it). */
export interface PacingProgram {
  readonly mode: PacingMode;
  /** Lower rate limit, pulses per minute. */
  readonly lowerRatePpm: number;
  /** Upper tracking or sensor rate, pulses per minute. */
  readonly upperRatePpm: number;
  /** Pulse amplitude, mV. */
  readonly amplitudeMillivolts: number;
  /** Pulse width, µs. */
  readonly pulseWidthMicroseconds: number;
}

/** An inclusive range. */
export interface PacingRange {
  readonly min: number;
  readonly max: number;
}

/** The pacemaker's limits on remote programming. */
export interface PacemakerLimits {
  readonly lowerRatePpm: PacingRange;
  readonly upperRatePpm: PacingRange;
  /** Upper rate at least this far above the lower rate, ppm. */
  readonly minRateSeparationPpm: number;
  /** Largest change of the lower rate in one command, ppm. */
  readonly maxLowerRateStepPpm: number;
  readonly amplitudeMillivolts: PacingRange;
  readonly pulseWidthMicroseconds: PacingRange;
}

/**
 * Defaults, narrower than the protocol (30-175 / 50-185 ppm, 0.1-7.5 V, 30-1500 µs):
 * - lower rate 40-120 ppm: below 40 ppm cerebral perfusion suffers; above 120 ppm a permanent
 *   lower rate is not a remote decision.
 * - upper rate 80-180 ppm, at least 10 ppm above the lower rate: tracking needs a window, and
 *   180 ppm is about the highest upper tracking rate devices offer for young, active patients.
 * - lower rate steps of at most 30 ppm per command, so that a single forged-but-signed or
 *   mistaken command cannot swing the heart rate (for example 40 to 120 ppm) at once.
 * - amplitude 0.5-7.5 V and pulse width 0.1-1.5 ms: below 0.5 V or 0.1 ms loss of capture is
 *   likely without a threshold test (a 2x voltage safety margin over threshold is recommended:
 *   Boston Scientific pulse generator manuals, "Amplitude").
 */
export const PACEMAKER_DEFAULT_LIMITS: PacemakerLimits = Object.freeze({
  lowerRatePpm: { min: 40, max: 120 },
  upperRatePpm: { min: 80, max: 180 },
  minRateSeparationPpm: 10,
  maxLowerRateStepPpm: 30,
  amplitudeMillivolts: { min: 500, max: 7_500 },
  pulseWidthMicroseconds: { min: 100, max: 1_500 },
});

/** Typical nominal program of a dual-chamber pacemaker as shipped: DDD 60/130 ppm, 3.5 V, 0.4 ms. */
export const PACEMAKER_NOMINAL_PROGRAM: PacingProgram = Object.freeze({
  mode: PacingMode.PACING_MODE_DDD,
  lowerRatePpm: 60,
  upperRatePpm: 130,
  amplitudeMillivolts: 3_500,
  pulseWidthMicroseconds: 400,
});

/**
 * The backup program of safe mode: VVI at 65 ppm with a high output of 5.0 V / 1.0 ms. Real
 * pacemakers fall back to such a fixed, simple, high-output program ("power-on reset", "electrical
 * reset", "safe program") after a memory or integrity fault, e.g. after strong electromagnetic
 * interference, and keep it until reprogrammed in clinic (Yazaki et al., Indian Pacing Electrophysiol
 * J 2018;18(4):150, "resetting the pacemaker mode to VVI or DDI"; Medtronic implant manuals list
 * "electrical reset parameters"). Ventricular pacing keeps a dependent patient alive whatever the
 * atrial lead does; the high output captures even with a raised threshold. VVI has no tracking
 * rate: the upper rate is kept at 120 ppm only to stay a valid program.
 */
export const PACEMAKER_SAFE_MODE_PROGRAM: PacingProgram = Object.freeze({
  mode: PacingMode.PACING_MODE_VVI,
  lowerRatePpm: 65,
  upperRatePpm: 120,
  amplitudeMillivolts: 5_000,
  pulseWidthMicroseconds: 1_000,
});

/** Why and since when the pacemaker is in safe mode. */
export interface PacemakerSafeMode {
  readonly sinceMs: number;
  readonly reasonCode: string;
  /** The program in force when safe mode was entered, for the clinician. */
  readonly previousProgram: PacingProgram;
}

/** The pacemaker's persisted state. */
export interface PacemakerState {
  readonly version: 1;
  readonly program: PacingProgram;
  readonly safeMode: PacemakerSafeMode | null;
  /** Battery voltage at `clockMs`, V. */
  readonly batteryVolts: number;
  /** Battery has been integrated up to this instant (ms since the epoch). */
  readonly clockMs: number;
}

/** Status of the pacemaker: a pure function of its state. */
export interface PacemakerSnapshot extends PacemakerState {
  /** Elective replacement indicator: the battery reached the ERI voltage. */
  readonly electiveReplacement: boolean;
}

/** One telemetry reading (remote monitoring). */
export interface PacemakerTelemetry {
  readonly atMs: number;
  readonly batteryVolts: number;
  readonly electiveReplacement: boolean;
  /** RV lead impedance, Ω. */
  readonly leadImpedanceOhms: number;
  /** Impedance out of the normal range: < 200 Ω (insulation breach) or > 2000 Ω (conductor fracture). */
  readonly leadImpedanceAlarm: boolean;
  /** Share of beats paced, 0 to 100 %. */
  readonly percentPaced: number;
  readonly program: PacingProgram;
  readonly safeMode: boolean;
}

/** Options of a PacemakerTherapy. */
export interface PacemakerOptions {
  /** Telemetry and battery accounting start at this instant. */
  readonly startMs: number;
  /** The patient needs pacing to keep a heart rate: non-pacing modes are refused remotely (default true). */
  readonly pacingDependent?: boolean;
  readonly limits?: Partial<PacemakerLimits>;
  /** Initial program (default PACEMAKER_NOMINAL_PROGRAM); must be within the limits. */
  readonly program?: PacingProgram;
  /** Battery at start, V (default 3.2 V). */
  readonly batteryVolts?: number;
  /** Elective replacement indicator voltage (default 2.6 V). */
  readonly eriVolts?: number;
  /** Years from 3.2 V to the ERI at the nominal program, 100 % paced (default 8 years). */
  readonly nominalLongevityYears?: number;
  /** Share of paced beats, 0 to 100 %, from the physiology model (default 100 %: worst case for the battery). */
  readonly percentPaced?: () => number;
  /** Seed of the lead impedance noise (simulation randomness is seeded). */
  readonly seed?: number;
  /** Persisted state; when it holds a state, that state wins over the initial options. */
  readonly state?: PersistentState<PacemakerState>;
}

/** Impedance alarm bounds, Ω (typical lead integrity alerts: below 200 or above 2000 Ω). */
export const LEAD_IMPEDANCE_RANGE_OHMS: PacingRange = Object.freeze({ min: 200, max: 2_000 });

const DAY_MS = 86_400_000;

/** mulberry32: a small seeded 32-bit PRNG for simulation noise (not for secrets). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const inRange = (value: number, range: PacingRange): boolean => value >= range.min && value <= range.max;

const isProgram = (p: unknown): p is PacingProgram => {
  const v = p as Partial<Record<keyof PacingProgram, unknown>> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    (['mode', 'lowerRatePpm', 'upperRatePpm', 'amplitudeMillivolts', 'pulseWidthMicroseconds'] as const).every(
      (k) => typeof v[k] === 'number' && Number.isSafeInteger(v[k]) && v[k] >= 0,
    ) &&
    typeof PacingMode[v.mode as number] === 'string'
  );
};

/** Checks the shape of a persisted PacemakerState (for JsonFileState's `parse`); throws ControlStateCorruptError. */
export function parsePacemakerState(value: unknown): PacemakerState {
  const v = value as Partial<Record<keyof PacemakerState, unknown>> | null;
  const safe = v?.safeMode as Partial<PacemakerSafeMode> | null | undefined;
  const ok =
    typeof v === 'object' &&
    v !== null &&
    v.version === 1 &&
    isProgram(v.program) &&
    typeof v.batteryVolts === 'number' &&
    Number.isFinite(v.batteryVolts) &&
    typeof v.clockMs === 'number' &&
    Number.isSafeInteger(v.clockMs) &&
    (safe === null || (typeof safe === 'object' && typeof safe.sinceMs === 'number' && typeof safe.reasonCode === 'string' && isProgram(safe.previousProgram)));
  if (!ok) throw new ControlStateCorruptError('pacemaker state does not have the expected shape');
  return value as PacemakerState;
}

/** The pacemaker's therapy: apply() verified programs, advanceTo() battery, telemetry() readings. */
export class PacemakerTherapy implements ControlledTherapy<PacemakerSnapshot> {
  /** The remote programming limits in force. */
  readonly limits: PacemakerLimits;
  readonly pacingDependent: boolean;
  readonly #eriVolts: number;
  /** Battery drop per day at the nominal program, 100 % paced, V/day. */
  readonly #nominalDropPerDay: number;
  readonly #percentPaced: () => number;
  readonly #random: () => number;
  readonly #store: PersistentState<PacemakerState> | undefined;
  #leadBaselineOhms = 500;
  #state: PacemakerState;

  constructor(options: PacemakerOptions) {
    this.limits = { ...PACEMAKER_DEFAULT_LIMITS, ...options.limits };
    this.pacingDependent = options.pacingDependent ?? true;
    this.#eriVolts = options.eriVolts ?? 2.6;
    const startVolts = options.batteryVolts ?? 3.2;
    const longevityDays = (options.nominalLongevityYears ?? 8) * 365.25;
    if (!(longevityDays > 0) || !(startVolts > 0)) throw new InvalidTherapyConfigError('battery options must be positive');
    this.#nominalDropPerDay = (3.2 - this.#eriVolts) / longevityDays;
    this.#percentPaced = options.percentPaced ?? ((): number => 100);
    this.#random = mulberry32(options.seed ?? 1);
    this.#store = options.state;
    const stored = this.#store?.load();
    if (stored !== undefined) {
      this.#state = parsePacemakerState(stored);
      return;
    }
    const program = { ...(options.program ?? PACEMAKER_NOMINAL_PROGRAM) };
    try {
      this.#checkProgram(program, program);
    } catch (cause) {
      throw new InvalidTherapyConfigError('the initial program is outside the limits', { cause });
    }
    this.#state = { version: 1, program, safeMode: null, batteryVolts: startVolts, clockMs: options.startMs };
    this.#commit(this.#state);
  }

  /** True while remote programming is refused after an integrity failure. */
  get inSafeMode(): boolean {
    return this.#state.safeMode !== null;
  }

  /** Applies a verified command; refused commands leave the program unchanged. */
  apply(command: TherapyCommand, _nowMs: number): TherapyOutcome {
    try {
      if (this.#state.safeMode !== null) throw new TherapySafeModeError('remote programming is refused in safe mode');
      if (command.action !== 'pacingParameters') throw new UnsupportedTherapyActionError('a pacemaker performs only pacing parameters');
      const p = command.pacingParameters as PacingParameters;
      const program: PacingProgram = {
        mode: p.mode,
        lowerRatePpm: p.lowerRatePpm,
        upperRatePpm: p.upperRatePpm,
        amplitudeMillivolts: p.amplitudeMillivolts,
        pulseWidthMicroseconds: p.pulseWidthMicroseconds,
      };
      this.#checkProgram(program, this.#state.program);
      this.#commit({ ...this.#state, program });
      return THERAPY_EXECUTED;
    } catch (error) {
      return refusalOutcome(error);
    }
  }

  /** Every programming interlock; throws the first that fails. */
  #checkProgram(program: PacingProgram, current: PacingProgram): void {
    const limits = this.limits;
    if (program.mode === PacingMode.PACING_MODE_ODO && this.pacingDependent) {
      throw new PacingModeUnsafeError('ODO does not pace; the patient is pacing-dependent');
    }
    if (!inRange(program.lowerRatePpm, limits.lowerRatePpm)) throw new PacingLowerRateError('lower rate outside the remote range', { details: { ...limits.lowerRatePpm } });
    if (!inRange(program.upperRatePpm, limits.upperRatePpm)) throw new PacingUpperRateError('upper rate outside the remote range', { details: { ...limits.upperRatePpm } });
    if (program.upperRatePpm < program.lowerRatePpm + limits.minRateSeparationPpm) {
      throw new PacingRateSeparationError('upper rate too close to the lower rate', { details: { minSeparationPpm: limits.minRateSeparationPpm } });
    }
    if (Math.abs(program.lowerRatePpm - current.lowerRatePpm) > limits.maxLowerRateStepPpm) {
      throw new PacingRateStepError('lower rate changes too much in one command', { details: { maxStepPpm: limits.maxLowerRateStepPpm } });
    }
    if (!inRange(program.amplitudeMillivolts, limits.amplitudeMillivolts)) {
      throw new PacingAmplitudeError('amplitude outside the remote range', { details: { ...limits.amplitudeMillivolts } });
    }
    if (!inRange(program.pulseWidthMicroseconds, limits.pulseWidthMicroseconds)) {
      throw new PacingPulseWidthError('pulse width outside the remote range', { details: { ...limits.pulseWidthMicroseconds } });
    }
  }

  /**
   * Integrates battery depletion up to `nowMs`. Half of the nominal drain is housekeeping (sensing,
   * telemetry); the other half is pacing energy, which grows with amplitude squared times pulse
   * width (E = V²·t/R: "doubling the amplitude quadruples the energy", Boston Scientific manuals),
   * with the rate and with the share of paced beats. A linear voltage model: real lithium-iodine
   * cells hold a plateau and fall at the end of life.
   */
  advanceTo(nowMs: number): void {
    const state = this.#state;
    if (nowMs <= state.clockMs) return;
    const p = state.program;
    const paced = Math.min(100, Math.max(0, this.#percentPaced())) / 100;
    const pacesAtAll = p.mode !== PacingMode.PACING_MODE_ODO;
    const energy = (p.amplitudeMillivolts / 3_500) ** 2 * (p.pulseWidthMicroseconds / 400) * (p.lowerRatePpm / 60);
    const dropPerDay = this.#nominalDropPerDay * (0.5 + 0.5 * (pacesAtAll ? energy * paced : 0));
    const days = (nowMs - state.clockMs) / DAY_MS;
    this.#commit({ ...state, batteryVolts: Math.max(0, state.batteryVolts - dropPerDay * days), clockMs: nowMs });
  }

  /** A telemetry reading at the state's clock: battery, lead impedance (500 Ω ± 25 Ω noise), percent paced. */
  telemetry(): PacemakerTelemetry {
    const state = this.#state;
    const impedance = Math.round(this.#leadBaselineOhms + (this.#random() * 2 - 1) * 25);
    return {
      atMs: state.clockMs,
      batteryVolts: Math.round(state.batteryVolts * 1000) / 1000,
      electiveReplacement: state.batteryVolts <= this.#eriVolts,
      leadImpedanceOhms: impedance,
      leadImpedanceAlarm: !inRange(impedance, LEAD_IMPEDANCE_RANGE_OHMS),
      percentPaced: Math.min(100, Math.max(0, this.#percentPaced())),
      program: { ...state.program },
      safeMode: state.safeMode !== null,
    };
  }

  /** Fault injection: moves the lead impedance baseline (fracture: > 2000 Ω; insulation breach: < 200 Ω). */
  setLeadImpedanceBaseline(ohms: number): void {
    this.#leadBaselineOhms = ohms;
  }

  /**
   * Safe mode after an integrity failure: the backup program (VVI 65 ppm, 5.0 V / 1.0 ms) replaces
   * the programmed one at once, and remote programming is refused until cleared in clinic.
   */
  enterSafeMode(reasonCode: string, nowMs: number): void {
    const state = this.#state;
    if (state.safeMode !== null) return;
    this.#commit({
      ...state,
      program: { ...PACEMAKER_SAFE_MODE_PROGRAM },
      safeMode: { sinceMs: nowMs, reasonCode, previousProgram: state.program },
    });
  }

  /**
   * Clears safe mode locally (in-clinic programmer). The backup program stays in force until the
   * clinician programs another: clearing never silently restores a program set over a path that
   * has just proved compromised.
   */
  clearSafeMode(byLocalUser: LocalClearance): void {
    if (byLocalUser.source !== 'device-button' && byLocalUser.source !== 'clinic-programmer') {
      throw new InvalidTherapyConfigError('safe mode is cleared only locally');
    }
    this.#commit({ ...this.#state, safeMode: null });
  }

  /** A deep copy of the state with the elective replacement indicator. */
  snapshot(): PacemakerSnapshot {
    const state = structuredClone(this.#state);
    return { ...state, electiveReplacement: state.batteryVolts <= this.#eriVolts };
  }

  #commit(next: PacemakerState): void {
    this.#store?.save(next);
    this.#state = next;
  }
}
