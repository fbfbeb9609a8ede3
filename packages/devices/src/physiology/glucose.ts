/**
 * Plasma glucose (mg/dL) in the "effects" form open-source closed loops use for prediction (Loop,
 * OpenAPS): each step adds the glucose rise of the carbohydrate absorbed since the last step and
 * subtracts the fall of the insulin that acted, on top of endogenous production and homeostasis.
 *
 * - Insulin activity: the exponential insulin model of Dragan Maksimovic adopted by LoopKit
 *   (`ExponentialInsulinModel.swift`, with its default 10-minute delay) and oref0
 *   (`lib/iob/calculate.js`, "exponential" curve): insulin on board for action time td and peak tp.
 *   Each unit that acts lowers glucose by the insulin sensitivity factor (ISF, mg/dL per U).
 * - Carbohydrate absorption: LoopKit's parabolic curve (`CarbMath.swift`, after Scheiner's GI curve
 *   in "Think Like a Pancreas"); each gram absorbed raises glucose by ISF / carb ratio.
 * - Type 1 diabetes: endogenous production is what the basal insulin need covers (ISF × basal rate),
 *   higher at dawn (dawn phenomenon). With injections the patient's long-acting insulin covers it
 *   (±5 % per day) and the patient boluses for the planned meals (carbs estimated ±15 %, pre-bolus
 *   about 10 minutes, correction above target, 5 % of boluses forgotten); with a pump only what the
 *   pump delivers through `deliverInsulin` acts, so a pump that stops lets glucose climb.
 * - Without diabetes: glucose returns to the fasting value with a 30-minute time constant (insulin
 *   and glucagon secretion); meals are absorbed over 2 hours and raise it 2.5 mg/dL per gram
 *   before that pull (a 60 g meal peaks about 45 mg/dL above fasting, about an hour after eating).
 * - Both: renal glucose loss above 180 mg/dL, counter-regulation below 70 mg/dL (weak in type 1),
 *   a slow noise (sd 2 mg/dL), and the hypo/hyperglycaemia anomalies pulling towards 62-40 and
 *   250-400 mg/dL. Glucose stays within 20-600 mg/dL (what meters display as LO/HI beyond): never
 *   negative, and too much insulin does bring hypoglycaemia.
 *
 * Steps of GLUCOSE_STEP_MS (glucose moves over minutes; the curves are exact at any instant, so a
 * meal or dose between two steps counts from its own time).
 *
 * Not modelled: the physiology of the Bergman minimal model or UVA/Padova (insulin and glucose
 * compartments, interstitial delay of CGMs), exercise, stress, illness, fat and protein, gastric
 * emptying variability, insulin absorption variability, ketones. Not for clinical use or dosing.
 */
import { PhysiologyCapacityError, PhysiologyInvalidArgumentError } from '../errors.js';
import { FixedStepModel, Ar1Process, relax } from './internal/fixed-step.js';
import { MINUTE_MS, bySeverity, circadianCosine, clamp, localDayIndex, localDayStartMs } from './internal/rhythms.js';
import type { PhysiologyModelContext } from './model-context.js';

/** Step of the glucose model, ms. */
export const GLUCOSE_STEP_MS = 10_000;
/** Limits of simulated glucose, mg/dL (meters show LO below 20 and HI above 600). */
export const GLUCOSE_RANGE_MG_DL = { min: 20, max: 600 } as const;
/** Largest meal accepted by eatMeal, g of carbohydrate. */
export const MAX_MEAL_CARBS_G = 300;
/** Largest single insulin dose accepted by deliverInsulin, U (pumps cap a bolus at 25-35 U). */
export const MAX_INSULIN_DOSE_UNITS = 25;
/** Meals remembered at once (absorbing, or eaten within the last 6 hours). */
export const MAX_MEALS = 64;
/** Insulin doses still acting at once. */
export const MAX_ACTIVE_DOSES = 4_096;
/** Delay before a rapid-acting dose starts to act, minutes (LoopKit's default). */
export const INSULIN_DELAY_MINUTES = 10;

