/**
 * The Date Time characteristic (0x2A08) and the 7-byte field of the same format that the health
 * services use for time stamps (Blood Pressure, Health Thermometer, Pulse Oximeter, Glucose base
 * time). GATT Specification Supplement §3.70: year uint16 (1582..9999, 0 = not known), month
 * (1..12, 0 = not known), day (1..31, 0 = not known), hours (0..23), minutes (0..59), seconds
 * (0..59), little-endian. It has no time zone: medsim's simulated devices keep their clocks in
 * UTC, so the Date conversions below read and write UTC fields.
 */
import { ValueReader, ValueWriter, outOfRange, readDateTime, writeDateTime, type DateTimeFields } from '../internal/gatt-value.js';

/** A Date Time value; 0 in year, month or day means "not known". */
export type DateTime = DateTimeFields;

/** Length of a Date Time value, bytes. */
export const DATE_TIME_BYTES = 7;

/** Encodes a Date Time (7 bytes). Throws ValueOutOfRangeError for an impossible date. */
export function encodeDateTime(value: DateTime): Uint8Array {
  const writer = new ValueWriter('Date Time');
  writeDateTime(writer, value, 'Date Time', 'dateTime');
  return writer.finish();
}

/** Decodes a Date Time. Throws MalformedValueError for a wrong length or an impossible date. */
export function decodeDateTime(bytes: Uint8Array): DateTime {
  const reader = new ValueReader(bytes, 'Date Time');
  const value = readDateTime(reader, 'dateTime');
  reader.end();
  return value;
}

/** The UTC fields of `date`, to the second. Throws ValueOutOfRangeError outside 1582..9999. */
export function dateTimeFromDate(date: Date): DateTime {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) outOfRange('Date Time', 'dateTime', 'must be a valid Date');
  const value = {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hours: date.getUTCHours(),
    minutes: date.getUTCMinutes(),
    seconds: date.getUTCSeconds(),
  };
  if (value.year < 1582 || value.year > 9999) outOfRange('Date Time', 'year', 'must be 1582..9999');
  return value;
}

/** The instant a Date Time names, read as UTC; undefined when year, month or day is not known. */
export function dateTimeToDate(value: DateTime): Date | undefined {
  if (value.year === 0 || value.month === 0 || value.day === 0) return undefined;
  return new Date(Date.UTC(value.year, value.month - 1, value.day, value.hours, value.minutes, value.seconds));
}
