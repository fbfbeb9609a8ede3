/**
 * What the monitoring models share: a patient to measure (seeded physiology), readings built from
 * IEEE 11073 terms, and alarms raised and cleared on thresholds with hysteresis, so an alarm is one
 * message when it starts and one when it ends, not one per reading.
 */
import { type AlarmCode, type AlarmPriority, AlarmState, MeasurementStatus, type Unit, type VitalParameter, type MessageFields } from '@medsim/protocol';
import type { Patient } from '../physiology/patient.js';
import { SimulatedDevice, type SimulatedDeviceOptions } from '../device/simulated-device.js';
import type { Produced } from '../device/device-model.js';

/** Options of a monitoring device. */
export interface MonitorDeviceOptions extends SimulatedDeviceOptions {
  /** The patient this device is attached to. */
  readonly patient: Patient;
}

/** One observation of a reading. */
export type Observation = NonNullable<MessageFields['VitalSignReading']['observations']>[number];

/** A valid observation. */
export const observation = (parameter: VitalParameter, unit: Unit, value: number): Observation => ({
  parameter,
  unit,
  value,
  status: MeasurementStatus.MEASUREMENT_STATUS_VALID,
});

/** Rounds to `decimals` places (what the device's display and the SFLOAT exponent keep). */
export const round = (value: number, decimals = 0): number => {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
};

/** An alarm limit: active beyond `limit`, cleared back inside `limit ∓ hysteresis`. */
export interface AlarmLimit {
  readonly code: AlarmCode;
  readonly parameter: VitalParameter;
  readonly priority: AlarmPriority;
  readonly direction: 'above' | 'below';
  readonly limit: number;
  readonly hysteresis: number;
}

/** Base of the monitoring models. */
export abstract class MonitorDevice extends SimulatedDevice {
  readonly patient: Patient;
  readonly #active = new Set<AlarmCode>();

  constructor(options: MonitorDeviceOptions) {
    super(options);
    this.patient = options.patient;
  }

  /** Alarm codes currently active. */
  get activeAlarms(): readonly AlarmCode[] {
    return [...this.#active];
  }

  /** Alarm messages for state changes of `limits` given the current value of each parameter. */
  protected checkAlarms(limits: readonly AlarmLimit[], value: (parameter: VitalParameter) => number, atMs: number): Produced[] {
    const out: Produced[] = [];
    for (const l of limits) {
      const v = value(l.parameter);
      const active = this.#active.has(l.code);
      const beyond = l.direction === 'above' ? v > l.limit : v < l.limit;
      const back = l.direction === 'above' ? v <= l.limit - l.hysteresis : v >= l.limit + l.hysteresis;
      if (!active && beyond) {
        this.#active.add(l.code);
        out.push(this.alarmMessage({ code: l.code, priority: l.priority, state: AlarmState.ALARM_STATE_ACTIVE, parameter: l.parameter, atMs }));
      } else if (active && back) {
        this.#active.delete(l.code);
        out.push(this.alarmMessage({ code: l.code, priority: l.priority, state: AlarmState.ALARM_STATE_CLEARED, parameter: l.parameter, atMs }));
      }
    }
    return out;
  }
}
