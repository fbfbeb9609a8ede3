/**
 * Date Time (src/gatt/date-time.ts): GATT Specification Supplement §3.70, the 7-byte time stamp of
 * every health service.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DATE_TIME_BYTES, dateTimeFromDate, dateTimeToDate, decodeDateTime, encodeDateTime } from '../../src/index.js';
import { SEED, codeOf, dateTime, expectByteExactRoundTrip, hex, thrown, toHex } from './helpers.js';

describe('Date Time (0x2A08)', () => {
  it('[CTL-09] encodes year little-endian, then month, day, hours, minutes, seconds', { tags: ['CTL-09'] }, () => {
    // The time stamp of a thermometer reading quoted in Stack Overflow question 54834439:
    // e2 07 03 0a 15 34 00 = 2018-03-10 21:52:00.
    expect(decodeDateTime(hex('e2 07 03 0a 15 34 00'))).toEqual({ year: 2018, month: 3, day: 10, hours: 21, minutes: 52, seconds: 0 });
    expect(toHex(encodeDateTime({ year: 2018, month: 3, day: 10, hours: 21, minutes: 52, seconds: 0 }))).toBe('e2 07 03 0a 15 34 00');
    expect(encodeDateTime({ year: 0, month: 0, day: 0, hours: 0, minutes: 0, seconds: 0 })).toHaveLength(DATE_TIME_BYTES);
  });

  it('[CTL-09] round-trips any valid Date Time, "not known" parts included', { tags: ['CTL-09'] }, () => {
    expectByteExactRoundTrip(dateTime(), encodeDateTime, decodeDateTime, (value, decoded) => expect(decoded).toEqual(value));
  });

  it('[CTL-09] refuses impossible dates, wrong lengths and out-of-range fields', { tags: ['CTL-09'] }, () => {
    expect(thrown(() => decodeDateTime(hex('e2 07 02 1e 00 00 00'))).details).toMatchObject({ reason: 'day does not exist in that month' }); // 30 Feb
    expect(decodeDateTime(hex('e4 07 02 1d 00 00 00'))).toMatchObject({ year: 2020, month: 2, day: 29 }); // leap day
    expect(codeOf(() => decodeDateTime(hex('e3 07 02 1d 00 00 00')))).toBe('ERR_BLE_MALFORMED_VALUE'); // 2019 is not leap
    expect(codeOf(() => decodeDateTime(hex('2d 06 01 01 00 00 00')))).toBe('ERR_BLE_MALFORMED_VALUE'); // 1581
    expect(codeOf(() => decodeDateTime(hex('e2 07 0d 01 00 00 00')))).toBe('ERR_BLE_MALFORMED_VALUE'); // month 13
    expect(codeOf(() => decodeDateTime(hex('e2 07 01 01 18 00 00')))).toBe('ERR_BLE_MALFORMED_VALUE'); // 24 h
    expect(codeOf(() => decodeDateTime(hex('e2 07 01 01 00 3c 00')))).toBe('ERR_BLE_MALFORMED_VALUE'); // 60 min
    expect(codeOf(() => decodeDateTime(hex('e2 07 01 01 00 00')))).toBe('ERR_BLE_MALFORMED_VALUE'); // 6 bytes
    expect(codeOf(() => decodeDateTime(hex('e2 07 01 01 00 00 00 00')))).toBe('ERR_BLE_MALFORMED_VALUE'); // 8 bytes
    expect(codeOf(() => encodeDateTime({ year: 2018, month: 1, day: 1, hours: 0, minutes: 0, seconds: 60 }))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
    expect(codeOf(() => encodeDateTime({ year: 10_000, month: 1, day: 1, hours: 0, minutes: 0, seconds: 0 }))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
  });

  it('converts to and from Date in UTC, to the second', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1582-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (date) => {
        const back = dateTimeToDate(dateTimeFromDate(date));
        expect(back?.getTime()).toBe(Math.floor(date.getTime() / 1000) * 1000);
      }),
      { seed: SEED, numRuns: 300 },
    );
    expect(dateTimeToDate({ year: 2024, month: 0, day: 1, hours: 0, minutes: 0, seconds: 0 })).toBeUndefined();
    expect(codeOf(() => dateTimeFromDate(new Date(Number.NaN)))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
  });
});
