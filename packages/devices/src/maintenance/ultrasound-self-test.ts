/**
 * The ultrasound system's self-test, as remote diagnostics (RunDiagnostics) runs it: the transducer
 * array, probe face temperature, cooling fan, 12 V supply rail, battery, store-and-forward queue,
 * clock and firmware version, each graded PASS, WARN or FAIL against fixed thresholds.
 *
 * Values are seeded simulation noise around nominal figures (the same seed gives the same report),
 * plus faults a test or a demo injects (a dead-element count that fails the probe, a stalled fan).
 * A check carries a fixed name, a number and a UCUM unit, nothing else: no patient, study or image
 * data can appear in it (maintenance.proto DiagnosticCheck).
 */
import { CheckResult } from '@medsim/protocol';
import { InvalidTherapyConfigError } from '../errors.js';
import type { SeededRandom } from '../physiology/seeded-random.js';
import type { SelfTest, SelfTestCheck } from './maintenance-functions.js';

/** Grading of one value: WARN beyond the warn bounds, FAIL beyond the fail bounds (inclusive PASS inside). */
export interface CheckLimits {
  readonly warnBelow?: number;
  readonly failBelow?: number;
  readonly warnAbove?: number;
  readonly failAbove?: number;
}

/**
 * Thresholds of the ultrasound's checks.
 * - transducer.dead-elements: one dead element of a linear array already shows as a shadow down the
 *   image and is a common, often unnoticed defect (Mårtensson et al., Eur J Echocardiogr 2009;10:389,
 *   "High incidence of defective ultrasound transducers in use in routine clinical practice"):
 *   WARN from 1; FAIL from 4, this simulation's replacement threshold (not a standard's).
 * - probe.temperature: IEC 60601-2-37 limits the face of an externally applied transducer to 43 °C
 *   in contact with the patient: FAIL above 43 °C, WARN from 41 °C (2 °C of margin).
 * - fan.speed: nominal 2,400 /min; below 1,800 /min cooling degrades (WARN), below 1,000 /min the
 *   fan has stalled (FAIL).
 * - power.supply: the 12 V rail within ±5 % (ATX 12 V tolerance) PASS, within ±10 % WARN.
 * - battery.charge: below 20 % WARN, below 10 % FAIL (the cart no longer bridges a move).
 * - queue.depth: messages waiting for the gateway; above 100 the link is lagging (WARN), above
 *   1,000 the flash is filling (FAIL).
 * - clock.offset: beyond 1 s WARN; beyond 30 s FAIL, the command verifier's skew (VERIFIER_DEFAULTS):
 *   signed maintenance commands would be refused as not yet valid or expired.
 */
export const ULTRASOUND_CHECK_LIMITS = {
  'transducer.dead-elements': { warnAbove: 0, failAbove: 3 },
  'probe.temperature': { warnAbove: 41, failAbove: 43 },
  'fan.speed': { warnBelow: 1_800, failBelow: 1_000 },
  'power.supply': { warnBelow: 11.4, failBelow: 10.8, warnAbove: 12.6, failAbove: 13.2 },
  'battery.charge': { warnBelow: 20, failBelow: 10 },
  'queue.depth': { warnAbove: 100, failAbove: 1_000 },
  'clock.offset': { warnBelow: -1_000, failBelow: -30_000, warnAbove: 1_000, failAbove: 30_000 },
} as const satisfies Record<string, CheckLimits>;

/** Grades `value` against `limits`. */
export function gradeCheck(value: number, limits: CheckLimits): CheckResult {
  if (!Number.isFinite(value)) return CheckResult.CHECK_RESULT_FAIL;
  if ((limits.failBelow !== undefined && value < limits.failBelow) || (limits.failAbove !== undefined && value > limits.failAbove)) return CheckResult.CHECK_RESULT_FAIL;
  if ((limits.warnBelow !== undefined && value < limits.warnBelow) || (limits.warnAbove !== undefined && value > limits.warnAbove)) return CheckResult.CHECK_RESULT_WARN;
  return CheckResult.CHECK_RESULT_PASS;
}

/** Faults injected into the simulated hardware (tests, demos); each replaces the simulated value. */
export interface UltrasoundFaults {
  /** Dead transducer elements (0 to the element count). */
  readonly deadElements?: number;
  /** Probe face temperature, °C. */
  readonly probeTemperatureCel?: number;
  /** Fan speed, revolutions per minute (0: stalled). */
  readonly fanSpeedPerMin?: number;
  /** 12 V rail, V. */
  readonly supplyVolts?: number;
}

