/**
 * Therapy state and safety interlocks of the simulated insulin pump: basal schedule, boluses
 * (immediate and extended), suspend and resume, reservoir, a rolling 24-hour delivery log, and
 * safe mode after an integrity failure. Its interlocks apply to every remote command whoever
 * signed it (therapy.proto: "The device's own safety interlocks apply whoever signed").
 *
 * Insulin is counted in integer milliunits (1 U = 1000 mU), as on the wire, and delivered in fixed
 * 1-minute steps by advanceTo(); a basal rate's fraction of a milliunit is carried to the next
 * step, so a schedule delivers exactly its programmed total. apply() never delivers: the caller
 * advances delivery to `nowMs` first, and a refused command changes nothing at all.
 *
 * A simulation for a reference design: not for clinical use.
 */
import { type BasalSegment, type InsulinBolus, type TherapyCommand } from '@medsim/protocol';
import {
  BasalRateTooHighError,
  BolusInProgressError,
  BolusTooLargeError,
  BolusTooSoonError,
  ControlStateCorruptError,
  DailyInsulinLimitError,
  InsulinOnBoardLimitError,
  InvalidTherapyConfigError,
  ReservoirInsufficientError,
  SuspendDurationError,
  TherapySafeModeError,
  TherapySuspendedError,
  UnsupportedTherapyActionError,
} from '../errors.js';
import type { ControlledTherapy, LocalClearance } from './command-processor.js';
import type { PersistentState } from './persistent-state.js';
import { THERAPY_EXECUTED, refusalOutcome, type TherapyOutcome } from './therapy-command-verifier.js';

/** Delivery step: 1 minute (pumps deliver basal in pulses a few minutes apart; 1 min resolves them). */
export const PUMP_STEP_MS = 60_000;

const DAY_MS = 86_400_000;
const MINUTES_PER_DAY = 1_440;

/** The pump's interlock limits. */
export interface InsulinPumpLimits {
  /** Largest single bolus, mU. */
  readonly maxBolusMilliunits: number;
  /** Highest basal rate of any schedule segment, mU/h. */
  readonly maxBasalMilliunitsPerHour: number;
  /** Most insulin in a rolling 24 h, delivered plus still to deliver, mU. */
  readonly maxDailyMilliunits: number;
  /** Most insulin on board (still acting) after a new bolus, mU. */
  readonly maxInsulinOnBoardMilliunits: number;
  /** Shortest time from the start of one bolus to the next, ms. */
  readonly minBolusIntervalMs: number;
  /** Shortest and longest remote suspend, minutes. */
  readonly minSuspendMinutes: number;
  readonly maxSuspendMinutes: number;
}

/**
 * Safe defaults, typical of commercial pumps (each is set per patient by the clinician on the
 * device; remote commands cannot change them):
 * - max bolus 10 U: the factory default of Max Bolus on Medtronic MiniMed pumps (user guides,
 *   "Max Bolus") and Omnipod; a larger dose must be split.
 * - max basal 3 U/h: Max Basal Rate "limits the amount of basal insulin that can be delivered per
 *   hour" (Medtronic MiniMed 630G support, "Max Basal Rate"); adult basal needs are about 0.5-1.5 U/h.
 * - max 50 U per rolling 24 h: about the total daily dose of an adult with type 1 diabetes
 *   (0.5-0.7 U/kg/day); DANA and Accu-Chek pumps offer such a daily maximum.
 * - max 15 U insulin on board: stacking of corrections is the classic cause of pump hypoglycaemia.
 * - 15 min between boluses: a Normal bolus cannot start during another (MiniMed 512/712 user
 *   guide, "Normal bolus"), and a short gap stops an accidental double command.
 * - suspend 30 min to 2 h: Omnipod DASH offers "Suspend insulin" for 0.5 to 2 h; longer interruption
 *   of rapid-acting insulin risks diabetic ketoacidosis within hours.
 */
