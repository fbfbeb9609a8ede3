/**
 * Errors of @medsim/devices, each with a stable code (docs/reference/errors.md). Codes are grouped
 * by area: runtime (keystore, flash, clock), network (fault proxy, transports), therapy (command
 * verification and interlocks), fleet.
 */
import { MedsimError, type ErrorCatalogue, type MedsimErrorOptions } from '@medsim/protocol';

/** Codes of @medsim/devices, with meaning and remedy. */
export const devicesErrorCatalogue = {
  ERR_DEVICE_NOT_RUNNING: {
    meaning: 'The operation needs a running device (powered on and started), and this one is stopped or powered off.',
    remedy: 'Start or power the device on first.',
  },
} as const satisfies ErrorCatalogue;

/** A code of @medsim/devices. */
export type DevicesErrorCode = keyof typeof devicesErrorCatalogue;

/** Base of @medsim/devices' errors. */
export class DeviceError extends MedsimError {
  declare readonly code: DevicesErrorCode;

  constructor(code: DevicesErrorCode, message: string, options?: MedsimErrorOptions) {
    super(code, message, options);
  }
}
