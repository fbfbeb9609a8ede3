/**
 * Deterministic readings for tests and the demo: a pulse-oximeter reading per index.
 */
import { MeasurementStatus, Unit, VitalParameter, type MessageFields } from '@medsim/protocol';

/** A valid SpO2 + pulse reading; `index` varies the values and time deterministically. */
export function pulseOximeterReading(index: number, baseTimeMs = Date.UTC(2026, 10, 28)): MessageFields['VitalSignReading'] {
  return {
    measuredAtMs: baseTimeMs + index * 1000,
    observations: [
      { parameter: VitalParameter.MDC_PULS_OXIM_SAT_O2, unit: Unit.MDC_DIM_PERCENT, value: 94 + (index % 5), status: MeasurementStatus.MEASUREMENT_STATUS_VALID },
      { parameter: VitalParameter.MDC_PULS_OXIM_PULS_RATE, unit: Unit.MDC_DIM_BEAT_PER_MIN, value: 60 + (index % 30), status: MeasurementStatus.MEASUREMENT_STATUS_VALID },
    ],
    recordNumber: 0,
    mealContext: 0,
  };
}
