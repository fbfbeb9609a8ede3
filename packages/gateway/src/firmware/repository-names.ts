/**
 * What the update repository may hold, by name: TUF metadata with consistent snapshots
 * (`N.root.json`, `N.targets.json`, `N.snapshot.json`, and the one unversioned `timestamp.json`,
 * TUF spec §5.5) and target files under their hash-prefixed names (`<model>/<sha256>.<name>.bin`,
 * as tuf-js asks for them when `consistent_snapshot` is on). Anything else is refused with
 * ERR_FIRMWARE_NAME_INVALID, at publication and on every download request.
 *
 * Names never become file paths (the bytes are stored under their SHA-256, blob-store.ts), so
 * no name can reach outside the repository; the patterns are strict all the same, so that `..`,
 * `/` tricks, percent-encoding or upper case are refused rather than interpreted.
 */
import { FirmwareNameInvalidError } from '../errors.js';

/** The TUF top-level roles the repository serves. */
export type MetadataRole = 'root' | 'targets' | 'snapshot' | 'timestamp';

/**
 * Largest metadata file per role, bytes: python-tuf's client caps (tuf/ngclient/config.py), the
 * ones the device applies too, so the gateway never stores what a device would refuse (U6).
 */
export const METADATA_MAX_BYTES: Readonly<Record<MetadataRole, number>> = {
  root: 512_000,
  timestamp: 16_384,
  snapshot: 2_000_000,
  targets: 5_000_000,
};

/** A metadata name, understood. */
export interface MetadataName {
  readonly name: string;
  readonly role: MetadataRole;
  /** The version the name carries; undefined for timestamp.json (its version is inside). */
  readonly version: number | undefined;
}

/** A target file name, understood. */
export interface TargetFileName {
  /** `<model>/<sha256>.<name>.bin`: where the device fetches it. */
  readonly filePath: string;
  /** `<model>/<name>.bin`: the TUF target path (and the director instruction's). */
  readonly targetPath: string;
  readonly model: string;
  /** Lower-case hex SHA-256 the name claims. */
  readonly sha256: string;
}

// Versions 1 to 2^31-1 (ten digits at most, no leading zero).
const VERSIONED = /^([1-9][0-9]{0,9})\.(root|targets|snapshot)\.json$/u;
const MAX_VERSION = 2 ** 31 - 1;
// The director instruction's own path rule (@medsim/firmware): model, then a name of at most 80
// characters before `.bin`; the name starts with a letter or digit, so it is never `.` or `..`.
const TARGET_FILE = /^([a-z][a-z0-9-]{0,31})\/([0-9a-f]{64})\.([a-z0-9][a-z0-9.-]{0,79}\.bin)$/u;

const refuse = (what: string, name: string): never => {
  throw new FirmwareNameInvalidError(`${what} is not a name the update repository serves`, { details: { name: name.slice(0, 200) } });
};

/** Parses a metadata name; throws ERR_FIRMWARE_NAME_INVALID. */
export function parseMetadataName(name: string): MetadataName {
  if (name === 'timestamp.json') return { name, role: 'timestamp', version: undefined };
  const match = VERSIONED.exec(name);
  if (match === null || Number(match[1]) > MAX_VERSION) return refuse('the metadata name', name);
  return { name, role: match[2] as MetadataRole, version: Number(match[1]) };
}

/** Parses a target file name; throws ERR_FIRMWARE_NAME_INVALID. */
export function parseTargetFileName(filePath: string): TargetFileName {
  const match = TARGET_FILE.exec(filePath);
  if (match === null || match[3]!.includes('..')) return refuse('the target path', filePath);
  const [, model, sha256, name] = match as unknown as [string, string, string, string];
  return { filePath, targetPath: `${model}/${name}`, model, sha256 };
}
