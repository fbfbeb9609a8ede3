/**
 * The fleet's control surface for test harnesses: a local JSON-over-HTTP endpoint, authenticated by a
 * bearer token (32 random bytes, shown once), bound to loopback by default. It can start and stop
 * devices, power-cycle them, inject anomalies, network outages and clock skew, read device state,
 * and follow the fleet's events as JSON lines (GET /v1/events). Plain HTTP on loopback only: it
 * controls a simulation, never a patient, and carries no PHI (states and counters, no readings).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MedsimError } from '@medsim/protocol';
import { ControlInternalError, ControlInvalidError, ControlLimitError, ControlNotFoundError, ControlTooLargeError, ControlUnauthorizedError, FleetControlError } from '../errors.js';
import { ANOMALY_KINDS, type AnomalyKind } from '../physiology/anomalies.js';
import type { Fleet, FleetEvent } from './fleet.js';

/** Largest request body, bytes (every control request is a few fields). */
export const CONTROL_MAX_BODY_BYTES = 4096;
/** Most concurrent event followers. */
export const CONTROL_MAX_FOLLOWERS = 16;

/** Options of the control server. */
export interface ControlServerOptions {
  readonly fleet: Fleet;
  /** The bearer token; a fresh random one by default. */
  readonly token?: string;
}

/** The control endpoint of a fleet. */
export class FleetControlServer {
  readonly token: string;
  readonly #fleet: Fleet;
  readonly #server: Server;
  readonly #followers = new Set<ServerResponse>();
  readonly #onEvent = (event: FleetEvent): void => {
    const line = `${JSON.stringify(event)}\n`;
    for (const res of this.#followers) res.write(line);
  };

  constructor(options: ControlServerOptions) {
    this.#fleet = options.fleet;
    this.token = options.token ?? randomBytes(32).toString('base64url');
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => this.#fail(res, error));
    });
    this.#server.requestTimeout = 10_000;
    this.#server.headersTimeout = 5_000;
    this.#fleet.on('event', this.#onEvent);
  }

  /** Listens (loopback, port 0 by default); resolves with the port. */
  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve());
    });
    return (this.#server.address() as AddressInfo).port;
  }

  /** Closes the endpoint and every event follower. */
  async close(): Promise<void> {
    this.#fleet.off('event', this.#onEvent);
    for (const res of this.#followers) res.end();
    this.#followers.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const auth = req.headers.authorization ?? '';
    const given = Buffer.from(auth.startsWith('Bearer ') ? auth.slice(7) : '');
    const expected = Buffer.from(this.token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new ControlUnauthorizedError('a valid bearer token is required');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean);
    const body = req.method === 'POST' ? await readJson(req) : {};
    const fleet = this.#fleet;
    const route = `${req.method} /${parts.map((p, i) => (i === 2 && parts[1] !== 'events' ? ':id' : p)).join('/')}`;
    switch (route) {
      case 'GET /v1/devices':
        return send(res, 200, { devices: fleet.views() });
      case 'GET /v1/devices/:id':
        return send(res, 200, fleet.view(parts[2]!));
      case 'POST /v1/devices/:id/start':
        await fleet.startDevice(parts[2]!);
        return send(res, 200, fleet.view(parts[2]!));
      case 'POST /v1/devices/:id/stop':
        await fleet.stopDevice(parts[2]!);
        return send(res, 200, fleet.view(parts[2]!));
      case 'POST /v1/devices/:id/power-cycle':
        await fleet.powerCycle(parts[2]!);
        return send(res, 200, fleet.view(parts[2]!));
      case 'POST /v1/devices/:id/anomalies': {
        const kind = body['kind'];
        const durationMs = body['durationMs'];
        const severity = body['severity'] ?? 1;
        if (typeof kind !== 'string' || !(ANOMALY_KINDS as readonly string[]).includes(kind)) throw new ControlInvalidError(`kind must be one of ${ANOMALY_KINDS.join(', ')}`);
        if (typeof durationMs !== 'number' || !(durationMs >= 1_000 && durationMs <= 86_400_000)) throw new ControlInvalidError('durationMs must be 1,000 to 86,400,000 (1 s to 1 day)');
        if (typeof severity !== 'number' || !(severity >= 0 && severity <= 1)) throw new ControlInvalidError('severity must be 0 to 1');
        fleet.injectAnomaly(parts[2]!, { kind: kind as AnomalyKind, durationMs, severity });
        return send(res, 202, { accepted: true });
      }
      case 'POST /v1/devices/:id/clear-safe-mode': {
        const source = body['source'] ?? 'device-button';
        if (source !== 'device-button' && source !== 'clinic-programmer') throw new ControlInvalidError('source must be device-button or clinic-programmer');
        fleet.clearSafeMode(parts[2]!, source);
        return send(res, 200, fleet.view(parts[2]!));
      }
      case 'POST /v1/devices/:id/clock-skew': {
        const ms = body['ms'];
        if (typeof ms !== 'number' || !Number.isFinite(ms) || Math.abs(ms) > 366 * 86_400_000) throw new ControlInvalidError('ms must be a number of milliseconds within a year');
        fleet.skewClock(parts[2]!, ms);
        return send(res, 200, fleet.view(parts[2]!));
      }
      case 'POST /v1/networks/:id/outage': {
        const durationMs = body['durationMs'];
        const mode = body['mode'] ?? 'reset';
        if (typeof durationMs !== 'number' || !(durationMs > 0 && durationMs <= 3_600_000)) throw new ControlInvalidError('durationMs must be 1 to 3,600,000');
        if (mode !== 'blackhole' && mode !== 'reset' && mode !== 'refuse') throw new ControlInvalidError('mode must be blackhole, reset or refuse');
        fleet.networkOutage(parts[2]!, { durationMs, mode });
        return send(res, 202, { accepted: true });
      }
      case 'GET /v1/events': {
        if (this.#followers.size >= CONTROL_MAX_FOLLOWERS) throw new ControlLimitError(`at most ${CONTROL_MAX_FOLLOWERS} event followers`);
        res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
        this.#followers.add(res);
        req.once('close', () => this.#followers.delete(res));
        return;
      }
      default:
        throw new ControlNotFoundError(`no route ${req.method} ${url.pathname}`);
    }
  }

  #fail(res: ServerResponse, error: unknown): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    if (error instanceof FleetControlError) return send(res, error.status, { error: { code: error.code, message: error.message } });
    if (error instanceof MedsimError) {
      const status = error.code === 'ERR_FLEET_UNKNOWN_DEVICE' ? 404 : 400;
      return send(res, status, { error: { code: error.code, message: error.message } });
    }
    const internal = new ControlInternalError('internal error');
    send(res, internal.status, { error: { code: internal.code, message: internal.message } });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > CONTROL_MAX_BODY_BYTES) throw new ControlTooLargeError(`body larger than ${CONTROL_MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new ControlInvalidError('body is not a JSON object');
  }
}
