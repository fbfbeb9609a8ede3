/**
 * Server-side sessions (CTL-03, CTL-04). Every access token names its session (`sid`); every
 * request and every WebSocket push batch looks the row up, so logout, supersede, a credential
 * change or a timeout takes effect at once, whatever the token's own expiry says (S1, S3, S4).
 *
 * Single session (MFDS 1.2, ADR 0003): a user has at most one live row; the store enforces it
 * with the partial unique index `sessions_one_live`, and open() does check + end + insert in one
 * IMMEDIATE transaction, so parallel logins (even from several processes on one file) leave
 * exactly one. Ends are announced synchronously on `ended`, which is how the live stream closes
 * a superseded socket within milliseconds instead of polling.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { GatewayError, type GatewayErrorCode } from '../../errors.js';
import type { DataKey } from '../../store/at-rest.js';
import type { Database } from '../../store/database.js';

/** Why a session ended. */
export type EndReason =
  | 'logout'
  | 'superseded'
  | 'idle'
  | 'expired'
  | 'refresh-reuse'
  | 'disabled'
  | 'role-change'
  | 'password-change'
  | 'password-reset'
  | 'totp-reset';

/** Single-session policy (`auth.sessionPolicy`). */
export type SessionPolicy = 'replace' | 'reject';

/** A session row. */
export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly source: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  /** Absolute end: createdAt + auth.absoluteLifetimeS. */
  readonly expiresAt: number;
  readonly endedAt: number | null;
  readonly endReason: EndReason | null;
  readonly breakGlass: { readonly patientId: string; readonly until: number } | null;
}

/** Announced when a session ends, synchronously, after the ending transaction commits. */
export interface SessionEnded {
  readonly sessionId: string;
  readonly userId: string;
  readonly reason: EndReason;
}

/** Timing settings. */
export interface SessionTimeouts {
  readonly idleMs: number;
  readonly absoluteMs: number;
}

interface SessionRow {
  id: string;
  user_id: string;
  source: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  ended_at: number | null;
  end_reason: EndReason | null;
  break_glass_until: number | null;
  break_glass_reason: string | null;
  break_glass_patient: string | null;
}

/**
 * last_seen_at is written at most this often (each write is an fsync under synchronous=FULL);
 * the idle timeout may thus end a session up to 5 s early, never late.
 */
const TOUCH_EVERY_MS = 5000;

const breakGlassContext = (sessionId: string): string => `break-glass|${sessionId}`;

/** The code a request on an ended session is answered with. */
export function endCode(reason: EndReason): GatewayErrorCode {
  if (reason === 'superseded') return 'ERR_SESSION_SUPERSEDED';
  if (reason === 'idle' || reason === 'expired') return 'ERR_SESSION_EXPIRED';
  return 'ERR_SESSION_ENDED';
}

const toSession = (row: SessionRow): Session => ({
  id: row.id,
  userId: row.user_id,
  source: row.source,
  createdAt: row.created_at,
  lastSeenAt: row.last_seen_at,
  expiresAt: row.expires_at,
  endedAt: row.ended_at,
  endReason: row.end_reason,
  breakGlass:
    row.break_glass_patient === null || row.break_glass_until === null ? null : { patientId: row.break_glass_patient, until: row.break_glass_until },
});

/** The sessions table. */
export class SessionStore extends EventEmitter<{ ended: [SessionEnded] }> {
  readonly #db: Database;
  readonly #key: DataKey;
  readonly #now: () => number;
  readonly #timeouts: SessionTimeouts;

  constructor(db: Database, key: DataKey, now: () => number, timeouts: SessionTimeouts) {
    super();
    this.#db = db;
    this.#key = key;
    this.#now = now;
    this.#timeouts = timeouts;
  }

  /** Whether a row is past its idle or absolute limit at `now` (and which). */
  #lapse(row: SessionRow, now: number): 'idle' | 'expired' | undefined {
    if (now >= row.expires_at) return 'expired';
    if (now - row.last_seen_at >= this.#timeouts.idleMs) return 'idle';
    return undefined;
  }

