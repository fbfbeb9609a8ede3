/**
 * TOTP second factor (RFC 6238 via otpauth): HMAC-SHA1, 6 digits, 30 s steps, one step of drift
 * either way. otpauth keeps no state, so replay protection is ours: the caller stores the counter
 * of the last accepted code and a code whose counter is not greater is refused (RFC 6238 §5.2:
 * "the verifier MUST NOT accept the second attempt of the same OTP").
 */
import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

const PERIOD_S = 30;
const DIGITS = 6;
const WINDOW = 1;
/** Issuer shown by authenticator apps. */
export const TOTP_ISSUER = 'medsim';

/** A new 160-bit secret (RFC 4226 §4 recommends 160 bits). */
export function newTotpSecret(): Uint8Array {
  return new Uint8Array(randomBytes(20));
}

/** A copy: a Buffer may be a view into a larger pooled ArrayBuffer. */
function totpFor(secret: Uint8Array, label: string): TOTP {
  return new TOTP({ issuer: TOTP_ISSUER, label, algorithm: 'SHA1', digits: DIGITS, period: PERIOD_S, secret: new Secret({ buffer: new Uint8Array(secret).buffer }) });
}

/** The otpauth:// URI an authenticator app reads (it holds the secret: show once, never log). */
export function totpUri(secret: Uint8Array, username: string): string {
  return totpFor(secret, username).toString();
}

/** The current code for a secret at `nowMs` (tests and the bootstrap's self-check). */
export function totpCode(secret: Uint8Array, nowMs: number): string {
  return totpFor(secret, 'code').generate({ timestamp: nowMs });
}

/**
 * The time-step counter of `code` if it is valid at `nowMs` (±1 step) and newer than
 * `lastCounter`; undefined otherwise (wrong, expired, malformed or replayed).
 */
export function acceptTotp(secret: Uint8Array, code: string, nowMs: number, lastCounter: number): number | undefined {
  if (!/^\d{6}$/u.test(code)) return undefined;
  const delta = totpFor(secret, 'code').validate({ token: code, timestamp: nowMs, window: WINDOW });
  if (delta === null) return undefined;
  const counter = TOTP.counter({ period: PERIOD_S, timestamp: nowMs }) + delta;
  return counter > lastCounter ? counter : undefined;
}
