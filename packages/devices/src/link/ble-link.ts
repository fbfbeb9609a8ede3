/**
 * The BLE link of a device: the device is a peripheral on the virtual radio, serving its standard
 * SIG services (for interoperability; they require an encrypted link) and the medsim envelope
 * service, through which the same end-to-end sealed envelopes as MQTT devices travel (ADR 0005: the
 * BLE link is not trusted for confidentiality; noble offers only Just Works pairing).
 *
 * Messages are fragmented to the connection's ATT_MTU and sent as notifications on `tx`, one message
 * at a time (the central reassembles one message at a time); the gateway answers each with
 * `delivered` (after its durable commit, the PUBACK's place) or `refused` on `rx`, so `send` resolves
 * exactly when an MQTT PUBACK would.
 */
import { EventEmitter } from 'node:events';
import {
  ENVELOPE_MESSAGE_MAX_BYTES,
  Fragmenter,
  MEDSIM_ENVELOPE_SERVICE,
  Reassembler,
  decodeEnvelopeServiceMessage,
  encodeEnvelopeServiceInfo,
  encodeEnvelopeServiceMessage,
  type GattConnection,
  type GattServiceDefinition,
  type PairingPolicy,
  type RadioPeripheral,
  type VirtualRadio,
  type RadioConnection,
} from '@medsim/ble-radio';
import { PROTOCOL_VERSION, type Channel } from '@medsim/protocol';
import type { SimulatedDevice } from '../device/simulated-device.js';
import { LinkDownError, LinkRefusedError } from '../errors.js';
import { standardNotifications, standardServices, type StandardNotification } from './standard-services.js';
import type { DeviceLink, DeviceLinkEvents } from './device-link.js';

/** Options of BleLink. */
export interface BleLinkOptions {
  readonly deviceId: string;
  readonly radio: VirtualRadio;
  /** The device's BLE address, e.g. `c0:ff:ee:00:00:01`. */
  readonly address: string;
  /** Advertised name; at most 29 bytes (it travels in a 31-byte scan response). */
  readonly localName: string;
  /** The device: its standard services (Device Information, Battery, its health service) are served beside the envelope service. */
  readonly device: SimulatedDevice;
  readonly pairing?: PairingPolicy;
  /** Distance from the gateway's radio, metres (RSSI). */
  readonly distanceM?: number;
  /** Milliseconds to wait for a central (then `open` rejects and the runtime backs off). */
  readonly connectTimeoutMs?: number;
  /** Milliseconds to wait for the gateway's `delivered` after the last fragment. */
  readonly ackTimeoutMs?: number;
}

interface Pending {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** A device's BLE link. */
export class BleLink extends EventEmitter<DeviceLinkEvents> implements DeviceLink {
  readonly transport = 'ble' as const;
  readonly #o: BleLinkOptions;
  #peripheral: RadioPeripheral | undefined;
  /** The central subscribed to `tx` (the gateway). */
  #central: RadioConnection | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #fragmenter = new Fragmenter();
  readonly #reassembler = new Reassembler();
  /** Messages go out one after another: a central reassembles one at a time. */
  #sending: Promise<void> = Promise.resolve();
  #waiter: { resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(options: BleLinkOptions) {
    super();
    this.#o = options;
  }

  get up(): boolean {
    return this.#central !== undefined;
  }

  /** The peripheral on the radio (after open). */
  get peripheral(): RadioPeripheral | undefined {
    return this.#peripheral;
  }

