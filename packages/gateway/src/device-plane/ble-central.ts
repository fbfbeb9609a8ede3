/**
 * The gateway's BLE central: real noble code (it would run on an HCI adapter given noble's default
 * bindings; here it is given the virtual radio's). It scans for the medsim envelope service,
 * connects, reads the device's id, subscribes to its `tx` characteristic and relays every message
 * into the same paths as the MQTT device plane: handshakes to DeviceSessions (rate limited per
 * device), envelopes to Ingest, whose durable commit is answered with `delivered` (the PUBACK's
 * place). The BLE link is not trusted (ADR 0005): the device id read from `info` is only a claim
 * until the HPKE handshake proves it with the device's enrolled key, and every envelope is bound to
 * that session.
 */
import type { Characteristic, Noble, Peripheral } from '@stoprocent/noble';
import {
  Fragmenter,
  MEDSIM_ENVELOPE_SERVICE,
  Reassembler,
  decodeEnvelopeServiceInfo,
  decodeEnvelopeServiceMessage,
  encodeEnvelopeServiceMessage,
  type EnvelopeServiceMessage,
} from '@medsim/ble-radio';
import type { AuditStream } from '@medsim/logging';
import { MedsimError, type Channel } from '@medsim/protocol';
import type { Logger } from 'pino';
import type { DeviceRegistry } from '../devices/device-registry.js';
import { GatewayError } from '../errors.js';
import type { RateLimiter } from '../limits/rate-limit.js';
import type { DeviceSessions } from './device-sessions.js';
import type { DeviceDownlinks } from './downlinks.js';
import type { Ingest } from './ingest.js';

/** Options of the BLE central. */
export interface BleCentralOptions {
  /** A noble instance (the virtual radio's, or noble's default HCI one on real hardware). */
  readonly noble: Noble;
  readonly devices: DeviceRegistry;
  readonly sessions: DeviceSessions;
  readonly ingest: Ingest;
  readonly downlinks: DeviceDownlinks;
  readonly audit: AuditStream;
  readonly logger: Logger;
  /** Session handshakes per device per minute (shared with the MQTT plane). */
  readonly handshakes: RateLimiter;
  /** Most simultaneous BLE connections (a real adapter manages a handful to a few dozen). */
  readonly maxConnections: number;
}

const SVC = MEDSIM_ENVELOPE_SERVICE.uuid;
const TX = MEDSIM_ENVELOPE_SERVICE.characteristics.tx.uuid;
const RX = MEDSIM_ENVELOPE_SERVICE.characteristics.rx.uuid;
const INFO = MEDSIM_ENVELOPE_SERVICE.characteristics.info.uuid;

interface Connection {
  readonly peripheral: Peripheral;
  /** The link is encrypted (pairing succeeded). */
  encrypted?: boolean;
  deviceId?: string;
  rx?: Characteristic;
  /** Writes to `rx` go one message at a time (the device reassembles one at a time). */
  writing: Promise<void>;
  nextId: number;
  unregister?: () => void;
}

