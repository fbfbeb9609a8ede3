/**
 * The protocol's typed errors (src/errors.ts): one class per catalogued code, each a
 * ProtocolError and a MedsimError, with frozen, non-secret details.
 */
import { describe, expect, it } from 'vitest';
import {
  InconsistentMessageError,
  InvalidDeviceIdError,
  InvalidTopicError,
  MalformedMessageError,
  MedsimError,
  MessageTooLargeError,
  MissingFieldError,
  OutOfRangeError,
  ProtocolError,
  TruncatedMessageError,
  UnknownEnumValueError,
  UnknownFieldError,
  UnsupportedVersionError,
  protocolErrorCatalogue,
  type ProtocolErrorCode,
} from '@medsim/protocol';

const classes: [new (message: string, options?: { details?: Record<string, string>; cause?: unknown }) => ProtocolError, ProtocolErrorCode][] = [
  [MessageTooLargeError, 'ERR_PROTOCOL_TOO_LARGE'],
  [TruncatedMessageError, 'ERR_PROTOCOL_TRUNCATED'],
  [MalformedMessageError, 'ERR_PROTOCOL_MALFORMED'],
  [UnknownFieldError, 'ERR_PROTOCOL_UNKNOWN_FIELD'],
  [UnknownEnumValueError, 'ERR_PROTOCOL_UNKNOWN_ENUM'],
  [MissingFieldError, 'ERR_PROTOCOL_MISSING_FIELD'],
  [OutOfRangeError, 'ERR_PROTOCOL_OUT_OF_RANGE'],
  [InconsistentMessageError, 'ERR_PROTOCOL_INCONSISTENT'],
  [UnsupportedVersionError, 'ERR_PROTOCOL_UNSUPPORTED_VERSION'],
  [InvalidDeviceIdError, 'ERR_PROTOCOL_INVALID_DEVICE_ID'],
  [InvalidTopicError, 'ERR_PROTOCOL_INVALID_TOPIC'],
];

describe('protocol errors', () => {
  it('[CTL-23] every catalogued code has exactly one error class, and every class a catalogued code', { tags: ['CTL-23'] }, () => {
    expect(classes.map(([, code]) => code).sort()).toEqual(Object.keys(protocolErrorCatalogue).sort());
  });

  it('[CTL-23] each class carries its stable code and name, and is a ProtocolError and a MedsimError', { tags: ['CTL-23'] }, () => {
    for (const [ErrorClass, code] of classes) {
      const error = new ErrorClass('message');
      expect([error.code, error.name]).toEqual([code, ErrorClass.name]);
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error).toBeInstanceOf(MedsimError);
      expect(error).toBeInstanceOf(Error);
      expect(error.details).toEqual({});
    }
  });

  it('[CTL-23] details are a frozen copy; the cause is kept', { tags: ['CTL-23'] }, () => {
    const details = { field: 'Alarm.code' };
    const cause = new RangeError('index out of range');
    const error = new MissingFieldError('Alarm.code is required', { details, cause });
    details.field = 'changed';
    expect(error.details).toEqual({ field: 'Alarm.code' });
    expect(Object.isFrozen(error.details)).toBe(true);
    expect(error.cause).toBe(cause);
    expect('cause' in new MissingFieldError('no cause')).toBe(false);
  });

  it('[CTL-23] the catalogue gives every code a meaning and a remedy', { tags: ['CTL-23'] }, () => {
    for (const [code, { meaning, remedy }] of Object.entries(protocolErrorCatalogue)) {
      expect(code).toMatch(/^ERR_PROTOCOL_[A-Z_]+$/);
      expect(meaning).toMatch(/^[A-Z].+\.$/);
      expect(remedy).toMatch(/^[A-Z].+\.$/);
    }
  });
});
