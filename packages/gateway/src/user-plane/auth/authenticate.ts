/**
 * Who is calling: bearer token → verified claims → live session row → current user row. The
 * token alone is never enough: the session must be live (S1, S2, S4) and the user enabled with
 * the same role the token was issued for (S3, S10: a role change ends the session; a mismatch
 * seen here ends it too, so the change is effective even if the end was somehow missed).
 */
import type { AuditStream } from '@medsim/logging';
import type { Logger } from 'pino';
import { GatewayError } from '../../errors.js';
import type { UserRole } from '../../users/roles.js';
import type { UserStore } from '../../users/user-store.js';
import type { SessionStore } from '../sessions/session-store.js';
import { TokenInvalidError, type AccessTokens } from './access-token.js';

/** The authenticated caller of one request or one WebSocket. */
export interface Principal {
  readonly userId: string;
  readonly username: string;
  readonly role: UserRole;
  readonly sessionId: string;
  /** For role patient: the patient this user is. */
  readonly patientId: string | null;
  /** A live or lapsed emergency grant on the session (scope.ts checks `until`). */
  readonly breakGlass: { readonly patientId: string; readonly until: number } | null;
}

/** Dependencies of Authenticator. */
export interface AuthenticatorDeps {
  readonly tokens: AccessTokens;
  readonly sessions: SessionStore;
  readonly users: UserStore;
  readonly audit: AuditStream;
  readonly logger: Logger;
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/u;

/** Resolves callers. */
export class Authenticator {
  readonly #d: AuthenticatorDeps;

  constructor(deps: AuthenticatorDeps) {
    this.#d = deps;
  }

  /** From an `Authorization` header value. */
  async fromHeader(header: string | undefined, source: string): Promise<Principal> {
    const match = header === undefined ? null : BEARER.exec(header);
    if (match === null) {
      this.#refused(new TokenInvalidError('no bearer token'), source, undefined);
    }
    return this.fromToken(match[1]!, source);
  }

  /** From a token (the WebSocket's first message carries one). Marks the session used. */
  async fromToken(token: string, source: string): Promise<Principal> {
    let userId: string | undefined;
    try {
      const claims = await this.#d.tokens.verify(token);
      userId = claims.sub;
      return this.#resolve(claims.sid, claims.sub, claims.role, true);
    } catch (error) {
      return this.#refused(error, source, userId);
    }
  }

  /**
   * Re-checks a known caller (WebSocket messages and push batches): session still live, user
   * enabled with the same role. `touch` marks the session used (a client message; not a push).
   */
  recheck(principal: Principal, touch: boolean): Principal {
    return this.#resolve(principal.sessionId, principal.userId, principal.role, touch);
  }

  #resolve(sessionId: string, userId: string, role: UserRole, touch: boolean): Principal {
    const session = this.#d.sessions.require(sessionId, touch);
    if (session.userId !== userId) throw new TokenInvalidError('session of another user');
    const user = this.#d.users.get(userId);
    if (user === undefined || user.disabled) {
      this.#d.sessions.end(sessionId, 'disabled');
      throw new GatewayError('ERR_SESSION_ENDED', 'the account is disabled');
    }
    if (user.role !== role) {
      this.#d.sessions.end(sessionId, 'role-change');
      throw new GatewayError('ERR_SESSION_ENDED', 'the role changed');
    }
    return { userId, username: user.username, role, sessionId, patientId: user.patientId, breakGlass: session.breakGlass };
  }

  #refused(error: unknown, source: string, userId: string | undefined): never {
    if (!(error instanceof GatewayError)) throw error;
    if (error instanceof TokenInvalidError) this.#d.logger.info({ reason: error.reason, source }, 'access token refused');
    this.#d.audit.record({ event: 'auth.token', outcome: 'denied', severity: 'low', actor: userId ?? 'anonymous', source, code: error.code });
    throw error;
  }
}
