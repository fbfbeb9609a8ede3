/**
 * The JSON export of readings (src/json.ts): MDC reference ids and codes, UCUM units, ISO 8601
 * times, numbers unchanged.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MAX_SAFE_UINT64,
  MealContext,
  MeasurementStatus,
  Unit,
  VitalParameter,
  decodeMessage,
  encodeMessage,
  ucumOf,
  vitalSignReadingToJson,
  type MessageFields,
} from '@medsim/protocol';
import { validMessage } from './arbitraries.js';
import { SEED, T0, encodeUnchecked, refusal, samples } from './fixtures.js';

/** A reading as the gateway holds it: encoded, decoded and validated. */
const received = (fields: MessageFields['VitalSignReading']) => decodeMessage('VitalSignReading', encodeMessage('VitalSignReading', fields));

describe('vitalSignReadingToJson', () => {
  it('[CTL-09] gives MDC ids and codes, UCUM units and an ISO 8601 time', { tags: ['CTL-09'] }, () => {
    expect(vitalSignReadingToJson('pulse-ox-0001', received(samples.VitalSignReading))).toEqual({
      deviceId: 'pulse-ox-0001',
      measuredAt: '2026-11-28T12:00:00.000Z',
      observations: [
        { mdc: 'MDC_PULS_OXIM_SAT_O2', code: 150_456, value: 97, unit: '%', unitCode: 262_688, status: 'VALID' },
        { mdc: 'MDC_PULS_OXIM_PULS_RATE', code: 149_530, value: 72, unit: '/min', unitCode: 264_864, status: 'VALID' },
      ],
    });
  });

  it('[CTL-09] includes the record number and meal context of a glucose reading', { tags: ['CTL-09'] }, () => {
    const glucose = received({
      measuredAtMs: T0 + 1,
      recordNumber: 17,
      mealContext: MealContext.MEAL_CONTEXT_FASTING,
      observations: [
        {
          parameter: VitalParameter.MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD,
          unit: Unit.MDC_DIM_MILLI_MOLE_PER_L,
          value: 5.4,
          status: MeasurementStatus.MEASUREMENT_STATUS_QUESTIONABLE,
        },
      ],
    });
    expect(vitalSignReadingToJson('glucose-meter-7', glucose)).toEqual({
      deviceId: 'glucose-meter-7',
      measuredAt: '2026-11-28T12:00:00.001Z',
      recordNumber: 17,
      mealContext: 'FASTING',
      observations: [
        { mdc: 'MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD', code: 160_184, value: 5.4, unit: 'mmol/L', unitCode: 266_866, status: 'QUESTIONABLE' },
      ],
    });
  });

  it('[CTL-09] is lossless for every valid reading: same numbers, codes and time after JSON.stringify (property)', { tags: ['CTL-09'] }, () => {
    fc.assert(
      fc.property(validMessage.VitalSignReading, (fields) => {
        const reading = received(fields);
        const json = vitalSignReadingToJson('pulse-ox-0001', reading);
        expect(JSON.parse(JSON.stringify(json))).toEqual(json);
        expect(Date.parse(json.measuredAt)).toBe(reading.measuredAtMs);
        expect(json.observations.map((o) => [o.code, o.unitCode, o.value, o.unit])).toEqual(
          reading.observations.map((o) => [o.parameter, o.unit, o.value, ucumOf(o.unit ?? 0)]),
        );
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('[CTL-23] a valid time beyond what Date can show (up to 2^53 - 1 ms) ends in a ProtocolError, not a RangeError', { tags: ['CTL-23'] }, () => {
    // 8.64e15 ms (year 275760) is the last instant an ECMAScript Date holds; the protocol allows
    // uint64 times up to 2^53 - 1. Either the codec or the export must refuse with a typed error.
    refusal(() =>
      vitalSignReadingToJson('pulse-ox-0001', decodeMessage('VitalSignReading', encodeUnchecked('VitalSignReading', { ...samples.VitalSignReading, measuredAtMs: MAX_SAFE_UINT64 }))),
    );
  });
});
