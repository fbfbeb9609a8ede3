/** Validation of medsim.v1 vitals.proto messages. */
import { REPEATED_LIMITS } from '../../limits.js';
import { MealContext, MeasurementStatus, Unit, VitalParameter, type Observation, type VitalSignReading } from '../../schema.js';
import { parameterSpec, type ParameterKind } from '../../vital-parameters.js';
import { countIn, finiteIn, inconsistent, integerIn, knownEnum, noUnknownFields, timestamp } from './checks.js';

/**
 * A parameter and unit pair: both known, the parameter of the expected kind, the unit allowed
 * for it. Returns the value range for that unit.
 */
export function checkParameterUnit(
  parameter: number,
  unit: number,
  kind: ParameterKind,
  path: string,
): { readonly min: number; readonly max: number } {
  knownEnum(VitalParameter, parameter, path, 'parameter');
  knownEnum(Unit, unit, path, 'unit');
  const spec = parameterSpec(parameter);
  if (spec === undefined) return inconsistent(path, 'parameter', 'parameter has no spec');
  if (spec.kind !== kind) inconsistent(path, 'parameter', `a ${spec.kind} parameter where a ${kind} one is expected`);
  const allowed = spec.units.find((u) => u.unit === (unit as Unit));
  if (allowed === undefined) return inconsistent(path, 'unit', `unit not allowed for ${spec.mdc}`);
  return allowed;
}

/** One observation: a numeric parameter, an allowed unit and a value within its range. */
export function validateObservation(m: Observation, path = 'Observation'): void {
  noUnknownFields(m, path);
  const range = checkParameterUnit(m.parameter, m.unit, 'numeric', path);
  finiteIn(m.value, path, 'value', range.min, range.max);
  knownEnum(MeasurementStatus, m.status, path, 'status');
}

/** A reading: 1 to 32 observations. */
export function validateVitalSignReading(m: VitalSignReading, path = 'VitalSignReading'): void {
  noUnknownFields(m, path);
  timestamp(m.measuredAtMs, path, 'measuredAtMs');
  countIn(m.observations, path, 'observations', REPEATED_LIMITS.observations);
  (m.observations as Observation[]).forEach((o, i) => validateObservation(o, `${path}.observations[${i}]`));
  integerIn(m.recordNumber, path, 'recordNumber', 0, 0xffff_ffff);
  knownEnum(MealContext, m.mealContext, path, 'mealContext', true);
}
