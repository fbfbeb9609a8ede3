/**
 * Refresh tokens (CTL-04): opaque 256-bit random strings; only their SHA-256 is stored. Each use
 * rotates: the presented token is marked used and a new one of the same family (one family per
 * login) is issued. A used token presented again means two holders: the family is revoked and
 * the caller ends the session (RFC 9700 §4.14.2, refresh token rotation with reuse detection).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../../store/database.js';

const FORMAT = /^rt_[A-Za-z0-9_-]{43}$/u;
const hashOf = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** A stored refresh token, found by the token. */
export interface RefreshRecord {
  readonly hash: Buffer;
  readonly familyId: string;
  readonly sessionId: string;
  readonly expiresAt: number;
  readonly usedAt: number | null;
}

interface RefreshRow {
  token_hash: Buffer;
  family_id: string;
  session_id: string;
  expires_at: number;
  used_at: number | null;
}

/** The refresh_tokens table. */
export class RefreshTokens {
  readonly #db: Database;
  readonly #now: () => number;
  readonly #ttlMs: number;

  constructor(db: Database, now: () => number, ttlMs: number) {
    this.#db = db;
    this.#now = now;
    this.#ttlMs = ttlMs;
  }

  /** Issues a token for a session (never outliving it); the family is the session id. */
  issue(sessionId: string, sessionExpiresAt: number, familyId: string = sessionId): { token: string; expiresAt: number } {
    const token = `rt_${randomBytes(32).toString('base64url')}`;
    const expiresAt = Math.min(this.#now() + this.#ttlMs, sessionExpiresAt);
    this.#db
      .prepare('INSERT INTO refresh_tokens (token_hash, family_id, session_id, expires_at) VALUES (?, ?, ?, ?)')
      .run(hashOf(token), familyId, sessionId, expiresAt);
    return { token, expiresAt };
  }

  /** The record of a presented token (undefined for malformed or unknown ones). */
  find(token: string): RefreshRecord | undefined {
    if (!FORMAT.test(token)) return undefined;
    const row = this.#db.prepare('SELECT * FROM refresh_tokens WHERE token_hash = ?').get(hashOf(token)) as RefreshRow | undefined;
    return row === undefined
      ? undefined
      : { hash: row.token_hash, familyId: row.family_id, sessionId: row.session_id, expiresAt: row.expires_at, usedAt: row.used_at };
  }

  /**
   * Marks `record` used and issues its successor, atomically. Returns undefined if it was used
   * meanwhile (a concurrent presentation: treat as reuse).
   */
  rotate(record: RefreshRecord, sessionExpiresAt: number): { token: string; expiresAt: number } | undefined {
    return this.#db.transaction(() => {
      const marked = this.#db.prepare('UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL').run(this.#now(), record.hash);
      if (marked.changes !== 1) return undefined;
      return this.issue(record.sessionId, sessionExpiresAt, record.familyId);
    })();
  }

  /** Makes every token of a family unusable. */
  revokeFamily(familyId: string): void {
    this.#db.prepare('UPDATE refresh_tokens SET used_at = coalesce(used_at, ?), expires_at = min(expires_at, ?) WHERE family_id = ?').run(this.#now(), this.#now(), familyId);
  }
}
