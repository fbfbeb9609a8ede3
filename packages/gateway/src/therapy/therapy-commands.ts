/**
 * Therapy commands, gateway side (CTL-01, CTL-08, CTL-11, CTL-15; docs/protocols/therapy-commands.md):
 *
 *   order    a clinician asks for a therapy action on a device of a care-team patient (break-glass
 *            never counts), or a technician for a maintenance action on any enrolled device (no
 *            patient scope: maintenance touches no patient data); the action's purpose decides
 *            which permission is needed, whatever route it came by. Nothing is signed or sent, the
 *            command waits for confirmation;
 *   confirm  the signal of intent: the same user, in the same session, before the deadline, with a
 *            fresh factor (TOTP code when the account has TOTP, else the password). Only then is
 *            the next per-device sequence assigned, a 16-byte nonce drawn, the TherapyCommand
 *            signed with the command-signing key (not the session identity, CTL-11), sealed into
 *            the device's live session and handed to its downlink. A device that cannot be reached
 *            makes the command `undeliverable` and the clinician is told: nothing is queued;
 *   ack      the device's signed answer, taken after Ingest committed its envelope: verified under
 *            the device's enrolled key and bound to the command id and sequence sent, else
 *            refused and audited as a security event;
 *   evidence the signed bytes, keys and audit entry ids, verifiable offline (command-evidence.ts).
 *
 * Every step is audited (hash-chained) with ids only, under `therapy.*` or `maintenance.*` by the
 * command's purpose: the action itself is health data (for therapy) and is sealed at rest under
 * the data key, never written to the audit trail or the log. Maintenance reports (the device's
 * answer with self-test results and its log) are stored by Ingest like any envelope; their
 * arrival is audited here against the command they name.
 */
import { signDetached, verifyDetached, type Identity, type PublicJwk } from '@medsim/crypto';
import { CommandStatus, ContentType, MedsimError, STREAM_IDS, decodeMessage, encodeMessage } from '@medsim/protocol';
import type { AuditSeverity } from '@medsim/logging';
import { randomBytes } from 'node:crypto';
import type { GatewayContext } from '../context.js';
import type { DeviceSessions } from '../device-plane/device-sessions.js';
import type { DeviceDownlinks } from '../device-plane/downlinks.js';
import type { CommittedEnvelope } from '../device-plane/ingest.js';
import {
  DeviceUnreachableError,
  GatewayError,
  TherapyAckDuplicateError,
  TherapyAckSignatureInvalidError,
  TherapyAckUnknownCommandError,
  TherapyActionInvalidError,
  TherapyCommandStateError,
  TherapyCommandUnknownError,
  TherapyConfirmationExpiredError,
  TherapyConfirmationSessionError,
  TherapyStepUpFailedError,
  TherapyStepUpRequiredError,
  TherapyUndeliverableError,
} from '../errors.js';
import type { Principal } from '../user-plane/auth/authenticate.js';
import { allows, type Permission } from '../user-plane/rbac/permissions.js';
import { lockRemainingS, type LockoutPolicy } from '../users/lockout.js';
import type { UserStore } from '../users/user-store.js';
import {
  EVIDENCE_FORMAT,
  THERAPY_COMMAND_ACK_LABEL,
  THERAPY_COMMAND_LABEL,
  ackStatusName,
  type CommandEvidence,
  type SignedPart,
  type TherapyCommandStatus,
} from './command-evidence.js';
import {
  actionPurpose,
  describeAction,
  normalizeAction,
  toActionFields,
  validateAction,
  type CommandAction,
  type CommandActionInput,
  type CommandPurpose,
} from './therapy-action.js';

/** Timing of the lifecycle, in milliseconds. */
export interface TherapyTiming {
  /** From order to the confirmation deadline: 120 s, long enough to read the summary, short enough that the order is still meant. */
  readonly confirmWindowMs: number;
  /** From signing to the command's expiresAtMs: 5 min; the device refuses it afterwards. */
  readonly commandTtlMs: number;
}

/** The default timing. */
export const DEFAULT_THERAPY_TIMING: TherapyTiming = { confirmWindowMs: 120_000, commandTtlMs: 300_000 };

/** Most commands one history answer lists. */
export const MAX_THERAPY_PAGE = 1000;

/** What confirming needs to reach a device; absent in a user plane without a device plane. */
export interface TherapyLink {
  /** The command-signing key (its Ed25519 half signs; CTL-11 separation from the session identity). */
  readonly commandKey: Identity;
  readonly sessions: Pick<DeviceSessions, 'sealFor'>;
  readonly downlinks: DeviceDownlinks;
}

/** Options of TherapyCommands. */
export interface TherapyCommandsOptions {
  readonly ctx: GatewayContext;
  readonly users: UserStore;
  /** Without it every confirmation ends `undeliverable` (a user plane alone reaches no device). */
  readonly link?: TherapyLink;
  readonly timing?: Partial<TherapyTiming>;
}

