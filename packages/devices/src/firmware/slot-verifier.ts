/**
 * Reading and verifying the image in a slot from its flash bytes: what secure boot does at every
 * start (never from a cache, so bytes changed after an earlier check are caught: U12 TOCTOU,
 * MCUboot's MCUBOOT_VALIDATE_PRIMARY_SLOT rather than _ONCE) and what an install does after its
 * last byte. The image is streamed through @medsim/firmware's ImageStreamVerifier in 256 KiB reads,
 * so memory stays bounded whatever the slot size.
 *
 * Every failure is a refusal (fail closed): an image error becomes ERR_BOOT_VERIFY_FAILED with the
 * image's code in `details.cause`, and so does anything unexpected while reading.
 */
import { FirmwareError, HEADER_SIZE, IMAGE_LIMITS, ImageStreamVerifier, TLV_INFO_MAGIC, TLV_INFO_SIZE, parseHeader, readDescriptor, type FirmwareDescriptor, type ImageKeyring, type StreamVerified } from '@medsim/firmware';
import { BootSlotTooSmallError, BootVerifyFailedError, DeviceError } from '../errors.js';
import type { FlashRegion } from './flash-region.js';

/** Bytes read from flash at a time while verifying. */
export const VERIFY_READ_BYTES = 256 * 1024;

/** Largest payload a slot of `slotBytes` can hold (after the header and the smallest TLV area). */
export const maxPayloadFor = (slotBytes: number): number => Math.min(IMAGE_LIMITS.maxPayloadBytes, slotBytes - HEADER_SIZE - TLV_INFO_SIZE);

/**
 * The bootloader's error for `error` thrown while checking an image: image errors (ERR_FW_*) become
 * ERR_BOOT_VERIFY_FAILED (ERR_BOOT_SLOT_TOO_SMALL for an oversized payload) with the code kept in
 * `details.cause`; the bootloader's own errors pass through; anything else is a verification
 * failure too.
 */
export function bootErrorOf(error: unknown): DeviceError {
  if (error instanceof DeviceError) return error;
  if (error instanceof FirmwareError && error.code === 'ERR_FW_IMAGE_TOO_LARGE') return new BootSlotTooSmallError('the image does not fit the slot', { cause: error, details: { cause: error.code } });
  const code = error instanceof FirmwareError ? error.code : 'unexpected';
  return new BootVerifyFailedError(`the image does not verify (${code})`, { cause: error, details: { cause: code } });
}

/** Feeds `length` bytes of `region` from `from` to `verifier`, in bounded reads. */
export function feedFromFlash(region: FlashRegion, verifier: ImageStreamVerifier, from: number, length: number): void {
  for (let at = from; at < from + length; at += VERIFY_READ_BYTES) verifier.update(region.read(at, Math.min(VERIFY_READ_BYTES, from + length - at)));
}

/** The size of the image in `region` from its header and TLV info (both checked), without verifying it. */
export function imageSizeInSlot(region: FlashRegion): number {
  const header = parseHeader(region.read(0, HEADER_SIZE), maxPayloadFor(region.size));
  const tlvStart = HEADER_SIZE + header.payloadSize;
  const info = region.read(tlvStart, TLV_INFO_SIZE);
  const tlvSize = info.readUInt16BE(2);
  if (info.readUInt16BE(0) !== TLV_INFO_MAGIC || tlvSize < TLV_INFO_SIZE || tlvStart + tlvSize > region.size) {
    throw new BootVerifyFailedError('no valid TLV area after the payload in the slot', { details: { cause: 'ERR_FW_IMAGE_MALFORMED' } });
  }
  return tlvStart + tlvSize;
}

/**
 * Verifies the image in `region` from its bytes on flash: structure, SHA-256 and Ed25519 signature
 * under `keyring`. Returns what verified and the image size; throws a DeviceError (see bootErrorOf).
 */
export function verifySlot(region: FlashRegion, keyring: ImageKeyring): StreamVerified {
  try {
    const size = imageSizeInSlot(region);
    const verifier = new ImageStreamVerifier({ keyring, maxPayloadBytes: maxPayloadFor(region.size) });
    feedFromFlash(region, verifier, 0, size);
    return verifier.finish();
  } catch (error) {
    throw bootErrorOf(error);
  }
}

/** The simulated firmware's descriptor at the start of the slot's payload (undefined when there is none). */
export function readSlotDescriptor(region: FlashRegion): FirmwareDescriptor | undefined {
  try {
    const header = parseHeader(region.read(0, HEADER_SIZE), maxPayloadFor(region.size));
    // The descriptor is a u32 length and at most 1 KiB of JSON (readDescriptor's bound).
    return readDescriptor(region.read(HEADER_SIZE, Math.min(header.payloadSize, 4 + 1024)));
  } catch {
    return undefined;
  }
}
