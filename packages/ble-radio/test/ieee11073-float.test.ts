import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FLOAT_SPECIAL, SFLOAT_SPECIAL, decodeFloat, decodeSfloat, encodeFloat, encodeSfloat } from '../src/index.js';

// Worked examples of IEEE 11073-20601 FLOAT and SFLOAT from the HL7 Personal Health Device
// implementation guide (HL7/phd, "Mder FLOATs and SFLOATs"): the same number at several
// precisions, and a negative mantissa.
const EXAMPLES: readonly { float: number; sfloat: number; exponent: number; mantissa: number; value: number }[] = [
  { float: 0x00000002, sfloat: 0x0002, exponent: 0, mantissa: 2, value: 2 },
  { float: 0xff000014, sfloat: 0xf014, exponent: -1, mantissa: 20, value: 2 },
  { float: 0xfe0000c8, sfloat: 0xe0c8, exponent: -2, mantissa: 200, value: 2 },
  { float: 0x01000002, sfloat: 0x1002, exponent: 1, mantissa: 2, value: 20 },
  { float: 0x02000002, sfloat: 0x2002, exponent: 2, mantissa: 2, value: 200 },
  { float: 0x000000c8, sfloat: 0x00c8, exponent: 0, mantissa: 200, value: 200 },
  { float: 0x000004d2, sfloat: 0x04d2, exponent: 0, mantissa: 1234, value: 1234 },
  { float: 0x00fffb2e, sfloat: 0x0b2e, exponent: 0, mantissa: -1234, value: -1234 },
];

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

describe('IEEE 11073-20601 SFLOAT and FLOAT', () => {
  it('[CTL-09] decode and encode the specification examples byte-exactly, precision included', { tags: ['CTL-09'] }, () => {
    for (const example of EXAMPLES) {
      expect(decodeFloat(example.float)).toEqual({ value: example.value, mantissa: example.mantissa, exponent: example.exponent });
      expect(decodeSfloat(example.sfloat)).toEqual({ value: example.value, mantissa: example.mantissa, exponent: example.exponent });
      expect(encodeFloat(example.value, example.exponent)).toBe(example.float);
      expect(encodeSfloat(example.value, example.exponent)).toBe(example.sfloat);
    }
  });

  it('[CTL-09] encodes typical health readings at their precision', { tags: ['CTL-09'] }, () => {
    // Health Thermometer: 36.4 °C as FLOAT (364 × 10^-1); Blood Pressure: 120 mmHg as SFLOAT.
    expect(encodeFloat(36.4)).toBe(0xff00016c);
    expect(decodeFloat(0xff00016c).value).toBe(36.4);
    expect(encodeSfloat(120)).toBe(0x0078);
    expect(encodeSfloat(98.6)).toBe(0xf3da);
    expect(decodeSfloat(0xf3da)).toEqual({ value: 98.6, mantissa: 986, exponent: -1 });
    // Glucose in mol/L is tiny: 5.5 mmol/L = 0.0055 mol/L.
    expect(decodeSfloat(encodeSfloat(0.0055)).value).toBe(0.0055);
  });

  it('[CTL-09] maps NaN, NRes and the infinities, and refuses the reserved value', { tags: ['CTL-09'] }, () => {
    expect(encodeSfloat(Number.NaN)).toBe(SFLOAT_SPECIAL.nan);
    expect(encodeSfloat(Number.POSITIVE_INFINITY)).toBe(SFLOAT_SPECIAL.positiveInfinity);
    expect(encodeFloat(Number.NEGATIVE_INFINITY)).toBe(FLOAT_SPECIAL.negativeInfinity);
    expect(decodeSfloat(SFLOAT_SPECIAL.nres)).toMatchObject({ special: 'nres' });
    expect(Number.isNaN(decodeFloat(FLOAT_SPECIAL.nan).value)).toBe(true);
    expect(decodeFloat(FLOAT_SPECIAL.positiveInfinity).value).toBe(Number.POSITIVE_INFINITY);
    expect(codeOf(() => decodeSfloat(SFLOAT_SPECIAL.reserved))).toBe('ERR_BLE_RESERVED_VALUE');
    expect(codeOf(() => decodeFloat(FLOAT_SPECIAL.reserved))).toBe('ERR_BLE_RESERVED_VALUE');
    // With another exponent the same mantissa bits are an ordinary number.
    expect(decodeSfloat(0x17ff)).toEqual({ value: 20470, mantissa: 2047, exponent: 1 });
  });

  it('[CTL-09] refuses what does not fit, instead of rounding silently', { tags: ['CTL-09'] }, () => {
    expect(codeOf(() => encodeSfloat(36.45, -1))).toBe('ERR_BLE_NOT_ENCODABLE'); // more decimals than the precision
    // 2046 would need mantissa 2046 at exponent 0, where 0x7FE is +INFINITY: not encodable exactly.
    expect(codeOf(() => encodeSfloat(2046))).toBe('ERR_BLE_NOT_ENCODABLE');
    expect(codeOf(() => encodeSfloat(3000, 0))).toBe('ERR_BLE_NOT_ENCODABLE'); // mantissa over 2045
    expect(codeOf(() => encodeSfloat(1, 8))).toBe('ERR_BLE_NOT_ENCODABLE'); // exponent over 7
    expect(codeOf(() => encodeFloat(1, 128))).toBe('ERR_BLE_NOT_ENCODABLE');
    expect(codeOf(() => encodeSfloat(Math.PI))).toBe('ERR_BLE_NOT_ENCODABLE'); // no exact decimal form
    // A finite number never lands on a special mantissa; a coarser exponent is used when exact.
    expect(encodeSfloat(2045)).toBe(0x07fd);
    expect(decodeSfloat(encodeSfloat(2050))).toEqual({ value: 2050, mantissa: 205, exponent: 1 });
  });

  it('[CTL-09] round-trips every finite SFLOAT and a sample of FLOATs at their own precision', { tags: ['CTL-09'] }, () => {
    for (let raw = 0; raw <= 0xffff; raw += 1) {
      if ((raw & 0xf000) === 0 && raw >= 0x07fe && raw <= 0x0802) continue; // specials
      const { value, exponent, mantissa } = decodeSfloat(raw);
      if (Math.abs(mantissa) > 2045) continue; // the two mantissas beside the specials
      expect(encodeSfloat(value, exponent)).toBe(raw);
    }
    fc.assert(
      fc.property(fc.integer({ min: -8_388_605, max: 8_388_605 }), fc.integer({ min: -20, max: 20 }), (mantissa, exponent) => {
        const raw = encodeFloat(mantissa * 10 ** exponent, exponent);
        const decoded = decodeFloat(raw);
        expect(decoded.exponent).toBe(exponent);
        expect(decoded.mantissa).toBe(mantissa);
      }),
      { seed: 11073, numRuns: 2000 },
    );
  });
});
