/**
 * Access tokens: EdDSA (Ed25519) JWTs, RFC 9068 shape (`typ: at+jwt`), short-lived. Verification
 * follows RFC 8725 and is deliberately narrower than jose's:
 *   - the token is at most 4 KiB of base64url in three segments (J13);
 *   - header and payload must be valid UTF-8 JSON in exactly the form this gateway writes
 *     (JSON.stringify of the parsed value), which refuses duplicate member names and any
 *     re-encoding (J14);
 *   - the header has exactly alg, typ, kid: no jwk, jku, x5u, x5c, crit (J4, J5, J10); alg is
 *     EdDSA (J1, J2, J12); kid is compared as a string with the one key id we sign with (J6);
 *   - the payload has exactly iss, aud, sub, role, jti, sid, iat, exp (J11); iss, aud, typ and
 *     times are checked by jose with a clock tolerance capped at 60 s by the configuration (J7, J8, J9).
 * Every refusal is ERR_AUTH_TOKEN_INVALID; the reason goes to the log, not to the client.
 */
import { SignJWT, jwtVerify } from 'jose';
import { randomUUID } from 'node:crypto';
import type { TokenKey } from '../../context.js';
import { GatewayError } from '../../errors.js';
import { isUserRole, type UserRole } from '../../users/roles.js';

/** `iss` of every access token. */
export const TOKEN_ISSUER = 'medsim-gateway';
/** `aud` of every access token: the user API (device credentials never carry it). */
export const TOKEN_AUDIENCE = 'medsim-api';
/** `typ` header (RFC 9068 §2.1). */
export const TOKEN_TYPE = 'at+jwt';
/** Largest token accepted, in characters (an issued one is about 400). */
export const MAX_TOKEN_LENGTH = 4096;

const HEADER_KEYS = ['alg', 'kid', 'typ'];
const CLAIM_KEYS = ['aud', 'exp', 'iat', 'iss', 'jti', 'role', 'sid', 'sub'];
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/u;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The verified claims of an access token. */
export interface AccessClaims {
  readonly sub: string;
  readonly role: UserRole;
  readonly sid: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
}

/** A refusal, with the reason for the log. */
export class TokenInvalidError extends GatewayError {
  /** Why (jose code or our check); never sent to the client. */
  readonly reason: string;

  constructor(reason: string) {
    super('ERR_AUTH_TOKEN_INVALID', 'the access token is not valid', { details: { reason } });
    this.reason = reason;
  }
}

/** Parses one segment strictly: UTF-8, JSON object, canonical form. */
function strictSegment(segment: string, what: string): Record<string, unknown> {
  let text: string;
  let value: unknown;
  try {
    text = utf8.decode(Buffer.from(segment, 'base64url'));
    value = JSON.parse(text);
  } catch {
    throw new TokenInvalidError(`${what} is not UTF-8 JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TokenInvalidError(`${what} is not an object`);
  // JSON.parse keeps the last of duplicate members; re-encoding then differs from the input.
  if (Buffer.from(JSON.stringify(value), 'utf8').toString('base64url') !== segment) throw new TokenInvalidError(`${what} is not in canonical form`);
  return value as Record<string, unknown>;
}

const sameKeys = (object: Record<string, unknown>, keys: readonly string[]): boolean => {
  const own = Object.keys(object).sort();
  return own.length === keys.length && own.every((key, i) => key === keys[i]);
};

/** Issues and verifies access tokens with one Ed25519 key. */
export class AccessTokens {
  readonly #key: TokenKey;
  readonly #now: () => number;
  readonly #ttlS: number;
  readonly #toleranceS: number;

  constructor(key: TokenKey, now: () => number, ttlS: number, toleranceS: number) {
    if (toleranceS > 60) throw new RangeError('clock tolerance above 60 s (RFC 8725 J7)');
    this.#key = key;
    this.#now = now;
    this.#ttlS = ttlS;
    this.#toleranceS = toleranceS;
  }

  /** Lifetime of issued tokens, seconds. */
  get ttlS(): number {
    return this.#ttlS;
  }

  /** A new access token for a user in a session. */
  async issue(subject: { userId: string; role: UserRole; sessionId: string }): Promise<string> {
    const iat = Math.floor(this.#now() / 1000);
    return new SignJWT({ role: subject.role, sid: subject.sessionId })
      .setProtectedHeader({ alg: 'EdDSA', typ: TOKEN_TYPE, kid: this.#key.kid })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(subject.userId)
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.#ttlS)
      .sign(this.#key.privateKey);
  }

  /** Verifies a token; throws TokenInvalidError (ERR_AUTH_TOKEN_INVALID) for anything else. */
  async verify(token: string): Promise<AccessClaims> {
    if (token.length > MAX_TOKEN_LENGTH || !COMPACT.test(token)) throw new TokenInvalidError('not a compact JWS of acceptable size');
    const [headerPart, payloadPart] = token.split('.') as [string, string, string];
    const header = strictSegment(headerPart, 'header');
    const payload = strictSegment(payloadPart, 'payload');
    if (!sameKeys(header, HEADER_KEYS)) throw new TokenInvalidError('unexpected header members');
    if (header['alg'] !== 'EdDSA') throw new TokenInvalidError('algorithm not allowed');
    if (typeof header['kid'] !== 'string' || header['kid'] !== this.#key.kid) throw new TokenInvalidError('unknown kid');
    if (!sameKeys(payload, CLAIM_KEYS)) throw new TokenInvalidError('unexpected claim set');
    let verified;
    try {
      verified = await jwtVerify(token, this.#key.publicKey, {
        algorithms: ['EdDSA'],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        typ: TOKEN_TYPE,
        requiredClaims: ['iss', 'aud', 'sub', 'jti', 'sid', 'iat', 'exp'],
        clockTolerance: this.#toleranceS,
        // Also refuses an iat in the future: no token of ours is older than its lifetime or from later.
        maxTokenAge: this.#ttlS,
        currentDate: new Date(this.#now()),
      });
    } catch (cause) {
      const code = (cause as { code?: unknown }).code;
      throw new TokenInvalidError(typeof code === 'string' ? code : 'verification failed');
    }
    const claims = verified.payload;
    const { sub, jti, iat, exp } = claims;
    const { role, sid } = claims as { role?: unknown; sid?: unknown };
    // jose accepts an aud array that contains ours; we only ever write the single string.
    if (claims.aud !== TOKEN_AUDIENCE) throw new TokenInvalidError('audience not exactly ours');
    if (typeof sub !== 'string' || typeof jti !== 'string' || typeof sid !== 'string' || !isUserRole(role) || typeof iat !== 'number' || typeof exp !== 'number') {
      throw new TokenInvalidError('claim of the wrong type');
    }
    return { sub, role, sid, jti, iat, exp };
  }
}
