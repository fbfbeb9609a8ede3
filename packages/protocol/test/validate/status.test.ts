/**
 * Field rules of status.proto (src/internal/validate/status.ts), through decodeMessage.
 * Each case starts from a valid sample and breaks exactly one rule.
 */
import { describe, it } from 'vitest';
import { MAX_SAFE_UINT64, decodeMessage } from '@medsim/protocol';
import { WireType, decodingFields, encodeUnchecked, expectAccepted, expectRefusal, samples, tag, withRaw } from '../fixtures.js';

describe('DeviceStatus', () => {
  const status = samples.DeviceStatus;

  it('[CTL-09] ERR_PROTOCOL_OUT_OF_RANGE: battery above 100 %, RSSI outside -127..20 dBm, clock offset beyond a year', { tags: ['CTL-09'] }, () => {
    const year = 31_536_000_000;
    const refused = [
      ['batteryPercent', 101],
      ['rssiDbm', -128],
      ['rssiDbm', 21],
      ['clockOffsetMs', year + 1],
      ['clockOffsetMs', -year - 1],
    ] as const;
    for (const [field, value] of refused) {
      expectRefusal(decodingFields('DeviceStatus', { ...status, [field]: value }), 'ERR_PROTOCOL_OUT_OF_RANGE', `DeviceStatus.${field}`);
    }
    expectAccepted('DeviceStatus', { ...status, batteryPercent: 100, rssiDbm: -127, clockOffsetMs: -year, queuedReadings: 0xffff_ffff, uptimeS: MAX_SAFE_UINT64 });
    expectAccepted('DeviceStatus', { ...status, batteryPercent: 0, rssiDbm: 20, clockOffsetMs: year });
  });

  it('[CTL-09] ERR_PROTOCOL_OUT_OF_RANGE: an uptime of 2^53 s, written with a protobufjs Writer', { tags: ['CTL-09'] }, () => {
    const bytes = withRaw(encodeUnchecked('DeviceStatus', status), (w) => w.uint32(tag(5, WireType.VARINT)).uint64(2 ** 53));
    expectRefusal(() => decodeMessage('DeviceStatus', bytes), 'ERR_PROTOCOL_OUT_OF_RANGE', 'DeviceStatus.uptimeS');
  });

  it('[CTL-09] model, firmware version and a defined state are required', { tags: ['CTL-09'] }, () => {
    expectRefusal(decodingFields('DeviceStatus', { ...status, model: '' }), 'ERR_PROTOCOL_MISSING_FIELD', 'DeviceStatus.model');
    expectRefusal(decodingFields('DeviceStatus', { ...status, firmwareVersion: 'v'.repeat(65) }), 'ERR_PROTOCOL_OUT_OF_RANGE', 'DeviceStatus.firmwareVersion');
    expectRefusal(decodingFields('DeviceStatus', { ...status, state: 0 }), 'ERR_PROTOCOL_MISSING_FIELD', 'DeviceStatus.state');
    expectRefusal(decodingFields('DeviceStatus', { ...status, state: 6 }), 'ERR_PROTOCOL_UNKNOWN_ENUM', 'DeviceStatus.state');
  });
});

describe('Alarm', () => {
  const alarm = samples.Alarm;

  it('[CTL-09] ERR_PROTOCOL_UNKNOWN_ENUM: parameter 12345, priority 4, state 3', { tags: ['CTL-09'] }, () => {
    expectRefusal(decodingFields('Alarm', { ...alarm, parameter: 12_345 }), 'ERR_PROTOCOL_UNKNOWN_ENUM', 'Alarm.parameter');
    expectRefusal(decodingFields('Alarm', { ...alarm, priority: 4 }), 'ERR_PROTOCOL_UNKNOWN_ENUM', 'Alarm.priority');
    expectRefusal(decodingFields('Alarm', { ...alarm, state: 3 }), 'ERR_PROTOCOL_UNKNOWN_ENUM', 'Alarm.state');
  });

  it('[CTL-09] code, priority, state and time are required; the parameter is optional', { tags: ['CTL-09'] }, () => {
    for (const field of ['code', 'priority', 'state', 'atMs'] as const) {
      expectRefusal(decodingFields('Alarm', { ...alarm, [field]: 0 }), 'ERR_PROTOCOL_MISSING_FIELD', `Alarm.${field}`);
    }
    expectAccepted('Alarm', { ...alarm, parameter: 0 });
  });
});
