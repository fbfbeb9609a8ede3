/**
 * Glucose Service 1.0 codecs and the Record Access Control Point procedure
 * (src/gatt/glucose-service.ts): GLS 1.0 §3 and §4.9 / GSS §3.105-§3.108 and §3.178 field
 * tables; RACP refusals follow the invalid-behaviour cases of the GLS test specification
 * (GLS.TS, SPE/BI: unsupported op code, invalid operator, unsupported operator, invalid operand,
 * unsupported filter type).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  GLS_ATT_ERROR,
  GLUCOSE_CARBOHYDRATE,
  GLUCOSE_FEATURE_BITS,
  GLUCOSE_HEALTH,
  GLUCOSE_MEAL,
  GLUCOSE_MEDICATION,
  GLUCOSE_SAMPLE_LOCATION,
  GLUCOSE_SAMPLE_TYPE,
  GLUCOSE_SENSOR_STATUS_BITS,
  GLUCOSE_TESTER,
  RACP_RESPONSE_CODE,
  decodeGlucoseFeature,
  decodeGlucoseMeasurement,
  decodeGlucoseMeasurementContext,
  decodeRacpRequest,
  decodeRacpResponse,
  encodeGlucoseFeature,
  encodeGlucoseMeasurement,
  encodeGlucoseMeasurementContext,
  encodeRacpRequest,
  encodeRacpResponse,
  racpRefusalCode,
  runRacpProcedure,
  type GlucoseMeasurement,
  type GlucoseMeasurementContext,
  type RacpRequest,
  type RacpResponse,
} from '../../src/index.js';
import { SEED, codeOf, dateTime, defined, expectByteExactRoundTrip, expectCanonicalOrRefused, flagSet, hex, mutated, n, optional, sfloat, thrown, toHex } from './helpers.js';

const keys = <T extends object>(table: T): (keyof T)[] => Object.keys(table) as (keyof T)[];

const measurement = (): fc.Arbitrary<GlucoseMeasurement> =>
  fc
    .record({
      sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
      baseTime: dateTime(),
      timeOffsetMinutes: optional(fc.integer({ min: -0x8000, max: 0x7fff })),
      concentration: optional(
        fc.record({
          value: sfloat(),
          unit: fc.constantFrom('kg/L' as const, 'mol/L' as const),
          type: fc.constantFrom(...keys(GLUCOSE_SAMPLE_TYPE)),
          sampleLocation: fc.constantFrom(...keys(GLUCOSE_SAMPLE_LOCATION)),
        }),
      ),
      sensorStatus: optional(flagSet(keys(GLUCOSE_SENSOR_STATUS_BITS))),
      contextFollows: fc.boolean(),
    })
    .map(defined);

const context = (): fc.Arbitrary<GlucoseMeasurementContext> =>
  fc
    .record({
      sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
      extendedFlags: optional(fc.constant(true)),
      carbohydrate: optional(fc.record({ id: fc.constantFrom(...keys(GLUCOSE_CARBOHYDRATE)), kilograms: sfloat() })),
      meal: optional(fc.constantFrom(...keys(GLUCOSE_MEAL))),
      testerHealth: optional(fc.record({ tester: fc.constantFrom(...keys(GLUCOSE_TESTER)), health: fc.constantFrom(...keys(GLUCOSE_HEALTH)) })),
      exercise: optional(fc.record({ durationSeconds: fc.integer({ min: 0, max: 0xffff }), intensityPercent: fc.integer({ min: 0, max: 100 }) })),
      medication: optional(fc.record({ id: fc.constantFrom(...keys(GLUCOSE_MEDICATION)), amount: sfloat(), unit: fc.constantFrom('kg' as const, 'L' as const) })),
      hbA1c: optional(sfloat()),
    })
    .map(defined);

const BASE_TIME = { year: 2024, month: 1, day: 15, hours: 8, minutes: 30, seconds: 0 };

describe('Glucose Measurement (0x2A18)', () => {
  it('[CTL-09] encodes 5.5 mmol/L capillary whole blood from a finger', { tags: ['CTL-09'] }, () => {
    // Flags 0x06: concentration present, unit mol/L. 5.5 mmol/L = 0.0055 mol/L = 55 × 10^-4 = SFLOAT
    // 0xC037. Type-Sample Location 0x11: type 1 (capillary whole blood, low nibble), location 1 (finger, high nibble).
    const bytes = encodeGlucoseMeasurement({
      sequenceNumber: 1,
      baseTime: BASE_TIME,
      concentration: { value: 0.0055, unit: 'mol/L', type: 'capillaryWholeBlood', sampleLocation: 'finger' },
    });
    expect(toHex(bytes)).toBe('06 01 00 e8 07 01 0f 08 1e 00 37 c0 11');
    const decoded = decodeGlucoseMeasurement(bytes);
    expect(n(decoded.concentration?.value)).toBe(0.0055);
    expect(decoded.concentration).toMatchObject({ unit: 'mol/L', type: 'capillaryWholeBlood', sampleLocation: 'finger' });
  });

  it('[CTL-09] places time offset, kg/L concentration, nibbles and sensor status in spec order', { tags: ['CTL-09'] }, () => {
    // 100 mg/dL = 0.001 kg/L = 1 × 10^-3 = 0xD001; interstitial fluid (9) from an AST site (2) = 0x29;
    // status bit 0 (battery low) + bit 11 (time fault) = 0x0801; context follows (bit 4).
    const bytes = encodeGlucoseMeasurement({
      sequenceNumber: 0x0102,
      baseTime: BASE_TIME,
      timeOffsetMinutes: -60,
      concentration: { value: 0.001, unit: 'kg/L', type: 'interstitialFluid', sampleLocation: 'alternateSiteTest' },
      sensorStatus: { deviceBatteryLow: true, timeFault: true },
      contextFollows: true,
    });
    expect(toHex(bytes)).toBe('1b 02 01 e8 07 01 0f 08 1e 00 c4 ff 01 d0 29 01 08');
    expect(decodeGlucoseMeasurement(bytes)).toMatchObject({ sequenceNumber: 258, timeOffsetMinutes: -60, contextFollows: true, sensorStatus: { timeFault: true, stripInsertionError: false } });
  });

  it('[CTL-09] round-trips any measurement byte-exactly', { tags: ['CTL-09'] }, () => {
    expectByteExactRoundTrip(measurement(), encodeGlucoseMeasurement, decodeGlucoseMeasurement, (value, decoded) => {
      expect(decoded.sequenceNumber).toBe(value.sequenceNumber);
      expect(decoded.concentration?.type).toBe(value.concentration?.type);
      expect(decoded.concentration?.sampleLocation).toBe(value.concentration?.sampleLocation);
    });
  });

  it('[CTL-09] refuses reserved flags, types, locations, status bits and stray unit bits', { tags: ['CTL-09'] }, () => {
    const head = '01 00 e8 07 01 0f 08 1e 00';
    expect(codeOf(() => decodeGlucoseMeasurement(hex(`20 ${head}`)))).toBe('ERR_BLE_MALFORMED_VALUE');
    expect(thrown(() => decodeGlucoseMeasurement(hex(`04 ${head}`))).details).toMatchObject({ reason: 'unit bit set without a concentration' });
    expect(thrown(() => decodeGlucoseMeasurement(hex(`02 ${head} 37 c0 1b`))).details).toMatchObject({ field: 'concentration.type' }); // type 11
    expect(thrown(() => decodeGlucoseMeasurement(hex(`02 ${head} 37 c0 51`))).details).toMatchObject({ field: 'concentration.sampleLocation' }); // location 5
    expect(thrown(() => decodeGlucoseMeasurement(hex(`08 ${head} 00 10`))).details).toMatchObject({ field: 'sensorStatus' }); // bit 12
    expect(codeOf(() => decodeGlucoseMeasurement(hex(`02 ${head} 01 08 11`)))).toBe('ERR_BLE_RESERVED_VALUE');
    expect(codeOf(() => decodeGlucoseMeasurement(hex('00 01 00 e8 07 01')))).toBe('ERR_BLE_MALFORMED_VALUE');
    fc.assert(
      fc.property(mutated(measurement().map(encodeGlucoseMeasurement)), (bytes) => expectCanonicalOrRefused(bytes, decodeGlucoseMeasurement, encodeGlucoseMeasurement)),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('Glucose Measurement Context (0x2A34)', () => {
  it('[CTL-09] encodes and decodes every field the flags select, in spec order', { tags: ['CTL-09'] }, () => {
    const full: GlucoseMeasurementContext = {
      sequenceNumber: 1,
      extendedFlags: true,
      carbohydrate: { id: 'breakfast', kilograms: { value: 0.05, exponent: -3 } }, // 50 g
      meal: 'postprandial',
      testerHealth: { tester: 'self', health: 'noHealthIssues' },
      exercise: { durationSeconds: 1800, intensityPercent: 60 },
      medication: { id: 'rapidActingInsulin', amount: { value: 0.00004, exponent: -6 }, unit: 'L' }, // 4 U at 100 U/mL
      hbA1c: { value: 6.5, exponent: -1 },
    };
    // Flags 0xFF; extended flags 00; carbohydrate 01 + 50 × 10^-3 (0xD032); meal 02; tester-health
    // 0x51 (self = 1 low nibble, no health issues = 5 high nibble); exercise 1800 s (0x0708), 60 %;
    // medication 01 + 40 × 10^-6 (0xA028); HbA1c 65 × 10^-1 (0xF041).
    const bytes = encodeGlucoseMeasurementContext(full);
    expect(toHex(bytes)).toBe('ff 01 00 00 01 32 d0 02 51 08 07 3c 01 28 a0 41 f0');
    const decoded = decodeGlucoseMeasurementContext(bytes);
    expect(decoded).toMatchObject({ sequenceNumber: 1, extendedFlags: true, meal: 'postprandial', testerHealth: full.testerHealth, exercise: full.exercise });
    expect(decoded.medication).toMatchObject({ id: 'rapidActingInsulin', unit: 'L' });
    expect(n(decoded.hbA1c)).toBe(6.5);
    expect(toHex(encodeGlucoseMeasurementContext({ sequenceNumber: 7 }))).toBe('00 07 00');
    expect(toHex(encodeGlucoseMeasurementContext({ sequenceNumber: 7, medication: { id: 'longActingInsulin', amount: 0.001, unit: 'kg' } }))).toBe('10 07 00 04 01 d0');
  });

  it('[CTL-09] round-trips any context byte-exactly', { tags: ['CTL-09'] }, () => {
    expectByteExactRoundTrip(context(), encodeGlucoseMeasurementContext, decodeGlucoseMeasurementContext);
  });

  it('[CTL-09] refuses reserved values, set extended flags and stray unit bits', { tags: ['CTL-09'] }, () => {
    expect(codeOf(() => decodeGlucoseMeasurementContext(hex('80 01 00 01')))).toBe('ERR_BLE_MALFORMED_VALUE'); // extended flag bit
    expect(codeOf(() => decodeGlucoseMeasurementContext(hex('01 01 00 08 32 d0')))).toBe('ERR_BLE_MALFORMED_VALUE'); // carbohydrate id 8
    expect(codeOf(() => decodeGlucoseMeasurementContext(hex('02 01 00 06')))).toBe('ERR_BLE_MALFORMED_VALUE'); // meal 6
    expect(codeOf(() => decodeGlucoseMeasurementContext(hex('04 01 00 54')))).toBe('ERR_BLE_MALFORMED_VALUE'); // tester 4
    expect(codeOf(() => decodeGlucoseMeasurementContext(hex('04 01 00 61')))).toBe('ERR_BLE_MALFORMED_VALUE'); // health 6
    expect(codeOf(() => decodeGlucoseMeasurementContext(hex('08 01 00 08 07 65')))).toBe('ERR_BLE_MALFORMED_VALUE'); // 101 %
    expect(codeOf(() => decodeGlucoseMeasurementContext(hex('20 01 00')))).toBe('ERR_BLE_MALFORMED_VALUE'); // unit without medication
    expect(codeOf(() => decodeGlucoseMeasurementContext(hex('40 01 00 01 08')))).toBe('ERR_BLE_RESERVED_VALUE');
    expect(codeOf(() => encodeGlucoseMeasurementContext({ sequenceNumber: 1, exercise: { durationSeconds: 60, intensityPercent: 101 } }))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
    fc.assert(
      fc.property(mutated(context().map(encodeGlucoseMeasurementContext)), (bytes) =>
        expectCanonicalOrRefused(bytes, decodeGlucoseMeasurementContext, encodeGlucoseMeasurementContext),
      ),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('Glucose Feature (0x2A51)', () => {
  it('[CTL-09] carries feature bits 0-10 and refuses 11-15', { tags: ['CTL-09'] }, () => {
    expect(toHex(encodeGlucoseFeature({ lowBatteryDetection: true, multipleBond: true }))).toBe('01 04');
    const all = Object.fromEntries(Object.keys(GLUCOSE_FEATURE_BITS).map((name) => [name, true]));
    expect(decodeGlucoseFeature(hex('ff 07'))).toEqual(all);
    expect(codeOf(() => decodeGlucoseFeature(hex('00 08')))).toBe('ERR_BLE_MALFORMED_VALUE');
  });
});

describe('Record Access Control Point (0x2A52)', () => {
  it('[CTL-09] encodes the requests of GLS 1.0 §3.3.3 byte-exactly', { tags: ['CTL-09'] }, () => {
    const cases: [RacpRequest, string][] = [
      [{ opCode: 'reportStoredRecords', filter: { operator: 'allRecords' } }, '01 01'],
      [{ opCode: 'reportStoredRecords', filter: { operator: 'greaterThanOrEqualTo', sequenceNumber: 0x0102 } }, '01 03 01 02 01'],
      [{ opCode: 'reportStoredRecords', filter: { operator: 'lessThanOrEqualTo', sequenceNumber: 5 } }, '01 02 01 05 00'],
      [{ opCode: 'reportStoredRecords', filter: { operator: 'withinRangeOf', min: 3, max: 9 } }, '01 04 01 03 00 09 00'],
      [{ opCode: 'deleteStoredRecords', filter: { operator: 'firstRecord' } }, '02 05'],
      [{ opCode: 'reportNumberOfStoredRecords', filter: { operator: 'lastRecord' } }, '04 06'],
      [{ opCode: 'abortOperation' }, '03 00'],
    ];
    for (const [request, bytes] of cases) {
      expect(toHex(encodeRacpRequest(request))).toBe(bytes);
      expect(decodeRacpRequest(hex(bytes))).toEqual(request);
    }
    const responses: [RacpResponse, string][] = [
      [{ opCode: 'numberOfStoredRecordsResponse', count: 300 }, '05 00 2c 01'],
      [{ opCode: 'responseCode', requestOpCode: 1, responseCode: 'success' }, '06 00 01 01'],
      [{ opCode: 'responseCode', requestOpCode: 1, responseCode: 'noRecordsFound' }, '06 00 01 06'],
    ];
    for (const [response, bytes] of responses) {
      expect(toHex(encodeRacpResponse(response))).toBe(bytes);
      expect(decodeRacpResponse(hex(bytes))).toEqual(response);
    }
    expect(Object.values(RACP_RESPONSE_CODE)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(codeOf(() => decodeRacpResponse(hex('06 00 01 0a')))).toBe('ERR_BLE_MALFORMED_VALUE'); // reserved response code
    expect(codeOf(() => decodeRacpResponse(hex('01 01')))).toBe('ERR_BLE_MALFORMED_VALUE');
    expect(codeOf(() => encodeRacpRequest({ opCode: 'reportStoredRecords', filter: { operator: 'withinRangeOf', min: 9, max: 3 } }))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
  });

  it('[CTL-09] answers each malformed request with the response code the spec gives', { tags: ['CTL-09'] }, () => {
    const stored = [1, 2, 3];
    const answer = (bytes: string): string => toHex(encodeRacpResponse(runRacpProcedure(stored, hex(bytes)).response as RacpResponse));
    expect(answer('07 01')).toBe('06 00 07 02'); // reserved op code → op code not supported
    expect(answer('05 00 00 00')).toBe('06 00 05 02'); // a response op code written by the collector
    expect(answer('06 00 01 01')).toBe('06 00 06 02');
    expect(answer('')).toBe('06 00 00 02');
    expect(answer('01 00')).toBe('06 00 01 03'); // Null operator → invalid operator
    expect(answer('01')).toBe('06 00 01 03'); // no operator at all
    expect(answer('03 01')).toBe('06 00 03 03'); // abort with an operator
    expect(answer('01 07')).toBe('06 00 01 04'); // reserved operator → operator not supported
    expect(answer('01 01 01')).toBe('06 00 01 05'); // operand where none belongs → invalid operand
    expect(answer('01 03')).toBe('06 00 01 05'); // missing operand
    expect(answer('01 03 01 02')).toBe('06 00 01 05'); // short operand
    expect(answer('01 04 01 09 00 03 00')).toBe('06 00 01 05'); // min > max
    expect(answer('01 03 00 01 00')).toBe('06 00 01 05'); // filter type 0
    expect(answer('01 03 02 00 00 00 00 00 00 00')).toBe('06 00 01 09'); // user facing time → operand not supported
    expect(answer('01 03 07 01 00')).toBe('06 00 01 09'); // reserved filter type
    expect(answer('03 00 00')).toBe('06 00 03 05'); // abort with an operand
    // The strict decoder refuses the same bytes, naming the response code.
    expect(racpRefusalCode(thrown(() => decodeRacpRequest(hex('01 07'))))).toBe('operatorNotSupported');
    expect(racpRefusalCode(new Error('other'))).toBeUndefined();
  });

  it('[CTL-09] selects, counts and deletes records by sequence number', { tags: ['CTL-09'] }, () => {
    const stored = [7, 3, 5, 9, 5]; // unordered, with a duplicate
    const run = (request: RacpRequest): ReturnType<typeof runRacpProcedure> => runRacpProcedure(stored, request);
    expect(run({ opCode: 'reportStoredRecords', filter: { operator: 'allRecords' } })).toEqual({
      report: [3, 5, 7, 9],
      delete: [],
      response: { opCode: 'responseCode', requestOpCode: 1, responseCode: 'success' },
    });
    expect(run({ opCode: 'reportStoredRecords', filter: { operator: 'greaterThanOrEqualTo', sequenceNumber: 6 } }).report).toEqual([7, 9]);
    expect(run({ opCode: 'reportStoredRecords', filter: { operator: 'lessThanOrEqualTo', sequenceNumber: 5 } }).report).toEqual([3, 5]);
    expect(run({ opCode: 'reportStoredRecords', filter: { operator: 'withinRangeOf', min: 4, max: 7 } }).report).toEqual([5, 7]);
    expect(run({ opCode: 'reportStoredRecords', filter: { operator: 'firstRecord' } }).report).toEqual([3]);
    expect(run({ opCode: 'reportStoredRecords', filter: { operator: 'lastRecord' } }).report).toEqual([9]);
    expect(run({ opCode: 'reportStoredRecords', filter: { operator: 'greaterThanOrEqualTo', sequenceNumber: 10 } })).toEqual({
      report: [],
      delete: [],
      response: { opCode: 'responseCode', requestOpCode: 1, responseCode: 'noRecordsFound' },
    });
    expect(run({ opCode: 'reportNumberOfStoredRecords', filter: { operator: 'allRecords' } }).response).toEqual({ opCode: 'numberOfStoredRecordsResponse', count: 4 });
    expect(run({ opCode: 'reportNumberOfStoredRecords', filter: { operator: 'greaterThanOrEqualTo', sequenceNumber: 100 } }).response).toEqual({ opCode: 'numberOfStoredRecordsResponse', count: 0 });
    expect(run({ opCode: 'deleteStoredRecords', filter: { operator: 'lessThanOrEqualTo', sequenceNumber: 5 } })).toEqual({
      report: [],
      delete: [3, 5],
      response: { opCode: 'responseCode', requestOpCode: 2, responseCode: 'success' },
    });
    expect(runRacpProcedure([], hex('01 01')).response).toEqual({ opCode: 'responseCode', requestOpCode: 1, responseCode: 'noRecordsFound' });
    expect(codeOf(() => runRacpProcedure([70_000], hex('01 01')))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
  });

  it('[CTL-16] aborts a running procedure and refuses others while one runs', { tags: ['CTL-16'] }, () => {
    expect(runRacpProcedure([1], hex('03 00'), { procedureInProgress: true }).response).toEqual({ opCode: 'responseCode', requestOpCode: 3, responseCode: 'success' });
    expect(runRacpProcedure([1], hex('03 00')).response).toEqual({ opCode: 'responseCode', requestOpCode: 3, responseCode: 'abortUnsuccessful' });
    // GLS 1.0 §2.2: a request while a procedure runs gets ATT error 0x80 and no indication.
    expect(runRacpProcedure([1], hex('01 01'), { procedureInProgress: true })).toEqual({ attError: GLS_ATT_ERROR.procedureAlreadyInProgress, report: [], delete: [] });
    expect(runRacpProcedure([1], hex('09'), { procedureInProgress: true }).attError).toBe(0x80);
  });

  it('[CTL-09] answers any bytes with a response and never throws', { tags: ['CTL-09'] }, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 20 }), fc.boolean(), (bytes, stored, inProgress) => {
        const result = runRacpProcedure(stored, bytes, { procedureInProgress: inProgress });
        if (result.attError === undefined) expect(result.response).toBeDefined();
        else expect(result.response).toBeUndefined();
        for (const sequenceNumber of [...result.report, ...result.delete]) expect(stored).toContain(sequenceNumber);
        if (result.response !== undefined) expect(decodeRacpResponse(encodeRacpResponse(result.response))).toEqual(result.response);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});
