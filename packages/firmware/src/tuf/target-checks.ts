/**
 * The checks on a firmware target before a byte of it is downloaded: that it is exactly the entry
 * the verified targets metadata lists, with valid custom fields (mix-and-match U8: a director
 * instruction or a caller cannot substitute another hash or length), and that it is for this
 * device's model and newer than what it runs (wrong software U2, rollback U3). The security counter
 * may stay equal (a fix that is not a security fix) but never go down; the version must rise.
 */
import type { Updater } from 'tuf-js';
import { MalformedMetadataError, UnknownTargetError, UpdateRollbackError, UpdateWrongModelError } from '../errors.js';
import { compareVersions } from '../image/version.js';
import type { FirmwareTarget } from './download.js';
import { readFirmwareCustom, type FirmwareCustom } from './targets.js';

/** What the device runs now (from its boot slot and its security counter store). */
export type InstalledFirmware = FirmwareCustom;

/** Throws ERR_FW_UPDATE_WRONG_MODEL or ERR_FW_UPDATE_ROLLBACK unless `target` may replace `installed`. */
export function assertInstallable(target: FirmwareCustom, installed: InstalledFirmware): void {
  if (target.model !== installed.model) throw new UpdateWrongModelError(`the target is for ${target.model}, this device is ${installed.model}`, { details: { model: target.model } });
  if (target.securityCounter < installed.securityCounter) {
    throw new UpdateRollbackError(`security counter ${target.securityCounter} is below the installed ${installed.securityCounter}`, { details: { reason: 'security-counter', securityCounter: target.securityCounter } });
  }
  if (compareVersions(target.version, installed.version) <= 0) {
    throw new UpdateRollbackError(`version ${target.version} is not newer than the installed ${installed.version}`, { details: { reason: 'version', version: target.version } });
  }
}

/** The entry for `path` from tuf-js's verified, in-memory targets, with its custom fields checked. */
export async function verifiedTarget(updater: Updater, path: string): Promise<FirmwareTarget> {
  const info = await updater.getTargetInfo(path);
  if (info === undefined) throw new UnknownTargetError(`no target ${path} in the verified targets metadata`, { details: { path } });
  const custom = readFirmwareCustom(path, info.custom);
  if (custom === undefined) {
    const claimed = (info.custom as { model?: unknown }).model;
    if (typeof claimed === 'string' && !path.startsWith(`${claimed}/`)) throw new UpdateWrongModelError(`${path} is an entry for ${claimed}`, { details: { path } });
    throw new MalformedMetadataError(`${path} lacks a valid model, version and security counter`, { details: { path, role: 'targets' } });
  }
  const sha256 = info.hashes.sha256;
  if (sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256)) throw new MalformedMetadataError(`${path} has no SHA-256`, { details: { path, role: 'targets' } });
  return { path, length: info.length, sha256, ...custom };
}

/** Throws ERR_FW_UPDATE_UNKNOWN_TARGET unless `offered` is exactly the verified entry. */
export function assertSameTarget(offered: FirmwareTarget, verified: FirmwareTarget): void {
  const same = offered.length === verified.length && offered.sha256 === verified.sha256 && offered.model === verified.model && offered.version === verified.version && offered.securityCounter === verified.securityCounter;
  if (!same) throw new UnknownTargetError(`${offered.path} is not the entry of the verified targets metadata`, { details: { path: offered.path } });
}
