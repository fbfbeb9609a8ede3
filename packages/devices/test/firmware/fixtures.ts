/**
 * Shared fixtures of the bootloader tests: one signing key and keyring, small deterministic images
 * (about 16 KiB, in 64 KiB slots, so the power-loss properties run every write of many updates fast),
 * temporary device directories and the update agent's side of an install (chunks in order from
 * `written`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageKeyring, ImageSigningKey, buildImage, parseImage, type ImageSpec } from '@medsim/firmware';
import { Bootloader, type BootResult, type BootloaderOptions, type FlashFaults, type InstallTarget, type SlotImage } from '../../src/index.js';

/** The device model under test. */
export const MODEL = 'insulin-pump';
/** 64 KiB slots. */
export const SLOT_BYTES = 64 * 1024;
/** Payload of the test images: 16 KiB. */
export const PAYLOAD_BYTES = 16 * 1024;
/** Chunk size the simulated update agent writes by default. */
export const CHUNK_BYTES = 4096;

/** The release key, and the keyring the device trusts. */
export const releaseKey = ImageSigningKey.generate();
export const keyring = new ImageKeyring([releaseKey.publicKey]);

/** A signed image for MODEL (or `overrides.model`). */
export function makeImage(version: string, securityCounter: number, overrides: Partial<ImageSpec> = {}, key: ImageSigningKey = releaseKey): Uint8Array {
  return buildImage({ model: MODEL, version, securityCounter, buildTimeMs: Date.UTC(2026, 10, 1), payloadSize: PAYLOAD_BYTES, ...overrides }, key);
}

/** The image's hash TLV (SHA-256 of header and payload), hex: what a slot records. */
export const hashOf = (image: Uint8Array): string => Buffer.from(parseImage(image).hash).toString('hex');

/** The install target the update metadata would declare for `image`. */
export function targetOf(image: Uint8Array, size: number = image.length): InstallTarget {
  const { header } = parseImage(image);
  return { size, model: header.model, version: header.versionText, securityCounter: header.securityCounter };
}

/** Bootloader options for the test device. */
export function optionsFor(faults?: FlashFaults): BootloaderOptions {
  return { slotBytes: SLOT_BYTES, keyring, model: MODEL, ...(faults === undefined ? {} : { faults }) };
}

/** A fresh device directory; `cleanup()` removes every one made. */
const made: string[] = [];
export function deviceDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'medsim-boot-'));
  made.push(dir);
  return dir;
}
export function cleanup(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A device provisioned with `factory` in slot A. */
export function provisioned(factory: Uint8Array): string {
  const dir = deviceDir();
  Bootloader.provision(dir, optionsFor(), factory);
  return dir;
}

/** Writes `image` through beginInstall in chunks from where the slot's durable part ends, then finishes. */
export function install(loader: Bootloader, image: Uint8Array, chunk: number = CHUNK_BYTES, target: InstallTarget = targetOf(image)): SlotImage {
  const writer = loader.beginInstall(target);
  for (let at = writer.written; at < image.length; at += chunk) writer.write(at, image.subarray(at, at + chunk));
  return writer.finish();
}

/** Reopens (a reboot) and boots. */
export function reboot(dir: string, faults?: FlashFaults): { loader: Bootloader; result: BootResult } {
  const loader = Bootloader.open(dir, optionsFor(faults));
  return { loader, result: loader.boot() };
}
