/**
 * The controlled device's command path: verify a SignedTherapyCommand, let the therapy decide,
 * enter safe mode on an integrity failure, journal the decision, and answer with an acknowledgement
 * signed by the device's own key. [CTL-08] [CTL-15] [CTL-22]
 *
 * Non-repudiation (CTL-15) rests on two records: the gateway keeps the command it signed, and the
 * device returns a SignedTherapyCommandAck signed with its identity key (label
 * "medsim/v1 therapy-command-ack"), so anyone holding the device's public key can later check what
 * the device said it did with which command; the device's journal keeps the SHA-256 of every signed
 * command it received with its decision, for comparison with the gateway's evidence.
 */
import { createHash } from 'node:crypto';
import {
  CommandStatus,
  SecurityEventType,
  Severity,
  encodeMessage,
  type TherapyCommand,
} from '@medsim/protocol';
import { ControlStateCorruptError, InvalidTherapyConfigError } from '../errors.js';
import type { PersistentState } from './persistent-state.js';
import {
  THERAPY_COMMAND_ACK_LABEL,
  type RefusalReasonCode,
  type TherapyCommandVerifier,
  type TherapyOutcome,
} from './therapy-command-verifier.js';

/** Who clears safe mode: someone physically at the device. No remote path can produce this. */
export interface LocalClearance {
  /** The pump's button sequence, or the pacemaker's in-clinic programmer (inductive wand). */
  readonly source: 'device-button' | 'clinic-programmer';
}

/** What the command processor needs from a therapy (insulin pump, pacemaker). */
export interface ControlledTherapy<S = unknown> {
  /** Decides a verified command at `nowMs`: EXECUTED, REJECTED_INTERLOCK or REJECTED_STATE. */
  apply(command: TherapyCommand, nowMs: number): TherapyOutcome;
  /** Enters safe mode after an integrity failure (idempotent). */
  enterSafeMode(reasonCode: string, nowMs: number): void;
  /** True while in safe mode. */
  readonly inSafeMode: boolean;
  /** Status for telemetry; a deep copy. */
  snapshot(): S;
  /** Brings delivery (or battery accounting) up to `nowMs` before a command is decided. */
  advanceTo?(nowMs: number): unknown;
}

/** A security event for the runtime to report (fields of security.proto SecurityEvent). */
export interface TherapySecurityEvent {
  readonly type: SecurityEventType;
  readonly severity: Severity;
  /** The stable reason code behind it. */
  readonly errorCode: string;
  /** Device clock, ms since the epoch. */
  readonly atMs: number;
  /** The command id in hex (32 characters), all zeros when unknown. */
  readonly subject: string;
}

/** One journal entry: what the device decided about one command it received. */
export interface CommandJournalEntry {
  /** Command id, hex (as claimed when not authenticated). */
  readonly commandId: string;
  readonly commandSequence: number;
  readonly status: CommandStatus;
  /** Stable reason code; empty when executed. */
  readonly reasonCode: string;
  /** The action of an authenticated command ("insulinBolus", ...), empty otherwise. */
  readonly action: string;
  /** The clinician who ordered an authenticated command, empty otherwise. */
  readonly issuerUserId: string;
  /** True when the command's signature verified. */
  readonly authenticated: boolean;
  /** SHA-256 of the exact SignedTherapyCommand bytes received, hex. */
  readonly signedSha256: string;
  /** Device clock of the decision. */
  readonly decidedAtMs: number;
}

/** The persisted journal. */
export interface CommandJournalData {
  readonly version: 1;
  readonly entries: readonly CommandJournalEntry[];
}

/** Checks a persisted journal (for JsonFileState's `parse`); throws ControlStateCorruptError. */
export function parseCommandJournal(value: unknown): CommandJournalData {
  const v = value as Partial<CommandJournalData> | null;
  const ok =
    typeof v === 'object' &&
    v !== null &&
    v.version === 1 &&
    Array.isArray(v.entries) &&
    v.entries.every(
      (e: Partial<CommandJournalEntry> | null) =>
        typeof e === 'object' &&
        e !== null &&
        typeof e.commandId === 'string' &&
        typeof e.commandSequence === 'number' &&
        typeof e.status === 'number' &&
        typeof e.reasonCode === 'string' &&
        typeof e.action === 'string' &&
        typeof e.issuerUserId === 'string' &&
        typeof e.authenticated === 'boolean' &&
        typeof e.signedSha256 === 'string' &&
        typeof e.decidedAtMs === 'number',
    );
  if (!ok) throw new ControlStateCorruptError('command journal does not have the expected shape');
  return value as CommandJournalData;
}

/** The final decision about one command. */
export interface CommandDecision {
  readonly status: CommandStatus;
  /** Empty when executed. */
  readonly reasonCode: RefusalReasonCode | '';
  /** The decoded command, when it was authentic and well-formed. */
  readonly command?: TherapyCommand;
  readonly commandId: Uint8Array;
  readonly commandSequence: number;
  readonly authenticated: boolean;
  readonly decidedAtMs: number;
}

/** The result of handle(). */
export interface HandledCommand {
  /** Encoded SignedTherapyCommandAck, for the gateway. */
  readonly ackBytes: Uint8Array;
  readonly decision: CommandDecision;
  /** An integrity failure or a replay, for the runtime to report. */
  readonly securityEvent?: TherapySecurityEvent;
  /** Set when this command made the device enter safe mode. */
  readonly safeModeEvent?: TherapySecurityEvent;
}

