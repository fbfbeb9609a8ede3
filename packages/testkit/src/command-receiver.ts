/**
 * The device end of therapy commands, at protocol level: subscribes to the device's commands
 * topic, opens each envelope with the device's session, verifies the SignedTherapyCommand under
 * the gateway's command-signing key from the enrolment answer (and no other key), and answers
 * with SignedTherapyCommandAcks signed by the device's own Ed25519 identity key. It enforces no
 * freshness, replay or interlock rule: that is the device firmware's job (@medsim/devices); tests
 * use it to see exactly what the gateway sent and to send exactly the answer they need.
 */
import { KeyCache, signDetached, verifyDetached, type Identity, type KeyEntry } from '@medsim/crypto';
import {
  CommandStatus,
  ContentType,
  STREAM_IDS,
  decodeMessage,
  deviceTopic,
  encodeMessage,
  type EnvelopeHeaderFields,
  type MessageFields,
  type SignedTherapyCommand,
  type TherapyCommand,
} from '@medsim/protocol';
import type { DeviceClient } from './device-client.js';

/** Label of a gateway-signed TherapyCommand (therapy.proto). */
export const THERAPY_COMMAND_LABEL = 'medsim/v1 therapy-command';
/** Label of a device-signed TherapyCommandAck (therapy.proto). */
export const THERAPY_COMMAND_ACK_LABEL = 'medsim/v1 therapy-command-ack';

/** One command as received, verified and decoded. */
export interface ReceivedCommand {
  /** The envelope header (content type, stream, sequence) it arrived in. */
  readonly header: EnvelopeHeaderFields;
  /** The SignedTherapyCommand as received. */
  readonly signed: SignedTherapyCommand;
  /** The verified command. */
  readonly command: TherapyCommand;
}

/** Receives a device's therapy commands and sends its acknowledgements. */
export class CommandReceiver {
  readonly client: DeviceClient;
  /** Commands that opened, verified and decoded, in arrival order. */
  readonly received: ReceivedCommand[] = [];
  /** Messages refused (envelope, signature or decoding), in arrival order. */
  readonly errors: Error[] = [];
  readonly #signer: KeyEntry;
  readonly #topic: string;
  readonly #listener: (topic: string, payload: Buffer) => void;
  #taken = 0;
  #waiters: (() => void)[] = [];

  private constructor(client: DeviceClient, signer: KeyEntry) {
    this.client = client;
    this.#signer = signer;
    this.#topic = deviceTopic(client.credentials.deviceId, 'commands');
    this.#listener = (topic, payload) => {
      if (topic !== this.#topic) return;
      this.#take(payload);
      for (const wake of this.#waiters.splice(0)) wake();
    };
  }

  /** Subscribes (QoS 1) to the client's commands topic; resolves after the SUBACK. */
  static async subscribe(client: DeviceClient): Promise<CommandReceiver> {
    const signer = await new KeyCache().importPublicJwk(client.credentials.enrolment.commandSigner, 'Ed25519');
    const receiver = new CommandReceiver(client, signer);
    client.mqtt.on('message', receiver.#listener);
    await client.mqtt.subscribeAsync(receiver.#topic, { qos: 1 });
    return receiver;
  }

  /** The next command not yet returned by next(), waiting up to `timeoutMs`. */
  async next(timeoutMs = 5_000): Promise<ReceivedCommand> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length <= this.#taken) {
      if (this.errors.length > 0) throw this.errors[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no therapy command within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received[this.#taken++]!;
  }

  /**
   * A SignedTherapyCommandAck (encoded) answering `command` with `status`, signed by `signer`
   * (the device's own identity unless a test forges another).
   */
  signAck(command: TherapyCommand, status: CommandStatus, options: { reasonCode?: string; decidedAtMs?: number; signer?: Identity; commandSequence?: number } = {}): Uint8Array {
    const fields: MessageFields['TherapyCommandAck'] = {
      commandId: command.commandId,
      commandSequence: options.commandSequence ?? command.commandSequence,
      status,
      reasonCode: status === CommandStatus.COMMAND_STATUS_EXECUTED ? '' : (options.reasonCode ?? 'ERR_DEVICE_REFUSED'),
      decidedAtMs: options.decidedAtMs ?? Date.now(),
    };
    return CommandReceiver.signAckFields(fields, options.signer ?? this.client.credentials.identity);
  }

  /** Signs any TherapyCommandAck fields into an encoded SignedTherapyCommandAck. */
  static signAckFields(fields: MessageFields['TherapyCommandAck'], signer: Identity): Uint8Array {
    const ack = encodeMessage('TherapyCommandAck', fields);
    return encodeMessage('SignedTherapyCommandAck', {
      ack,
      signerKeyId: signer.public.signing.kid,
      signature: signDetached(signer, THERAPY_COMMAND_ACK_LABEL, ack),
    });
  }

  /** Seals an encoded SignedTherapyCommandAck on the commands stream and publishes it; resolves on PUBACK. */
  async sendAck(signedAck: Uint8Array): Promise<void> {
    const envelope = this.client.session.seal(ContentType.CONTENT_TYPE_THERAPY_COMMAND_ACK, signedAck, { streamId: STREAM_IDS.commands });
    await this.client.publish('commandAcks', envelope);
  }

  /** Signs and sends the device's answer to `command`. */
  async acknowledge(command: TherapyCommand, status: CommandStatus, reasonCode?: string): Promise<void> {
    await this.sendAck(this.signAck(command, status, reasonCode === undefined ? {} : { reasonCode }));
  }

  /** Stops listening (the subscription stays until the connection ends). */
  close(): void {
    this.client.mqtt.off('message', this.#listener);
  }

  #take(payload: Buffer): void {
    try {
      const { header, plaintext } = this.client.session.open(payload);
      if (header.contentType !== ContentType.CONTENT_TYPE_THERAPY_COMMAND) throw new Error(`unexpected content type ${header.contentType} on the commands topic`);
      const signed = decodeMessage('SignedTherapyCommand', plaintext);
      // Verified before decoding, and only under the key given at enrolment (therapy.proto).
      if (signed.signerKeyId !== this.#signer.kid) throw new Error('the command names another signer key');
      verifyDetached(this.#signer, THERAPY_COMMAND_LABEL, signed.command, signed.signature);
      this.received.push({ header, signed, command: decodeMessage('TherapyCommand', signed.command) });
    } catch (error) {
      this.errors.push(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