export const INSULIN_PUMP_DEFAULT_LIMITS: InsulinPumpLimits = Object.freeze({
  maxBolusMilliunits: 10_000,
  maxBasalMilliunitsPerHour: 3_000,
  maxDailyMilliunits: 50_000,
  maxInsulinOnBoardMilliunits: 15_000,
  minBolusIntervalMs: 15 * 60_000,
  minSuspendMinutes: 30,
  maxSuspendMinutes: 120,
});

/**
 * Insulin action curve of rapid-acting insulin: the exponential model of LoopKit
 * (ExponentialInsulinModel, after Dragan Maksimovic; also oref0), peak 75 min, action 6 h (Loop's
 * "rapid-acting adult" preset). Insulin on board is the fraction of a dose not yet acted.
 */
export interface InsulinActionCurve {
  readonly peakMinutes: number;
  readonly durationMinutes: number;
}

/** Loop's rapid-acting adult curve: peak 75 min, duration 360 min. */
export const RAPID_ACTING_INSULIN: InsulinActionCurve = Object.freeze({ peakMinutes: 75, durationMinutes: 360 });

/** Fraction (0 to 1) of a dose still on board `minutes` after it was delivered. */
export function insulinOnBoardFraction(minutes: number, curve: InsulinActionCurve = RAPID_ACTING_INSULIN): number {
  const td = curve.durationMinutes;
  const tp = curve.peakMinutes;
  if (minutes <= 0) return 1;
  if (minutes >= td) return 0;
  const tau = (tp * (1 - tp / td)) / (1 - (2 * tp) / td);
  const a = (2 * tau) / td;
  const s = 1 / (1 - a + (1 + a) * Math.exp(-td / tau));
  const t = minutes;
  const fraction = 1 - s * (1 - a) * ((t ** 2 / (tau * td * (1 - a)) - t / tau - 1) * Math.exp(-t / tau) + 1);
  return Math.min(1, Math.max(0, fraction));
}

/** One segment of the basal schedule. */
export interface BasalSegmentSetting {
  /** Minute of the pump's local day, 0 to 1439. */
  readonly startMinute: number;
  readonly rateMilliunitsPerHour: number;
}

/** A bolus being delivered. */
export interface ActiveBolus {
  /** Command id (hex) that started it. */
  readonly commandId: string;
  readonly totalMilliunits: number;
  readonly deliveredMilliunits: number;
  readonly startedAtMs: number;
  /** 0 for an immediate bolus (delivered at the maximum delivery rate); minutes of an extended bolus. */
  readonly durationMinutes: number;
  /** Delivery steps already run for this bolus. */
  readonly steps: number;
}

/** One delivery step of the log. */
export interface DeliveryLogEntry {
  /** End of the 1-minute step. */
  readonly atMs: number;
  readonly basalMilliunits: number;
  readonly bolusMilliunits: number;
}

/** Why and since when the pump is in safe mode. */
export interface PumpSafeModeState {
  readonly sinceMs: number;
  readonly reasonCode: string;
}

/** The pump's whole persisted therapy state. */
export interface InsulinPumpState {
  readonly version: 1;
  /** Delivery has been computed up to this instant (ms since the epoch). */
  readonly clockMs: number;
  /** Last verified basal schedule. */
  readonly basalSchedule: readonly BasalSegmentSetting[];
  /** Undelivered basal, in mU/60 (a fraction of a milliunit carried between steps), 0 to 59. */
  readonly basalCarry: number;
  readonly bolus: ActiveBolus | null;
  readonly lastBolusAtMs: number | null;
  readonly suspendedUntilMs: number | null;
  readonly reservoirMilliunits: number;
  /** Steps of the last 24 h that delivered insulin, oldest first. */
  readonly deliveries: readonly DeliveryLogEntry[];
  readonly safeMode: PumpSafeModeState | null;
}

/** Pump alarms derived from the state (IEC 60601-1-8 conditions reported in DeviceStatus/Alarm). */
export type InsulinPumpAlarm = 'reservoir-low' | 'reservoir-empty' | 'safe-mode';

/** State plus derived values, for status and telemetry; a pure function of the state. */
export interface InsulinPumpSnapshot extends InsulinPumpState {
  readonly suspended: boolean;
  readonly currentBasalMilliunitsPerHour: number;
  readonly insulinOnBoardMilliunits: number;
  readonly deliveredLast24hMilliunits: number;
  readonly alarms: readonly InsulinPumpAlarm[];
}