/** How insulin reaches a type 1 patient: the patient's own injections, or a pump. */
export type InsulinRoute = 'injections' | 'pump';

/** A meal, as eaten. */
export interface Meal {
  /** Start of absorption, ms since the Unix epoch. */
  readonly atMs: number;
  /** Carbohydrate, g. */
  readonly carbsG: number;
  /** Time to absorb it fully, minutes. */
  readonly absorptionMinutes: number;
  /** 'scheduled' from the profile's meal plan, 'manual' from eatMeal. */
  readonly source: 'scheduled' | 'manual';
}

/** A dose of rapid-acting insulin. */
export interface InsulinDose {
  readonly atMs: number;
  readonly units: number;
  /** 'delivered' through deliverInsulin (a pump or a caller), 'self-injected' by the simulated patient. */
  readonly source: 'delivered' | 'self-injected';
}

/** Options of the glucose model. */
export interface GlucoseOptions {
  /** Default 'injections'. */
  readonly insulinRoute?: InsulinRoute;
  /** Eat the profile's meal plan (default: true when the profile has diabetes parameters). */
  readonly scheduledMeals?: boolean;
}

/**
 * Fraction (0..1) of a rapid-acting dose still to act `minutes` after it was given: LoopKit's
 * `ExponentialInsulinModel.percentEffectRemaining` for action time `actionMinutes` (after the delay)
 * and peak `peakMinutes` (< actionMinutes / 2).
 */
export function exponentialInsulinOnBoard(minutes: number, actionMinutes: number, peakMinutes: number, delayMinutes: number = INSULIN_DELAY_MINUTES): number {
  return exponentialInsulinCurve(actionMinutes, peakMinutes, delayMinutes)(minutes);
}

/** exponentialInsulinOnBoard with its constants computed once: minutes since the dose → fraction on board. */
function exponentialInsulinCurve(actionMinutes: number, peakMinutes: number, delayMinutes: number): (minutes: number) => number {
  // Time constant of the decay, rise factor and scale (LoopKit ExponentialInsulinModel.init).
  const tau = (peakMinutes * (1 - peakMinutes / actionMinutes)) / (1 - (2 * peakMinutes) / actionMinutes);
  const a = (2 * tau) / actionMinutes;
  const s = 1 / (1 - a + (1 + a) * Math.exp(-actionMinutes / tau));
  return (minutes) => {
    const t = minutes - delayMinutes;
    if (t <= 0) return 1;
    if (t >= actionMinutes) return 0;
    return 1 - s * (1 - a) * ((t ** 2 / (tau * actionMinutes * (1 - a)) - t / tau - 1) * Math.exp(-t / tau) + 1);
  };
}

/** Fraction (0..1) of a meal absorbed `minutes` after it started: LoopKit's ParabolicAbsorption. */
export function parabolicCarbsAbsorbed(minutes: number, absorptionMinutes: number): number {
  const x = minutes / absorptionMinutes;
  if (x <= 0) return 0;
  if (x <= 0.5) return 2 * x * x;
  if (x < 1) return -1 + 2 * x * (2 - x);
  return 1;
}

