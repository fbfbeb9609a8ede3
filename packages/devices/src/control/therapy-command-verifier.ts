/**
 * Verification of therapy commands on a controlled device (insulin pump, pacemaker): the device's
 * own check that a command is authentic, meant for it, fresh, confirmed by a clinician and not a
 * replay, before any therapy interlock looks at it. [CTL-08] [CTL-09]
 *
 * Checks run in this order, and the first failure decides (docs/devices/therapy-safety.md):
 *  1. decode SignedTherapyCommand (protocol limits)                  REJECTED_INVALID
 *  2. signer key id is the enrolled command key, Ed25519 signature
 *     over the exact received command bytes                          REJECTED_SIGNATURE (integrity failure)
 *  3. decode and validate the TherapyCommand                         REJECTED_INVALID
 *  4. device id is this device                                       REJECTED_STATE
 *  5. issued_at not beyond clock + skew; expires_at not passed;
 *     expires_at - issued_at within the maximum lifetime             REJECTED_STALE
 *  6. confirmed_at in [issued_at - confirmation window, issued_at]   REJECTED_INVALID
 *  7. nonce never accepted; sequence above the last accepted         REJECTED_REPLAY
 * The signature is checked before the command is decoded, so that the protobuf decoder never
 * parses bytes an attacker chose (a forged command reaches no parser beyond the outer frame).
 *
 * A command that passes every check is consumed at once: its sequence and nonce are persisted
 * BEFORE the therapy decides. So whatever the therapy then does (executes, or refuses it by an
 * interlock or in safe mode), the same bytes can never run later, when the interlock state has
 * changed (a bolus refused as "too soon" must not become valid by waiting). Persisting first also
 * makes execution at-most-once across a crash: a device that dies between consuming and applying
 * loses the command (the gateway sees no ack and issues a new one) but never runs it twice.
 */
import { verifyDetached, type KeyEntry } from '@medsim/crypto';
import { CommandStatus, ProtocolError, decodeMessage, isDeviceId, v1, type TherapyCommand } from '@medsim/protocol';
import {
  CommandExpiredError,
  CommandLifetimeTooLongError,
  CommandNonceReusedError,
  CommandNotYetValidError,
  CommandSequenceReplayedError,
  CommandSignatureInvalidError,
  CommandUnconfirmedError,
  CommandWrongDeviceError,
  ControlStateCorruptError,
  DeviceError,
  InvalidTherapyConfigError,
  MalformedTherapyCommandError,
  UnknownCommandSignerError,
  type DevicesErrorCode,
} from '../errors.js';
import type { PersistentState } from './persistent-state.js';

/** Domain-separation label of the gateway's command signature (therapy.proto SignedTherapyCommand). */
export const THERAPY_COMMAND_LABEL = 'medsim/v1 therapy-command';

/** Domain-separation label of the device's acknowledgement signature (therapy.proto SignedTherapyCommandAck). */
export const THERAPY_COMMAND_ACK_LABEL = 'medsim/v1 therapy-command-ack';

/** A stable reason code of a refused therapy command. */
export type TherapyReasonCode = Extract<DevicesErrorCode, `ERR_THERAPY_${string}`>;

/**
 * The CommandStatus each refusal reason is reported with (therapy.proto CommandStatus). Codes that
 * never refuse a command (corrupt state, invalid configuration) are programming or storage errors.
 */
