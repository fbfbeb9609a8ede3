/**
 * Errors of the wire protocol, and the base class every medsim package's errors extend.
 *
 * Each condition has a stable `code` (`ERR_<AREA>_<CONDITION>`) that callers, audit entries and
 * docs/reference/errors.md rely on; messages may change, codes may not.
 */

/** Free-form, non-secret facts about an error (field path, limit, actual size). Never PHI or keys. */
export type ErrorDetails = Readonly<Record<string, string | number | boolean>>;

/** What a catalogue says about one code: shown in docs/reference/errors.md. */
export interface ErrorCatalogueEntry {
  /** What happened, in one sentence. */
  readonly meaning: string;
  /** What the caller or operator should do. */
  readonly remedy: string;
}

/** Every code of one package, with its meaning and remedy. */
export type ErrorCatalogue = Readonly<Record<string, ErrorCatalogueEntry>>;

/** Options shared by every medsim error constructor. */
export interface MedsimErrorOptions {
  readonly details?: ErrorDetails;
  readonly cause?: unknown;
}

/** Base of every error medsim throws on purpose: a stable `code` plus safe `details`. */
export class MedsimError extends Error {
  /** Stable machine-readable code, `ERR_<AREA>_<CONDITION>`. */
  readonly code: string;
  /** Non-secret facts about the failure. */
  readonly details: ErrorDetails;

  constructor(code: string, message: string, options: MedsimErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = Object.freeze({ ...options.details });
  }
}

/** Codes of @medsim/protocol, with meaning and remedy (the source of docs/reference/errors.md). */
export const protocolErrorCatalogue = {
  ERR_PROTOCOL_TOO_LARGE: {
    meaning: 'An encoded message is larger than the limit for its type; it was refused before decoding.',
    remedy: 'Send smaller messages (split waveforms into more frames); the limits are in docs/protocols/.',
  },
  ERR_PROTOCOL_TRUNCATED: {
    meaning: 'The bytes end before the message does (a length or field runs past the end of the input).',
    remedy: 'Resend the whole message; a cut frame is never partly accepted.',
  },
  ERR_PROTOCOL_MALFORMED: {
    meaning: 'The bytes are not a valid protobuf encoding of the expected message (truncated, bad wire type, invalid UTF-8, nested too deep).',
    remedy: 'Check the sender encodes with the medsim.v1 schema; a corrupted or hostile frame is dropped.',
  },
  ERR_PROTOCOL_UNKNOWN_FIELD: {
    meaning: 'The message carries a field number that medsim.v1 does not define.',
    remedy: 'Remove the field; new fields arrive only with a new protocol version.',
  },
  ERR_PROTOCOL_UNKNOWN_ENUM: {
    meaning: 'An enum field holds a value the schema does not define, or UNSPECIFIED where a value is required.',
    remedy: 'Use one of the values listed in docs/protocols/.',
  },
  ERR_PROTOCOL_MISSING_FIELD: {
    meaning: 'A field the message needs is absent or empty.',
    remedy: 'Set the field; docs/protocols/ marks the required ones.',
  },
  ERR_PROTOCOL_OUT_OF_RANGE: {
    meaning: 'A number, time, length, count or character lies outside what the protocol allows, or a value cannot be encoded exactly as given (texts are printable ASCII; times end at 8.64e15 ms).',
    remedy: 'Keep the value within the documented range (docs/protocols/).',
  },
  ERR_PROTOCOL_INCONSISTENT: {
    meaning: 'Fields contradict each other (a unit not allowed for the parameter, sample bytes not matching the sample count, unordered segments).',
    remedy: 'Fix the sender; the rule that failed is named in the error details.',
  },
  ERR_PROTOCOL_UNSUPPORTED_VERSION: {
    meaning: 'The header or handshake names a protocol version this build does not speak; there is no fallback.',
    remedy: 'Upgrade the older side; only version 1 is defined.',
  },
  ERR_PROTOCOL_INVALID_DEVICE_ID: {
    meaning: 'A device id is empty, too long, or uses characters other than a-z, 0-9 and inner hyphens.',
    remedy: 'Use a lower-case id of 1 to 64 characters such as "pulse-ox-0001".',
  },
  ERR_PROTOCOL_INVALID_TOPIC: {
    meaning: 'An MQTT topic has a wildcard, an empty level, a leading "$", too many levels, or is not a medsim device topic.',
    remedy: 'Build topic names with deviceTopic(); subscribe to exact topics, not filters.',
  },
} as const satisfies ErrorCatalogue;

/** A code of @medsim/protocol. */
export type ProtocolErrorCode = keyof typeof protocolErrorCatalogue;

/** Base of @medsim/protocol's errors. */
export class ProtocolError extends MedsimError {
  declare readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, options?: MedsimErrorOptions) {
    super(code, message, options);
  }
}

/** ERR_PROTOCOL_TOO_LARGE */
export class MessageTooLargeError extends ProtocolError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_PROTOCOL_TOO_LARGE', message, options);
  }
}

/** ERR_PROTOCOL_TRUNCATED */
export class TruncatedMessageError extends ProtocolError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_PROTOCOL_TRUNCATED', message, options);
  }
}

/** ERR_PROTOCOL_MALFORMED */
export class MalformedMessageError extends ProtocolError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_PROTOCOL_MALFORMED', message, options);
  }
}

/** ERR_PROTOCOL_UNKNOWN_FIELD */
export class UnknownFieldError extends ProtocolError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_PROTOCOL_UNKNOWN_FIELD', message, options);
  }
}

/** ERR_PROTOCOL_UNKNOWN_ENUM */
export class UnknownEnumValueError extends ProtocolError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_PROTOCOL_UNKNOWN_ENUM', message, options);
  }
}

/** ERR_PROTOCOL_MISSING_FIELD */
export class MissingFieldError extends ProtocolError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_PROTOCOL_MISSING_FIELD', message, options);
  }
}

/** ERR_PROTOCOL_OUT_OF_RANGE */
export class OutOfRangeError extends ProtocolError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_PROTOCOL_OUT_OF_RANGE', message, options);
  }
}

/** ERR_PROTOCOL_INCONSISTENT */
export class InconsistentMessageError extends ProtocolError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_PROTOCOL_INCONSISTENT', message, options);
  }
}

/** ERR_PROTOCOL_UNSUPPORTED_VERSION */
export class UnsupportedVersionError extends ProtocolError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_PROTOCOL_UNSUPPORTED_VERSION', message, options);
  }
}

/** ERR_PROTOCOL_INVALID_DEVICE_ID */
export class InvalidDeviceIdError extends ProtocolError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_PROTOCOL_INVALID_DEVICE_ID', message, options);
  }
}

/** ERR_PROTOCOL_INVALID_TOPIC */
export class InvalidTopicError extends ProtocolError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_PROTOCOL_INVALID_TOPIC', message, options);
  }
}
