/**
 * Pulse Oximeter Service 1.0 (PLXS, UUID 0x1822): PLX Spot-Check Measurement (0x2A5E), PLX
 * Continuous Measurement (0x2A5F) and PLX Features (0x2A60). Layouts from PLXS 1.0 §3 and the
 * GATT Specification Supplement (GSS) §3.170-§3.172. SpO2 is a percentage and pulse rate is in
 * beats per minute, both SFLOAT; the 24-bit Device and Sensor Status is little-endian.
 */
import type { DecodedFloat } from './ieee11073-float.js';
import type { FlagSet, FloatValue } from './characteristic-value.js';
import type { DateTime } from './date-time.js';
import { BitField, ValueReader, ValueWriter, readDateTime, writeDateTime } from '../internal/gatt-value.js';

/** Measurement Status bits (GSS §3.170.2.4); bits 0-4 are reserved. */
export const PLX_MEASUREMENT_STATUS_BITS = {
  measurementOngoing: 5,
  earlyEstimatedData: 6,
  validatedData: 7,
  fullyQualifiedData: 8,
  dataFromMeasurementStorage: 9,
  dataForDemonstration: 10,
  dataForTesting: 11,
  calibrationOngoing: 12,
  measurementUnavailable: 13,
  questionableMeasurementDetected: 14,
  invalidMeasurementDetected: 15,
} as const;

/** Device and Sensor Status bits (GSS §3.170.2.5); bits 16-23 are reserved. */
export const PLX_DEVICE_AND_SENSOR_STATUS_BITS = {
  extendedDisplayUpdateOngoing: 0,
  equipmentMalfunctionDetected: 1,
  signalProcessingIrregularityDetected: 2,
  inadequateSignalDetected: 3,
  poorSignalDetected: 4,
  lowPerfusionDetected: 5,
  erraticSignalDetected: 6,
  nonpulsatileSignalDetected: 7,
  questionablePulseDetected: 8,
  signalAnalysisOngoing: 9,
  sensorInterferenceDetected: 10,
  sensorUnconnectedToUser: 11,
  unknownSensorConnected: 12,
  sensorDisplaced: 13,
  sensorMalfunctioning: 14,
  sensorDisconnected: 15,
} as const;

/** Supported Features bits of PLX Features (GSS §3.172.1) other than the two that add fields. */
export const PLX_SUPPORTED_FEATURES_BITS = {
  spotCheckMeasurementStorage: 2,
  spotCheckTimestamp: 3,
  spo2prFast: 4,
  spo2prSlow: 5,
  pulseAmplitudeIndex: 6,
  multipleBonds: 7,
} as const;

/** A PLX Measurement Status (set bits by name). */
export type PlxMeasurementStatus = FlagSet<keyof typeof PLX_MEASUREMENT_STATUS_BITS>;

/** A PLX Device and Sensor Status (set bits by name). */
export type PlxDeviceAndSensorStatus = FlagSet<keyof typeof PLX_DEVICE_AND_SENSOR_STATUS_BITS>;

/** PLX Supported Features (set bits by name). */
export type PlxSupportedFeatures = FlagSet<keyof typeof PLX_SUPPORTED_FEATURES_BITS>;

const measurementStatusBits = new BitField(PLX_MEASUREMENT_STATUS_BITS);
const deviceAndSensorStatusBits = new BitField(PLX_DEVICE_AND_SENSOR_STATUS_BITS);
const supportedFeatureBits = new BitField({ measurementStatus: 0, deviceAndSensorStatus: 1, ...PLX_SUPPORTED_FEATURES_BITS });

/** One SpO2PR pair: SpO2 in percent, pulse rate in beats per minute. */
export interface SpO2PulseRate<F extends FloatValue = FloatValue> {
  readonly spo2: F;
  readonly pulseRate: F;
}

