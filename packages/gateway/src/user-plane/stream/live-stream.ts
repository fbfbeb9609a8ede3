/**
 * The live stream (WSS /v1/stream): committed readings pushed to subscribed users.
 *
 * Protocol (JSON text frames, client messages at most 4 KiB):
 *   1. client → `{type:'auth', token}` within 5 s (the token never travels in the URL, where
 *      proxies and logs would keep it, S8) → `{type:'authenticated', role}`;
 *   2. client → `{type:'subscribe'|'unsubscribe', patientId}` → `{type:'subscribed'|'unsubscribed', patientId}`
 *      or `{type:'error', code:'ERR_FORBIDDEN', patientId}` (authorised exactly as the readings route);
 *   3. server → `{type:'readings', patientId, readings:[ReadingJson…]}` per push batch.
 *
 * Each push batch re-checks the session, the user (disabled, role) and the patient scope, so a
 * care-team removal or an expired break-glass stops the flow at the next batch. Session ends
 * arrive as events, so a superseded socket closes in milliseconds (S2, ≤ 1 s required) with
 * close code 4001 and reason ERR_SESSION_SUPERSEDED. A client that does not read is dropped
 * (1013) once its unsent data passes `maxBufferedBytes`, so one slow socket cannot grow the
 * gateway's memory (CTL-16).
 */
import type { WebSocket } from '@fastify/websocket';
import type { AuditStream } from '@medsim/logging';
import type { Logger } from 'pino';
import { GatewayError, type GatewayErrorCode } from '../../errors.js';
import type { ReadingFeed, ReadingJson } from '../../store/readings.js';
import type { UserStore } from '../../users/user-store.js';
import { MAX_TOKEN_LENGTH } from '../auth/access-token.js';
import type { Authenticator, Principal } from '../auth/authenticate.js';
import { RateLimiter } from '../../limits/rate-limit.js';
import { allows } from '../rbac/permissions.js';
import { canReadPatient } from '../rbac/scope.js';
import { endCode, type SessionEnded, type SessionStore } from '../sessions/session-store.js';

/** Close codes of the live stream (4000-4999: application-defined, RFC 6455 §7.4.2). */
export const STREAM_CLOSE = {
  /** The session was superseded by a newer login (reason ERR_SESSION_SUPERSEDED). */
  superseded: 4001,
  /** The session ended or expired (reason ERR_SESSION_ENDED / ERR_SESSION_EXPIRED). */
  sessionEnded: 4002,
  /** A message that is not part of the protocol (reason ERR_BAD_REQUEST). */
  badMessage: 4400,
  /** No valid auth message in time, or an invalid token (reason ERR_AUTH_TOKEN_INVALID). */
  unauthenticated: 4401,
  /** Too many messages (reason ERR_AUTH_RATE_LIMITED). */
  policy: 1008,
  /** The client reads too slowly (reason ERR_STREAM_TOO_SLOW). */
  tooSlow: 1013,
  /** The gateway is shutting down. */
  goingAway: 1001,
} as const;

/** Limits of the live stream. */
export interface LiveStreamOptions {
  /** Time for the auth message, ms (5 s). */
  readonly authTimeoutMs: number;
  /** Unsent bytes above which a socket is dropped (1 MiB: ~5,000 readings). */
  readonly maxBufferedBytes: number;
  /** Patients one socket may follow. */
  readonly maxSubscriptions: number;
  /** Client messages per socket per minute. */
  readonly messagesPerMinute: number;
}

/** Defaults of LiveStreamOptions. */
export const DEFAULT_STREAM_OPTIONS: LiveStreamOptions = { authTimeoutMs: 5000, maxBufferedBytes: 1024 * 1024, maxSubscriptions: 32, messagesPerMinute: 120 };

/** Largest client message, bytes (an auth message with a 4 KiB token fits). */
export const MAX_CLIENT_MESSAGE_BYTES = MAX_TOKEN_LENGTH + 256;

/** Dependencies of LiveStream. */
export interface LiveStreamDeps {
  readonly authenticator: Authenticator;
  readonly sessions: SessionStore;
  readonly users: UserStore;
  readonly feed: ReadingFeed;
  readonly audit: AuditStream;
  readonly logger: Logger;
  readonly now: () => number;
  readonly options: LiveStreamOptions;
}

interface Client {
  readonly socket: WebSocket;
  readonly source: string;
  readonly limiter: RateLimiter;
  readonly subscriptions: Set<string>;
  principal: Principal | undefined;
  authTimer: NodeJS.Timeout | undefined;
  /** Messages are handled one after another (auth is async). */
  queue: Promise<void>;
}

