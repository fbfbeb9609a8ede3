/**
 * Blood Pressure Service (BLS 1.0 and 1.1, UUID 0x1810): Blood Pressure Measurement (0x2A35),
 * Intermediate Cuff Pressure (0x2A36) and Blood Pressure Feature (0x2A49). Layouts from BLS 1.1
 * §3 and the GATT Specification Supplement (GSS) §3.31-§3.33. Pressures are SFLOAT in mmHg or
 * kPa (flags bit 0), the pulse rate SFLOAT in beats per minute.
 */
import type { DecodedFloat } from './ieee11073-float.js';
import type { FlagSet, FloatValue } from './characteristic-value.js';
import type { DateTime } from './date-time.js';
import { BitField, CodeTable, ValueReader, ValueWriter, outOfRange, readDateTime, writeDateTime } from '../internal/gatt-value.js';

/** The unit of every pressure in a measurement (flags bit 0). */
export type BloodPressureUnit = 'mmHg' | 'kPa';

/** Measurement Status single bits (GSS §3.31.2.5); bits 3-4 are the pulse rate range, 6-15 reserved. */
export const BLOOD_PRESSURE_STATUS_BITS = {
  bodyMovementDetected: 0,
  /** Cuff Fit Detection: the cuff is too loose. */
  cuffTooLoose: 1,
  irregularPulseDetected: 2,
  improperMeasurementPosition: 5,
} as const;

/** Pulse Rate Range Detection values (Measurement Status bits 3-4; 3 is reserved). */
export const PULSE_RATE_RANGE = { withinRange: 0, exceedsUpperLimit: 1, belowLowerLimit: 2 } as const;

/** A Pulse Rate Range Detection name. */
export type PulseRateRange = keyof typeof PULSE_RATE_RANGE;

/** A Blood Pressure Measurement Status. */
export type BloodPressureMeasurementStatus = FlagSet<keyof typeof BLOOD_PRESSURE_STATUS_BITS> & {
  /** Default withinRange. */
  readonly pulseRateRange?: PulseRateRange;
};

/** Blood Pressure Feature bits (GSS §3.33): 0-5 from BLS 1.0, 6-8 added by BLS 1.1. */
export const BLOOD_PRESSURE_FEATURE_BITS = {
  bodyMovementDetection: 0,
  cuffFitDetection: 1,
  irregularPulseDetection: 2,
  pulseRateRangeDetection: 3,
  measurementPositionDetection: 4,
  multipleBonds: 5,
  e2eCrc: 6,
  userDataService: 7,
  userFacingTime: 8,
} as const;

/** A Blood Pressure Feature value (supported features by name). */
export type BloodPressureFeature = FlagSet<keyof typeof BLOOD_PRESSURE_FEATURE_BITS>;

/** Fields shared by the measurement and the intermediate cuff pressure. */
interface BloodPressureCommon<F extends FloatValue> {
  readonly unit: BloodPressureUnit;
  readonly timestamp?: DateTime;
  /** Beats per minute. */
  readonly pulseRate?: F;
  /** User index 0..254; 255 means unknown user (GSS §3.31.2.4). */
  readonly userId?: number;
  readonly measurementStatus?: BloodPressureMeasurementStatus;
}

/** A Blood Pressure Measurement (decoded values carry their precision: F = DecodedFloat). */
export interface BloodPressureMeasurement<F extends FloatValue = FloatValue> extends BloodPressureCommon<F> {
  readonly systolic: F;
  readonly diastolic: F;
  readonly meanArterialPressure: F;
}

/** An Intermediate Cuff Pressure: the cuff pressure while the measurement runs. */
export interface IntermediateCuffPressure<F extends FloatValue = FloatValue> extends BloodPressureCommon<F> {
  /** Written in the systolic field; diastolic and MAP are unused and sent as NaN (BLS 1.1 §3.2). */
  readonly currentCuffPressure: F;
}

const statusBits = new BitField(BLOOD_PRESSURE_STATUS_BITS);
const featureBits = new BitField(BLOOD_PRESSURE_FEATURE_BITS);
const pulseRateRanges = new CodeTable<PulseRateRange>(PULSE_RATE_RANGE);
const PULSE_RATE_RANGE_SHIFT = 3;
const PULSE_RATE_RANGE_MASK = 0x18;

// Flags (GSS §3.31.1).
const FLAG_KPA = 0x01;
const FLAG_TIMESTAMP = 0x02;
const FLAG_PULSE_RATE = 0x04;
const FLAG_USER_ID = 0x08;
const FLAG_STATUS = 0x10;
const FLAGS_RESERVED = 0xe0;

