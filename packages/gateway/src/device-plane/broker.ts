/**
 * The device plane: aedes (MQTT 3.1.1) behind a TLS server that requires a client certificate
 * from the local CA (CTL-05, CTL-06). There is no plaintext listener.
 *
 * On every connection, in order: the per-address and total connection caps; the TLS handshake
 * (TLS 1.3, or 1.2 with AEAD suites only) within the connect timeout; the packet guard
 * (CONNECT first, packet size cap); preConnect (MQTT 3.1.1 only, no Will, keepalive set);
 * authenticate (clientId == certificate identity, certificate enrolled and not revoked, one
 * live connection per identity: a second one is refused and raises a possible-clone alert,
 * CTL-03); then every PUBLISH and SUBSCRIBE is authorised against the device's own topics
 * (ISVS 4.2.2), and envelopes are committed before their PUBACK (ingest.ts).
 *
 * Each authenticated connection is registered as the device's MQTT downlink (downlinks.ts) until
 * it closes; a send on it goes out only if the device subscribed to that channel's topic, so a
 * command is never published into the void.
 */
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import type { AuditStream } from '@medsim/logging';
import { CHANNELS, deviceTopic, parseDeviceTopic, type Channel } from '@medsim/protocol';
import { MedsimError } from '@medsim/protocol';
import { type X509Certificate } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/config.js';
import type { TlsMaterial } from '../context.js';
import type { DeviceRegistry } from '../devices/device-registry.js';
import { DeviceUnreachableError, GatewayError, type GatewayErrorCode } from '../errors.js';
import { deviceListenerTls } from '../pki/device-tls.js';
import { deviceUri } from '../pki/local-ca.js';
import type { DeviceSessions } from './device-sessions.js';
import type { DeviceDownlinks } from './downlinks.js';
import type { Ingest } from './ingest.js';
import { RateLimiter } from '../limits/rate-limit.js';
import { guardSocket } from './packet-guard.js';


/** What authenticate learned from the client certificate. */
interface PeerIdentity {
  readonly deviceId: string | undefined;
  readonly serial: string;
  readonly source: string;
}

/** Options of DevicePlane. */
export interface DevicePlaneOptions {
  readonly config: GatewayConfig;
  readonly tls: TlsMaterial;
  readonly devices: DeviceRegistry;
  readonly sessions: DeviceSessions;
  readonly ingest: Ingest;
  readonly audit: AuditStream;
  readonly logger: Logger;
  /** The gateway's clock (rate limits). */
  readonly now?: () => number;
  /** Where each authenticated connection is registered as its device's MQTT downlink. */
  readonly downlinks?: DeviceDownlinks;
  /** Session handshakes per device (shared with the BLE central, so two planes do not double the budget). */
  readonly handshakes?: RateLimiter;
}

/**
 * A CONNACK refusal for aedes (its `returnCode`) that is also a typed GatewayError: aedes emits
 * it as a clientError, and #clientError audits only untyped (parser) errors, so the refusal is
 * audited once, where it happened, and not again as a malformed packet.
 */
const refusal = (returnCode: number, code: GatewayErrorCode): AuthenticateError =>
  Object.assign(new GatewayError(code, code), { returnCode: returnCode });

/** The device id a certificate names: its URI SAN, which must agree with its CN. */
function deviceIdOf(cert: X509Certificate): string | undefined {
  const cn = /(?:^|\n)CN=([^\n]+)/u.exec(cert.subject)?.[1];
  if (cn === undefined) return undefined;
  const san = cert.subjectAltName ?? '';
  return san.split(', ').includes(`URI:${deviceUri(cn)}`) ? cn : undefined;
}

/** The MQTT broker over mTLS. */
export class DevicePlane {
  readonly broker: Aedes;
  readonly server: Server;
  readonly #o: DevicePlaneOptions;
  readonly #peers = new WeakMap<object, PeerIdentity>();
  /** The one live client of each device identity. */
  readonly #live = new Map<string, Client>();
  readonly #perAddress = new Map<string, number>();
  readonly #inflight = new WeakMap<Client, number>();
  /** Topics each client subscribed to (granted), for the downlink's "is anyone listening" check. */
  readonly #subscribed = new WeakMap<Client, Set<string>>();
  readonly #sockets = new Set<Socket>();
  readonly #handshakes: RateLimiter;

