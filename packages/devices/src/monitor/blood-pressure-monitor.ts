/**
 * Non-invasive blood-pressure monitor (BLE, Blood Pressure Service 0x1810): an oscillometric
 * measurement on a schedule (ambulatory monitors measure every 15 to 30 minutes; the model's cycle is
 * one minute of device time so demos show data, and a fleet spec scales it), systolic, diastolic,
 * mean and pulse rate; alarms on hypertensive crisis and hypotension.
 */
import { AlarmCode, AlarmPriority, Unit, VitalParameter } from '@medsim/protocol';
import type { DeviceModelInfo, Produced } from '../device/device-model.js';
import { MonitorDevice, observation, round, type AlarmLimit } from './monitor-device.js';

const INFO: DeviceModelInfo = {
  model: 'blood-pressure-monitor',
  deviceClass: 'monitoring',
  displayName: 'Blood-pressure monitor',
  manufacturer: 'medsim',
  firmwareVersion: '3.0.4',
  safetyLevel: 'moderate',
  transports: ['ble', 'mqtt'],
  cycleMs: 60_000,
  purposes: ['monitoring'],
};

/** Hypertensive crisis: systolic above 180 mmHg (ACC/AHA 2017); hypotension below 90. */
const LIMITS: readonly AlarmLimit[] = [
  { code: AlarmCode.ALARM_CODE_BLOOD_PRESSURE_HIGH, parameter: VitalParameter.MDC_PRESS_BLD_NONINV_SYS, priority: AlarmPriority.ALARM_PRIORITY_HIGH, direction: 'above', limit: 180, hysteresis: 10 },
  { code: AlarmCode.ALARM_CODE_BLOOD_PRESSURE_LOW, parameter: VitalParameter.MDC_PRESS_BLD_NONINV_SYS, priority: AlarmPriority.ALARM_PRIORITY_MEDIUM, direction: 'below', limit: 90, hysteresis: 5 },
];

/** The blood-pressure monitor model. */
export class BloodPressureMonitor extends MonitorDevice {
  /** What this model is (also readable without an instance). */
  static readonly INFO: DeviceModelInfo = INFO;

  get info(): DeviceModelInfo {
    return INFO;
  }

  /** The last measurement (the BLE Blood Pressure Measurement serves it). */
  last = { systolic: 0, diastolic: 0, mean: 0, pulseRate: 0, atMs: 0 };

  protected cycle(nowMs: number): Produced[] {
    this.patient.advanceTo(nowMs);
    const v = this.patient.vitals();
    const m = { systolic: round(v.systolicMmHg), diastolic: round(v.diastolicMmHg), mean: round(v.meanMmHg), pulseRate: round(v.pulseRateBpm), atMs: nowMs };
    this.last = m;
    const reading = this.readingMessage({
      measuredAtMs: nowMs,
      observations: [
        observation(VitalParameter.MDC_PRESS_BLD_NONINV_SYS, Unit.MDC_DIM_MMHG, m.systolic),
        observation(VitalParameter.MDC_PRESS_BLD_NONINV_DIA, Unit.MDC_DIM_MMHG, m.diastolic),
        observation(VitalParameter.MDC_PRESS_BLD_NONINV_MEAN, Unit.MDC_DIM_MMHG, m.mean),
        observation(VitalParameter.MDC_PULS_RATE_NON_INV, Unit.MDC_DIM_BEAT_PER_MIN, m.pulseRate),
      ],
    });
    return [reading, ...this.checkAlarms(LIMITS, () => m.systolic, nowMs)];
  }
}
