/**
 * Heart Rate Service 1.0 (HRS, UUID 0x180D): Heart Rate Measurement (0x2A37), Body Sensor
 * Location (0x2A38) and Heart Rate Control Point (0x2A39). Layouts from HRS 1.0 §3 and the GATT
 * Specification Supplement (GSS) §3.113-§3.115.
 */
import { ATT_VALUE_MAX_BYTES, CodeTable, ValueReader, ValueWriter, checkInteger, outOfRange } from '../internal/gatt-value.js';

const HRM = 'Heart Rate Measurement';

// Heart Rate Measurement flags (GSS §3.113.1).
const FLAG_UINT16 = 0x01;
const FLAG_CONTACT_DETECTED = 0x02;
const FLAG_CONTACT_SUPPORTED = 0x04;
const FLAG_ENERGY_EXPENDED = 0x08;
const FLAG_RR_INTERVALS = 0x10;
const FLAGS_RESERVED = 0xe0;

/** Sensor Contact Status bits (flags bits 1-2): values 0 and 1 both mean "not supported". */
export type SensorContact = 'not-supported' | 'not-detected' | 'detected';

/** One RR-interval unit: 1/1024 s (HRS 1.0 §3.1.1.5). */
export const RR_INTERVAL_RESOLUTION_S = 1 / 1024;

/** A Heart Rate Measurement value. */
export interface HeartRateMeasurement {
  /** Beats per minute: 0..255 as uint8, up to 65,535 as uint16. */
  readonly heartRate: number;
  /** Wire format of the heart rate; default uint8 when the value fits (HRS 1.0 §3.1.1.1). */
  readonly format?: 'uint8' | 'uint16';
  /** Sensor contact status; absent or 'not-supported' writes bits 1-2 as 0. */
  readonly sensorContact?: SensorContact;
  /** Energy expended since the last reset, kilojoules (uint16; stays at 65,535 once reached). */
  readonly energyExpendedKj?: number;
  /** RR-intervals, oldest first, in 1/1024 s units (uint16 each). */
  readonly rrIntervals?: readonly number[];
}

/**
 * The most RR-intervals that fit one notification of `attPayloadBytes` (ATT_MTU - 3): HRS 1.0
 * §3.1.1.5 has the sensor keep the rest for the next notification.
 */
export function maxRrIntervals(attPayloadBytes: number, options: { readonly format?: 'uint8' | 'uint16'; readonly energyExpended?: boolean } = {}): number {
  checkInteger(attPayloadBytes, 20, ATT_VALUE_MAX_BYTES, HRM, 'attPayloadBytes');
  const fixed = 1 + (options.format === 'uint16' ? 2 : 1) + (options.energyExpended === true ? 2 : 0);
  return Math.floor((attPayloadBytes - fixed) / 2);
}

/** Encodes a Heart Rate Measurement. Throws ValueOutOfRangeError. */
export function encodeHeartRateMeasurement(measurement: HeartRateMeasurement): Uint8Array {
  const format = measurement.format ?? (measurement.heartRate > 0xff ? 'uint16' : 'uint8');
  let flags = format === 'uint16' ? FLAG_UINT16 : 0;
  switch (measurement.sensorContact) {
    case undefined:
    case 'not-supported':
      break;
    case 'not-detected':
      flags |= FLAG_CONTACT_SUPPORTED;
      break;
    case 'detected':
      flags |= FLAG_CONTACT_SUPPORTED | FLAG_CONTACT_DETECTED;
      break;
    default:
      outOfRange(HRM, 'sensorContact', 'must be not-supported, not-detected or detected');
  }
  if (measurement.energyExpendedKj !== undefined) flags |= FLAG_ENERGY_EXPENDED;
  // An empty list is written as "no RR-intervals": the flag says whether at least one follows.
  const rrIntervals = measurement.rrIntervals ?? [];
  if (rrIntervals.length > 0) flags |= FLAG_RR_INTERVALS;
  const writer = new ValueWriter(HRM);
  writer.uint8(flags, 'flags');
  if (format === 'uint16') writer.uint16(measurement.heartRate, 'heartRate');
  else if (format === 'uint8') writer.uint8(measurement.heartRate, 'heartRate');
  else outOfRange(HRM, 'format', 'must be uint8 or uint16');
  if (measurement.energyExpendedKj !== undefined) writer.uint16(measurement.energyExpendedKj, 'energyExpendedKj');
  for (const rr of rrIntervals) writer.uint16(rr, 'rrIntervals');
  return writer.finish();
}

