/**
 * Why tuf-js refused metadata, as a typed firmware error the device can audit.
 *
 * tuf-js 6.0.2 and @tufjs/models 5.0.2 give little to go on: no error class sets `name` (always
 * "Error"), the classes are not exported from either package index, and every failure while loading
 * snapshot or targets is re-thrown as a plain RuntimeError whose message embeds the inner error as
 * text, without `cause`. The inner messages, however, are specific and stable within a pinned
 * version, so the reason is read from the message. The client tests exercise every row, so an
 * upgrade that rewords one fails them. Transfer failures never get here: the fetcher adapter keeps
 * its own typed error (tuf-fetcher.ts).
 */
import {
  FirmwareError,
  MalformedMetadataError,
  MetadataExpiredError,
  MetadataHashMismatchError,
  MetadataRollbackError,
  MetadataStoreError,
  MetadataUnsignedError,
  MetadataVersionMismatchError,
} from '../errors.js';

type Details = Record<string, string | number>;
type Rule = readonly [RegExp, (m: RegExpExecArray, role: string, cause: unknown) => FirmwareError];

/** Older than trusted: rollback; otherwise a version that does not match what the parent names. */
function versionError(got: string | undefined, expected: string | undefined, role: string, message: string, cause: unknown): FirmwareError {
  const details: Details = { role, version: Number(got), expected: Number(expected) };
  return Number(got) < Number(expected) ? new MetadataRollbackError(message, { cause, details }) : new MetadataVersionMismatchError(message, { cause, details });
}

/** Message patterns of tuf-js/@tufjs/models, first match wins. */
const RULES: readonly Rule[] = [
  [
    /(\w+) was signed by (\d+)\/(\d+) keys/,
    (m, _role, cause) =>
      new MetadataUnsignedError(`${m[1]} is signed by ${m[2]} of the ${m[3]} trusted keys its threshold needs`, { cause, details: { role: m[1] ?? '', signatures: Number(m[2]), threshold: Number(m[3]) } }),
  ],
  [/multiple signatures found for keyid/, (_m, role, cause) => new MetadataUnsignedError('duplicate signature entries for one key: the file is refused, one key never counts twice', { cause, details: { role } })],
  [/New (\w+) version (\d+) is less than current version (\d+)/, (m, _r, cause) => versionError(m[2], m[3], m[1] ?? '', `${m[1]} version ${m[2]} is older than the trusted ${m[3]}`, cause)],
  [/New version (\d+) of (\w+)\.json is less than current version (\d+)/, (m, _r, cause) => versionError(m[1], m[3], m[2] ?? '', `the snapshot lists ${m[2]} version ${m[1]}, older than the trusted ${m[3]}`, cause)],
  [/Version (\d+) of (\w+) does not match snapshot version (\d+)/, (m, _r, cause) => versionError(m[1], m[3], m[2] ?? '', `${m[2]} version ${m[1]} is not the version ${m[3]} the snapshot names`, cause)],
  [/Snapshot version doesn't match timestamp/, (_m, _r, cause) => new MetadataVersionMismatchError('the snapshot is not the version the timestamp names', { cause, details: { role: 'snapshot' } })],
  [/Expected version (\d+), got (\d+)/, (m, _r, cause) => versionError(m[2], m[1], 'root', `root version ${m[2]} served where ${m[1]} was expected`, cause)],
  [/(\w+)\.json is expired/, (m, _r, cause) => new MetadataExpiredError(`${m[1]} metadata has expired by the device clock`, { cause, details: { role: m[1] ?? '' } })],
  [/Expected (?:hash|length) \S+ but got \S+/, (_m, role, cause) => new MetadataHashMismatchError(`${role || 'metadata'} does not have the length or hash recorded for it`, { cause, details: { role } })],
  [/Failed to persist metadata/, (_m, _r, cause) => new MetadataStoreError('could not write the metadata directory', { cause })],
];

/** The typed error for whatever tuf-js threw during a refresh (ERR_FW_META_*). */
export function refusalOf(error: unknown): FirmwareError {
  if (error instanceof FirmwareError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const role = /Unable to load (snapshot|targets)/.exec(message)?.[1] ?? '';
  for (const [pattern, make] of RULES) {
    const match = pattern.exec(message);
    if (match !== null) return make(match, role, error);
  }
  return new MalformedMetadataError(`not valid TUF metadata: ${message.slice(0, 200)}`, { cause: error, details: { role } });
}
