/**
 * Therapy commands end to end over the real planes (CTL-08, CTL-11, CTL-14, CTL-15): order →
 * confirm → signed with the command key → sealed into the pump's live session → received and
 * verified by the pump → device-signed acknowledgement → evidence an auditor verifies offline.
 */
import { KeyCache, verifyDetached, Identity } from '@medsim/crypto';
import { CommandStatus, ContentType, STREAM_IDS } from '@medsim/protocol';
import { CommandReceiver, DeviceCredentials, THERAPY_COMMAND_LABEL } from '@medsim/testkit';
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DATA_FILES,
  TherapyEvidenceInvalidError,
  verifyAuditChain,
  verifyCommandEvidence,
  type CommandEvidence,
  type EvidenceExpectations,
} from '../../src/index.js';
import { startGateway, tempDataDir } from '../fixtures.js';
import { TherapyRig, bolus, requestJson, type RigUser } from './helpers.js';

let rig: TherapyRig;
let patient: string;
let clinician: RigUser;
let token: string;
let auditorToken: string;

beforeAll(async () => {
  rig = await TherapyRig.start();
  patient = rig.patient('Ann Lee');
  clinician = await rig.user('clinician', { careTeam: [patient] });
  token = await rig.login(clinician);
  auditorToken = await rig.login(await rig.user('auditor'));
});
afterAll(async () => rig.close());

/** The reason an evidence check fails with (or 'verified'). */
async function verdict(evidence: CommandEvidence, expect: EvidenceExpectations = {}): Promise<string> {
  try {
    await verifyCommandEvidence(evidence, expect);
    return 'verified';
  } catch (error) {
    if (error instanceof TherapyEvidenceInvalidError) return error.reason;
    throw error;
  }
}

/** A base64 string with one bit of byte `at` flipped. */
function flipped(base64: string, at: number): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[at]! ^= 0x01;
  return bytes.toString('base64');
}