/** The step-up factor sent with a confirmation. */
export interface StepUp {
  readonly password?: string;
  readonly totpCode?: string;
}

/** A command as the API shows it. */
export interface TherapyCommandRecord {
  /** 32 hex digits. */
  readonly commandId: string;
  readonly deviceId: string;
  /** Therapy or maintenance (actionPurpose of the action's kind). */
  readonly purpose: CommandPurpose;
  /** The device's patient at order time; null for a maintenance command (it concerns no patient). */
  readonly patientId: string | null;
  readonly status: TherapyCommandStatus;
  readonly action: CommandAction;
  /** What the command does, on what, for whom, in words (the patient's name for clinicians, the id otherwise; no patient for maintenance). */
  readonly summary: string;
  readonly issuerUserId: string;
  readonly issuerSessionId: string;
  readonly createdAt: string;
  /** Confirmation deadline. */
  readonly confirmBy: string;
  readonly confirmedAt: string | null;
  readonly sequence: number | null;
  readonly issuedAt: string | null;
  readonly expiresAt: string | null;
  readonly sentAt: string | null;
  /** Device clock when the device decided (from its signed acknowledgement). */
  readonly decidedAt: string | null;
  /** `executed`, `rejected-interlock`…, from the acknowledgement. */
  readonly ackStatus: string | null;
  /** The device's reason code, or why the gateway could not deliver. */
  readonly reasonCode: string | null;
}

interface CommandRow {
  command_id: Buffer;
  device_id: string;
  purpose: CommandPurpose;
  patient_id: string | null;
  sequence: number | null;
  nonce: Buffer | null;
  issuer_user_id: string;
  issuer_session_id: string;
  action_kind: string;
  action_enc: Buffer;
  status: TherapyCommandStatus;
  created_at: number;
  confirm_deadline: number;
  confirmed_at: number | null;
  issued_at: number | null;
  expires_at: number | null;
  sent_at: number | null;
  decided_at: number | null;
  command_enc: Buffer | null;
  signature: Buffer | null;
  signer_kid: string | null;
  signer_jwk: string | null;
  ack_enc: Buffer | null;
  ack_signature: Buffer | null;
  ack_signer_kid: string | null;
  ack_signer_jwk: string | null;
  ack_status: number | null;
  reason_code: string | null;
}

interface StoredAction {
  readonly action: CommandAction;
  readonly text: string;
}

/** The permission that orders (and so confirms and cancels) a command of each purpose (CTL-01). */
const ORDER_PERMISSION: Readonly<Record<CommandPurpose, Permission>> = { therapy: 'therapy.order', maintenance: 'maintenance.order' };

const COMMAND_ID = /^[0-9a-f]{32}$/u;
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const hex = (id: Uint8Array): string => Buffer.from(id).toString('hex');
const actionContext = (id: string): string => `therapy-action|${id}`;
const commandContext = (id: string): string => `therapy-command|${id}`;
const ackContext = (id: string): string => `therapy-ack|${id}`;
const codeOf = (error: unknown): string => (error instanceof MedsimError ? error.code : 'ERR_INTERNAL');

/** Audit severity of a device's answer: integrity refusals matter most (CTL-22). */
function ackSeverity(status: CommandStatus): AuditSeverity {
  switch (status) {
    case CommandStatus.COMMAND_STATUS_REJECTED_SIGNATURE:
    case CommandStatus.COMMAND_STATUS_REJECTED_REPLAY:
    case CommandStatus.COMMAND_STATUS_REJECTED_STALE:
      return 'high';
    case CommandStatus.COMMAND_STATUS_EXECUTED:
    case CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK:
    case CommandStatus.COMMAND_STATUS_REJECTED_STATE:
    case CommandStatus.COMMAND_STATUS_REJECTED_INVALID:
    case CommandStatus.COMMAND_STATUS_UNSPECIFIED:
      return 'medium';
  }
}

/** The therapy command service, shared by the user plane (routes) and the device plane (acks). */
export class TherapyCommands {
  readonly #ctx: GatewayContext;
  readonly #users: UserStore;
  readonly #link: TherapyLink | undefined;
  readonly #timing: TherapyTiming;
  readonly #lockout: LockoutPolicy;
  readonly #select;

  constructor(options: TherapyCommandsOptions) {
    this.#ctx = options.ctx;
    this.#users = options.users;
    this.#link = options.link;
    this.#timing = { ...DEFAULT_THERAPY_TIMING, ...options.timing };
    const { config } = options.ctx;
    this.#lockout = { maxFailed: config['auth.maxFailedLogins'], baseMs: config['auth.lockoutBaseS'] * 1000 };
    this.#select = options.ctx.db.prepare('SELECT * FROM therapy_commands WHERE command_id = ?');
  }