  /**
   * Opens a session for `userId` under `policy`. A live session that has lapsed does not count
   * (it is ended as idle/expired). Under `replace` a live one is ended as superseded (returned in
   * `superseded`); under `reject` ERR_SESSION_ACTIVE is thrown.
   */
  open(userId: string, source: string, policy: SessionPolicy): { session: Session; superseded?: string } {
    const now = this.#now();
    const ended: SessionEnded[] = [];
    const session = this.#db
      .transaction(() => {
        const live = this.#db.prepare('SELECT * FROM sessions WHERE user_id = ? AND ended_at IS NULL').get(userId) as SessionRow | undefined;
        if (live !== undefined) {
          const lapse = this.#lapse(live, now);
          if (lapse === undefined && policy === 'reject') throw new GatewayError('ERR_SESSION_ACTIVE', 'the user already has a live session');
          const reason = lapse ?? 'superseded';
          this.#db.prepare('UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ?').run(now, reason, live.id);
          ended.push({ sessionId: live.id, userId, reason });
        }
        const id = randomUUID();
        this.#db
          .prepare('INSERT INTO sessions (id, user_id, source, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(id, userId, source, now, now, now + this.#timeouts.absoluteMs);
        return toSession(this.#db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as SessionRow);
      })
      .immediate();
    for (const event of ended) this.emit('ended', event);
    const superseded = ended.find((e) => e.reason === 'superseded')?.sessionId;
    return superseded === undefined ? { session } : { session, superseded };
  }

  /** Whether the user has a live, unlapsed session (what `reject` would refuse on). */
  hasLive(userId: string): boolean {
    const live = this.#db.prepare('SELECT * FROM sessions WHERE user_id = ? AND ended_at IS NULL').get(userId) as SessionRow | undefined;
    return live !== undefined && this.#lapse(live, this.#now()) === undefined;
  }

  /**
   * The live session `id`, or throws ERR_SESSION_SUPERSEDED / ERR_SESSION_ENDED /
   * ERR_SESSION_EXPIRED (ending it first if it has just lapsed). `touch` marks it used now.
   */
  require(id: string, touch: boolean): Session {
    const row = this.#db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as SessionRow | undefined;
    if (row === undefined) throw new GatewayError('ERR_SESSION_ENDED', 'no such session');
    if (row.ended_at !== null) throw new GatewayError(endCode(row.end_reason ?? 'logout'), 'the session has ended');
    const now = this.#now();
    const lapse = this.#lapse(row, now);
    if (lapse !== undefined) {
      this.end(id, lapse);
      throw new GatewayError('ERR_SESSION_EXPIRED', lapse === 'idle' ? 'the session was idle too long' : 'the session reached its lifetime');
    }
    if (touch && now - row.last_seen_at >= Math.min(TOUCH_EVERY_MS, this.#timeouts.idleMs / 10)) {
      this.#db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id = ? AND ended_at IS NULL').run(now, id);
      return toSession({ ...row, last_seen_at: now });
    }
    return toSession(row);
  }

  /** Ends a live session; false if it was not live. */
  end(id: string, reason: EndReason): boolean {
    const row = this.#db.prepare('SELECT user_id FROM sessions WHERE id = ?').get(id) as { user_id: string } | undefined;
    if (row === undefined) return false;
    const changed = this.#db.prepare('UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL').run(this.#now(), reason, id).changes;
    if (changed === 1) this.emit('ended', { sessionId: id, userId: row.user_id, reason });
    return changed === 1;
  }

  /** Ends every live session of a user (credential or role change, disable); returns their ids. */
  endForUser(userId: string, reason: EndReason): string[] {
    const ids = (this.#db.prepare('SELECT id FROM sessions WHERE user_id = ? AND ended_at IS NULL').all(userId) as { id: string }[]).map((r) => r.id);
    return ids.filter((id) => this.end(id, reason));
  }

  /**
   * Records a break-glass grant on a live session (CTL-18). The reason is free text that may
   * describe the patient, so it is stored sealed under the data key (base64url in the TEXT
   * column, `break-glass|<sessionId>` as associated data) and never logged or audited.
   */
  grantBreakGlass(id: string, patientId: string, reason: string, until: number): void {
    const sealed = this.#key.sealText(reason, breakGlassContext(id)).toString('base64url');
    const changed = this.#db
      .prepare('UPDATE sessions SET break_glass_patient = ?, break_glass_reason = ?, break_glass_until = ? WHERE id = ? AND ended_at IS NULL')
      .run(patientId, sealed, until, id).changes;
    if (changed !== 1) throw new GatewayError('ERR_SESSION_ENDED', 'the session has ended');
  }

  /** The stated reason of a session's break-glass grant (for review), or undefined. */
  breakGlassReason(id: string): string | undefined {
    const row = this.#db.prepare('SELECT break_glass_reason FROM sessions WHERE id = ?').get(id) as { break_glass_reason: string | null } | undefined;
    if (row?.break_glass_reason == null) return undefined;
    return this.#key.openText(Buffer.from(row.break_glass_reason, 'base64url'), breakGlassContext(id));
  }

  /** Live sessions of a user (tests and status). */
  liveCount(userId: string): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM sessions WHERE user_id = ? AND ended_at IS NULL').get(userId) as { n: number }).n;
  }
}
