/**
 * Field checks shared by the validators. Each throws the typed error for its condition with the
 * field path in `details.field`; none of them logs or echoes the value (it may be PHI).
 */
import {
  InconsistentMessageError,
  MissingFieldError,
  OutOfRangeError,
  UnknownEnumValueError,
  UnknownFieldError,
  UnsupportedVersionError,
} from '../../errors.js';
import { KEY_THUMBPRINT_LENGTH, MAX_SAFE_UINT64, MAX_TIMESTAMP_MS, PROTOCOL_VERSION, TEXT_MAX_LENGTH } from '../../limits.js';

/** `path.field`, built only when a check fails (validation runs on the hot path). */
function at(path: string, field: string): string {
  return field === '' ? path : `${path}.${field}`;
}

/** A generated enum object: name to number, and number to name through its prototype. */
export type EnumObject = Readonly<Record<string | number, string | number>>;

/** Anything the generated decoder produced: it may hold `$unknowns`. */
export interface DecodedMessage {
  readonly $unknowns?: Uint8Array[];
}

/** Refuses fields that medsim.v1 does not define (kept by protobufjs in `$unknowns`). */
export function noUnknownFields(message: DecodedMessage, path: string, field = ''): void {
  const unknown = message.$unknowns?.[0];
  if (unknown !== undefined) {
    // The raw field starts with its tag varint: (field number << 3) | wire type.
    let tag = 0;
    for (let i = 0, shift = 1; i < Math.min(unknown.length, 5); i++, shift *= 0x80) {
      tag += ((unknown[i] ?? 0) & 0x7f) * shift;
      if (((unknown[i] ?? 0) & 0x80) === 0) break;
    }
    const fieldNumber = Math.floor(tag / 8);
    throw new UnknownFieldError(`${at(path, field)} has a field medsim.v1 does not define`, {
      details: { field: at(path, field), fieldNumber },
    });
  }
}

/** Refuses enum values the schema does not define, and UNSPECIFIED (0) unless `optional`. */
export function knownEnum(enumObject: EnumObject, value: number, path: string, field: string, optional = false): void {
  if (value === 0) {
    if (optional) return;
    throw new MissingFieldError(`${at(path, field)} is required`, { details: { field: at(path, field) } });
  }
  if (typeof enumObject[value] !== 'string') {
    throw new UnknownEnumValueError(`${at(path, field)} holds an enum value the schema does not define`, {
      details: { field: at(path, field), value },
    });
  }
}

/** Requires protocol version 1: no downgrade, no fallback to another format (C9). */
export function supportedVersion(value: number, path: string, field: string): void {
  if (value !== PROTOCOL_VERSION) {
    throw new UnsupportedVersionError(`${at(path, field)} must be ${PROTOCOL_VERSION}`, { details: { field: at(path, field), value } });
  }
}

/** An integer in [min, max]; uint64 fields arrive as numbers and must stay below 2^53. */
export function integerIn(value: number, path: string, field: string, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new OutOfRangeError(`${at(path, field)} is out of range [${min}, ${max}]`, { details: { field: at(path, field), min, max } });
  }
}

/** A uint64 timestamp or counter: a safe integer, or absent (0) when `required` is false. */
export function uint64(value: number, path: string, field: string, required = false): void {
  if (required && value === 0) throw new MissingFieldError(`${at(path, field)} is required`, { details: { field: at(path, field) } });
  integerIn(value, path, field, 0, MAX_SAFE_UINT64);
}

/** A finite double in [min, max] (NaN and infinities refused). */
export function finiteIn(value: number, path: string, field: string, min: number, max: number): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new OutOfRangeError(`${at(path, field)} is out of range [${min}, ${max}]`, { details: { field: at(path, field), min, max } });
  }
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/u;

/**
 * An identifier-like text of at most `max` characters of printable ASCII (so characters are
 * bytes, the byte limits hold, and no control character or line break reaches a log); required
 * unless `optional`.
 */
export function text(value: string, path: string, field: string, optional = false, max = TEXT_MAX_LENGTH): void {
  if (value.length === 0 && !optional) throw new MissingFieldError(`${at(path, field)} is required`, { details: { field: at(path, field) } });
  if (value.length > max) {
    throw new OutOfRangeError(`${at(path, field)} is longer than ${max} characters`, { details: { field: at(path, field), max } });
  }
  if (!PRINTABLE_ASCII.test(value)) {
    throw new OutOfRangeError(`${at(path, field)} holds characters outside printable ASCII`, { details: { field: at(path, field) } });
  }
}

const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/u;

/** An RFC 7638 SHA-256 thumbprint: 43 base64url characters. */
export function thumbprint(value: string, path: string, field: string): void {
  text(value, path, field, false, KEY_THUMBPRINT_LENGTH);
  if (!THUMBPRINT.test(value)) inconsistent(path, field, 'not an RFC 7638 SHA-256 thumbprint');
}

/**
 * A time in milliseconds since the Unix epoch: a safe integer no later than the last instant a
 * JavaScript Date can hold (8.64e15 ms, ECMA-262 §21.4.1.1), so every accepted time can be shown.
 */
export function timestamp(value: number, path: string, field: string, required = true): void {
  if (required && value === 0) throw new MissingFieldError(`${at(path, field)} is required`, { details: { field: at(path, field) } });
  integerIn(value, path, field, 0, MAX_TIMESTAMP_MS);
}

/** A bytes field of exactly `length` bytes. */
export function bytesExactly(value: Uint8Array, path: string, field: string, length: number): void {
  if (value.length === 0) throw new MissingFieldError(`${at(path, field)} is required`, { details: { field: at(path, field) } });
  if (value.length !== length) {
    throw new OutOfRangeError(`${at(path, field)} must be ${length} bytes`, { details: { field: at(path, field), length } });
  }
}

/** A bytes field of 1 to `max` bytes. */
export function bytesUpTo(value: Uint8Array, path: string, field: string, max: number): void {
  if (value.length === 0) throw new MissingFieldError(`${at(path, field)} is required`, { details: { field: at(path, field) } });
  if (value.length > max) throw new OutOfRangeError(`${at(path, field)} is longer than ${max} bytes`, { details: { field: at(path, field), max } });
}

/** A repeated field with a count in [min, max]. */
export function countIn(items: readonly unknown[], path: string, field: string, limit: { readonly min: number; readonly max: number }): void {
  if (items.length < limit.min || items.length > limit.max) {
    const { min, max } = limit;
    if (items.length === 0) throw new MissingFieldError(`${at(path, field)} is required`, { details: { field: at(path, field) } });
    throw new OutOfRangeError(`${at(path, field)} must hold ${min} to ${max} items`, { details: { field: at(path, field), min, max } });
  }
}

/** Fields that contradict each other; `rule` names the broken rule. */
export function inconsistent(path: string, field: string, rule: string): never {
  throw new InconsistentMessageError(`${at(path, field)}: ${rule}`, { details: { field: at(path, field), rule } });
}