describe('order, confirm, sign, deliver (CTL-08)', () => {
  it('[CTL-08][CTL-11] the pump receives a SignedTherapyCommand that verifies under the enrolment commandSigner only, with the fields as ordered, sequence 1 then 2 and a fresh nonce each', { tags: ['CTL-08', 'CTL-11'] }, async () => {
    const credentials = await rig.enrol('pump-7', patient);
    const pump = await rig.connect(credentials);
    const { order, confirm } = await rig.orderAndConfirm(token, clinician, 'pump-7', bolus(2500));
    expect(order.status).toBe(201);
    expect(order.body).toMatchObject({ status: 'awaiting-confirmation', sequence: null, summary: 'Bolus 2.500 U now, insulin-pump pump-7, patient Ann Lee' });
    expect(Date.parse(order.body['confirmBy'] as string) - rig.clock.nowMs).toBe(120_000);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toMatchObject({ status: 'sent', sequence: 1 });

    const first = await pump.receiver.next();
    expect(first.header.contentType).toBe(ContentType.CONTENT_TYPE_THERAPY_COMMAND);
    expect(first.header.streamId).toBe(STREAM_IDS.commands);
    // Verified here once more, by hand, under the key the enrolment answer named.
    const commandKey = await new KeyCache().importPublicJwk(credentials.enrolment.commandSigner, 'Ed25519');
    expect(first.signed.signerKeyId).toBe(commandKey.kid);
    expect(() => verifyDetached(commandKey, THERAPY_COMMAND_LABEL, first.signed.command, first.signed.signature)).not.toThrow();
    // CTL-11: the command key is not the gateway's session identity, and the identity key does not verify it.
    const identityKey = await new KeyCache().importPublicJwk(credentials.enrolment.gatewayIdentity.signing, 'Ed25519');
    expect(commandKey.kid).not.toBe(identityKey.kid);
    expect(() => verifyDetached(identityKey, THERAPY_COMMAND_LABEL, first.signed.command, first.signed.signature)).toThrow();

    const command = first.command;
    expect(Buffer.from(command.commandId).toString('hex')).toBe(order.body['commandId']);
    expect(command.deviceId).toBe('pump-7');
    expect(command.commandSequence).toBe(1);
    expect(command.nonce).toHaveLength(16);
    expect(command.issuerUserId).toBe(clinician.id);
    expect(command.issuerSessionId).toBe(order.body['issuerSessionId']);
    expect(command.action).toBe('insulinBolus');
    expect(command.insulinBolus).toMatchObject({ amountMilliunits: 2500, durationMinutes: 0 });
    expect(command.issuedAtMs).toBe(rig.clock.nowMs);
    expect(command.expiresAtMs - command.issuedAtMs).toBe(300_000);
    expect(command.confirmedAtMs).toBeLessThanOrEqual(command.issuedAtMs);

    const basal = { action: { kind: 'basal-schedule', segments: [{ startMinute: 0, rateMilliunitsPerHour: 800 }, { startMinute: 360, rateMilliunitsPerHour: 1000 }] } };
    const second = await rig.orderAndConfirm(token, clinician, 'pump-7', basal);
    expect(second.order.body['summary']).toBe('Basal schedule 00:00 0.800 U/h, 06:00 1.000 U/h, insulin-pump pump-7, patient Ann Lee');
    expect(second.confirm.body).toMatchObject({ status: 'sent', sequence: 2 });
    const next = (await pump.receiver.next()).command;
    expect(next.commandSequence).toBe(2);
    expect(next.basalSchedule?.segments).toHaveLength(2);
    expect(Buffer.compare(next.nonce, command.nonce)).not.toBe(0);
    expect(Buffer.compare(next.commandId, command.commandId)).not.toBe(0);
    expect(pump.receiver.errors).toEqual([]);
  });

  it('[CTL-08] every action kind is signed as ordered (suspend, resume, pacing parameters)', { tags: ['CTL-08'] }, async () => {
    const pump = await rig.connect(await rig.enrol('pump-kinds', patient));
    const pacing = { kind: 'pacing-parameters', mode: 'DDD', lowerRatePpm: 60, upperRatePpm: 120, amplitudeMillivolts: 3500, pulseWidthMicroseconds: 400 };
    for (const [action, summary] of [
      [{ kind: 'suspend', durationMinutes: 30 }, 'Suspend insulin delivery for 30 min'],
      [{ kind: 'resume' }, 'Resume insulin delivery'],
      [pacing, 'Pacing DDD 60-120 ppm, 3.50 V, 0.40 ms'],
    ] as const) {
      const { order, confirm } = await rig.orderAndConfirm(token, clinician, 'pump-kinds', { action });
      expect(order.body['summary']).toBe(`${summary}, insulin-pump pump-kinds, patient Ann Lee`);
      expect(confirm.body['status']).toBe('sent');
    }
    const received = [await pump.receiver.next(), await pump.receiver.next(), await pump.receiver.next()].map((r) => r.command);
    expect(received.map((c) => c.action)).toEqual(['suspend', 'resume', 'pacingParameters']);
    expect(received[0]!.suspend?.durationMinutes).toBe(30);
    expect(received[2]!.pacingParameters).toMatchObject({ lowerRatePpm: 60, upperRatePpm: 120, amplitudeMillivolts: 3500, pulseWidthMicroseconds: 400 });
    expect(received.map((c) => c.commandSequence)).toEqual([1, 2, 3]);
  });

  it('[CTL-09] an action outside the protocol ranges is refused at order time, naming the field; nothing is stored', { tags: ['CTL-09'] }, async () => {
    await rig.enrol('pump-ranges', patient);
    for (const [action, field] of [
      [{ kind: 'insulin-bolus', amountMilliunits: 25_001 }, 'insulinBolus.amountMilliunits'],
      [{ kind: 'suspend', durationMinutes: 0 }, 'suspend.durationMinutes'],
      [{ kind: 'basal-schedule', segments: [{ startMinute: 30, rateMilliunitsPerHour: 500 }] }, 'basalSchedule.segments[0].startMinute'],
      [{ kind: 'pacing-parameters', mode: 'VVI', lowerRatePpm: 100, upperRatePpm: 90, amplitudeMillivolts: 2500, pulseWidthMicroseconds: 400 }, 'pacingParameters.upperRatePpm'],
    ] as const) {
      const answer = await rig.request('POST', '/v1/devices/pump-ranges/therapy-commands', { token, body: { action } });
      expect(answer.status).toBe(400);
      expect(answer.body['code']).toBe('ERR_THERAPY_ACTION_INVALID');
      expect(answer.body['message']).toContain(field);
    }
    // Not even a schema-valid shape of another kind slips through.
    expect((await rig.request('POST', '/v1/devices/pump-ranges/therapy-commands', { token, body: { action: { kind: 'resume', extra: 1 } } })).status).toBe(400);
    expect((await rig.request('GET', '/v1/devices/pump-ranges/therapy-commands', { token })).body['commands']).toEqual([]);
  });
});

