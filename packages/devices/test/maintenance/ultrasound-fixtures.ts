/**
 * Fixtures of the maintenance tests: an ultrasound on a bench (enrolled by a real gateway, but
 * trusting the tests' own command key, offline, on a clock the test moves), maintenance commands
 * signed exactly as the gateway signs them (command-fixtures.ts), and decoders of what it produced.
 */
import type { Gateway } from '@medsim/gateway';
import { CheckResult, ContentType, Severity, decodeMessage, decodePayload, type CommandStatus, type MaintenanceReport, type MessageFields, type OperatingState, type SecurityEventType } from '@medsim/protocol';
import { PATIENT_PROFILES, Patient, Ultrasound, type DeviceLogEntry, type Produced, type Provisioner, type SelfTestCheck } from '../../src/index.js';
import { ManualClock, T0, commandFields, signCommand, type Action, type Identities } from '../control/command-fixtures.js';
import { registryProvisioner, tempDir } from '../helpers/gateway-harness.js';

export const US_ID = 'us-bench-0001';

/** The maintenance actions of therapy.proto's oneof. */
export type MaintenanceAction = Pick<MessageFields['TherapyCommand'], 'openServiceMode' | 'closeServiceMode' | 'runDiagnostics' | 'uploadLogs'>;

export const openService = (durationMinutes: number): MaintenanceAction => ({ openServiceMode: { durationMinutes } });
export const closeService = (): MaintenanceAction => ({ closeServiceMode: {} });
export const runDiagnostics = (): MaintenanceAction => ({ runDiagnostics: {} });
export const uploadLogs = (sinceMs: number, maxEntries: number): MaintenanceAction => ({ uploadLogs: { sinceMs, maxEntries } });

/** An ultrasound whose downlink the test drives: the runtime's path after the envelope is opened. */
export class BenchUltrasound extends Ultrasound {
  /** Hands signed command bytes to the firmware and queues what it answers (as the runtime's downlink does). */
  deliver(signedCommand: Uint8Array): Produced[] {
    const out = this.handleCommand(signedCommand);
    this.produceAll(out);
    return out;
  }

  /** Records an event through the runtime's recorder (the event-log tests). */
  record(severity: Severity, component: string, event: string, code?: string): void {
    this.recordEvent(severity, component, event, code);
  }
}

/** An enrolment from the gateway with the tests' command key in place of the gateway's. */
export function benchProvisioner(gateway: Gateway, ids: Identities): Provisioner {
  const provision = registryProvisioner(gateway);
  return async (request) => ({ ...(await provision(request)), commandSigner: ids.gateway.public.signing.jwk });
}

/** A bench: the device, its clock, its data directory, and a signer of its commands. */
export interface Bench {
  readonly device: BenchUltrasound;
  readonly clock: ManualClock;
  readonly produced: Produced[];
  /** Signs the next command (sequence + 1), issued now on the test clock, for this device. */
  readonly command: (action: MaintenanceAction | Action, options?: Parameters<typeof commandFields>[2]) => Uint8Array;
  readonly cleanup: () => Promise<void>;
}

/** Builds (not powered on) a bench ultrasound with `seed`. */
export function bench(gateway: Gateway, ids: Identities, seed = 1, deviceId = US_ID): Bench {
  const clock = new ManualClock(T0);
  const dir = tempDir('medsim-us-');
  const device = new BenchUltrasound({
    deviceId,
    dataDir: dir.path,
    seed,
    patient: new Patient({ profile: PATIENT_PROFILES['healthy-adult'], seed, startMs: T0 }),
    provisioner: benchProvisioner(gateway, ids),
    // Offline on purpose: what the firmware decides and produces, not the transport.
    link: () => {
      throw new Error('offline');
    },
    now: clock.now,
    cycleScale: 1000,
  });
  device.on('error', () => undefined);
  const produced: Produced[] = [];
  device.on('produced', (message) => produced.push(message));
  let sequence = 0;
  return {
    device,
    clock,
    produced,
    command: (action, options = {}) => {
      sequence += 1;
      return signCommand(ids.gateway, { ...commandFields(sequence, {}, { deviceId, issuedAtMs: clock.nowMs, ...options }), ...action });
    },
    cleanup: async () => {
      await device.powerOff();
      dir.cleanup();
    },
  };
}

/** The decoded signed ack among `out` (the device signed it; checked in the tests that need it). */
export function ackOf(out: readonly Produced[]): { status: CommandStatus; reasonCode: string } {
  const ack = out.find((m) => m.contentType === ContentType.CONTENT_TYPE_THERAPY_COMMAND_ACK);
  if (ack === undefined) throw new Error('no ack produced');
  const decoded = decodeMessage('TherapyCommandAck', decodeMessage('SignedTherapyCommandAck', ack.payload).ack);
  return { status: decoded.status, reasonCode: decoded.reasonCode };
}

/** A decoded MaintenanceReport as plain, non-nullable fields. */
export interface DecodedReport {
  readonly commandId: Uint8Array;
  readonly generatedAtMs: number;
  readonly checks: SelfTestCheck[];
  readonly logs: DeviceLogEntry[];
}

/** The MaintenanceReport among `out`, decoded and validated by the protocol, or undefined. */
export function reportOf(out: readonly Produced[]): DecodedReport | undefined {
  const message = out.find((m) => m.contentType === ContentType.CONTENT_TYPE_MAINTENANCE_REPORT);
  if (message === undefined) return undefined;
  const report = decodePayload(ContentType.CONTENT_TYPE_MAINTENANCE_REPORT, message.payload).message as MaintenanceReport;
  return {
    commandId: report.commandId,
    generatedAtMs: report.generatedAtMs,
    checks: report.checks.map((c) => ({ name: c.name ?? '', result: c.result ?? CheckResult.CHECK_RESULT_UNSPECIFIED, value: c.value ?? 0, unit: c.unit ?? '' })),
    logs: report.logs.map((e) => ({ atMs: e.atMs ?? 0, severity: e.severity ?? Severity.SEVERITY_UNSPECIFIED, component: e.component ?? '', event: e.event ?? '', code: e.code ?? '' })),
  };
}

/** Security event types among `out`. */
export function securityEventsOf(out: readonly Produced[]): SecurityEventType[] {
  return out.filter((m) => m.contentType === ContentType.CONTENT_TYPE_SECURITY_EVENT).map((m) => decodeMessage('SecurityEvent', m.payload).type);
}

/** Operating states reported by the DeviceStatus messages among `out`. */
export function statusStatesOf(out: readonly Produced[]): OperatingState[] {
  return out.filter((m) => m.contentType === ContentType.CONTENT_TYPE_DEVICE_STATUS).map((m) => decodeMessage('DeviceStatus', m.payload).state);
}
