/**
 * Pacemaker with its home monitor (the home monitor relays the implant's telemetry over LTE or BLE):
 * bradycardia pacing whose mode and rates are programmed by signed commands within the device's
 * interlocks (PacemakerTherapy); telemetry of battery voltage and right-ventricular lead impedance
 * (IEEE 11073-10103 IDC terms) each cycle, with the paced heart rate; alarms on the lead impedance
 * and on safe mode. The patient's heart follows the programmed lower rate (demand pacing).
 */
import { join } from 'node:path';
import { AlarmCode, AlarmPriority, AlarmState, PacingMode as WirePacingMode, Unit, VitalParameter } from '@medsim/protocol';
import type { DeviceModelInfo, Produced } from '../device/device-model.js';
import { DeviceNotRunningError } from '../errors.js';
import { observation, round } from '../monitor/monitor-device.js';
import type { CommandDecision } from './command-processor.js';
import { ControlledDevice, type ClearableTherapy } from './controlled-device.js';
import { PacemakerTherapy, parsePacemakerState, type PacemakerSnapshot } from './pacemaker-therapy.js';
import { JsonFileState } from './persistent-state.js';

const INFO: DeviceModelInfo = {
  model: 'pacemaker',
  deviceClass: 'controlled',
  displayName: 'Pacemaker with home monitor',
  manufacturer: 'medsim',
  firmwareVersion: '6.0.3',
  safetyLevel: 'major',
  transports: ['mqtt', 'ble'],
  // Home monitors transmit daily; one minute of device time so demos and tests see telemetry.
  cycleMs: 60_000,
  purposes: ['monitoring', 'control'],
};

/** The pacemaker model. */
export class Pacemaker extends ControlledDevice {
  #therapy: PacemakerTherapy | undefined;
  #leadAlarm = false;

  /** What this model is (also readable without an instance). */
  static readonly INFO: DeviceModelInfo = INFO;

  get info(): DeviceModelInfo {
    return INFO;
  }

  protected get therapy(): ClearableTherapy {
    return this.pacer;
  }

  /** The pacemaker's therapy (after power-on). */
  get pacer(): PacemakerTherapy {
    if (this.#therapy === undefined) throw new DeviceNotRunningError(`${this.deviceId} is off`);
    return this.#therapy;
  }

  /** The therapy state now. */
  snapshot(): PacemakerSnapshot {
    return this.pacer.snapshot();
  }

  protected openTherapy(dir: string): void {
    this.#therapy = new PacemakerTherapy({
      startMs: this.clock.now(),
      seed: this.options.seed,
      percentPaced: () => 100 * this.patient.pacedFraction(),
      state: new JsonFileState(join(dir, 'pacemaker.json'), { parse: parsePacemakerState }),
    });
    this.#pacePatient();
  }

  protected override afterCommand(_decision: CommandDecision): void {
    this.#pacePatient();
  }

  /** The heart follows the program: demand pacing at the lower rate (ODO paces nothing). */
  #pacePatient(): void {
    const program = this.pacer.snapshot().program;
    this.patient.setPacing(
      program.mode === WirePacingMode.PACING_MODE_ODO ? { mode: 'off', lowerRateBpm: program.lowerRatePpm } : { mode: 'demand', lowerRateBpm: program.lowerRatePpm },
    );
  }

  protected cycle(nowMs: number): Produced[] {
    const pacer = this.pacer;
    pacer.advanceTo(nowMs);
    this.patient.advanceTo(nowMs);
    this.#pacePatient();
    const t = pacer.telemetry();
    const out: Produced[] = [
      this.readingMessage({
        measuredAtMs: nowMs,
        observations: [
          observation(VitalParameter.MDC_IDC_MSMT_BATTERY_VOLTAGE, Unit.MDC_DIM_VOLT, round(t.batteryVolts, 2)),
          observation(VitalParameter.MDC_IDC_MSMT_LEADCHNL_RV_IMPEDANCE_VALUE, Unit.MDC_DIM_OHM, round(t.leadImpedanceOhms)),
          observation(VitalParameter.MDC_ECG_HEART_RATE, Unit.MDC_DIM_BEAT_PER_MIN, round(this.patient.vitals().heartRateBpm)),
        ],
      }),
      this.statusMessage(),
    ];
    if (t.leadImpedanceAlarm !== this.#leadAlarm) {
      this.#leadAlarm = t.leadImpedanceAlarm;
      out.push(
        this.alarmMessage({
          code: AlarmCode.ALARM_CODE_LEAD_IMPEDANCE,
          priority: AlarmPriority.ALARM_PRIORITY_HIGH,
          state: t.leadImpedanceAlarm ? AlarmState.ALARM_STATE_ACTIVE : AlarmState.ALARM_STATE_CLEARED,
          atMs: nowMs,
        }),
      );
    }
    return out;
  }
}