describe('acknowledgement and evidence (CTL-15)', () => {
  it('[CTL-15] the device-signed acknowledgement makes the command executed, and the auditor evidence verifies offline', { tags: ['CTL-15'] }, async () => {
    const credentials = await rig.enrol('pump-evidence', patient);
    const pump = await rig.connect(credentials);
    const { order } = await rig.orderAndConfirm(token, clinician, 'pump-evidence', bolus(1200));
    const commandId = order.body['commandId'] as string;
    const { command } = await pump.receiver.next();
    await pump.receiver.acknowledge(command, CommandStatus.COMMAND_STATUS_EXECUTED);
    // The PUBACK follows the commit, and the hook runs inside the commit's flush: no waiting.
    const read = await rig.request('GET', `/v1/therapy-commands/${commandId}`, { token });
    expect(read.body).toMatchObject({ status: 'executed', ackStatus: 'executed', reasonCode: null, sequence: 1 });
    expect(read.body['decidedAt']).not.toBeNull();

    const exported = await rig.request('GET', `/v1/therapy-commands/${commandId}/evidence`, { token: auditorToken });
    expect(exported.status).toBe(200);
    const evidence = exported.body as unknown as CommandEvidence;
    const pins = { commandSignerKid: String(credentials.enrolment.commandSigner.kid), deviceSignerKid: credentials.identity.public.signing.kid, requireAck: true };
    const verified = await verifyCommandEvidence(evidence, pins);
    expect(verified.command.commandSequence).toBe(1);
    expect(verified.command.issuerUserId).toBe(clinician.id);
    expect(verified.ack?.status).toBe(CommandStatus.COMMAND_STATUS_EXECUTED);
    expect(evidence.command?.signerKey.kid).toBe(pins.commandSignerKid);
    expect(evidence.ack?.signerKey.kid).toBe(pins.deviceSignerKid);
    // The audit ids name every step, the export included, and nothing about another command.
    const events = rig.audit().filter((e) => evidence.auditSeqs.includes(e.seq)).map((e) => `${e.event}:${e.outcome}`);
    expect(events).toEqual(['therapy.order:success', 'therapy.confirm:success', 'therapy.send:success', 'therapy.ack:success', 'therapy.evidence-export:success']);
    // The clinician holds therapy.read, not therapy.evidence.
    expect((await rig.request('GET', `/v1/therapy-commands/${commandId}/evidence`, { token })).status).toBe(403);
  });

  it('[CTL-15] altered evidence does not verify: a flipped command byte, a flipped ack byte, a swapped device key, a foreign ack, a rewritten status', { tags: ['CTL-15'] }, async () => {
    const credentials = await rig.enrol('pump-tamper', patient);
    const pump = await rig.connect(credentials);
    const ids: string[] = [];
    for (const amount of [500, 700]) {
      const { order } = await rig.orderAndConfirm(token, clinician, 'pump-tamper', bolus(amount));
      ids.push(order.body['commandId'] as string);
      await pump.receiver.acknowledge((await pump.receiver.next()).command, CommandStatus.COMMAND_STATUS_EXECUTED);
    }
    const [a, b] = await Promise.all(ids.map(async (id) => (await rig.request('GET', `/v1/therapy-commands/${id}/evidence`, { token: auditorToken })).body as unknown as CommandEvidence));
    expect(await verdict(a!)).toBe('verified');
    const command = a!.command!;
    const ack = a!.ack!;
    const stranger = await Identity.generate();
    expect(await verdict({ ...a!, command: { ...command, bytes: flipped(command.bytes, 20) } })).toBe('command-signature');
    expect(await verdict({ ...a!, command: { ...command, signature: flipped(command.signature, 0) } })).toBe('command-signature');
    expect(await verdict({ ...a!, ack: { ...ack, bytes: flipped(ack.bytes, 3) } })).toBe('ack-signature');
    // Another key with its own kid: consistent, but it did not sign this ack.
    expect(await verdict({ ...a!, ack: { ...ack, signerKey: stranger.public.signing.jwk, signerKid: stranger.public.signing.kid } })).toBe('ack-signature');
    // Another key under the original kid: the kid is not that key's thumbprint.
    expect(await verdict({ ...a!, ack: { ...ack, signerKey: { ...stranger.public.signing.jwk, kid: ack.signerKid } } })).toBe('ack-key');
    expect(await verdict(a!, { deviceSignerKid: stranger.public.signing.kid })).toBe('ack-key');
    expect(await verdict({ ...a!, command: { ...command, signerKey: stranger.public.signing.jwk, signerKid: stranger.public.signing.kid } })).toBe('command-signature');
    // Each part verifies on its own, but B's ack does not answer A's command.
    expect(await verdict({ ...a!, ack: b!.ack })).toBe('binding');
    expect(await verdict({ ...a!, commandId: b!.commandId })).toBe('binding');
    expect(await verdict({ ...a!, status: 'rejected' })).toBe('binding');
    expect(await verdict({ ...a!, ack: null })).toBe('missing-ack');
    expect(await verdict({ ...a!, ack: { ...ack, bytes: `${ack.bytes}!` } })).toBe('malformed');
  });

  it('[CTL-15] a refusal by the pump is recorded as rejected with its reason code, signed and audited', { tags: ['CTL-15'] }, async () => {
    const pump = await rig.connect(await rig.enrol('pump-interlock', patient));
    const { order } = await rig.orderAndConfirm(token, clinician, 'pump-interlock', bolus(20_000));
    const commandId = order.body['commandId'] as string;
    await pump.receiver.acknowledge((await pump.receiver.next()).command, CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK, 'ERR_PUMP_MAX_BOLUS');
    const read = await rig.request('GET', `/v1/therapy-commands/${commandId}`, { token: auditorToken });
    expect(read.body).toMatchObject({ status: 'rejected', ackStatus: 'rejected-interlock', reasonCode: 'ERR_PUMP_MAX_BOLUS' });
    // Auditors read ids, not the patient's name.
    expect(read.body['summary']).toBe(`Bolus 20.000 U now, insulin-pump pump-interlock, patient ${patient}`);
    expect(rig.auditOf(commandId).at(-1)).toMatchObject({ event: 'therapy.ack', outcome: 'failure', actor: 'pump-interlock', role: 'device', code: 'ERR_PUMP_MAX_BOLUS' });
    const evidence = (await rig.request('GET', `/v1/therapy-commands/${commandId}/evidence`, { token: auditorToken })).body as unknown as CommandEvidence;
    expect((await verifyCommandEvidence(evidence)).ack?.status).toBe(CommandStatus.COMMAND_STATUS_REJECTED_INTERLOCK);
  });
});