/** Options of a CommandProcessor. */
export interface CommandProcessorOptions {
  readonly verifier: TherapyCommandVerifier;
  readonly therapy: ControlledTherapy;
  /** Signs `message` under a domain-separation label with the device's identity key (keystore). */
  readonly sign: (label: string, message: Uint8Array) => Uint8Array;
  /** RFC 7638 thumbprint of the device's Ed25519 signing key. */
  readonly signerKeyId: string;
  /** The device's clock, ms since the epoch. */
  readonly clock: () => number;
  /** The persisted command journal. */
  readonly journal: PersistentState<CommandJournalData>;
  /** Entries kept (default 1,000: months of therapy commands; the gateway keeps the full history). */
  readonly maxJournalEntries?: number;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/**
 * Glues verifier, therapy, journal and ack signing. handle() never throws for bad input; it
 * throws when persistence fails (then the command may be consumed but its ack is not sent: the
 * gateway sees a timeout and issues a new command, which is safe because execution is at most once).
 */
export class CommandProcessor {
  readonly #verifier: TherapyCommandVerifier;
  readonly #therapy: ControlledTherapy;
  readonly #sign: (label: string, message: Uint8Array) => Uint8Array;
  readonly #signerKeyId: string;
  readonly #clock: () => number;
  readonly #journal: PersistentState<CommandJournalData>;
  readonly #maxEntries: number;
  #entries: CommandJournalEntry[];

  constructor(options: CommandProcessorOptions) {
    const max = options.maxJournalEntries ?? 1_000;
    if (!Number.isSafeInteger(max) || max < 1) throw new InvalidTherapyConfigError('maxJournalEntries must be a positive integer');
    this.#verifier = options.verifier;
    this.#therapy = options.therapy;
    this.#sign = options.sign;
    this.#signerKeyId = options.signerKeyId;
    this.#clock = options.clock;
    this.#journal = options.journal;
    this.#maxEntries = max;
    const loaded = this.#journal.load();
    this.#entries = loaded === undefined ? [] : [...parseCommandJournal(loaded).entries];
  }

  /** Decides one received SignedTherapyCommand and returns the signed ack to send back. */
  handle(signedCommandBytes: Uint8Array): HandledCommand {
    const now = this.#clock();
    this.#therapy.advanceTo?.(now);
    const verdict = this.#verifier.verify(signedCommandBytes);
    let outcome: TherapyOutcome;
    let securityEvent: TherapySecurityEvent | undefined;
    let safeModeEvent: TherapySecurityEvent | undefined;
    const subject = hex(verdict.commandId);
    if (verdict.accepted) {
      outcome = this.#therapy.apply(verdict.command, now);
    } else {
      outcome = { status: verdict.status, reasonCode: verdict.reasonCode };
      if (verdict.integrityFailure) {
        // A forged command inside an authenticated session: the command path is compromised.
        securityEvent = { type: SecurityEventType.SECURITY_EVENT_TYPE_SIGNATURE_INVALID, severity: Severity.SEVERITY_CRITICAL, errorCode: verdict.reasonCode, atMs: now, subject };
        if (!this.#therapy.inSafeMode) {
          this.#therapy.enterSafeMode(verdict.reasonCode, now);
          safeModeEvent = { type: SecurityEventType.SECURITY_EVENT_TYPE_SAFE_MODE_ENTERED, severity: Severity.SEVERITY_HIGH, errorCode: verdict.reasonCode, atMs: now, subject };
        }
      } else if (verdict.status === CommandStatus.COMMAND_STATUS_REJECTED_REPLAY) {
        // An authentic command seen before: an attacker's replay, or a duplicate delivery (MQTT
        // QoS 1 may deliver twice). Refused either way; reported for correlation.
        securityEvent = { type: SecurityEventType.SECURITY_EVENT_TYPE_REPLAY_DETECTED, severity: Severity.SEVERITY_MEDIUM, errorCode: verdict.reasonCode, atMs: now, subject };
      }
    }
    const decision: CommandDecision = {
      status: outcome.status,
      reasonCode: outcome.reasonCode,
      ...(verdict.command === undefined ? {} : { command: verdict.command }),
      commandId: verdict.commandId,
      commandSequence: verdict.commandSequence,
      authenticated: verdict.authenticated,
      decidedAtMs: now,
    };
    this.#record(decision, signedCommandBytes);
    return {
      ackBytes: this.#ack(decision),
      decision,
      ...(securityEvent === undefined ? {} : { securityEvent }),
      ...(safeModeEvent === undefined ? {} : { safeModeEvent }),
    };
  }

  /** The journal, oldest first (a copy). */
  journal(): CommandJournalEntry[] {
    return structuredClone(this.#entries);
  }

  #record(decision: CommandDecision, signedBytes: Uint8Array): void {
    const command = decision.authenticated ? decision.command : undefined;
    const entry: CommandJournalEntry = {
      commandId: hex(decision.commandId),
      commandSequence: decision.commandSequence,
      status: decision.status,
      reasonCode: decision.reasonCode,
      action: command?.action ?? '',
      issuerUserId: command?.issuerUserId ?? '',
      authenticated: decision.authenticated,
      signedSha256: createHash('sha256').update(signedBytes).digest('hex'),
      decidedAtMs: decision.decidedAtMs,
    };
    const entries = [...this.#entries, entry].slice(-this.#maxEntries);
    this.#journal.save({ version: 1, entries });
    this.#entries = entries;
  }

  /** Encodes and signs the TherapyCommandAck with the device's key (never with key material held here). */
  #ack(decision: CommandDecision): Uint8Array {
    const ack = encodeMessage('TherapyCommandAck', {
      commandId: decision.commandId,
      commandSequence: decision.commandSequence,
      status: decision.status,
      reasonCode: decision.reasonCode,
      decidedAtMs: decision.decidedAtMs,
    });
    const signature = this.#sign(THERAPY_COMMAND_ACK_LABEL, ack);
    return encodeMessage('SignedTherapyCommandAck', { ack, signerKeyId: this.#signerKeyId, signature });
  }
}
