/** Validation of medsim.v1 status.proto messages. */
import { AlarmCode, AlarmPriority, AlarmState, OperatingState, VitalParameter, type Alarm, type DeviceStatus } from '../../schema.js';
import { integerIn, knownEnum, noUnknownFields, text, timestamp, uint64 } from './checks.js';

/** Device status: model, version, a known state and plausible battery, clock and radio figures. */
export function validateDeviceStatus(m: DeviceStatus, path = 'DeviceStatus'): void {
  noUnknownFields(m, path);
  text(m.model, path, 'model');
  text(m.firmwareVersion, path, 'firmwareVersion');
  knownEnum(OperatingState, m.state, path, 'state');
  integerIn(m.batteryPercent, path, 'batteryPercent', 0, 100);
  uint64(m.uptimeS, path, 'uptimeS');
  // One year either way: a larger offset is a broken clock, reported as such elsewhere.
  integerIn(m.clockOffsetMs, path, 'clockOffsetMs', -31_536_000_000, 31_536_000_000);
  integerIn(m.queuedReadings, path, 'queuedReadings', 0, 0xffff_ffff);
  integerIn(m.rssiDbm, path, 'rssiDbm', -127, 20);
}

/** An alarm: known code, priority and state; the parameter is optional. */
export function validateAlarm(m: Alarm, path = 'Alarm'): void {
  noUnknownFields(m, path);
  knownEnum(AlarmCode, m.code, path, 'code');
  knownEnum(AlarmPriority, m.priority, path, 'priority');
  knownEnum(AlarmState, m.state, path, 'state');
  knownEnum(VitalParameter, m.parameter, path, 'parameter', true);
  timestamp(m.atMs, path, 'atMs');
}