/** One delivery told to the physiology model. */
export interface InsulinDelivery {
  /** End of the step in which it was delivered, ms since the epoch. */
  readonly atMs: number;
  readonly units: number;
  readonly kind: 'basal' | 'bolus';
}

/** Options of an InsulinPumpTherapy. */
export interface InsulinPumpOptions {
  /** Delivery starts at this instant (the device clock at first power-on). */
  readonly startMs: number;
  /** Interlock limits; unspecified ones take INSULIN_PUMP_DEFAULT_LIMITS. */
  readonly limits?: Partial<InsulinPumpLimits>;
  /** Initial basal schedule (default 0.8 U/h all day); must be within the limits. */
  readonly basalSchedule?: readonly BasalSegmentSetting[];
  /** Initial reservoir, mU (default 200 U: an Omnipod holds 200 U, MiniMed reservoirs 180 or 300 U). */
  readonly reservoirMilliunits?: number;
  /** Low-reservoir alarm threshold, mU (default 20 U). */
  readonly lowReservoirMilliunits?: number;
  /** Maximum delivery rate of an immediate bolus, mU per minute (default 1.5 U/min). */
  readonly bolusRateMilliunitsPerMinute?: number;
  /** The pump's local time as an offset from UTC, minutes (the basal schedule follows the local day). */
  readonly utcOffsetMinutes?: number;
  /** Insulin action curve for insulin on board (default RAPID_ACTING_INSULIN). */
  readonly insulinCurve?: InsulinActionCurve;
  /** Persisted therapy state; when it holds a state, that state wins over the initial options. */
  readonly state?: PersistentState<InsulinPumpState>;
  /** Told of every delivery (the physiology model absorbs it). */
  readonly onDelivery?: (delivery: InsulinDelivery) => void;
}

const isNonNegativeInteger = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

function checkLimits(limits: InsulinPumpLimits): InsulinPumpLimits {
  for (const [name, value] of Object.entries(limits)) {
    if (!isNonNegativeInteger(value) || value === 0) {
      throw new InvalidTherapyConfigError(`pump limit ${name} must be a positive integer`, { details: { limit: name } });
    }
  }
  if (limits.minSuspendMinutes > limits.maxSuspendMinutes) throw new InvalidTherapyConfigError('minSuspendMinutes is above maxSuspendMinutes');
  return limits;
}

/** Checks the shape of a persisted InsulinPumpState (for JsonFileState's `parse`); throws ControlStateCorruptError. */
export function parseInsulinPumpState(value: unknown): InsulinPumpState {
  const v = value as Partial<Record<keyof InsulinPumpState, unknown>> | null;
  const nullableInteger = (x: unknown): boolean => x === null || isNonNegativeInteger(x);
  const ok =
    typeof v === 'object' &&
    v !== null &&
    v.version === 1 &&
    isNonNegativeInteger(v.clockMs) &&
    Array.isArray(v.basalSchedule) &&
    v.basalSchedule.length > 0 &&
    (v.basalSchedule as unknown[]).every(
      (s) => typeof s === 'object' && s !== null && isNonNegativeInteger((s as BasalSegmentSetting).startMinute) && isNonNegativeInteger((s as BasalSegmentSetting).rateMilliunitsPerHour),
    ) &&
    isNonNegativeInteger(v.basalCarry) &&
    (v.bolus === null ||
      (typeof v.bolus === 'object' &&
        typeof (v.bolus as ActiveBolus).commandId === 'string' &&
        (['totalMilliunits', 'deliveredMilliunits', 'startedAtMs', 'durationMinutes', 'steps'] as const).every((k) => isNonNegativeInteger((v.bolus as ActiveBolus)[k])))) &&
    nullableInteger(v.lastBolusAtMs) &&
    nullableInteger(v.suspendedUntilMs) &&
    isNonNegativeInteger(v.reservoirMilliunits) &&
    Array.isArray(v.deliveries) &&
    (v.deliveries as unknown[]).every(
      (d) =>
        typeof d === 'object' &&
        d !== null &&
        isNonNegativeInteger((d as DeliveryLogEntry).atMs) &&
        isNonNegativeInteger((d as DeliveryLogEntry).basalMilliunits) &&
        isNonNegativeInteger((d as DeliveryLogEntry).bolusMilliunits),
    ) &&
    (v.safeMode === null ||
      (typeof v.safeMode === 'object' && isNonNegativeInteger((v.safeMode as PumpSafeModeState).sinceMs) && typeof (v.safeMode as PumpSafeModeState).reasonCode === 'string'));
  if (!ok) throw new ControlStateCorruptError('insulin pump state does not have the expected shape');
  return value as InsulinPumpState;
}

