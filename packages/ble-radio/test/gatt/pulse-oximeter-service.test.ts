/**
 * Pulse Oximeter Service 1.0 codecs (src/gatt/pulse-oximeter-service.ts): field tables of PLXS
 * 1.0 §3 / GSS §3.170-§3.172, with SFLOAT values from the HL7 PHD examples used in
 * ieee11073-float.test.ts (98 % = 0x0062, 72 bpm = 0x0048, NaN = 0x07FF).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  PLX_DEVICE_AND_SENSOR_STATUS_BITS,
  PLX_MEASUREMENT_STATUS_BITS,
  PLX_SUPPORTED_FEATURES_BITS,
  decodePlxContinuousMeasurement,
  decodePlxFeatures,
  decodePlxSpotCheckMeasurement,
  encodePlxContinuousMeasurement,
  encodePlxFeatures,
  encodePlxSpotCheckMeasurement,
  floatNumber,
  type PlxContinuousMeasurement,
  type PlxFeatures,
  type PlxSpotCheckMeasurement,
} from '../../src/index.js';
import { SEED, codeOf, dateTime, defined, expectByteExactRoundTrip, expectCanonicalOrRefused, flagSet, hex, mutated, n, optional, sfloat, thrown, toHex } from './helpers.js';

const measurementStatus = flagSet(Object.keys(PLX_MEASUREMENT_STATUS_BITS) as (keyof typeof PLX_MEASUREMENT_STATUS_BITS)[]);
const deviceStatus = flagSet(Object.keys(PLX_DEVICE_AND_SENSOR_STATUS_BITS) as (keyof typeof PLX_DEVICE_AND_SENSOR_STATUS_BITS)[]);
const pair = fc.record({ spo2: sfloat(), pulseRate: sfloat() });

const spotCheck = (): fc.Arbitrary<PlxSpotCheckMeasurement> =>
  fc
    .record({
      spo2: sfloat(),
      pulseRate: sfloat(),
      timestamp: optional(dateTime()),
      measurementStatus: optional(measurementStatus),
      deviceAndSensorStatus: optional(deviceStatus),
      pulseAmplitudeIndex: optional(sfloat()),
      deviceClockNotSet: fc.boolean(),
    })
    .map(defined);

const continuous = (): fc.Arbitrary<PlxContinuousMeasurement> =>
  fc
    .record({
      normal: pair,
      fast: optional(pair),
      slow: optional(pair),
      measurementStatus: optional(measurementStatus),
      deviceAndSensorStatus: optional(deviceStatus),
      pulseAmplitudeIndex: optional(sfloat()),
    })
    .map(defined);

const features = (): fc.Arbitrary<PlxFeatures> =>
  fc
    .record({
      supported: flagSet(Object.keys(PLX_SUPPORTED_FEATURES_BITS) as (keyof typeof PLX_SUPPORTED_FEATURES_BITS)[]),
      measurementStatusSupport: optional(measurementStatus),
      deviceAndSensorStatusSupport: optional(deviceStatus),
    })
    .map(defined);

describe('PLX Spot-Check Measurement (0x2A5E)', () => {
  it('[CTL-09] encodes SpO2 98 % and 72 bpm as two little-endian SFLOATs', { tags: ['CTL-09'] }, () => {
    expect(toHex(encodePlxSpotCheckMeasurement({ spo2: 98, pulseRate: 72 }))).toBe('00 62 00 48 00');
    const decoded = decodePlxSpotCheckMeasurement(hex('00 62 00 48 00'));
    expect(n(decoded.spo2)).toBe(98);
    expect(n(decoded.pulseRate)).toBe(72);
    expect(decoded.deviceClockNotSet).toBe(false);
    // 97.5 % at one decimal: mantissa 975, exponent -1 = 0xF3CF.
    expect(toHex(encodePlxSpotCheckMeasurement({ spo2: { value: 97.5, exponent: -1 }, pulseRate: Number.NaN }))).toBe('00 cf f3 ff 07');
  });

  it('[CTL-09] writes every optional field in the PLXS order', { tags: ['CTL-09'] }, () => {
    // Flags 0x1F: time stamp, measurement status, device and sensor status (uint24), PAI, clock not set.
    const bytes = encodePlxSpotCheckMeasurement({
      spo2: 98,
      pulseRate: 72,
      timestamp: { year: 2024, month: 5, day: 6, hours: 7, minutes: 8, seconds: 9 },
      measurementStatus: { validatedData: true, measurementOngoing: true },
      deviceAndSensorStatus: { lowPerfusionDetected: true, sensorDisconnected: true },
      pulseAmplitudeIndex: { value: 2.5, exponent: -1 },
      deviceClockNotSet: true,
    });
    expect(toHex(bytes)).toBe('1f 62 00 48 00 e8 07 05 06 07 08 09 a0 00 20 80 00 19 f0');
    const decoded = decodePlxSpotCheckMeasurement(bytes);
    expect(decoded.measurementStatus).toMatchObject({ validatedData: true, measurementOngoing: true, dataForTesting: false });
    expect(decoded.deviceAndSensorStatus).toMatchObject({ lowPerfusionDetected: true, sensorDisconnected: true, poorSignalDetected: false });
    expect(decoded.deviceClockNotSet).toBe(true);
  });

  it('[CTL-09] round-trips any spot-check measurement byte-exactly', { tags: ['CTL-09'] }, () => {
    expectByteExactRoundTrip(spotCheck(), encodePlxSpotCheckMeasurement, decodePlxSpotCheckMeasurement, (value, decoded) => {
      expect(decoded.spo2.value).toBe(floatNumber(value.spo2));
      expect(decoded.timestamp).toEqual(value.timestamp);
    });
  });

  it('[CTL-09] refuses reserved flags, reserved status bits, reserved SFLOATs and truncation', { tags: ['CTL-09'] }, () => {
    expect(thrown(() => decodePlxSpotCheckMeasurement(hex('20 62 00 48 00'))).details).toMatchObject({ field: 'flags' });
    expect(thrown(() => decodePlxSpotCheckMeasurement(hex('02 62 00 48 00 01 00'))).details).toMatchObject({ field: 'measurementStatus', reason: 'reserved bit set' }); // bit 0
    expect(codeOf(() => decodePlxSpotCheckMeasurement(hex('04 62 00 48 00 00 00 01')))).toBe('ERR_BLE_MALFORMED_VALUE'); // bit 16 of the uint24
    expect(codeOf(() => decodePlxSpotCheckMeasurement(hex('00 01 08 48 00')))).toBe('ERR_BLE_RESERVED_VALUE'); // SFLOAT 0x0801
    expect(thrown(() => decodePlxSpotCheckMeasurement(hex('00 01 08 48 00'))).details).toEqual({ characteristic: 'PLX Spot-Check Measurement', field: 'spo2pr.spo2' });
    expect(codeOf(() => decodePlxSpotCheckMeasurement(hex('01 62 00 48 00 e8 07')))).toBe('ERR_BLE_MALFORMED_VALUE'); // time stamp cut
    expect(codeOf(() => decodePlxSpotCheckMeasurement(hex('00 62 00 48')))).toBe('ERR_BLE_MALFORMED_VALUE');
    expect(codeOf(() => encodePlxSpotCheckMeasurement({ spo2: 98, pulseRate: 72, measurementStatus: { bogus: true } as never }))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
    expect(codeOf(() => encodePlxSpotCheckMeasurement({ spo2: 98.25, pulseRate: 72 }))).toBe('ERR_BLE_NOT_ENCODABLE'); // 9825 > 2045
  });

  it('[CTL-09] decodes any bytes canonically or refuses them with a typed error', { tags: ['CTL-09'] }, () => {
    fc.assert(
      fc.property(mutated(spotCheck().map(encodePlxSpotCheckMeasurement)), (bytes) => expectCanonicalOrRefused(bytes, decodePlxSpotCheckMeasurement, encodePlxSpotCheckMeasurement)),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('PLX Continuous Measurement (0x2A5F)', () => {
  it('[CTL-09] writes SpO2PR-Normal, then Fast and Slow when flagged', { tags: ['CTL-09'] }, () => {
    expect(toHex(encodePlxContinuousMeasurement({ normal: { spo2: 98, pulseRate: 72 } }))).toBe('00 62 00 48 00');
    const bytes = encodePlxContinuousMeasurement({ normal: { spo2: 98, pulseRate: 72 }, slow: { spo2: 97, pulseRate: 70 }, pulseAmplitudeIndex: 3 });
    expect(toHex(bytes)).toBe('12 62 00 48 00 61 00 46 00 03 00');
    const decoded = decodePlxContinuousMeasurement(bytes);
    expect(decoded.fast).toBeUndefined();
    expect(n(decoded.slow?.spo2)).toBe(97);
    expect(n(decoded.pulseAmplitudeIndex)).toBe(3);
  });

  it('[CTL-09] round-trips any continuous measurement and refuses malformed ones', { tags: ['CTL-09'] }, () => {
    expectByteExactRoundTrip(continuous(), encodePlxContinuousMeasurement, decodePlxContinuousMeasurement);
    expect(codeOf(() => decodePlxContinuousMeasurement(hex('80 62 00 48 00')))).toBe('ERR_BLE_MALFORMED_VALUE');
    expect(codeOf(() => decodePlxContinuousMeasurement(hex('01 62 00 48 00 61 00')))).toBe('ERR_BLE_MALFORMED_VALUE'); // Fast cut
    fc.assert(
      fc.property(mutated(continuous().map(encodePlxContinuousMeasurement)), (bytes) =>
        expectCanonicalOrRefused(bytes, decodePlxContinuousMeasurement, encodePlxContinuousMeasurement),
      ),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('PLX Features (0x2A60)', () => {
  it('[CTL-09] adds the status support fields the first two feature bits announce', { tags: ['CTL-09'] }, () => {
    expect(toHex(encodePlxFeatures({ supported: { spotCheckTimestamp: true } }))).toBe('08 00');
    const all = Object.fromEntries(Object.keys(PLX_MEASUREMENT_STATUS_BITS).map((name) => [name, true]));
    const allDevice = Object.fromEntries(Object.keys(PLX_DEVICE_AND_SENSOR_STATUS_BITS).map((name) => [name, true]));
    // Measurement Status Support uses bits 5-15 (0xFFE0); Device and Sensor Status Support bits 0-15 of a uint24.
    expect(toHex(encodePlxFeatures({ supported: {}, measurementStatusSupport: all, deviceAndSensorStatusSupport: allDevice }))).toBe('03 00 e0 ff ff ff 00');
    expect(decodePlxFeatures(hex('03 00 e0 ff ff ff 00')).measurementStatusSupport).toMatchObject({ invalidMeasurementDetected: true });
    expectByteExactRoundTrip(features(), encodePlxFeatures, decodePlxFeatures);
    expect(codeOf(() => decodePlxFeatures(hex('00 01')))).toBe('ERR_BLE_MALFORMED_VALUE'); // bit 8 reserved
    expect(codeOf(() => decodePlxFeatures(hex('01 00 e0')))).toBe('ERR_BLE_MALFORMED_VALUE'); // support field cut
  });
});
