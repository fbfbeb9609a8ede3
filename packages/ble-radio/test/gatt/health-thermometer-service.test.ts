/**
 * Health Thermometer Service 1.0 codecs (src/gatt/health-thermometer-service.ts): HTS 1.0 §3 /
 * GSS field tables, with readings sent by a commercial thermometer.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  TEMPERATURE_TYPE,
  decodeIntermediateTemperature,
  decodeMeasurementInterval,
  decodeTemperatureMeasurement,
  decodeTemperatureType,
  encodeIntermediateTemperature,
  encodeMeasurementInterval,
  encodeTemperatureMeasurement,
  encodeTemperatureType,
  type TemperatureMeasurement,
  type TemperatureType,
} from '../../src/index.js';
import { SEED, codeOf, dateTime, defined, expectByteExactRoundTrip, expectCanonicalOrRefused, float, hex, mutated, optional, toHex } from './helpers.js';

const measurement = (): fc.Arbitrary<TemperatureMeasurement> =>
  fc
    .record({
      value: float(),
      unit: fc.constantFrom('celsius' as const, 'fahrenheit' as const),
      timestamp: optional(dateTime()),
      temperatureType: optional(fc.constantFrom(...(Object.keys(TEMPERATURE_TYPE) as TemperatureType[]))),
    })
    .map(defined);

describe('Temperature Measurement (0x2A1C) and Intermediate Temperature (0x2A1E)', () => {
  it('[CTL-09] encodes 36.4 °C as the FLOAT 0xFF00016C', { tags: ['CTL-09'] }, () => {
    // HL7 PHD FLOAT example of ieee11073-float.test.ts (364 × 10^-1), little-endian after flags 0x00.
    expect(toHex(encodeTemperatureMeasurement({ value: 36.4, unit: 'celsius' }))).toBe('00 6c 01 00 ff');
    expect(decodeTemperatureMeasurement(hex('00 6c 01 00 ff'))).toEqual({ value: { value: 36.4, mantissa: 364, exponent: -1 }, unit: 'celsius' });
    // 98.6 °F (flags bit 0).
    expect(toHex(encodeTemperatureMeasurement({ value: 98.6, unit: 'fahrenheit' }))).toBe('01 da 03 00 ff');
  });

  it('[CTL-09] decodes readings of a commercial thermometer (time stamp and type)', { tags: ['CTL-09'] }, () => {
    // Stack Overflow question 54834439: flags 0x06 (time stamp, temperature type), FLOAT, Date Time, type 2 (body).
    expect(decodeTemperatureMeasurement(hex('06 68 01 00 ff e2 07 03 0a 15 34 00 02'))).toEqual({
      value: { value: 36, mantissa: 360, exponent: -1 },
      unit: 'celsius',
      timestamp: { year: 2018, month: 3, day: 10, hours: 21, minutes: 52, seconds: 0 },
      temperatureType: 'body',
    });
    expect(decodeTemperatureMeasurement(hex('06 6a 01 00 ff e2 07 03 0a 14 14 00 02')).value.value).toBe(36.2);
    expect(decodeTemperatureMeasurement(hex('06 70 01 00 ff e2 07 03 0a 14 1b 00 02')).value.value).toBe(36.8);
    expect(decodeTemperatureMeasurement(hex('06 5a 01 00 ff e2 07 03 0a 14 1f 00 02')).value.value).toBe(34.6);
    // The same bytes re-encode exactly: precision (10^-1) is kept.
    const reading = decodeTemperatureMeasurement(hex('06 68 01 00 ff e2 07 03 0a 15 34 00 02'));
    expect(toHex(encodeTemperatureMeasurement(reading))).toBe('06 68 01 00 ff e2 07 03 0a 15 34 00 02');
    expect(toHex(encodeIntermediateTemperature(reading))).toBe('06 68 01 00 ff e2 07 03 0a 15 34 00 02');
  });

  it('[CTL-09] round-trips any measurement byte-exactly', { tags: ['CTL-09'] }, () => {
    expectByteExactRoundTrip(measurement(), encodeTemperatureMeasurement, decodeTemperatureMeasurement);
    expectByteExactRoundTrip(measurement(), encodeIntermediateTemperature, decodeIntermediateTemperature);
  });

  it('[CTL-09] refuses reserved flags, reserved FLOATs, reserved types and truncation', { tags: ['CTL-09'] }, () => {
    expect(codeOf(() => decodeTemperatureMeasurement(hex('08 6c 01 00 ff')))).toBe('ERR_BLE_MALFORMED_VALUE');
    expect(codeOf(() => decodeTemperatureMeasurement(hex('00 01 00 80 00')))).toBe('ERR_BLE_RESERVED_VALUE'); // FLOAT 0x00800001
    expect(codeOf(() => decodeTemperatureMeasurement(hex('04 6c 01 00 ff 0a')))).toBe('ERR_BLE_MALFORMED_VALUE'); // type 10
    expect(codeOf(() => decodeTemperatureMeasurement(hex('00 6c 01 00')))).toBe('ERR_BLE_MALFORMED_VALUE');
    // NaN ("no reading") is legal: FLOAT 0x007FFFFF.
    expect(Number.isNaN(decodeTemperatureMeasurement(hex('00 ff ff 7f 00')).value.value)).toBe(true);
    expect(codeOf(() => encodeTemperatureMeasurement({ value: 36.4, unit: 'kelvin' as never }))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
    fc.assert(
      fc.property(mutated(measurement().map(encodeTemperatureMeasurement)), (bytes) => expectCanonicalOrRefused(bytes, decodeTemperatureMeasurement, encodeTemperatureMeasurement)),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('Temperature Type (0x2A1D) and Measurement Interval (0x2A21)', () => {
  it('[CTL-09] maps the nine temperature types and refuses 0 and 10..255', { tags: ['CTL-09'] }, () => {
    // GSS Temperature Type: 1 Armpit ... 9 Tympanum.
    expect(Object.values(TEMPERATURE_TYPE)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const [name, code] of Object.entries(TEMPERATURE_TYPE) as [TemperatureType, number][]) {
      expect([...encodeTemperatureType(name)]).toEqual([code]);
      expect(decodeTemperatureType(Uint8Array.of(code))).toBe(name);
    }
    expect(codeOf(() => decodeTemperatureType(hex('00')))).toBe('ERR_BLE_MALFORMED_VALUE');
    expect(codeOf(() => decodeTemperatureType(hex('0a')))).toBe('ERR_BLE_MALFORMED_VALUE');
  });

  it('[CTL-09] carries the interval as uint16 seconds', { tags: ['CTL-09'] }, () => {
    expect(toHex(encodeMeasurementInterval(0))).toBe('00 00'); // no periodic measurement
    expect(toHex(encodeMeasurementInterval(3600))).toBe('10 0e');
    expect(decodeMeasurementInterval(hex('ff ff'))).toBe(65_535);
    expect(codeOf(() => decodeMeasurementInterval(hex('10')))).toBe('ERR_BLE_MALFORMED_VALUE');
    expect(codeOf(() => encodeMeasurementInterval(65_536))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
  });
});
