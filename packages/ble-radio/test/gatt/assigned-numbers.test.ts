/**
 * Assigned numbers (src/gatt/assigned-numbers.ts), checked against the Bluetooth SIG Assigned
 * Numbers document (§3.4 services, §3.8 characteristics, §3.7 descriptors).
 */
import { describe, expect, it } from 'vitest';
import { GATT_CHARACTERISTICS, GATT_SERVICES, GATT_SERVICE_CHARACTERISTICS, assignedName, normalizeUuid, uuid16To128 } from '../../src/index.js';
import { codeOf } from './helpers.js';

describe('Bluetooth SIG assigned numbers', () => {
  it('names the services and characteristics medsim implements with their assigned UUIDs', () => {
    // Assigned Numbers §3.4 (GATT Services).
    expect(Object.fromEntries(Object.values(GATT_SERVICES).map((s) => [s.uuid, s.name]))).toEqual({
      '1808': 'Glucose',
      '1809': 'Health Thermometer',
      '180a': 'Device Information',
      '180d': 'Heart Rate',
      '180f': 'Battery',
      '1810': 'Blood Pressure',
      '1822': 'Pulse Oximeter',
    });
    // A sample of §3.8 (GATT Characteristics).
    expect(GATT_CHARACTERISTICS.heartRateMeasurement.uuid).toBe('2a37');
    expect(GATT_CHARACTERISTICS.recordAccessControlPoint.uuid).toBe('2a52');
    expect(GATT_CHARACTERISTICS.plxContinuousMeasurement.uuid).toBe('2a5f');
    expect(GATT_CHARACTERISTICS.regulatoryCertificationDataList.uuid).toBe('2a2a');
    expect(GATT_CHARACTERISTICS.pnpId.uuid).toBe('2a50');
  });

  it('writes every UUID in noble short form, each once', () => {
    const uuids = [...Object.values(GATT_SERVICES), ...Object.values(GATT_CHARACTERISTICS)].map((entry) => entry.uuid);
    for (const uuid of uuids) expect(uuid).toMatch(/^[0-9a-f]{4}$/u);
    expect(new Set(uuids).size).toBe(uuids.length);
    for (const names of Object.values(GATT_SERVICE_CHARACTERISTICS)) for (const name of names) expect(GATT_CHARACTERISTICS[name]).toBeDefined();
  });

  it('[CTL-09] normalizes UUIDs to noble form and resolves names', { tags: ['CTL-09'] }, () => {
    // Bluetooth Core 5.4 Vol 3 Part B §2.5.1: 0000xxxx-0000-1000-8000-00805F9B34FB.
    expect(uuid16To128('180d')).toBe('0000180d00001000800000805f9b34fb');
    expect(normalizeUuid('0000180D-0000-1000-8000-00805F9B34FB')).toBe('180d');
    expect(normalizeUuid('2A37')).toBe('2a37');
    expect(normalizeUuid('350e87fd-152b-46ae-87e6-524d7b8106f2')).toBe('350e87fd152b46ae87e6524d7b8106f2');
    expect(normalizeUuid('not-a-uuid')).toBeUndefined();
    expect(assignedName('00002a37-0000-1000-8000-00805f9b34fb')).toBe('Heart Rate Measurement');
    expect(assignedName('2902')).toBe('Client Characteristic Configuration');
    expect(assignedName('ffff')).toBeUndefined();
    expect(codeOf(() => uuid16To128('180D'))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
  });
});
