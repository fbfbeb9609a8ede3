/**
 * Blood Pressure Service codecs (src/gatt/blood-pressure-service.ts): BLS 1.1 §3 / GSS
 * §3.31-§3.33 field tables, and a measurement indicated by a commercial cuff.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BLOOD_PRESSURE_FEATURE_BITS,
  BLOOD_PRESSURE_STATUS_BITS,
  decodeBloodPressureFeature,
  decodeBloodPressureMeasurement,
  decodeIntermediateCuffPressure,
  encodeBloodPressureFeature,
  encodeBloodPressureMeasurement,
  encodeIntermediateCuffPressure,
  type BloodPressureMeasurement,
  type IntermediateCuffPressure,
} from '../../src/index.js';
import { SEED, codeOf, dateTime, defined, expectByteExactRoundTrip, expectCanonicalOrRefused, flagSet, hex, mutated, n, optional, sfloat, thrown, toHex } from './helpers.js';

const status = fc
  .tuple(
    flagSet(Object.keys(BLOOD_PRESSURE_STATUS_BITS) as (keyof typeof BLOOD_PRESSURE_STATUS_BITS)[]),
    fc.constantFrom('withinRange' as const, 'exceedsUpperLimit' as const, 'belowLowerLimit' as const),
  )
  .map(([bits, pulseRateRange]) => ({ ...bits, pulseRateRange }));

const common = {
  unit: fc.constantFrom('mmHg' as const, 'kPa' as const),
  timestamp: optional(dateTime()),
  pulseRate: optional(sfloat()),
  userId: optional(fc.integer({ min: 0, max: 255 })),
  measurementStatus: optional(status),
};

const measurement = (): fc.Arbitrary<BloodPressureMeasurement> =>
  fc.record({ ...common, systolic: sfloat(), diastolic: sfloat(), meanArterialPressure: sfloat() }).map(defined);

const cuff = (): fc.Arbitrary<IntermediateCuffPressure> => fc.record({ ...common, currentCuffPressure: sfloat() }).map(defined);

// Indicated by a commercial cuff, Stack Overflow question 78168365 (nRF Connect showed 127.0 mmHg).
const CUFF_CAPTURE = 'de f6 f4 16 f3 ff 07 e4 07 01 14 08 2b 00 b2 f2 01 80 00';

describe('Blood Pressure Measurement (0x2A35)', () => {
  it('[CTL-09] decodes a real cuff reading once its reserved bits are cleared', { tags: ['CTL-09'] }, () => {
    // The capture sets flags bits 6-7 and Measurement Status bit 7, all reserved in BLS: medsim
    // refuses it as sent. With those bits cleared it reads 127.0/79.0 mmHg, MAP NaN (0x07FF),
    // 2020-01-20 08:43:00, pulse 69.0, user 1.
    expect(thrown(() => decodeBloodPressureMeasurement(hex(CUFF_CAPTURE))).details).toMatchObject({ field: 'flags', reason: 'reserved bit set' });
    const decoded = decodeBloodPressureMeasurement(hex('1e f6 f4 16 f3 ff 07 e4 07 01 14 08 2b 00 b2 f2 01 00 00'));
    expect(decoded).toMatchObject({ unit: 'mmHg', userId: 1, timestamp: { year: 2020, month: 1, day: 20, hours: 8, minutes: 43, seconds: 0 } });
    expect(decoded.systolic).toEqual({ value: 127, mantissa: 1270, exponent: -1 });
    expect(n(decoded.diastolic)).toBe(79);
    expect(decoded.meanArterialPressure.special).toBe('nan');
    expect(n(decoded.pulseRate)).toBe(69);
    expect(decoded.measurementStatus).toEqual({ bodyMovementDetected: false, cuffTooLoose: false, irregularPulseDetected: false, improperMeasurementPosition: false, pulseRateRange: 'withinRange' });
    expect(thrown(() => decodeBloodPressureMeasurement(hex('1e f6 f4 16 f3 ff 07 e4 07 01 14 08 2b 00 b2 f2 01 80 00'))).details).toMatchObject({ field: 'measurementStatus' });
  });

  it('[CTL-09] encodes 120/80 mmHg, MAP 93, with the spec field order', { tags: ['CTL-09'] }, () => {
    // HL7 PHD SFLOAT examples: 120 = 0x0078, 80 = 0x0050, 93 = 0x005D.
    expect(toHex(encodeBloodPressureMeasurement({ unit: 'mmHg', systolic: 120, diastolic: 80, meanArterialPressure: 93 }))).toBe('00 78 00 50 00 5d 00');
    // kPa (flags bit 0): 16.0 kPa at one decimal = 160 × 10^-1 = 0xF0A0; pulse, user 255 (unknown), status.
    const bytes = encodeBloodPressureMeasurement({
      unit: 'kPa',
      systolic: { value: 16, exponent: -1 },
      diastolic: { value: 10.7, exponent: -1 },
      meanArterialPressure: { value: 12.4, exponent: -1 },
      pulseRate: 64,
      userId: 255,
      measurementStatus: { irregularPulseDetected: true, pulseRateRange: 'exceedsUpperLimit' },
    });
    // Status: bit 2 (irregular pulse) + bits 3-4 = 1 (exceeds upper limit) = 0x000C.
    expect(toHex(bytes)).toBe('1d a0 f0 6b f0 7c f0 40 00 ff 0c 00');
  });

  it('[CTL-09] round-trips any measurement byte-exactly', { tags: ['CTL-09'] }, () => {
    expectByteExactRoundTrip(measurement(), encodeBloodPressureMeasurement, decodeBloodPressureMeasurement, (value, decoded) => {
      expect(decoded.unit).toBe(value.unit);
      expect(decoded.userId).toBe(value.userId);
      expect(decoded.measurementStatus?.pulseRateRange).toBe(value.measurementStatus?.pulseRateRange);
    });
  });

  it('[CTL-09] refuses truncation, the reserved pulse rate range and reserved SFLOATs', { tags: ['CTL-09'] }, () => {
    expect(codeOf(() => decodeBloodPressureMeasurement(hex('00 78 00 50 00')))).toBe('ERR_BLE_MALFORMED_VALUE');
    expect(thrown(() => decodeBloodPressureMeasurement(hex('10 78 00 50 00 5d 00 18 00'))).details).toMatchObject({ field: 'measurementStatus.pulseRateRange' }); // range 3
    expect(codeOf(() => decodeBloodPressureMeasurement(hex('00 01 08 50 00 5d 00')))).toBe('ERR_BLE_RESERVED_VALUE');
    expect(codeOf(() => decodeBloodPressureMeasurement(hex('00 78 00 50 00 5d 00 00')))).toBe('ERR_BLE_MALFORMED_VALUE');
    expect(codeOf(() => encodeBloodPressureMeasurement({ unit: 'cmH2O' as never, systolic: 1, diastolic: 1, meanArterialPressure: 1 }))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
    expect(codeOf(() => encodeBloodPressureMeasurement({ unit: 'mmHg', systolic: 120, diastolic: 80, meanArterialPressure: 93, userId: 256 }))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
  });

  it('[CTL-09] decodes any bytes canonically or refuses them with a typed error', { tags: ['CTL-09'] }, () => {
    fc.assert(
      fc.property(mutated(measurement().map(encodeBloodPressureMeasurement)), (bytes) =>
        expectCanonicalOrRefused(bytes, decodeBloodPressureMeasurement, encodeBloodPressureMeasurement),
      ),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('Intermediate Cuff Pressure (0x2A36)', () => {
  it('[CTL-09] writes the cuff pressure as systolic and NaN in the unused fields', { tags: ['CTL-09'] }, () => {
    // GSS: "Diastolic (unused) ... set to the special value NaN" (0x07FF), same for MAP.
    expect(toHex(encodeIntermediateCuffPressure({ unit: 'mmHg', currentCuffPressure: 152 }))).toBe('00 98 00 ff 07 ff 07');
    expect(n(decodeIntermediateCuffPressure(hex('00 98 00 ff 07 ff 07')).currentCuffPressure)).toBe(152);
    // Whatever a sender puts in the unused fields is ignored, as long as it is an SFLOAT.
    expect(n(decodeIntermediateCuffPressure(hex('00 98 00 50 00 5d 00')).currentCuffPressure)).toBe(152);
    expect(codeOf(() => decodeIntermediateCuffPressure(hex('00 98 00 01 08 ff 07')))).toBe('ERR_BLE_RESERVED_VALUE');
    expectByteExactRoundTrip(cuff(), encodeIntermediateCuffPressure, decodeIntermediateCuffPressure);
  });
});

describe('Blood Pressure Feature (0x2A49)', () => {
  it('[CTL-09] carries the BLS 1.0 and 1.1 feature bits and refuses reserved ones', { tags: ['CTL-09'] }, () => {
    expect(toHex(encodeBloodPressureFeature({ bodyMovementDetection: true, irregularPulseDetection: true, userFacingTime: true }))).toBe('05 01');
    const all = Object.fromEntries(Object.keys(BLOOD_PRESSURE_FEATURE_BITS).map((name) => [name, true]));
    expect(toHex(encodeBloodPressureFeature(all))).toBe('ff 01');
    expect(decodeBloodPressureFeature(hex('ff 01'))).toEqual(all);
    expect(codeOf(() => decodeBloodPressureFeature(hex('00 02')))).toBe('ERR_BLE_MALFORMED_VALUE'); // bit 9
    expect(codeOf(() => decodeBloodPressureFeature(hex('00')))).toBe('ERR_BLE_MALFORMED_VALUE');
  });
});
