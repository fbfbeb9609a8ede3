/**
 * A lean MQTT 3.1.1 client for the benchmark's load: one socket, packets built and parsed with
 * mqtt-packet, QoS 1 publishes resolved on their PUBACK. mqtt.js does much more per message
 * (stores, timers, events); with a thousand clients in one process that work would measure
 * the load generator instead of the systems under test. Both systems get this same client.
 */
import { generate, parser, type Packet } from 'mqtt-packet';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** Where and how to connect. */
export interface LeanConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly clientId: string;
  /** Mutual TLS material; plain TCP without it. */
  readonly tls?: { readonly key: string; readonly cert: string; readonly ca: string };
  readonly keepalive?: number;
}

/** A connected lean client. */
export class LeanMqttClient {
  readonly #socket: Socket;
  readonly #pending = new Map<number, () => void>();
  #nextId = 1;
  #onMessage: ((topic: string, payload: Buffer) => void) | undefined;
  #subscribed: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
  }

  /** Connects and waits for a successful CONNACK. */
  static connect(options: LeanConnectOptions): Promise<LeanMqttClient> {
    return new Promise((resolve, reject) => {
      const socket =
        options.tls === undefined
          ? netConnect({ host: options.host, port: options.port, noDelay: true })
          : tlsConnect({ host: options.host, port: options.port, servername: 'localhost', ...options.tls });
      socket.setNoDelay(true);
      const client = new LeanMqttClient(socket);
      const parse = parser({ protocolVersion: 4 });
      socket.on('data', (chunk: Buffer) => parse.parse(chunk));
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('closed before CONNACK')));
      parse.on('packet', (packet: Packet) => {
        if (packet.cmd === 'connack') {
          if (packet.returnCode === 0) resolve(client);
          else reject(new Error(`CONNACK ${packet.returnCode ?? '?'}`));
        } else client.#packet(packet);
      });
      parse.on('error', (error: Error) => socket.destroy(error));
      socket.once(options.tls === undefined ? 'connect' : 'secureConnect', () => {
        socket.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: options.clientId, keepalive: options.keepalive ?? 300 }));
      });
    });
  }

  #packet(packet: Packet): void {
    if (packet.cmd === 'puback') {
      const done = this.#pending.get(packet.messageId!);
      this.#pending.delete(packet.messageId!);
      done?.();
    } else if (packet.cmd === 'publish') {
      if (packet.qos === 1) this.#socket.write(generate({ cmd: 'puback', messageId: packet.messageId! }));
      this.#onMessage?.(packet.topic, packet.payload as Buffer);
    } else if (packet.cmd === 'suback') {
      this.#subscribed?.();
    }
  }

  /** Publishes at QoS 1; resolves on PUBACK, rejects if the connection closes first. */
  publish(topic: string, payload: Uint8Array): Promise<void> {
    const messageId = this.#nextId;
    this.#nextId = this.#nextId === 65_535 ? 1 : this.#nextId + 1;
    return new Promise((resolve, reject) => {
      if (this.#socket.destroyed) {
        reject(new Error('connection closed'));
        return;
      }
      this.#pending.set(messageId, resolve);
      this.#socket.write(generate({ cmd: 'publish', topic, payload: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), qos: 1, messageId, retain: false, dup: false }));
    });
  }

  /** Subscribes to one topic filter and delivers its messages to `onMessage`. */
  subscribe(filter: string, qos: 0 | 1, onMessage: (topic: string, payload: Buffer) => void): Promise<void> {
    this.#onMessage = onMessage;
    return new Promise((resolve) => {
      this.#subscribed = resolve;
      this.#socket.write(generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos }] }));
    });
  }

  /** Disconnects. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#socket.destroyed) return resolve();
      this.#socket.once('close', () => resolve());
      this.#socket.end(generate({ cmd: 'disconnect' }));
    });
  }
}
