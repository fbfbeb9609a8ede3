/**
 * Non-repudiation evidence of one therapy command (CTL-15): the exact TherapyCommand bytes the
 * gateway signed with its command-signing key, the exact TherapyCommandAck bytes the device
 * signed with its own enrolled Ed25519 key, both public keys and the ids of the audit entries.
 * verifyCommandEvidence() re-checks it all offline, with nothing but the evidence (and, to pin
 * the keys, their kids from the enrolment records): who ordered what, for which device, under
 * which sequence, and what the device answered to exactly that command.
 *
 * Labels are those of medsim.v1 therapy.proto: Ed25519 over UTF-8(label) ‖ 0x00 ‖ bytes, so a
 * signature made for one purpose (a firmware header, an acknowledgement) never verifies as
 * another (a command).
 */
import { KeyCache, verifyDetached, type KeyEntry, type PublicJwk } from '@medsim/crypto';
import { CommandStatus, MedsimError, decodeMessage, type TherapyCommand, type TherapyCommandAck } from '@medsim/protocol';
import { TherapyEvidenceInvalidError, type EvidenceFailure } from '../errors.js';

/** Domain-separation label of a gateway-signed TherapyCommand (therapy.proto SignedTherapyCommand). */
export const THERAPY_COMMAND_LABEL = 'medsim/v1 therapy-command';
/** Domain-separation label of a device-signed TherapyCommandAck (therapy.proto SignedTherapyCommandAck). */
export const THERAPY_COMMAND_ACK_LABEL = 'medsim/v1 therapy-command-ack';
/** The `format` of an evidence document (bumped if its shape ever changes). */
export const EVIDENCE_FORMAT = 'medsim/v1 therapy-command-evidence';

/** Status of a therapy command (docs/protocols/therapy-commands.md has the state diagram). */
export type TherapyCommandStatus = 'awaiting-confirmation' | 'cancelled' | 'expired' | 'signed' | 'sent' | 'undeliverable' | 'executed' | 'rejected';

/** Signed bytes with their signature and the signer's public key. */
export interface SignedPart {
  /** Base64 of the exact signed bytes (an encoded TherapyCommand or TherapyCommandAck). */
  readonly bytes: string;
  /** Base64 of the 64-byte Ed25519 signature. */
  readonly signature: string;
  /** RFC 7638 thumbprint of the signer's key, as carried on the wire. */
  readonly signerKid: string;
  /** The signer's public Ed25519 JWK (gateway command key, or the device's enrolled signing key). */
  readonly signerKey: PublicJwk;
}

/** What GET /v1/therapy-commands/{id}/evidence answers. */
export interface CommandEvidence {
  readonly format: typeof EVIDENCE_FORMAT;
  /** 32 hex digits. */
  readonly commandId: string;
  readonly deviceId: string;
  /** Null for a maintenance command (it concerns no patient). */
  readonly patientId: string | null;
  readonly status: TherapyCommandStatus;
  /** The gateway-signed command; null if it was never signed (cancelled, expired, refused before signing). */
  readonly command: SignedPart | null;
  /** The device-signed acknowledgement; null until one arrived. */
  readonly ack: SignedPart | null;
  /** Sequence numbers of the audit entries about this command (GET /v1/audit, the chain verifies them). */
  readonly auditSeqs: readonly number[];
  readonly exportedAt: string;
}

/** Optional pins: the kids the verifier trusts from elsewhere (enrolment records, device labels). */
export interface EvidenceExpectations {
  readonly commandSignerKid?: string;
  readonly deviceSignerKid?: string;
  /** Fail with `missing-ack` when the device has not answered. */
  readonly requireAck?: boolean;
}

/** The decoded, verified contents. */
export interface VerifiedEvidence {
  readonly command: TherapyCommand;
  readonly ack: TherapyCommandAck | null;
}