  /** The lifecycle timing in force. */
  get timing(): TherapyTiming {
    return this.#timing;
  }

  /**
   * Orders an action for `deviceId` (state `awaiting-confirmation`; nothing is signed or sent).
   * The action's purpose decides who may (CTL-01): therapy needs `therapy.order` and the device's
   * patient on the caller's care team; maintenance needs `maintenance.order` and an enrolled
   * device, no patient. A caller without the permission is refused like any denial (403,
   * `access.denied`), so a technician's bolus or a clinician's self-test never gets further than
   * that. `purpose` is the route's: an action of the other purpose is refused (400), each is
   * ordered at its own route. Therapy checks scope before existence: an unknown device and one
   * whose patient is not on the caller's care team are both ERR_FORBIDDEN, so the answer reveals
   * nothing (technicians list devices anyway: an unknown one is ERR_DEVICE_UNKNOWN to them).
   * Throws ERR_FORBIDDEN, ERR_DEVICE_UNKNOWN, ERR_DEVICE_REVOKED, ERR_THERAPY_ACTION_INVALID.
   */
  order(caller: Principal, deviceId: string, input: CommandActionInput, source: string, purpose: CommandPurpose = 'therapy'): TherapyCommandRecord {
    const actionOf = actionPurpose(input.kind);
    if (!allows(caller.role, ORDER_PERMISSION[actionOf])) return this.#deny(caller, `device/${deviceId}`, source);
    const device = this.#ctx.devices.get(deviceId);
    let patientId: string | null = null;
    if (actionOf === 'therapy') {
      patientId = device?.patientId ?? null;
      if (device === undefined || patientId === null || !this.#inCareTeam(caller, patientId)) return this.#deny(caller, `device/${deviceId}`, source);
    }
    const patient = patientId === null ? '' : `patient/${patientId};`;
    const object = (id?: string): string => `${id === undefined ? '' : `therapy-command/${id};`}device/${deviceId};${patient}session/${caller.sessionId}`;
    const refuse = (error: GatewayError): never => {
      this.#audit({ event: `${actionOf}.order`, outcome: 'denied', severity: 'low', caller, source, object: object(), code: error.code });
      throw error;
    };
    if (actionOf !== purpose) {
      return refuse(new TherapyActionInvalidError(`a ${actionOf} action is ordered at /v1/devices/{id}/${actionOf}-commands`, { details: { field: 'action.kind' } }));
    }
    if (device === undefined) return refuse(new GatewayError('ERR_DEVICE_UNKNOWN', 'no such device'));
    if (device.status !== 'enrolled') refuse(new GatewayError('ERR_DEVICE_REVOKED', 'the device is revoked; it takes no commands'));
    const now = this.#ctx.now();
    const action = normalizeAction(input);
    try {
      validateAction(action, deviceId, now);
    } catch (error) {
      if (error instanceof GatewayError) refuse(error);
      throw error;
    }
    const id = randomBytes(16);
    const commandId = hex(id);
    const stored: StoredAction = { action, text: describeAction(action) };
    this.#ctx.db
      .prepare(
        `INSERT INTO therapy_commands (command_id, device_id, purpose, patient_id, issuer_user_id, issuer_session_id, action_kind, action_enc,
           status, created_at, confirm_deadline)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'awaiting-confirmation', ?, ?)`,
      )
      .run(
        id,
        deviceId,
        actionOf,
        patientId,
        caller.userId,
        caller.sessionId,
        action.kind,
        this.#ctx.dataKey.sealText(JSON.stringify(stored), actionContext(commandId)),
        now,
        now + this.#timing.confirmWindowMs,
      );
    this.#audit({ event: `${actionOf}.order`, outcome: 'success', severity: 'medium', caller, source, object: object(commandId) });
    return this.#record(this.#row(commandId)!, caller);
  }

  /**
   * Confirms a command (signal of intent), then signs and sends it. Refusals are audited and
   * change nothing but an expiry: ERR_THERAPY_COMMAND_UNKNOWN, ERR_FORBIDDEN (a role without the
   * order permission of the command's purpose, another user, or the patient left the care team),
   * ERR_THERAPY_CONFIRMATION_SESSION, ERR_THERAPY_COMMAND_STATE,
   * ERR_THERAPY_CONFIRMATION_EXPIRED, ERR_THERAPY_STEP_UP_REQUIRED, ERR_THERAPY_STEP_UP_FAILED,
   * ERR_AUTH_LOCKED. After a valid confirmation the command ends `sent`, or `undeliverable`
   * with ERR_THERAPY_UNDELIVERABLE thrown.
   */
  async confirm(caller: Principal, commandId: string, stepUp: StepUp, source: string): Promise<TherapyCommandRecord> {
    const row = this.#mustRow(commandId);
    const object = this.#objectOf(row, caller.sessionId);
    const refuse = (error: GatewayError, severity: AuditSeverity = 'medium'): never => {
      this.#audit({ event: `${row.purpose}.confirm`, outcome: 'denied', severity, caller, source, object, code: error.code });
      throw error;
    };
    // The route lets both ordering roles in (commands.confirm); the command's purpose decides.
    if (!allows(caller.role, ORDER_PERMISSION[row.purpose])) refuse(new GatewayError('ERR_FORBIDDEN', `your role may not confirm a ${row.purpose} command`), 'high');
    if (row.issuer_user_id !== caller.userId) refuse(new GatewayError('ERR_FORBIDDEN', 'only the user who ordered a command may confirm it'), 'high');
    if (row.issuer_session_id !== caller.sessionId) refuse(new TherapyConfirmationSessionError(), 'high');
    const now = this.#ctx.now();
    if (row.status === 'awaiting-confirmation' && now >= row.confirm_deadline) {
      this.#ctx.db.prepare("UPDATE therapy_commands SET status = 'expired' WHERE command_id = ? AND status = 'awaiting-confirmation'").run(row.command_id);
      refuse(new TherapyConfirmationExpiredError());
    }
    if (row.status !== 'awaiting-confirmation') refuse(new TherapyCommandStateError(`the command is ${row.status}; only a command awaiting confirmation can be confirmed`));
    const device = this.#ctx.devices.get(row.device_id);
    if (row.purpose === 'therapy') {
      if (row.patient_id === null || !this.#inCareTeam(caller, row.patient_id)) refuse(new GatewayError('ERR_FORBIDDEN', 'the patient is no longer on your care team'), 'high');
      if (device?.status !== 'enrolled' || device.patientId !== row.patient_id) {
        refuse(new TherapyCommandStateError('the device was revoked or assigned to another patient since the order'));
      }
    } else if (device?.status !== 'enrolled') {
      refuse(new TherapyCommandStateError('the device was revoked since the order'));
    }
    // Step-up: technicians always have TOTP (a privileged role), so theirs is always a fresh code.
    await this.#stepUp(caller, stepUp, (error, severity) => refuse(error, severity));
    this.#audit({ event: `${row.purpose}.confirm`, outcome: 'success', severity: 'medium', caller, source, object });
    return this.#signAndSend(caller, row, source);
  }

  /** Cancels a command awaiting confirmation (its orderer only, any of their sessions). */
  cancel(caller: Principal, commandId: string, source: string): TherapyCommandRecord {
    const row = this.#mustRow(commandId);
    const object = this.#objectOf(row, caller.sessionId);
    const refuse = (error: GatewayError): never => {
      this.#audit({ event: `${row.purpose}.cancel`, outcome: 'denied', severity: 'medium', caller, source, object, code: error.code });
      throw error;
    };
    if (!allows(caller.role, ORDER_PERMISSION[row.purpose])) refuse(new GatewayError('ERR_FORBIDDEN', `your role may not cancel a ${row.purpose} command`));
    if (row.issuer_user_id !== caller.userId) refuse(new GatewayError('ERR_FORBIDDEN', 'only the user who ordered a command may cancel it'));
    const cancelled = this.#ctx.db
      .prepare("UPDATE therapy_commands SET status = 'cancelled', decided_at = ? WHERE command_id = ? AND status = 'awaiting-confirmation' AND confirm_deadline > ?")
      .run(this.#ctx.now(), row.command_id, this.#ctx.now());
    if (cancelled.changes !== 1) refuse(new TherapyCommandStateError(`the command is ${this.#statusOf(row)}; only a command awaiting confirmation can be cancelled`));
    this.#audit({ event: `${row.purpose}.cancel`, outcome: 'success', severity: 'medium', caller, source, object });
    return this.#record(this.#row(commandId)!, caller);
  }

  /** One command: a clinician a therapy command for their care team's patients, a technician a maintenance command, an auditor any. */
  get(caller: Principal, commandId: string, source: string): TherapyCommandRecord {
    const row = this.#mustRow(commandId);
    if (!this.#mayRead(caller, row)) this.#deny(caller, `therapy-command/${commandId}`, source);
    return this.#record(row, caller);
  }

  /**
   * A device's commands of one purpose, newest first. Therapy: an auditor sees all; a clinician
   * needs the device's current patient on their care team and sees the commands of care-team
   * patients only (not those of a previous patient of the same device). Maintenance: technicians
   * and auditors, any device the gateway knows (ERR_DEVICE_UNKNOWN otherwise).
   */
  history(caller: Principal, deviceId: string, limit: number, source: string, purpose: CommandPurpose = 'therapy'): TherapyCommandRecord[] {
    const pageSize = Math.min(Math.max(limit, 1), MAX_THERAPY_PAGE);
    const { db } = this.#ctx;
    let rows: CommandRow[];
    if (purpose === 'maintenance') {
      if (caller.role !== 'auditor' && !allows(caller.role, 'maintenance.read')) this.#deny(caller, `device/${deviceId}`, source);
      if (this.#ctx.devices.get(deviceId) === undefined) throw new GatewayError('ERR_DEVICE_UNKNOWN', 'no such device');
      rows = db.prepare("SELECT * FROM therapy_commands WHERE device_id = ? AND purpose = 'maintenance' ORDER BY created_at DESC, rowid DESC LIMIT ?").all(deviceId, pageSize) as CommandRow[];
    } else if (caller.role === 'auditor') {
      rows = db.prepare("SELECT * FROM therapy_commands WHERE device_id = ? AND purpose = 'therapy' ORDER BY created_at DESC, rowid DESC LIMIT ?").all(deviceId, pageSize) as CommandRow[];
    } else {
      const patientId = this.#ctx.devices.get(deviceId)?.patientId ?? null;
      if (patientId === null || !this.#inCareTeam(caller, patientId)) this.#deny(caller, `device/${deviceId}`, source);
      rows = db
        .prepare(
          `SELECT * FROM therapy_commands WHERE device_id = ? AND purpose = 'therapy' AND patient_id IN (SELECT patient_id FROM care_team WHERE clinician_id = ?)
           ORDER BY created_at DESC, rowid DESC LIMIT ?`,
        )
        .all(deviceId, caller.userId, pageSize) as CommandRow[];
    }
    return rows.map((row) => this.#record(row, caller));
  }

  /** The evidence of one command (auditors; the export is audited and its entry is listed). */
  evidence(caller: Principal, commandId: string, source: string): CommandEvidence {
    const row = this.#mustRow(commandId);
    if (caller.role !== 'auditor') this.#deny(caller, `therapy-command/${commandId}`, source);
    const object = this.#objectOf(row);
    this.#audit({ event: `${row.purpose}.evidence-export`, outcome: 'success', severity: 'medium', caller, source, object });
    const part = (enc: Buffer | null, signature: Buffer | null, kid: string | null, jwk: string | null, context: string): SignedPart | null =>
      enc === null || signature === null || kid === null || jwk === null
        ? null
        : { bytes: this.#ctx.dataKey.open(enc, context).toString('base64'), signature: signature.toString('base64'), signerKid: kid, signerKey: JSON.parse(jwk) as PublicJwk };
    // Every entry about this command: its object starts with the command id (a scan of the
    // audit table; an auditor's export is rare, the table has no index on object).
    const prefix = `therapy-command/${commandId};`;
    const auditSeqs = (this.#ctx.db.prepare('SELECT seq FROM audit_log WHERE substr(object, 1, ?) = ? ORDER BY seq').all(prefix.length, prefix) as { seq: number }[]).map(
      (r) => r.seq,
    );
    return {
      format: EVIDENCE_FORMAT,
      commandId,
      deviceId: row.device_id,
      patientId: row.patient_id,
      status: this.#statusOf(row),
      command: part(row.command_enc, row.signature, row.signer_kid, row.signer_jwk, commandContext(commandId)),
      ack: part(row.ack_enc, row.ack_signature, row.ack_signer_kid, row.ack_signer_jwk, ackContext(commandId)),
      auditSeqs,
      exportedAt: new Date(this.#ctx.now()).toISOString(),
    };
  }

  /**
   * Ingest's onCommitted hook: takes a committed command acknowledgement, and notes a committed
   * maintenance report. Never throws: a refusal (bad signature, unknown command, duplicate,
   * malformed) is audited as a security event, and the envelope stays stored and acknowledged
   * like any other.
   */
  handleCommitted(envelope: CommittedEnvelope): void {
    if (envelope.contentType === ContentType.CONTENT_TYPE_MAINTENANCE_REPORT) {
      this.#reported(envelope);
      return;
    }
    if (envelope.contentType !== ContentType.CONTENT_TYPE_THERAPY_COMMAND_ACK) return;
    // The command a refused answer is about, once known to be this device's (a duplicate):
    // named in the audit object, so the refusal is part of that command's evidence.
    const seen: { commandId?: string } = {};
    try {
      this.#acknowledge(envelope, seen);
    } catch (error) {
      const known = error instanceof TherapyAckDuplicateError ? seen.commandId : undefined;
      this.#ctx.logger.warn({ deviceId: envelope.deviceId, code: codeOf(error) }, 'therapy command acknowledgement refused');
      try {
        this.#ctx.audit.record({
          event: 'therapy.ack-refused',
          outcome: 'denied',
          severity: 'high',
          actor: envelope.deviceId,
          role: 'device',
          object: `${known === undefined ? '' : `therapy-command/${known};`}device/${envelope.deviceId}`,
          code: codeOf(error),
        });
      } catch (auditError) {
        this.#ctx.logger.error({ err: auditError, deviceId: envelope.deviceId }, 'audit record lost');
      }
    }
  }

  /**
   * Audits a maintenance report's arrival (ids only; the report itself is stored by Ingest):
   * `maintenance.report`, success when it names a maintenance command signed for this device
   * (the entry then belongs to that command's evidence), else failure with
   * ERR_THERAPY_COMMAND_UNKNOWN (kept and listed all the same: it is the device's own account).
   */
  #reported(envelope: CommittedEnvelope): void {
    const { deviceId } = envelope;
    try {
      const commandId = hex(decodeMessage('MaintenanceReport', envelope.payload).commandId);
      const row = this.#row(commandId);
      const known = row !== undefined && row.device_id === deviceId && row.purpose === 'maintenance' && row.signature !== null;
      this.#ctx.audit.record({
        event: 'maintenance.report',
        outcome: known ? 'success' : 'failure',
        severity: known ? 'info' : 'medium',
        actor: deviceId,
        role: 'device',
        object: known ? this.#objectOf(row) : `device/${deviceId}`,
        ...(known ? {} : { code: 'ERR_THERAPY_COMMAND_UNKNOWN' }),
      });
    } catch (error) {
      this.#ctx.logger.error({ err: error, deviceId }, 'maintenance report not audited');
    }
  }

  /** Verifies and records one acknowledgement. */
  #acknowledge(envelope: CommittedEnvelope, seen: { commandId?: string }): void {
    const { deviceId } = envelope;
    const signed = decodeMessage('SignedTherapyCommandAck', envelope.payload);
    const identity = this.#ctx.devices.identityOf(deviceId);
    // The device's own enrolled Ed25519 key, and no other: not the session (the gateway shares
    // its key), not another device's.
    if (identity === undefined || signed.signerKeyId !== identity.signing.kid) throw new TherapyAckSignatureInvalidError('the acknowledgement names a key the device does not hold');
    try {
      verifyDetached(identity.signing, THERAPY_COMMAND_ACK_LABEL, signed.ack, signed.signature);
    } catch (cause) {
      throw new TherapyAckSignatureInvalidError(undefined, { cause });
    }
    const ack = decodeMessage('TherapyCommandAck', signed.ack);
    const commandId = hex(ack.commandId);
    const row = this.#row(commandId);
    if (row === undefined || row.device_id !== deviceId || row.signature === null || row.sequence !== ack.commandSequence) {
      throw new TherapyAckUnknownCommandError();
    }
    seen.commandId = commandId;
    if (row.ack_signature !== null) {
      // The same signed answer again (a resend in a new envelope) changes nothing; another answer is refused.
      if (row.ack_signature.equals(signed.signature)) return;
      throw new TherapyAckDuplicateError();
    }
    const executed = ack.status === CommandStatus.COMMAND_STATUS_EXECUTED;
    const updated = this.#ctx.db
      .prepare(
        `UPDATE therapy_commands SET status = ?, ack_enc = ?, ack_signature = ?, ack_signer_kid = ?, ack_signer_jwk = ?, ack_status = ?,
           reason_code = ?, decided_at = ?, ack_received_at = ?
         WHERE command_id = ? AND ack_signature IS NULL`,
      )
      .run(
        executed ? 'executed' : 'rejected',
        this.#ctx.dataKey.seal(signed.ack, ackContext(commandId)),
        Buffer.from(signed.signature),
        identity.signing.kid,
        JSON.stringify(identity.signing.jwk),
        ack.status,
        executed ? null : ack.reasonCode,
        ack.decidedAtMs,
        envelope.receivedAtMs,
        row.command_id,
      );
    if (updated.changes !== 1) throw new TherapyAckDuplicateError();
    this.#ctx.audit.record({
      event: `${row.purpose}.ack`,
      outcome: executed ? 'success' : 'failure',
      severity: ackSeverity(ack.status),
      actor: deviceId,
      role: 'device',
      object: this.#objectOf(row),
      // The device's own ERR_ code when it refused (printable ASCII, at most 64: protocol-validated).
      ...(executed ? {} : { code: ack.reasonCode === '' ? ackStatusName(ack.status) : ack.reasonCode }),
    });
  }

  /** Checks the step-up factor; `refuse` audits and throws. */
  async #stepUp(caller: Principal, stepUp: StepUp, refuse: (error: GatewayError, severity?: AuditSeverity) => never): Promise<void> {
    const now = this.#ctx.now();
    const credentials = this.#users.credentials(caller.username);
    if (credentials === undefined) return refuse(new TherapyStepUpFailedError());
    const locked = (remainingS: number): never =>
      refuse(new GatewayError('ERR_AUTH_LOCKED', 'too many failed attempts; try again later', { details: { retryAfterS: remainingS } }), 'high');
    if (lockRemainingS(credentials, now) > 0) locked(lockRemainingS(credentials, now));
    // A TOTP code must be newer than the last one accepted (the login's), so a code seen over
    // the clinician's shoulder at login cannot confirm a command.
    const factor = credentials.mfaEnrolled ? 'totp' : 'password';
    const given = factor === 'totp' ? stepUp.totpCode : stepUp.password;
    if (given === undefined || given === '') return refuse(new TherapyStepUpRequiredError(factor));
    const ok = factor === 'totp' ? this.#users.acceptTotp(caller.userId, given) : await this.#users.verifyPassword(caller.userId, given);
    if (ok) return;
    const state = this.#users.recordLoginFailure(caller.userId, this.#lockout);
    if (lockRemainingS(state, now) > 0) {
      this.#ctx.audit.record({ event: 'auth.lockout', outcome: 'denied', severity: 'high', actor: caller.userId, role: caller.role, code: 'ERR_AUTH_LOCKED' });
      locked(lockRemainingS(state, now));
    }
    refuse(new TherapyStepUpFailedError(), 'high');
  }