export const THERAPY_REASON_STATUS = {
  ERR_THERAPY_MALFORMED_COMMAND: CommandStatus.COMMAND_STATUS_REJECTED_INVALID,
  ERR_THERAPY_UNKNOWN_SIGNER: CommandStatus.COMMAND_STATUS_REJECTED_SIGNATURE,
  ERR_THERAPY_SIGNATURE_INVALID: CommandStatus.COMMAND_STATUS_REJECTED_SIGNATURE,
  ERR_THERAPY_WRONG_DEVICE: CommandStatus.COMMAND_STATUS_REJECTED_STATE,
  ERR_THERAPY_NOT_YET_VALID: CommandStatus.COMMAND_STATUS_REJECTED_STALE,
  ERR_THERAPY_EXPIRED: CommandStatus.COMMAND_STATUS_REJECTED_STALE,
  ERR_THERAPY_LIFETIME_TOO_LONG: CommandStatus.COMMAND_STATUS_REJECTED_STALE,
  ERR_THERAPY_UNCONFIRMED: CommandStatus.COMMAND_STATUS_REJECTED_INVALID,
  ERR_THERAPY_NONCE_REUSED: CommandStatus.COMMAND_STATUS_REJECTED_REPLAY,
  ERR_THERAPY_SEQUENCE_REPLAYED: CommandStatus.COMMAND_STATUS_REJECTED_REPLAY,
  ERR_THERAPY_SAFE_MODE: CommandStatus.COMMAND_STATUS_REJECTED_STATE,
  ERR_THERAPY_UNSUPPORTED_ACTION: CommandStatus.COMMAND_STATUS_REJECTED_STATE,
  ERR_THERAPY_BOLUS_TOO_LARGE: CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK,
  ERR_THERAPY_BASAL_TOO_HIGH: CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK,
  ERR_THERAPY_DAILY_LIMIT: CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK,
  ERR_THERAPY_INSULIN_ON_BOARD: CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK,
  ERR_THERAPY_BOLUS_TOO_SOON: CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK,
  ERR_THERAPY_BOLUS_IN_PROGRESS: CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK,
  ERR_THERAPY_SUSPENDED: CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK,
  ERR_THERAPY_RESERVOIR_INSUFFICIENT: CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK,
  ERR_THERAPY_SUSPEND_DURATION: CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK,
  ERR_THERAPY_LOWER_RATE: CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK,
  ERR_THERAPY_UPPER_RATE: CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK,
  ERR_THERAPY_RATE_SEPARATION: CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK,
  ERR_THERAPY_RATE_STEP: CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK,
  ERR_THERAPY_AMPLITUDE: CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK,
  ERR_THERAPY_PULSE_WIDTH: CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK,
  ERR_THERAPY_MODE_UNSAFE: CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK,
} as const satisfies Partial<Record<TherapyReasonCode, CommandStatus>>;

/** A reason a command can be refused with. */
export type RefusalReasonCode = keyof typeof THERAPY_REASON_STATUS;

/** True when `error` is one of the typed refusals of the control path (not a programming error). */
export function isTherapyRefusal(error: unknown): error is DeviceError & { readonly code: RefusalReasonCode } {
  return error instanceof DeviceError && Object.hasOwn(THERAPY_REASON_STATUS, error.code);
}

/** What the replay protection persists: the last accepted sequence and the latest accepted nonces (hex). */
export interface ReplayStateData {
  readonly version: 1;
  /** Highest accepted command sequence; 0 before the first (sequences start at 1). */
  readonly lastSequence: number;
  /** Nonces of the latest accepted commands, oldest first, as 32 lower-case hex characters. */
  readonly nonces: readonly string[];
}

const HEX_NONCE = /^[0-9a-f]{32}$/u;

/** Checks a loaded ReplayStateData (for JsonFileState's `parse`); throws ControlStateCorruptError. */
export function parseReplayState(value: unknown): ReplayStateData {
  const v = value as Partial<ReplayStateData> | null;
  if (
    typeof v !== 'object' ||
    v === null ||
    v.version !== 1 ||
    typeof v.lastSequence !== 'number' ||
    !Number.isSafeInteger(v.lastSequence) ||
    v.lastSequence < 0 ||
    !Array.isArray(v.nonces) ||
    !v.nonces.every((n) => typeof n === 'string' && HEX_NONCE.test(n))
  ) {
    throw new ControlStateCorruptError('replay state does not have the expected shape');
  }
  return { version: 1, lastSequence: v.lastSequence, nonces: [...(v.nonces as readonly string[])] };
}

