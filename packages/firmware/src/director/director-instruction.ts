/**
 * Director instructions: Uptane's split between the image repository and the director (issue 5).
 * The TUF image repository says which images exist and are signed by the release keys (offline);
 * the gateway's director says, per device, which one to install now, in a compact JWS signed with
 * its own online key (typ `medsim-fw-director+jws`, Ed25519). A device installs only an image both
 * agree on: the director names the target path, length and SHA-256, and the device checks them
 * against the TUF target before downloading, so a compromised director key alone cannot ship code
 * the release keys never signed, and a compromised repository alone cannot choose which devices
 * install what.
 *
 * Freshness (U15): each instruction carries a random nonce (jti), an issue time and an expiry
 * (at most one day), and the nonce of the device's own update check when it has one; the device
 * refuses an instruction whose nonce it has acted on. Unknown `crit` header parameters are refused
 * (RFC 7515 §4.1.11); the payload has a closed schema (unknown fields are refused, RFC 8725 §3.11
 * typ separation keeps a therapy command or an access token from passing as an instruction: U16).
 *
 * An encrypted image's content key travels inside the instruction as a compact JWE to the device's
 * X25519 agreement key (ECDH-ES+A256KW, A256GCM), so only that device can decrypt its image.
 */
import { signJws, verifyJws, type Identity, type KeyEntry } from '@medsim/crypto';
import { isDeviceId } from '@medsim/protocol';
import { decodeProtectedHeader } from 'jose';
import {
  DirectorCriticalError,
  DirectorExpiredError,
  DirectorInvalidError,
  DirectorReplayedError,
  DirectorTooLargeError,
  DirectorWrongDeviceError,
} from '../errors.js';
import { MODEL_NAME } from '../image/format.js';
import { parseVersion } from '../image/version.js';

/** The JWS `typ` of a director instruction (and only of one). */
export const DIRECTOR_TYP = 'medsim-fw-director+jws';

/** Limits of director instructions. */
export const DIRECTOR_LIMITS = {
  /** Largest compact JWS accepted, checked before any parsing: 8 KiB. */
  maxBytes: 8 * 1024,
  /** Longest validity: one day. */
  maxLifetimeMs: 86_400_000,
  /** How far in the future an issue time may be (device clock drift): 5 min. */
  maxFutureSkewMs: 300_000,
} as const;

/** The image a director instruction names (it must equal the TUF target's path, length and hash). */
export interface DirectorTarget {
  /** TUF target path, `<model>/<model>-<version>.bin`. */
  readonly path: string;
  readonly model: string;
  readonly version: string;
  readonly securityCounter: number;
  /** Bytes, and lower-case hex SHA-256, of the image as distributed. */
  readonly length: number;
  readonly sha256: string;
}

/** The signed payload of a director instruction. */
export interface DirectorInstruction {
  /** Schema version: 1. */
  readonly v: 1;
  /** The device it is for. */
  readonly sub: string;
  /** Random nonce, base64url of 16 bytes: acted on once. */
  readonly jti: string;
  /** Issue and expiry times, ms since the epoch. */
  readonly iat: number;
  readonly exp: number;
  /** The rollout campaign it belongs to. */
  readonly campaign: string;
  readonly target: DirectorTarget;
  /** The nonce of the device's update check it answers, when the device sent one. */
  readonly checkNonce?: string;
  /** The image's content key as a compact JWE to the device's agreement key (encrypted images only). */
  readonly contentKeyJwe?: string;
}

const NONCE = /^[A-Za-z0-9_-]{22}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const PATH = /^[a-z][a-z0-9-]{0,31}\/[a-z0-9.-]{1,80}\.bin$/;
const CAMPAIGN = /^[A-Za-z0-9_-]{1,64}$/;
const JWE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const onlyKeys = (value: Record<string, unknown>, allowed: readonly string[]): boolean => Object.keys(value).every((k) => allowed.includes(k));
const isU32 = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffff_ffff;

function validTarget(value: unknown): value is DirectorTarget {
  if (!isObject(value) || !onlyKeys(value, ['path', 'model', 'version', 'securityCounter', 'length', 'sha256'])) return false;
  const { path, model, version, securityCounter, length, sha256 } = value;
  if (typeof path !== 'string' || !PATH.test(path) || typeof model !== 'string' || !MODEL_NAME.test(model) || !path.startsWith(`${model}/`)) return false;
  if (typeof version !== 'string' || typeof sha256 !== 'string' || !SHA256_HEX.test(sha256) || !isU32(securityCounter)) return false;
  if (!Number.isSafeInteger(length) || (length as number) < 1) return false;
  try {
    parseVersion(version);
    return true;
  } catch {
    return false;
  }
}

