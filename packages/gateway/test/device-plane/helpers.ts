/**
 * Helpers of the device-plane attack, fault and limit tests: raw TLS sockets holding device
 * certificates, a raw MQTT session over them (mqtt-packet, so hostile bytes reach the broker
 * exactly as written), certificates the gateway must refuse, and a seeded PRNG (CONVENTIONS 9:
 * no Math.random).
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import type { DeviceCredentials } from '@medsim/testkit';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { generate, parser, type IConnectPacket, type Packet } from 'mqtt-packet';
import { X509Certificate, createPrivateKey, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { DATA_FILES, deviceUri, type Gateway } from '../../src/index.js';
import { startGateway } from '../fixtures.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** mulberry32: a small seeded PRNG (not for secrets; for reproducible hostile inputs). */
export class Prng {
  #state: number;
  readonly seed: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.#state = this.seed;
  }

  /** An unsigned 32-bit integer. */
  uint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** n pseudo-random bytes. */
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n + 3);
    for (let i = 0; i < n; i += 4) out.writeUInt32LE(this.uint32(), i);
    return out.subarray(0, n);
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** TLS client options of an enrolled device (its own key and certificate, trusting the gateway CA). */
export function deviceTls(credentials: DeviceCredentials): ConnectionOptions {
  return {
    key: credentials.tlsKeyPem,
    cert: credentials.enrolment.certificatePem,
    ca: credentials.enrolment.caCertificatePem,
    servername: 'localhost',
  };
}

/** A CONNECT packet as a well-behaved medsim device sends it (MQTT 3.1.1, clean, keepalive 30 s). */
export function connectPacket(clientId: string, extra: Partial<IConnectPacket> = {}): IConnectPacket {
  return { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId, ...extra };
}

/**
 * One raw MQTT connection (TLS, or plain TCP for the no-plaintext-listener check): writes bytes
 * exactly as given and records every packet and byte the gateway sends back.
 */
export class RawMqtt {
  readonly socket: TLSSocket | Socket;
  /** Packets parsed from what the gateway sent. */
  readonly packets: Packet[] = [];
  /** Bytes the gateway sent. */
  bytesReceived = 0;
  /** Bytes the gateway's socket accepted from us before it closed. */
  bytesWritten = 0;
  /** Set when the socket failed (TLS alert, reset). */
  error: Error | undefined;
  /** Time the socket closed (performance.now()), undefined while open. */
  closedAt: number | undefined;
  /** Time the TLS handshake completed, undefined before (or for plain TCP). */
  secureAt: number | undefined;
  readonly openedAt = performance.now();
  readonly #closed: Promise<void>;
  readonly #listeners = new Set<() => void>();