/** Options of a TherapyCommandVerifier. */
export interface TherapyCommandVerifierOptions {
  /** This device's id: commands for any other device are refused. */
  readonly deviceId: string;
  /** The gateway's Ed25519 command-signing public key, given to the device at enrolment. */
  readonly commandKey: KeyEntry;
  /** The device's own clock, ms since the Unix epoch (it may drift from the gateway's). */
  readonly clock: () => number;
  /** Where the replay state lives across restarts. */
  readonly replayState: PersistentState<ReplayStateData>;
  /** Tolerated clock difference for issued_at in the future, ms (default 30 s). */
  readonly clockSkewMs?: number;
  /** Longest accepted expires_at - issued_at, ms (default 10 min). */
  readonly maxLifetimeMs?: number;
  /** Longest accepted time from the clinician's confirmation to issuing, ms (default 60 s). */
  readonly confirmationWindowMs?: number;
  /** Accepted nonces remembered (default 1,024). */
  readonly maxNonces?: number;
}

/** Defaults of the verifier's options. */
export const VERIFIER_DEFAULTS = {
  // 30 s: device clocks synchronized from SessionAccept drift by seconds, not minutes.
  clockSkewMs: 30_000,
  // 10 min: long enough for store-and-forward delivery over a flaky link, short enough that a
  // captured command is useless soon after (FDA premarket cybersecurity guidance 2023, V.A: replay).
  maxLifetimeMs: 600_000,
  // 60 s: the gateway signs right after the clinician confirms; an older confirmation is not the
  // intent behind this command.
  confirmationWindowMs: 60_000,
  // 1,024 nonces × 16 bytes: 16 KiB of flash. Sequences already refuse every older command; the
  // nonce set catches a gateway that reuses nonces (defence in depth).
  maxNonces: 1_024,
} as const;

/** The claimed identity of a command, for acks and the journal (verified only when `authenticated`). */
export interface CommandReference {
  /** 16 bytes; all zero when no command id could be read at all. */
  readonly commandId: Uint8Array;
  /** The command's sequence, or 0 when it could not be read. */
  readonly commandSequence: number;
  /** True when the command bytes carried a valid signature of the command key. */
  readonly authenticated: boolean;
}

/** A command that passed every check; it has been consumed (sequence and nonce persisted). */
export interface AcceptedCommand extends CommandReference {
  readonly accepted: true;
  /** Not decided yet: the therapy decides (THERAPY_EXECUTED, REJECTED_INTERLOCK, REJECTED_STATE). */
  readonly status: CommandStatus.COMMAND_STATUS_UNSPECIFIED;
  readonly reasonCode: '';
  readonly command: TherapyCommand;
  readonly integrityFailure: false;
}

/** A command refused by the verifier; nothing was consumed. */
export interface RefusedCommand extends CommandReference {
  readonly accepted: false;
  readonly status: CommandStatus;
  readonly reasonCode: RefusalReasonCode;
  /** The decoded command, when the refusal came after decoding (wrong device, stale, replay, ...). */
  readonly command?: TherapyCommand;
  /** True for signature failures: the command path is compromised and the device enters safe mode. */
  readonly integrityFailure: boolean;
}

/** The verifier's decision. */
export type VerificationResult = AcceptedCommand | RefusedCommand;

const NO_COMMAND_ID = new Uint8Array(16);

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

const positive = (name: string, value: number, integer = true): number => {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isSafeInteger(value))) {
    throw new InvalidTherapyConfigError(`${name} must be a positive ${integer ? 'integer' : 'number'}`, { details: { option: name } });
  }
  return value;
};

/** Reads the command id and sequence of command bytes whatever their validity (for the ack only). */
function claimedReference(commandBytes: Uint8Array | undefined): Omit<CommandReference, 'authenticated'> {
  if (commandBytes === undefined) return { commandId: NO_COMMAND_ID, commandSequence: 0 };
  try {
    const raw = v1.TherapyCommand.decode(commandBytes);
    const id = raw.commandId instanceof Uint8Array && raw.commandId.length === 16 ? Uint8Array.from(raw.commandId) : NO_COMMAND_ID;
    const sequence = typeof raw.commandSequence === 'number' && Number.isSafeInteger(raw.commandSequence) ? raw.commandSequence : 0;
    return { commandId: id, commandSequence: sequence };
  } catch {
    return { commandId: NO_COMMAND_ID, commandSequence: 0 };
  }
}

