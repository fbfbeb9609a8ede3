/**
 * Acknowledgements the gateway must refuse (CTL-08, CTL-15, CTL-22): a signature by any key but
 * the device's enrolled one, an altered signature, an unknown command or sequence, another
 * device's command, a second different answer. Each is audited as a security event, changes no
 * command, and never disturbs ingest: the envelope is stored and acknowledged like any other and
 * the connection stays up.
 */
import { Identity } from '@medsim/crypto';
import { CommandStatus, decodeMessage, encodeMessage } from '@medsim/protocol';
import { CommandReceiver, pulseOximeterReading } from '@medsim/testkit';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TherapyRig, bolus, type Pump, type RigUser } from './helpers.js';

let rig: TherapyRig;
let patient: string;
let clinician: RigUser;
let token: string;
let pump: Pump;

beforeAll(async () => {
  rig = await TherapyRig.start();
  patient = rig.patient('Eve Gee');
  clinician = await rig.user('clinician', { careTeam: [patient] });
  token = await rig.login(clinician);
  pump = await rig.connect(await rig.enrol('pump-acks', patient));
});
afterAll(async () => rig.close());

/** Orders, confirms and receives one command on `target`; returns its id and the received command. */
async function sent(target: Pump, deviceId: string): Promise<{ commandId: string; command: Awaited<ReturnType<CommandReceiver['next']>>['command'] }> {
  const { order, confirm } = await rig.orderAndConfirm(token, clinician, deviceId, bolus(1000));
  expect(confirm.body['status']).toBe('sent');
  return { commandId: order.body['commandId'] as string, command: (await target.receiver.next()).command };
}

const statusOf = async (commandId: string): Promise<unknown> => (await rig.request('GET', `/v1/therapy-commands/${commandId}`, { token })).body['status'];

/** The newest therapy.ack-refused entry. */
const lastRefusal = (): ReturnType<TherapyRig['audit']>[number] | undefined => rig.audit().filter((e) => e.event === 'therapy.ack-refused').at(-1);

describe('acknowledgements refused (CTL-08, CTL-22)', () => {
  it('[CTL-08][CTL-22] an ack signed by another key, or with an altered signature, is refused, audited high, and changes nothing', { tags: ['CTL-08', 'CTL-22'] }, async () => {
    const { commandId, command } = await sent(pump, 'pump-acks');
    const stored = rig.gateway.ingest.counters.stored;
    const stranger = await Identity.generate();
    await pump.receiver.sendAck(pump.receiver.signAck(command, CommandStatus.COMMAND_STATUS_EXECUTED, { signer: stranger }));
    expect(lastRefusal()).toMatchObject({ outcome: 'denied', severity: 'high', actor: 'pump-acks', role: 'device', code: 'ERR_THERAPY_ACK_SIGNATURE_INVALID' });
    const signed = decodeMessage('SignedTherapyCommandAck', pump.receiver.signAck(command, CommandStatus.COMMAND_STATUS_EXECUTED));
    const signature = Buffer.from(signed.signature);
    signature[10]! ^= 0x01;
    await pump.receiver.sendAck(encodeMessage('SignedTherapyCommandAck', { ack: signed.ack, signerKeyId: signed.signerKeyId, signature }));
    expect(lastRefusal()?.code).toBe('ERR_THERAPY_ACK_SIGNATURE_INVALID');
    expect(await statusOf(commandId)).toBe('sent');
    // Stored and acknowledged like any envelope; the connection is still up and ingest still works.
    expect(rig.gateway.ingest.counters.stored).toBe(stored + 2);
    expect(pump.client.mqtt.connected).toBe(true);
    await pump.client.sendReading(pulseOximeterReading(1));
    // The genuine answer is still taken.
    await pump.receiver.acknowledge(command, CommandStatus.COMMAND_STATUS_EXECUTED);
    expect(await statusOf(commandId)).toBe('executed');
  });

  it('[CTL-08][CTL-22] an ack for an unknown command, for the wrong sequence, or for another device\'s command is refused and audited', { tags: ['CTL-08', 'CTL-22'] }, async () => {
    const { commandId, command } = await sent(pump, 'pump-acks');
    const forged = CommandReceiver.signAckFields(
      { commandId: randomBytes(16), commandSequence: command.commandSequence, status: CommandStatus.COMMAND_STATUS_EXECUTED, reasonCode: '', decidedAtMs: rig.clock.nowMs },
      pump.credentials.identity,
    );
    await pump.receiver.sendAck(forged);
    expect(lastRefusal()).toMatchObject({ code: 'ERR_THERAPY_ACK_UNKNOWN_COMMAND', object: 'device/pump-acks' });
    await pump.receiver.sendAck(pump.receiver.signAck(command, CommandStatus.COMMAND_STATUS_EXECUTED, { commandSequence: command.commandSequence + 7 }));
    expect(lastRefusal()?.code).toBe('ERR_THERAPY_ACK_UNKNOWN_COMMAND');
    // Another pump, with its own valid key and session, answers this pump's command.
    const other = await rig.connect(await rig.enrol('pump-other', patient));
    await other.receiver.sendAck(other.receiver.signAck(command, CommandStatus.COMMAND_STATUS_EXECUTED));
    expect(lastRefusal()).toMatchObject({ actor: 'pump-other', code: 'ERR_THERAPY_ACK_UNKNOWN_COMMAND' });
    expect(await statusOf(commandId)).toBe('sent');
    expect(other.client.mqtt.connected).toBe(true);
  });

  it('[CTL-15][CTL-22] a command is decided once: a second, different answer is refused; the same signed answer again changes nothing', { tags: ['CTL-15', 'CTL-22'] }, async () => {
    const { commandId, command } = await sent(pump, 'pump-acks');
    const answer = pump.receiver.signAck(command, CommandStatus.COMMAND_STATUS_EXECUTED);
    await pump.receiver.sendAck(answer);
    expect(await statusOf(commandId)).toBe('executed');
    const refusals = rig.audit().filter((e) => e.event === 'therapy.ack-refused').length;
    await pump.receiver.sendAck(answer);
    expect(rig.audit().filter((e) => e.event === 'therapy.ack-refused')).toHaveLength(refusals);
    await pump.receiver.acknowledge(command, CommandStatus.COMMAND_STATUS_REJECTED_STATE, 'ERR_PUMP_CHANGED_MIND');
    expect(lastRefusal()).toMatchObject({ code: 'ERR_THERAPY_ACK_DUPLICATE', object: expect.stringContaining(`therapy-command/${commandId};`) });
    const read = await rig.request('GET', `/v1/therapy-commands/${commandId}`, { token });
    expect(read.body).toMatchObject({ status: 'executed', ackStatus: 'executed', reasonCode: null });
    expect(rig.auditOf(commandId).filter((e) => e.event === 'therapy.ack')).toHaveLength(1);
  });
});