/** Rate of the schedule segment in effect at `minuteOfDay`. */
function rateAt(schedule: readonly BasalSegmentSetting[], minuteOfDay: number): number {
  let rate = 0;
  for (const segment of schedule) {
    if (segment.startMinute > minuteOfDay) break;
    rate = segment.rateMilliunitsPerHour;
  }
  return rate;
}

/** Insulin a schedule delivers in 24 h, mU. */
function dailyBasalMilliunits(schedule: readonly BasalSegmentSetting[]): number {
  let total = 0;
  schedule.forEach((segment, i) => {
    const end = schedule[i + 1]?.startMinute ?? MINUTES_PER_DAY;
    total += (segment.rateMilliunitsPerHour * (end - segment.startMinute)) / 60;
  });
  return total;
}

const bolusRemaining = (bolus: ActiveBolus | null): number => (bolus === null ? 0 : bolus.totalMilliunits - bolus.deliveredMilliunits);

/** The insulin pump's therapy: apply() verified commands, advanceTo() delivery, snapshot() status. */
export class InsulinPumpTherapy implements ControlledTherapy<InsulinPumpSnapshot> {
  /** The interlock limits in force. */
  readonly limits: InsulinPumpLimits;
  readonly #bolusRate: number;
  readonly #lowReservoir: number;
  readonly #utcOffsetMs: number;
  readonly #curve: InsulinActionCurve;
  readonly #store: PersistentState<InsulinPumpState> | undefined;
  readonly #onDelivery: ((delivery: InsulinDelivery) => void) | undefined;
  #state: InsulinPumpState;

