/**
 * A real user plane for tests: temp data dir, SQLite store, data key, audit chain, Ed25519 token
 * key, local CA and server certificate, a firmware service (repository under the data dir, its
 * own director key), listening on 127.0.0.1 port 0 over TLS, with a clock the test moves and a
 * logger whose output the test can read. HTTP goes through node:https with the CA pinned;
 * WebSockets through `ws` with the CA pinned.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { Identity } from '@medsim/crypto';
import { AuditStream, createLogger } from '@medsim/logging';
import type { FastifyInstance } from 'fastify';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { URI, type TOTP } from 'otpauth';
import { WebSocket } from 'ws';
import { AuditLog, queryAuditLog, type AuditEntry } from '../../src/audit/audit-log.js';
import { loadConfig } from '../../src/config/config.js';
import type { GatewayContext } from '../../src/context.js';
import { DeviceRegistry } from '../../src/devices/device-registry.js';
import { FirmwareService } from '../../src/firmware/firmware-service.js';
import { LocalCa } from '../../src/pki/local-ca.js';
import { DataKey } from '../../src/store/at-rest.js';
import { openDatabase } from '../../src/store/database.js';
import { ReadingFeed, ReadingStore } from '../../src/store/readings.js';
import { createUserPlane, type UserPlaneOptions } from '../../src/user-plane/server.js';
import type { UserRole } from '../../src/users/roles.js';
import { UserStore } from '../../src/users/user-store.js';
import { LogCapture } from '../fixtures.js';

/** A clock tests move by hand. */
export class TestClock {
  constructor(public nowMs = Date.UTC(2026, 10, 28, 12, 0, 0)) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** Collects what a logger writes (the shared one of the gateway's tests). */
export { LogCapture as Capture };

/** An HTTP answer. */
export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly body: Record<string, unknown>;
}

/** A user made for a test, with its password and (for MFA roles) its authenticator. */
export interface TestUser {
  readonly id: string;
  readonly username: string;
  readonly password: string;
  readonly role: UserRole;
  readonly totp?: TOTP;
}

/** Tokens as the login routes answer them. */
export interface Tokens {
  readonly accessToken: string;
  readonly refreshToken: string;
}

/** A CA and server certificate, shared by the gateways of one test file (50 ms each to make). */
const pki = await (async () => {
  const { ca } = await LocalCa.create();
  const server = await ca.issueServer({ dns: ['localhost'], ip: ['127.0.0.1'] });
  return { ca, tls: { caPem: ca.certPem, certPem: server.certPem, keyPem: server.keyPem } };
})();
const gatewayIdentity = (await Identity.generate()).publicJwks();
const commandSigner = (await Identity.generate()).public.signing.jwk;
/** The firmware director key (bootstrap.ts makes one per gateway; devices get its public half at enrolment). */
const directorKey = await Identity.generate();

let userCounter = 0;

/** A running user plane and helpers to talk to it. */
export class Harness {
  readonly agent: Agent;
  readonly origin: string;

  private constructor(
    readonly ctx: GatewayContext,
    readonly users: UserStore,
    readonly app: FastifyInstance,
    readonly clock: TestClock,
    readonly logs: LogCapture,
    readonly dir: string,
    readonly port: number,
  ) {
    this.agent = new Agent({ ca: ctx.tls.caPem, keepAlive: true, maxSockets: 32 });
    this.origin = `https://127.0.0.1:${port}`;
  }

  /** Starts a user plane with config overrides (rate limits high and scrypt cheap unless overridden). */
  static async start(config: Record<string, unknown> = {}, options: UserPlaneOptions = {}): Promise<Harness> {
    const dir = mkdtempSync(join(tmpdir(), 'medsim-user-plane-'));
    const db = openDatabase(join(dir, 'gateway.db'));
    const dataKey = new DataKey(DataKey.generate());
    const logs = new LogCapture();
    const logger = createLogger({ destination: logs, level: 'debug' });
    const clock = new TestClock();
    const audit = new AuditStream(logger, clock.now);
    audit.addSink(new AuditLog(db));
    const keys = generateKeyPairSync('ed25519');
    const settings = loadConfig({
      overrides: { 'auth.scryptCost': 2 ** 14, 'http.requestsPerMinute': 1_000_000, 'auth.loginsPerMinute': 100_000, ...config },
    });
    const devices = new DeviceRegistry({
      db,
      ca: pki.ca,
      audit,
      gatewayIdentity,
      commandSigner,
      directorKey: directorKey.public.signing.jwk,
      now: clock.now,
      tokenTtlMs: settings['enrolment.tokenTtlS'] * 1000,
      certificateDays: settings['enrolment.certificateDays'],
    });
    const ctx: GatewayContext = {
      config: settings,
      db,
      dataKey,
      audit,
      logger,
      now: clock.now,
      tokenKey: { kid: 'test-token-key-1', privateKey: keys.privateKey, publicKey: keys.publicKey },
      tls: pki.tls,
      devices,
      readings: new ReadingStore(db, dataKey),
      feed: new ReadingFeed(),
    };
    const users = UserStore.fromContext(ctx);
    const firmware = new FirmwareService({ ctx, users, dir: join(dir, 'firmware'), directorKey });
    const app = await createUserPlane(ctx, { users, firmware }, options);
    await app.listen({ host: '127.0.0.1', port: 0 });
    return new Harness(ctx, users, app, clock, logs, dir, (app.server.address() as AddressInfo).port);
  }