/** Checks the payload's closed schema; throws ERR_FW_DIRECTOR_INVALID. */
export function parseDirectorInstruction(value: unknown): DirectorInstruction {
  const fail = (why: string): never => {
    throw new DirectorInvalidError(`director instruction: ${why}`);
  };
  if (!isObject(value)) return fail('not a JSON object');
  if (!onlyKeys(value, ['v', 'sub', 'jti', 'iat', 'exp', 'campaign', 'target', 'checkNonce', 'contentKeyJwe'])) return fail('unknown field');
  const { v, sub, jti, iat, exp, campaign, target, checkNonce, contentKeyJwe } = value;
  if (v !== 1) return fail('schema version is not 1');
  if (!isDeviceId(sub)) return fail('sub is not a device id');
  if (typeof jti !== 'string' || !NONCE.test(jti)) return fail('jti is not a 16-byte base64url nonce');
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp) || (exp as number) <= (iat as number)) return fail('iat and exp must be whole ms with exp after iat');
  if ((exp as number) - (iat as number) > DIRECTOR_LIMITS.maxLifetimeMs) return fail('valid for longer than a day');
  if (typeof campaign !== 'string' || !CAMPAIGN.test(campaign)) return fail('campaign is not an id');
  if (!validTarget(target)) return fail('target is not a valid target');
  if (checkNonce !== undefined && (typeof checkNonce !== 'string' || !NONCE.test(checkNonce))) return fail('checkNonce is not a nonce');
  if (contentKeyJwe !== undefined && (typeof contentKeyJwe !== 'string' || contentKeyJwe.length > 2048 || !JWE.test(contentKeyJwe))) return fail('contentKeyJwe is not a compact JWE');
  return value as unknown as DirectorInstruction;
}

/** Signs an instruction with the director's key (the gateway's director identity). */
export async function signDirectorInstruction(director: Identity, instruction: DirectorInstruction): Promise<string> {
  parseDirectorInstruction(instruction);
  return signJws(director, new TextEncoder().encode(JSON.stringify(instruction)), DIRECTOR_TYP);
}

/** What verifying an instruction needs from the device. */
export interface DirectorCheck {
  /** The director's public signing key (given to the device at enrolment). */
  readonly directorKey: KeyEntry;
  readonly deviceId: string;
  /** The device clock, ms. */
  readonly nowMs: number;
  /** True when the device already acted on this nonce. */
  readonly seen: (jti: string) => boolean;
  /** The nonce of the device's latest update check; when given, the instruction must carry it. */
  readonly checkNonce?: string;
}

/**
 * Verifies a director instruction on the device: size, crit, signature and typ, schema, addressee,
 * validity window, nonce. Throws the first failure (ERR_FW_DIRECTOR_*).
 */
export async function verifyDirectorInstruction(jws: string, check: DirectorCheck): Promise<DirectorInstruction> {
  if (typeof jws !== 'string' || Buffer.byteLength(jws, 'utf8') > DIRECTOR_LIMITS.maxBytes) throw new DirectorTooLargeError(`director instructions are at most ${DIRECTOR_LIMITS.maxBytes} bytes`);
  let header;
  try {
    header = decodeProtectedHeader(jws);
  } catch (cause) {
    throw new DirectorInvalidError('director instruction is not a compact JWS', { cause });
  }
  if (header.crit !== undefined) throw new DirectorCriticalError('director instruction names critical header parameters', { details: { crit: JSON.stringify(header.crit).slice(0, 100) } });
  let payload: Uint8Array;
  try {
    ({ payload } = await verifyJws(jws, (kid) => (kid === check.directorKey.kid ? check.directorKey : undefined), DIRECTOR_TYP));
  } catch (cause) {
    throw new DirectorInvalidError('director instruction signature, key or typ refused', { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (cause) {
    throw new DirectorInvalidError('director instruction payload is not UTF-8 JSON', { cause });
  }
  const instruction = parseDirectorInstruction(json);
  if (instruction.sub !== check.deviceId) throw new DirectorWrongDeviceError('director instruction is for another device');
  if (instruction.exp <= check.nowMs) throw new DirectorExpiredError('director instruction expired');
  if (instruction.iat > check.nowMs + DIRECTOR_LIMITS.maxFutureSkewMs) throw new DirectorExpiredError('director instruction issued in the future');
  if (check.seen(instruction.jti)) throw new DirectorReplayedError('director instruction already acted on');
  if (check.checkNonce !== undefined && instruction.checkNonce !== check.checkNonce) throw new DirectorReplayedError('director instruction does not answer the latest update check');
  return instruction;
}