  private constructor(socket: TLSSocket | Socket) {
    this.socket = socket;
    const parse = parser({ protocolVersion: 4 });
    parse.on('packet', (packet: Packet) => {
      this.packets.push(packet);
      this.#notify();
    });
    parse.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      this.bytesReceived += chunk.length;
      parse.parse(chunk);
    });
    socket.on('error', (error) => {
      this.error ??= error;
    });
    socket.on('secureConnect', () => {
      this.secureAt = performance.now();
    });
    this.#closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedAt = performance.now();
        resolve();
        this.#notify();
      }),
    );
  }

  /** Opens a TLS connection to the device plane (writes are queued until the handshake completes). */
  static tls(port: number, options: ConnectionOptions): RawMqtt {
    return new RawMqtt(tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ...options }));
  }

  /** Opens a plain TCP connection (no TLS at all). */
  static plain(port: number): RawMqtt {
    return new RawMqtt(netConnect({ host: '127.0.0.1', port }));
  }

  /** Opens a TLS connection with a device's credentials, sends CONNECT and waits for CONNACK. */
  static async session(port: number, credentials: DeviceCredentials, connect: Partial<IConnectPacket> = {}, tls: ConnectionOptions = {}): Promise<RawMqtt> {
    const raw = RawMqtt.tls(port, { ...deviceTls(credentials), ...tls });
    raw.send(connectPacket(credentials.deviceId, connect));
    const connack = await raw.next('connack', 5_000);
    if (connack === undefined || (connack as { returnCode?: number }).returnCode !== 0) {
      raw.destroy();
      throw new Error(`no CONNACK 0 for ${credentials.deviceId}: ${JSON.stringify(connack)} ${raw.error?.message ?? ''}`);
    }
    return raw;
  }

  get closed(): boolean {
    return this.closedAt !== undefined;
  }

  /** Writes a packet (generated by mqtt-packet) or raw bytes; never throws. */
  send(packet: Packet | Uint8Array): void {
    const bytes = packet instanceof Uint8Array ? packet : generate(packet);
    if (this.socket.destroyed) return;
    this.socket.write(bytes, (error) => {
      if (error === null || error === undefined) this.bytesWritten += bytes.length;
    });
  }

  /** The first packet of `cmd` received (waiting up to timeoutMs); undefined if none came. */
  async next(cmd: Packet['cmd'], timeoutMs: number, after = 0): Promise<Packet | undefined> {
    const find = (): Packet | undefined => this.packets.slice(after).find((p) => p.cmd === cmd);
    return this.#until(() => find() !== undefined || this.closed, timeoutMs).then(find);
  }

  /** Resolves true once the socket is closed, false if it is still open after timeoutMs. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    await Promise.race([this.#closed, new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }

  #until(predicate: () => boolean, timeoutMs: number): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(check);
        resolve();
      };
      const check = (): void => {
        if (predicate()) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#listeners.add(check);
    });
  }
}

/** How an mqtt.js connection attempt ended. */
export interface Attempt {
  readonly connected: boolean;
  /** CONNACK return code of a refusal (mqtt.js `error.code`), when there was one. */
  readonly returnCode?: number;
  /** Error message or code (TLS alert, reset, timeout). */
  readonly error?: string;
  /** The client, still open if connected (the caller ends it). */
  readonly client: MqttClient;
}

/** Tries an mqtt.js connection (reconnectPeriod 0); never rejects. */
export function attemptConnect(port: number, options: IClientOptions, timeoutMs = 5_000): Promise<Attempt> {
  const client = mqtt.connect({
    protocol: 'mqtts',
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
    keepalive: 30,
    ...options,
  });
  return new Promise((resolve) => {
    let error: string | undefined;
    let returnCode: number | undefined;
    const finish = (connected: boolean): void => {
      clearTimeout(timer);
      client.removeAllListeners('connect');
      if (!connected) client.end(true);
      resolve({ connected, client, ...(returnCode === undefined ? {} : { returnCode }), ...(error === undefined ? {} : { error }) });
    };
    const timer = setTimeout(() => {
      error ??= 'timeout';
      finish(false);
    }, timeoutMs + 1_000);
    client.once('connect', () => finish(true));
    client.on('error', (e: Error & { code?: unknown }) => {
      if (typeof e.code === 'number') returnCode = e.code;
      error ??= typeof e.code === 'string' ? `${e.code}: ${e.message}` : e.message;
    });
    client.once('close', () => finish(false));
  });
}

/** mqtt.js options of an enrolled device (client id = device id unless overridden). */
export function deviceMqttOptions(credentials: DeviceCredentials, extra: IClientOptions = {}): IClientOptions {
  return {
    clientId: credentials.deviceId,
    key: credentials.tlsKeyPem,
    cert: credentials.enrolment.certificatePem,
    ca: credentials.enrolment.caCertificatePem,
    clean: true,
    ...extra,
  };
}

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/**
 * Issues a device certificate with the gateway's own CA key (read from the data directory), with
 * the validity and serial the test chooses: the way to make an expired certificate that is
 * otherwise exactly the enrolled one.
 */
export async function issueFromGatewayCa(
  gateway: Gateway,
  input: { csrPem: string; deviceId: string; serialHex: string; notBefore: Date; notAfter: Date },
): Promise<string> {
  const dir = gateway.state.dataDir;
  const caCert = new x509.X509Certificate(readFileSync(dir.file(DATA_FILES.caCert), 'utf8'));
  const der = createPrivateKey(readFileSync(dir.file(DATA_FILES.caKey), 'utf8')).export({ format: 'der', type: 'pkcs8' });
  const signingKey = await webcrypto.subtle.importKey('pkcs8', der, EC, false, ['sign']);
  const csr = new x509.Pkcs10CertificateRequest(input.csrPem);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: input.serialHex.toLowerCase(),
    subject: `CN=${input.deviceId}`,
    issuer: caCert.subject,
    notBefore: input.notBefore,
    notAfter: input.notAfter,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    publicKey: csr.publicKey,
    signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.2'], false),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: deviceUri(input.deviceId) }]),
    ],
  });
  return cert.toString('pem');
}

