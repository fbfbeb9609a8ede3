/**
 * Heart-rate / ECG chest sensor (BLE, Heart Rate Service 0x180D): heart rate with the beat-to-beat
 * RR intervals the physiology produced, once a second; alarms on tachycardia and bradycardia.
 */
import { AlarmCode, AlarmPriority, Unit, VitalParameter } from '@medsim/protocol';
import type { DeviceModelInfo, Produced } from '../device/device-model.js';
import { MonitorDevice, observation, round, type AlarmLimit } from './monitor-device.js';

const INFO: DeviceModelInfo = {
  model: 'heart-rate-sensor',
  deviceClass: 'monitoring',
  displayName: 'Heart-rate / ECG sensor',
  manufacturer: 'medsim',
  firmwareVersion: '1.3.2',
  safetyLevel: 'moderate',
  transports: ['ble', 'mqtt'],
  cycleMs: 1_000,
  purposes: ['monitoring'],
};

const LIMITS: readonly AlarmLimit[] = [
  { code: AlarmCode.ALARM_CODE_HEART_RATE_HIGH, parameter: VitalParameter.MDC_ECG_HEART_RATE, priority: AlarmPriority.ALARM_PRIORITY_HIGH, direction: 'above', limit: 120, hysteresis: 5 },
  { code: AlarmCode.ALARM_CODE_HEART_RATE_LOW, parameter: VitalParameter.MDC_ECG_HEART_RATE, priority: AlarmPriority.ALARM_PRIORITY_HIGH, direction: 'below', limit: 40, hysteresis: 5 },
];

/** The heart-rate sensor model. */
export class HeartRateSensor extends MonitorDevice {
  /** What this model is (also readable without an instance). */
  static readonly INFO: DeviceModelInfo = INFO;

  get info(): DeviceModelInfo {
    return INFO;
  }

  /** The last values measured (the BLE Heart Rate Measurement serves them). */
  last = { heartRate: 0, rrIntervalsMs: [] as readonly number[], atMs: 0 };

  protected cycle(nowMs: number): Produced[] {
    this.patient.advanceTo(nowMs);
    const v = this.patient.vitals();
    const heartRate = round(v.heartRateBpm);
    this.last = { heartRate, rrIntervalsMs: v.rrIntervalsMs, atMs: nowMs };
    const reading = this.readingMessage({ measuredAtMs: nowMs, observations: [observation(VitalParameter.MDC_ECG_HEART_RATE, Unit.MDC_DIM_BEAT_PER_MIN, heartRate)] });
    return [reading, ...this.checkAlarms(LIMITS, () => heartRate, nowMs)];
  }
}
