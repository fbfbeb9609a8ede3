/**
 * The gateway's HTTPS API as `medsim firmware` uses it: a user session (password, then a TOTP code:
 * technicians and admins always have a second factor), JSON calls, an upload written in 1 MiB
 * pieces so a large release shows its progress, and fresh TOTP codes for the step-up decisions.
 * The gateway's CA is pinned (--ca); the host name or address is checked against the server
 * certificate as usual. Every call has a deadline and every answer a size cap.
 */
import { request } from 'node:https';
import { UsageError } from '../commands/usage-error.js';
import { CommandError } from './command-error.js';
import type { TotpCodes } from './totp-codes.js';

/** Limits of one call. */
export const API_LIMITS = {
  /** No byte moving for this long ends the call, ms. */
  idleTimeoutMs: 60_000,
  /** Largest answer read, bytes (a release list with thousands of entries fits). */
  maxAnswerBytes: 16 * 1024 * 1024,
  /** Bytes written between two progress ticks of an upload. */
  uploadPieceBytes: 1024 * 1024,
} as const;

/** Where the API listens and the CA its certificate chains to. */
export interface ApiEndpoint {
  readonly host: string;
  readonly port: number;
  readonly caPem: string;
}

/** Parses `HOST:PORT` (an IPv6 address in brackets). */
export function parseHostPort(value: string, flag: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  const port = Number(value.slice(at + 1));
  const host = value.slice(0, Math.max(0, at)).replace(/^\[(.*)\]$/u, '$1');
  if (host === '' || !/^\d{1,5}$/u.test(value.slice(at + 1)) || port < 1 || port > 65535) throw new UsageError(`${flag} must be HOST:PORT`);
  return { host, port };
}

/** One HTTPS exchange; `onPiece` is called after each uploaded piece. */
function exchange(endpoint: ApiEndpoint, method: string, path: string, body: Buffer | undefined, token: string | undefined, onPiece?: () => void): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: endpoint.host,
        port: endpoint.port,
        ca: endpoint.caPem,
        method,
        path,
        timeout: API_LIMITS.idleTimeoutMs,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': body.length }),
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > API_LIMITS.maxAnswerBytes) req.destroy(new CommandError(`the gateway's answer to ${method} ${path} exceeds ${API_LIMITS.maxAnswerBytes} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            parsed = text.slice(0, 200);
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new CommandError(`${method} ${path}: no answer from ${endpoint.host}:${endpoint.port} within ${API_LIMITS.idleTimeoutMs / 1000} s`)));
    req.on('error', (error) => reject(error instanceof CommandError ? error : new CommandError(`${method} ${path} at ${endpoint.host}:${endpoint.port}: ${error.message}`)));
    void writeBody(req, body, onPiece);
  });
}

/** Writes `body` in pieces, waiting for the socket to drain between them, then ends the request. */
async function writeBody(req: ReturnType<typeof request>, body: Buffer | undefined, onPiece?: () => void): Promise<void> {
  for (let at = 0; body !== undefined && at < body.length && !req.destroyed; at += API_LIMITS.uploadPieceBytes) {
    if (!req.write(body.subarray(at, at + API_LIMITS.uploadPieceBytes))) {
      await new Promise<void>((resolve) => {
        // Both listeners go once either fires: hundreds of pieces must not pile up listeners.
        const done = (): void => {
          req.off('drain', done).off('close', done);
          resolve();
        };
        req.on('drain', done).on('close', done);
      });
    }
    onPiece?.();
  }
  req.end();
}

/** A refusal from an answer: `HTTP 409 ERR_CAMPAIGN_STATE: message`. */
function refusal(what: string, answer: { status: number; body: unknown }): CommandError {
  const body = (typeof answer.body === 'object' && answer.body !== null ? answer.body : {}) as { code?: unknown; message?: unknown };
  const code = typeof body.code === 'string' ? body.code : undefined;
  const message = typeof body.message === 'string' ? body.message : typeof answer.body === 'string' ? answer.body : '';
  return new CommandError(`${what}: HTTP ${answer.status}${code === undefined ? '' : ` ${code}`}${message === '' ? '' : `: ${message}`}`);
}

/** Who logs in. */
export interface ApiCredentials {
  readonly user: string;
  readonly password: string;
  /** Codes for the account; undefined when no secret was given (the login then says the account needs one). */
  readonly totp: TotpCodes | undefined;
}

/** A logged-in user of the API. */
export class ApiSession {
  readonly #endpoint: ApiEndpoint;
  readonly #token: string;
  readonly #totp: TotpCodes | undefined;

  private constructor(endpoint: ApiEndpoint, token: string, totp: TotpCodes | undefined) {
    this.#endpoint = endpoint;
    this.#token = token;
    this.#totp = totp;
  }

  /** Logs in: password, then (for roles with a second factor) a TOTP code. */
  static async open(endpoint: ApiEndpoint, credentials: ApiCredentials): Promise<ApiSession> {
    const first = await exchange(endpoint, 'POST', '/v1/session/login', Buffer.from(JSON.stringify({ username: credentials.user, password: credentials.password })), undefined);
    const body = (first.body ?? {}) as { accessToken?: unknown; mfaRequired?: unknown; challenge?: unknown };
    if (first.status !== 200) throw refusal(`login as ${credentials.user}`, first);
    if (typeof body.accessToken === 'string') return new ApiSession(endpoint, body.accessToken, credentials.totp);
    if (body.mfaRequired !== true || typeof body.challenge !== 'string') throw new CommandError(`login as ${credentials.user}: unexpected answer`);
    if (credentials.totp === undefined) throw new UsageError(`${credentials.user} has a second factor: set MEDSIM_TOTP_SECRET to the account's TOTP secret (base32)`);
    const second = await exchange(endpoint, 'POST', '/v1/session/mfa', Buffer.from(JSON.stringify({ challenge: body.challenge, code: await credentials.totp.next() })), undefined);
    const tokens = (second.body ?? {}) as { accessToken?: unknown };
    if (second.status !== 200 || typeof tokens.accessToken !== 'string') throw refusal(`second factor of ${credentials.user}`, second);
    return new ApiSession(endpoint, tokens.accessToken, credentials.totp);
  }

  /** Calls the API as this user; returns the answer body, or throws the gateway's refusal. */
  async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const answer = await exchange(this.#endpoint, method, path, body === undefined ? undefined : Buffer.from(JSON.stringify(body)), this.#token);
    if (answer.status < 200 || answer.status > 299) throw refusal(`${method} ${path}`, answer);
    return answer.body;
  }

  /** POSTs an encoded JSON body in pieces, calling `onPiece` after each (1 MiB). */
  async upload(path: string, json: Buffer, onPiece: () => void): Promise<unknown> {
    const answer = await exchange(this.#endpoint, 'POST', path, json, this.#token, onPiece);
    if (answer.status < 200 || answer.status > 299) throw refusal(`POST ${path}`, answer);
    return answer.body;
  }

  /** A TOTP code newer than the login's, for a step-up decision (waits for the next 30 s step). */
  stepUpCode(): Promise<string> {
    if (this.#totp === undefined) throw new UsageError('this decision needs a fresh TOTP code: set MEDSIM_TOTP_SECRET');
    return this.#totp.next();
  }

  /** Ends the session (best effort: it expires by itself anyway). */
  async close(): Promise<void> {
    await exchange(this.#endpoint, 'POST', '/v1/session/logout', undefined, this.#token).catch(() => undefined);
  }
}
