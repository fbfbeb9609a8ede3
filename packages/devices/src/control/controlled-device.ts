/**
 * What the controlled models (insulin pump, pacemaker) share: a patient whose therapy they deliver,
 * and the command path. A therapy command arrives sealed in the gateway's session; the
 * CommandProcessor verifies it (signature by the gateway's command key from enrolment, device id,
 * freshness, nonce, sequence, confirmation), applies the device's own interlocks, journals the
 * decision and signs the acknowledgement with the device's key; the runtime queues the ack like an
 * alarm (never dropped) and reports security events. An integrity failure puts the device in safe
 * mode until a local clearance (a button on the device, or the clinic programmer).
 */
import { join } from 'node:path';
import { KeyCache } from '@medsim/crypto';
import { AlarmCode, AlarmPriority, AlarmState, CommandStatus, ContentType, OperatingState, STREAM_IDS, type MessageFields } from '@medsim/protocol';
import { DeviceNotRunningError } from '../errors.js';
import type { Produced } from '../device/device-model.js';
import { MonitorDevice } from '../monitor/monitor-device.js';
import { CommandProcessor, parseCommandJournal, type CommandDecision, type ControlledTherapy, type LocalClearance, type TherapySecurityEvent } from './command-processor.js';
import { JsonFileState } from './persistent-state.js';
import { TherapyCommandVerifier, parseReplayState } from './therapy-command-verifier.js';

/** A therapy that can leave safe mode by a local action. */
export interface ClearableTherapy extends ControlledTherapy {
  readonly inSafeMode: boolean;
  clearSafeMode(byLocalUser: LocalClearance): void;
}

/** Base of the controlled models. */
export abstract class ControlledDevice extends MonitorDevice {
  #processor: CommandProcessor | undefined;
  /** Decisions taken, newest last (tests and the fleet's state view). */
  readonly decisions: CommandDecision[] = [];

  /** The model's therapy (after power-on). */
  protected abstract get therapy(): ClearableTherapy;

  /** Opens the model's therapy state from `dir` (called at boot, before commands are taken). */
  protected abstract openTherapy(dir: string): void;

  protected override async onBoot(): Promise<void> {
    const dir = join(this.options.dataDir, 'therapy');
    this.openTherapy(dir);
    const signer = this.enrolment.commandSigner;
    if (signer === undefined) throw new DeviceNotRunningError(`${this.deviceId}: enrolment gave no command-signing key; a controlled device takes no commands without one`);
    const commandKey = await new KeyCache().importPublicJwk(signer, 'Ed25519');
    const keystore = this.keystore;
    this.#processor = new CommandProcessor({
      verifier: new TherapyCommandVerifier({
        deviceId: this.deviceId,
        commandKey,
        clock: () => this.clock.now(),
        replayState: new JsonFileState(join(dir, 'replay.json'), { parse: parseReplayState }),
      }),
      therapy: this.therapy,
      sign: (label, message) => keystore.sign(label, message),
      signerKeyId: keystore.sessionIdentity().public.signing.kid,
      clock: () => this.clock.now(),
      journal: new JsonFileState(join(dir, 'journal.json'), { parse: parseCommandJournal }),
    });
    this.setOperatingState(this.therapy.inSafeMode ? OperatingState.OPERATING_STATE_SAFE_MODE : OperatingState.OPERATING_STATE_NORMAL);
  }

  /** The command journal (what the device decided, verifiable later). */
  journal(): ReturnType<CommandProcessor['journal']> {
    if (this.#processor === undefined) throw new DeviceNotRunningError(`${this.deviceId} is off`);
    return this.#processor.journal();
  }

  /** The local clearance of safe mode (a button on the device; the control surface presses it). */
  clearSafeMode(by: LocalClearance): void {
    if (!this.therapy.inSafeMode) return;
    this.therapy.clearSafeMode(by);
    this.setOperatingState(OperatingState.OPERATING_STATE_NORMAL);
    this.produceAll([this.alarmMessage({ code: AlarmCode.ALARM_CODE_SAFE_MODE, priority: AlarmPriority.ALARM_PRIORITY_HIGH, state: AlarmState.ALARM_STATE_CLEARED, atMs: this.clock.now() })]);
  }

  protected override handleCommand(signedCommand: Uint8Array): Produced[] {
    const processor = this.#processor;
    if (processor === undefined) return [];
    const handled = processor.handle(signedCommand);
    this.decisions.push(handled.decision);
    if (handled.decision.status !== CommandStatus.COMMAND_STATUS_EXECUTED) this.counters.refusedCommands += 1;
    const out: Produced[] = [
      { channel: 'commandAcks', contentType: ContentType.CONTENT_TYPE_THERAPY_COMMAND_ACK, streamId: STREAM_IDS.commands, payload: handled.ackBytes, priority: 'alarm' },
    ];
    for (const event of [handled.securityEvent, handled.safeModeEvent]) if (event !== undefined) out.push(this.#event(event));
    if (handled.safeModeEvent !== undefined) {
      this.setOperatingState(OperatingState.OPERATING_STATE_SAFE_MODE);
      out.push(this.alarmMessage({ code: AlarmCode.ALARM_CODE_SAFE_MODE, priority: AlarmPriority.ALARM_PRIORITY_HIGH, state: AlarmState.ALARM_STATE_ACTIVE, atMs: this.clock.now() }));
    }
    this.afterCommand(handled.decision);
    return out;
  }

  /** Hook: a command was decided (models update the patient, e.g. pacing). */
  protected afterCommand(_decision: CommandDecision): void {}

  #event(event: TherapySecurityEvent): Produced {
    return this.securityEvent(event.type, event.severity, event.errorCode, event.subject);
  }
}

/** A DeviceStatus-like telemetry reading helper for controlled models. */
export type ReadingFields = MessageFields['VitalSignReading'];
