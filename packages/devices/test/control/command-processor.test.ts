import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { signDetached, verifyDetached } from '@medsim/crypto';
import { CommandStatus, PacingMode, SecurityEventType, Severity, decodeMessage, encodeMessage, type TherapyCommandAck } from '@medsim/protocol';
import { CommandProcessor, parseCommandJournal, type CommandJournalData } from '../../src/control/command-processor.js';
import { InsulinPumpTherapy, parseInsulinPumpState, type InsulinPumpOptions, type InsulinPumpState } from '../../src/control/insulin-pump-therapy.js';
import { PACEMAKER_SAFE_MODE_PROGRAM, PacemakerTherapy, type PacemakerState } from '../../src/control/pacemaker-therapy.js';
import { JsonFileState, MemoryState, type PersistentState } from '../../src/control/persistent-state.js';
import {
  THERAPY_COMMAND_ACK_LABEL,
  TherapyCommandVerifier,
  parseReplayState,
  type ReplayStateData,
} from '../../src/control/therapy-command-verifier.js';
import {
  MINUTE,
  ManualClock,
  PACEMAKER_ID,
  PUMP_ID,
  T0,
  basal,
  bolus,
  bytes16,
  commandFields,
  makeIdentities,
  pacing,
  signCommand,
  signUnchecked,
  withoutSafeMode,
  type Identities,
} from './command-fixtures.js';

const S = CommandStatus;
let ids: Identities;
beforeAll(async () => {
  ids = await makeIdentities();
});

interface Stores {
  replay?: PersistentState<ReplayStateData>;
  journal?: PersistentState<CommandJournalData>;
  pump?: PersistentState<InsulinPumpState>;
}

function makePumpDevice(stores: Stores = {}, pumpOptions: Partial<InsulinPumpOptions> = {}, maxJournalEntries?: number) {
  const clock = new ManualClock();
  const verifier = new TherapyCommandVerifier({
    deviceId: PUMP_ID,
    commandKey: ids.gateway.public.signing,
    clock: clock.now,
    replayState: stores.replay ?? new MemoryState<ReplayStateData>(),
  });
  const pump = new InsulinPumpTherapy({ startMs: T0, state: stores.pump ?? new MemoryState<InsulinPumpState>(), ...pumpOptions });
  const processor = new CommandProcessor({
    verifier,
    therapy: pump,
    sign: (label, message) => signDetached(ids.device, label, message),
    signerKeyId: ids.device.public.signing.kid,
    clock: clock.now,
    journal: stores.journal ?? new MemoryState<CommandJournalData>(),
    ...(maxJournalEntries === undefined ? {} : { maxJournalEntries }),
  });
  return { clock, verifier, pump, processor };
}