  constructor(options: DevicePlaneOptions) {
    this.#o = options;
    const { config } = options;
    this.#handshakes = options.handshakes ?? new RateLimiter(config['mqtt.handshakesPerMinute'], options.now ?? Date.now);
    this.broker = new Aedes({
      id: 'medsim-gateway',
      concurrency: 1000,
      connectTimeout: config['mqtt.connectTimeoutMs'],
      keepaliveLimit: config['mqtt.keepaliveLimitS'],
      maxClientsIdLength: 64,
      maxTopicLevels: 8,
      queueLimit: 42,
      drainTimeout: 30_000,
      heartbeatInterval: 60_000,
      preConnect: (client, packet, cb) => this.#preConnect(client, packet, cb),
      authenticate: (client, username, password, done) => this.#authenticate(client, done),
      authorizePublish: (client, packet, cb) => this.#authorizePublish(client, packet, cb),
      authorizeSubscribe: (client, sub, cb) => this.#authorizeSubscribe(client, sub, cb),
      authorizeForward: (client, packet) => (packet.topic.startsWith(`devices/${client.id}/`) ? packet : null),
    });
    this.server = createServer(
      {
        ...deviceListenerTls(options.tls, config['mqtt.connectTimeoutMs']),
        // PUBACKs are tiny writes: Nagle's algorithm would hold each one back for the peer's
        // delayed ACK (tens of ms), which caps every device at a few dozen messages a second.
        noDelay: true,
      },
      (socket) => this.#accept(socket),
    );
    this.server.maxConnections = config['mqtt.maxConnections'];
    this.server.on('connection', (socket: Socket) => this.#countAddress(socket));
    this.server.on('tlsClientError', (error, socket) => {
      // A client certificate that fails verification (expired, foreign CA) is dropped by Node
      // after the handshake with a bare ECONNRESET here; the reason is on the socket (a string
      // code such as CERT_HAS_EXPIRED, although @types/node says Error).
      const reason = (socket as { authorizationError?: unknown }).authorizationError;
      const code = typeof reason === 'string' ? reason : (error as { code?: string }).code;
      this.#audit('mqtt.tls-refused', 'denied', 'medium', socket.remoteAddress ?? 'unknown', undefined, code);
      // With a tlsClientError listener Node leaves closing to it: without this, a socket that
      // never starts TLS would outlive ERR_TLS_HANDSHAKE_TIMEOUT for ever (slowloris, M10).
      socket.destroy();
    });
    this.broker.on('clientError', (client, error) => this.#clientError(client, error));
    this.broker.on('connectionError', (client, error) => this.#clientError(client, error));
    this.broker.on('subscribe', (subscriptions, client) => {
      const topics = this.#subscribed.get(client) ?? new Set<string>();
      // aedes reports a filter refused by authorizeSubscribe with qos 128 (SUBACK failure).
      for (const sub of subscriptions) if ((sub.qos as number) !== 128) topics.add(sub.topic);
      this.#subscribed.set(client, topics);
    });
    this.broker.on('unsubscribe', (topics, client) => {
      for (const topic of topics) this.#subscribed.get(client)?.delete(topic);
    });
    options.devices.on('revoked', (deviceId) => {
      options.sessions.forget(deviceId);
      this.#live.get(deviceId)?.close();
    });
  }

  /** Starts listening; resolves with the bound port. */
  async listen(port: number, host: string): Promise<number> {
    await this.broker.listen();
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** Number of devices connected now. */
  get connectedDevices(): number {
    return this.#live.size;
  }

  /** Stops accepting, closes every connection and the broker. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
    // Sockets still in their TLS handshake are not aedes clients yet.
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  /** Publishes a gateway message to a device channel (QoS 1). */
  publish(deviceId: string, channel: Channel, payload: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.broker.publish({ cmd: 'publish', topic: deviceTopic(deviceId, channel), payload: Buffer.from(payload), qos: 1, retain: false, dup: false }, (error) =>
        error ? reject(error) : resolve(),
      );
    });
  }

  #countAddress(socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    const count = (this.#perAddress.get(address) ?? 0) + 1;
    if (count > this.#o.config['mqtt.maxConnectionsPerAddress']) {
      this.#audit('mqtt.connection-limit', 'denied', 'medium', address, undefined, 'ERR_MQTT_LIMIT');
      socket.destroy();
      return;
    }
    this.#perAddress.set(address, count);
    this.#sockets.add(socket);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.#perAddress.delete(address);
      else this.#perAddress.set(address, left);
    });
  }

  #accept(socket: TLSSocket): void {
    const source = socket.remoteAddress ?? 'unknown';
    const raw = socket.getPeerX509Certificate();
    const peer: PeerIdentity = { deviceId: raw === undefined ? undefined : deviceIdOf(raw), serial: raw?.serialNumber.toUpperCase() ?? '', source };
    const stream: Duplex = guardSocket(socket, this.#o.config['mqtt.maxPacketBytes'], (reason) => {
      this.#audit(
        reason === 'too-large' ? 'mqtt.packet-too-large' : 'mqtt.malformed',
        'denied',
        'medium',
        source,
        peer.deviceId,
        reason === 'too-large' ? 'ERR_MQTT_TOO_LARGE' : 'ERR_PROTOCOL_MALFORMED',
      );
    });
    this.#peers.set(stream, peer);
    this.broker.handle(stream);
  }

  #preConnect(
    client: Client,
    packet: { protocolVersion?: number; keepalive?: number; will?: unknown; username?: unknown; password?: unknown },
    cb: (error: Error | null, ok: boolean) => void,
  ): void {
    const peer = this.#peers.get(client.conn);
    // MQTT 3.1.1 only; no Will (a Will is published by the broker on a device's behalf, M8);
    // keepalive 0 would switch off liveness detection (M13); a password without a user name is
    // a protocol violation ([MQTT-3.1.2-22]) that mqtt-packet lets through (M9).
    const passwordWithoutUser = packet.password != null && packet.username == null;
    if (packet.protocolVersion !== 4 || packet.will != null || packet.keepalive === 0 || passwordWithoutUser) {
      this.#audit('mqtt.connect-refused', 'denied', 'low', peer?.source ?? 'unknown', peer?.deviceId, 'ERR_MQTT_NOT_AUTHORIZED');
      // With an error, aedes closes the connection. `cb(null, false)` would not: aedes has
      // already cleared its connect timer, so the socket would stay open without CONNACK for
      // ever, and a second CONNECT on it would then be accepted.
      cb(new GatewayError('ERR_MQTT_NOT_AUTHORIZED', 'CONNECT refused'), false);
      return;
    }
    cb(null, true);
  }

  #authenticate(client: Client, done: (error: AuthenticateError | null, ok: boolean | null) => void): void {
    const peer = this.#peers.get(client.conn);
    const source = peer?.source ?? 'unknown';
    const deny = (returnCode: number, event: string, code: GatewayErrorCode, severity: 'medium' | 'high' = 'medium'): void => {
      this.#audit(event, 'denied', severity, source, peer?.deviceId ?? 'unknown', code);
      done(refusal(returnCode, code), false);
    };
    if (peer?.deviceId === undefined) return deny(5, 'device.auth', 'ERR_DEVICE_UNKNOWN');
    // M7: the client id must be the certificate's identity, so no certificate can take over
    // another device's session.
    if (client.id !== peer.deviceId) return deny(2, 'device.auth', 'ERR_DEVICE_IDENTITY_MISMATCH', 'high');
    const status = this.#o.devices.certificateStatus(peer.deviceId, peer.serial);
    if (status === 'revoked') return deny(5, 'device.auth', 'ERR_DEVICE_REVOKED', 'high');
    if (status !== 'ok') return deny(5, 'device.auth', 'ERR_DEVICE_UNKNOWN');
    const existing = this.#live.get(peer.deviceId);
    if (existing !== undefined && !existing.closed) {
      // CTL-03: one live connection per device identity. Refused, not aedes' takeover: the
      // first connection keeps running and the duplicate is reported as a possible clone.
      return deny(2, 'device.clone-suspected', 'ERR_DEVICE_DUPLICATE_CONNECTION', 'high');
    }
    const deviceId = peer.deviceId;
    // Access that cannot be audited is not granted (full disk, F7): CONNACK 3, server unavailable.
    if (!this.#audit('device.connect', 'success', 'info', source, deviceId)) return done(refusal(3, 'ERR_STORE_FULL'), false);
    this.#live.set(deviceId, client);
    const unregister = this.#o.downlinks?.register(deviceId, { transport: 'mqtt', send: (channel, bytes) => this.#sendTo(client, channel, bytes) });
    client.conn.once('close', () => {
      unregister?.();
      if (this.#live.get(deviceId) === client) {
        this.#live.delete(deviceId);
        this.#setOnline(deviceId, false);
      }
    });
    this.#setOnline(deviceId, true);
    done(null, true);
  }

  /** The MQTT downlink of one connection: only while it is open and subscribed to the channel. */
  async #sendTo(client: Client, channel: Channel, bytes: Uint8Array): Promise<void> {
    if (client.closed || this.#live.get(client.id) !== client) throw new DeviceUnreachableError('no-link', 'the connection closed');
    if (this.#subscribed.get(client)?.has(deviceTopic(client.id, channel)) !== true) {
      throw new DeviceUnreachableError('not-subscribed', `the device is not subscribed to its ${channel} topic`);
    }
    await this.publish(client.id, channel, bytes);
  }

  /**
   * True only for the client #authenticate accepted. aedes dispatches packets that reach it in a
   * later read while their CONNECT is still being handled (lib/client.js enqueue), when client.id
   * is still null (found by the mutation run: deviceTopic(null) threw out of the subscribe hook
   * and ended the process); [MQTT-3.1.4-5] forbids processing them before authentication.
   */
  #authenticated(client: Client): boolean {
    return typeof client.id === 'string' && this.#live.get(client.id) === client;
  }

  /** Marks presence; a store that cannot take the write (F7) must not throw out of a socket callback. */
  #setOnline(deviceId: string, online: boolean): void {
    try {
      this.#o.devices.setOnline(deviceId, online);
    } catch (error) {
      this.#o.logger.error({ err: error, deviceId }, 'device presence not recorded');
    }
  }

  #authorizePublish(client: Client | null, packet: PublishPacket, cb: (error?: Error | null) => void): void {
    if (client === null) return cb(null); // the gateway's own publications
    const deviceId = client.id;
    const deny = (event: string, error: MedsimError): void => {
      this.#audit(event, 'denied', 'medium', this.#peers.get(client.conn)?.source ?? 'unknown', deviceId ?? undefined, error.code);
      cb(error);
    };
    if (!this.#authenticated(client)) return deny('mqtt.publish-denied', new GatewayError('ERR_MQTT_NOT_AUTHORIZED', 'not authenticated'));
    let channel: Channel;
    try {
      const parsed = parseDeviceTopic(packet.topic);
      if (parsed.deviceId !== deviceId || CHANNELS[parsed.channel].publisher !== 'device') throw new GatewayError('ERR_MQTT_NOT_AUTHORIZED', 'not your topic');
      channel = parsed.channel;
    } catch (error) {
      return deny('mqtt.publish-denied', error instanceof MedsimError ? error : new GatewayError('ERR_MQTT_NOT_AUTHORIZED', 'publish refused'));
    }
    if (packet.retain || packet.qos > 1) return deny('mqtt.publish-denied', new GatewayError('ERR_MQTT_NOT_AUTHORIZED', 'retain and QoS 2 are not used'));
    const inflight = (this.#inflight.get(client) ?? 0) + 1;
    if (inflight > this.#o.config['mqtt.maxInflight']) return deny('mqtt.inflight-limit', new GatewayError('ERR_MQTT_LIMIT', 'too many unacknowledged messages'));
    this.#inflight.set(client, inflight);
    const settle = (error?: unknown): void => {
      this.#inflight.set(client, (this.#inflight.get(client) ?? 1) - 1);
      if (error === undefined) {
        // Handshakes and envelopes are for the gateway alone: nothing is forwarded.
        cb(null);
        return;
      }
      const typed = error instanceof MedsimError ? error : new GatewayError('ERR_INGEST_REFUSED', 'refused');
      if (typed.code === 'ERR_STORE_FULL') {
        // F7: no PUBACK and no blame: the device keeps the reading and resends later.
        this.#audit('store.full', 'failure', 'critical', 'gateway', deviceId, typed.code);
      } else {
        this.#audit('envelope.refused', 'denied', 'high', this.#peers.get(client.conn)?.source ?? 'unknown', deviceId, typed.code);
      }
      cb(typed);
    };
    if (channel === 'session') {
      // A handshake costs the gateway public-key work and a durable write: capped per device.
      if (!this.#handshakes.take(deviceId).ok) {
        settle(new GatewayError('ERR_MQTT_LIMIT', 'too many session handshakes', { details: { perMinute: this.#o.config['mqtt.handshakesPerMinute'] } }));
        return;
      }
      try {
        const reply = this.#o.sessions.accept(packet.payload as Buffer, deviceId);
        this.publish(deviceId, 'sessionAccept', reply).then(() => settle(), settle);
      } catch (error) {
        settle(error);
      }
      return;
    }
    this.#o.ingest.envelope(deviceId, channel, packet.payload as Buffer).then(() => settle(), settle);
  }

  #authorizeSubscribe(client: Client, sub: Subscription, cb: (error: Error | null, sub?: Subscription | null) => void): void {
    if (!this.#authenticated(client)) {
      this.#audit('mqtt.subscribe-denied', 'denied', 'medium', this.#peers.get(client.conn)?.source ?? 'unknown', client.id ?? undefined, 'ERR_MQTT_NOT_AUTHORIZED');
      cb(new GatewayError('ERR_MQTT_NOT_AUTHORIZED', 'not authenticated')); // closes the connection
      return;
    }
    const own = (['sessionAccept', 'commands', 'update'] as const).some((channel) => sub.topic === deviceTopic(client.id, channel));
    if (!own) {
      this.#audit('mqtt.subscribe-denied', 'denied', 'medium', this.#peers.get(client.conn)?.source ?? 'unknown', client.id, 'ERR_MQTT_NOT_AUTHORIZED');
      cb(null, null); // SUBACK 0x80 for this filter; the connection stays (M6)
      return;
    }
    cb(null, { ...sub, qos: Math.min(sub.qos, 1) as 0 | 1 });
  }

  #clientError(client: Client | undefined, error: Error): void {
    const code = error instanceof MedsimError ? error.code : 'ERR_PROTOCOL_MALFORMED';
    // Refusals already audited where they happened; here only protocol errors of the parser.
    if (error instanceof MedsimError) return;
    const peer = client === undefined ? undefined : this.#peers.get(client.conn);
    this.#o.logger.debug({ deviceId: peer?.deviceId, err: error.message }, 'mqtt client error');
    if (/timeout|ECONNRESET|EPIPE|write after end/iu.test(error.message)) return;
    this.#audit('mqtt.malformed', 'denied', 'low', peer?.source ?? 'unknown', peer?.deviceId, code);
  }

  /**
   * Records an audit event; false, with an error log, when the audit trail cannot keep it. Most
   * calls run inside socket and aedes callbacks, where a throw (SQLITE_FULL on a full disk, F7)
   * would be an uncaught exception ending the whole gateway; denials go ahead unaudited instead,
   * and #authenticate refuses access it cannot audit.
   */
  #audit(event: string, outcome: 'success' | 'denied' | 'failure', severity: 'info' | 'low' | 'medium' | 'high' | 'critical', source: string, object?: string, code?: string): boolean {
    try {
      this.#o.audit.record({
        event,
        outcome,
        severity,
        actor: object ?? 'unknown-device',
        role: 'device',
        source,
        ...(object === undefined ? {} : { object }),
        ...(code === undefined ? {} : { code }),
      });
      return true;
    } catch (error) {
      this.#o.logger.error({ err: error, event, code, deviceId: object }, 'audit record lost');
      return false;
    }
  }
}