/** The hub of live-stream sockets. */
export class LiveStream {
  readonly #d: LiveStreamDeps;
  readonly #clients = new Set<Client>();
  readonly #bySession = new Map<string, Set<Client>>();
  readonly #byPatient = new Map<string, Set<Client>>();
  #pending = new Map<string, ReadingJson[]>();
  #flushScheduled = false;
  readonly #onEnded = (event: SessionEnded): void => this.#sessionEnded(event);
  readonly #onReading = (reading: ReadingJson): void => this.#queueReading(reading);

  constructor(deps: LiveStreamDeps) {
    this.#d = deps;
    deps.sessions.on('ended', this.#onEnded);
    deps.feed.on('reading', this.#onReading);
  }

  /** Open sockets (status and tests). */
  get size(): number {
    return this.#clients.size;
  }

  /** Takes an upgraded socket. */
  accept(socket: WebSocket, source: string): void {
    const client: Client = {
      socket,
      source,
      limiter: new RateLimiter(this.#d.options.messagesPerMinute, this.#d.now, 1),
      subscriptions: new Set(),
      principal: undefined,
      authTimer: undefined,
      queue: Promise.resolve(),
    };
    this.#clients.add(client);
    client.authTimer = setTimeout(() => this.#close(client, STREAM_CLOSE.unauthenticated, 'ERR_AUTH_TOKEN_INVALID'), this.#d.options.authTimeoutMs);
    socket.on('message', (data, isBinary) => {
      client.queue = client.queue.then(() => this.#message(client, data, isBinary)).catch((error: unknown) => {
        this.#d.logger.error({ err: error }, 'live stream message failed');
        this.#close(client, STREAM_CLOSE.badMessage, 'ERR_INTERNAL');
      });
    });
    socket.on('close', () => this.#forget(client));
  }

  /** Closes every socket (1001) and stops listening. */
  close(): void {
    this.#d.sessions.off('ended', this.#onEnded);
    this.#d.feed.off('reading', this.#onReading);
    for (const client of [...this.#clients]) this.#close(client, STREAM_CLOSE.goingAway, 'ERR_UNAVAILABLE');
  }

  async #message(client: Client, data: unknown, isBinary: boolean): Promise<void> {
    if (client.socket.readyState !== client.socket.OPEN) return;
    const rate = client.limiter.take('messages');
    if (!rate.ok) return this.#close(client, STREAM_CLOSE.policy, 'ERR_AUTH_RATE_LIMITED');
    let message: { type?: unknown; token?: unknown; patientId?: unknown };
    try {
      if (isBinary) throw new Error('binary');
      message = JSON.parse(String(data)) as typeof message;
      if (message === null || typeof message !== 'object') throw new Error('not an object');
    } catch {
      return this.#close(client, STREAM_CLOSE.badMessage, 'ERR_BAD_REQUEST');
    }
    if (message.type === 'auth' && client.principal === undefined && typeof message.token === 'string') return this.#authenticate(client, message.token);
    if (client.principal === undefined) return this.#close(client, STREAM_CLOSE.unauthenticated, 'ERR_AUTH_TOKEN_INVALID');
    const patientId = message.patientId;
    if (typeof patientId !== 'string' || patientId.length > 64) return this.#close(client, STREAM_CLOSE.badMessage, 'ERR_BAD_REQUEST');
    if (message.type === 'subscribe') return this.#subscribe(client, patientId);
    if (message.type === 'unsubscribe') {
      this.#unsubscribe(client, patientId);
      return this.#send(client, { type: 'unsubscribed', patientId });
    }
    return this.#close(client, STREAM_CLOSE.badMessage, 'ERR_BAD_REQUEST');
  }

  async #authenticate(client: Client, token: string): Promise<void> {
    clearTimeout(client.authTimer);
    try {
      client.principal = await this.#d.authenticator.fromToken(token.slice(0, MAX_TOKEN_LENGTH + 1), client.source);
    } catch (error) {
      return this.#closeFor(client, error);
    }
    if (client.socket.readyState !== client.socket.OPEN) return;
    const peers = this.#bySession.get(client.principal.sessionId) ?? new Set();
    this.#bySession.set(client.principal.sessionId, peers.add(client));
    // The session may have ended while the signature was being checked (before this socket was
    // listed for end events): look once more now that it is.
    if (this.#recheck(client) === undefined) return;
    this.#send(client, { type: 'authenticated', role: client.principal.role });
  }

  #subscribe(client: Client, patientId: string): void {
    let principal: Principal;
    try {
      // A client message is activity: it keeps the session from idling out.
      principal = client.principal = this.#d.authenticator.recheck(client.principal!, true);
    } catch (error) {
      return this.#closeFor(client, error);
    }
    const allowed = allows(principal.role, 'stream.subscribe') && canReadPatient(this.#d.users, principal, patientId, this.#d.now());
    if (!allowed) {
      this.#d.audit.record({ event: 'access.denied', outcome: 'denied', severity: 'medium', actor: principal.userId, role: principal.role, source: client.source, object: patientId, code: 'ERR_FORBIDDEN' });
      return this.#send(client, { type: 'error', code: 'ERR_FORBIDDEN', patientId });
    }
    if (!client.subscriptions.has(patientId) && client.subscriptions.size >= this.#d.options.maxSubscriptions) {
      return this.#send(client, { type: 'error', code: 'ERR_BAD_REQUEST', patientId });
    }
    client.subscriptions.add(patientId);
    const followers = this.#byPatient.get(patientId) ?? new Set();
    this.#byPatient.set(patientId, followers.add(client));
    this.#send(client, { type: 'subscribed', patientId });
  }

  #unsubscribe(client: Client, patientId: string): void {
    client.subscriptions.delete(patientId);
    const followers = this.#byPatient.get(patientId);
    followers?.delete(client);
    if (followers?.size === 0) this.#byPatient.delete(patientId);
  }

  #queueReading(reading: ReadingJson): void {
    if (reading.patientId === null || !this.#byPatient.has(reading.patientId)) return;
    const list = this.#pending.get(reading.patientId) ?? [];
    list.push(reading);
    this.#pending.set(reading.patientId, list);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // One batch per turn of the event loop: readings committed together go out together.
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#pending;
    this.#pending = new Map();
    const checked = new Map<Client, Principal | undefined>();
    const now = this.#d.now();
    for (const [patientId, readings] of batch) {
      for (const client of [...(this.#byPatient.get(patientId) ?? [])]) {
        if (!checked.has(client)) checked.set(client, this.#recheck(client));
        const principal = checked.get(client);
        if (principal === undefined) continue;
        if (!canReadPatient(this.#d.users, principal, patientId, now)) {
          this.#unsubscribe(client, patientId);
          this.#send(client, { type: 'unsubscribed', patientId, code: 'ERR_FORBIDDEN' });
          continue;
        }
        if (client.socket.bufferedAmount > this.#d.options.maxBufferedBytes) {
          this.#d.logger.warn({ code: 'ERR_STREAM_TOO_SLOW', bufferedBytes: client.socket.bufferedAmount, source: client.source }, 'live stream client dropped');
          this.#close(client, STREAM_CLOSE.tooSlow, 'ERR_STREAM_TOO_SLOW');
          checked.set(client, undefined);
          continue;
        }
        this.#send(client, { type: 'readings', patientId, readings });
      }
    }
  }

  /** The client's principal if its session and user still hold; closes it otherwise. */
  #recheck(client: Client): Principal | undefined {
    try {
      return (client.principal = this.#d.authenticator.recheck(client.principal!, false));
    } catch (error) {
      this.#closeFor(client, error);
      return undefined;
    }
  }

  #sessionEnded(event: SessionEnded): void {
    const code = endCode(event.reason);
    for (const client of [...(this.#bySession.get(event.sessionId) ?? [])]) {
      this.#close(client, code === 'ERR_SESSION_SUPERSEDED' ? STREAM_CLOSE.superseded : STREAM_CLOSE.sessionEnded, code);
    }
  }

  #closeFor(client: Client, error: unknown): void {
    if (!(error instanceof GatewayError)) throw error;
    const code = error.code;
    if (code === 'ERR_SESSION_SUPERSEDED') return this.#close(client, STREAM_CLOSE.superseded, code);
    if (code === 'ERR_SESSION_ENDED' || code === 'ERR_SESSION_EXPIRED') return this.#close(client, STREAM_CLOSE.sessionEnded, code);
    return this.#close(client, STREAM_CLOSE.unauthenticated, 'ERR_AUTH_TOKEN_INVALID');
  }

  #send(client: Client, message: object): void {
    if (client.socket.readyState === client.socket.OPEN) client.socket.send(JSON.stringify(message));
  }

  #close(client: Client, code: number, reason: GatewayErrorCode): void {
    const { socket } = client;
    this.#forget(client);
    if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) {
      socket.close(code, reason);
      // A peer that never answers the close frame (or never reads) is cut off after 1 s.
      setTimeout(() => socket.terminate(), 1000).unref();
    }
  }

  #forget(client: Client): void {
    clearTimeout(client.authTimer);
    if (!this.#clients.delete(client)) return;
    for (const patientId of [...client.subscriptions]) this.#unsubscribe(client, patientId);
    if (client.principal !== undefined) {
      const peers = this.#bySession.get(client.principal.sessionId);
      peers?.delete(client);
      if (peers?.size === 0) this.#bySession.delete(client.principal.sessionId);
    }
  }
}
