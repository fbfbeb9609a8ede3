/**
 * What the bootloader accepts to install, checked before a byte is written (a refusal leaves the
 * installed version and the security counter as they were):
 *
 * - the declared target is well formed and fits the slot (U6: MCUboot `oversized_secondary_slot`);
 * - it is for this device model (U2: Uptane's hardware identifier, MCUboot `wrong_load_addr`);
 * - anti-rollback (U3; MCUboot `downgrade_prevention`, `hw_prot_failed_security_cnt_check`):
 *   the security counter is not below the OTP counter nor the running image's, and the version is
 *   strictly above the running one's. The same version again is refused too: a release is
 *   installed once, so a replayed install instruction (U15) cannot make the device rewrite its
 *   slot and run a trial for nothing. A release that keeps the counter (no security fix) needs no
 *   OTP row.
 *
 * The image's own header must then say exactly what the target declared (U8 mix-and-match).
 */
import { HEADER_SIZE, IMAGE_LIMITS, MODEL_NAME, TLV_INFO_SIZE, compareVersions, parseVersion, type ImageHeader } from '@medsim/firmware';
import { BootModelMismatchError, BootRollbackError, BootSlotTooSmallError, BootTargetInvalidError } from '../errors.js';
import type { InstallTarget, SlotImage } from './boot-state.js';

/** Smallest image the format allows: header, minimum payload, TLV info. */
export const MIN_IMAGE_BYTES = HEADER_SIZE + IMAGE_LIMITS.minPayloadBytes + TLV_INFO_SIZE;

/** What an image is checked against. */
export interface InstallContext {
  /** The device's model. */
  readonly model: string;
  readonly slotBytes: number;
  /** The OTP security counter now. */
  readonly otpCounter: number;
  /** The image running now (undefined in safe mode). */
  readonly running: SlotImage | undefined;
}

/** Refuses a lower security counter, or a version not above the running one (see the file comment). */
export function checkRollback(image: { readonly version: string; readonly securityCounter: number }, context: InstallContext): void {
  if (image.securityCounter < context.otpCounter) {
    throw new BootRollbackError(`security counter ${image.securityCounter} is below the device's OTP counter ${context.otpCounter}`, { details: { reason: 'counter-below-otp', securityCounter: image.securityCounter, otpCounter: context.otpCounter } });
  }
  const running = context.running;
  if (running === undefined) return;
  if (image.securityCounter < running.securityCounter) {
    throw new BootRollbackError(`security counter ${image.securityCounter} is below the running image's ${running.securityCounter}`, { details: { reason: 'counter-below-running', securityCounter: image.securityCounter, runningCounter: running.securityCounter } });
  }
  const order = compareVersions(image.version, running.version);
  if (order <= 0) {
    throw new BootRollbackError(`version ${image.version} is not newer than the running ${running.version}`, { details: { reason: order === 0 ? 'same-version' : 'older-version', version: image.version, runningVersion: running.version } });
  }
}

/** Checks a declared target before any byte is written; throws the refusal. */
export function checkTarget(target: InstallTarget, context: InstallContext): void {
  const { size, model, version, securityCounter } = target;
  if (!Number.isSafeInteger(size) || size < MIN_IMAGE_BYTES) throw new BootTargetInvalidError(`the image size must be a whole number of bytes from ${MIN_IMAGE_BYTES}`, { details: { field: 'size' } });
  if (typeof model !== 'string' || !MODEL_NAME.test(model)) throw new BootTargetInvalidError('the model must be a device model name', { details: { field: 'model' } });
  try {
    parseVersion(version);
  } catch (cause) {
    throw new BootTargetInvalidError('the version must be MAJOR.MINOR.PATCH', { cause, details: { field: 'version' } });
  }
  if (!Number.isInteger(securityCounter) || securityCounter < 0 || securityCounter > 0xffff_ffff) throw new BootTargetInvalidError('the security counter must be a whole number from 0 to 4294967295', { details: { field: 'securityCounter' } });
  if (size > context.slotBytes) throw new BootSlotTooSmallError(`an image of ${size} bytes does not fit the ${context.slotBytes}-byte slot`, { details: { imageBytes: size, slotBytes: context.slotBytes } });
  if (model !== context.model) throw new BootModelMismatchError(`the image is for ${model}, this device is a ${context.model}`, { details: { imageModel: model, deviceModel: context.model } });
  checkRollback(target, context);
}

/** Checks that an image header says what the target declared, for this device. */
export function checkHeaderMatches(header: ImageHeader, target: InstallTarget, model: string): void {
  if (header.model !== model) throw new BootModelMismatchError(`the image header is for ${header.model}, this device is a ${model}`, { details: { imageModel: header.model, deviceModel: model } });
  if (header.versionText !== target.version || header.securityCounter !== target.securityCounter) {
    throw new BootTargetInvalidError('the image header does not match the declared target', {
      details: { field: header.versionText === target.version ? 'securityCounter' : 'version', declaredVersion: target.version, headerVersion: header.versionText, declaredCounter: target.securityCounter, headerCounter: header.securityCounter },
    });
  }
}
