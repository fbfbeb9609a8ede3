/**
 * Passwords (CTL-02): scrypt (RFC 7914) from node:crypto with r=8, p=1, a 16-byte random salt and
 * a 32-byte key; N comes from `auth.scryptCost`. The stored string names its parameters,
 * `scrypt$N=32768,r=8,p=1$<salt>$<key>` (base64url), so the cost can rise without breaking old
 * hashes: a login under an older N re-hashes with the current one. Comparison is constant-time.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { GatewayError } from '../errors.js';
import { COMMON_PASSWORDS } from './common-passwords.js';

const R = 8;
const P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Largest N accepted from a stored hash: the configuration's maximum (2^20, 1 GiB of memory). */
const MAX_N = 2 ** 20;
/** Policy bounds in characters (code points), NIST SP 800-63B §5.1.1.2. */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

const HASH_FORMAT = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]{22})\$([A-Za-z0-9_-]{43})$/u;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  // node's default maxmem (32 MiB) is exactly 128·N·r at N=2^15; allow twice the need.
  const options: ScryptOptions = { N: n, r, p, maxmem: 256 * n * r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (error, key) => (error === null ? resolve(key) : reject(error)));
  });
}

/** Hashes a password with scrypt cost `n` (a power of two). */
export async function hashPassword(password: string, n: number): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, n, R, P);
  return `scrypt$N=${n},r=${R},p=${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** The cost N recorded in a stored hash (undefined if the string is not a medsim scrypt hash). */
export function hashCost(stored: string): number | undefined {
  const match = HASH_FORMAT.exec(stored);
  return match === null ? undefined : Number(match[1]);
}

/**
 * Whether `password` matches the stored hash. A malformed stored value never matches (and is not
 * an error a caller could distinguish by timing: it is checked before any work in both cases).
 */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  const match = HASH_FORMAT.exec(stored);
  if (match === null) return false;
  const [n, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (n < 2 || n > MAX_N || (n & (n - 1)) !== 0 || r !== R || p !== P) return false;
  const key = await derive(password, Buffer.from(match[4]!, 'base64url'), n, r, p);
  return timingSafeEqual(key, Buffer.from(match[5]!, 'base64url'));
}

/**
 * Checks the password policy: 12 to 128 characters, neither equal to nor containing the user name
 * (case-insensitive), not in the common-password list. Throws ERR_AUTH_WEAK_PASSWORD naming the
 * rule, never the password.
 */
export function checkPasswordPolicy(username: string, password: string): void {
  const weak = (rule: string): never => {
    throw new GatewayError('ERR_AUTH_WEAK_PASSWORD', `the password does not meet the policy: ${rule}`, { details: { rule } });
  };
  const length = [...password.normalize('NFC')].length;
  if (length < PASSWORD_MIN_LENGTH) weak(`at least ${PASSWORD_MIN_LENGTH} characters`);
  if (length > PASSWORD_MAX_LENGTH) weak(`at most ${PASSWORD_MAX_LENGTH} characters`);
  const lower = password.toLowerCase();
  if (username.length > 0 && lower.includes(username.toLowerCase())) weak('must not contain the user name');
  if (COMMON_PASSWORDS.has(lower)) weak('must not be a common password');
}

/** 32 symbols: no 0/O, 1/l/I, so a password read aloud or off paper survives. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789AB';

/**
 * A random password for a new account or a reset: 24 symbols of 5 bits (120 bits) from the CSPRNG,
 * in groups of 4 for reading out. Shown once; the user should change it.
 */
export function generatePassword(): string {
  const bytes = randomBytes(24);
  // 256 is a multiple of 32, so `byte & 31` is unbiased.
  const symbols = [...bytes].map((byte) => ALPHABET[byte & 31]!);
  return Array.from({ length: 6 }, (_, i) => symbols.slice(i * 4, i * 4 + 4).join('')).join('-');
}
