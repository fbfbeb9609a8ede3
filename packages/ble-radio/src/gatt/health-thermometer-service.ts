/**
 * Health Thermometer Service 1.0 (HTS, UUID 0x1809): Temperature Measurement (0x2A1C),
 * Temperature Type (0x2A1D), Intermediate Temperature (0x2A1E) and Measurement Interval
 * (0x2A21). Layouts from HTS 1.0 §3 and the GATT Specification Supplement (GSS) §3.216-§3.218,
 * §3.141. The temperature is a 32-bit IEEE 11073 FLOAT in °C or °F (flags bit 0).
 */
import type { DecodedFloat } from './ieee11073-float.js';
import type { FloatValue } from './characteristic-value.js';
import type { DateTime } from './date-time.js';
import { CodeTable, ValueReader, ValueWriter, outOfRange, readDateTime, writeDateTime } from '../internal/gatt-value.js';

/** Temperature Type values (GSS §3.217); 0 and 10..255 are reserved. */
export const TEMPERATURE_TYPE = {
  armpit: 1,
  body: 2,
  ear: 3,
  finger: 4,
  gastrointestinalTract: 5,
  mouth: 6,
  rectum: 7,
  toe: 8,
  tympanum: 9,
} as const;

/** A Temperature Type name. */
export type TemperatureType = keyof typeof TEMPERATURE_TYPE;

/** A Temperature Measurement or Intermediate Temperature (decoded values carry their precision). */
export interface TemperatureMeasurement<F extends FloatValue = FloatValue> {
  /** FLOAT in `unit`; NaN when the thermometer has no reading. */
  readonly value: F;
  readonly unit: 'celsius' | 'fahrenheit';
  readonly timestamp?: DateTime;
  /** Where the temperature was taken (flags bit 2). */
  readonly temperatureType?: TemperatureType;
}

const temperatureTypes = new CodeTable<TemperatureType>(TEMPERATURE_TYPE);

const FLAG_FAHRENHEIT = 0x01;
const FLAG_TIMESTAMP = 0x02;
const FLAG_TYPE = 0x04;
const FLAGS_RESERVED = 0xf8;

function encodeTemperature(characteristic: string, measurement: TemperatureMeasurement): Uint8Array {
  const { unit, timestamp, temperatureType } = measurement;
  if (unit !== 'celsius' && unit !== 'fahrenheit') outOfRange(characteristic, 'unit', 'must be celsius or fahrenheit');
  const flags = (unit === 'fahrenheit' ? FLAG_FAHRENHEIT : 0) | (timestamp === undefined ? 0 : FLAG_TIMESTAMP) | (temperatureType === undefined ? 0 : FLAG_TYPE);
  const writer = new ValueWriter(characteristic);
  writer.uint8(flags, 'flags');
  writer.float(measurement.value, 'value');
  if (timestamp !== undefined) writeDateTime(writer, timestamp, characteristic, 'timestamp');
  if (temperatureType !== undefined) writer.uint8(temperatureTypes.code(temperatureType, characteristic, 'temperatureType'), 'temperatureType');
  return writer.finish();
}

function decodeTemperature(characteristic: string, bytes: Uint8Array): TemperatureMeasurement<DecodedFloat> {
  const reader = new ValueReader(bytes, characteristic);
  const flags = reader.uint8('flags');
  if ((flags & FLAGS_RESERVED) !== 0) reader.fail('flags', 'reserved bit set');
  const value = reader.float('value');
  const timestamp = (flags & FLAG_TIMESTAMP) !== 0 ? readDateTime(reader, 'timestamp') : undefined;
  const temperatureType = (flags & FLAG_TYPE) !== 0 ? temperatureTypes.name(reader.uint8('temperatureType'), reader, 'temperatureType') : undefined;
  reader.end();
  return {
    value,
    unit: (flags & FLAG_FAHRENHEIT) !== 0 ? 'fahrenheit' : 'celsius',
    ...(timestamp === undefined ? {} : { timestamp }),
    ...(temperatureType === undefined ? {} : { temperatureType }),
  };
}

/** Encodes a Temperature Measurement. Throws ValueOutOfRangeError or NotEncodableError. */
export function encodeTemperatureMeasurement(measurement: TemperatureMeasurement): Uint8Array {
  return encodeTemperature('Temperature Measurement', measurement);
}

/** Decodes a Temperature Measurement. Throws MalformedValueError or ReservedValueError. */
export function decodeTemperatureMeasurement(bytes: Uint8Array): TemperatureMeasurement<DecodedFloat> {
  return decodeTemperature('Temperature Measurement', bytes);
}

/** Encodes an Intermediate Temperature (same format as Temperature Measurement, HTS 1.0 §3.3). */
export function encodeIntermediateTemperature(measurement: TemperatureMeasurement): Uint8Array {
  return encodeTemperature('Intermediate Temperature', measurement);
}

/** Decodes an Intermediate Temperature. Throws MalformedValueError or ReservedValueError. */
export function decodeIntermediateTemperature(bytes: Uint8Array): TemperatureMeasurement<DecodedFloat> {
  return decodeTemperature('Intermediate Temperature', bytes);
}

/** Encodes a Temperature Type (1 byte). Throws ValueOutOfRangeError. */
export function encodeTemperatureType(type: TemperatureType): Uint8Array {
  return Uint8Array.of(temperatureTypes.code(type, 'Temperature Type', 'temperatureType'));
}

/** Decodes a Temperature Type. Throws MalformedValueError for a reserved value. */
export function decodeTemperatureType(bytes: Uint8Array): TemperatureType {
  const reader = new ValueReader(bytes, 'Temperature Type');
  const type = temperatureTypes.name(reader.uint8('temperatureType'), reader, 'temperatureType');
  reader.end();
  return type;
}

/** Encodes a Measurement Interval: seconds between measurements, 0 = no periodic measurement (uint16). */
export function encodeMeasurementInterval(seconds: number): Uint8Array {
  const writer = new ValueWriter('Measurement Interval');
  writer.uint16(seconds, 'seconds');
  return writer.finish();
}

/** Decodes a Measurement Interval, seconds. Throws MalformedValueError. */
export function decodeMeasurementInterval(bytes: Uint8Array): number {
  const reader = new ValueReader(bytes, 'Measurement Interval');
  const seconds = reader.uint16('seconds');
  reader.end();
  return seconds;
}