/**
 * The device-side verifier of therapy commands. verify() never throws for bad input: every refusal
 * is a decision with a stable reason code. It throws only for programming errors and when the
 * replay state cannot be persisted (then nothing was consumed and nothing must be executed).
 */
export class TherapyCommandVerifier {
  readonly deviceId: string;
  readonly #key: KeyEntry;
  readonly #clock: () => number;
  readonly #state: PersistentState<ReplayStateData>;
  readonly #skewMs: number;
  readonly #maxLifetimeMs: number;
  readonly #confirmationWindowMs: number;
  readonly #maxNonces: number;
  #lastSequence: number;
  /** Accepted nonces in acceptance order (oldest first) and as a set for lookups. */
  #nonceOrder: string[];
  #nonces: Set<string>;

  constructor(options: TherapyCommandVerifierOptions) {
    if (!isDeviceId(options.deviceId)) throw new InvalidTherapyConfigError('deviceId is not a valid device id');
    if (options.commandKey.jwk.crv !== 'Ed25519') throw new InvalidTherapyConfigError('the command key must be an Ed25519 key');
    this.deviceId = options.deviceId;
    this.#key = options.commandKey;
    this.#clock = options.clock;
    this.#state = options.replayState;
    this.#skewMs = positive('clockSkewMs', options.clockSkewMs ?? VERIFIER_DEFAULTS.clockSkewMs);
    this.#maxLifetimeMs = positive('maxLifetimeMs', options.maxLifetimeMs ?? VERIFIER_DEFAULTS.maxLifetimeMs);
    this.#confirmationWindowMs = positive('confirmationWindowMs', options.confirmationWindowMs ?? VERIFIER_DEFAULTS.confirmationWindowMs);
    this.#maxNonces = positive('maxNonces', options.maxNonces ?? VERIFIER_DEFAULTS.maxNonces);
    const loaded = this.#state.load();
    const state = loaded === undefined ? { version: 1 as const, lastSequence: 0, nonces: [] } : parseReplayState(loaded);
    this.#lastSequence = state.lastSequence;
    this.#nonceOrder = state.nonces.slice(-this.#maxNonces);
    this.#nonces = new Set(this.#nonceOrder);
  }

  /** Highest accepted sequence (0 before the first). */
  get lastSequence(): number {
    return this.#lastSequence;
  }

