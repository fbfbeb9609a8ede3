/**
 * Device ids. They name MQTT topic levels, certificate subjects and database keys, so they are
 * restricted to one unambiguous form: lower-case letters, digits and inner hyphens, 1 to 64
 * characters. Lower case only, so that "PUMP-1" and "pump-1" cannot be two identities.
 */
import { InvalidDeviceIdError } from './errors.js';
import { DEVICE_ID_MAX_LENGTH } from './limits.js';

const DEVICE_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

// The last id that passed: a session's headers repeat one id, so the regex runs once per session.
let lastValid: string | undefined;

/** True when `value` is a well-formed device id. */
export function isDeviceId(value: unknown): value is string {
  if (value === lastValid) return true;
  if (typeof value !== 'string' || value.length > DEVICE_ID_MAX_LENGTH || !DEVICE_ID.test(value)) return false;
  lastValid = value;
  return true;
}

/** Throws InvalidDeviceIdError (ERR_PROTOCOL_INVALID_DEVICE_ID) unless `value` is a device id. */
export function assertDeviceId(value: unknown, path = '', field = 'deviceId'): asserts value is string {
  if (!isDeviceId(value)) {
    field = path === '' ? field : `${path}.${field}`;
    throw new InvalidDeviceIdError(`${field} is not a device id (a-z, 0-9, inner hyphens, 1-${DEVICE_ID_MAX_LENGTH} chars)`, {
      details: { field },
    });
  }
}
