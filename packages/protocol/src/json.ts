/**
 * A plain JSON form of a reading, for interoperability exports (e.g. a JWE any JOSE library can
 * open): MDC reference ids and codes, UCUM units, ISO 8601 times. Lossless for the numbers.
 */
import { MealContext, MeasurementStatus, type Observation, type VitalSignReading } from './schema.js';
import { parameterSpec, ucumOf } from './vital-parameters.js';

/** One observation as JSON. */
export interface ObservationJson {
  /** MDC reference id, e.g. "MDC_PULS_OXIM_SAT_O2". */
  readonly mdc: string;
  /** MDC context-free code, e.g. 150456. */
  readonly code: number;
  readonly value: number;
  /** UCUM unit, e.g. "%". */
  readonly unit: string;
  /** MDC dimension code of the unit. */
  readonly unitCode: number;
  /** "VALID", "QUESTIONABLE", ... */
  readonly status: string;
}

/** A reading as JSON. */
export interface VitalSignReadingJson {
  readonly deviceId: string;
  readonly measuredAt: string;
  readonly recordNumber?: number;
  readonly mealContext?: string;
  readonly observations: readonly ObservationJson[];
}

const stripPrefix = (name: string | undefined, prefix: string): string => (name ?? 'UNKNOWN').replace(prefix, '');

/** The JSON form of a validated reading from `deviceId`. */
export function vitalSignReadingToJson(deviceId: string, reading: VitalSignReading): VitalSignReadingJson {
  const observations = (reading.observations as Observation[]).map((o) => ({
    mdc: parameterSpec(o.parameter)?.mdc ?? String(o.parameter),
    code: o.parameter,
    value: o.value,
    unit: ucumOf(o.unit) ?? '',
    unitCode: o.unit,
    status: stripPrefix(MeasurementStatus[o.status], 'MEASUREMENT_STATUS_'),
  }));
  return {
    deviceId,
    measuredAt: new Date(reading.measuredAtMs).toISOString(),
    ...(reading.recordNumber === 0 ? {} : { recordNumber: reading.recordNumber }),
    ...(reading.mealContext === MealContext.MEAL_CONTEXT_UNSPECIFIED ? {} : { mealContext: stripPrefix(MealContext[reading.mealContext], 'MEAL_CONTEXT_') }),
    observations,
  };
}
