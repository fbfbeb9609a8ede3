/**
 * The maintenance functions of a maintenance-class device (MFDS purpose "maintenance"), behind the
 * same signed command path as therapy: the CommandProcessor verifies a command (gateway command
 * key, device id, freshness, technician confirmation, nonce, sequence) and then calls apply().
 * [CTL-08] [CTL-19]
 *
 *  - openServiceMode: OPERATING_STATE_SERVICE until now + duration (1 to 240 min); closes by itself
 *    at the deadline, on closeServiceMode, on safe mode, and at every boot: a service mode persisted
 *    open is closed when the device starts, so a power cycle never leaves it open for ever and no
 *    session outlives the technician's intent by more than its duration.
 *  - closeServiceMode: closes it (executed also when already closed: the goal state holds).
 *  - runDiagnostics: the device's self-test (a named hook, SelfTest) as MaintenanceReport.checks.
 *  - uploadLogs: the device's own event log (identifiers only) as MaintenanceReport.logs.
 *  - every therapy action: refused, ERR_THERAPY_UNSUPPORTED_ACTION (REJECTED_STATE).
 * RunDiagnostics and UploadLogs read, never change, the device: they do not need service mode.
 *
 * After an integrity failure (a forged command inside the session) the device enters safe mode:
 * service mode closes at once and every remote maintenance command is refused
 * (ERR_THERAPY_SAFE_MODE) until someone at the device clears it (LocalClearance).
 *
 * A report is encoded with protocol validation (identifiers only, bounded counts), handed back to
 * the model with takeReport() and queued by it next to the signed acknowledgement.
 */
import { REPEATED_LIMITS, Severity, THERAPY_LIMITS, encodeMessage, type CheckResult, type MessageFields, type TherapyCommand } from '@medsim/protocol';
import { ControlStateCorruptError, InvalidTherapyConfigError, MalformedTherapyCommandError, TherapySafeModeError, UnsupportedTherapyActionError } from '../errors.js';
import type { ControlledTherapy, LocalClearance } from '../control/command-processor.js';
import type { PersistentState } from '../control/persistent-state.js';
import { THERAPY_EXECUTED, refusalOutcome, type TherapyOutcome } from '../control/therapy-command-verifier.js';
import type { DeviceLogEntry } from '../device/simulated-device.js';

/** One self-test check (maintenance.proto DiagnosticCheck). */
export interface SelfTestCheck {
  /** Identifier of the check, e.g. "transducer.dead-elements". */
  readonly name: string;
  readonly result: CheckResult;
  /** Measured value in `unit`. */
  readonly value: number;
  /** UCUM unit, printable ASCII, at most 16 characters; empty when the check has no unit. */
  readonly unit: string;
}

/** A device's self-test: what RunDiagnostics reports (one implementation per model). */
export interface SelfTest {
  /** Runs every check at `nowMs` (device clock). At most 64 checks. */
  run(nowMs: number): readonly SelfTestCheck[];
}

/** An open service mode. */
export interface ServiceModeWindow {
  /** Device clock when the command opened it. */
  readonly openedAtMs: number;
  /** Device clock when it closes by itself. */
  readonly untilMs: number;
  /** The opening command's id, hex (matches the journal and the gateway's record). */
  readonly commandId: string;
}

/** Why and since when the device refuses remote maintenance. */
export interface MaintenanceSafeMode {
  readonly sinceMs: number;
  readonly reasonCode: string;
}

/** The persisted maintenance state. */
export interface MaintenanceState {
  readonly version: 1;
  readonly serviceMode: ServiceModeWindow | null;
  readonly safeMode: MaintenanceSafeMode | null;
}

/** Checks a persisted MaintenanceState (for JsonFileState's `parse`); throws ControlStateCorruptError. */
export function parseMaintenanceState(value: unknown): MaintenanceState {
  const v = value as Partial<Record<keyof MaintenanceState, unknown>> | null;
  const service = v?.serviceMode as Partial<ServiceModeWindow> | null | undefined;
  const safe = v?.safeMode as Partial<MaintenanceSafeMode> | null | undefined;
  const ok =
    typeof v === 'object' &&
    v !== null &&
    v.version === 1 &&
    (service === null ||
      (typeof service === 'object' && Number.isSafeInteger(service.openedAtMs) && Number.isSafeInteger(service.untilMs) && typeof service.commandId === 'string' && /^[0-9a-f]{32}$/.test(service.commandId))) &&
    (safe === null || (typeof safe === 'object' && Number.isSafeInteger(safe.sinceMs) && typeof safe.reasonCode === 'string'));
  if (!ok) throw new ControlStateCorruptError('maintenance state does not have the expected shape');
  return value as MaintenanceState;
}

