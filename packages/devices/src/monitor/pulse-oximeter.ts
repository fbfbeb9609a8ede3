/**
 * Pulse oximeter (BLE, Pulse Oximeter Service 0x1822): SpO2 and pulse rate once a second from the
 * patient's physiology, alarms on desaturation (below 90 %) and on pulse rate. Over BLE it serves the
 * PLX Continuous Measurement characteristic for interoperability (encrypted link required) and sends
 * the same reading end-to-end encrypted through the medsim envelope service.
 */
import { AlarmCode, AlarmPriority, Unit, VitalParameter } from '@medsim/protocol';
import type { DeviceModelInfo, Produced } from '../device/device-model.js';
import { MonitorDevice, observation, round, type AlarmLimit } from './monitor-device.js';

const INFO: DeviceModelInfo = {
  model: 'pulse-oximeter',
  deviceClass: 'monitoring',
  displayName: 'Pulse oximeter',
  manufacturer: 'medsim',
  firmwareVersion: '2.1.0',
  safetyLevel: 'moderate',
  transports: ['ble', 'mqtt'],
  cycleMs: 1_000,
  purposes: ['monitoring'],
};

/** IEC 80601-2-61 leaves limits to the operator; these are common adult defaults. */
const LIMITS: readonly AlarmLimit[] = [
  { code: AlarmCode.ALARM_CODE_SPO2_LOW, parameter: VitalParameter.MDC_PULS_OXIM_SAT_O2, priority: AlarmPriority.ALARM_PRIORITY_HIGH, direction: 'below', limit: 90, hysteresis: 2 },
  { code: AlarmCode.ALARM_CODE_HEART_RATE_HIGH, parameter: VitalParameter.MDC_PULS_OXIM_PULS_RATE, priority: AlarmPriority.ALARM_PRIORITY_MEDIUM, direction: 'above', limit: 130, hysteresis: 5 },
  { code: AlarmCode.ALARM_CODE_HEART_RATE_LOW, parameter: VitalParameter.MDC_PULS_OXIM_PULS_RATE, priority: AlarmPriority.ALARM_PRIORITY_MEDIUM, direction: 'below', limit: 45, hysteresis: 5 },
];

/** The pulse oximeter model. */
export class PulseOximeter extends MonitorDevice {
  /** What this model is (also readable without an instance). */
  static readonly INFO: DeviceModelInfo = INFO;

  get info(): DeviceModelInfo {
    return INFO;
  }

  /** The last values measured (the BLE service serves them). */
  last = { spo2: 0, pulseRate: 0, atMs: 0 };

  protected cycle(nowMs: number): Produced[] {
    this.patient.advanceTo(nowMs);
    const v = this.patient.vitals();
    const spo2 = round(v.spo2Percent);
    const pulseRate = round(v.pulseRateBpm);
    this.last = { spo2, pulseRate, atMs: nowMs };
    const reading = this.readingMessage({
      measuredAtMs: nowMs,
      observations: [observation(VitalParameter.MDC_PULS_OXIM_SAT_O2, Unit.MDC_DIM_PERCENT, spo2), observation(VitalParameter.MDC_PULS_OXIM_PULS_RATE, Unit.MDC_DIM_BEAT_PER_MIN, pulseRate)],
    });
    const alarms = this.checkAlarms(LIMITS, (p) => (p === VitalParameter.MDC_PULS_OXIM_SAT_O2 ? spo2 : pulseRate), nowMs);
    return [reading, ...alarms];
  }
}