describe('undeliverable: nothing queued silently (CTL-08)', () => {
  it('[CTL-08] a pump that is offline makes the confirmation undeliverable, unsigned, and nothing reaches it later', { tags: ['CTL-08'] }, async () => {
    const credentials = await rig.enrol('pump-offline', patient);
    const { order, confirm } = await rig.orderAndConfirm(token, clinician, 'pump-offline', bolus(1000));
    expect(confirm.status).toBe(409);
    expect(confirm.body).toMatchObject({ code: 'ERR_THERAPY_UNDELIVERABLE', message: expect.stringContaining('no-link') });
    const commandId = order.body['commandId'] as string;
    const read = await rig.request('GET', `/v1/therapy-commands/${commandId}`, { token });
    expect(read.body).toMatchObject({ status: 'undeliverable', sequence: null, reasonCode: 'ERR_DEVICE_UNREACHABLE' });
    expect(rig.auditOf(commandId).map((e) => `${e.event}:${e.outcome}`)).toEqual(['therapy.order:success', 'therapy.confirm:success', 'therapy.undeliverable:failure']);
    // The pump comes online: the first command it ever gets is the next one, sequence 1.
    const pump = await rig.connect(credentials);
    const next = await rig.orderAndConfirm(token, clinician, 'pump-offline', bolus(1100));
    expect(next.confirm.body).toMatchObject({ status: 'sent', sequence: 1 });
    const received = await pump.receiver.next();
    expect(received.command.insulinBolus?.amountMilliunits).toBe(1100);
    expect(pump.receiver.received).toHaveLength(1);
    // And the undeliverable one can never be confirmed again.
    const again = await rig.request('POST', `/v1/therapy-commands/${commandId}/confirm`, { token, body: { password: clinician.password } });
    expect(again.body['code']).toBe('ERR_THERAPY_COMMAND_STATE');
  });

  it('[CTL-08] connected but not subscribed, or without a live session: undeliverable with the reason', { tags: ['CTL-08'] }, async () => {
    const credentials = await rig.enrol('pump-deaf', patient);
    const client = await rig.connectClient(credentials);
    const noSession = await rig.orderAndConfirm(token, clinician, 'pump-deaf', bolus(900));
    expect(noSession.confirm.status).toBe(409);
    expect(noSession.confirm.body).toMatchObject({ code: 'ERR_THERAPY_UNDELIVERABLE', message: expect.stringContaining('no-live-session') });
    expect(rig.gateway.downlinks.transportOf('pump-deaf')).toBe('mqtt');
    await client.openSession();
    const notSubscribed = await rig.orderAndConfirm(token, clinician, 'pump-deaf', bolus(900));
    expect(notSubscribed.confirm.status).toBe(409);
    expect(notSubscribed.confirm.body['message']).toContain('not-subscribed');
    const reads = await Promise.all([noSession, notSubscribed].map(async ({ order }) => (await rig.request('GET', `/v1/therapy-commands/${String(order.body['commandId'])}`, { token })).body));
    // Both were signed (the link existed) and both consumed a sequence; neither was sent.
    expect(reads.map((r) => [r['status'], r['sequence'], r['sentAt']])).toEqual([
      ['undeliverable', 1, null],
      ['undeliverable', 2, null],
    ]);
    const receiver = await CommandReceiver.subscribe(client);
    const sent = await rig.orderAndConfirm(token, clinician, 'pump-deaf', bolus(950));
    expect(sent.confirm.body).toMatchObject({ status: 'sent', sequence: 3 });
    expect((await receiver.next()).command.commandSequence).toBe(3);
    expect(receiver.received).toHaveLength(1);
    const reasons = rig.audit().filter((e) => e.event === 'therapy.undeliverable' && e.object?.includes('device/pump-deaf;')).map((e) => e.code);
    expect(reasons).toEqual(['ERR_DEVICE_UNREACHABLE', 'ERR_DEVICE_UNREACHABLE']);
  });
});