/** What the firmware knows about itself at test time (the runtime's figures, no patient data). */
export interface UltrasoundSystemFigures {
  /** Battery charge, 0 to 100 %. */
  readonly batteryPercent: number;
  /** Device clock minus the reference clock, ms. */
  readonly clockOffsetMs: number;
  /** Messages in the store-and-forward queue. */
  readonly queuedMessages: number;
}

/** Options of an UltrasoundSelfTest. */
export interface UltrasoundSelfTestOptions {
  /** The source of simulation noise (a fork of the device's seeded generator). */
  readonly random: SeededRandom;
  /** Running firmware, semantic version "major.minor.patch". */
  readonly firmwareVersion: string;
  /** Reads the runtime's figures when the test runs. */
  readonly system: () => UltrasoundSystemFigures;
  /** Elements of the transducer array (default 192, a common linear array). */
  readonly elements?: number;
}

/** "7.2.0" → 70200: the version as one number (major × 10,000 + minor × 100 + patch), since a check holds a number. */
export function firmwareVersionNumber(version: string): number {
  const match = /^(\d{1,3})\.(\d{1,2})\.(\d{1,2})$/.exec(version);
  if (match === null) throw new InvalidTherapyConfigError('firmware version must be major.minor.patch with minor and patch below 100');
  return Number(match[1]) * 10_000 + Number(match[2]) * 100 + Number(match[3]);
}

const round = (value: number, decimals: number): number => Math.round(value * 10 ** decimals) / 10 ** decimals;

/** The ultrasound's self-test: nine checks, seeded, with injectable faults. */
export class UltrasoundSelfTest implements SelfTest {
  readonly elements: number;
  readonly #random: SeededRandom;
  readonly #system: () => UltrasoundSystemFigures;
  readonly #firmware: number;
  #faults: UltrasoundFaults = {};

  constructor(options: UltrasoundSelfTestOptions) {
    const elements = options.elements ?? 192;
    if (!Number.isSafeInteger(elements) || elements < 1 || elements > 4_096) throw new InvalidTherapyConfigError('elements must be an integer from 1 to 4096');
    this.elements = elements;
    this.#random = options.random;
    this.#system = options.system;
    this.#firmware = firmwareVersionNumber(options.firmwareVersion);
  }

  /** Faults in force (a copy). */
  get faults(): UltrasoundFaults {
    return { ...this.#faults };
  }

  /** Injects faults (merged with those in force). */
  injectFaults(faults: UltrasoundFaults): void {
    if (faults.deadElements !== undefined && (!Number.isSafeInteger(faults.deadElements) || faults.deadElements < 0 || faults.deadElements > this.elements)) {
      throw new InvalidTherapyConfigError('deadElements must be an integer from 0 to the element count');
    }
    this.#faults = { ...this.#faults, ...faults };
  }

  /** Removes every injected fault. */
  clearFaults(): void {
    this.#faults = {};
  }

  /** Runs every check now; each call draws new noise from the seeded generator. */
  run(_nowMs: number): SelfTestCheck[] {
    const r = this.#random;
    // Drawn whatever the faults, so that injecting one does not shift the noise of the others.
    const temperature = round(r.normal(29, 0.8), 1); // idle probe in air: a few degrees above the room
    const fan = Math.round(r.normal(2_400, 40));
    const supply = round(r.normal(12, 0.05), 2);
    const f = this.#faults;
    const system = this.#system();
    const L = ULTRASOUND_CHECK_LIMITS;
    const graded = (name: keyof typeof ULTRASOUND_CHECK_LIMITS, value: number, unit: string): SelfTestCheck => ({ name, result: gradeCheck(value, L[name]), value, unit });
    return [
      { name: 'transducer.elements', result: CheckResult.CHECK_RESULT_PASS, value: this.elements, unit: '{elements}' },
      graded('transducer.dead-elements', f.deadElements ?? 0, '{elements}'),
      graded('probe.temperature', f.probeTemperatureCel ?? temperature, 'Cel'),
      graded('fan.speed', f.fanSpeedPerMin ?? fan, '/min'),
      graded('power.supply', f.supplyVolts ?? supply, 'V'),
      graded('battery.charge', Math.round(system.batteryPercent), '%'),
      graded('queue.depth', system.queuedMessages, '{messages}'),
      graded('clock.offset', Math.round(system.clockOffsetMs), 'ms'),
      { name: 'firmware.version', result: CheckResult.CHECK_RESULT_PASS, value: this.#firmware, unit: '' },
    ];
  }
}
