/**
 * Glucose Service 1.0 (GLS, UUID 0x1808): Glucose Measurement (0x2A18), Glucose Measurement
 * Context (0x2A34), Glucose Feature (0x2A51) and the Record Access Control Point (RACP, 0x2A52)
 * through which a collector reads and deletes the meter's stored records. Layouts from GLS 1.0 §3
 * and the GATT Specification Supplement (GSS) §3.105-§3.108 and §3.178.
 */
import type { DecodedFloat } from './ieee11073-float.js';
import type { FlagSet, FloatValue } from './characteristic-value.js';
import type { DateTime } from './date-time.js';
import { MalformedValueError } from '../errors.js';
import { BitField, CodeTable, ValueReader, ValueWriter, checkInteger, outOfRange, readDateTime, writeDateTime } from '../internal/gatt-value.js';

// ---------------------------------------------------------------------------------------------
// Glucose Measurement (GSS §3.106)

/** Type of the sample (low nibble of the Type-Sample Location byte). */
export const GLUCOSE_SAMPLE_TYPE = {
  capillaryWholeBlood: 1,
  capillaryPlasma: 2,
  venousWholeBlood: 3,
  venousPlasma: 4,
  arterialWholeBlood: 5,
  arterialPlasma: 6,
  undeterminedWholeBlood: 7,
  undeterminedPlasma: 8,
  interstitialFluid: 9,
  controlSolution: 10,
} as const;

/** Sample location (high nibble of the Type-Sample Location byte); 15 = not available. */
export const GLUCOSE_SAMPLE_LOCATION = { finger: 1, alternateSiteTest: 2, earlobe: 3, controlSolution: 4, notAvailable: 15 } as const;

/** Sensor Status Annunciation bits; 12-15 are reserved. */
export const GLUCOSE_SENSOR_STATUS_BITS = {
  deviceBatteryLow: 0,
  sensorMalfunction: 1,
  sampleSizeInsufficient: 2,
  stripInsertionError: 3,
  stripTypeIncorrect: 4,
  resultHigherThanDeviceCanProcess: 5,
  resultLowerThanDeviceCanProcess: 6,
  sensorTemperatureTooHigh: 7,
  sensorTemperatureTooLow: 8,
  sensorReadInterrupted: 9,
  generalDeviceFault: 10,
  timeFault: 11,
} as const;

/** A glucose sample type name. */
export type GlucoseSampleType = keyof typeof GLUCOSE_SAMPLE_TYPE;
/** A glucose sample location name. */
export type GlucoseSampleLocation = keyof typeof GLUCOSE_SAMPLE_LOCATION;
/** A Sensor Status Annunciation (set bits by name). */
export type GlucoseSensorStatus = FlagSet<keyof typeof GLUCOSE_SENSOR_STATUS_BITS>;

/** The concentration part of a Glucose Measurement (flags bit 1). */
export interface GlucoseConcentration<F extends FloatValue = FloatValue> {
  /** SFLOAT in `unit`: 5.5 mmol/L is 0.0055 mol/L; 100 mg/dL is 0.001 kg/L. */
  readonly value: F;
  /** Flags bit 2. */
  readonly unit: 'kg/L' | 'mol/L';
  readonly type: GlucoseSampleType;
  readonly sampleLocation: GlucoseSampleLocation;
}

/** A Glucose Measurement (decoded values carry their precision: F = DecodedFloat). */
export interface GlucoseMeasurement<F extends FloatValue = FloatValue> {
  /** 0..65,535, one per stored record. */
  readonly sequenceNumber: number;
  readonly baseTime: DateTime;
  /** Minutes to add to the base time (sint16), e.g. after a clock change. */
  readonly timeOffsetMinutes?: number;
  readonly concentration?: GlucoseConcentration<F>;
  readonly sensorStatus?: GlucoseSensorStatus;
  /** Flags bit 4: a Glucose Measurement Context with the same sequence number follows. */
  readonly contextFollows?: boolean;
}

const MEASUREMENT = 'Glucose Measurement';
const sampleTypes = new CodeTable<GlucoseSampleType>(GLUCOSE_SAMPLE_TYPE);
const sampleLocations = new CodeTable<GlucoseSampleLocation>(GLUCOSE_SAMPLE_LOCATION);
const sensorStatusBits = new BitField(GLUCOSE_SENSOR_STATUS_BITS);