/** The gateway's BLE central. */
export class BleCentral {
  readonly #o: BleCentralOptions;
  readonly #connections = new Map<string, Connection>();
  readonly #fragmenter = new Fragmenter();
  #running = false;
  readonly #onDiscover = (peripheral: Peripheral): void => {
    void this.#consider(peripheral);
  };

  constructor(options: BleCentralOptions) {
    this.#o = options;
  }

  /** Devices connected over BLE now. */
  get connectedDevices(): number {
    let n = 0;
    for (const c of this.#connections.values()) if (c.deviceId !== undefined) n += 1;
    return n;
  }

  /** Powers the adapter on and scans for medsim devices. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const { noble } = this.#o;
    noble.on('discover', this.#onDiscover);
    await noble.waitForPoweredOnAsync();
    // Duplicates allowed: a device that was busy, or dropped, is reconsidered on its next advert.
    await noble.startScanningAsync([SVC], true);
  }

  /** Stops scanning and disconnects every device. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    const { noble } = this.#o;
    noble.off('discover', this.#onDiscover);
    await noble.stopScanningAsync().catch(() => undefined);
    await Promise.all([...this.#connections.values()].map((c) => c.peripheral.disconnectAsync().catch(() => undefined)));
    this.#connections.clear();
    noble.stop?.();
  }

  async #consider(peripheral: Peripheral): Promise<void> {
    if (!this.#running || this.#connections.has(peripheral.id) || !peripheral.connectable) return;
    if (this.#connections.size >= this.#o.maxConnections) return;
    const connection: Connection = { peripheral, writing: Promise.resolve(), nextId: 1 };
    this.#connections.set(peripheral.id, connection);
    peripheral.once('disconnect', () => this.#closed(connection));
    try {
      await peripheral.connectAsync();
      // Defence in depth: pair (noble offers Just Works only; with LE Secure Connections a passive
      // sniffer cannot read the link). Not relied on (ADR 0005): a device that cannot pair still
      // talks, through envelopes that are end-to-end encrypted anyway.
      connection.encrypted = await peripheral.pairAsync().then(
        () => true,
        () => false,
      );
      const { characteristics } = await peripheral.discoverSomeServicesAndCharacteristicsAsync([SVC], [TX, RX, INFO]);
      const tx = characteristics.find((c) => c.uuid === TX);
      const rx = characteristics.find((c) => c.uuid === RX);
      const info = characteristics.find((c) => c.uuid === INFO);
      if (tx === undefined || rx === undefined || info === undefined) throw new GatewayError('ERR_BLE_PEER', 'not a medsim envelope service');
      const { deviceId } = decodeEnvelopeServiceInfo(await info.readAsync());
      // A claim until the handshake proves it: but an unknown, revoked or already connected id is
      // refused at once (one connection per device across both planes, CTL-03).
      if (this.#o.devices.identityOf(deviceId) === undefined) throw new GatewayError('ERR_BLE_PEER', 'unknown or revoked device', { details: { deviceId } });
      if (this.#o.devices.isOnline(deviceId)) throw new GatewayError('ERR_BLE_PEER', 'device already connected', { details: { deviceId } });
      connection.deviceId = deviceId;
      connection.rx = rx;
      this.#o.devices.setOnline(deviceId, true);
      const reassembler = new Reassembler();
      tx.on('data', (data: Buffer) => this.#onFragment(connection, reassembler, data));
      await tx.subscribeAsync();
      connection.unregister = this.#o.downlinks.register(deviceId, { transport: 'ble', send: (channel, bytes) => this.#publish(connection, channel, bytes) });
      this.#audit('ble.connect', 'success', 'info', deviceId, connection.encrypted === true ? undefined : 'ERR_BLE_UNPAIRED');
    } catch (error) {
      const code = error instanceof MedsimError ? error.code : 'ERR_BLE_PEER';
      this.#o.logger.debug({ peripheral: peripheral.id, err: error }, 'BLE peer refused or failed');
      if (error instanceof GatewayError) this.#audit('ble.refused', 'denied', 'medium', connection.deviceId ?? peripheral.id, code);
      await peripheral.disconnectAsync().catch(() => undefined);
      this.#closed(connection);
    }
  }

  #closed(connection: Connection): void {
    if (this.#connections.get(connection.peripheral.id) !== connection) return;
    this.#connections.delete(connection.peripheral.id);
    connection.unregister?.();
    if (connection.deviceId !== undefined && connection.rx !== undefined) {
      this.#o.devices.setOnline(connection.deviceId, false);
      this.#audit('ble.disconnect', 'success', 'info', connection.deviceId);
    }
  }

  #onFragment(connection: Connection, reassembler: Reassembler, data: Buffer): void {
    let bytes: Uint8Array | undefined;
    let message: EnvelopeServiceMessage;
    try {
      bytes = reassembler.push(data);
      if (bytes === undefined) return;
      message = decodeEnvelopeServiceMessage(bytes, { from: 'device' });
    } catch (error) {
      this.#audit('ble.malformed', 'denied', 'low', connection.deviceId!, error instanceof MedsimError ? error.code : 'ERR_BLE_PEER');
      return;
    }
    if (message.kind !== 'publish') return;
    void this.#handle(connection, message.channel, message.messageId, message.body);
  }

  async #handle(connection: Connection, channel: Channel, messageId: number, body: Uint8Array): Promise<void> {
    const deviceId = connection.deviceId!;
    try {
      if (channel === 'session') {
        if (!this.#o.handshakes.take(deviceId).ok) throw new GatewayError('ERR_MQTT_LIMIT', 'too many session handshakes');
        const reply = this.#o.sessions.accept(body, deviceId);
        await this.#publish(connection, 'sessionAccept', reply);
      } else {
        await this.#o.ingest.envelope(deviceId, channel, body);
      }
      await this.#write(connection, { kind: 'delivered', messageId });
    } catch (error) {
      const code = error instanceof MedsimError ? error.code : 'ERR_INGEST_REFUSED';
      if (code !== 'ERR_STORE_FULL') this.#audit('envelope.refused', 'denied', 'high', deviceId, code);
      // The same answer for every refusal reason a device could learn from (ingest's rule).
      await this.#write(connection, { kind: 'refused', messageId, code: code === 'ERR_STORE_FULL' ? code : 'ERR_INGEST_REFUSED' }).catch(() => undefined);
    }
  }

  /** Sends a gateway-published channel message to a device. */
  #publish(connection: Connection, channel: Channel, bytes: Uint8Array): Promise<void> {
    const messageId = connection.nextId;
    connection.nextId = (connection.nextId % 0xffff_ffff) + 1;
    return this.#write(connection, { kind: 'publish', channel, messageId, body: bytes });
  }

  #write(connection: Connection, message: EnvelopeServiceMessage): Promise<void> {
    const rx = connection.rx;
    if (rx === undefined || !this.#connections.has(connection.peripheral.id)) return Promise.reject(new GatewayError('ERR_DEVICE_UNREACHABLE', 'BLE device disconnected'));
    const fragments = this.#fragmenter.fragment(encodeEnvelopeServiceMessage(message), connection.peripheral.mtu ?? 23);
    const done = connection.writing.then(async () => {
      for (const fragment of fragments) await rx.writeAsync(Buffer.from(fragment), false);
    });
    connection.writing = done.catch(() => undefined);
    return done;
  }

  #audit(event: string, outcome: 'success' | 'denied', severity: 'info' | 'low' | 'medium' | 'high', object: string, code?: string): void {
    try {
      this.#o.audit.record({ event, outcome, severity, actor: object, role: 'device', source: 'ble', object, ...(code === undefined ? {} : { code }) });
    } catch (error) {
      this.#o.logger.error({ err: error, event }, 'audit record lost');
    }
  }
}
