/**
 * Body thermometer (BLE, Health Thermometer Service 0x1809): core temperature to 0.1 °C every 30 s
 * of device time; alarm on fever above 38.5 °C.
 */
import { AlarmCode, AlarmPriority, Unit, VitalParameter } from '@medsim/protocol';
import type { DeviceModelInfo, Produced } from '../device/device-model.js';
import { MonitorDevice, observation, round, type AlarmLimit } from './monitor-device.js';

const INFO: DeviceModelInfo = {
  model: 'thermometer',
  deviceClass: 'monitoring',
  displayName: 'Thermometer',
  manufacturer: 'medsim',
  firmwareVersion: '1.0.7',
  safetyLevel: 'minor',
  transports: ['ble', 'mqtt'],
  cycleMs: 30_000,
  purposes: ['monitoring'],
};

const LIMITS: readonly AlarmLimit[] = [
  { code: AlarmCode.ALARM_CODE_TEMPERATURE_HIGH, parameter: VitalParameter.MDC_TEMP_BODY, priority: AlarmPriority.ALARM_PRIORITY_MEDIUM, direction: 'above', limit: 38.5, hysteresis: 0.3 },
];

/** The thermometer model. */
export class Thermometer extends MonitorDevice {
  /** What this model is (also readable without an instance). */
  static readonly INFO: DeviceModelInfo = INFO;

  get info(): DeviceModelInfo {
    return INFO;
  }

  /** The last measurement (the BLE Temperature Measurement serves it). */
  last = { temperatureC: 0, atMs: 0 };

  protected cycle(nowMs: number): Produced[] {
    this.patient.advanceTo(nowMs);
    const temperatureC = round(this.patient.vitals().temperatureC, 1);
    this.last = { temperatureC, atMs: nowMs };
    const reading = this.readingMessage({ measuredAtMs: nowMs, observations: [observation(VitalParameter.MDC_TEMP_BODY, Unit.MDC_DIM_DEGC, temperatureC)] });
    return [reading, ...this.checkAlarms(LIMITS, () => temperatureC, nowMs)];
  }
}
