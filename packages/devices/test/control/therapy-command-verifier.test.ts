import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CommandStatus, encodeMessage } from '@medsim/protocol';
import * as errors from '../../src/errors.js';
import { JsonFileState, MemoryState } from '../../src/control/persistent-state.js';
import {
  THERAPY_REASON_STATUS,
  TherapyCommandVerifier,
  parseReplayState,
  type ReplayStateData,
  type TherapyCommandVerifierOptions,
  type VerificationResult,
} from '../../src/control/therapy-command-verifier.js';
import {
  MINUTE,
  ManualClock,
  PUMP_ID,
  T0,
  bolus,
  bytes16,
  commandFields,
  makeIdentities,
  signBytes,
  signCommand,
  signUnchecked,
  type Identities,
} from './command-fixtures.js';

const S = CommandStatus;
let ids: Identities;
beforeAll(async () => {
  ids = await makeIdentities();
});

function makeVerifier(overrides: Partial<TherapyCommandVerifierOptions> = {}): { verifier: TherapyCommandVerifier; clock: ManualClock } {
  const clock = new ManualClock();
  const verifier = new TherapyCommandVerifier({
    deviceId: PUMP_ID,
    commandKey: ids.gateway.public.signing,
    clock: clock.now,
    replayState: new MemoryState<ReplayStateData>(),
    ...overrides,
  });
  return { verifier, clock };
}

const refusal = (result: VerificationResult): [CommandStatus, string] => [result.status, result.reasonCode];