/** Records an event in the device's log (the runtime's recordEvent). */
export type MaintenanceEventRecorder = (severity: Severity, component: string, event: string, code?: string) => void;

/** Options of MaintenanceFunctions. */
export interface MaintenanceFunctionsOptions {
  /** The device's self-test. */
  readonly selfTest: SelfTest;
  /** The device's event log: entries at or after `sinceMs`, the newest `max`, oldest first. */
  readonly eventLog: (sinceMs: number, max: number) => readonly DeviceLogEntry[];
  /**
   * Persisted state. Construction is boot: a stored safe mode survives it, a stored service mode is
   * closed.
   */
  readonly state?: PersistentState<MaintenanceState>;
  /** Where service-mode transitions are logged (default: nowhere). */
  readonly record?: MaintenanceEventRecorder;
  /** Longest service mode, minutes: 1 to 240 (default 240, the protocol's maximum). */
  readonly maxServiceMinutes?: number;
}

const MINUTE_MS = 60_000;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** The maintenance functions of a device: a ControlledTherapy whose actions are maintenance actions. */
export class MaintenanceFunctions implements ControlledTherapy<MaintenanceState> {
  readonly #selfTest: SelfTest;
  readonly #eventLog: (sinceMs: number, max: number) => readonly DeviceLogEntry[];
  readonly #store: PersistentState<MaintenanceState> | undefined;
  readonly #record: MaintenanceEventRecorder;
  readonly #maxServiceMinutes: number;
  #state: MaintenanceState;
  /** The report of the last executed diagnostics or log upload, until the model takes it. */
  #report: { readonly commandId: string; readonly bytes: Uint8Array } | undefined;