function encodeCommon(characteristic: string, common: BloodPressureCommon<FloatValue>, pressures: readonly [FloatValue, FloatValue, FloatValue]): Uint8Array {
  const { unit, timestamp, pulseRate, userId, measurementStatus } = common;
  if (unit !== 'mmHg' && unit !== 'kPa') outOfRange(characteristic, 'unit', 'must be mmHg or kPa');
  const flags =
    (unit === 'kPa' ? FLAG_KPA : 0) |
    (timestamp === undefined ? 0 : FLAG_TIMESTAMP) |
    (pulseRate === undefined ? 0 : FLAG_PULSE_RATE) |
    (userId === undefined ? 0 : FLAG_USER_ID) |
    (measurementStatus === undefined ? 0 : FLAG_STATUS);
  const writer = new ValueWriter(characteristic);
  writer.uint8(flags, 'flags');
  writer.sfloat(pressures[0], 'systolic');
  writer.sfloat(pressures[1], 'diastolic');
  writer.sfloat(pressures[2], 'meanArterialPressure');
  if (timestamp !== undefined) writeDateTime(writer, timestamp, characteristic, 'timestamp');
  if (pulseRate !== undefined) writer.sfloat(pulseRate, 'pulseRate');
  if (userId !== undefined) writer.uint8(userId, 'userId');
  if (measurementStatus !== undefined) {
    const { pulseRateRange = 'withinRange', ...bits } = measurementStatus;
    const range = pulseRateRanges.code(pulseRateRange, characteristic, 'measurementStatus.pulseRateRange');
    writer.uint16(statusBits.encode(bits, characteristic, 'measurementStatus') | (range << PULSE_RATE_RANGE_SHIFT), 'measurementStatus');
  }
  return writer.finish();
}

interface DecodedCommon {
  readonly common: BloodPressureCommon<DecodedFloat>;
  readonly pressures: readonly [DecodedFloat, DecodedFloat, DecodedFloat];
}

function decodeCommon(characteristic: string, bytes: Uint8Array): DecodedCommon {
  const reader = new ValueReader(bytes, characteristic);
  const flags = reader.uint8('flags');
  if ((flags & FLAGS_RESERVED) !== 0) reader.fail('flags', 'reserved bit set');
  const pressures = [reader.sfloat('systolic'), reader.sfloat('diastolic'), reader.sfloat('meanArterialPressure')] as const;
  const timestamp = (flags & FLAG_TIMESTAMP) !== 0 ? readDateTime(reader, 'timestamp') : undefined;
  const pulseRate = (flags & FLAG_PULSE_RATE) !== 0 ? reader.sfloat('pulseRate') : undefined;
  const userId = (flags & FLAG_USER_ID) !== 0 ? reader.uint8('userId') : undefined;
  let measurementStatus: BloodPressureMeasurementStatus | undefined;
  if ((flags & FLAG_STATUS) !== 0) {
    const raw = reader.uint16('measurementStatus');
    const pulseRateRange = pulseRateRanges.name((raw & PULSE_RATE_RANGE_MASK) >> PULSE_RATE_RANGE_SHIFT, reader, 'measurementStatus.pulseRateRange');
    measurementStatus = { ...statusBits.decode(raw & ~PULSE_RATE_RANGE_MASK, reader, 'measurementStatus'), pulseRateRange };
  }
  reader.end();
  return {
    pressures,
    common: {
      unit: (flags & FLAG_KPA) !== 0 ? 'kPa' : 'mmHg',
      ...(timestamp === undefined ? {} : { timestamp }),
      ...(pulseRate === undefined ? {} : { pulseRate }),
      ...(userId === undefined ? {} : { userId }),
      ...(measurementStatus === undefined ? {} : { measurementStatus }),
    },
  };
}

const MEASUREMENT = 'Blood Pressure Measurement';
const INTERMEDIATE = 'Intermediate Cuff Pressure';

/** Encodes a Blood Pressure Measurement. Throws ValueOutOfRangeError or NotEncodableError. */
export function encodeBloodPressureMeasurement(measurement: BloodPressureMeasurement): Uint8Array {
  return encodeCommon(MEASUREMENT, measurement, [measurement.systolic, measurement.diastolic, measurement.meanArterialPressure]);
}

/** Decodes a Blood Pressure Measurement. Throws MalformedValueError or ReservedValueError. */
export function decodeBloodPressureMeasurement(bytes: Uint8Array): BloodPressureMeasurement<DecodedFloat> {
  const { common, pressures } = decodeCommon(MEASUREMENT, bytes);
  return { ...common, systolic: pressures[0], diastolic: pressures[1], meanArterialPressure: pressures[2] };
}

/** Encodes an Intermediate Cuff Pressure. Throws ValueOutOfRangeError or NotEncodableError. */
export function encodeIntermediateCuffPressure(pressure: IntermediateCuffPressure): Uint8Array {
  return encodeCommon(INTERMEDIATE, pressure, [pressure.currentCuffPressure, Number.NaN, Number.NaN]);
}

/**
 * Decodes an Intermediate Cuff Pressure. The unused diastolic and MAP fields are checked to be
 * IEEE 11073 values and otherwise ignored. Throws MalformedValueError or ReservedValueError.
 */
export function decodeIntermediateCuffPressure(bytes: Uint8Array): IntermediateCuffPressure<DecodedFloat> {
  const { common, pressures } = decodeCommon(INTERMEDIATE, bytes);
  return { ...common, currentCuffPressure: pressures[0] };
}

/** Encodes a Blood Pressure Feature (uint16). Throws ValueOutOfRangeError. */
export function encodeBloodPressureFeature(feature: BloodPressureFeature): Uint8Array {
  const writer = new ValueWriter('Blood Pressure Feature');
  writer.uint16(featureBits.encode(feature, 'Blood Pressure Feature', 'feature'), 'feature');
  return writer.finish();
}

/** Decodes a Blood Pressure Feature. Throws MalformedValueError (reserved bits 9-15 included). */
export function decodeBloodPressureFeature(bytes: Uint8Array): BloodPressureFeature {
  const reader = new ValueReader(bytes, 'Blood Pressure Feature');
  const feature = featureBits.decode(reader.uint16('feature'), reader, 'feature');
  reader.end();
  return feature;
}