/** Decodes a Heart Rate Measurement. Throws MalformedValueError. */
export function decodeHeartRateMeasurement(bytes: Uint8Array): HeartRateMeasurement {
  const reader = new ValueReader(bytes, HRM);
  const flags = reader.uint8('flags');
  if ((flags & FLAGS_RESERVED) !== 0) reader.fail('flags', 'reserved bit set');
  const format = (flags & FLAG_UINT16) !== 0 ? 'uint16' : 'uint8';
  const heartRate = format === 'uint16' ? reader.uint16('heartRate') : reader.uint8('heartRate');
  const sensorContact: SensorContact =
    (flags & FLAG_CONTACT_SUPPORTED) === 0 ? 'not-supported' : (flags & FLAG_CONTACT_DETECTED) !== 0 ? 'detected' : 'not-detected';
  const energyExpendedKj = (flags & FLAG_ENERGY_EXPENDED) !== 0 ? reader.uint16('energyExpendedKj') : undefined;
  let rrIntervals: number[] | undefined;
  if ((flags & FLAG_RR_INTERVALS) !== 0) {
    rrIntervals = [];
    if (reader.remaining === 0 || reader.remaining % 2 !== 0) reader.fail('rrIntervals', 'flag set but no whole RR-interval follows');
    while (reader.remaining > 0) rrIntervals.push(reader.uint16('rrIntervals'));
  }
  reader.end();
  return {
    heartRate,
    format,
    sensorContact,
    ...(energyExpendedKj === undefined ? {} : { energyExpendedKj }),
    ...(rrIntervals === undefined ? {} : { rrIntervals }),
  };
}

/** Body Sensor Location values (GSS §3.29). */
export const BODY_SENSOR_LOCATION = { other: 0, chest: 1, wrist: 2, finger: 3, hand: 4, earLobe: 5, foot: 6 } as const;

/** A Body Sensor Location name. */
export type BodySensorLocation = keyof typeof BODY_SENSOR_LOCATION;

const bodySensorLocations = new CodeTable<BodySensorLocation>(BODY_SENSOR_LOCATION);

/** Encodes a Body Sensor Location (1 byte). Throws ValueOutOfRangeError. */
export function encodeBodySensorLocation(location: BodySensorLocation): Uint8Array {
  return Uint8Array.of(bodySensorLocations.code(location, 'Body Sensor Location', 'location'));
}

/** Decodes a Body Sensor Location. Throws MalformedValueError for a reserved value (7..255). */
export function decodeBodySensorLocation(bytes: Uint8Array): BodySensorLocation {
  const reader = new ValueReader(bytes, 'Body Sensor Location');
  const location = bodySensorLocations.name(reader.uint8('location'), reader, 'location');
  reader.end();
  return location;
}

/** Heart Rate Control Point op codes (HRS 1.0 §3.3.1): only Reset Energy Expended is defined. */
export const HEART_RATE_CONTROL_POINT = { resetEnergyExpended: 0x01 } as const;

/** A Heart Rate Control Point command. */
export type HeartRateControlPointCommand = keyof typeof HEART_RATE_CONTROL_POINT;

/**
 * ATT error a Heart Rate sensor answers a write of any other control point value with
 * (HRS 1.0 §3.3.1.1 "Control Point Value Not Supported").
 */
export const HEART_RATE_CONTROL_POINT_NOT_SUPPORTED = 0x80;

const controlPointCommands = new CodeTable<HeartRateControlPointCommand>(HEART_RATE_CONTROL_POINT);

/** Encodes a Heart Rate Control Point write (1 byte). */
export function encodeHeartRateControlPoint(command: HeartRateControlPointCommand): Uint8Array {
  return Uint8Array.of(controlPointCommands.code(command, 'Heart Rate Control Point', 'command'));
}

/**
 * Decodes a Heart Rate Control Point write. Throws MalformedValueError for anything else; the
 * sensor then answers ATT error HEART_RATE_CONTROL_POINT_NOT_SUPPORTED.
 */
export function decodeHeartRateControlPoint(bytes: Uint8Array): HeartRateControlPointCommand {
  const reader = new ValueReader(bytes, 'Heart Rate Control Point');
  const command = controlPointCommands.name(reader.uint8('command'), reader, 'command');
  reader.end();
  return command;
}