/** Verifies the ack with the DEVICE's public key and decodes it. */
function openAck(ackBytes: Uint8Array): TherapyCommandAck {
  const signed = decodeMessage('SignedTherapyCommandAck', ackBytes);
  expect(signed.signerKeyId).toBe(ids.device.public.signing.kid);
  verifyDetached(ids.device.public.signing, THERAPY_COMMAND_ACK_LABEL, signed.ack, signed.signature);
  return decodeMessage('TherapyCommandAck', signed.ack);
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const idOf = (sequence: number, issuedAtMs = T0): string => hex(bytes16(`command-${sequence}-${issuedAtMs}`));

describe('CommandProcessor', () => {
  it('[CTL-08][CTL-15] executes a valid command and answers with an ack signed by the device key', { tags: ['CTL-08', 'CTL-15'] }, () => {
    const { processor, pump } = makePumpDevice();
    const signed = signCommand(ids.gateway, commandFields(1, bolus(2_000)));
    const { ackBytes, decision, securityEvent } = processor.handle(signed);
    expect(decision).toMatchObject({ status: S.COMMAND_STATUS_EXECUTED, reasonCode: '', commandSequence: 1, authenticated: true, decidedAtMs: T0 });
    expect(securityEvent).toBeUndefined();
    expect(pump.snapshot().bolus?.totalMilliunits).toBe(2_000);
    const ack = openAck(ackBytes);
    expect(hex(ack.commandId)).toBe(idOf(1));
    expect(ack).toMatchObject({ commandSequence: 1, status: S.COMMAND_STATUS_EXECUTED, reasonCode: '', decidedAtMs: T0 });
    // Signed by the device, not by anyone else.
    const signedAck = decodeMessage('SignedTherapyCommandAck', ackBytes);
    expect(() => verifyDetached(ids.gateway.public.signing, THERAPY_COMMAND_ACK_LABEL, signedAck.ack, signedAck.signature)).toThrow();
    expect(processor.journal()).toEqual([
      {
        commandId: idOf(1),
        commandSequence: 1,
        status: S.COMMAND_STATUS_EXECUTED,
        reasonCode: '',
        action: 'insulinBolus',
        issuerUserId: 'dr-house',
        authenticated: true,
        signedSha256: createHash('sha256').update(signed).digest('hex'),
        decidedAtMs: T0,
      },
    ]);
  });

  it('[CTL-15] refusals are acknowledged too, with status and reason, even for unreadable input', { tags: ['CTL-15'] }, () => {
    const { processor } = makePumpDevice();
    const tooLarge = processor.handle(signCommand(ids.gateway, commandFields(1, bolus(20_000))));
    expect(openAck(tooLarge.ackBytes)).toMatchObject({ commandSequence: 1, status: S.COMMAND_STATUS_REJECTED_INTERLOCK, reasonCode: 'ERR_THERAPY_BOLUS_TOO_LARGE' });
    const garbage = processor.handle(Uint8Array.of(1, 2, 3));
    const ack = openAck(garbage.ackBytes);
    expect(ack).toMatchObject({ commandSequence: 0, status: S.COMMAND_STATUS_REJECTED_INVALID, reasonCode: 'ERR_THERAPY_MALFORMED_COMMAND' });
    expect(hex(ack.commandId)).toBe('00'.repeat(16));
    expect(processor.journal().map((e) => e.status)).toEqual([S.COMMAND_STATUS_REJECTED_INTERLOCK, S.COMMAND_STATUS_REJECTED_INVALID]);
  });

  it('[CTL-08][CTL-22] refuses a replay of the same bytes and reports it as a security event', { tags: ['CTL-08', 'CTL-22'] }, () => {
    const { processor, pump, clock } = makePumpDevice();
    const signed = signCommand(ids.gateway, commandFields(1, bolus(2_000)));
    expect(processor.handle(signed).decision.status).toBe(S.COMMAND_STATUS_EXECUTED);
    clock.advance(4 * MINUTE);
    pump.advanceTo(clock.nowMs);
    const before = pump.snapshot();
    const replay = processor.handle(signed);
    expect(replay.decision).toMatchObject({ status: S.COMMAND_STATUS_REJECTED_REPLAY, reasonCode: 'ERR_THERAPY_NONCE_REUSED' });
    expect(pump.snapshot()).toEqual(before);
    expect(replay.securityEvent).toEqual({
      type: SecurityEventType.SECURITY_EVENT_TYPE_REPLAY_DETECTED,
      severity: Severity.SEVERITY_MEDIUM,
      errorCode: 'ERR_THERAPY_NONCE_REUSED',
      atMs: clock.nowMs,
      subject: idOf(1),
    });
    // The event fits security.proto as it is.
    expect(() => encodeMessage('SecurityEvent', replay.securityEvent ?? {})).not.toThrow();
    expect(openAck(replay.ackBytes)).toMatchObject({ status: S.COMMAND_STATUS_REJECTED_REPLAY, commandSequence: 1 });
  });

  it('[CTL-08] a command refused by an interlock consumes its sequence and nonce: it cannot run later', { tags: ['CTL-08'] }, () => {
    const { processor, pump, clock } = makePumpDevice({}, { limits: { minBolusIntervalMs: 5 * MINUTE } });
    expect(processor.handle(signCommand(ids.gateway, commandFields(1, bolus(1_000)))).decision.status).toBe(S.COMMAND_STATUS_EXECUTED);
    clock.advance(MINUTE);
    const tooSoon = signCommand(ids.gateway, commandFields(2, bolus(3_000), { issuedAtMs: clock.nowMs }));
    expect(processor.handle(tooSoon).decision).toMatchObject({ status: S.COMMAND_STATUS_REJECTED_INTERLOCK, reasonCode: 'ERR_THERAPY_BOLUS_TOO_SOON' });
    // Five minutes later the interlock would pass, and the command has not expired yet.
    clock.advance(5 * MINUTE);
    pump.advanceTo(clock.nowMs);
    const before = pump.snapshot();
    expect(processor.handle(tooSoon).decision).toMatchObject({ status: S.COMMAND_STATUS_REJECTED_REPLAY, reasonCode: 'ERR_THERAPY_NONCE_REUSED' });
    expect(pump.snapshot()).toEqual(before);
  });

  it('[CTL-08][CTL-09] every verification refusal leaves the therapy exactly as it was', { tags: ['CTL-08', 'CTL-09'] }, () => {
    const cases: { name: string; bytes: () => Uint8Array; at?: number; status: CommandStatus; reason: string }[] = [
      { name: 'expired', bytes: () => signCommand(ids.gateway, commandFields(2, bolus(1_000))), at: T0 + 5 * MINUTE + 1, status: S.COMMAND_STATUS_REJECTED_STALE, reason: 'ERR_THERAPY_EXPIRED' },
      { name: 'issued in the future', bytes: () => signCommand(ids.gateway, commandFields(2, bolus(1_000), { issuedAtMs: T0 + 31_000 })), status: S.COMMAND_STATUS_REJECTED_STALE, reason: 'ERR_THERAPY_NOT_YET_VALID' },
      { name: 'for another device', bytes: () => signCommand(ids.gateway, commandFields(2, bolus(1_000), { deviceId: 'insulin-pump-0002' })), status: S.COMMAND_STATUS_REJECTED_STATE, reason: 'ERR_THERAPY_WRONG_DEVICE' },
      { name: 'lower sequence', bytes: () => signCommand(ids.gateway, commandFields(1, bolus(1_000), { nonce: bytes16('new') })), status: S.COMMAND_STATUS_REJECTED_REPLAY, reason: 'ERR_THERAPY_SEQUENCE_REPLAYED' },
      { name: 'reused nonce, new sequence', bytes: () => signCommand(ids.gateway, commandFields(2, bolus(1_000), { nonce: bytes16(`nonce-1-${T0}`) })), status: S.COMMAND_STATUS_REJECTED_REPLAY, reason: 'ERR_THERAPY_NONCE_REUSED' },
      { name: 'missing confirmation', bytes: () => signUnchecked(ids.gateway, { ...commandFields(2, bolus(1_000)), confirmedAtMs: 0 }), status: S.COMMAND_STATUS_REJECTED_INVALID, reason: 'ERR_THERAPY_UNCONFIRMED' },
    ];
    for (const c of cases) {
      const { processor, pump, clock, verifier } = makePumpDevice();
      expect(processor.handle(signCommand(ids.gateway, commandFields(1, basal([0, 900])))).decision.status).toBe(S.COMMAND_STATUS_EXECUTED);
      if (c.at !== undefined) clock.nowMs = c.at;
      pump.advanceTo(clock.nowMs);
      const before = pump.snapshot();
      const { decision, ackBytes } = processor.handle(c.bytes());
      expect([c.name, decision.status, decision.reasonCode]).toEqual([c.name, c.status, c.reason]);
      expect(pump.snapshot()).toEqual(before);
      expect(pump.inSafeMode).toBe(false);
      expect(verifier.lastSequence).toBe(1);
      expect(openAck(ackBytes).status).toBe(c.status);
    }
  });

  it('[CTL-08][CTL-22] an integrity failure enters safe mode: bolus cancelled, basal continues, remote commands refused until local clearance', { tags: ['CTL-08', 'CTL-22'] }, () => {
    const { processor, pump, clock } = makePumpDevice({}, { basalSchedule: [{ startMinute: 0, rateMilliunitsPerHour: 1_200 }] });
    expect(processor.handle(signCommand(ids.gateway, commandFields(1, bolus(3_000, 60)))).decision.status).toBe(S.COMMAND_STATUS_EXECUTED);
    clock.advance(10 * MINUTE);
    const forged = processor.handle(signCommand(ids.attacker, commandFields(2, bolus(10_000), { issuedAtMs: clock.nowMs }), ids.gateway.public.signing.kid));
    expect(forged.decision).toMatchObject({ status: S.COMMAND_STATUS_REJECTED_SIGNATURE, reasonCode: 'ERR_THERAPY_SIGNATURE_INVALID', authenticated: false });
    expect(forged.securityEvent).toMatchObject({ type: SecurityEventType.SECURITY_EVENT_TYPE_SIGNATURE_INVALID, severity: Severity.SEVERITY_CRITICAL, errorCode: 'ERR_THERAPY_SIGNATURE_INVALID', subject: idOf(2, clock.nowMs) });
    expect(forged.safeModeEvent).toMatchObject({ type: SecurityEventType.SECURITY_EVENT_TYPE_SAFE_MODE_ENTERED, severity: Severity.SEVERITY_HIGH });
    expect(() => encodeMessage('SecurityEvent', forged.securityEvent ?? {})).not.toThrow();
    expect(pump.inSafeMode).toBe(true);
    expect(pump.snapshot().bolus).toBeNull();
    // The journal records the forgery as unauthenticated, without trusting its content.
    expect(processor.journal()[1]).toMatchObject({ authenticated: false, action: '', issuerUserId: '', status: S.COMMAND_STATUS_REJECTED_SIGNATURE });

    // A valid command is now refused (and consumed), and another forgery raises no second safe-mode event.
    clock.advance(MINUTE);
    const valid = processor.handle(signCommand(ids.gateway, commandFields(3, bolus(1_000), { issuedAtMs: clock.nowMs })));
    expect(valid.decision).toMatchObject({ status: S.COMMAND_STATUS_REJECTED_STATE, reasonCode: 'ERR_THERAPY_SAFE_MODE' });
    expect(openAck(valid.ackBytes)).toMatchObject({ status: S.COMMAND_STATUS_REJECTED_STATE, reasonCode: 'ERR_THERAPY_SAFE_MODE', commandSequence: 3 });
    const again = processor.handle(signCommand(ids.attacker, commandFields(4, bolus(1_000), { issuedAtMs: clock.nowMs })));
    expect(again.decision.reasonCode).toBe('ERR_THERAPY_UNKNOWN_SIGNER');
    expect(again.securityEvent?.type).toBe(SecurityEventType.SECURITY_EVENT_TYPE_SIGNATURE_INVALID);
    expect(again.safeModeEvent).toBeUndefined();

    // The basal keeps running in safe mode: 1.2 U over the next hour, no bolus.
    const deliveries = pump.advanceTo(clock.nowMs + 60 * MINUTE);
    expect(Math.round(deliveries.filter((d) => d.kind === 'basal').reduce((t, d) => t + d.units * 1000, 0))).toBe(1_200);
    expect(deliveries.some((d) => d.kind === 'bolus')).toBe(false);

    clock.advance(60 * MINUTE);
    pump.clearSafeMode({ source: 'device-button' });
    const afterClearance = processor.handle(signCommand(ids.gateway, commandFields(5, bolus(1_000), { issuedAtMs: clock.nowMs })));
    expect(afterClearance.decision.status).toBe(S.COMMAND_STATUS_EXECUTED);
  });

  it('[CTL-08] any single altered byte is refused and leaves the therapy unchanged (property)', { tags: ['CTL-08'] }, () => {
    const signed = signCommand(ids.gateway, commandFields(1, bolus(2_000)));
    fc.assert(
      fc.property(fc.nat({ max: signed.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, mask) => {
        const { processor, pump, verifier } = makePumpDevice();
        const before = pump.snapshot();
        const altered = Uint8Array.from(signed);
        altered[index] = (altered[index] ?? 0) ^ mask;
        const { decision, ackBytes } = processor.handle(altered);
        expect(decision.status).not.toBe(S.COMMAND_STATUS_EXECUTED);
        expect(withoutSafeMode(pump.snapshot())).toEqual(withoutSafeMode(before));
        expect(pump.inSafeMode).toBe(decision.status === S.COMMAND_STATUS_REJECTED_SIGNATURE);
        expect(verifier.lastSequence).toBe(0);
        expect(openAck(ackBytes).status).toBe(decision.status);
      }),
      { seed: 15, numRuns: 150 },
    );
  });

  it('[CTL-15][CTL-08] a restarted device keeps its journal, replay state and therapy, and still refuses the replay', { tags: ['CTL-15', 'CTL-08'] }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'medsim-processor-'));
    try {
      const files = (): Stores => ({
        replay: new JsonFileState(join(dir, 'replay.json'), { parse: parseReplayState }),
        journal: new JsonFileState(join(dir, 'journal.json'), { parse: parseCommandJournal }),
        pump: new JsonFileState(join(dir, 'pump.json'), { parse: parseInsulinPumpState }),
      });
      const signed = signCommand(ids.gateway, commandFields(1, basal([0, 700], [720, 1_000])));
      const before = makePumpDevice(files());
      expect(before.processor.handle(signed).decision.status).toBe(S.COMMAND_STATUS_EXECUTED);

      const after = makePumpDevice(files());
      expect(after.processor.journal()).toEqual(before.processor.journal());
      expect(after.verifier.lastSequence).toBe(1);
      expect(after.pump.snapshot()).toEqual(before.pump.snapshot());
      expect(after.pump.snapshot().basalSchedule).toEqual([
        { startMinute: 0, rateMilliunitsPerHour: 700 },
        { startMinute: 720, rateMilliunitsPerHour: 1_000 },
      ]);
      const replay = after.processor.handle(signed);
      expect(replay.decision.status).toBe(S.COMMAND_STATUS_REJECTED_REPLAY);
      expect(after.processor.journal().map((e) => [e.commandSequence, e.status])).toEqual([
        [1, S.COMMAND_STATUS_EXECUTED],
        [1, S.COMMAND_STATUS_REJECTED_REPLAY],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('[CTL-16] keeps a bounded journal (latest entries)', { tags: ['CTL-16'] }, () => {
    const { processor } = makePumpDevice({}, {}, 3);
    for (let sequence = 1; sequence <= 5; sequence++) processor.handle(signCommand(ids.gateway, commandFields(sequence, basal([0, 800 + sequence]))));
    expect(processor.journal().map((e) => e.commandSequence)).toEqual([3, 4, 5]);
  });

  it('[CTL-08][CTL-22] drives a pacemaker: programs it, and reverts to the backup program on an integrity failure', { tags: ['CTL-08', 'CTL-22'] }, () => {
    const clock = new ManualClock();
    const pacemaker = new PacemakerTherapy({ startMs: T0, state: new MemoryState<PacemakerState>() });
    const processor = new CommandProcessor({
      verifier: new TherapyCommandVerifier({ deviceId: PACEMAKER_ID, commandKey: ids.gateway.public.signing, clock: clock.now, replayState: new MemoryState<ReplayStateData>() }),
      therapy: pacemaker,
      sign: (label, message) => signDetached(ids.device, label, message),
      signerKeyId: ids.device.public.signing.kid,
      clock: clock.now,
      journal: new MemoryState<CommandJournalData>(),
    });
    const program = processor.handle(signCommand(ids.gateway, commandFields(1, pacing(70, 140, 3_000, 400, PacingMode.PACING_MODE_DDDR), { deviceId: PACEMAKER_ID })));
    expect(program.decision.status).toBe(S.COMMAND_STATUS_EXECUTED);
    expect(pacemaker.snapshot().program).toMatchObject({ mode: PacingMode.PACING_MODE_DDDR, lowerRatePpm: 70 });
    const forged = processor.handle(signCommand(ids.attacker, commandFields(2, pacing(40, 80), { deviceId: PACEMAKER_ID })));
    expect(forged.decision.status).toBe(S.COMMAND_STATUS_REJECTED_SIGNATURE);
    expect(pacemaker.snapshot().program).toEqual(PACEMAKER_SAFE_MODE_PROGRAM);
    const refused = processor.handle(signCommand(ids.gateway, commandFields(3, pacing(60, 130), { deviceId: PACEMAKER_ID })));
    expect(refused.decision).toMatchObject({ status: S.COMMAND_STATUS_REJECTED_STATE, reasonCode: 'ERR_THERAPY_SAFE_MODE' });
    expect(pacemaker.snapshot().program).toEqual(PACEMAKER_SAFE_MODE_PROGRAM);
  });
});