  constructor(options: MaintenanceFunctionsOptions) {
    const max = options.maxServiceMinutes ?? THERAPY_LIMITS.serviceModeMinutes.max;
    if (!Number.isSafeInteger(max) || max < 1 || max > THERAPY_LIMITS.serviceModeMinutes.max) {
      throw new InvalidTherapyConfigError(`maxServiceMinutes must be an integer from 1 to ${THERAPY_LIMITS.serviceModeMinutes.max}`);
    }
    this.#selfTest = options.selfTest;
    this.#eventLog = options.eventLog;
    this.#store = options.state;
    this.#record = options.record ?? ((): void => undefined);
    this.#maxServiceMinutes = max;
    const stored = this.#store?.load();
    this.#state = stored === undefined ? { version: 1, serviceMode: null, safeMode: null } : parseMaintenanceState(stored);
    if (stored === undefined) this.#commit(this.#state);
    // A reboot closes service mode: the technician's session did not survive it either.
    if (this.#state.serviceMode !== null) this.#closeService('service.closed-at-boot');
  }

  /** True while remote maintenance is refused after an integrity failure. */
  get inSafeMode(): boolean {
    return this.#state.safeMode !== null;
  }

  /** True while service mode is open at `nowMs`. */
  serviceModeOpen(nowMs: number): boolean {
    const window = this.#state.serviceMode;
    return window !== null && nowMs < window.untilMs;
  }

  /** Closes an expired service mode (the model's cycle and the command processor call it). */
  advanceTo(nowMs: number): void {
    const window = this.#state.serviceMode;
    if (window !== null && nowMs >= window.untilMs) this.#closeService('service.expired');
  }

  /** Decides a verified command; a refused command changes nothing. */
  apply(command: TherapyCommand, nowMs: number): TherapyOutcome {
    this.#report = undefined;
    try {
      if (this.#state.safeMode !== null) throw new TherapySafeModeError('remote maintenance is refused in safe mode');
      switch (command.action) {
        case 'openServiceMode':
          this.#openService(command, nowMs);
          return THERAPY_EXECUTED;
        case 'closeServiceMode':
          if (this.#state.serviceMode !== null) this.#closeService('service.closed');
          return THERAPY_EXECUTED;
        case 'runDiagnostics':
          this.#report = { commandId: hex(command.commandId), bytes: this.#encodeReport(command, nowMs, { checks: this.#checks(nowMs) }) };
          return THERAPY_EXECUTED;
        case 'uploadLogs':
          this.#report = { commandId: hex(command.commandId), bytes: this.#encodeReport(command, nowMs, { logs: this.#logs(command) }) };
          return THERAPY_EXECUTED;
        case 'insulinBolus':
        case 'basalSchedule':
        case 'suspend':
        case 'resume':
        case 'pacingParameters':
        case undefined:
          break;
      }
      throw new UnsupportedTherapyActionError('a maintenance device performs maintenance actions only; it delivers no therapy');
    } catch (error) {
      return refusalOutcome(error);
    }
  }

  /**
   * The encoded MaintenanceReport of the executed command `commandId`, once (then forgotten).
   * Undefined when that command produced none (service mode, a refusal, or another command).
   */
  takeReport(commandId: Uint8Array): Uint8Array | undefined {
    const report = this.#report;
    if (report === undefined || report.commandId !== hex(commandId)) return undefined;
    this.#report = undefined;
    return report.bytes;
  }

  /** Safe mode after an integrity failure: service mode closes, remote maintenance is refused (idempotent). */
  enterSafeMode(reasonCode: string, nowMs: number): void {
    if (this.#state.safeMode !== null) return;
    if (this.#state.serviceMode !== null) this.#closeService('service.closed-safe-mode');
    this.#commit({ ...this.#state, safeMode: { sinceMs: nowMs, reasonCode } });
  }

  /** Clears safe mode; only someone at the device can (LocalClearance). Service mode stays closed. */
  clearSafeMode(byLocalUser: LocalClearance): void {
    if (byLocalUser.source !== 'device-button' && byLocalUser.source !== 'clinic-programmer') {
      throw new InvalidTherapyConfigError('safe mode is cleared only locally');
    }
    this.#commit({ ...this.#state, safeMode: null });
  }

  /** A deep copy of the state. */
  snapshot(): MaintenanceState {
    return structuredClone(this.#state);
  }

  #openService(command: TherapyCommand, nowMs: number): void {
    const minutes = command.openServiceMode?.durationMinutes;
    // The protocol bounds it already (1 to 240); checked again so the device's limit holds on its own.
    if (typeof minutes !== 'number' || !Number.isSafeInteger(minutes) || minutes < 1 || minutes > this.#maxServiceMinutes) {
      throw new MalformedTherapyCommandError('service mode duration outside the device limit', { details: { maxMinutes: this.#maxServiceMinutes } });
    }
    // Opening again while open replaces the deadline: the newest signed intent of a technician wins.
    this.#commit({ ...this.#state, serviceMode: { openedAtMs: nowMs, untilMs: nowMs + minutes * MINUTE_MS, commandId: hex(command.commandId) } });
    this.#record(Severity.SEVERITY_LOW, 'service', 'service.opened');
  }

  #closeService(event: 'service.closed' | 'service.expired' | 'service.closed-at-boot' | 'service.closed-safe-mode'): void {
    this.#commit({ ...this.#state, serviceMode: null });
    this.#record(Severity.SEVERITY_INFO, 'service', event);
  }

  #checks(nowMs: number): SelfTestCheck[] {
    const checks = [...this.#selfTest.run(nowMs)];
    if (checks.length > REPEATED_LIMITS.diagnosticChecks.max) throw new InvalidTherapyConfigError('a self-test reports at most 64 checks');
    return checks;
  }

  #logs(command: TherapyCommand): DeviceLogEntry[] {
    const u = command.uploadLogs;
    const max = u?.maxEntries ?? 0;
    const since = u?.sinceMs ?? 0;
    if (!Number.isSafeInteger(max) || max < THERAPY_LIMITS.logEntries.min || max > THERAPY_LIMITS.logEntries.max || !Number.isSafeInteger(since) || since < 0) {
      throw new MalformedTherapyCommandError('log upload bounds outside the protocol limits', { details: { maxEntries: THERAPY_LIMITS.logEntries.max } });
    }
    return [...this.#eventLog(since, max)].slice(-REPEATED_LIMITS.logEntries.max);
  }

  #encodeReport(command: TherapyCommand, nowMs: number, content: Pick<MessageFields['MaintenanceReport'], 'checks' | 'logs'>): Uint8Array {
    // encodeMessage validates: identifiers only, bounded counts, finite values.
    return encodeMessage('MaintenanceReport', { commandId: command.commandId, generatedAtMs: nowMs, checks: [], logs: [], ...content });
  }

  #commit(next: MaintenanceState): void {
    this.#store?.save(next);
    this.#state = next;
  }
}
