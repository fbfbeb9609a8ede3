/**
 * Login (CTL-02, CTL-03, CTL-04): password, lockout with back-off, TOTP second factor, single
 * session, token issue and refresh rotation.
 *
 * No oracle (S6): an unknown user name and a wrong password get the same answer, after the same
 * work (a scrypt of a dummy hash for unknown names), and unknown names lock out exactly like
 * known ones (an in-memory table), so neither the answer, its timing nor the lockout tells
 * whether an account exists. A disabled account with the right password is answered as a wrong
 * password too. Audit entries name the user id when known, `anonymous` otherwise: the attempted
 * name is never recorded (people type passwords into the name field).
 */
import type { AuditStream } from '@medsim/logging';
import { randomBytes } from 'node:crypto';
import { GatewayError } from '../../errors.js';
import { afterFailure, lockRemainingS, type LockState, type LockoutPolicy } from '../../users/lockout.js';
import { generatePassword, hashPassword, verifyPassword } from '../../users/password.js';
import type { UserRole } from '../../users/roles.js';
import { normalizeUsername, type UserStore } from '../../users/user-store.js';
import type { SessionPolicy, SessionStore } from '../sessions/session-store.js';
import type { AccessTokens } from './access-token.js';
import type { RefreshTokens } from './refresh-tokens.js';

/** What a complete login or a refresh returns. */
export interface TokenSet {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  /** Access token lifetime, seconds. */
  readonly expiresIn: number;
  readonly refreshToken: string;
  readonly refreshExpiresAt: string;
}

/** Result of the password step. */
export type LoginResult =
  | { readonly mfaRequired: false; readonly tokens: TokenSet }
  | { readonly mfaRequired: true; readonly challenge: string; readonly expiresIn: number };

/** Dependencies of LoginService. */
export interface LoginDeps {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly tokens: AccessTokens;
  readonly refresh: RefreshTokens;
  readonly audit: AuditStream;
  readonly now: () => number;
  readonly policy: SessionPolicy;
  readonly lockout: LockoutPolicy;
}

/** An MFA challenge lives 5 minutes and is good for one attempt. */
const CHALLENGE_TTL_MS = 5 * 60_000;
/** Bounds on the in-memory tables (each entry < 200 bytes): a flood evicts the oldest. */
const MAX_CHALLENGES = 10_000;
const MAX_UNKNOWN_NAMES = 10_000;

interface Challenge {
  readonly userId: string;
  readonly expiresAt: number;
}

/** Inserts into a bounded map, evicting the oldest entry when full. */
function boundedSet<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value as K);
  map.set(key, value);
}

/** The login flow. */
export class LoginService {
  readonly #d: LoginDeps;
  readonly #dummyHash: string;
  readonly #challenges = new Map<string, Challenge>();
  readonly #unknown = new Map<string, LockState>();

  private constructor(deps: LoginDeps, dummyHash: string) {
    this.#d = deps;
    this.#dummyHash = dummyHash;
  }

  /** Builds the service (hashes the dummy password at the current cost). */
  static async create(deps: LoginDeps): Promise<LoginService> {
    return new LoginService(deps, await hashPassword(generatePassword(), deps.users.scryptCost));
  }

