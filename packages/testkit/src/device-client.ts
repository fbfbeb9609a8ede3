/**
 * A protocol-level device: real TLS with its client certificate, real MQTT 3.1.1 (mqtt.js), the
 * real HPKE handshake and envelopes. It drives the gateway in tests, demos and the benchmark
 * until the simulated devices (@medsim/devices) take over; it has no physiology, only the wire.
 */
import { KeyCache, initiateSession, type SecureSession } from '@medsim/crypto';
import { ContentType, STREAM_IDS, deviceTopic, encodeMessage, type Channel, type MessageFields } from '@medsim/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import type { DeviceCredentials } from './device-credentials.js';

/** Where the gateway's device plane is. */
export interface DeviceClientOptions {
  readonly host: string;
  readonly port: number;
  /** Override the MQTT client id (attack tests); the device id by default. */
  readonly clientId?: string;
  /** Milliseconds to wait for CONNACK or a SessionAccept. */
  readonly timeoutMs?: number;
  /** MQTT keepalive, seconds (30 by default). */
  readonly keepalive?: number;
  readonly now?: () => number;
}

/** A connected device. */
export class DeviceClient {
  readonly credentials: DeviceCredentials;
  readonly mqtt: MqttClient;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  #session: SecureSession | undefined;

  private constructor(credentials: DeviceCredentials, client: MqttClient, timeoutMs: number, now: () => number) {
    this.credentials = credentials;
    this.mqtt = client;
    this.#timeoutMs = timeoutMs;
    this.#now = now;
  }

  /** Connects over mTLS; rejects with the connection error (e.g. CONNACK refusal). */
  static async connect(credentials: DeviceCredentials, options: DeviceClientOptions): Promise<DeviceClient> {
    const { enrolment } = credentials;
    const client = mqtt.connect({
      protocol: 'mqtts',
      host: options.host,
      port: options.port,
      clientId: options.clientId ?? credentials.deviceId,
      key: credentials.tlsKeyPem,
      cert: enrolment.certificatePem,
      ca: enrolment.caCertificatePem,
      servername: 'localhost',
      protocolVersion: 4,
      clean: true,
      keepalive: options.keepalive ?? 30,
      reconnectPeriod: 0,
      connectTimeout: options.timeoutMs ?? 10_000,
    });
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error): void => {
        client.end(true);
        reject(error);
      };
      client.once('connect', () => {
        client.off('error', fail);
        client.off('close', closed);
        resolve();
      });
      const closed = (): void => fail(new Error('connection closed before CONNACK'));
      client.once('error', fail);
      client.once('close', closed);
    });
    return new DeviceClient(credentials, client, options.timeoutMs ?? 10_000, options.now ?? Date.now);
  }

  /** The established session; throws before openSession(). */
  get session(): SecureSession {
    if (this.#session === undefined) throw new Error('no session: call openSession() first');
    return this.#session;
  }

  /** Runs the HPKE handshake with the gateway and keeps the session. */
  async openSession(): Promise<SecureSession> {
    const { deviceId, identity, enrolment } = this.credentials;
    const gateway = await new KeyCache().importPublicIdentity(enrolment.gatewayIdentity);
    const acceptTopic = deviceTopic(deviceId, 'sessionAccept');
    await this.mqtt.subscribeAsync(acceptTopic, { qos: 1 });
    const pending = initiateSession({ device: identity, deviceId, gateway, now: this.#now });
    const reply = new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.mqtt.off('message', onMessage);
        reject(new Error('no SessionAccept in time'));
      }, this.#timeoutMs);
      const onMessage = (topic: string, payload: Buffer): void => {
        if (topic !== acceptTopic) return;
        clearTimeout(timer);
        this.mqtt.off('message', onMessage);
        resolve(payload);
      };
      this.mqtt.on('message', onMessage);
    });
    // A gateway that refuses the handshake closes the connection: fail then, not at a timeout.
    const closed = new Promise<never>((_, reject) => this.mqtt.once('close', () => reject(new Error('connection closed during the handshake'))));
    closed.catch(() => undefined);
    await Promise.race([this.mqtt.publishAsync(deviceTopic(deviceId, 'session'), Buffer.from(pending.message), { qos: 1 }), closed]);
    this.#session = pending.complete(await Promise.race([reply, closed]));
    return this.#session;
  }

  /** Seals a vital-sign reading into an envelope (without sending it). */
  sealReading(reading: MessageFields['VitalSignReading']): Uint8Array {
    return DeviceClient.sealReadingWith(this.session, reading);
  }

  /** Seals a vital-sign reading with any device session, on the numerics stream. */
  static sealReadingWith(session: SecureSession, reading: MessageFields['VitalSignReading']): Uint8Array {
    return session.seal(ContentType.CONTENT_TYPE_VITAL_SIGN_READING, encodeMessage('VitalSignReading', reading), { streamId: STREAM_IDS.numerics });
  }

  /** Publishes bytes on one of the device's channels at QoS 1; resolves on PUBACK. */
  async publish(channel: Channel, bytes: Uint8Array): Promise<void> {
    await this.mqtt.publishAsync(deviceTopic(this.credentials.deviceId, channel), Buffer.from(bytes), { qos: 1 });
  }

  /** Seals and sends a reading; resolves when the gateway acknowledged (committed) it. */
  async sendReading(reading: MessageFields['VitalSignReading']): Promise<void> {
    await this.publish('telemetry', this.sealReading(reading));
  }

  /** Resolves when the connection closes (e.g. the gateway dropped it). */
  closed(): Promise<void> {
    if (this.mqtt.disconnected || !this.mqtt.connected) return Promise.resolve();
    return new Promise((resolve) => this.mqtt.once('close', () => resolve()));
  }

  /** Disconnects. */
  async close(): Promise<void> {
    await this.mqtt.endAsync(true);
  }
}
