/** Validation of medsim.v1 therapy.proto messages (protocol ranges; devices add their interlocks). */
import { assertDeviceId } from '../../device-id.js';
import { MESSAGE_MAX_BYTES, RANDOM_ID_BYTES, REPEATED_LIMITS, THERAPY_LIMITS } from '../../limits.js';
import {
  CommandStatus,
  PacingMode,
  type BasalSegment,
  type InsulinBasalSchedule,
  type InsulinBolus,
  type PacingParameters,
  type TherapySuspend,
  type OpenServiceMode,
  type UploadLogs,
  type SignedTherapyCommand,
  type TherapyCommand,
  type TherapyCommandAck,
  type SignedTherapyCommandAck,
} from '../../schema.js';
import {
  bytesExactly,
  bytesUpTo,
  countIn,
  inconsistent,
  integerIn,
  knownEnum,
  noUnknownFields,
  text,
  thumbprint,
  timestamp,
  uint64,
} from './checks.js';

// The generated d.ts types nested messages with their optional-field shape, but the decoder always
// builds class instances whose absent fields read as proto3 defaults: the casts below say so.

type Range = { readonly min: number; readonly max: number };
const within = (value: number, path: string, field: string, range: Range): void =>
  integerIn(value, path, field, range.min, range.max);

function validateAction(m: TherapyCommand, path: string): void {
  switch (m.action) {
    case 'insulinBolus': {
      const b = m.insulinBolus as InsulinBolus | null | undefined;
      if (b == null) return inconsistent(path, 'insulinBolus', 'oneof set without a value');
      noUnknownFields(b, path, 'insulinBolus');
      within(b.amountMilliunits, path, 'insulinBolus.amountMilliunits', THERAPY_LIMITS.bolusMilliunits);
      within(b.durationMinutes, path, 'insulinBolus.durationMinutes', THERAPY_LIMITS.bolusDurationMinutes);
      return;
    }
    case 'basalSchedule': {
      const s = m.basalSchedule as InsulinBasalSchedule | null | undefined;
      if (s == null) return inconsistent(path, 'basalSchedule', 'oneof set without a value');
      noUnknownFields(s, path, 'basalSchedule');
      countIn(s.segments, path, 'basalSchedule.segments', REPEATED_LIMITS.basalSegments);
      let previous = -1;
      (s.segments as BasalSegment[]).forEach((segment, i) => {
        const at = `${path}.basalSchedule.segments[${i}]`;
        noUnknownFields(segment, at);
        integerIn(segment.startMinute, at, 'startMinute', 0, 1439);
        within(segment.rateMilliunitsPerHour, at, 'rateMilliunitsPerHour', THERAPY_LIMITS.basalMilliunitsPerHour);
        if (i === 0 && segment.startMinute !== 0) inconsistent(at, 'startMinute', 'the first segment must start at minute 0');
        if (segment.startMinute <= previous) inconsistent(at, 'startMinute', 'segments must be strictly increasing');
        previous = segment.startMinute;
      });
      return;
    }
    case 'suspend': {
      const s = m.suspend as TherapySuspend | null | undefined;
      if (s == null) return inconsistent(path, 'suspend', 'oneof set without a value');
      noUnknownFields(s, path, 'suspend');
      within(s.durationMinutes, path, 'suspend.durationMinutes', THERAPY_LIMITS.suspendMinutes);
      return;
    }
    case 'resume': {
      if (m.resume == null) return inconsistent(path, 'resume', 'oneof set without a value');
      noUnknownFields(m.resume, path, 'resume');
      return;
    }
    case 'pacingParameters': {
      const p = m.pacingParameters as PacingParameters | null | undefined;
      if (p == null) return inconsistent(path, 'pacingParameters', 'oneof set without a value');
      const at = `${path}.pacingParameters`;
      noUnknownFields(p, at);
      knownEnum(PacingMode, p.mode, at, 'mode');
      within(p.lowerRatePpm, at, 'lowerRatePpm', THERAPY_LIMITS.pacingLowerRatePpm);
      within(p.upperRatePpm, at, 'upperRatePpm', THERAPY_LIMITS.pacingUpperRatePpm);
      within(p.amplitudeMillivolts, at, 'amplitudeMillivolts', THERAPY_LIMITS.pacingAmplitudeMillivolts);
      within(p.pulseWidthMicroseconds, at, 'pulseWidthMicroseconds', THERAPY_LIMITS.pacingPulseWidthMicroseconds);
      if (p.upperRatePpm < p.lowerRatePpm) inconsistent(at, 'upperRatePpm', 'upper rate below lower rate');
      return;
    }
    case 'openServiceMode': {
      const o = m.openServiceMode as OpenServiceMode | null | undefined;
      if (o == null) return inconsistent(path, 'openServiceMode', 'oneof set without a value');
      noUnknownFields(o, path, 'openServiceMode');
      within(o.durationMinutes, path, 'openServiceMode.durationMinutes', THERAPY_LIMITS.serviceModeMinutes);
      return;
    }
    case 'closeServiceMode':
    case 'runDiagnostics': {
      const empty = m[m.action];
      if (empty == null) return inconsistent(path, m.action, 'oneof set without a value');
      noUnknownFields(empty, path, m.action);
      return;
    }
    case 'uploadLogs': {
      const u = m.uploadLogs as UploadLogs | null | undefined;
      if (u == null) return inconsistent(path, 'uploadLogs', 'oneof set without a value');
      noUnknownFields(u, path, 'uploadLogs');
      timestamp(u.sinceMs, `${path}.uploadLogs`, 'sinceMs', false);
      within(u.maxEntries, path, 'uploadLogs.maxEntries', THERAPY_LIMITS.logEntries);
      return;
    }
    case undefined:
      return inconsistent(path, 'action', 'a command must carry an action');
  }
}