  /** Step 1: user name and password. */
  async login(username: string, password: string, source: string): Promise<LoginResult> {
    const { users, audit } = this.#d;
    const now = this.#d.now();
    const user = users.credentials(username);
    const name = normalizeUsername(username);
    const lock = user ?? this.#unknown.get(name) ?? { failed: 0, lockCount: 0, lockedUntil: 0 };
    const actor = user?.id ?? 'anonymous';
    if (lockRemainingS(lock, now) > 0) {
      audit.record({ event: 'auth.login', outcome: 'denied', severity: 'medium', actor, source, code: 'ERR_AUTH_LOCKED' });
      throw locked(lockRemainingS(lock, now));
    }
    const matches = user === undefined ? (await verifyPassword(this.#dummyHash, password), false) : await users.verifyPassword(user.id, password);
    if (!matches || user === undefined || user.disabled) {
      if (user?.disabled === true && matches) {
        audit.record({ event: 'auth.login', outcome: 'denied', severity: 'medium', actor, source, code: 'ERR_AUTH_FAILED' });
        throw failed();
      }
      this.#fail(user?.id, name, source);
    }
    if (!users.mfaRequired(user.role)) return { mfaRequired: false, tokens: await this.#open(user.id, user.role, source) };
    if (!user.mfaEnrolled) {
      audit.record({ event: 'auth.login', outcome: 'denied', severity: 'medium', actor, source, code: 'ERR_AUTH_MFA_NOT_ENROLLED' });
      throw new GatewayError('ERR_AUTH_MFA_NOT_ENROLLED', 'this role needs TOTP and none is enrolled; ask an admin to enrol it');
    }
    this.#refuseIfActive(user.id, source);
    const challenge = `mfa_${randomBytes(32).toString('base64url')}`;
    boundedSet(this.#challenges, challenge, { userId: user.id, expiresAt: now + CHALLENGE_TTL_MS }, MAX_CHALLENGES);
    audit.record({ event: 'auth.password', outcome: 'success', severity: 'info', actor, source });
    return { mfaRequired: true, challenge, expiresIn: CHALLENGE_TTL_MS / 1000 };
  }

  /** Step 2 for MFA roles: the challenge (single use, any outcome) and the current TOTP code. */
  async completeMfa(challenge: string, code: string, source: string): Promise<TokenSet> {
    const { users, audit } = this.#d;
    const now = this.#d.now();
    const pending = this.#challenges.get(challenge);
    this.#challenges.delete(challenge);
    const user = pending === undefined || pending.expiresAt <= now ? undefined : users.get(pending.userId);
    if (user === undefined || user.disabled) {
      audit.record({ event: 'auth.mfa', outcome: 'failure', severity: 'medium', actor: user?.id ?? 'anonymous', source, code: 'ERR_AUTH_MFA_FAILED' });
      throw new GatewayError('ERR_AUTH_MFA_FAILED', 'the code or the challenge is not valid; log in again');
    }
    const lock = users.credentials(user.username)!;
    if (lockRemainingS(lock, now) > 0) {
      audit.record({ event: 'auth.mfa', outcome: 'denied', severity: 'medium', actor: user.id, source, code: 'ERR_AUTH_LOCKED' });
      throw locked(lockRemainingS(lock, now));
    }
    if (!users.acceptTotp(user.id, code)) {
      // A wrong code counts towards lockout like a wrong password: TOTP guessing is bounded too.
      const state = users.recordLoginFailure(user.id, this.#d.lockout);
      audit.record({ event: 'auth.mfa', outcome: 'failure', severity: 'medium', actor: user.id, source, code: 'ERR_AUTH_MFA_FAILED' });
      if (state.lockedUntil > now) {
        audit.record({ event: 'auth.lockout', outcome: 'denied', severity: 'high', actor: user.id, source, code: 'ERR_AUTH_LOCKED' });
        throw locked(lockRemainingS(state, now));
      }
      throw new GatewayError('ERR_AUTH_MFA_FAILED', 'the code or the challenge is not valid; log in again');
    }
    audit.record({ event: 'auth.mfa', outcome: 'success', severity: 'info', actor: user.id, source });
    return this.#open(user.id, user.role, source);
  }

  /** Refresh-token rotation with reuse detection. */
  async refresh(token: string, source: string): Promise<TokenSet> {
    const { refresh, sessions, users, audit } = this.#d;
    const record = refresh.find(token);
    if (record === undefined || (record.usedAt === null && record.expiresAt <= this.#d.now())) {
      audit.record({ event: 'session.refresh', outcome: 'denied', severity: 'low', actor: 'anonymous', source, code: 'ERR_AUTH_TOKEN_INVALID' });
      throw new GatewayError('ERR_AUTH_TOKEN_INVALID', 'the refresh token is not valid');
    }
    const session = sessions.require(record.sessionId, true);
    const user = users.get(session.userId);
    const rotated = record.usedAt === null && user !== undefined && !user.disabled ? refresh.rotate(record, session.expiresAt) : undefined;
    if (rotated === undefined || user === undefined) {
      if (user === undefined || user.disabled) {
        sessions.end(session.id, 'disabled');
        throw new GatewayError('ERR_SESSION_ENDED', 'the account is disabled');
      }
      // Second presentation of a used token: two parties hold the family. Kill it all.
      refresh.revokeFamily(record.familyId);
      sessions.end(session.id, 'refresh-reuse');
      audit.record({ event: 'session.refresh-reuse', outcome: 'denied', severity: 'high', actor: session.userId, source, object: session.id, code: 'ERR_AUTH_REFRESH_REUSED' });
      throw new GatewayError('ERR_AUTH_REFRESH_REUSED', 'the refresh token was already used; the session is revoked');
    }
    const accessToken = await this.#d.tokens.issue({ userId: user.id, role: user.role, sessionId: session.id });
    audit.record({ event: 'session.refresh', outcome: 'success', severity: 'info', actor: user.id, role: user.role, source, object: session.id });
    return tokenSet(accessToken, this.#d.tokens.ttlS, rotated);
  }

  /** Counts a failure (known id or unknown name) and throws the answer. */
  #fail(userId: string | undefined, name: string, source: string): never {
    const now = this.#d.now();
    let state: LockState;
    if (userId === undefined) {
      state = afterFailure(this.#unknown.get(name) ?? { failed: 0, lockCount: 0, lockedUntil: 0 }, this.#d.lockout, now);
      boundedSet(this.#unknown, name, state, MAX_UNKNOWN_NAMES);
    } else {
      state = this.#d.users.recordLoginFailure(userId, this.#d.lockout);
    }
    const actor = userId ?? 'anonymous';
    this.#d.audit.record({ event: 'auth.login', outcome: 'failure', severity: 'low', actor, source, code: 'ERR_AUTH_FAILED' });
    if (state.lockedUntil > now) {
      this.#d.audit.record({ event: 'auth.lockout', outcome: 'denied', severity: 'high', actor, source, code: 'ERR_AUTH_LOCKED' });
      throw locked(lockRemainingS(state, now));
    }
    throw failed();
  }

  #refuseIfActive(userId: string, source: string): void {
    if (this.#d.policy === 'reject' && this.#d.sessions.hasLive(userId)) {
      this.#d.audit.record({ event: 'session.reject', outcome: 'denied', severity: 'medium', actor: userId, source, code: 'ERR_SESSION_ACTIVE' });
      throw new GatewayError('ERR_SESSION_ACTIVE', 'this user already has a live session');
    }
  }

  /** Opens the session (single-session policy), issues both tokens, clears failures. */
  async #open(userId: string, role: UserRole, source: string): Promise<TokenSet> {
    const { sessions, audit } = this.#d;
    let opened;
    try {
      opened = sessions.open(userId, source, this.#d.policy);
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'ERR_SESSION_ACTIVE') {
        audit.record({ event: 'session.reject', outcome: 'denied', severity: 'medium', actor: userId, role, source, code: 'ERR_SESSION_ACTIVE' });
      }
      throw error;
    }
    if (opened.superseded !== undefined) {
      audit.record({ event: 'session.supersede', outcome: 'success', severity: 'medium', actor: userId, role, source, object: opened.superseded, code: 'ERR_SESSION_SUPERSEDED' });
    }
    this.#d.users.recordLoginSuccess(userId);
    const refresh = this.#d.refresh.issue(opened.session.id, opened.session.expiresAt);
    const accessToken = await this.#d.tokens.issue({ userId, role, sessionId: opened.session.id });
    audit.record({ event: 'auth.login', outcome: 'success', severity: 'info', actor: userId, role, source, object: opened.session.id });
    return tokenSet(accessToken, this.#d.tokens.ttlS, refresh);
  }
}

function tokenSet(accessToken: string, ttlS: number, refresh: { token: string; expiresAt: number }): TokenSet {
  return { accessToken, tokenType: 'Bearer', expiresIn: ttlS, refreshToken: refresh.token, refreshExpiresAt: new Date(refresh.expiresAt).toISOString() };
}

function failed(): GatewayError {
  return new GatewayError('ERR_AUTH_FAILED', 'the user name or password is not correct');
}

function locked(retryAfterS: number): GatewayError {
  return new GatewayError('ERR_AUTH_LOCKED', 'too many failed logins; try again later', { details: { retryAfterS } });
}
