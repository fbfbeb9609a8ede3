/**
 * Shared fixtures of the control tests: real Ed25519 identities (gateway command key, device key,
 * an attacker's key), a controlled clock, and commands encoded and signed exactly as the gateway
 * does (encodeMessage, then signDetached over "medsim/v1 therapy-command" || 0x00 || bytes).
 * Command ids and nonces are derived from a counter, so every run builds the same bytes.
 */
import { createHash } from 'node:crypto';
import { Identity, signDetached } from '@medsim/crypto';
import { decodeMessage, encodeMessage, v1, type MessageFields, type TherapyCommand } from '@medsim/protocol';
import { THERAPY_COMMAND_LABEL } from '../../src/control/therapy-command-verifier.js';

/** 2025-01-15 08:00:00 UTC: the tests' epoch. */
export const T0 = Date.UTC(2025, 0, 15, 8, 0, 0);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export const PUMP_ID = 'insulin-pump-0001';
export const PACEMAKER_ID = 'pacemaker-0001';

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public nowMs = T0) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): number {
    this.nowMs += ms;
    return this.nowMs;
  }
}

/** The three identities of the tests, generated once per test file. */
export interface Identities {
  readonly gateway: Identity;
  readonly device: Identity;
  readonly attacker: Identity;
}

export async function makeIdentities(): Promise<Identities> {
  const [gateway, device, attacker] = await Promise.all([Identity.generate(), Identity.generate(), Identity.generate()]);
  return { gateway, device, attacker };
}

/** 16 deterministic bytes for `label` (command ids, nonces). */
export const bytes16 = (label: string): Uint8Array => Uint8Array.from(createHash('sha256').update(label).digest().subarray(0, 16));

/** The action part of a command. */
export type Action = Pick<MessageFields['TherapyCommand'], 'insulinBolus' | 'basalSchedule' | 'suspend' | 'resume' | 'pacingParameters'>;

export const bolus = (amountMilliunits: number, durationMinutes = 0): Action => ({ insulinBolus: { amountMilliunits, durationMinutes } });
export const basal = (...segments: [number, number][]): Action => ({
  basalSchedule: { segments: segments.map(([startMinute, rateMilliunitsPerHour]) => ({ startMinute, rateMilliunitsPerHour })) },
});
export const suspend = (durationMinutes: number): Action => ({ suspend: { durationMinutes } });
export const resume = (): Action => ({ resume: {} });
export const pacing = (
  lowerRatePpm: number,
  upperRatePpm = 130,
  amplitudeMillivolts = 3_500,
  pulseWidthMicroseconds = 400,
  mode = v1.PacingMode.PACING_MODE_DDD,
): Action => ({ pacingParameters: { mode, lowerRatePpm, upperRatePpm, amplitudeMillivolts, pulseWidthMicroseconds } });

/** Builds the fields of a valid command: sequence `sequence`, issued at `issuedAtMs`, valid 5 min, confirmed 2 s before. */
export function commandFields(
  sequence: number,
  action: Action,
  options: { deviceId?: string; issuedAtMs?: number; lifetimeMs?: number; confirmedAtMs?: number; nonce?: Uint8Array } = {},
): MessageFields['TherapyCommand'] {
  const issuedAtMs = options.issuedAtMs ?? T0;
  return {
    commandId: bytes16(`command-${sequence}-${issuedAtMs}`),
    deviceId: options.deviceId ?? PUMP_ID,
    commandSequence: sequence,
    nonce: options.nonce ?? bytes16(`nonce-${sequence}-${issuedAtMs}`),
    issuedAtMs,
    expiresAtMs: issuedAtMs + (options.lifetimeMs ?? 5 * MINUTE),
    issuerUserId: 'dr-house',
    issuerSessionId: 'session-0001',
    confirmedAtMs: options.confirmedAtMs ?? issuedAtMs - 2_000,
    ...action,
  };
}

/** Signs already-encoded command bytes as a SignedTherapyCommand. */
export function signBytes(signer: Identity, commandBytes: Uint8Array, signerKeyId = signer.public.signing.kid): Uint8Array {
  const signature = signDetached(signer, THERAPY_COMMAND_LABEL, commandBytes);
  return encodeMessage('SignedTherapyCommand', { command: commandBytes, signerKeyId, signature });
}

/** Encodes (with protocol validation) and signs a command. */
export function signCommand(signer: Identity, fields: MessageFields['TherapyCommand'], signerKeyId?: string): Uint8Array {
  return signBytes(signer, encodeMessage('TherapyCommand', fields), signerKeyId);
}

/** Encodes WITHOUT protocol validation (for commands the protocol refuses), then signs. */
export function signUnchecked(signer: Identity, fields: MessageFields['TherapyCommand']): Uint8Array {
  return signBytes(signer, v1.TherapyCommand.encode(fields).finish());
}

/** A decoded, validated TherapyCommand, as the verifier hands it to a therapy. */
export const decoded = (fields: MessageFields['TherapyCommand']): TherapyCommand => decodeMessage('TherapyCommand', encodeMessage('TherapyCommand', fields));

/** A TherapyCommand object that skipped protocol validation (to show interlocks hold on their own). */
export const unvalidated = (fields: MessageFields['TherapyCommand']): TherapyCommand => v1.TherapyCommand.create(fields);

/** The snapshot minus what safe mode itself changes (for "therapy unchanged" after an integrity failure). */
export function withoutSafeMode<S extends { safeMode: unknown; alarms?: unknown }>(snapshot: S): Omit<S, 'safeMode' | 'alarms'> {
  const rest: Partial<S> = { ...snapshot };
  delete rest.safeMode;
  delete rest.alarms;
  return rest as Omit<S, 'safeMode' | 'alarms'>;
}
