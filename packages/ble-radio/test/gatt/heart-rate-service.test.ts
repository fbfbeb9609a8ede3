/**
 * Heart Rate Service 1.0 codecs (src/gatt/heart-rate-service.ts), checked against the field
 * table of the Heart Rate Measurement (GATT XML org.bluetooth.characteristic.heart_rate_measurement,
 * HRS 1.0 §3.1) and values captured from real chest straps.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BODY_SENSOR_LOCATION,
  HEART_RATE_CONTROL_POINT_NOT_SUPPORTED,
  decodeBodySensorLocation,
  decodeHeartRateControlPoint,
  decodeHeartRateMeasurement,
  encodeBodySensorLocation,
  encodeHeartRateControlPoint,
  encodeHeartRateMeasurement,
  maxRrIntervals,
  type BodySensorLocation,
  type HeartRateMeasurement,
} from '../../src/index.js';
import { SEED, codeOf, defined, expectByteExactRoundTrip, expectCanonicalOrRefused, hex, mutated, optional, thrown, toHex } from './helpers.js';

const measurement = (): fc.Arbitrary<HeartRateMeasurement> =>
  fc
    .record({
      format: fc.constantFrom('uint8' as const, 'uint16' as const),
      sensorContact: optional(fc.constantFrom('not-supported' as const, 'not-detected' as const, 'detected' as const)),
      energyExpendedKj: optional(fc.integer({ min: 0, max: 0xffff })),
      rrIntervals: optional(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 8 })),
      heartRate: fc.integer({ min: 0, max: 0xffff }),
    })
    .map(({ format, heartRate, ...rest }) => defined({ ...rest, format, heartRate: format === 'uint8' ? heartRate & 0xff : heartRate }));

describe('Heart Rate Measurement (0x2A37)', () => {
  it('[CTL-09] decodes 06 48: sensor contact supported and detected, 72 bpm as uint8', { tags: ['CTL-09'] }, () => {
    // Flags 0x06: bit 0 = 0 (uint8), bits 1-2 = 3 (contact supported and detected), GATT XML
    // heart_rate_measurement flags table; 0x48 = 72 bpm.
    expect(decodeHeartRateMeasurement(hex('06 48'))).toEqual({ heartRate: 72, format: 'uint8', sensorContact: 'detected' });
    expect(toHex(encodeHeartRateMeasurement({ heartRate: 72, sensorContact: 'detected' }))).toBe('06 48');
  });

  it('[CTL-09] decodes RR-intervals captured from a chest strap (flags 0x16)', { tags: ['CTL-09'] }, () => {
    // Notifications of a commercial strap quoted in Stack Overflow question 33917836: flags 0x16
    // (contact detected, RR-intervals present), then one, two or three RR-intervals in 1/1024 s.
    expect(decodeHeartRateMeasurement(hex('16 77 04 02'))).toEqual({ heartRate: 119, format: 'uint8', sensorContact: 'detected', rrIntervals: [0x0204] });
    expect(decodeHeartRateMeasurement(hex('16 77 08 02 08 02'))).toMatchObject({ heartRate: 119, rrIntervals: [520, 520] });
    expect(decodeHeartRateMeasurement(hex('16 78 ff 01 ff 01 0c 01'))).toMatchObject({ heartRate: 120, rrIntervals: [511, 511, 268] });
    // 60 bpm with one RR-interval of exactly 1 s (1024/1024): 16 3c 00 04.
    const oneSecond = encodeHeartRateMeasurement({ heartRate: 60, sensorContact: 'detected', rrIntervals: [1024] });
    expect(toHex(oneSecond)).toBe('16 3c 00 04');
  });

  it('[CTL-09] writes uint16 heart rates and energy expended little-endian', { tags: ['CTL-09'] }, () => {
    // GATT XML: bit 0 = 1 selects uint16; bit 3 adds Energy Expended (uint16, kJ) before the RR-intervals.
    expect(toHex(encodeHeartRateMeasurement({ heartRate: 300, energyExpendedKj: 0x1234, rrIntervals: [800] }))).toBe('19 2c 01 34 12 20 03');
    expect(toHex(encodeHeartRateMeasurement({ heartRate: 72, format: 'uint16' }))).toBe('01 48 00');
    expect(decodeHeartRateMeasurement(hex('0c 50 ff ff'))).toEqual({ heartRate: 80, format: 'uint8', sensorContact: 'not-detected', energyExpendedKj: 65_535 });
    // Sensor Contact Status value 1 also means "not supported" (GATT XML): accepted, written back as 0.
    expect(decodeHeartRateMeasurement(hex('02 48'))).toMatchObject({ sensorContact: 'not-supported' });
  });

  it('[CTL-09] round-trips any measurement byte-exactly', { tags: ['CTL-09'] }, () => {
    expectByteExactRoundTrip(measurement(), encodeHeartRateMeasurement, decodeHeartRateMeasurement, (value, decoded) => {
      expect(decoded.heartRate).toBe(value.heartRate);
      expect(decoded.rrIntervals).toEqual(value.rrIntervals);
      expect(decoded.energyExpendedKj).toBe(value.energyExpendedKj);
    });
  });

  it('[CTL-09] refuses truncated values, reserved flags, odd RR bytes and trailing bytes', { tags: ['CTL-09'] }, () => {
    expect(codeOf(() => decodeHeartRateMeasurement(hex('')))).toBe('ERR_BLE_MALFORMED_VALUE');
    expect(codeOf(() => decodeHeartRateMeasurement(hex('01 48')))).toBe('ERR_BLE_MALFORMED_VALUE'); // uint16 cut short
    expect(thrown(() => decodeHeartRateMeasurement(hex('26 48'))).details).toMatchObject({ field: 'flags', reason: 'reserved bit set' });
    expect(thrown(() => decodeHeartRateMeasurement(hex('16 48'))).details).toMatchObject({ field: 'rrIntervals' }); // flag, no RR
    expect(codeOf(() => decodeHeartRateMeasurement(hex('16 48 00 04 01')))).toBe('ERR_BLE_MALFORMED_VALUE'); // half an RR
    expect(codeOf(() => decodeHeartRateMeasurement(hex('06 48 00')))).toBe('ERR_BLE_MALFORMED_VALUE'); // trailing byte
    // The error names characteristic and field, never the reading.
    expect(thrown(() => decodeHeartRateMeasurement(hex('08 48 01'))).details).toEqual({ characteristic: 'Heart Rate Measurement', field: 'energyExpendedKj', reason: 'truncated' });
  });

  it('[CTL-09] refuses values it cannot write', { tags: ['CTL-09'] }, () => {
    expect(codeOf(() => encodeHeartRateMeasurement({ heartRate: 256, format: 'uint8' }))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
    expect(codeOf(() => encodeHeartRateMeasurement({ heartRate: 70.5 }))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
    expect(codeOf(() => encodeHeartRateMeasurement({ heartRate: 70, rrIntervals: [-1] }))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
    expect(codeOf(() => encodeHeartRateMeasurement({ heartRate: 70, energyExpendedKj: 70_000 }))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
    // More RR-intervals than one attribute value holds (512 bytes).
    expect(codeOf(() => encodeHeartRateMeasurement({ heartRate: 70, rrIntervals: Array.from({ length: 256 }, () => 800) }))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
  });

  it('sizes RR-interval batches to the ATT payload (HRS 1.0 §3.1.1.5)', () => {
    // MTU 23 → 20-byte values: flags + uint8 rate leave 18 bytes = 9 RR-intervals; 8 with energy expended.
    expect(maxRrIntervals(20)).toBe(9);
    expect(maxRrIntervals(20, { energyExpended: true })).toBe(8);
    expect(maxRrIntervals(20, { format: 'uint16', energyExpended: true })).toBe(7);
    const full = encodeHeartRateMeasurement({ heartRate: 70, rrIntervals: Array.from({ length: maxRrIntervals(20) }, () => 800) });
    expect(full.length).toBeLessThanOrEqual(20);
  });

  it('[CTL-09] decodes any bytes canonically or refuses them with a typed error', { tags: ['CTL-09'] }, () => {
    fc.assert(
      fc.property(mutated(measurement().map(encodeHeartRateMeasurement)), (bytes) => {
        // Contact status 1 ("not supported", bit 1 alone) is written back as 0.
        expectCanonicalOrRefused(bytes, decodeHeartRateMeasurement, encodeHeartRateMeasurement, (b) => {
          const copy = b.slice();
          if (((copy[0] ?? 0) & 0x06) === 0x02) copy[0] = (copy[0] ?? 0) & ~0x02;
          return copy;
        });
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
});

describe('Body Sensor Location (0x2A38) and Heart Rate Control Point (0x2A39)', () => {
  it('[CTL-09] maps every location of the spec table and refuses reserved values', { tags: ['CTL-09'] }, () => {
    // GATT XML body_sensor_location: 0 Other, 1 Chest, 2 Wrist, 3 Finger, 4 Hand, 5 Ear Lobe, 6 Foot.
    for (const [name, code] of Object.entries(BODY_SENSOR_LOCATION) as [BodySensorLocation, number][]) {
      expect([...encodeBodySensorLocation(name)]).toEqual([code]);
      expect(decodeBodySensorLocation(Uint8Array.of(code))).toBe(name);
    }
    expect(decodeBodySensorLocation(hex('01'))).toBe('chest');
    expect(codeOf(() => decodeBodySensorLocation(hex('07')))).toBe('ERR_BLE_MALFORMED_VALUE');
    expect(codeOf(() => decodeBodySensorLocation(hex('01 00')))).toBe('ERR_BLE_MALFORMED_VALUE');
    expect(codeOf(() => encodeBodySensorLocation('elbow' as BodySensorLocation))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
  });

  it('[CTL-09] accepts only Reset Energy Expended (0x01) on the control point', { tags: ['CTL-09'] }, () => {
    expect(toHex(encodeHeartRateControlPoint('resetEnergyExpended'))).toBe('01');
    expect(decodeHeartRateControlPoint(hex('01'))).toBe('resetEnergyExpended');
    // HRS 1.0 §3.3.1.1: any other value is answered with ATT error 0x80.
    for (const value of ['00', '02', 'ff', '01 01', '']) expect(codeOf(() => decodeHeartRateControlPoint(hex(value)))).toBe('ERR_BLE_MALFORMED_VALUE');
    expect(HEART_RATE_CONTROL_POINT_NOT_SUPPORTED).toBe(0x80);
  });
});