  /** Verifies encoded SignedTherapyCommand bytes; consumes the command when it passes every check. */
  verify(signedBytes: Uint8Array): VerificationResult {
    let commandBytes: Uint8Array | undefined;
    let authenticated = false;
    let decoded: TherapyCommand | undefined;
    try {
      // 1. The outer frame: bounded size, known fields, a 43-character key id, a 64-byte signature.
      let signed: v1.SignedTherapyCommand;
      try {
        signed = decodeMessage('SignedTherapyCommand', signedBytes);
      } catch (cause) {
        if (!(cause instanceof ProtocolError)) throw cause;
        throw new MalformedTherapyCommandError('SignedTherapyCommand is malformed', { cause, details: { protocolCode: cause.code } });
      }
      commandBytes = signed.command;
      // 2. Authenticity over the exact bytes received, before anything inside them is parsed.
      if (signed.signerKeyId !== this.#key.kid) {
        throw new UnknownCommandSignerError('the command is not signed by the enrolled command key');
      }
      try {
        verifyDetached(this.#key, THERAPY_COMMAND_LABEL, signed.command, signed.signature);
      } catch (cause) {
        throw new CommandSignatureInvalidError('the command signature does not verify', { cause });
      }
      authenticated = true;
      // 3. The command itself (protocol ranges; a missing confirmation is its own reason).
      let command: TherapyCommand;
      try {
        command = decodeMessage('TherapyCommand', signed.command);
      } catch (cause) {
        if (!(cause instanceof ProtocolError)) throw cause;
        if (cause.details['field'] === 'TherapyCommand.confirmedAtMs') {
          throw new CommandUnconfirmedError('the command carries no clinician confirmation', { cause });
        }
        throw new MalformedTherapyCommandError('TherapyCommand is malformed', { cause, details: { protocolCode: cause.code } });
      }
      decoded = command;
      this.#checkCommand(command);
      this.#consume(command);
      return {
        accepted: true,
        status: CommandStatus.COMMAND_STATUS_UNSPECIFIED,
        reasonCode: '',
        command,
        commandId: command.commandId,
        commandSequence: command.commandSequence,
        authenticated: true,
        integrityFailure: false,
      };
    } catch (error) {
      // Only the typed refusals become decisions; anything else is a programming or storage error.
      if (!isTherapyRefusal(error)) throw error;
      const code = error.code;
      const reference = decoded === undefined ? claimedReference(commandBytes) : { commandId: decoded.commandId, commandSequence: decoded.commandSequence };
      const status = THERAPY_REASON_STATUS[code];
      return {
        accepted: false,
        status,
        reasonCode: code,
        ...reference,
        ...(decoded === undefined ? {} : { command: decoded }),
        authenticated,
        integrityFailure: status === CommandStatus.COMMAND_STATUS_REJECTED_SIGNATURE,
      };
    }
  }

  /** Checks 4 to 7 on an authentic, well-formed command; throws the typed refusal. */
  #checkCommand(command: TherapyCommand): void {
    // 4. Addressed to this device (a command captured for one device is useless on another).
    if (command.deviceId !== this.deviceId) throw new CommandWrongDeviceError('the command is for another device');
    // 5. Freshness against the device's own clock.
    const now = this.#clock();
    if (command.issuedAtMs > now + this.#skewMs) throw new CommandNotYetValidError('the command was issued in the future', { details: { skewMs: this.#skewMs } });
    if (now > command.expiresAtMs) throw new CommandExpiredError('the command has expired');
    if (command.expiresAtMs - command.issuedAtMs > this.#maxLifetimeMs) throw new CommandLifetimeTooLongError('the command is valid for longer than the device accepts', { details: { maxLifetimeMs: this.#maxLifetimeMs } });
    // 6. Signal of intent: confirmed by the clinician shortly before the gateway issued it (both
    // times are on the gateway's clock, so no skew applies between them).
    if (command.confirmedAtMs > command.issuedAtMs || command.confirmedAtMs < command.issuedAtMs - this.#confirmationWindowMs) {
      throw new CommandUnconfirmedError('the confirmation is not shortly before issuing', { details: { confirmationWindowMs: this.#confirmationWindowMs } });
    }
    // 7. Anti-replay: never the same nonce, always a higher sequence.
    if (this.#nonces.has(toHex(command.nonce))) throw new CommandNonceReusedError('the command nonce was already accepted');
    if (command.commandSequence <= this.#lastSequence) throw new CommandSequenceReplayedError('the command sequence is not above the last accepted', { details: { lastSequence: this.#lastSequence } });
  }

  /** Persists the command's sequence and nonce first, then updates memory (at-most-once). */
  #consume(command: TherapyCommand): void {
    const nonce = toHex(command.nonce);
    const order = [...this.#nonceOrder, nonce].slice(-this.#maxNonces);
    // If save() throws, memory is unchanged and the caller must not execute the command.
    this.#state.save({ version: 1, lastSequence: command.commandSequence, nonces: order });
    this.#lastSequence = command.commandSequence;
    this.#nonceOrder = order;
    this.#nonces = new Set(order);
  }
}

/** What a therapy made of a verified command. */
export interface TherapyOutcome {
  /** THERAPY_EXECUTED, REJECTED_INTERLOCK or REJECTED_STATE. */
  readonly status: CommandStatus;
  /** Empty when executed. */
  readonly reasonCode: RefusalReasonCode | '';
}

/** The outcome of an executed command. */
export const THERAPY_EXECUTED: TherapyOutcome = Object.freeze({ status: CommandStatus.COMMAND_STATUS_EXECUTED, reasonCode: '' });

/** The outcome of a typed refusal thrown by an interlock; rethrows anything else (a programming error). */
export function refusalOutcome(error: unknown): TherapyOutcome {
  if (!isTherapyRefusal(error)) throw error;
  return { status: THERAPY_REASON_STATUS[error.code], reasonCode: error.code };
}
