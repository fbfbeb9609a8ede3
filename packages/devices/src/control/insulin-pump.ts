/**
 * Insulin pump (BLE to the patient's hub, or LTE): basal delivery on a schedule and boluses, with
 * the pump's own interlocks (InsulinPumpTherapy) applied to every command whoever signed it.
 * Delivered insulin reaches the patient's glucose model, so a bolus shows on the glucose meter.
 * Reports its status (normal, suspended, safe mode; battery; queue) each cycle and alarms on a low
 * reservoir and on safe mode.
 */
import { join } from 'node:path';
import { AlarmCode, AlarmPriority, AlarmState, OperatingState } from '@medsim/protocol';
import type { DeviceModelInfo, Produced } from '../device/device-model.js';
import { DeviceNotRunningError } from '../errors.js';
import { ControlledDevice, type ClearableTherapy } from './controlled-device.js';
import { InsulinPumpTherapy, parseInsulinPumpState, type InsulinPumpSnapshot } from './insulin-pump-therapy.js';
import { JsonFileState } from './persistent-state.js';

const INFO: DeviceModelInfo = {
  model: 'insulin-pump',
  deviceClass: 'controlled',
  displayName: 'Insulin pump',
  manufacturer: 'medsim',
  firmwareVersion: '3.5.1',
  safetyLevel: 'major',
  transports: ['ble', 'mqtt'],
  // One minute: the pump's delivery step (PUMP_STEP_MS).
  cycleMs: 60_000,
  purposes: ['monitoring', 'control'],
};

/** The insulin pump model. */
export class InsulinPump extends ControlledDevice {
  #therapy: InsulinPumpTherapy | undefined;
  #reservoirAlarm = false;

  /** What this model is (also readable without an instance). */
  static readonly INFO: DeviceModelInfo = INFO;

  get info(): DeviceModelInfo {
    return INFO;
  }

  protected get therapy(): ClearableTherapy {
    return this.pump;
  }

  /** The pump's therapy (after power-on). */
  get pump(): InsulinPumpTherapy {
    if (this.#therapy === undefined) throw new DeviceNotRunningError(`${this.deviceId} is off`);
    return this.#therapy;
  }

  /** The therapy state now. */
  snapshot(): InsulinPumpSnapshot {
    return this.pump.snapshot();
  }

  protected openTherapy(dir: string): void {
    // The patient's insulin now comes only from this pump.
    this.patient.setInsulinRoute('pump');
    this.#therapy = new InsulinPumpTherapy({
      startMs: this.clock.now(),
      state: new JsonFileState(join(dir, 'pump.json'), { parse: parseInsulinPumpState }),
      onDelivery: (delivery) => this.patient.deliverInsulin(delivery.units, delivery.atMs),
    });
  }

  protected cycle(nowMs: number): Produced[] {
    const pump = this.pump;
    pump.advanceTo(nowMs);
    this.patient.advanceTo(nowMs);
    const snapshot = pump.snapshot();
    this.setOperatingState(
      snapshot.safeMode !== null ? OperatingState.OPERATING_STATE_SAFE_MODE : snapshot.suspended ? OperatingState.OPERATING_STATE_SUSPENDED : OperatingState.OPERATING_STATE_NORMAL,
    );
    const out: Produced[] = [this.statusMessage()];
    const low = snapshot.alarms.includes('reservoir-low') || snapshot.alarms.includes('reservoir-empty');
    if (low !== this.#reservoirAlarm) {
      this.#reservoirAlarm = low;
      out.push(
        this.alarmMessage({
          code: AlarmCode.ALARM_CODE_RESERVOIR_LOW,
          priority: AlarmPriority.ALARM_PRIORITY_MEDIUM,
          state: low ? AlarmState.ALARM_STATE_ACTIVE : AlarmState.ALARM_STATE_CLEARED,
          atMs: nowMs,
        }),
      );
    }
    return out;
  }
}
