/** Battery Level (src/gatt/battery-service.ts): BAS 1.0 §3.1, a uint8 percentage 0..100. */
import { describe, expect, it } from 'vitest';
import { decodeBatteryLevel, encodeBatteryLevel } from '../../src/index.js';
import { codeOf, hex } from './helpers.js';

describe('Battery Level (0x2A19)', () => {
  it('[CTL-09] carries every level 0..100 as one byte and refuses the reserved 101..255', { tags: ['CTL-09'] }, () => {
    for (let level = 0; level <= 100; level += 1) {
      expect([...encodeBatteryLevel(level)]).toEqual([level]);
      expect(decodeBatteryLevel(Uint8Array.of(level))).toBe(level);
    }
    for (let raw = 101; raw <= 255; raw += 1) expect(codeOf(() => decodeBatteryLevel(Uint8Array.of(raw)))).toBe('ERR_BLE_MALFORMED_VALUE');
    expect(codeOf(() => decodeBatteryLevel(hex('')))).toBe('ERR_BLE_MALFORMED_VALUE');
    expect(codeOf(() => decodeBatteryLevel(hex('64 00')))).toBe('ERR_BLE_MALFORMED_VALUE');
    for (const bad of [-1, 101, 50.5, Number.NaN]) expect(codeOf(() => encodeBatteryLevel(bad))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
  });
});