/** A therapy command: ids, freshness fields, issuer, confirmation and exactly one valid action. */
export function validateTherapyCommand(m: TherapyCommand, path = 'TherapyCommand'): void {
  noUnknownFields(m, path);
  bytesExactly(m.commandId, path, 'commandId', RANDOM_ID_BYTES);
  assertDeviceId(m.deviceId, path, 'deviceId');
  uint64(m.commandSequence, path, 'commandSequence', true);
  bytesExactly(m.nonce, path, 'nonce', RANDOM_ID_BYTES);
  timestamp(m.issuedAtMs, path, 'issuedAtMs');
  timestamp(m.expiresAtMs, path, 'expiresAtMs');
  if (m.expiresAtMs <= m.issuedAtMs) inconsistent(path, 'expiresAtMs', 'expires before it was issued');
  text(m.issuerUserId, path, 'issuerUserId');
  text(m.issuerSessionId, path, 'issuerSessionId');
  timestamp(m.confirmedAtMs, path, 'confirmedAtMs');
  validateAction(m, path);
}

/** A signed command: the command bytes, the signer's key id and a 64-byte Ed25519 signature. */
export function validateSignedTherapyCommand(m: SignedTherapyCommand, path = 'SignedTherapyCommand'): void {
  noUnknownFields(m, path);
  bytesUpTo(m.command, path, 'command', MESSAGE_MAX_BYTES.TherapyCommand);
  thumbprint(m.signerKeyId, path, 'signerKeyId');
  bytesExactly(m.signature, path, 'signature', 64);
}

/** A signed acknowledgement: the ack bytes, the device's key id and a 64-byte Ed25519 signature. */
export function validateSignedTherapyCommandAck(m: SignedTherapyCommandAck, path = 'SignedTherapyCommandAck'): void {
  noUnknownFields(m, path);
  bytesUpTo(m.ack, path, 'ack', MESSAGE_MAX_BYTES.TherapyCommandAck);
  thumbprint(m.signerKeyId, path, 'signerKeyId');
  bytesExactly(m.signature, path, 'signature', 64);
}

/** An acknowledgement: the command it answers and a known status, with a reason when refused. */
export function validateTherapyCommandAck(m: TherapyCommandAck, path = 'TherapyCommandAck'): void {
  noUnknownFields(m, path);
  bytesExactly(m.commandId, path, 'commandId', RANDOM_ID_BYTES);
  uint64(m.commandSequence, path, 'commandSequence');
  knownEnum(CommandStatus, m.status, path, 'status');
  const executed = m.status === CommandStatus.COMMAND_STATUS_EXECUTED;
  text(m.reasonCode, path, 'reasonCode', executed);
  if (executed && m.reasonCode !== '') inconsistent(path, 'reasonCode', 'an executed command has no reason code');
  timestamp(m.decidedAtMs, path, 'decidedAtMs');
}