/** A PLX Spot-Check Measurement (decoded values carry their precision: F = DecodedFloat). */
export interface PlxSpotCheckMeasurement<F extends FloatValue = FloatValue> extends SpO2PulseRate<F> {
  readonly timestamp?: DateTime;
  readonly measurementStatus?: PlxMeasurementStatus;
  readonly deviceAndSensorStatus?: PlxDeviceAndSensorStatus;
  /** Pulse Amplitude Index, percent. */
  readonly pulseAmplitudeIndex?: F;
  /** Flags bit 4: the time stamp comes from a clock that was never set. */
  readonly deviceClockNotSet?: boolean;
}

/** A PLX Continuous Measurement (decoded values carry their precision). */
export interface PlxContinuousMeasurement<F extends FloatValue = FloatValue> {
  /** SpO2PR-Normal: always present. */
  readonly normal: SpO2PulseRate<F>;
  /** SpO2PR-Fast: a shorter averaging time. */
  readonly fast?: SpO2PulseRate<F>;
  /** SpO2PR-Slow: a longer averaging time. */
  readonly slow?: SpO2PulseRate<F>;
  readonly measurementStatus?: PlxMeasurementStatus;
  readonly deviceAndSensorStatus?: PlxDeviceAndSensorStatus;
  readonly pulseAmplitudeIndex?: F;
}

/** PLX Features: the supported features, and which status bits the sensor can report. */
export interface PlxFeatures {
  readonly supported: PlxSupportedFeatures;
  /** Present when the sensor reports Measurement Status: the bits it can set. */
  readonly measurementStatusSupport?: PlxMeasurementStatus;
  /** Present when the sensor reports Device and Sensor Status: the bits it can set. */
  readonly deviceAndSensorStatusSupport?: PlxDeviceAndSensorStatus;
}

const SPOT = 'PLX Spot-Check Measurement';
const CONTINUOUS = 'PLX Continuous Measurement';
const FEATURES = 'PLX Features';

// Spot-check flags (GSS §3.170.1).
const SPOT_TIMESTAMP = 0x01;
const SPOT_MEASUREMENT_STATUS = 0x02;
const SPOT_DEVICE_STATUS = 0x04;
const SPOT_PAI = 0x08;
const SPOT_CLOCK_NOT_SET = 0x10;
const SPOT_RESERVED = 0xe0;

// Continuous flags (GSS §3.171.1).
const CONT_FAST = 0x01;
const CONT_SLOW = 0x02;
const CONT_MEASUREMENT_STATUS = 0x04;
const CONT_DEVICE_STATUS = 0x08;
const CONT_PAI = 0x10;
const CONT_RESERVED = 0xe0;

function writePair(writer: ValueWriter, pair: SpO2PulseRate, field: string): void {
  writer.sfloat(pair.spo2, `${field}.spo2`);
  writer.sfloat(pair.pulseRate, `${field}.pulseRate`);
}

function readPair(reader: ValueReader, field: string): SpO2PulseRate<DecodedFloat> {
  return { spo2: reader.sfloat(`${field}.spo2`), pulseRate: reader.sfloat(`${field}.pulseRate`) };
}

/** Encodes a PLX Spot-Check Measurement. Throws ValueOutOfRangeError or NotEncodableError. */
export function encodePlxSpotCheckMeasurement(measurement: PlxSpotCheckMeasurement): Uint8Array {
  const { timestamp, measurementStatus, deviceAndSensorStatus, pulseAmplitudeIndex } = measurement;
  const flags =
    (timestamp === undefined ? 0 : SPOT_TIMESTAMP) |
    (measurementStatus === undefined ? 0 : SPOT_MEASUREMENT_STATUS) |
    (deviceAndSensorStatus === undefined ? 0 : SPOT_DEVICE_STATUS) |
    (pulseAmplitudeIndex === undefined ? 0 : SPOT_PAI) |
    (measurement.deviceClockNotSet === true ? SPOT_CLOCK_NOT_SET : 0);
  const writer = new ValueWriter(SPOT);
  writer.uint8(flags, 'flags');
  writePair(writer, measurement, 'spo2pr');
  if (timestamp !== undefined) writeDateTime(writer, timestamp, SPOT, 'timestamp');
  if (measurementStatus !== undefined) writer.uint16(measurementStatusBits.encode(measurementStatus, SPOT, 'measurementStatus'), 'measurementStatus');
  if (deviceAndSensorStatus !== undefined) {
    writer.uint24(deviceAndSensorStatusBits.encode(deviceAndSensorStatus, SPOT, 'deviceAndSensorStatus'), 'deviceAndSensorStatus');
  }
  if (pulseAmplitudeIndex !== undefined) writer.sfloat(pulseAmplitudeIndex, 'pulseAmplitudeIndex');
  return writer.finish();
}