  /** Assigns sequence and nonce, signs, seals and sends. */
  async #signAndSend(caller: Principal, row: CommandRow, source: string): Promise<TherapyCommandRecord> {
    const commandId = hex(row.command_id);
    const link = this.#link;
    const confirmedAt = this.#ctx.now();
    if (link === undefined || !link.downlinks.has(row.device_id)) {
      // Checked before signing: a command for a device that cannot receive it is never signed.
      this.#ctx.db
        .prepare("UPDATE therapy_commands SET status = 'undeliverable', confirmed_at = ?, decided_at = ?, reason_code = ? WHERE command_id = ? AND status = 'awaiting-confirmation'")
        .run(confirmedAt, confirmedAt, 'ERR_DEVICE_UNREACHABLE', row.command_id);
      return this.#undeliverable(caller, row, source, new DeviceUnreachableError('no-link', 'the device has no downlink (not connected)'));
    }
    const { db } = this.#ctx;
    const stored = JSON.parse(this.#ctx.dataKey.openText(row.action_enc, actionContext(commandId))) as StoredAction;
    const signer = link.commandKey.public.signing;
    const signedBytes = db
      .transaction(() => {
        const current = this.#row(commandId);
        if (current?.status !== 'awaiting-confirmation') throw new TherapyCommandStateError('the command was confirmed or cancelled meanwhile');
        // Strictly increasing per device, over every command ever signed (undeliverable ones
        // included): the device accepts only a sequence above the last it executed.
        const sequence = (db.prepare('SELECT COALESCE(MAX(sequence), 0) + 1 AS next FROM therapy_commands WHERE device_id = ?').get(row.device_id) as { next: number }).next;
        const nonce = randomBytes(16);
        const issuedAt = this.#ctx.now();
        const expiresAt = issuedAt + this.#timing.commandTtlMs;
        const command = encodeMessage('TherapyCommand', {
          commandId: row.command_id,
          deviceId: row.device_id,
          commandSequence: sequence,
          nonce,
          issuedAtMs: issuedAt,
          expiresAtMs: expiresAt,
          issuerUserId: row.issuer_user_id,
          issuerSessionId: row.issuer_session_id,
          confirmedAtMs: confirmedAt,
          ...toActionFields(stored.action),
        });
        const signature = signDetached(link.commandKey, THERAPY_COMMAND_LABEL, command);
        db.prepare(
          `UPDATE therapy_commands SET status = 'signed', sequence = ?, nonce = ?, confirmed_at = ?, issued_at = ?, expires_at = ?,
             command_enc = ?, signature = ?, signer_kid = ?, signer_jwk = ?
           WHERE command_id = ?`,
        ).run(sequence, nonce, confirmedAt, issuedAt, expiresAt, this.#ctx.dataKey.seal(command, commandContext(commandId)), signature, signer.kid, JSON.stringify(signer.jwk), row.command_id);
        return encodeMessage('SignedTherapyCommand', { command, signerKeyId: signer.kid, signature });
      })
      .immediate();
    try {
      const envelope = link.sessions.sealFor(row.device_id, ContentType.CONTENT_TYPE_THERAPY_COMMAND, signedBytes, STREAM_IDS.commands);
      await link.downlinks.send(row.device_id, 'commands', envelope);
    } catch (error) {
      db.prepare("UPDATE therapy_commands SET status = 'undeliverable', decided_at = ?, reason_code = ? WHERE command_id = ? AND status = 'signed'").run(
        this.#ctx.now(),
        codeOf(error),
        row.command_id,
      );
      return this.#undeliverable(caller, this.#row(commandId)!, source, error);
    }
    // An acknowledgement may in principle overtake this update: the status moves on only from `signed`.
    db.prepare("UPDATE therapy_commands SET sent_at = ?, status = CASE WHEN status = 'signed' THEN 'sent' ELSE status END WHERE command_id = ?").run(this.#ctx.now(), row.command_id);
    const sent = this.#row(commandId)!;
    this.#audit({ event: `${sent.purpose}.send`, outcome: 'success', severity: 'medium', caller, source, object: this.#objectOf(sent, caller.sessionId) });
    return this.#record(sent, caller);
  }

  #undeliverable(caller: Principal, row: CommandRow, source: string, cause: unknown): never {
    const code = codeOf(cause);
    this.#audit({ event: `${row.purpose}.undeliverable`, outcome: 'failure', severity: 'medium', caller, source, object: this.#objectOf(row, caller.sessionId), code });
    const reason = cause instanceof DeviceUnreachableError ? cause.reason : code;
    throw new TherapyUndeliverableError(`the device cannot be reached now (${reason}); the command was not sent and will not be`, { cause, details: { reason } });
  }

  #audit(entry: { event: string; outcome: 'success' | 'failure' | 'denied'; severity: AuditSeverity; caller: Principal; source: string; object: string; code?: string }): void {
    const { caller, ...rest } = entry;
    this.#ctx.audit.record({ ...rest, actor: caller.userId, role: caller.role });
  }