/** The serial number of a PEM certificate, upper-case hex (as the registry stores it). */
export function serialOf(certPem: string): string {
  return new X509Certificate(certPem).serialNumber.toUpperCase();
}

setFlagsFromString('--expose-gc');
/** A full garbage collection (V8's gc, exposed at run time: tests are not started with --expose-gc). */
const collectGarbage = runInNewContext('gc') as () => void;

/** Resident set size in bytes, measured after a full garbage collection. */
export function rss(): number {
  collectGarbage();
  return process.memoryUsage.rss();
}

/** Heap and off-heap bytes in use after a full garbage collection (what a leak would grow). */
export function liveBytes(): number {
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/** Sleeps. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** MQTT variable byte integer (MQTT 3.1.1 §2.2.3). */
export function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

const u16 = (n: number): Buffer => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const str = (b: Buffer): Buffer => Buffer.concat([u16(b.length), b]);

/** A PUBLISH built by hand, so that the topic can hold any bytes (invalid UTF-8, U+0000). */
export function publishBytes(topic: Buffer | string, payload: Uint8Array, options: { qos?: 0 | 1 | 2 | 3; retain?: boolean; dup?: boolean; messageId?: number } = {}): Buffer {
  const qos = options.qos ?? 1;
  const body = Buffer.concat([str(Buffer.from(topic)), qos > 0 ? u16(options.messageId ?? 1) : Buffer.alloc(0), Buffer.from(payload)]);
  const header = 0x30 | (options.dup === true ? 0x08 : 0) | (qos << 1) | (options.retain === true ? 1 : 0);
  return Buffer.concat([Buffer.of(header), varint(body.length), body]);
}

/** A CONNECT built by hand: any combination of flags and fields, also ones mqtt-packet refuses to generate. */
export function connectBytes(fields: {
  clientId: string;
  username?: Buffer | string;
  password?: Buffer | string;
  clean?: boolean;
  keepalive?: number;
  protocolName?: string;
  level?: number;
  /** Flags byte to send instead of the one the fields imply. */
  flags?: number;
}): Buffer {
  const hasUser = fields.username !== undefined;
  const hasPass = fields.password !== undefined;
  const flags = fields.flags ?? ((hasUser ? 0x80 : 0) | (hasPass ? 0x40 : 0) | (fields.clean === false ? 0 : 0x02));
  const body = Buffer.concat([
    str(Buffer.from(fields.protocolName ?? 'MQTT')),
    Buffer.of(fields.level ?? 4, flags),
    u16(fields.keepalive ?? 30),
    str(Buffer.from(fields.clientId)),
    hasUser ? str(Buffer.from(fields.username!)) : Buffer.alloc(0),
    hasPass ? str(Buffer.from(fields.password!)) : Buffer.alloc(0),
  ]);
  return Buffer.concat([Buffer.of(0x10), varint(body.length), body]);
}

/** Anything a test opens against the gateway: closed after each test. */
export type Closable = RawMqtt | MqttClient | { readonly credentials: DeviceCredentials; close(): Promise<void> };

/**
 * The gateways and clients of one test file, closed after each test (registers the afterEach):
 * `started()` starts a gateway with config overrides, `track()` adds clients to close.
 */
export function perTestResources(afterEach: (fn: () => Promise<void>) => void): {
  started: (overrides?: Record<string, unknown>) => Promise<Gateway>;
  track: (...items: Closable[]) => void;
} {
  const gateways: Gateway[] = [];
  const clients: Closable[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) {
      if (c instanceof RawMqtt) c.destroy();
      else if ('credentials' in c) await c.close().catch(() => undefined);
      else c.end(true);
    }
    await Promise.all(gateways.splice(0).map((g) => g.close()));
  });
  return {
    started: async (overrides = {}) => {
      const gateway = await startGateway({ overrides });
      gateways.push(gateway);
      return gateway;
    },
    track: (...items) => clients.push(...items),
  };
}