  /** Stops the app and removes the data dir. */
  async close(): Promise<void> {
    this.agent.destroy();
    await this.app.close();
    this.ctx.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** One HTTPS request. `body` is sent as JSON unless `raw` is given. */
  request(
    method: string,
    path: string,
    init: { token?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string>; fresh?: boolean } = {},
  ): Promise<Answer> {
    const payload = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
    const headers: Record<string, string> = {
      ...(payload === undefined || init.raw !== undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
      ...init.headers,
    };
    return new Promise((resolve, reject) => {
      const agent = init.fresh === true ? new Agent({ ca: this.ctx.tls.caPem, keepAlive: false }) : this.agent;
      const req = httpsRequest({ host: '127.0.0.1', port: this.port, method, path, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Record<string, unknown>;
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {
            body = {};
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** Creates a user directly in the store (as the bootstrap or an admin would). */
  async createUser(role: UserRole, options: { patientId?: string; username?: string } = {}): Promise<TestUser> {
    userCounter += 1;
    const username = options.username ?? `${role}-${userCounter}`;
    const password = `Tr0ub4dor&3-horse-${userCounter}-battery`;
    const patientId = role === 'patient' ? (options.patientId ?? this.users.createPatient(`Patient of ${username}`).id) : undefined;
    const created = await this.users.createUser({ username, role, password, ...(patientId === undefined ? {} : { patientId }) });
    const totp = created.totpUri === undefined ? undefined : (URI.parse(created.totpUri) as TOTP);
    return { id: created.id, username, password, role, ...(totp === undefined ? {} : { totp }) };
  }

  /** The current TOTP code of a user, after moving the clock to a fresh 30 s step. */
  freshCode(user: TestUser): string {
    this.clock.advance(30_000);
    return user.totp!.generate({ timestamp: this.clock.nowMs });
  }

  /** Logs in over HTTPS (both steps for MFA users); fails the test on anything but tokens. */
  async login(user: TestUser): Promise<Tokens> {
    const first = await this.request('POST', '/v1/session/login', { body: { username: user.username, password: user.password } });
    if (first.status !== 200) throw new Error(`login ${first.status} ${first.text}`);
    if (first.body['mfaRequired'] !== true) return first.body as unknown as Tokens;
    const second = await this.request('POST', '/v1/session/mfa', { body: { challenge: first.body['challenge'], code: this.freshCode(user) } });
    if (second.status !== 200) throw new Error(`mfa ${second.status} ${second.text}`);
    return second.body as unknown as Tokens;
  }

  /** Opens a WebSocket to the live stream (resolves when open; rejects on a refused upgrade). */
  openStream(options: { origin?: string | null; path?: string; protocol?: 'wss' | 'ws' } = {}): Promise<WebSocket> {
    const origin = options.origin === undefined ? this.origin : options.origin;
    const socket = new WebSocket(`${options.protocol ?? 'wss'}://127.0.0.1:${this.port}${options.path ?? '/v1/stream'}`, {
      ca: this.ctx.tls.caPem,
      ...(origin === null ? {} : { origin }),
    });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  /** Every audit entry so far. */
  audit(): AuditEntry[] {
    return queryAuditLog(this.ctx.db, { limit: 1000 });
  }
}

/** What a device sends to POST /v1/devices/enrol (a fresh P-256 CSR and identity). */
export async function enrolmentRequest(token: string, deviceId: string): Promise<{ token: string; deviceId: string; csrPem: string; identity: ReturnType<Identity['publicJwks']> }> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${deviceId}`, keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } });
  return { token, deviceId, csrPem: csr.toString('pem'), identity: (await Identity.generate()).publicJwks() };
}

/** Enrols a device of `model` straight through the registry (for tests that need one to exist). */
export async function enrolDevice(h: Harness, deviceId: string, patientId: string | null = null, model = 'pulse-oximeter'): Promise<void> {
  const { token } = h.ctx.devices.createEnrolmentToken({ deviceId, model, patientId, createdBy: 'test' });
  await h.ctx.devices.enrol({ ...(await enrolmentRequest(token, deviceId)), source: 'test' });
}

/** Messages a WebSocket receives, and its close. */
export class StreamClient {
  readonly messages: Record<string, unknown>[] = [];
  readonly closed: Promise<{ code: number; reason: string; at: number }>;
  #waiters: (() => void)[] = [];

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      this.messages.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8'), at: performance.now() })));
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  /** The first message (from now on, or already received) matching `predicate`. */
  async next(predicate: (m: Record<string, unknown>) => boolean, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no matching message; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }
}
