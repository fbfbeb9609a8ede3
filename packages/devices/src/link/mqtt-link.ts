/**
 * MQTT 3.1.1 over TLS with the device certificate: the link of Wi-Fi, LTE, 3G and public-network
 * devices. The TLS key never leaves the keystore: the link is given a `tls.SecureContext` built
 * inside it. QoS 1 everywhere: the gateway sends PUBACK only after its durable commit, so `send`
 * resolving means the message is stored. Reconnection is the device runtime's job (jittered
 * back-off), not mqtt.js's: `reconnectPeriod: 0`.
 */
import { EventEmitter } from 'node:events';
import type { SecureContext } from 'node:tls';
import { CHANNELS, deviceTopic, parseDeviceTopic, type Channel } from '@medsim/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { LinkDownError } from '../errors.js';
import type { DeviceLink, DeviceLinkEvents } from './device-link.js';

/** Options of MqttLink. */
export interface MqttLinkOptions {
  readonly deviceId: string;
  readonly host: string;
  readonly port: number;
  /** From Keystore.tlsSecureContext(): key, certificate and the gateway CA, built in the keystore. */
  readonly secureContext: SecureContext;
  /** TLS server name the gateway certificate carries (the local CA issues it for `localhost`). */
  readonly servername?: string;
  /** MQTT keepalive, seconds: bounds how long a silent (black-holed) link goes unnoticed (1.5×). */
  readonly keepaliveS?: number;
  /** CONNECT timeout, milliseconds. */
  readonly connectTimeoutMs?: number;
  /** Plain MQTT without TLS: ONLY for the transport interop test against a local Mosquitto. */
  readonly insecurePlaintext?: boolean;
}

/** Channels the gateway publishes to a device, subscribed on connect. */
const DOWNLINK_CHANNELS = (Object.keys(CHANNELS) as Channel[]).filter((channel) => CHANNELS[channel].publisher === 'gateway');

/** A device's MQTT link. */
export class MqttLink extends EventEmitter<DeviceLinkEvents> implements DeviceLink {
  readonly transport = 'mqtt' as const;
  readonly #o: MqttLinkOptions;
  #client: MqttClient | undefined;
  /** Sends waiting for a PUBACK: rejected together when the connection closes. */
  readonly #waiting = new Set<(error: Error) => void>();

  constructor(options: MqttLinkOptions) {
    super();
    this.#o = options;
  }

  get up(): boolean {
    return this.#client?.connected === true;
  }

  async open(): Promise<void> {
    await this.close();
    const o = this.#o;
    const client = mqtt.connect({
      protocol: o.insecurePlaintext === true ? 'mqtt' : 'mqtts',
      host: o.host,
      port: o.port,
      clientId: o.deviceId,
      ...(o.insecurePlaintext === true ? {} : { secureContext: o.secureContext, servername: o.servername ?? 'localhost', rejectUnauthorized: true }),
      protocolVersion: 4,
      clean: true,
      keepalive: o.keepaliveS ?? 30,
      reconnectPeriod: 0,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
    });
    this.#client = client;
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error): void => {
        client.off('connect', connected);
        client.end(true);
        reject(new LinkDownError(`MQTT connection failed: ${error.message}`, { cause: error }));
      };
      const closed = (): void => fail(new Error('closed before CONNACK'));
      const connected = (): void => {
        client.off('error', fail);
        client.off('close', closed);
        resolve();
      };
      client.once('connect', connected);
      client.once('error', fail);
      client.once('close', closed);
    });
    client.on('message', (topic, payload) => {
      try {
        const { deviceId, channel } = parseDeviceTopic(topic);
        if (deviceId === o.deviceId && CHANNELS[channel].publisher === 'gateway') this.emit('message', channel, new Uint8Array(payload));
      } catch {
        // Not a medsim topic: a broker cannot make the device act on it.
      }
    });
    client.on('error', () => undefined); // surfaced as 'close' below
    client.once('close', () => {
      for (const reject of this.#waiting) reject(new LinkDownError('MQTT link closed before PUBACK'));
      this.#waiting.clear();
      if (this.#client === client) this.#client = undefined;
      this.emit('down', 'connection closed');
    });
    await client.subscribeAsync(
      DOWNLINK_CHANNELS.map((channel) => deviceTopic(o.deviceId, channel)),
      { qos: 1 },
    );
    this.emit('up');
  }

  async send(channel: Channel, bytes: Uint8Array): Promise<void> {
    const client = this.#client;
    if (client === undefined || !client.connected) throw new LinkDownError('MQTT link is down');
    // One close listener per client rejects every send still waiting for its PUBACK (a listener
    // per send would pass Node's listener limit with a 16-message in-flight window).
    let reject: (error: Error) => void = () => undefined;
    const closed = new Promise<never>((_, r) => {
      reject = r;
    });
    closed.catch(() => undefined);
    this.#waiting.add(reject);
    try {
      await Promise.race([client.publishAsync(deviceTopic(this.#o.deviceId, channel), Buffer.from(bytes), { qos: 1 }), closed]);
    } finally {
      this.#waiting.delete(reject);
    }
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) await client.endAsync(true);
  }
}
