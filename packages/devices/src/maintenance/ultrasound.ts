/**
 * Ultrasound-class imaging system (hospital network, MQTT over TLS): the maintenance device class.
 * Images never leave it over this link (they go to PACS over DICOM, out of scope); what it sends is
 * its status every cycle, and what its maintenance channel produces (docs/devices/ultrasound.md):
 *  - remote diagnostics: a self-test (UltrasoundSelfTest) reported as a MaintenanceReport;
 *  - log upload: the runtime's event log, identifiers only, as a MaintenanceReport;
 *  - a service mode that only a signed, fresh, technician-confirmed command opens, which closes at
 *    its deadline, on command, on safe mode and at reboot; while open the status says SERVICE and
 *    its opening is reported as a SERVICE_MODE_OPENED security event.
 * Maintenance commands take the controlled devices' command path (ControlledDevice: verifier,
 * journal, device-signed ack, safe mode on a forged command) with MaintenanceFunctions in place of
 * a therapy; every therapy action is refused. Firmware update is issue 5.
 *
 * ControlledDevice extends MonitorDevice, so this model takes the patient every model is given
 * (fleet, factory); it never reads it: the ultrasound measures nothing.
 */
import { join } from 'node:path';
import { CheckResult, CommandStatus, ContentType, OperatingState, STREAM_IDS, SecurityEventType, Severity } from '@medsim/protocol';
import type { DeviceModelInfo, Produced } from '../device/device-model.js';
import { DeviceNotRunningError } from '../errors.js';
import { ControlledDevice, type ClearableTherapy } from '../control/controlled-device.js';
import { JsonFileState } from '../control/persistent-state.js';
import type { MonitorDeviceOptions } from '../monitor/monitor-device.js';
import { MaintenanceFunctions, parseMaintenanceState } from './maintenance-functions.js';
import { UltrasoundSelfTest } from './ultrasound-self-test.js';

const INFO: DeviceModelInfo = {
  model: 'ultrasound',
  deviceClass: 'maintenance',
  displayName: 'Ultrasound imaging system',
  manufacturer: 'medsim',
  firmwareVersion: '7.2.0',
  safetyLevel: 'moderate',
  transports: ['mqtt'],
  cycleMs: 60_000,
  purposes: ['maintenance'],
};

/** The ultrasound model. */
export class Ultrasound extends ControlledDevice {
  /** The self-test RunDiagnostics runs; inject hardware faults here (tests, demos). */
  readonly selfTest: UltrasoundSelfTest;
  #maintenance: MaintenanceFunctions | undefined;

  constructor(options: MonitorDeviceOptions) {
    super(options);
    this.selfTest = new UltrasoundSelfTest({
      random: this.random.fork('self-test'),
      firmwareVersion: INFO.firmwareVersion,
      system: () => ({
        batteryPercent: this.battery.percent,
        clockOffsetMs: this.clock.now() - (this.options.now ?? Date.now)(),
        queuedMessages: this.queued,
      }),
    });
  }

  /** What this model is (also readable without an instance). */
  static readonly INFO: DeviceModelInfo = INFO;

  get info(): DeviceModelInfo {
    return INFO;
  }

  protected get therapy(): ClearableTherapy {
    return this.maintenance;
  }

  /** The maintenance functions (after power-on). */
  get maintenance(): MaintenanceFunctions {
    if (this.#maintenance === undefined) throw new DeviceNotRunningError(`${this.deviceId} is off`);
    return this.#maintenance;
  }

  /** After a firmware update's trial boot: the new firmware must drive the hardware; any FAIL reverts it. */
  protected override postUpdateSelfTest(): boolean {
    return this.selfTest.run(this.clock.now()).every((check) => check.result !== CheckResult.CHECK_RESULT_FAIL);
  }

  protected override batteryProfile(): { capacityMah: number } {
    // Mains powered; the battery only bridges a move between rooms.
    return { capacityMah: 20_000 };
  }

  protected openTherapy(dir: string): void {
    // Opened at every boot: a service mode left open by the last run is closed here.
    this.#maintenance = new MaintenanceFunctions({
      selfTest: this.selfTest,
      eventLog: (sinceMs, max) => this.eventLog(sinceMs, max),
      state: new JsonFileState(join(dir, 'maintenance.json'), { parse: parseMaintenanceState }),
      record: (severity, component, event, code) => this.recordEvent(severity, component, event, code),
    });
  }

  protected override handleCommand(signedCommand: Uint8Array): Produced[] {
    if (this.#maintenance === undefined) return [];
    const decided = this.decisions.length;
    const out = super.handleCommand(signedCommand);
    const decision = this.decisions.length > decided ? this.decisions.at(-1) : undefined;
    if (decision?.status === CommandStatus.COMMAND_STATUS_EXECUTED) {
      const report = this.maintenance.takeReport(decision.commandId);
      if (report !== undefined) {
        // After the ack, on the status channel and the control stream (device health, like
        // DeviceStatus: docs/protocols/therapy-commands.md); alarm priority: kept through a full flash.
        out.push({ channel: 'status', contentType: ContentType.CONTENT_TYPE_MAINTENANCE_REPORT, streamId: STREAM_IDS.control, payload: report, priority: 'alarm' });
      }
      if (decision.command?.action === 'openServiceMode') {
        out.push(this.securityEvent(SecurityEventType.SECURITY_EVENT_TYPE_SERVICE_MODE_OPENED, Severity.SEVERITY_LOW, '', Buffer.from(decision.commandId).toString('hex')));
      }
    }
    // The gateway sees SERVICE (or NORMAL again) at once, not at the next cycle.
    if (this.#syncOperatingState(this.clock.now())) out.push(this.statusMessage());
    return out;
  }

  protected cycle(nowMs: number): Produced[] {
    // A service mode past its deadline closes here: at most one cycle (60 s) after it.
    this.maintenance.advanceTo(nowMs);
    this.#syncOperatingState(nowMs);
    return [this.statusMessage()];
  }

  /** Safe mode over service over normal; true when the state changed. */
  #syncOperatingState(nowMs: number): boolean {
    const m = this.maintenance;
    const next = m.inSafeMode ? OperatingState.OPERATING_STATE_SAFE_MODE : m.serviceModeOpen(nowMs) ? OperatingState.OPERATING_STATE_SERVICE : OperatingState.OPERATING_STATE_NORMAL;
    const changed = next !== this.operatingState;
    this.setOperatingState(next);
    return changed;
  }
}