  constructor(options: InsulinPumpOptions) {
    this.limits = checkLimits({ ...INSULIN_PUMP_DEFAULT_LIMITS, ...options.limits });
    this.#bolusRate = options.bolusRateMilliunitsPerMinute ?? 1_500;
    this.#lowReservoir = options.lowReservoirMilliunits ?? 20_000;
    this.#utcOffsetMs = (options.utcOffsetMinutes ?? 0) * 60_000;
    this.#curve = options.insulinCurve ?? RAPID_ACTING_INSULIN;
    this.#store = options.state;
    this.#onDelivery = options.onDelivery;
    if (!isNonNegativeInteger(this.#bolusRate) || this.#bolusRate === 0) throw new InvalidTherapyConfigError('bolusRateMilliunitsPerMinute must be a positive integer');
    if (!isNonNegativeInteger(options.startMs)) throw new InvalidTherapyConfigError('startMs must be a time in ms since the epoch');
    const stored = this.#store?.load();
    if (stored !== undefined) {
      this.#state = parseInsulinPumpState(stored);
      return;
    }
    const schedule = (options.basalSchedule ?? [{ startMinute: 0, rateMilliunitsPerHour: 800 }]).map((s) => ({ ...s }));
    try {
      this.#checkSchedule(schedule);
    } catch (cause) {
      throw new InvalidTherapyConfigError('the initial basal schedule is outside the limits', { cause });
    }
    const reservoir = options.reservoirMilliunits ?? 200_000;
    if (!isNonNegativeInteger(reservoir)) throw new InvalidTherapyConfigError('reservoirMilliunits must be a non-negative integer');
    this.#state = {
      version: 1,
      clockMs: options.startMs,
      basalSchedule: schedule,
      basalCarry: 0,
      bolus: null,
      lastBolusAtMs: null,
      suspendedUntilMs: null,
      reservoirMilliunits: reservoir,
      deliveries: [],
      safeMode: null,
    };
    this.#commit(this.#state);
  }

  /** True while remote commands are refused after an integrity failure. */
  get inSafeMode(): boolean {
    return this.#state.safeMode !== null;
  }

  /**
   * Applies a verified command at `nowMs` (call advanceTo(nowMs) first, so that the interlocks see
   * the insulin delivered until now). Returns THERAPY_EXECUTED, or REJECTED_INTERLOCK / REJECTED_STATE
   * with a reason; a refused command leaves every part of the state unchanged.
   */
  apply(command: TherapyCommand, nowMs: number): TherapyOutcome {
    try {
      const next = this.#decide(command, nowMs);
      this.#commit(next);
      return THERAPY_EXECUTED;
    } catch (error) {
      return refusalOutcome(error);
    }
  }

  /** The next state if `command` passes every interlock; throws the interlock's typed error. */
  #decide(command: TherapyCommand, nowMs: number): InsulinPumpState {
    const state = this.#state;
    if (state.safeMode !== null) throw new TherapySafeModeError('remote commands are refused in safe mode');
    switch (command.action) {
      case 'insulinBolus': {
        const bolus = command.insulinBolus as InsulinBolus;
        this.#checkBolus(bolus.amountMilliunits, nowMs);
        return {
          ...state,
          bolus: {
            commandId: Buffer.from(command.commandId).toString('hex'),
            totalMilliunits: bolus.amountMilliunits,
            deliveredMilliunits: 0,
            startedAtMs: nowMs,
            durationMinutes: bolus.durationMinutes,
            steps: 0,
          },
          lastBolusAtMs: nowMs,
        };
      }
      case 'basalSchedule': {
        const schedule = (command.basalSchedule?.segments as BasalSegment[]).map((s) => ({
          startMinute: s.startMinute,
          rateMilliunitsPerHour: s.rateMilliunitsPerHour,
        }));
        this.#checkSchedule(schedule);
        return { ...state, basalSchedule: schedule };
      }
      case 'suspend': {
        const minutes = command.suspend?.durationMinutes ?? 0;
        if (minutes < this.limits.minSuspendMinutes || minutes > this.limits.maxSuspendMinutes) {
          throw new SuspendDurationError('suspend duration outside the allowed range', {
            details: { min: this.limits.minSuspendMinutes, max: this.limits.maxSuspendMinutes },
          });
        }
        // Suspending stops all delivery; a running bolus is cancelled, not resumed later (pumps
        // do the same: a stopped bolus is never completed silently hours afterwards).
        return { ...state, suspendedUntilMs: nowMs + minutes * 60_000, bolus: null };
      }
      case 'resume':
        return { ...state, suspendedUntilMs: null };
      case 'pacingParameters':
      case 'openServiceMode':
      case 'closeServiceMode':
      case 'runDiagnostics':
      case 'uploadLogs':
      case undefined:
      default:
        throw new UnsupportedTherapyActionError('an insulin pump does not perform this action');
    }
  }