// Without diabetes: the pull back to fasting glucose, and the rise per gram of carbohydrate.
const HOMEOSTASIS_TAU_MS = 30 * MINUTE_MS;
const NON_DIABETIC_MG_DL_PER_G = 2.5;
// Without diabetes a mixed meal is absorbed within about 2 hours (glucose peaks 45-60 minutes after it).
const NON_DIABETIC_ABSORPTION_MINUTES = 120;
// Exogenous insulin in a person without diabetes: ISF of an insulin-sensitive adult, rapid-acting
// analogue curve as in LoopKit's adult preset.
const NON_DIABETIC_ISF = 60;
const DEFAULT_ACTION_MINUTES = 360;
const DEFAULT_PEAK_MINUTES = 75;
// Renal threshold for glucose ~180 mg/dL; the loss above it is slow.
const RENAL_THRESHOLD = 180;
const RENAL_TAU_MS = 4 * 60 * MINUTE_MS;
// Counter-regulation (glucagon, adrenaline) below 70 mg/dL; blunted in type 1 diabetes.
const COUNTER_REGULATION_THRESHOLD = 70;
const COUNTER_REGULATION_TAU_MS = 15 * MINUTE_MS;
const COUNTER_REGULATION_TAU_T1D_MS = 60 * MINUTE_MS;
// Anomalies pull glucose towards their target with this time constant.
const ANOMALY_TAU_MS = 10 * MINUTE_MS;
// Dawn phenomenon: endogenous production up to +25 % around 06:00.
const DAWN_AMPLITUDE = 0.25;
const DAWN_PEAK_HOUR = 6;
const NOISE_SD = 2;
const NOISE_TAU_MS = 20 * MINUTE_MS;
// Self-management of a person on injections (seeded per meal).
const MEAL_TIME_SD_MIN = 20;
const MEAL_CARBS_LOG_SD = 0.2;
const CARB_ESTIMATE_LOG_SD = 0.15;
const PRE_BOLUS_MEAN_MIN = -10;
const PRE_BOLUS_SD_MIN = 8;
const FORGOTTEN_BOLUS_PROBABILITY = 0.05;
const BASAL_MISMATCH_SD = 0.05;
const PEN_INCREMENT_U = 0.5;
// Meals stay listed this long after they are absorbed (mealsBetween).
const MEAL_MEMORY_MS = 6 * 60 * MINUTE_MS;
// Finished doses and old meals are dropped every minute of simulated time.
const PRUNE_EVERY_STEPS = 6;

/** A dose being absorbed, with the fraction still on board at the last step (one curve evaluation per step). */
interface ActiveDose {
  readonly dose: InsulinDose;
  remaining: number;
}

interface PlannedBolus {
  readonly atMs: number;
  readonly carbsEstimateG: number;
}

/** Plasma glucose, meals and insulin of one patient. */
export class GlucoseModel extends FixedStepModel {
  readonly #ctx: PhysiologyModelContext;
  readonly #noise: Ar1Process;
  readonly #isf: number;
  readonly #mgDlPerG: number;
  readonly #actionMinutes: number;
  readonly #insulinCurve: (minutes: number) => number;
  readonly #absorptionMinutes: number;
  readonly #scheduledMeals: boolean;
  #route: InsulinRoute;
  #glucose: number;
  #meals: Meal[] = [];
  #doses: ActiveDose[] = [];
  #boluses: PlannedBolus[] = [];
  #scheduledThroughDay: number;
  #basalMismatch = 0;
  #stepsSincePrune = 0;

  constructor(context: PhysiologyModelContext, options: GlucoseOptions = {}) {
    super(context.startMs, GLUCOSE_STEP_MS);
    this.#ctx = context;
    const diabetes = context.profile.diabetes;
    this.#isf = diabetes?.insulinSensitivityMgDlPerU ?? NON_DIABETIC_ISF;
    this.#mgDlPerG = diabetes === undefined ? NON_DIABETIC_MG_DL_PER_G : diabetes.insulinSensitivityMgDlPerU / diabetes.carbRatioGPerU;
    this.#actionMinutes = diabetes?.insulinActionMinutes ?? DEFAULT_ACTION_MINUTES;
    this.#insulinCurve = exponentialInsulinCurve(this.#actionMinutes, diabetes?.insulinPeakMinutes ?? DEFAULT_PEAK_MINUTES, INSULIN_DELAY_MINUTES);
    this.#absorptionMinutes = diabetes?.carbAbsorptionMinutes ?? NON_DIABETIC_ABSORPTION_MINUTES;
    this.#route = options.insulinRoute ?? 'injections';
    this.#scheduledMeals = options.scheduledMeals ?? diabetes !== undefined;
    this.#glucose = context.profile.baselines.fastingGlucoseMgDl;
    this.#noise = new Ar1Process(context.random, NOISE_SD, NOISE_TAU_MS, GLUCOSE_STEP_MS);
    const day = localDayIndex(context.startMs, context.utcOffsetMinutes);
    this.#scheduledThroughDay = day - 1;
    this.#scheduleThrough(day, context.startMs);
  }

