/**
 * Device ids (src/device-id.ts): lower-case letters, digits and inner hyphens, 1 to 64 characters.
 * One spelling per device, because ids name MQTT topic levels, certificate subjects and keys.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEVICE_ID_MAX_LENGTH, assertDeviceId, isDeviceId } from '@medsim/protocol';
import { deviceId } from './arbitraries.js';
import { SEED, expectRefusal } from './fixtures.js';

/** The rule, written out independently of the implementation's regex. */
function followsTheRule(value: string): boolean {
  return (
    value.length >= 1 &&
    value.length <= 64 &&
    [...value].every((c) => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '-') &&
    !value.startsWith('-') &&
    !value.endsWith('-')
  );
}

describe('isDeviceId / assertDeviceId', () => {
  it('[CTL-09] accepts 1 to 64 lower-case letters, digits and inner hyphens', { tags: ['CTL-09'] }, () => {
    for (const id of ['a', '0', 'pulse-ox-0001', 'a--b', 'x'.repeat(DEVICE_ID_MAX_LENGTH), `a${'-'.repeat(62)}b`]) {
      expect(isDeviceId(id)).toBe(true);
      assertDeviceId(id);
    }
  });

  it("[CTL-09] ERR_PROTOCOL_INVALID_DEVICE_ID: upper case, leading or trailing hyphen, 65 characters, '+', '/'", { tags: ['CTL-09'] }, () => {
    const invalid = ['Pulse-ox', 'PULSE', '-pulse', 'pulse-', '-', 'x'.repeat(DEVICE_ID_MAX_LENGTH + 1), 'a+b', 'a/b', '#', 'a_b', 'a.b', 'a b', '', 'pulse\n', 'ümlaut', 'a\u0000'];
    for (const id of invalid) {
      expect(isDeviceId(id)).toBe(false);
      expectRefusal(() => assertDeviceId(id), 'ERR_PROTOCOL_INVALID_DEVICE_ID', 'deviceId');
    }
  });

  it('[CTL-09][CTL-23] refuses values that are not strings', { tags: ['CTL-09', 'CTL-23'] }, () => {
    for (const value of [undefined, null, 42, ['a'], { toString: () => 'a' }]) {
      expect(isDeviceId(value)).toBe(false);
      expectRefusal(() => assertDeviceId(value), 'ERR_PROTOCOL_INVALID_DEVICE_ID');
    }
  });

  it('[CTL-09] names the field with its message path', { tags: ['CTL-09'] }, () => {
    expectRefusal(() => assertDeviceId('X', 'TherapyCommand'), 'ERR_PROTOCOL_INVALID_DEVICE_ID', 'TherapyCommand.deviceId');
    expectRefusal(() => assertDeviceId('X', 'SessionInfo', 'id'), 'ERR_PROTOCOL_INVALID_DEVICE_ID', 'SessionInfo.id');
  });

  it('[CTL-09] agrees with the written rule on random strings over a hostile alphabet (property)', { tags: ['CTL-09'] }, () => {
    const alphabet = fc.constantFrom(...'az09-AZ_/+#. \u0000é');
    fc.assert(
      fc.property(fc.oneof(deviceId, fc.string({ unit: alphabet, maxLength: 70 })), (value) => {
        expect(isDeviceId(value)).toBe(followsTheRule(value));
      }),
      { seed: SEED, numRuns: 2_000 },
    );
  });

  it('[CTL-09] remembering the last valid id never lets an invalid one through', { tags: ['CTL-09'] }, () => {
    // isDeviceId caches the last valid id; alternating calls must still judge every value afresh.
    for (const [valid, invalid] of [['pump-1', 'Pump-1'], ['a', 'a-'], ['x'.repeat(64), 'x'.repeat(65)]] as const) {
      expect(isDeviceId(valid)).toBe(true);
      expect(isDeviceId(invalid)).toBe(false);
      expect(isDeviceId(valid)).toBe(true);
    }
  });
});