const M_TIME_OFFSET = 0x01;
const M_CONCENTRATION = 0x02;
const M_MOL_PER_L = 0x04;
const M_SENSOR_STATUS = 0x08;
const M_CONTEXT_FOLLOWS = 0x10;
const M_RESERVED = 0xe0;

/** Encodes a Glucose Measurement. Throws ValueOutOfRangeError or NotEncodableError. */
export function encodeGlucoseMeasurement(measurement: GlucoseMeasurement): Uint8Array {
  const { timeOffsetMinutes, concentration, sensorStatus } = measurement;
  if (concentration !== undefined && concentration.unit !== 'kg/L' && concentration.unit !== 'mol/L') {
    outOfRange(MEASUREMENT, 'concentration.unit', 'must be kg/L or mol/L');
  }
  const flags =
    (timeOffsetMinutes === undefined ? 0 : M_TIME_OFFSET) |
    (concentration === undefined ? 0 : M_CONCENTRATION | (concentration.unit === 'mol/L' ? M_MOL_PER_L : 0)) |
    (sensorStatus === undefined ? 0 : M_SENSOR_STATUS) |
    (measurement.contextFollows === true ? M_CONTEXT_FOLLOWS : 0);
  const writer = new ValueWriter(MEASUREMENT);
  writer.uint8(flags, 'flags');
  writer.uint16(measurement.sequenceNumber, 'sequenceNumber');
  writeDateTime(writer, measurement.baseTime, MEASUREMENT, 'baseTime');
  if (timeOffsetMinutes !== undefined) writer.int16(timeOffsetMinutes, 'timeOffsetMinutes');
  if (concentration !== undefined) {
    writer.sfloat(concentration.value, 'concentration.value');
    const type = sampleTypes.code(concentration.type, MEASUREMENT, 'concentration.type');
    const location = sampleLocations.code(concentration.sampleLocation, MEASUREMENT, 'concentration.sampleLocation');
    writer.uint8((location << 4) | type, 'concentration.typeSampleLocation');
  }
  if (sensorStatus !== undefined) writer.uint16(sensorStatusBits.encode(sensorStatus, MEASUREMENT, 'sensorStatus'), 'sensorStatus');
  return writer.finish();
}

