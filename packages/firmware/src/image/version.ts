/**
 * Firmware versions: MAJOR.MINOR.PATCH, compared numerically (semver without pre-release or build
 * parts: a device orders releases, it does not resolve ranges). Encoded in the image header as
 * u16 major, u16 minor, u32 patch.
 */
import { InvalidImageSpecError } from '../errors.js';

/** A parsed firmware version. */
export interface FirmwareVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

const VERSION = /^(0|[1-9]\d{0,4})\.(0|[1-9]\d{0,4})\.(0|[1-9]\d{0,9})$/;

/** Parses "1.2.3"; throws ERR_FW_INVALID_SPEC for anything else or a part out of its header range. */
export function parseVersion(text: string): FirmwareVersion {
  const match = VERSION.exec(text);
  if (match === null) throw new InvalidImageSpecError(`version must be MAJOR.MINOR.PATCH in decimal, got ${JSON.stringify(text.slice(0, 40))}`, { details: { field: 'version' } });
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (major > 0xffff || minor > 0xffff || patch > 0xffff_ffff) throw new InvalidImageSpecError('version parts must fit u16.u16.u32', { details: { field: 'version' } });
  return { major, minor, patch };
}

/** "1.2.3". */
export function formatVersion(version: FirmwareVersion): string {
  return `${version.major}.${version.minor}.${version.patch}`;
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`. */
export function compareVersions(a: FirmwareVersion | string, b: FirmwareVersion | string): number {
  const x = typeof a === 'string' ? parseVersion(a) : a;
  const y = typeof b === 'string' ? parseVersion(b) : b;
  return x.major - y.major || x.minor - y.minor || x.patch - y.patch;
}
