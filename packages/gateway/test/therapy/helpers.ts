/**
 * A therapy test rig: a real gateway (mTLS MQTT device plane and HTTPS user plane on loopback
 * port 0, temp data directory) on a clock the test moves, HTTPS with the CA pinned, users made in
 * the store and logged in over the API, and protocol-level pumps from @medsim/testkit that
 * receive, verify and answer commands.
 */
import { CommandReceiver, DeviceClient, type DeviceCredentials } from '@medsim/testkit';
import { Agent, request as httpsRequest } from 'node:https';
import { URI, type TOTP } from 'otpauth';
import { queryAuditLog, type AuditEntry, type Gateway, type UserRole } from '../../src/index.js';
import { LogCapture, TestClock, enrolDevice, startGateway } from '../fixtures.js';

/** An HTTP answer. */
export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A user made for a test. */
export interface RigUser {
  readonly id: string;
  readonly username: string;
  readonly password: string;
  readonly role: UserRole;
  readonly totp?: TOTP;
}

/** A connected pump: its MQTT client (with a session) and its command receiver. */
export interface Pump {
  readonly credentials: DeviceCredentials;
  readonly client: DeviceClient;
  readonly receiver: CommandReceiver;
}

let counter = 0;

/** One HTTPS request to a gateway's user plane (CA pinned), JSON in and out. */
export function requestJson(gateway: Gateway, method: string, path: string, init: { token?: string; body?: unknown; agent?: Agent } = {}): Promise<Answer> {
  const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
  const headers: Record<string, string> = {
    ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
    ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
  };
  const agent = init.agent ?? new Agent({ ca: gateway.context.tls.caPem, keepAlive: false });
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: gateway.addresses.httpPort, method, path, headers, agent }, (res) => {
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
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** A bolus of `milliunits` now, as a request body. */
export const bolus = (amountMilliunits: number): { action: { kind: 'insulin-bolus'; amountMilliunits: number } } => ({ action: { kind: 'insulin-bolus', amountMilliunits } });

/** A running gateway and helpers around it. */
export class TherapyRig {
  readonly agent: Agent;
  readonly #clients: DeviceClient[] = [];

  private constructor(
    readonly gateway: Gateway,
    readonly clock: TestClock,
    /** Everything the gateway logged (debug level), for canary searches. */
    readonly log: LogCapture,
  ) {
    this.agent = new Agent({ ca: gateway.context.tls.caPem, keepAlive: true });
  }

  /** Starts a gateway (limits high, scrypt cheap) with config overrides. */
  static async start(overrides: Record<string, unknown> = {}): Promise<TherapyRig> {
    const clock = new TestClock();
    const log = new LogCapture();
    const gateway = await startGateway({
      now: clock.now,
      log,
      overrides: { 'http.requestsPerMinute': 1_000_000, 'auth.loginsPerMinute': 100_000, 'auth.accessTokenTtlS': 3600, 'auth.idleTimeoutS': 3600, ...overrides },
    });
    return new TherapyRig(gateway, clock, log);
  }

  /** Disconnects the devices, stops the gateway. */
  async close(): Promise<void> {
    for (const client of this.#clients.splice(0)) await client.close().catch(() => undefined);
    this.agent.destroy();
    await this.gateway.close();
  }

  /** One HTTPS request with a JSON body. */
  request(method: string, path: string, init: { token?: string; body?: unknown } = {}): Promise<Answer> {
    return requestJson(this.gateway, method, path, { ...init, agent: this.agent });
  }

  /** A patient record; returns its id. */
  patient(displayName = 'Ann Lee'): string {
    return this.gateway.users.createPatient(displayName).id;
  }

  /** A user in the store (TOTP enrolled when the role needs it under this gateway's settings). */
  async user(role: UserRole, options: { patientId?: string; careTeam?: readonly string[] } = {}): Promise<RigUser> {
    counter += 1;
    const username = `${role}-therapy-${counter}`;
    const password = `Correct-horse-${counter}-battery-staple`;
    const patientId = role === 'patient' ? (options.patientId ?? this.patient(`Patient ${counter}`)) : undefined;
    const created = await this.gateway.users.createUser({ username, role, password, ...(patientId === undefined ? {} : { patientId }) });
    for (const patient of options.careTeam ?? []) this.gateway.users.assignCareTeam(created.id, patient, 'test');
    const totp = created.totpUri === undefined ? undefined : (URI.parse(created.totpUri) as TOTP);
    return { id: created.id, username, password, role, ...(totp === undefined ? {} : { totp }) };
  }

  /** The user's TOTP code in a fresh 30 s step (the clock moves on). */
  freshCode(user: RigUser): string {
    this.clock.advance(30_000);
    return user.totp!.generate({ timestamp: this.clock.nowMs });
  }

  /** Logs in over HTTPS (both steps for MFA users); returns the access token. */
  async login(user: RigUser): Promise<string> {
    const first = await this.request('POST', '/v1/session/login', { body: { username: user.username, password: user.password } });
    if (first.status !== 200) throw new Error(`login ${first.status} ${JSON.stringify(first.body)}`);
    if (first.body['mfaRequired'] !== true) return first.body['accessToken'] as string;
    const second = await this.request('POST', '/v1/session/mfa', { body: { challenge: first.body['challenge'], code: this.freshCode(user) } });
    if (second.status !== 200) throw new Error(`mfa ${second.status} ${JSON.stringify(second.body)}`);
    return second.body['accessToken'] as string;
  }

  /** Enrols a device for `patientId` (model insulin-pump unless told). */
  enrol(deviceId: string, patientId: string | null, model = 'insulin-pump'): Promise<DeviceCredentials> {
    return enrolDevice(this.gateway, deviceId, model, patientId);
  }

  /** Connects an enrolled pump's MQTT client only (no session, no subscription unless asked). */
  async connectClient(credentials: DeviceCredentials, options: { session?: boolean } = {}): Promise<DeviceClient> {
    const client = await DeviceClient.connect(credentials, { host: '127.0.0.1', port: this.gateway.addresses.mqttPort, timeoutMs: 5_000, now: this.clock.now });
    this.#clients.push(client);
    if (options.session === true) await client.openSession();
    return client;
  }

  /** Connects an enrolled pump, opens its session and subscribes to its commands. */
  async connect(credentials: DeviceCredentials): Promise<Pump> {
    const client = await this.connectClient(credentials, { session: true });
    return { credentials, client, receiver: await CommandReceiver.subscribe(client) };
  }

  /** Orders and confirms (password step-up); returns both answers. */
  async orderAndConfirm(token: string, user: RigUser, deviceId: string, body: unknown): Promise<{ order: Answer; confirm: Answer }> {
    const order = await this.request('POST', `/v1/devices/${deviceId}/therapy-commands`, { token, body });
    if (order.status !== 201) throw new Error(`order ${order.status} ${JSON.stringify(order.body)}`);
    const confirm = await this.request('POST', `/v1/therapy-commands/${String(order.body['commandId'])}/confirm`, { token, body: { password: user.password } });
    return { order, confirm };
  }

  /** Every audit entry so far. */
  audit(): AuditEntry[] {
    return queryAuditLog(this.gateway.context.db, { limit: 1000 });
  }

  /** Audit entries about one command (their object starts with its id). */
  auditOf(commandId: string): AuditEntry[] {
    return this.audit().filter((e) => e.object?.startsWith(`therapy-command/${commandId};`) === true);
  }
}
