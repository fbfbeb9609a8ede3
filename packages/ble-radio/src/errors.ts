/**
 * Errors of @medsim/ble-radio, each with a stable code (docs/reference/errors.md).
 */
import { MedsimError, type ErrorCatalogue, type MedsimErrorOptions } from '@medsim/protocol';

/** Codes of @medsim/ble-radio, with meaning and remedy. */
export const bleErrorCatalogue = {
  ERR_BLE_NOT_ENCODABLE: {
    meaning: 'A number cannot be written as an IEEE 11073 SFLOAT or FLOAT at the requested precision: its mantissa or exponent is out of range, or it has more decimals than the exponent allows.',
    remedy: 'Give an exponent the value fits (SFLOAT: mantissa ±2045, exponent -8..7; FLOAT: mantissa ±8,388,605, exponent -128..127), or round the value first.',
  },
  ERR_BLE_RESERVED_VALUE: {
    meaning: 'An SFLOAT or FLOAT holds a value the standard reserves for future use; it carries no number.',
    remedy: 'Treat the measurement as unavailable; the sender does not follow IEEE 11073-20601.',
  },
} as const satisfies ErrorCatalogue;

/** A code of @medsim/ble-radio. */
export type BleErrorCode = keyof typeof bleErrorCatalogue;

/** Base of @medsim/ble-radio's errors. */
export class BleError extends MedsimError {
  declare readonly code: BleErrorCode;

  constructor(code: BleErrorCode, message: string, options?: MedsimErrorOptions) {
    super(code, message, options);
  }
}

/** ERR_BLE_NOT_ENCODABLE */
export class NotEncodableError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_NOT_ENCODABLE', message, options);
  }
}

/** ERR_BLE_RESERVED_VALUE */
export class ReservedValueError extends BleError {
  constructor(message: string, options?: MedsimErrorOptions) {
    super('ERR_BLE_RESERVED_VALUE', message, options);
  }
}
