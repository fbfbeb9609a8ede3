/**
 * Battery Service 1.0 (BAS, UUID 0x180F): Battery Level (0x2A19), the remaining charge in percent
 * as a uint8 0..100 (BAS 1.0 §3.1; 101..255 are reserved).
 */
import { ValueReader, checkInteger } from '../internal/gatt-value.js';

/** Encodes a Battery Level (1 byte). Throws ValueOutOfRangeError outside 0..100. */
export function encodeBatteryLevel(percent: number): Uint8Array {
  return Uint8Array.of(checkInteger(percent, 0, 100, 'Battery Level', 'percent'));
}

/** Decodes a Battery Level, percent. Throws MalformedValueError for 101..255 or a wrong length. */
export function decodeBatteryLevel(bytes: Uint8Array): number {
  const reader = new ValueReader(bytes, 'Battery Level');
  const percent = reader.uint8('percent');
  if (percent > 100) reader.fail('percent', 'reserved value above 100');
  reader.end();
  return percent;
}