  /** Same shape as route-guard denyObject: audited access.denied, then ERR_FORBIDDEN. */
  #deny(caller: Principal, object: string, source: string): never {
    this.#ctx.audit.record({ event: 'access.denied', outcome: 'denied', severity: 'medium', actor: caller.userId, role: caller.role, source, object, code: 'ERR_FORBIDDEN' });
    throw new GatewayError('ERR_FORBIDDEN', 'you may not access this object');
  }

  /** Therapy scope: the care team only. Break-glass grants emergency reading, never therapy (CTL-18). */
  #inCareTeam(caller: Principal, patientId: string): boolean {
    return caller.role === 'clinician' && this.#users.isOnCareTeam(caller.userId, patientId);
  }

  /** Auditors read every command; clinicians therapy for their care team; technicians maintenance. */
  #mayRead(caller: Principal, row: CommandRow): boolean {
    if (caller.role === 'auditor') return true;
    if (row.purpose === 'maintenance') return allows(caller.role, 'maintenance.read');
    return row.patient_id !== null && this.#inCareTeam(caller, row.patient_id);
  }

  /** The audit object: ids only (command, device, patient for therapy, session, sequence once assigned). */
  #objectOf(row: CommandRow, sessionId = row.issuer_session_id): string {
    const sequence = row.sequence === null ? '' : `;sequence/${row.sequence}`;
    const patient = row.patient_id === null ? '' : `patient/${row.patient_id};`;
    return `therapy-command/${hex(row.command_id)};device/${row.device_id};${patient}session/${sessionId}${sequence}`;
  }

  #row(commandId: string): CommandRow | undefined {
    return this.#select.get(Buffer.from(commandId, 'hex')) as CommandRow | undefined;
  }

  #mustRow(commandId: string): CommandRow {
    const row = COMMAND_ID.test(commandId) ? this.#row(commandId) : undefined;
    if (row === undefined) throw new TherapyCommandUnknownError();
    return row;
  }

  /** A command past its confirmation deadline is expired whether or not anyone touched it since. */
  #statusOf(row: CommandRow): TherapyCommandStatus {
    return row.status === 'awaiting-confirmation' && this.#ctx.now() >= row.confirm_deadline ? 'expired' : row.status;
  }

  #record(row: CommandRow, caller: Principal): TherapyCommandRecord {
    const commandId = hex(row.command_id);
    const stored = JSON.parse(this.#ctx.dataKey.openText(row.action_enc, actionContext(commandId))) as StoredAction;
    const model = this.#ctx.devices.get(row.device_id)?.model ?? 'device';
    // Clinicians see the patient's name (they confirm for a person); auditors read ids only.
    // A maintenance command names no patient at all.
    const name = caller.role === 'clinician' && row.patient_id !== null ? this.#users.listPatients([row.patient_id])[0]?.displayName : undefined;
    return {
      commandId,
      deviceId: row.device_id,
      purpose: row.purpose,
      patientId: row.patient_id,
      status: this.#statusOf(row),
      action: stored.action,
      summary: `${stored.text}, ${model} ${row.device_id}${row.patient_id === null ? '' : `, patient ${name ?? row.patient_id}`}`,
      issuerUserId: row.issuer_user_id,
      issuerSessionId: row.issuer_session_id,
      createdAt: iso(row.created_at)!,
      confirmBy: iso(row.confirm_deadline)!,
      confirmedAt: iso(row.confirmed_at),
      sequence: row.sequence,
      issuedAt: iso(row.issued_at),
      expiresAt: iso(row.expires_at),
      sentAt: iso(row.sent_at),
      decidedAt: iso(row.ack_status === null ? null : row.decided_at),
      ackStatus: row.ack_status === null ? null : ackStatusName(row.ack_status),
      reasonCode: row.reason_code,
    };
  }
}
