/**
 * Field rules of vitals.proto (src/internal/validate/vitals.ts), through decodeMessage: every
 * observation is a numeric IEEE 11073 parameter in a unit allowed for it, within that unit's range.
 */
import { describe, expect, it } from 'vitest';
import { MeasurementStatus, REPEATED_LIMITS, Unit, VitalParameter, type v1 } from '@medsim/protocol';
import { type Loose, decodingFields, expectAccepted, expectRefusal, samples, spo2 } from '../fixtures.js';

const reading = samples.VitalSignReading;
const FIRST = 'VitalSignReading.observations[0]';

/** A thunk decoding the sample reading with `observation` as its only observation. */
const decodingObservation = (observation: Loose<v1.Observation.$Properties>) =>
  decodingFields('VitalSignReading', { ...reading, observations: [{ ...spo2, ...observation }] });

describe('Observation', () => {
  it('[CTL-09] ERR_PROTOCOL_OUT_OF_RANGE: SpO2 of 101 % or below 0 %', { tags: ['CTL-09'] }, () => {
    const error = expectRefusal(decodingObservation({ value: 101 }), 'ERR_PROTOCOL_OUT_OF_RANGE', `${FIRST}.value`);
    expect(error.details).toMatchObject({ min: 0, max: 100 });
    expectRefusal(decodingObservation({ value: -0.001 }), 'ERR_PROTOCOL_OUT_OF_RANGE', `${FIRST}.value`);
    expectAccepted('VitalSignReading', { ...reading, observations: [{ ...spo2, value: 0 }, { ...spo2, value: 100 }] });
  });

  it('[CTL-09] ERR_PROTOCOL_OUT_OF_RANGE: NaN and infinities', { tags: ['CTL-09'] }, () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expectRefusal(decodingObservation({ value }), 'ERR_PROTOCOL_OUT_OF_RANGE', `${FIRST}.value`);
    }
  });

  it('[CTL-09] the range depends on the unit: glucose 5.5 is fine in mmol/L, impossible in mg/dL', { tags: ['CTL-09'] }, () => {
    const glucose = { parameter: VitalParameter.MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD, value: 5.5 };
    expectAccepted('VitalSignReading', { ...reading, observations: [{ ...spo2, ...glucose, unit: Unit.MDC_DIM_MILLI_MOLE_PER_L }] });
    expectRefusal(decodingObservation({ ...glucose, unit: Unit.MDC_DIM_MILLI_G_PER_DL }), 'ERR_PROTOCOL_OUT_OF_RANGE', `${FIRST}.value`);
  });

  it('[CTL-09] ERR_PROTOCOL_INCONSISTENT: SpO2 in mmHg', { tags: ['CTL-09'] }, () => {
    const error = expectRefusal(decodingObservation({ unit: Unit.MDC_DIM_MMHG }), 'ERR_PROTOCOL_INCONSISTENT', `${FIRST}.unit`);
    expect(error.details.rule).toContain('MDC_PULS_OXIM_SAT_O2');
  });

  it('[CTL-09] ERR_PROTOCOL_INCONSISTENT: a waveform parameter (ECG lead II) as an observation', { tags: ['CTL-09'] }, () => {
    const ecg = { parameter: VitalParameter.MDC_ECG_ELEC_POTL_II, unit: Unit.MDC_DIM_MILLI_VOLT, value: 1 };
    expectRefusal(decodingObservation(ecg), 'ERR_PROTOCOL_INCONSISTENT', `${FIRST}.parameter`);
  });

  it('[CTL-09] ERR_PROTOCOL_UNKNOWN_ENUM: parameter 12345, unit 999, status 99', { tags: ['CTL-09'] }, () => {
    expectRefusal(decodingObservation({ parameter: 12_345 }), 'ERR_PROTOCOL_UNKNOWN_ENUM', `${FIRST}.parameter`);
    expectRefusal(decodingObservation({ unit: 999 }), 'ERR_PROTOCOL_UNKNOWN_ENUM', `${FIRST}.unit`);
    expectRefusal(decodingObservation({ status: 99 }), 'ERR_PROTOCOL_UNKNOWN_ENUM', `${FIRST}.status`);
  });

  it('[CTL-09] ERR_PROTOCOL_MISSING_FIELD: no parameter, no unit, no status', { tags: ['CTL-09'] }, () => {
    expectRefusal(decodingObservation({ parameter: VitalParameter.VITAL_PARAMETER_UNSPECIFIED }), 'ERR_PROTOCOL_MISSING_FIELD', `${FIRST}.parameter`);
    expectRefusal(decodingObservation({ unit: Unit.UNIT_UNSPECIFIED }), 'ERR_PROTOCOL_MISSING_FIELD', `${FIRST}.unit`);
    expectRefusal(decodingObservation({ status: MeasurementStatus.MEASUREMENT_STATUS_UNSPECIFIED }), 'ERR_PROTOCOL_MISSING_FIELD', `${FIRST}.status`);
  });

  it('[CTL-09] the field path names the observation that failed', { tags: ['CTL-09'] }, () => {
    const observations = [spo2, spo2, { ...spo2, value: 100.5 }];
    expectRefusal(decodingFields('VitalSignReading', { ...reading, observations }), 'ERR_PROTOCOL_OUT_OF_RANGE', 'VitalSignReading.observations[2].value');
  });

  it('[CTL-23] a refusal names the field and the range, never the measured value (PHI)', { tags: ['CTL-23'] }, () => {
    const error = expectRefusal(decodingObservation({ value: 101.37 }), 'ERR_PROTOCOL_OUT_OF_RANGE');
    expect(error.message).not.toContain('101.37');
    expect(JSON.stringify(error.details)).not.toContain('101.37');
  });
});

describe('VitalSignReading', () => {
  it(`[CTL-09][CTL-16] ERR_PROTOCOL_OUT_OF_RANGE: 33 observations (the limit is ${REPEATED_LIMITS.observations.max})`, { tags: ['CTL-09', 'CTL-16'] }, () => {
    expectAccepted('VitalSignReading', { ...reading, observations: Array.from({ length: 32 }, () => spo2) });
    const error = expectRefusal(
      decodingFields('VitalSignReading', { ...reading, observations: Array.from({ length: 33 }, () => spo2) }),
      'ERR_PROTOCOL_OUT_OF_RANGE',
      'VitalSignReading.observations',
    );
    expect(error.details).toMatchObject({ min: 1, max: 32 });
  });

  it('[CTL-09] ERR_PROTOCOL_MISSING_FIELD: no observation, no measurement time', { tags: ['CTL-09'] }, () => {
    expectRefusal(decodingFields('VitalSignReading', { ...reading, observations: [] }), 'ERR_PROTOCOL_MISSING_FIELD', 'VitalSignReading.observations');
    expectRefusal(decodingFields('VitalSignReading', { ...reading, measuredAtMs: 0 }), 'ERR_PROTOCOL_MISSING_FIELD', 'VitalSignReading.measuredAtMs');
  });

  it('[CTL-09] the meal context is optional but must be defined when present', { tags: ['CTL-09'] }, () => {
    expectAccepted('VitalSignReading', { ...reading, mealContext: 0, recordNumber: 0xffff_ffff });
    expectRefusal(decodingFields('VitalSignReading', { ...reading, mealContext: 6 }), 'ERR_PROTOCOL_UNKNOWN_ENUM', 'VitalSignReading.mealContext');
  });
});