  /** Glucose at the model's state time, mg/dL (20..600). */
  get glucoseMgDl(): number {
    return clamp(this.#glucose + this.#noise.value, GLUCOSE_RANGE_MG_DL.min, GLUCOSE_RANGE_MG_DL.max);
  }

  /** Rapid-acting insulin still to act at the model's state time, U (absolute, not net of a scheduled basal). */
  get insulinOnBoardUnits(): number {
    const t = this.stateTimeMs;
    let iob = 0;
    for (const { dose } of this.#doses) if (dose.atMs <= t) iob += dose.units * this.#iobFraction(t - dose.atMs);
    return iob;
  }

  /** How insulin reaches the patient. */
  get insulinRoute(): InsulinRoute {
    return this.#route;
  }

  /** Switches between the patient's injections and a pump, from the next step. */
  setInsulinRoute(route: InsulinRoute): void {
    if (route !== 'injections' && route !== 'pump') {
      throw new PhysiologyInvalidArgumentError('insulinRoute must be "injections" or "pump"', { details: { field: 'insulinRoute' } });
    }
    this.#route = route;
  }

  /**
   * Carbohydrate eaten at `atMs` (a time before the model's state time counts from the state time):
   * 0 < grams <= MAX_MEAL_CARBS_G, absorption 30..480 minutes (default: the profile's).
   */
  eatMeal(grams: number, atMs: number, absorptionMinutes: number = this.#absorptionMinutes): Meal {
    if (typeof grams !== 'number' || !(grams > 0 && grams <= MAX_MEAL_CARBS_G)) {
      throw new PhysiologyInvalidArgumentError(`meal grams must be in (0, ${MAX_MEAL_CARBS_G}]`, { details: { field: 'grams' } });
    }
    if (typeof atMs !== 'number' || !Number.isFinite(atMs)) throw new PhysiologyInvalidArgumentError('meal atMs must be a finite time in ms', { details: { field: 'atMs' } });
    if (typeof absorptionMinutes !== 'number' || !(absorptionMinutes >= 30 && absorptionMinutes <= 480)) {
      throw new PhysiologyInvalidArgumentError('absorptionMinutes must be in [30, 480]', { details: { field: 'absorptionMinutes' } });
    }
    return this.#addMeal({ atMs: Math.max(atMs, this.stateTimeMs), carbsG: grams, absorptionMinutes, source: 'manual' });
  }

  /**
   * Rapid-acting insulin given at `atMs` (a time before the model's state time counts from the
   * state time): 0 < units <= MAX_INSULIN_DOSE_UNITS. Boluses and basal pulses alike.
   */
  deliverInsulin(units: number, atMs: number): InsulinDose {
    if (typeof units !== 'number' || !(units > 0 && units <= MAX_INSULIN_DOSE_UNITS)) {
      throw new PhysiologyInvalidArgumentError(`insulin units must be in (0, ${MAX_INSULIN_DOSE_UNITS}]`, { details: { field: 'units' } });
    }
    if (typeof atMs !== 'number' || !Number.isFinite(atMs)) throw new PhysiologyInvalidArgumentError('insulin atMs must be a finite time in ms', { details: { field: 'atMs' } });
    return this.#addDose({ atMs: Math.max(atMs, this.stateTimeMs), units, source: 'delivered' });
  }

  /** Meals (eaten or planned for days the model has reached) starting in (fromMs, toMs]. */
  mealsBetween(fromMs: number, toMs: number): Meal[] {
    return this.#meals.filter((m) => m.atMs > fromMs && m.atMs <= toMs).sort((a, b) => a.atMs - b.atMs);
  }

  /** Insulin doses still acting (or planned) given in (fromMs, toMs]. */
  dosesBetween(fromMs: number, toMs: number): InsulinDose[] {
    return this.#doses.map((d) => d.dose).filter((d) => d.atMs > fromMs && d.atMs <= toMs).sort((a, b) => a.atMs - b.atMs);
  }

  protected override step(timeMs: number, dtMs: number): void {
    const t0 = timeMs - dtMs;
    const { profile, anomalies, utcOffsetMinutes } = this.#ctx;
    this.#scheduleThrough(localDayIndex(timeMs, utcOffsetMinutes), t0);
    this.#takeDueBoluses(timeMs);

    let insulinActedU = 0;
    for (const active of this.#doses) {
      if (active.remaining === 0 || active.dose.atMs >= timeMs) continue;
      const remaining = this.#iobFraction(timeMs - active.dose.atMs);
      insulinActedU += active.dose.units * (active.remaining - remaining);
      active.remaining = remaining;
    }
    let carbsAbsorbedG = 0;
    for (const meal of this.#meals) {
      carbsAbsorbedG += meal.carbsG * (parabolicCarbsAbsorbed((timeMs - meal.atMs) / MINUTE_MS, meal.absorptionMinutes) - parabolicCarbsAbsorbed((t0 - meal.atMs) / MINUTE_MS, meal.absorptionMinutes));
    }
    let g = this.#glucose - this.#isf * insulinActedU + this.#mgDlPerG * carbsAbsorbedG;

    const hypo = anomalies.influence('hypoglycaemia', timeMs);
    const hyper = anomalies.influence('hyperglycaemia', timeMs);
    // While an anomaly acts, the body's own regulation is what failed: it yields to the anomaly.
    const regulation = 1 - Math.max(hypo.envelope, hyper.envelope);
    const diabetes = profile.diabetes;
    const fasting = profile.baselines.fastingGlucoseMgDl;
    if (diabetes !== undefined) {
      const dtMin = dtMs / MINUTE_MS;
      const dawn = 1 + DAWN_AMPLITUDE * Math.max(0, circadianCosine(timeMs, utcOffsetMinutes, DAWN_PEAK_HOUR));
      const productionPerMin = (diabetes.insulinSensitivityMgDlPerU * diabetes.basalRateUPerH) / 60;
      g += productionPerMin * dawn * dtMin;
      if (this.#route === 'injections') g -= productionPerMin * (1 + this.#basalMismatch) * dtMin;
    } else {
      g = g + (relax(g, fasting, dtMs, HOMEOSTASIS_TAU_MS) - g) * regulation;
    }
    if (g > RENAL_THRESHOLD) g = relax(g, RENAL_THRESHOLD, dtMs, RENAL_TAU_MS);
    if (g < COUNTER_REGULATION_THRESHOLD) {
      const tau = diabetes === undefined ? COUNTER_REGULATION_TAU_MS : COUNTER_REGULATION_TAU_T1D_MS;
      g = g + (relax(g, COUNTER_REGULATION_THRESHOLD, dtMs, tau) - g) * regulation;
    }
    if (hypo.envelope > 0) g += (relax(g, bySeverity(hypo.severity, 62, 40), dtMs, ANOMALY_TAU_MS) - g) * hypo.envelope;
    if (hyper.envelope > 0) g += (relax(g, bySeverity(hyper.severity, 250, 400), dtMs, ANOMALY_TAU_MS) - g) * hyper.envelope;
    this.#glucose = clamp(g, GLUCOSE_RANGE_MG_DL.min, GLUCOSE_RANGE_MG_DL.max);
    this.#noise.step();
    this.#prune(timeMs);
  }

  #iobFraction(elapsedMs: number): number {
    return this.#insulinCurve(elapsedMs / MINUTE_MS);
  }

  #addMeal(meal: Meal): Meal {
    if (this.#meals.length >= MAX_MEALS) throw new PhysiologyCapacityError(`At most ${MAX_MEALS} meals are remembered at once`, { details: { limit: MAX_MEALS } });
    this.#meals.push(meal);
    return meal;
  }

  #addDose(dose: InsulinDose): InsulinDose {
    if (this.#doses.length >= MAX_ACTIVE_DOSES) {
      throw new PhysiologyCapacityError(`At most ${MAX_ACTIVE_DOSES} insulin doses may act at once`, { details: { limit: MAX_ACTIVE_DOSES } });
    }
    // Doses are dated at or after the state time, so all of each is still on board.
    this.#doses.push({ dose, remaining: 1 });
    return dose;
  }

  /** Plans the meals (and, on injections, the boluses) of every local day up to `day`, keeping those after `afterMs`. */
  #scheduleThrough(day: number, afterMs: number): void {
    while (this.#scheduledThroughDay < day) {
      this.#scheduledThroughDay += 1;
      const d = this.#scheduledThroughDay;
      // One substream per day, keyed by the day only: a day's meals do not depend on earlier calls.
      const random = this.#ctx.random.fork(`meals/${d}`);
      this.#basalMismatch = random.normal(0, BASAL_MISMATCH_SD);
      const plan = this.#scheduledMeals ? (this.#ctx.profile.diabetes?.mealPlan ?? []) : [];
      const dayStart = localDayStartMs(d, this.#ctx.utcOffsetMinutes);
      for (const planned of plan) {
        // Fixed draws per planned meal, whatever is kept.
        const jitterMin = clamp(random.normal(0, MEAL_TIME_SD_MIN), -60, 60);
        const carbsG = Math.max(1, Math.round(planned.carbsG * Math.exp(random.normal(0, MEAL_CARBS_LOG_SD))));
        const estimateG = carbsG * Math.exp(random.normal(0, CARB_ESTIMATE_LOG_SD));
        const preBolusMin = clamp(random.normal(PRE_BOLUS_MEAN_MIN, PRE_BOLUS_SD_MIN), -30, 20);
        const forgotten = random.next() < FORGOTTEN_BOLUS_PROBABILITY;
        if (planned.carbsG <= 0) continue;
        const atMs = Math.round(dayStart + (planned.minuteOfDay + jitterMin) * MINUTE_MS);
        const bolusAtMs = Math.round(atMs + preBolusMin * MINUTE_MS);
        if (atMs <= afterMs || bolusAtMs <= afterMs) continue;
        if (this.#meals.length < MAX_MEALS) this.#meals.push({ atMs, carbsG: Math.min(carbsG, MAX_MEAL_CARBS_G), absorptionMinutes: this.#absorptionMinutes, source: 'scheduled' });
        if (!forgotten) this.#boluses.push({ atMs: bolusAtMs, carbsEstimateG: estimateG });
      }
    }
  }

  /** The simulated patient's own meal boluses falling due by `timeMs` (only while on injections). */
  #takeDueBoluses(timeMs: number): void {
    if (this.#boluses.length === 0) return;
    const due = this.#boluses.filter((b) => b.atMs <= timeMs);
    if (due.length === 0) return;
    this.#boluses = this.#boluses.filter((b) => b.atMs > timeMs);
    const diabetes = this.#ctx.profile.diabetes;
    if (diabetes === undefined || this.#route !== 'injections') return;
    for (const bolus of due) {
      // A bolus calculator's arithmetic: meal part plus correction above target, less insulin on board.
      const correction = Math.max(0, (this.#glucose - this.#ctx.profile.baselines.fastingGlucoseMgDl) / this.#isf - this.insulinOnBoardUnits);
      const units = Math.min(MAX_INSULIN_DOSE_UNITS, Math.round((bolus.carbsEstimateG / diabetes.carbRatioGPerU + correction) / PEN_INCREMENT_U) * PEN_INCREMENT_U);
      if (units > 0 && this.#doses.length < MAX_ACTIVE_DOSES) this.#doses.push({ dose: { atMs: bolus.atMs, units, source: 'self-injected' }, remaining: 1 });
    }
  }

  /** Forgets doses that finished acting and meals absorbed long ago (values do not depend on when this runs). */
  #prune(timeMs: number): void {
    this.#stepsSincePrune += 1;
    if (this.#stepsSincePrune < PRUNE_EVERY_STEPS) return;
    this.#stepsSincePrune = 0;
    const doseEndMs = (this.#actionMinutes + INSULIN_DELAY_MINUTES) * MINUTE_MS;
    this.#doses = this.#doses.filter((d) => d.dose.atMs + doseEndMs >= timeMs);
    this.#meals = this.#meals.filter((m) => m.atMs + m.absorptionMinutes * MINUTE_MS + MEAL_MEMORY_MS >= timeMs);
  }
}