  async open(): Promise<void> {
    const o = this.#o;
    if (this.#peripheral === undefined) {
      const envelope: GattServiceDefinition = {
        uuid: MEDSIM_ENVELOPE_SERVICE.uuid,
        characteristics: [
          { uuid: MEDSIM_ENVELOPE_SERVICE.characteristics.tx.uuid, properties: ['notify'] },
          {
            uuid: MEDSIM_ENVELOPE_SERVICE.characteristics.rx.uuid,
            properties: ['write', 'writeWithoutResponse'],
            onWrite: (connection, value) => this.#onRx(connection, value),
          },
          {
            uuid: MEDSIM_ENVELOPE_SERVICE.characteristics.info.uuid,
            properties: ['read'],
            value: encodeEnvelopeServiceInfo({ deviceId: o.deviceId, protocolVersion: PROTOCOL_VERSION }),
          },
        ],
      };
      this.#peripheral = o.radio.addPeripheral({
        address: o.address,
        localName: o.localName,
        serviceUuids: [MEDSIM_ENVELOPE_SERVICE.uuid],
        services: [envelope, ...standardServices(o.device, (n) => this.notifyStandard(n))],
        pairing: o.pairing ?? 'lesc-just-works',
        ...(o.distanceM === undefined ? {} : { distanceM: o.distanceM }),
      });
      this.#peripheral.on('subscribe', (connection, subscription) => {
        if (subscription.serviceUuid !== MEDSIM_ENVELOPE_SERVICE.uuid || subscription.characteristicUuid !== MEDSIM_ENVELOPE_SERVICE.characteristics.tx.uuid) return;
        this.#central = connection;
        this.#waiter?.resolve();
        this.#waiter = undefined;
      });
      this.#peripheral.on('disconnect', (connection, reason) => {
        if (this.#central?.id !== connection.id) return;
        this.#down(`BLE disconnected (0x${reason.toString(16).padStart(2, '0')})`);
      });
    }
    if (this.#central !== undefined) return;
    if (!this.#peripheral.poweredOn) this.#peripheral.powerOn();
    this.#peripheral.startAdvertising();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new LinkDownError('no central connected in time'));
      }, o.connectTimeoutMs ?? 30_000);
      timer.unref();
      this.#waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
    this.#peripheral.stopAdvertising();
    this.emit('up');
  }

  send(channel: Channel, bytes: Uint8Array): Promise<void> {
    const central = this.#central;
    const peripheral = this.#peripheral;
    if (central === undefined || peripheral === undefined) return Promise.reject(new LinkDownError('BLE link is down'));
    const messageId = this.#nextId;
    this.#nextId = (this.#nextId % 0xffff_ffff) + 1;
    const message = encodeEnvelopeServiceMessage({ kind: 'publish', channel, messageId, body: bytes }, { maxMessageBytes: ENVELOPE_MESSAGE_MAX_BYTES });
    const acknowledged = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(messageId);
        reject(new LinkDownError('no acknowledgement from the gateway in time'));
      }, this.#o.ackTimeoutMs ?? 30_000);
      timer.unref();
      this.#pending.set(messageId, { resolve, reject, timer });
    });
    // It may be rejected (link down) while the fragments are still going out, before send() returns it.
    acknowledged.catch(() => undefined);
    const sent = this.#sending.then(async () => {
      if (this.#central?.id !== central.id) throw new LinkDownError('BLE link is down');
      for (const fragment of this.#fragmenter.fragment(message, central.mtu)) {
        await peripheral.notify(MEDSIM_ENVELOPE_SERVICE.uuid, MEDSIM_ENVELOPE_SERVICE.characteristics.tx.uuid, fragment, { connectionId: central.id });
      }
    });
    this.#sending = sent.catch(() => undefined);
    return sent.then(
      () => acknowledged,
      (error: unknown) => {
        const pending = this.#pending.get(messageId);
        if (pending !== undefined) {
          clearTimeout(pending.timer);
          this.#pending.delete(messageId);
        }
        acknowledged.catch(() => undefined);
        throw error instanceof Error ? error : new LinkDownError('BLE send failed');
      },
    );
  }

  async close(): Promise<void> {
    const peripheral = this.#peripheral;
    this.#down('closed');
    if (peripheral !== undefined && peripheral.poweredOn) {
      peripheral.stopAdvertising();
      await peripheral.disconnect();
    }
  }

  /** The radio goes silent (power cut): centrals see a supervision timeout; open() powers it on again. */
  powerOff(): Promise<void> {
    this.#down('power off');
    this.#peripheral?.powerOff();
    return Promise.resolve();
  }

  /** Pushes a standard characteristic value to the centrals subscribed to it (none: nothing sent). */
  async notifyStandard(notification: StandardNotification): Promise<void> {
    const peripheral = this.#peripheral;
    if (peripheral === undefined || !peripheral.poweredOn) return;
    const send = notification.indicate === true ? peripheral.indicate.bind(peripheral) : peripheral.notify.bind(peripheral);
    await send(notification.serviceUuid, notification.characteristicUuid, notification.value).catch(() => undefined);
  }

  /** After each cycle: the newest measurement on the standard characteristics. */
  afterCycle(): void {
    for (const notification of standardNotifications(this.#o.device)) void this.notifyStandard(notification);
  }

  #onRx(connection: GattConnection, value: Buffer): void {
    if (this.#central?.id !== connection.id) return;
    let bytes: Uint8Array | undefined;
    try {
      bytes = this.#reassembler.push(value);
    } catch {
      // A malformed fragment from the central: dropped (the reassembler reset itself).
      return;
    }
    if (bytes === undefined) return;
    let message;
    try {
      message = decodeEnvelopeServiceMessage(bytes, { from: 'gateway' });
    } catch {
      return;
    }
    if (message.kind === 'publish') {
      this.emit('message', message.channel, message.body);
      return;
    }
    const pending = this.#pending.get(message.messageId);
    if (pending === undefined) return;
    this.#pending.delete(message.messageId);
    clearTimeout(pending.timer);
    if (message.kind === 'delivered') pending.resolve();
    else pending.reject(new LinkRefusedError(`the gateway refused the message: ${message.code}`, { details: { code: message.code } }));
  }

  #down(reason: string): void {
    const wasUp = this.#central !== undefined;
    this.#central = undefined;
    this.#reassembler.reset();
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new LinkDownError(`BLE link down: ${reason}`));
      this.#pending.delete(id);
    }
    this.#waiter?.reject(new LinkDownError(`BLE link down: ${reason}`));
    this.#waiter = undefined;
    if (wasUp) this.emit('down', reason);
  }
}