  /** Every bolus interlock, cheapest and most specific first. */
  #checkBolus(amount: number, nowMs: number): void {
    const state = this.#state;
    const limits = this.limits;
    if (state.suspendedUntilMs !== null) throw new TherapySuspendedError('delivery is suspended');
    if (amount > limits.maxBolusMilliunits) {
      throw new BolusTooLargeError('bolus above the maximum single bolus', { details: { maxMilliunits: limits.maxBolusMilliunits } });
    }
    if (state.bolus !== null) throw new BolusInProgressError('a bolus is still being delivered');
    if (state.lastBolusAtMs !== null && nowMs - state.lastBolusAtMs < limits.minBolusIntervalMs) {
      throw new BolusTooSoonError('too soon after the previous bolus', { details: { minIntervalMs: limits.minBolusIntervalMs } });
    }
    if (amount > state.reservoirMilliunits) throw new ReservoirInsufficientError('bolus larger than the insulin left in the reservoir');
    const onBoard = this.#insulinOnBoard(state, nowMs);
    if (onBoard + amount > limits.maxInsulinOnBoardMilliunits) {
      throw new InsulinOnBoardLimitError('insulin on board would exceed its maximum', { details: { maxMilliunits: limits.maxInsulinOnBoardMilliunits } });
    }
    const daily = this.#deliveredInLastDay(state, nowMs) + bolusRemaining(state.bolus) + amount;
    if (daily > limits.maxDailyMilliunits) {
      throw new DailyInsulinLimitError('24-hour insulin would exceed the maximum daily insulin', { details: { maxMilliunits: limits.maxDailyMilliunits } });
    }
  }

  /** Every segment within the maximum basal rate, and the day's basal within the daily maximum. */
  #checkSchedule(schedule: readonly BasalSegmentSetting[]): void {
    const max = this.limits.maxBasalMilliunitsPerHour;
    const ordered = schedule.length > 0 && schedule[0]?.startMinute === 0 && schedule.every((s, i) => i === 0 || s.startMinute > (schedule[i - 1]?.startMinute ?? 0));
    if (!ordered || schedule.some((s) => !isNonNegativeInteger(s.startMinute) || s.startMinute >= MINUTES_PER_DAY || !isNonNegativeInteger(s.rateMilliunitsPerHour))) {
      throw new InvalidTherapyConfigError('a basal schedule starts at minute 0 with strictly increasing segments');
    }
    if (schedule.some((s) => s.rateMilliunitsPerHour > max)) {
      throw new BasalRateTooHighError('a basal segment is above the maximum basal rate', { details: { maxMilliunitsPerHour: max } });
    }
    if (dailyBasalMilliunits(schedule) > this.limits.maxDailyMilliunits) {
      throw new BasalRateTooHighError('the basal schedule alone exceeds the maximum daily insulin', { details: { maxMilliunits: this.limits.maxDailyMilliunits } });
    }
  }

  #insulinOnBoard(state: InsulinPumpState, atMs: number): number {
    // Counts basal and bolus insulin (commercial bolus calculators count bolus only): for a limit,
    // over-counting refuses a bolus, under-counting could stack one.
    let total = bolusRemaining(state.bolus);
    for (const d of state.deliveries) {
      total += (d.basalMilliunits + d.bolusMilliunits) * insulinOnBoardFraction((atMs - d.atMs) / 60_000, this.#curve);
    }
    return total;
  }

  #deliveredInLastDay(state: InsulinPumpState, atMs: number): number {
    let total = 0;
    for (const d of state.deliveries) if (d.atMs > atMs - DAY_MS) total += d.basalMilliunits + d.bolusMilliunits;
    return total;
  }

  /**
   * Delivers insulin in 1-minute steps up to `nowMs` and returns what was delivered (also told to
   * `onDelivery`). Resumes by itself when a suspend ends; keeps the basal running in safe mode.
   */
  advanceTo(nowMs: number): InsulinDelivery[] {
    const deliveries: InsulinDelivery[] = [];
    let state = this.#state;
    if (nowMs < state.clockMs + PUMP_STEP_MS) return deliveries;
    const log = [...state.deliveries];
    while (state.clockMs + PUMP_STEP_MS <= nowMs) {
      const start = state.clockMs;
      const end = start + PUMP_STEP_MS;
      let { suspendedUntilMs, basalCarry, bolus, reservoirMilliunits } = state;
      if (suspendedUntilMs !== null && suspendedUntilMs <= start) suspendedUntilMs = null;
      let basal = 0;
      let bolusDose = 0;
      if (suspendedUntilMs === null) {
        const minuteOfDay = Math.floor((((start + this.#utcOffsetMs) % DAY_MS) + DAY_MS) % DAY_MS / 60_000);
        basalCarry += rateAt(state.basalSchedule, minuteOfDay);
        basal = Math.floor(basalCarry / 60);
        basalCarry %= 60;
        if (bolus !== null) {
          const steps = bolus.steps + 1;
          const target =
            bolus.durationMinutes === 0
              ? Math.min(bolus.totalMilliunits, steps * this.#bolusRate)
              : Math.floor((bolus.totalMilliunits * Math.min(steps, bolus.durationMinutes)) / bolus.durationMinutes);
          bolusDose = target - bolus.deliveredMilliunits;
          bolus = { ...bolus, steps };
        }
        // An empty reservoir stops delivery (pumps alarm "reservoir empty" and stop).
        basal = Math.min(basal, reservoirMilliunits);
        bolusDose = Math.min(bolusDose, reservoirMilliunits - basal);
        reservoirMilliunits -= basal + bolusDose;
        if (bolus !== null) {
          bolus = { ...bolus, deliveredMilliunits: bolus.deliveredMilliunits + bolusDose };
          if (bolus.deliveredMilliunits >= bolus.totalMilliunits || reservoirMilliunits === 0) bolus = null;
        }
      }
      if (basal + bolusDose > 0) log.push({ atMs: end, basalMilliunits: basal, bolusMilliunits: bolusDose });
      if (basal > 0) deliveries.push({ atMs: end, units: basal / 1000, kind: 'basal' });
      if (bolusDose > 0) deliveries.push({ atMs: end, units: bolusDose / 1000, kind: 'bolus' });
      state = { ...state, clockMs: end, suspendedUntilMs, basalCarry, bolus, reservoirMilliunits };
    }
    // Keep 24 h: the daily limit needs a day, insulin on board only the action time (6 h).
    const horizon = state.clockMs - DAY_MS;
    const firstKept = log.findIndex((d) => d.atMs > horizon);
    state = { ...state, deliveries: firstKept === -1 ? [] : log.slice(firstKept) };
    this.#commit(state);
    for (const delivery of deliveries) this.#onDelivery?.(delivery);
    return deliveries;
  }

  /**
   * Safe mode after an integrity failure (a forged command arrived through an authenticated
   * session: the command path is compromised). Every remote command is refused until a local
   * clearance; a running bolus is cancelled; the basal continues on the last verified schedule.
   * Stopping all insulin instead would be the unsafe choice for a type 1 patient: without basal
   * insulin, ketones rise within hours and diabetic ketoacidosis follows (why pumps alarm loudly
   * on any delivery interruption, e.g. the MiniMed "Insulin flow blocked" and suspend alarms). A
   * suspend already verified keeps running until it ends by itself.
   */
  enterSafeMode(reasonCode: string, nowMs: number): void {
    const state = this.#state;
    this.#commit({ ...state, bolus: null, safeMode: state.safeMode ?? { sinceMs: nowMs, reasonCode } });
  }

  /** Leaves safe mode: only a local user at the device (button or in-clinic programmer) can. */
  clearSafeMode(byLocalUser: LocalClearance): void {
    if (byLocalUser.source !== 'device-button' && byLocalUser.source !== 'clinic-programmer') {
      throw new InvalidTherapyConfigError('safe mode is cleared only locally');
    }
    this.#commit({ ...this.#state, safeMode: null });
  }

  /** A deep copy of the state with derived values, at the state's own clock. */
  snapshot(): InsulinPumpSnapshot {
    const state = structuredClone(this.#state);
    const minuteOfDay = Math.floor((((state.clockMs + this.#utcOffsetMs) % DAY_MS) + DAY_MS) % DAY_MS / 60_000);
    const alarms: InsulinPumpAlarm[] = [];
    if (state.reservoirMilliunits === 0) alarms.push('reservoir-empty');
    else if (state.reservoirMilliunits < this.#lowReservoir) alarms.push('reservoir-low');
    if (state.safeMode !== null) alarms.push('safe-mode');
    return {
      ...state,
      suspended: state.suspendedUntilMs !== null,
      currentBasalMilliunitsPerHour: state.suspendedUntilMs === null ? rateAt(state.basalSchedule, minuteOfDay) : 0,
      insulinOnBoardMilliunits: Math.round(this.#insulinOnBoard(state, state.clockMs)),
      deliveredLast24hMilliunits: this.#deliveredInLastDay(state, state.clockMs),
      alarms,
    };
  }

  /** Persists first, then adopts the state (a failed save leaves the pump as it was). */
  #commit(next: InsulinPumpState): void {
    this.#store?.save(next);
    this.#state = next;
  }
}

