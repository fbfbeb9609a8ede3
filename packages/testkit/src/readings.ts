/**
 * Deterministic readings for tests and the demo, one per index: the same index gives the same
 * values. Plain curves, not physiology (that arrives with @medsim/devices).
 */
import { MeasurementStatus, MealContext, Unit, VitalParameter, type MessageFields } from '@medsim/protocol';

type Reading = MessageFields['VitalSignReading'];
type Observation = NonNullable<Reading['observations']>[number];

const DEFAULT_BASE_MS = Date.UTC(2026, 10, 28);
const valid = (parameter: VitalParameter, unit: Unit, value: number): Observation => ({ parameter, unit, value, status: MeasurementStatus.MEASUREMENT_STATUS_VALID });
/** A smooth, repeatable wobble in [-1, 1]. */
const wave = (index: number, period: number): number => Math.sin((2 * Math.PI * index) / period);

/** A valid SpO2 + pulse reading; `index` varies the values and time deterministically. */
export function pulseOximeterReading(index: number, baseTimeMs = DEFAULT_BASE_MS): Reading {
  return {
    measuredAtMs: baseTimeMs + index * 1000,
    observations: [
      valid(VitalParameter.MDC_PULS_OXIM_SAT_O2, Unit.MDC_DIM_PERCENT, 94 + (index % 5)),
      valid(VitalParameter.MDC_PULS_OXIM_PULS_RATE, Unit.MDC_DIM_BEAT_PER_MIN, 60 + (index % 30)),
    ],
    recordNumber: 0,
    mealContext: 0,
  };
}

/** A non-invasive blood pressure reading: systolic, diastolic, mean (mmHg) and pulse. */
export function bloodPressureReading(index: number, baseTimeMs = DEFAULT_BASE_MS): Reading {
  const systolic = Math.round(122 + 8 * wave(index, 17));
  const diastolic = Math.round(79 + 5 * wave(index, 23));
  return {
    measuredAtMs: baseTimeMs + index * 1000,
    observations: [
      valid(VitalParameter.MDC_PRESS_BLD_NONINV_SYS, Unit.MDC_DIM_MMHG, systolic),
      valid(VitalParameter.MDC_PRESS_BLD_NONINV_DIA, Unit.MDC_DIM_MMHG, diastolic),
      valid(VitalParameter.MDC_PRESS_BLD_NONINV_MEAN, Unit.MDC_DIM_MMHG, Math.round(diastolic + (systolic - diastolic) / 3)),
      valid(VitalParameter.MDC_PULS_RATE_NON_INV, Unit.MDC_DIM_BEAT_PER_MIN, Math.round(72 + 6 * wave(index, 11))),
    ],
    recordNumber: 0,
    mealContext: 0,
  };
}

/** A body temperature reading (°C, one decimal). */
export function thermometerReading(index: number, baseTimeMs = DEFAULT_BASE_MS): Reading {
  return {
    measuredAtMs: baseTimeMs + index * 1000,
    observations: [valid(VitalParameter.MDC_TEMP_BODY, Unit.MDC_DIM_DEGC, Math.round((36.8 + 0.3 * wave(index, 29)) * 10) / 10)],
    recordNumber: 0,
    mealContext: 0,
  };
}

/** A capillary glucose reading (mg/dL) with its record number and meal context. */
export function glucoseReading(index: number, baseTimeMs = DEFAULT_BASE_MS): Reading {
  return {
    measuredAtMs: baseTimeMs + index * 1000,
    observations: [valid(VitalParameter.MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD, Unit.MDC_DIM_MILLI_G_PER_DL, Math.round(105 + 25 * wave(index, 13)))],
    recordNumber: index + 1,
    mealContext: index % 2 === 0 ? MealContext.MEAL_CONTEXT_PREPRANDIAL : MealContext.MEAL_CONTEXT_POSTPRANDIAL,
  };
}