describe('TherapyCommandVerifier', () => {
  it('[CTL-08] accepts a signed, fresh, confirmed command for this device and hands over the decoded command', { tags: ['CTL-08'] }, () => {
    const { verifier } = makeVerifier();
    const result = verifier.verify(signCommand(ids.gateway, commandFields(1, bolus(2_000))));
    expect(result.accepted).toBe(true);
    if (!result.accepted) return;
    expect(result.command.insulinBolus?.amountMilliunits).toBe(2_000);
    expect(Buffer.from(result.commandId)).toEqual(Buffer.from(bytes16(`command-1-${T0}`)));
    expect(result.commandSequence).toBe(1);
    expect(verifier.lastSequence).toBe(1);
  });

  it('[CTL-08] refuses the same bytes twice (replay), without a security-relevant integrity flag', { tags: ['CTL-08'] }, () => {
    const { verifier } = makeVerifier();
    const signed = signCommand(ids.gateway, commandFields(1, bolus(2_000)));
    expect(verifier.verify(signed).accepted).toBe(true);
    const again = verifier.verify(signed);
    expect(refusal(again)).toEqual([S.COMMAND_STATUS_REJECTED_REPLAY, 'ERR_THERAPY_NONCE_REUSED']);
    expect(again.integrityFailure).toBe(false);
    expect(again.authenticated).toBe(true);
  });

  it('[CTL-08] refuses a lower or equal sequence, and a reused nonce under a new sequence', { tags: ['CTL-08'] }, () => {
    const { verifier } = makeVerifier();
    expect(verifier.verify(signCommand(ids.gateway, commandFields(5, bolus(1_000)))).accepted).toBe(true);
    expect(refusal(verifier.verify(signCommand(ids.gateway, commandFields(4, bolus(1_000)))))).toEqual([
      S.COMMAND_STATUS_REJECTED_REPLAY,
      'ERR_THERAPY_SEQUENCE_REPLAYED',
    ]);
    expect(refusal(verifier.verify(signCommand(ids.gateway, commandFields(5, bolus(1_000), { nonce: bytes16('fresh') }))))).toEqual([
      S.COMMAND_STATUS_REJECTED_REPLAY,
      'ERR_THERAPY_SEQUENCE_REPLAYED',
    ]);
    expect(refusal(verifier.verify(signCommand(ids.gateway, commandFields(6, bolus(1_000), { nonce: bytes16(`nonce-5-${T0}`) }))))).toEqual([
      S.COMMAND_STATUS_REJECTED_REPLAY,
      'ERR_THERAPY_NONCE_REUSED',
    ]);
    // Refusals consume nothing: sequence 6 with a fresh nonce still passes.
    expect(verifier.verify(signCommand(ids.gateway, commandFields(6, bolus(1_000)))).accepted).toBe(true);
  });

  it('[CTL-08] refuses an expired command: valid at expires_at, refused 1 ms later', { tags: ['CTL-08'] }, () => {
    const { verifier, clock } = makeVerifier();
    const first = signCommand(ids.gateway, commandFields(1, bolus(1_000)));
    const second = signCommand(ids.gateway, commandFields(2, bolus(1_000)));
    clock.nowMs = T0 + 5 * MINUTE + 1;
    expect(refusal(verifier.verify(first))).toEqual([S.COMMAND_STATUS_REJECTED_STALE, 'ERR_THERAPY_EXPIRED']);
    clock.nowMs = T0 + 5 * MINUTE;
    expect(verifier.verify(first).accepted).toBe(true);
    clock.nowMs = T0 + 5 * MINUTE + 1;
    expect(refusal(verifier.verify(second))).toEqual([S.COMMAND_STATUS_REJECTED_STALE, 'ERR_THERAPY_EXPIRED']);
  });

  it('[CTL-08] refuses a command issued beyond the clock skew in the future: 30 s accepted, 30.001 s refused', { tags: ['CTL-08'] }, () => {
    const { verifier } = makeVerifier({ clockSkewMs: 30_000 });
    const future = signCommand(ids.gateway, commandFields(1, bolus(1_000), { issuedAtMs: T0 + 30_001 }));
    expect(refusal(verifier.verify(future))).toEqual([S.COMMAND_STATUS_REJECTED_STALE, 'ERR_THERAPY_NOT_YET_VALID']);
    expect(verifier.verify(signCommand(ids.gateway, commandFields(1, bolus(1_000), { issuedAtMs: T0 + 30_000 }))).accepted).toBe(true);
  });

  it('[CTL-08] refuses a lifetime above the maximum: 10 min accepted, 10 min + 1 ms refused', { tags: ['CTL-08'] }, () => {
    const { verifier } = makeVerifier({ maxLifetimeMs: 10 * MINUTE });
    const tooLong = signCommand(ids.gateway, commandFields(1, bolus(1_000), { lifetimeMs: 10 * MINUTE + 1 }));
    expect(refusal(verifier.verify(tooLong))).toEqual([S.COMMAND_STATUS_REJECTED_STALE, 'ERR_THERAPY_LIFETIME_TOO_LONG']);
    expect(verifier.verify(signCommand(ids.gateway, commandFields(1, bolus(1_000), { lifetimeMs: 10 * MINUTE }))).accepted).toBe(true);
  });

  it('[CTL-08] refuses a command signed by another key, whether it names its own key or the gateway\'s', { tags: ['CTL-08'] }, () => {
    const { verifier } = makeVerifier();
    const fields = commandFields(1, bolus(1_000));
    const ownKid = verifier.verify(signCommand(ids.attacker, fields));
    expect(refusal(ownKid)).toEqual([S.COMMAND_STATUS_REJECTED_SIGNATURE, 'ERR_THERAPY_UNKNOWN_SIGNER']);
    expect(ownKid.integrityFailure).toBe(true);
    expect(ownKid.authenticated).toBe(false);
    const claimsGateway = verifier.verify(signCommand(ids.attacker, fields, ids.gateway.public.signing.kid));
    expect(refusal(claimsGateway)).toEqual([S.COMMAND_STATUS_REJECTED_SIGNATURE, 'ERR_THERAPY_SIGNATURE_INVALID']);
    expect(claimsGateway.integrityFailure).toBe(true);
    // The claimed command id is reported (for the ack) but nothing else of the forgery is used.
    expect(Buffer.from(claimsGateway.commandId)).toEqual(Buffer.from(fields.commandId as Uint8Array));
    expect(claimsGateway.command).toBeUndefined();
    expect(verifier.lastSequence).toBe(0);
  });

  it('[CTL-08] refuses a command signed for another device', { tags: ['CTL-08'] }, () => {
    const { verifier } = makeVerifier();
    const result = verifier.verify(signCommand(ids.gateway, commandFields(1, bolus(1_000), { deviceId: 'insulin-pump-0002' })));
    expect(refusal(result)).toEqual([S.COMMAND_STATUS_REJECTED_STATE, 'ERR_THERAPY_WRONG_DEVICE']);
    expect(result.integrityFailure).toBe(false);
  });

  it('[CTL-09] refuses a missing, late or too old clinician confirmation (60 s window)', { tags: ['CTL-09'] }, () => {
    const { verifier } = makeVerifier({ confirmationWindowMs: 60_000 });
    const missing = signUnchecked(ids.gateway, { ...commandFields(1, bolus(1_000)), confirmedAtMs: 0 });
    expect(refusal(verifier.verify(missing))).toEqual([S.COMMAND_STATUS_REJECTED_INVALID, 'ERR_THERAPY_UNCONFIRMED']);
    const late = signCommand(ids.gateway, commandFields(1, bolus(1_000), { confirmedAtMs: T0 + 1 }));
    expect(refusal(verifier.verify(late))).toEqual([S.COMMAND_STATUS_REJECTED_INVALID, 'ERR_THERAPY_UNCONFIRMED']);
    const old = signCommand(ids.gateway, commandFields(1, bolus(1_000), { confirmedAtMs: T0 - 60_001 }));
    expect(refusal(verifier.verify(old))).toEqual([S.COMMAND_STATUS_REJECTED_INVALID, 'ERR_THERAPY_UNCONFIRMED']);
    expect(verifier.verify(signCommand(ids.gateway, commandFields(1, bolus(1_000), { confirmedAtMs: T0 - 60_000 }))).accepted).toBe(true);
    expect(verifier.verify(signCommand(ids.gateway, commandFields(2, bolus(1_000), { confirmedAtMs: T0 }))).accepted).toBe(true);
  });

  it('[CTL-09] refuses malformed input of any shape as REJECTED_INVALID, never throwing', { tags: ['CTL-09'] }, () => {
    const { verifier } = makeVerifier();
    expect(refusal(verifier.verify(new Uint8Array(0)))).toEqual([S.COMMAND_STATUS_REJECTED_INVALID, 'ERR_THERAPY_MALFORMED_COMMAND']);
    expect(refusal(verifier.verify(Uint8Array.of(0xff, 0xff, 0xff)))).toEqual([S.COMMAND_STATUS_REJECTED_INVALID, 'ERR_THERAPY_MALFORMED_COMMAND']);
    expect(refusal(verifier.verify(new Uint8Array(5_000)))).toEqual([S.COMMAND_STATUS_REJECTED_INVALID, 'ERR_THERAPY_MALFORMED_COMMAND']);
    // Correctly signed bytes that are not a valid command (bolus above the protocol's 25 U).
    const outOfRange = signUnchecked(ids.gateway, commandFields(1, bolus(25_001)));
    const result = verifier.verify(outOfRange);
    expect(refusal(result)).toEqual([S.COMMAND_STATUS_REJECTED_INVALID, 'ERR_THERAPY_MALFORMED_COMMAND']);
    expect(result.authenticated).toBe(true);
    expect(result.commandSequence).toBe(1);
    const garbage = signBytes(ids.gateway, Uint8Array.of(1, 2, 3));
    expect(refusal(verifier.verify(garbage))).toEqual([S.COMMAND_STATUS_REJECTED_INVALID, 'ERR_THERAPY_MALFORMED_COMMAND']);
    expect(verifier.lastSequence).toBe(0);
  });

  it('[CTL-08] checks the signature before decoding: a forged command with a bad payload is a signature failure', { tags: ['CTL-08'] }, () => {
    const { verifier } = makeVerifier();
    const signature = new Uint8Array(64);
    const forged = encodeMessage('SignedTherapyCommand', { command: Uint8Array.of(0xff, 0xff), signerKeyId: ids.gateway.public.signing.kid, signature });
    expect(refusal(verifier.verify(forged))).toEqual([S.COMMAND_STATUS_REJECTED_SIGNATURE, 'ERR_THERAPY_SIGNATURE_INVALID']);
  });

  it('[CTL-08] any single altered byte of the signed command is refused and consumes nothing (property)', { tags: ['CTL-08'] }, () => {
    const signed = signCommand(ids.gateway, commandFields(1, bolus(2_000)));
    fc.assert(
      fc.property(fc.nat({ max: signed.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, mask) => {
        const { verifier } = makeVerifier();
        const altered = Uint8Array.from(signed);
        altered[index] = (altered[index] ?? 0) ^ mask;
        const result = verifier.verify(altered);
        expect(result.accepted).toBe(false);
        expect(result.status).not.toBe(S.COMMAND_STATUS_EXECUTED);
        expect(verifier.lastSequence).toBe(0);
        // The genuine command is still accepted afterwards: the forgery consumed nothing.
        expect(verifier.verify(signed).accepted).toBe(true);
      }),
      { seed: 8, numRuns: 400 },
    );
  });

  it('[CTL-16] remembers a bounded number of nonces; the sequence still refuses older commands', { tags: ['CTL-16', 'CTL-08'] }, () => {
    const state = new MemoryState<ReplayStateData>();
    const { verifier } = makeVerifier({ maxNonces: 3, replayState: state });
    for (let sequence = 1; sequence <= 5; sequence++) expect(verifier.verify(signCommand(ids.gateway, commandFields(sequence, bolus(1_000)))).accepted).toBe(true);
    expect(state.load()?.nonces).toHaveLength(3);
    expect(state.load()?.lastSequence).toBe(5);
    const replayOfFirst = verifier.verify(signCommand(ids.gateway, commandFields(1, bolus(1_000))));
    expect(refusal(replayOfFirst)).toEqual([S.COMMAND_STATUS_REJECTED_REPLAY, 'ERR_THERAPY_SEQUENCE_REPLAYED']);
  });

  it('[CTL-08] a restarted device (replay state in a file) still refuses the replay', { tags: ['CTL-08'] }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'medsim-verifier-'));
    try {
      const path = join(dir, 'replay.json');
      const signed = signCommand(ids.gateway, commandFields(1, bolus(1_000)));
      const before = makeVerifier({ replayState: new JsonFileState(path, { parse: parseReplayState }) }).verifier;
      expect(before.verify(signed).accepted).toBe(true);
      const after = makeVerifier({ replayState: new JsonFileState(path, { parse: parseReplayState }) }).verifier;
      expect(after.lastSequence).toBe(1);
      expect(refusal(after.verify(signed))).toEqual([S.COMMAND_STATUS_REJECTED_REPLAY, 'ERR_THERAPY_NONCE_REUSED']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('throws for programming errors only: a non-Ed25519 key, a bad device id, a nonsensical limit', () => {
    expect(() => makeVerifier({ commandKey: ids.gateway.public.agreement })).toThrow(errors.InvalidTherapyConfigError);
    expect(() => makeVerifier({ deviceId: 'Not A Device' })).toThrow(errors.InvalidTherapyConfigError);
    expect(() => makeVerifier({ clockSkewMs: -1 })).toThrow(errors.InvalidTherapyConfigError);
    expect(() => makeVerifier({ replayState: new MemoryState({ version: 2 } as unknown as ReplayStateData) })).toThrow(errors.ControlStateCorruptError);
  });

  it('[CTL-23] every ERR_THERAPY_* code is catalogued with meaning and remedy and has its own exported error class', { tags: ['CTL-23'] }, () => {
    const therapyCodes = Object.keys(errors.devicesErrorCatalogue).filter((code) => code.startsWith('ERR_THERAPY_'));
    type ErrorClass = new (message: string) => errors.DeviceError;
    const classCodes = (Object.values(errors) as unknown[])
      .filter((value): value is ErrorClass => typeof value === 'function' && (value as { prototype: unknown }).prototype instanceof errors.DeviceError)
      .map((ErrorClass) => {
        try {
          return new ErrorClass('x').code;
        } catch {
          return ''; // another area's class with another constructor: not ours to check here
        }
      })
      .filter((code) => code.startsWith('ERR_THERAPY_'));
    expect(classCodes.sort()).toEqual([...therapyCodes].sort());
    for (const code of therapyCodes) {
      const entry = errors.devicesErrorCatalogue[code as keyof typeof errors.devicesErrorCatalogue];
      expect(entry.meaning.length).toBeGreaterThan(20);
      expect(entry.remedy.length).toBeGreaterThan(5);
    }
    // Every refusal reason maps to a refusal status (never EXECUTED or UNSPECIFIED).
    for (const status of Object.values(THERAPY_REASON_STATUS)) {
      expect([S.COMMAND_STATUS_EXECUTED, S.COMMAND_STATUS_UNSPECIFIED]).not.toContain(status);
    }
  });
});