/** Decodes a PLX Spot-Check Measurement. Throws MalformedValueError or ReservedValueError. */
export function decodePlxSpotCheckMeasurement(bytes: Uint8Array): PlxSpotCheckMeasurement<DecodedFloat> {
  const reader = new ValueReader(bytes, SPOT);
  const flags = reader.uint8('flags');
  if ((flags & SPOT_RESERVED) !== 0) reader.fail('flags', 'reserved bit set');
  const pair = readPair(reader, 'spo2pr');
  const timestamp = (flags & SPOT_TIMESTAMP) !== 0 ? readDateTime(reader, 'timestamp') : undefined;
  const measurementStatus = (flags & SPOT_MEASUREMENT_STATUS) !== 0 ? measurementStatusBits.decode(reader.uint16('measurementStatus'), reader, 'measurementStatus') : undefined;
  const deviceAndSensorStatus =
    (flags & SPOT_DEVICE_STATUS) !== 0 ? deviceAndSensorStatusBits.decode(reader.uint24('deviceAndSensorStatus'), reader, 'deviceAndSensorStatus') : undefined;
  const pulseAmplitudeIndex = (flags & SPOT_PAI) !== 0 ? reader.sfloat('pulseAmplitudeIndex') : undefined;
  reader.end();
  return {
    ...pair,
    ...(timestamp === undefined ? {} : { timestamp }),
    ...(measurementStatus === undefined ? {} : { measurementStatus }),
    ...(deviceAndSensorStatus === undefined ? {} : { deviceAndSensorStatus }),
    ...(pulseAmplitudeIndex === undefined ? {} : { pulseAmplitudeIndex }),
    deviceClockNotSet: (flags & SPOT_CLOCK_NOT_SET) !== 0,
  };
}

/** Encodes a PLX Continuous Measurement. Throws ValueOutOfRangeError or NotEncodableError. */
export function encodePlxContinuousMeasurement(measurement: PlxContinuousMeasurement): Uint8Array {
  const { fast, slow, measurementStatus, deviceAndSensorStatus, pulseAmplitudeIndex } = measurement;
  const flags =
    (fast === undefined ? 0 : CONT_FAST) |
    (slow === undefined ? 0 : CONT_SLOW) |
    (measurementStatus === undefined ? 0 : CONT_MEASUREMENT_STATUS) |
    (deviceAndSensorStatus === undefined ? 0 : CONT_DEVICE_STATUS) |
    (pulseAmplitudeIndex === undefined ? 0 : CONT_PAI);
  const writer = new ValueWriter(CONTINUOUS);
  writer.uint8(flags, 'flags');
  writePair(writer, measurement.normal, 'normal');
  if (fast !== undefined) writePair(writer, fast, 'fast');
  if (slow !== undefined) writePair(writer, slow, 'slow');
  if (measurementStatus !== undefined) writer.uint16(measurementStatusBits.encode(measurementStatus, CONTINUOUS, 'measurementStatus'), 'measurementStatus');
  if (deviceAndSensorStatus !== undefined) {
    writer.uint24(deviceAndSensorStatusBits.encode(deviceAndSensorStatus, CONTINUOUS, 'deviceAndSensorStatus'), 'deviceAndSensorStatus');
  }
  if (pulseAmplitudeIndex !== undefined) writer.sfloat(pulseAmplitudeIndex, 'pulseAmplitudeIndex');
  return writer.finish();
}