/** `rejected-interlock` for COMMAND_STATUS_REJECTED_INTERLOCK, `executed` for COMMAND_STATUS_EXECUTED. */
export function ackStatusName(status: CommandStatus): string {
  const name = CommandStatus[status];
  return typeof name === 'string' ? name.replace(/^COMMAND_STATUS_/u, '').toLowerCase().replace(/_/gu, '-') : 'unspecified';
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/u;

const fail = (reason: EvidenceFailure, message: string, cause?: unknown): never => {
  throw new TherapyEvidenceInvalidError(reason, message, cause === undefined ? undefined : { cause });
};

/** Strict base64 (a lenient decoder would let altered text decode to the same bytes). */
function bytesOf(text: unknown, what: string): Buffer {
  if (typeof text !== 'string' || !BASE64.test(text)) return fail('malformed', `${what} is not base64`);
  return Buffer.from(text, 'base64');
}

async function keyOf(part: SignedPart, reason: 'command-key' | 'ack-key', pinned: string | undefined, keys: KeyCache): Promise<KeyEntry> {
  let entry: KeyEntry;
  try {
    // importPublicJwk refuses a kid that is not the key's own thumbprint.
    entry = await keys.importPublicJwk(part.signerKey, 'Ed25519');
  } catch (cause) {
    return fail(reason, 'the signer key is not a valid Ed25519 public JWK', cause);
  }
  if (entry.kid !== part.signerKid) fail(reason, 'the signer key id is not the thumbprint of the signer key');
  if (pinned !== undefined && entry.kid !== pinned) fail(reason, 'the signer key is not the expected one');
  return entry;
}

function verified(entry: KeyEntry, label: string, bytes: Buffer, part: SignedPart, reason: 'command-signature' | 'ack-signature'): void {
  try {
    verifyDetached(entry, label, bytes, bytesOf(part.signature, 'signature'));
  } catch (cause) {
    if (cause instanceof TherapyEvidenceInvalidError) throw cause;
    fail(reason, `the ${reason === 'command-signature' ? 'command' : 'acknowledgement'} signature does not verify`, cause);
  }
}

function decoded<T>(decode: () => T, what: string): T {
  try {
    return decode();
  } catch (cause) {
    if (cause instanceof MedsimError) return fail('malformed', `${what} does not decode`, cause);
    throw cause;
  }
}

/**
 * Verifies evidence offline: the command signature under the gateway command key, the
 * acknowledgement signature under the device key, and the binding (the command is this command
 * id for this device; the acknowledgement answers exactly this command id and sequence; the
 * recorded status is what the device answered). Throws TherapyEvidenceInvalidError with the
 * failing check as `reason`; resolves with the decoded command and acknowledgement.
 */
export async function verifyCommandEvidence(evidence: CommandEvidence, expect: EvidenceExpectations = {}): Promise<VerifiedEvidence> {
  if (evidence === null || typeof evidence !== 'object' || evidence.format !== EVIDENCE_FORMAT) fail('malformed', 'not a therapy command evidence document');
  if (evidence.command === null) return fail('missing-command', 'the command was never signed');
  const keys = new KeyCache(4);
  const commandBytes = bytesOf(evidence.command.bytes, 'command bytes');
  verified(await keyOf(evidence.command, 'command-key', expect.commandSignerKid, keys), THERAPY_COMMAND_LABEL, commandBytes, evidence.command, 'command-signature');
  const command = decoded(() => decodeMessage('TherapyCommand', commandBytes), 'the command');
  if (Buffer.from(command.commandId).toString('hex') !== evidence.commandId || command.deviceId !== evidence.deviceId) {
    fail('binding', 'the signed command is not the command or device the evidence names');
  }
  if (evidence.ack === null) {
    if (expect.requireAck === true || evidence.status === 'executed' || evidence.status === 'rejected') fail('missing-ack', 'the device acknowledgement is missing');
    return { command, ack: null };
  }
  const ackBytes = bytesOf(evidence.ack.bytes, 'acknowledgement bytes');
  verified(await keyOf(evidence.ack, 'ack-key', expect.deviceSignerKid, keys), THERAPY_COMMAND_ACK_LABEL, ackBytes, evidence.ack, 'ack-signature');
  const ack = decoded(() => decodeMessage('TherapyCommandAck', ackBytes), 'the acknowledgement');
  if (Buffer.compare(ack.commandId, command.commandId) !== 0 || ack.commandSequence !== command.commandSequence) {
    fail('binding', 'the acknowledgement answers another command or sequence');
  }
  const answered = ack.status === CommandStatus.COMMAND_STATUS_EXECUTED ? 'executed' : 'rejected';
  if (evidence.status !== answered) fail('binding', `the recorded status is ${evidence.status} but the device answered ${ackStatusName(ack.status)}`);
  return { command, ack };
}