describe('trail and keys (CTL-14, CTL-11, CTL-15)', () => {
  it('[CTL-14][CTL-15] every step is in the hash chain, the chain verifies, and neither the dose nor the patient name reaches the audit trail or the log', { tags: ['CTL-14', 'CTL-15'] }, () => {
    const events = new Set(rig.audit().map((e) => e.event));
    for (const event of ['therapy.order', 'therapy.confirm', 'therapy.send', 'therapy.undeliverable', 'therapy.ack', 'therapy.evidence-export']) expect(events).toContain(event);
    expect(verifyAuditChain(rig.gateway.context.db)).toMatchObject({ ok: true });
    const trail = JSON.stringify(rig.audit());
    for (const canary of ['Ann Lee', '2.500', '20.000', 'Bolus']) expect(trail).not.toContain(canary);
    expect(rig.log.text).not.toContain('Ann Lee');
    expect(rig.log.text).not.toMatch(/amountMilliunits|Bolus \d/u);
  });

  it('[CTL-15] command rows are never deleted and their signed bytes never rewritten, whatever the application does', { tags: ['CTL-15'] }, () => {
    const { db } = rig.gateway.context;
    const row = db.prepare("SELECT command_id FROM therapy_commands WHERE signature IS NOT NULL AND ack_signature IS NOT NULL LIMIT 1").get() as { command_id: Buffer };
    expect(() => db.prepare('DELETE FROM therapy_commands WHERE command_id = ?').run(row.command_id)).toThrow(/never deleted/u);
    expect(() => db.prepare('UPDATE therapy_commands SET signature = zeroblob(64) WHERE command_id = ?').run(row.command_id)).toThrow(/immutable/u);
    expect(() => db.prepare('UPDATE therapy_commands SET ack_enc = zeroblob(8) WHERE command_id = ?').run(row.command_id)).toThrow(/immutable/u);
    expect(() => db.prepare('UPDATE therapy_commands SET sequence = 99 WHERE command_id = ?').run(row.command_id)).toThrow(/immutable/u);
  });

  it('[CTL-11] the command-signing key is created 0600 at first start, kept across restarts, and given to devices at enrolment', { tags: ['CTL-11'] }, async () => {
    const dir = tempDataDir();
    const first = await startGateway({ dataDir: dir.path });
    expect(statSync(first.state.dataDir.file(DATA_FILES.commandKey)).mode & 0o777).toBe(0o600);
    const kid = first.state.commandKey.public.signing.kid;
    expect(kid).not.toBe(first.state.identity.public.signing.kid);
    const { token: enrolmentToken } = first.context.devices.createEnrolmentToken({ deviceId: 'pump-keys', model: 'insulin-pump', createdBy: 'test' });
    const credentials = await DeviceCredentials.create('pump-keys');
    const enrolled = await requestJson(first, 'POST', '/v1/devices/enrol', { body: credentials.enrolmentRequest(enrolmentToken) });
    expect(enrolled.status).toBe(201);
    const answer = enrolled.body;
    expect(answer['commandSigner']).toEqual(first.state.commandKey.public.signing.jwk);
    await first.close();
    const second = await startGateway({ dataDir: dir.path });
    expect(second.state.commandKey.public.signing.kid).toBe(kid);
    await second.close();
    dir.cleanup();
  });
});