/** Decodes a PLX Continuous Measurement. Throws MalformedValueError or ReservedValueError. */
export function decodePlxContinuousMeasurement(bytes: Uint8Array): PlxContinuousMeasurement<DecodedFloat> {
  const reader = new ValueReader(bytes, CONTINUOUS);
  const flags = reader.uint8('flags');
  if ((flags & CONT_RESERVED) !== 0) reader.fail('flags', 'reserved bit set');
  const normal = readPair(reader, 'normal');
  const fast = (flags & CONT_FAST) !== 0 ? readPair(reader, 'fast') : undefined;
  const slow = (flags & CONT_SLOW) !== 0 ? readPair(reader, 'slow') : undefined;
  const measurementStatus = (flags & CONT_MEASUREMENT_STATUS) !== 0 ? measurementStatusBits.decode(reader.uint16('measurementStatus'), reader, 'measurementStatus') : undefined;
  const deviceAndSensorStatus =
    (flags & CONT_DEVICE_STATUS) !== 0 ? deviceAndSensorStatusBits.decode(reader.uint24('deviceAndSensorStatus'), reader, 'deviceAndSensorStatus') : undefined;
  const pulseAmplitudeIndex = (flags & CONT_PAI) !== 0 ? reader.sfloat('pulseAmplitudeIndex') : undefined;
  reader.end();
  return {
    normal,
    ...(fast === undefined ? {} : { fast }),
    ...(slow === undefined ? {} : { slow }),
    ...(measurementStatus === undefined ? {} : { measurementStatus }),
    ...(deviceAndSensorStatus === undefined ? {} : { deviceAndSensorStatus }),
    ...(pulseAmplitudeIndex === undefined ? {} : { pulseAmplitudeIndex }),
  };
}

/** Encodes PLX Features. Throws ValueOutOfRangeError. */
export function encodePlxFeatures(features: PlxFeatures): Uint8Array {
  const { measurementStatusSupport, deviceAndSensorStatusSupport } = features;
  const writer = new ValueWriter(FEATURES);
  const supported = supportedFeatureBits.encode(
    { ...features.supported, measurementStatus: measurementStatusSupport !== undefined, deviceAndSensorStatus: deviceAndSensorStatusSupport !== undefined },
    FEATURES,
    'supported',
  );
  writer.uint16(supported, 'supported');
  if (measurementStatusSupport !== undefined) {
    writer.uint16(measurementStatusBits.encode(measurementStatusSupport, FEATURES, 'measurementStatusSupport'), 'measurementStatusSupport');
  }
  if (deviceAndSensorStatusSupport !== undefined) {
    writer.uint24(deviceAndSensorStatusBits.encode(deviceAndSensorStatusSupport, FEATURES, 'deviceAndSensorStatusSupport'), 'deviceAndSensorStatusSupport');
  }
  return writer.finish();
}

/** Decodes PLX Features. Throws MalformedValueError. */
export function decodePlxFeatures(bytes: Uint8Array): PlxFeatures {
  const reader = new ValueReader(bytes, FEATURES);
  const { measurementStatus, deviceAndSensorStatus, ...supported } = supportedFeatureBits.decode(reader.uint16('supported'), reader, 'supported');
  const measurementStatusSupport = measurementStatus
    ? measurementStatusBits.decode(reader.uint16('measurementStatusSupport'), reader, 'measurementStatusSupport')
    : undefined;
  const deviceAndSensorStatusSupport = deviceAndSensorStatus
    ? deviceAndSensorStatusBits.decode(reader.uint24('deviceAndSensorStatusSupport'), reader, 'deviceAndSensorStatusSupport')
    : undefined;
  reader.end();
  return {
    supported,
    ...(measurementStatusSupport === undefined ? {} : { measurementStatusSupport }),
    ...(deviceAndSensorStatusSupport === undefined ? {} : { deviceAndSensorStatusSupport }),
  };
}