/** Decodes a Glucose Measurement. Throws MalformedValueError or ReservedValueError. */
export function decodeGlucoseMeasurement(bytes: Uint8Array): GlucoseMeasurement<DecodedFloat> {
  const reader = new ValueReader(bytes, MEASUREMENT);
  const flags = reader.uint8('flags');
  if ((flags & M_RESERVED) !== 0) reader.fail('flags', 'reserved bit set');
  // The unit bit qualifies the concentration; set without one, the sender means something else.
  if ((flags & (M_CONCENTRATION | M_MOL_PER_L)) === M_MOL_PER_L) reader.fail('flags', 'unit bit set without a concentration');
  const sequenceNumber = reader.uint16('sequenceNumber');
  const baseTime = readDateTime(reader, 'baseTime');
  const timeOffsetMinutes = (flags & M_TIME_OFFSET) !== 0 ? reader.int16('timeOffsetMinutes') : undefined;
  let concentration: GlucoseConcentration<DecodedFloat> | undefined;
  if ((flags & M_CONCENTRATION) !== 0) {
    const value = reader.sfloat('concentration.value');
    const typeSampleLocation = reader.uint8('concentration.typeSampleLocation');
    concentration = {
      value,
      unit: (flags & M_MOL_PER_L) !== 0 ? 'mol/L' : 'kg/L',
      type: sampleTypes.name(typeSampleLocation & 0x0f, reader, 'concentration.type'),
      sampleLocation: sampleLocations.name(typeSampleLocation >> 4, reader, 'concentration.sampleLocation'),
    };
  }
  const sensorStatus = (flags & M_SENSOR_STATUS) !== 0 ? sensorStatusBits.decode(reader.uint16('sensorStatus'), reader, 'sensorStatus') : undefined;
  reader.end();
  return {
    sequenceNumber,
    baseTime,
    ...(timeOffsetMinutes === undefined ? {} : { timeOffsetMinutes }),
    ...(concentration === undefined ? {} : { concentration }),
    ...(sensorStatus === undefined ? {} : { sensorStatus }),
    contextFollows: (flags & M_CONTEXT_FOLLOWS) !== 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Glucose Measurement Context (GSS §3.107)

/** Carbohydrate ID values. */
export const GLUCOSE_CARBOHYDRATE = { breakfast: 1, lunch: 2, dinner: 3, snack: 4, drink: 5, supper: 6, brunch: 7 } as const;
/** Meal values. */
export const GLUCOSE_MEAL = { preprandial: 1, postprandial: 2, fasting: 3, casual: 4, bedtime: 5 } as const;
/** Tester values (low nibble of Tester-Health); 15 = not available. */
export const GLUCOSE_TESTER = { self: 1, healthCareProfessional: 2, labTest: 3, notAvailable: 15 } as const;
/** Health values (high nibble of Tester-Health); 15 = not available. */
export const GLUCOSE_HEALTH = { minorHealthIssues: 1, majorHealthIssues: 2, duringMenses: 3, underStress: 4, noHealthIssues: 5, notAvailable: 15 } as const;
/** Medication ID values. */
export const GLUCOSE_MEDICATION = {
  rapidActingInsulin: 1,
  shortActingInsulin: 2,
  intermediateActingInsulin: 3,
  longActingInsulin: 4,
  preMixedInsulin: 5,
} as const;

/** Exercise Duration value meaning the duration overran the field (GSS §3.107.2.6). */
export const EXERCISE_DURATION_OVERRUN = 0xffff;

/** A Glucose Measurement Context (decoded values carry their precision: F = DecodedFloat). */
export interface GlucoseMeasurementContext<F extends FloatValue = FloatValue> {
  /** The sequence number of the Glucose Measurement this context belongs to. */
  readonly sequenceNumber: number;
  /** Flags bit 7: an Extended Flags byte follows; all its bits are reserved and written 0. */
  readonly extendedFlags?: boolean;
  /** Carbohydrate intake, SFLOAT in kilograms (GSS: mass, kg): 50 g is 0.05. */
  readonly carbohydrate?: { readonly id: keyof typeof GLUCOSE_CARBOHYDRATE; readonly kilograms: F };
  readonly meal?: keyof typeof GLUCOSE_MEAL;
  readonly testerHealth?: { readonly tester: keyof typeof GLUCOSE_TESTER; readonly health: keyof typeof GLUCOSE_HEALTH };
  /** Duration in seconds (65,535 = overrun) and intensity in percent (0..100). */
  readonly exercise?: { readonly durationSeconds: number; readonly intensityPercent: number };
  /** Medication taken: SFLOAT amount in kilograms or litres (flags bit 5). */
  readonly medication?: { readonly id: keyof typeof GLUCOSE_MEDICATION; readonly amount: F; readonly unit: 'kg' | 'L' };
  /** Glycated haemoglobin, percent. */
  readonly hbA1c?: F;
}

const CONTEXT = 'Glucose Measurement Context';
const carbohydrates = new CodeTable<keyof typeof GLUCOSE_CARBOHYDRATE>(GLUCOSE_CARBOHYDRATE);
const meals = new CodeTable<keyof typeof GLUCOSE_MEAL>(GLUCOSE_MEAL);
const testers = new CodeTable<keyof typeof GLUCOSE_TESTER>(GLUCOSE_TESTER);
const healths = new CodeTable<keyof typeof GLUCOSE_HEALTH>(GLUCOSE_HEALTH);
const medications = new CodeTable<keyof typeof GLUCOSE_MEDICATION>(GLUCOSE_MEDICATION);

const C_CARBOHYDRATE = 0x01;
const C_MEAL = 0x02;
const C_TESTER_HEALTH = 0x04;
const C_EXERCISE = 0x08;
const C_MEDICATION = 0x10;
const C_MEDICATION_LITRES = 0x20;
const C_HBA1C = 0x40;
const C_EXTENDED = 0x80;

/** Encodes a Glucose Measurement Context. Throws ValueOutOfRangeError or NotEncodableError. */
export function encodeGlucoseMeasurementContext(context: GlucoseMeasurementContext): Uint8Array {
  const { carbohydrate, meal, testerHealth, exercise, medication, hbA1c } = context;
  if (medication !== undefined && medication.unit !== 'kg' && medication.unit !== 'L') outOfRange(CONTEXT, 'medication.unit', 'must be kg or L');
  const flags =
    (carbohydrate === undefined ? 0 : C_CARBOHYDRATE) |
    (meal === undefined ? 0 : C_MEAL) |
    (testerHealth === undefined ? 0 : C_TESTER_HEALTH) |
    (exercise === undefined ? 0 : C_EXERCISE) |
    (medication === undefined ? 0 : C_MEDICATION | (medication.unit === 'L' ? C_MEDICATION_LITRES : 0)) |
    (hbA1c === undefined ? 0 : C_HBA1C) |
    (context.extendedFlags === true ? C_EXTENDED : 0);
  const writer = new ValueWriter(CONTEXT);
  writer.uint8(flags, 'flags');
  writer.uint16(context.sequenceNumber, 'sequenceNumber');
  if (context.extendedFlags === true) writer.uint8(0, 'extendedFlags');
  if (carbohydrate !== undefined) {
    writer.uint8(carbohydrates.code(carbohydrate.id, CONTEXT, 'carbohydrate.id'), 'carbohydrate.id');
    writer.sfloat(carbohydrate.kilograms, 'carbohydrate.kilograms');
  }
  if (meal !== undefined) writer.uint8(meals.code(meal, CONTEXT, 'meal'), 'meal');
  if (testerHealth !== undefined) {
    const tester = testers.code(testerHealth.tester, CONTEXT, 'testerHealth.tester');
    const health = healths.code(testerHealth.health, CONTEXT, 'testerHealth.health');
    writer.uint8((health << 4) | tester, 'testerHealth');
  }
  if (exercise !== undefined) {
    writer.uint16(exercise.durationSeconds, 'exercise.durationSeconds');
    writer.uint8(checkInteger(exercise.intensityPercent, 0, 100, CONTEXT, 'exercise.intensityPercent'), 'exercise.intensityPercent');
  }
  if (medication !== undefined) {
    writer.uint8(medications.code(medication.id, CONTEXT, 'medication.id'), 'medication.id');
    writer.sfloat(medication.amount, 'medication.amount');
  }
  if (hbA1c !== undefined) writer.sfloat(hbA1c, 'hbA1c');
  return writer.finish();
}

/** Decodes a Glucose Measurement Context. Throws MalformedValueError or ReservedValueError. */
export function decodeGlucoseMeasurementContext(bytes: Uint8Array): GlucoseMeasurementContext<DecodedFloat> {
  const reader = new ValueReader(bytes, CONTEXT);
  const flags = reader.uint8('flags');
  if ((flags & (C_MEDICATION | C_MEDICATION_LITRES)) === C_MEDICATION_LITRES) reader.fail('flags', 'medication unit bit set without medication');
  const sequenceNumber = reader.uint16('sequenceNumber');
  if ((flags & C_EXTENDED) !== 0 && reader.uint8('extendedFlags') !== 0) reader.fail('extendedFlags', 'reserved bit set');
  const carbohydrate =
    (flags & C_CARBOHYDRATE) !== 0
      ? { id: carbohydrates.name(reader.uint8('carbohydrate.id'), reader, 'carbohydrate.id'), kilograms: reader.sfloat('carbohydrate.kilograms') }
      : undefined;
  const meal = (flags & C_MEAL) !== 0 ? meals.name(reader.uint8('meal'), reader, 'meal') : undefined;
  let testerHealth: GlucoseMeasurementContext['testerHealth'];
  if ((flags & C_TESTER_HEALTH) !== 0) {
    const raw = reader.uint8('testerHealth');
    testerHealth = { tester: testers.name(raw & 0x0f, reader, 'testerHealth.tester'), health: healths.name(raw >> 4, reader, 'testerHealth.health') };
  }
  let exercise: GlucoseMeasurementContext['exercise'];
  if ((flags & C_EXERCISE) !== 0) {
    const durationSeconds = reader.uint16('exercise.durationSeconds');
    const intensityPercent = reader.uint8('exercise.intensityPercent');
    if (intensityPercent > 100) reader.fail('exercise.intensityPercent', 'above 100 %');
    exercise = { durationSeconds, intensityPercent };
  }
  const medication =
    (flags & C_MEDICATION) !== 0
      ? {
          id: medications.name(reader.uint8('medication.id'), reader, 'medication.id'),
          amount: reader.sfloat('medication.amount'),
          unit: (flags & C_MEDICATION_LITRES) !== 0 ? ('L' as const) : ('kg' as const),
        }
      : undefined;
  const hbA1c = (flags & C_HBA1C) !== 0 ? reader.sfloat('hbA1c') : undefined;
  reader.end();
  return {
    sequenceNumber,
    ...((flags & C_EXTENDED) !== 0 ? { extendedFlags: true } : {}),
    ...(carbohydrate === undefined ? {} : { carbohydrate }),
    ...(meal === undefined ? {} : { meal }),
    ...(testerHealth === undefined ? {} : { testerHealth }),
    ...(exercise === undefined ? {} : { exercise }),
    ...(medication === undefined ? {} : { medication }),
    ...(hbA1c === undefined ? {} : { hbA1c }),
  };
}

// ---------------------------------------------------------------------------------------------
// Glucose Feature (GSS §3.105)

/** Glucose Feature bits; 11-15 are reserved. */
export const GLUCOSE_FEATURE_BITS = {
  lowBatteryDetection: 0,
  sensorMalfunctionDetection: 1,
  sensorSampleSize: 2,
  sensorStripInsertionErrorDetection: 3,
  sensorStripTypeErrorDetection: 4,
  sensorResultHighLowDetection: 5,
  sensorTemperatureHighLowDetection: 6,
  sensorReadInterruptDetection: 7,
  generalDeviceFault: 8,
  timeFault: 9,
  multipleBond: 10,
} as const;

/** A Glucose Feature value (supported features by name). */
export type GlucoseFeature = FlagSet<keyof typeof GLUCOSE_FEATURE_BITS>;

const featureBits = new BitField(GLUCOSE_FEATURE_BITS);

/** Encodes a Glucose Feature (uint16). Throws ValueOutOfRangeError. */
export function encodeGlucoseFeature(feature: GlucoseFeature): Uint8Array {
  const writer = new ValueWriter('Glucose Feature');
  writer.uint16(featureBits.encode(feature, 'Glucose Feature', 'feature'), 'feature');
  return writer.finish();
}

/** Decodes a Glucose Feature. Throws MalformedValueError. */
export function decodeGlucoseFeature(bytes: Uint8Array): GlucoseFeature {
  const reader = new ValueReader(bytes, 'Glucose Feature');
  const feature = featureBits.decode(reader.uint16('feature'), reader, 'feature');
  reader.end();
  return feature;
}

// ---------------------------------------------------------------------------------------------
// Record Access Control Point (GLS 1.0 §3.3.3 and §4.9, GSS §3.178)

/** RACP op codes. */
export const RACP_OP_CODE = {
  reportStoredRecords: 0x01,
  deleteStoredRecords: 0x02,
  abortOperation: 0x03,
  reportNumberOfStoredRecords: 0x04,
  numberOfStoredRecordsResponse: 0x05,
  responseCode: 0x06,
} as const;

/** RACP operators. */
export const RACP_OPERATOR = {
  null: 0x00,
  allRecords: 0x01,
  lessThanOrEqualTo: 0x02,
  greaterThanOrEqualTo: 0x03,
  withinRangeOf: 0x04,
  firstRecord: 0x05,
  lastRecord: 0x06,
} as const;

/** RACP operand filter types: GLS defines sequence number and user facing time; medsim filters by sequence number. */
export const RACP_FILTER_TYPE = { sequenceNumber: 0x01, userFacingTime: 0x02 } as const;

/** RACP Response Code values. */
export const RACP_RESPONSE_CODE = {
  success: 0x01,
  opCodeNotSupported: 0x02,
  invalidOperator: 0x03,
  operatorNotSupported: 0x04,
  invalidOperand: 0x05,
  noRecordsFound: 0x06,
  abortUnsuccessful: 0x07,
  procedureNotCompleted: 0x08,
  operandNotSupported: 0x09,
} as const;

/**
 * GLS ATT error codes (GLS 1.0 §2.2): a RACP write while a procedure runs, and a RACP write while
 * the collector has not enabled indications (that one the radio layer answers).
 */
export const GLS_ATT_ERROR = { procedureAlreadyInProgress: 0x80, clientCharacteristicConfigurationImproperlyConfigured: 0x81 } as const;

/** A RACP response code name. */
export type RacpResponseCode = keyof typeof RACP_RESPONSE_CODE;

/** Which stored records a request is about (sequence-number filter). */
export type RacpRecordFilter =
  | { readonly operator: 'allRecords' | 'firstRecord' | 'lastRecord' }
  | { readonly operator: 'lessThanOrEqualTo' | 'greaterThanOrEqualTo'; readonly sequenceNumber: number }
  | { readonly operator: 'withinRangeOf'; readonly min: number; readonly max: number };

/** A RACP request written by the collector. */
export type RacpRequest =
  | { readonly opCode: 'reportStoredRecords' | 'deleteStoredRecords' | 'reportNumberOfStoredRecords'; readonly filter: RacpRecordFilter }
  | { readonly opCode: 'abortOperation' };

/** A RACP indication sent by the meter. */
export type RacpResponse =
  | { readonly opCode: 'numberOfStoredRecordsResponse'; readonly count: number }
  | { readonly opCode: 'responseCode'; readonly requestOpCode: number; readonly responseCode: RacpResponseCode };

const RACP = 'Record Access Control Point';
const responseCodes = new CodeTable<RacpResponseCode>(RACP_RESPONSE_CODE);

/** Encodes a RACP request. Throws ValueOutOfRangeError. */
export function encodeRacpRequest(request: RacpRequest): Uint8Array {
  const writer = new ValueWriter(RACP);
  if (request.opCode === 'abortOperation') {
    writer.uint8(RACP_OP_CODE.abortOperation, 'opCode');
    writer.uint8(RACP_OPERATOR.null, 'operator');
    return writer.finish();
  }
  const opCode = (RACP_OP_CODE as Record<string, number>)[request.opCode];
  if (opCode === undefined || opCode > RACP_OP_CODE.reportNumberOfStoredRecords) outOfRange(RACP, 'opCode', 'must be a request op code');
  const { filter } = request;
  writer.uint8(opCode, 'opCode');
  switch (filter.operator) {
    case 'allRecords':
    case 'firstRecord':
    case 'lastRecord':
      writer.uint8(RACP_OPERATOR[filter.operator], 'operator');
      break;
    case 'lessThanOrEqualTo':
    case 'greaterThanOrEqualTo':
      writer.uint8(RACP_OPERATOR[filter.operator], 'operator');
      writer.uint8(RACP_FILTER_TYPE.sequenceNumber, 'filterType');
      writer.uint16(filter.sequenceNumber, 'sequenceNumber');
      break;
    case 'withinRangeOf':
      if (filter.min > filter.max) outOfRange(RACP, 'min', 'must not exceed max');
      writer.uint8(RACP_OPERATOR.withinRangeOf, 'operator');
      writer.uint8(RACP_FILTER_TYPE.sequenceNumber, 'filterType');
      writer.uint16(filter.min, 'min');
      writer.uint16(filter.max, 'max');
      break;
    default:
      outOfRange(RACP, 'operator', 'must be a RACP operator');
  }
  return writer.finish();
}

/** A request as the meter reads it: either valid, or the response code that refuses it. */
type Interpreted = { readonly ok: true; readonly request: RacpRequest } | { readonly ok: false; readonly requestOpCode: number; readonly responseCode: RacpResponseCode };

/**
 * Reads a RACP write the way GLS 1.0 §3.3.3 and the GLS test specification (GLS.TS, SPE/BI
 * cases) expect a meter to: unknown or response op codes → opCodeNotSupported; the Null
 * operator where one is needed (or another one with abort) → invalidOperator; reserved operators
 * → operatorNotSupported; a missing, extra or inverted operand → invalidOperand; a filter type
 * other than sequence number → operandNotSupported.
 */
function interpretRacpRequest(bytes: Uint8Array): Interpreted {
  const refuse = (requestOpCode: number, responseCode: RacpResponseCode): Interpreted => ({ ok: false, requestOpCode, responseCode });
  const opCodeByte = bytes[0] ?? 0;
  const operatorByte = bytes[1];
  const operand = bytes.subarray(2);
  if (opCodeByte < RACP_OP_CODE.reportStoredRecords || opCodeByte > RACP_OP_CODE.reportNumberOfStoredRecords) return refuse(opCodeByte, 'opCodeNotSupported');
  if (operatorByte === undefined) return refuse(opCodeByte, 'invalidOperator');
  if (opCodeByte === RACP_OP_CODE.abortOperation) {
    if (operatorByte !== RACP_OPERATOR.null) return refuse(opCodeByte, 'invalidOperator');
    if (operand.length !== 0) return refuse(opCodeByte, 'invalidOperand');
    return { ok: true, request: { opCode: 'abortOperation' } };
  }
  const opCode = opCodeByte === RACP_OP_CODE.reportStoredRecords ? 'reportStoredRecords' : opCodeByte === RACP_OP_CODE.deleteStoredRecords ? 'deleteStoredRecords' : 'reportNumberOfStoredRecords';
  const accept = (filter: RacpRecordFilter): Interpreted => ({ ok: true, request: { opCode, filter } });
  if (operatorByte === RACP_OPERATOR.null) return refuse(opCodeByte, 'invalidOperator');
  if (operatorByte > RACP_OPERATOR.lastRecord) return refuse(opCodeByte, 'operatorNotSupported');
  if (operatorByte === RACP_OPERATOR.allRecords || operatorByte === RACP_OPERATOR.firstRecord || operatorByte === RACP_OPERATOR.lastRecord) {
    if (operand.length !== 0) return refuse(opCodeByte, 'invalidOperand');
    return accept({ operator: operatorByte === RACP_OPERATOR.allRecords ? 'allRecords' : operatorByte === RACP_OPERATOR.firstRecord ? 'firstRecord' : 'lastRecord' });
  }
  // ≤, ≥ and within range carry a filter type and one or two values.
  const filterType = operand[0];
  if (filterType === undefined || filterType === 0) return refuse(opCodeByte, 'invalidOperand');
  if (filterType !== RACP_FILTER_TYPE.sequenceNumber) return refuse(opCodeByte, 'operandNotSupported');
  const uint16At = (offset: number): number => (operand[offset] ?? 0) | ((operand[offset + 1] ?? 0) << 8);
  if (operatorByte === RACP_OPERATOR.withinRangeOf) {
    if (operand.length !== 5) return refuse(opCodeByte, 'invalidOperand');
    const min = uint16At(1);
    const max = uint16At(3);
    if (min > max) return refuse(opCodeByte, 'invalidOperand');
    return accept({ operator: 'withinRangeOf', min, max });
  }
  if (operand.length !== 3) return refuse(opCodeByte, 'invalidOperand');
  return accept({ operator: operatorByte === RACP_OPERATOR.lessThanOrEqualTo ? 'lessThanOrEqualTo' : 'greaterThanOrEqualTo', sequenceNumber: uint16At(1) });
}

/**
 * Decodes a RACP request. Throws MalformedValueError whose details.reason is the RACP response
 * code a meter answers it with (see runRacpProcedure, which answers instead of throwing).
 */
export function decodeRacpRequest(bytes: Uint8Array): RacpRequest {
  const reader: ValueReader = new ValueReader(bytes, RACP);
  const interpreted = interpretRacpRequest(bytes);
  if (!interpreted.ok) reader.fail('request', interpreted.responseCode);
  return interpreted.request;
}

/** Encodes a RACP response (indication). Throws ValueOutOfRangeError. */
export function encodeRacpResponse(response: RacpResponse): Uint8Array {
  const writer = new ValueWriter(RACP);
  if (response.opCode === 'numberOfStoredRecordsResponse') {
    writer.uint8(RACP_OP_CODE.numberOfStoredRecordsResponse, 'opCode');
    writer.uint8(RACP_OPERATOR.null, 'operator');
    writer.uint16(response.count, 'count');
  } else if (response.opCode === 'responseCode') {
    writer.uint8(RACP_OP_CODE.responseCode, 'opCode');
    writer.uint8(RACP_OPERATOR.null, 'operator');
    writer.uint8(response.requestOpCode, 'requestOpCode');
    writer.uint8(responseCodes.code(response.responseCode, RACP, 'responseCode'), 'responseCode');
  } else {
    outOfRange(RACP, 'opCode', 'must be numberOfStoredRecordsResponse or responseCode');
  }
  return writer.finish();
}

/** Decodes a RACP response (indication). Throws MalformedValueError. */
export function decodeRacpResponse(bytes: Uint8Array): RacpResponse {
  const reader: ValueReader = new ValueReader(bytes, RACP);
  const opCode = reader.uint8('opCode');
  if (reader.uint8('operator') !== RACP_OPERATOR.null) reader.fail('operator', 'responses carry the Null operator');
  let response: RacpResponse;
  if (opCode === RACP_OP_CODE.numberOfStoredRecordsResponse) {
    response = { opCode: 'numberOfStoredRecordsResponse', count: reader.uint16('count') };
  } else if (opCode === RACP_OP_CODE.responseCode) {
    const requestOpCode = reader.uint8('requestOpCode');
    response = { opCode: 'responseCode', requestOpCode, responseCode: responseCodes.name(reader.uint8('responseCode'), reader, 'responseCode') };
  } else {
    reader.fail('opCode', `op code ${opCode} is not a response`);
  }
  reader.end();
  return response;
}

/** What a meter does with one RACP write. */
export interface RacpProcedureResult {
  /**
   * Set instead of everything else when the write is refused at the ATT level
   * (GLS_ATT_ERROR.procedureAlreadyInProgress): no indication follows.
   */
  readonly attError?: number;
  /** Sequence numbers to notify (Glucose Measurement, then its Context), in this order, before the response. */
  readonly report: readonly number[];
  /** Sequence numbers to delete from storage. */
  readonly delete: readonly number[];
  /** The indication that ends the procedure, sent after the reports. */
  readonly response?: RacpResponse;
}

/** State the procedure needs from the meter. */
export interface RacpProcedureOptions {
  /** A report procedure is still sending records (abort applies to it; other requests are refused). */
  readonly procedureInProgress?: boolean;
}

function matches(filter: RacpRecordFilter, sorted: readonly number[]): number[] {
  switch (filter.operator) {
    case 'allRecords':
      return [...sorted];
    case 'firstRecord':
      return sorted.slice(0, 1);
    case 'lastRecord':
      return sorted.slice(-1);
    case 'lessThanOrEqualTo':
      return sorted.filter((n) => n <= filter.sequenceNumber);
    case 'greaterThanOrEqualTo':
      return sorted.filter((n) => n >= filter.sequenceNumber);
    case 'withinRangeOf':
      return sorted.filter((n) => n >= filter.min && n <= filter.max);
  }
}

/**
 * The Record Access Control Point of a glucose meter as a pure function: given the sequence
 * numbers of the stored records and one RACP write (bytes as received, or a typed request), it
 * returns the records to report or delete and the response indication, per GLS 1.0 §3.3.3 and
 * §4.9. It never throws for any bytes: a malformed write gets the response code the spec gives.
 * "First" and "last" are the lowest and highest sequence numbers (they only grow, GLS 1.0 §3.1.1).
 * An abort answers Success while a procedure runs (the caller stops sending) and Abort
 * Unsuccessful when none does. Throws ValueOutOfRangeError only for a bad stored list or typed request.
 */
export function runRacpProcedure(storedSequenceNumbers: readonly number[], request: Uint8Array | RacpRequest, options: RacpProcedureOptions = {}): RacpProcedureResult {
  const stored = new Set<number>();
  for (const sequenceNumber of storedSequenceNumbers) stored.add(checkInteger(sequenceNumber, 0, 0xffff, RACP, 'storedSequenceNumbers'));
  const sorted = [...stored].sort((a, b) => a - b);
  let interpreted: Interpreted;
  if (request instanceof Uint8Array) {
    interpreted = interpretRacpRequest(request);
  } else {
    // A typed request goes through the same checks as received bytes.
    interpreted = interpretRacpRequest(encodeRacpRequest(request));
  }
  const respond = (requestOpCode: number, responseCode: RacpResponseCode, report: readonly number[] = [], toDelete: readonly number[] = []): RacpProcedureResult => ({
    report,
    delete: toDelete,
    response: { opCode: 'responseCode', requestOpCode, responseCode },
  });
  const inProgress = options.procedureInProgress === true;
  if (!interpreted.ok) {
    if (inProgress && interpreted.requestOpCode !== RACP_OP_CODE.abortOperation) return { attError: GLS_ATT_ERROR.procedureAlreadyInProgress, report: [], delete: [] };
    return respond(interpreted.requestOpCode, interpreted.responseCode);
  }
  const valid = interpreted.request;
  if (valid.opCode === 'abortOperation') return respond(RACP_OP_CODE.abortOperation, inProgress ? 'success' : 'abortUnsuccessful');
  if (inProgress) return { attError: GLS_ATT_ERROR.procedureAlreadyInProgress, report: [], delete: [] };
  const selected = matches(valid.filter, sorted);
  switch (valid.opCode) {
    case 'reportNumberOfStoredRecords':
      return { report: [], delete: [], response: { opCode: 'numberOfStoredRecordsResponse', count: selected.length } };
    case 'reportStoredRecords':
      return respond(RACP_OP_CODE.reportStoredRecords, selected.length === 0 ? 'noRecordsFound' : 'success', selected);
    case 'deleteStoredRecords':
      return respond(RACP_OP_CODE.deleteStoredRecords, selected.length === 0 ? 'noRecordsFound' : 'success', [], selected);
  }
}

/** The RACP response code a decodeRacpRequest refusal stands for, or undefined for any other error. */
export function racpRefusalCode(error: unknown): RacpResponseCode | undefined {
  if (!(error instanceof MalformedValueError) || error.details.characteristic !== RACP) return undefined;
  const reason = error.details.reason;
  return typeof reason === 'string' && reason in RACP_RESPONSE_CODE ? (reason as RacpResponseCode) : undefined;
}
