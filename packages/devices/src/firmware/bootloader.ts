/**
 * The simulated device's bootloader: A/B image slots executed in place with trial boot and revert
 * (MCUboot's direct-xip with revert), secure boot at every start and an anti-rollback counter in OTP
 * fuses. docs/devices/bootloader.md has the flash layout, the state machine and the differences from
 * MCUboot; attacks-and-faults.md section 1.3 the cases its tests mirror.
 *
 * One power cycle of a device is: `Bootloader.open(dir)` → `boot()` → the application runs
 * (`healthCheck()` then `confirm()` or `revert()` after a trial; `beginInstall()` for an update) →
 * power off. Everything persistent is on simulated flash in `dir`:
 *
 *   slot-a.bin, slot-b.bin   the image slots, `slotBytes` each
 *   boot-state.bin           the boot state, two alternating copies (boot-state.ts)
 *   otp-fuses.bin            the security counter, write-once fuses (otp-counter.ts)
 *
 * Every flash write is one operation for the fault injector (FlashFaults). When power is lost in one,
 * this object is dead (ERR_BOOT_POWER_LOST on every call) and the device must be reopened and booted,
 * as after a real power cut. The order of writes is what makes each cut safe:
 *
 * - install: state `writing` before the slot's first byte, so the old image there is no longer a
 *   fallback; `pending` only after the whole slot verified from flash;
 * - boot: a pending slot becomes `trial` on flash BEFORE it runs (its one attempt is spent), so a
 *   crash or power loss during the trial reverts at the next boot; an unconfirmed trial found at
 *   boot is marked `bad`;
 * - confirm: the slot becomes `good` and primary, and only then is the OTP counter raised (as
 *   MCUboot raises it on confirm); a boot of a confirmed image whose counter is above the OTP's
 *   raises it, which finishes a confirm cut between its two writes.
 */
import { join } from 'node:path';
import { ImageStreamVerifier, MODEL_NAME, type FirmwareDescriptor, type ImageKeyring } from '@medsim/firmware';
import {
  BootInvalidOptionsError,
  BootInvalidStateError,
  BootModelMismatchError,
  BootNoValidImageError,
  BootOtpExhaustedError,
  BootPowerLostError,
  BootRollbackError,
  BootSlotTooSmallError,
  BootVerifyFailedError,
  BootWriteFailedError,
  type DeviceError,
} from '../errors.js';
import type { FlashDurability } from '../runtime/simulated-flash.js';
import { BootStateStore, SLOT_NAMES, otherSlot, withSlot, type BadSlotReason, type BootState, type InstallTarget, type SlotImage, type SlotName, type SlotState } from './boot-state.js';
import type { FlashFaults } from './flash-faults.js';
import { FlashRegion } from './flash-region.js';
import { checkHeaderMatches, checkRollback, checkTarget, type InstallContext } from './install-policy.js';
import { OtpCounter } from './otp-counter.js';
import { bootErrorOf, feedFromFlash, maxPayloadFor, readSlotDescriptor, verifySlot } from './slot-verifier.js';
import { SlotWriter, type SlotWriterHost } from './slot-writer.js';

/** Smallest slot: 4 KiB (room for the smallest image, 336 bytes, with margin). */
export const MIN_SLOT_BYTES = 4 * 1024;
/** Largest slot: 512 MiB (the image format's 256 MiB payload limit, twice over). */
export const MAX_SLOT_BYTES = 512 * 1024 * 1024;

/** Options of Bootloader.open and Bootloader.provision. */
export interface BootloaderOptions {
  /** Bytes of each image slot, MIN_SLOT_BYTES to MAX_SLOT_BYTES; fixed for the device's life. */
  readonly slotBytes: number;
  /** The image keys the device trusts (burned in at manufacturing). */
  readonly keyring: ImageKeyring;
  /** The device model; an image for another model never installs or boots. */
  readonly model: string;
  /** Counts flash writes and injects faults (tests). */
  readonly faults?: FlashFaults;
  /** Default 'fsync'; 'none' is for benchmarks only. */
  readonly durability?: FlashDurability;
}

/** Something boot() did or met that the device should report (an audit entry each). */
export type BootEvent =
  /** A trial boot ended without confirm: the slot is marked bad (automatic revert). */
  | { readonly kind: 'trial-reverted'; readonly slot: SlotName }
  /** A slot's image failed secure boot and is marked bad; `code` says why (`cause`: the image error). */
  | { readonly kind: 'slot-refused'; readonly slot: SlotName; readonly code: string; readonly cause?: string }
  /** The OTP counter was raised to the confirmed image's counter. */
  | { readonly kind: 'counter-raised'; readonly from: number; readonly to: number }
  /** A write failed; the boot went on without it (`step` says which). */
  | { readonly kind: 'write-failed'; readonly step: 'mark-bad' | 'start-trial' | 'set-primary' | 'raise-counter'; readonly code: string };

/** The result of boot(). */
export type BootResult =
  /** An application image runs from `slot`; `trial` when this is its one unconfirmed attempt. */
  | { readonly mode: 'application'; readonly slot: SlotName; readonly image: SlotImage; readonly trial: boolean; readonly events: readonly BootEvent[] }
  /** Safe mode: no slot passed secure boot; the device runs no application image. */
  | { readonly mode: 'safe'; readonly error: BootNoValidImageError; readonly events: readonly BootEvent[] };

/** What the health check found in the running image. */
export interface HealthCheckResult {
  readonly healthy: boolean;
  /** The simulated firmware's descriptor, when the payload has one. */
  readonly descriptor?: FirmwareDescriptor;
  /** Why it is not healthy. */
  readonly reason?: 'self-test-failed' | 'no-descriptor' | 'descriptor-mismatch';
}

/** A read-only view of the bootloader's persistent state. */
export interface BootStatus {
  readonly primary: SlotName | null;
  readonly slots: Readonly<Record<SlotName, SlotState>>;
  /** The OTP security counter. */
  readonly securityCounter: number;
  /** What runs now (undefined before boot and in safe mode). */
  readonly running?: { readonly slot: SlotName; readonly image: SlotImage; readonly trial: boolean };
}

const SLOT_FILES: Record<SlotName, string> = { A: 'slot-a.bin', B: 'slot-b.bin' };

interface Running {
  readonly slot: SlotName;
  readonly image: SlotImage;
  trial: boolean;
}

function checkOptions(options: BootloaderOptions): void {
  const { slotBytes, model } = options;
  if (!Number.isSafeInteger(slotBytes) || slotBytes < MIN_SLOT_BYTES || slotBytes > MAX_SLOT_BYTES) {
    throw new BootInvalidOptionsError(`slotBytes must be a whole number from ${MIN_SLOT_BYTES} to ${MAX_SLOT_BYTES}`, { details: { field: 'slotBytes' } });
  }
  if (typeof model !== 'string' || !MODEL_NAME.test(model)) throw new BootInvalidOptionsError('model must be a device model name (a-z, 0-9, -)', { details: { field: 'model' } });
}

/** The A/B bootloader of one simulated device (see the file comment). */
export class Bootloader {
  /** The directory holding the slots, the boot state and the fuses. */
  readonly dir: string;
  readonly #options: BootloaderOptions;
  readonly #slots: Record<SlotName, FlashRegion>;
  readonly #store: BootStateStore;
  readonly #otp: OtpCounter;
  #running: Running | undefined;
  #booted = false;
  #rebootDue = false;
  #closed = false;
  #poweredOff = false;
  #writer: SlotWriter | undefined;

  private constructor(dir: string, options: BootloaderOptions, slots: Record<SlotName, FlashRegion>, store: BootStateStore, otp: OtpCounter) {
    this.dir = dir;
    this.#options = options;
    this.#slots = slots;
    this.#store = store;
    this.#otp = otp;
  }

  /**
   * Powers the device's flash up: opens (creating when absent) the slots, the boot state and the
   * fuses in `dir`. Nothing is verified or run until boot(). Throws ERR_BOOT_INVALID_OPTIONS,
   * ERR_BOOT_UNAVAILABLE.
   */
  static open(dir: string, options: BootloaderOptions): Bootloader {
    checkOptions(options);
    const flash = { ...(options.faults === undefined ? {} : { faults: options.faults }), ...(options.durability === undefined ? {} : { durability: options.durability }) };
    const opened: { close(): void }[] = [];
    try {
      const a = FlashRegion.open(join(dir, SLOT_FILES.A), options.slotBytes, flash);
      opened.push(a);
      const b = FlashRegion.open(join(dir, SLOT_FILES.B), options.slotBytes, flash);
      opened.push(b);
      const store = BootStateStore.open(dir, flash);
      opened.push(store);
      const otp = OtpCounter.open(dir, flash);
      return new Bootloader(dir, options, { A: a, B: b }, store, otp);
    } catch (error) {
      for (const part of opened) part.close();
      throw error;
    }
  }

  /**
   * Manufacturing: writes the factory image into slot A of a device that has no boot state yet,
   * verifies it from flash, records it as the confirmed primary and raises the OTP counter to its
   * security counter. Returns the image. Throws ERR_BOOT_INVALID_STATE (already provisioned),
   * ERR_BOOT_SLOT_TOO_SMALL, ERR_BOOT_MODEL_MISMATCH, ERR_BOOT_VERIFY_FAILED, ERR_BOOT_ROLLBACK
   * (a counter below the fuses'), and write errors.
   */
  static provision(dir: string, options: BootloaderOptions, image: Uint8Array): SlotImage {
    const loader = Bootloader.open(dir, options);
    try {
      return loader.#run(() => {
        if (loader.#store.hasState) throw new BootInvalidStateError('this device is already provisioned; updates go through beginInstall');
        if (image.length > options.slotBytes) throw new BootSlotTooSmallError(`an image of ${image.length} bytes does not fit the ${options.slotBytes}-byte slot`, { details: { imageBytes: image.length, slotBytes: options.slotBytes } });
        loader.#slots.A.write(0, image);
        const installed = loader.#verifyInstalled('A', undefined, image.length, undefined);
        loader.#store.save({ primary: 'A', slots: { A: { status: 'good', image: installed }, B: { status: 'empty' } } });
        loader.#otp.raise(installed.securityCounter);
        return installed;
      });
    } finally {
      loader.close();
    }
  }

  /** The OTP security counter, read from the fuses. */
  get securityCounter(): number {
    return this.#run(() => this.#otp.read());
  }

  /** The persistent state and what runs now. */
  status(): BootStatus {
    return this.#run(() => {
      const running = this.#running;
      const { primary, slots } = this.#store.state;
      return { primary, slots, securityCounter: this.#otp.read(), ...(running === undefined ? {} : { running: { slot: running.slot, image: running.image, trial: running.trial } }) };
    });
  }

  /**
   * Power-on: once per power cycle. Reverts an unconfirmed trial, starts the trial of a pending
   * image, else runs the primary (falling back to the other good slot); every candidate passes
   * secure boot first (see #checkBootable). Returns what runs, or safe mode. Throws only
   * ERR_BOOT_POWER_LOST (and ERR_BOOT_INVALID_STATE when called twice).
   */
  boot(): BootResult {
    return this.#run(() => {
      if (this.#booted) throw new BootInvalidStateError('boot() runs once per power cycle; reopen the bootloader to reboot');
      this.#booted = true;
      const events: BootEvent[] = [];
      let state = this.#store.state;
      const markBad = (slot: SlotName, reason: BadSlotReason): void => {
        state = withSlot(state, slot, { status: 'bad', reason });
        this.#trySave(state, events, 'mark-bad');
      };

      for (const slot of SLOT_NAMES) {
        if (state.slots[slot].status !== 'trial') continue;
        markBad(slot, 'not-confirmed');
        events.push({ kind: 'trial-reverted', slot });
      }

      for (const slot of SLOT_NAMES) {
        const entry = state.slots[slot];
        if (entry.status !== 'pending') continue;
        const refusal = this.#checkBootable(slot, entry.image);
        if (refusal !== undefined) {
          events.push(refusedEvent(slot, refusal));
          markBad(slot, 'refused-at-boot');
          continue;
        }
        const next = withSlot(state, slot, { status: 'trial', image: entry.image });
        // The one attempt is spent on flash before the image runs; if that write fails, no trial.
        if (this.#trySave(next, events, 'start-trial')) {
          this.#running = { slot, image: entry.image, trial: true };
          return { mode: 'application', slot, image: entry.image, trial: true, events };
        }
      }

      const first = state.primary ?? 'A';
      for (const slot of [first, otherSlot(first)]) {
        const entry = state.slots[slot];
        if (entry.status !== 'good') continue;
        const refusal = this.#checkBootable(slot, entry.image);
        if (refusal !== undefined) {
          events.push(refusedEvent(slot, refusal));
          markBad(slot, 'refused-at-boot');
          continue;
        }
        if (state.primary !== slot) {
          state = { primary: slot, slots: state.slots };
          this.#trySave(state, events, 'set-primary');
        }
        this.#raiseCounter(entry.image.securityCounter, events);
        this.#running = { slot, image: entry.image, trial: false };
        return { mode: 'application', slot, image: entry.image, trial: false, events };
      }

      const refused = events.filter((e) => e.kind === 'slot-refused').map((e) => `${e.slot}:${e.code}`);
      return { mode: 'safe', error: new BootNoValidImageError('no slot holds an image that passes secure boot; running in safe mode', { details: { refused: refused.join(',') || 'none' } }), events };
    });
  }

  /**
   * The post-boot health check the device runtime calls during a trial: reads the running image's
   * descriptor from flash; healthy when it names this model and version and its self-test passes.
   * Throws ERR_BOOT_INVALID_STATE when no application runs.
   */
  healthCheck(): HealthCheckResult {
    return this.#run(() => {
      const running = this.#requireRunning();
      const descriptor = readSlotDescriptor(this.#slots[running.slot]);
      if (descriptor === undefined) return { healthy: false, reason: 'no-descriptor' };
      if (descriptor.model !== this.#options.model || descriptor.version !== running.image.version) return { healthy: false, descriptor, reason: 'descriptor-mismatch' };
      return descriptor.selfTest === 'pass' ? { healthy: true, descriptor } : { healthy: false, descriptor, reason: 'self-test-failed' };
    });
  }

  /**
   * Makes the trial image permanent (good, primary), then raises the OTP counter to its security
   * counter. Idempotent for an image already confirmed. Returns the image and the counter. Throws
   * ERR_BOOT_INVALID_STATE (no application, or after revert); ERR_BOOT_WRITE_FAILED from the state
   * write (nothing changed) or with `details.confirmed` from the counter (confirmed; the next boot
   * raises it); ERR_BOOT_OTP_EXHAUSTED (confirmed, counter not raised); ERR_BOOT_POWER_LOST.
   */
  confirm(): { readonly slot: SlotName; readonly image: SlotImage; readonly securityCounter: number } {
    return this.#run(() => {
      const running = this.#requireRunning();
      if (running.trial) {
        const state = this.#store.state;
        this.#store.save({ primary: running.slot, slots: { ...state.slots, [running.slot]: { status: 'good', image: running.image } } });
        running.trial = false;
      }
      try {
        this.#otp.raise(running.image.securityCounter);
      } catch (error) {
        if (!(error instanceof BootWriteFailedError)) throw error;
        throw new BootWriteFailedError('the image is confirmed but the security counter was not raised; the next boot raises it', { cause: error, details: { confirmed: true, step: 'raise-counter' } });
      }
      return { slot: running.slot, image: running.image, securityCounter: this.#otp.read() };
    });
  }

  /**
   * Gives the trial up (its health check failed): the slot is marked bad and the device must
   * reboot, which runs the previous image. Throws ERR_BOOT_INVALID_STATE (no trial runs),
   * ERR_BOOT_WRITE_FAILED (nothing changed: the next boot reverts anyway), ERR_BOOT_POWER_LOST.
   */
  revert(): void {
    this.#run(() => {
      const running = this.#requireRunning();
      if (!running.trial) throw new BootInvalidStateError('revert() gives up a trial; the running image is confirmed');
      this.#store.save(withSlot(this.#store.state, running.slot, { status: 'bad', reason: 'reverted' }));
      this.#rebootDue = true;
    });
  }

  /**
   * Starts (or resumes) writing an image into the inactive slot, after checking the declared
   * `target` (install-policy.ts): a writer positioned at `written`. Resumes when the slot holds an
   * interrupted install of the same target, re-verifying its bytes from flash (from 0 if they no
   * longer verify). Throws ERR_BOOT_INVALID_STATE (before boot, during a trial, after revert),
   * ERR_BOOT_TARGET_INVALID, ERR_BOOT_SLOT_TOO_SMALL, ERR_BOOT_MODEL_MISMATCH, ERR_BOOT_ROLLBACK,
   * and write errors. In safe mode it writes slot A, checked against the OTP counter only.
   */
  beginInstall(target: InstallTarget): SlotWriter {
    return this.#run(() => {
      if (!this.#booted) throw new BootInvalidStateError('boot() first: the installer needs to know which slot runs');
      if (this.#rebootDue) throw new BootInvalidStateError('the trial was reverted; reboot first');
      const running = this.#running;
      if (running?.trial === true) throw new BootInvalidStateError('a trial runs: confirm or revert it before installing again (its fallback is the inactive slot)');
      const context = this.#context();
      checkTarget(target, context);
      const slot = running === undefined ? 'A' : otherSlot(running.slot);
      const current = this.#store.state.slots[slot];
      const resuming = current.status === 'writing' && sameTarget(current.target, target);
      let verifier = this.#newVerifier();
      let written = 0;
      if (resuming && current.written > 0) {
        if (this.#refeed(slot, verifier, target, current.written)) written = current.written;
        else verifier = this.#newVerifier();
      }
      // Before the slot's first byte changes, it stops being anything bootable.
      if (!resuming || written !== current.written) this.#store.save(withSlot(this.#store.state, slot, { status: 'writing', target, written }));
      const writer = new SlotWriter(this.#host(slot, target), slot, target, verifier, written);
      this.#writer = writer;
      return writer;
    });
  }

  /** Powers the flash down (closes the files). Idempotent. */
  close(): void {
    this.#closed = true;
    this.#closeFiles();
  }

  #host(slot: SlotName, target: InstallTarget): SlotWriterHost {
    return {
      run: (fn) => this.#run(fn),
      isCurrent: (writer) => this.#writer === writer,
      checkHeader: (verifier) => {
        if (verifier.header !== undefined) checkHeaderMatches(verifier.header, target, this.#options.model);
      },
      read: (offset, length) => new Uint8Array(this.#slots[slot].read(offset, length)),
      commit: (offset, bytes, written) => {
        this.#slots[slot].write(offset, bytes);
        this.#store.save(withSlot(this.#store.state, slot, { status: 'writing', target, written }));
      },
      complete: (streamed) => {
        let installed: SlotImage;
        try {
          installed = this.#verifyInstalled(slot, streamed.hash, target.size, this.#context());
        } catch (error) {
          if (!(error instanceof BootPowerLostError)) this.#markRefused(slot);
          throw error;
        }
        this.#store.save(withSlot(this.#store.state, slot, { status: 'pending', image: installed }));
        return installed;
      },
      refuse: () => this.#markRefused(slot),
    };
  }

  /** Feeds the `written` bytes already in `slot` to `verifier`; false when they no longer verify. */
  #refeed(slot: SlotName, verifier: ImageStreamVerifier, target: InstallTarget, written: number): boolean {
    try {
      feedFromFlash(this.#slots[slot], verifier, 0, written);
      if (verifier.header !== undefined) checkHeaderMatches(verifier.header, target, this.#options.model);
      return true;
    } catch {
      return false;
    }
  }

  #newVerifier(): ImageStreamVerifier {
    return new ImageStreamVerifier({ keyring: this.#options.keyring, maxPayloadBytes: maxPayloadFor(this.#options.slotBytes) });
  }

  /**
   * Verifies `slot` from flash after its bytes were written: exactly `size` bytes, the hash that
   * streamed (when given), this model, the rollback policy (against `context`, or the OTP counter
   * alone). Returns the slot's image record.
   */
  #verifyInstalled(slot: SlotName, streamedHash: Uint8Array | undefined, size: number, context: InstallContext | undefined): SlotImage {
    const onFlash = verifySlot(this.#slots[slot], this.#options.keyring);
    if ((streamedHash !== undefined && !Buffer.from(onFlash.hash).equals(Buffer.from(streamedHash))) || onFlash.totalSize !== size) {
      throw new BootVerifyFailedError('the slot on flash does not hold the image that was streamed', { details: { cause: 'ERR_FW_IMAGE_HASH_MISMATCH' } });
    }
    const header = onFlash.header;
    if (header.model !== this.#options.model) throw new BootModelMismatchError(`the image is for ${header.model}, this device is a ${this.#options.model}`, { details: { imageModel: header.model, deviceModel: this.#options.model } });
    const image: SlotImage = { hash: Buffer.from(onFlash.hash).toString('hex'), size: onFlash.totalSize, version: header.versionText, securityCounter: header.securityCounter };
    checkRollback(image, context ?? { model: this.#options.model, slotBytes: this.#options.slotBytes, otpCounter: this.#otp.read(), running: undefined });
    return image;
  }

  /**
   * Secure boot of one slot, from its bytes on flash, every start: structure, hash and signature
   * under the keyring; the hash recorded at install (a different, even validly signed, image put in
   * the slot afterwards is refused); this model; a security counter not below the OTP's. Returns
   * the refusal, or undefined when the slot may run. Fails closed.
   */
  #checkBootable(slot: SlotName, recorded: SlotImage): DeviceError | undefined {
    try {
      const verified = verifySlot(this.#slots[slot], this.#options.keyring);
      if (Buffer.from(verified.hash).toString('hex') !== recorded.hash || verified.totalSize !== recorded.size) {
        return new BootVerifyFailedError('the slot holds another image than the one installed there', { details: { cause: 'ERR_FW_IMAGE_HASH_MISMATCH' } });
      }
      if (verified.header.model !== this.#options.model) return new BootModelMismatchError(`the image is for ${verified.header.model}`, { details: { imageModel: verified.header.model, deviceModel: this.#options.model } });
      const otpCounter = this.#otp.read();
      if (verified.header.securityCounter < otpCounter) {
        return new BootRollbackError(`security counter ${verified.header.securityCounter} is below the OTP counter ${otpCounter}`, { details: { reason: 'counter-below-otp', securityCounter: verified.header.securityCounter, otpCounter } });
      }
      return undefined;
    } catch (error) {
      if (error instanceof BootPowerLostError) throw error;
      return bootErrorOf(error);
    }
  }

  #raiseCounter(value: number, events: BootEvent[]): void {
    const from = this.#otp.read();
    if (value <= from) return;
    try {
      this.#otp.raise(value);
      events.push({ kind: 'counter-raised', from, to: value });
    } catch (error) {
      if (!(error instanceof BootWriteFailedError || error instanceof BootOtpExhaustedError)) throw error;
      events.push({ kind: 'write-failed', step: 'raise-counter', code: error.code });
    }
  }

  /** Saves `next`; on a failed write notes it and returns false (the boot goes on without it). */
  #trySave(next: BootState, events: BootEvent[], step: 'mark-bad' | 'start-trial' | 'set-primary'): boolean {
    try {
      this.#store.save(next);
      return true;
    } catch (error) {
      if (!(error instanceof BootWriteFailedError)) throw error;
      events.push({ kind: 'write-failed', step, code: error.code });
      return false;
    }
  }

  /** Marks `slot` bad after an install refusal, best effort (a failed write leaves it `writing`, never bootable). */
  #markRefused(slot: SlotName): void {
    try {
      this.#store.save(withSlot(this.#store.state, slot, { status: 'bad', reason: 'refused-at-install' }));
    } catch (error) {
      if (!(error instanceof BootWriteFailedError)) throw error;
    }
  }

  #context(): InstallContext {
    return { model: this.#options.model, slotBytes: this.#options.slotBytes, otpCounter: this.#otp.read(), running: this.#running?.image };
  }

  #requireRunning(): Running {
    if (this.#rebootDue) throw new BootInvalidStateError('the trial was reverted; reboot first');
    if (this.#running === undefined) throw new BootInvalidStateError(this.#booted ? 'no application image runs (safe mode)' : 'boot() first');
    return this.#running;
  }

  /** Runs `fn` on a powered, open bootloader; a power loss inside kills this object. */
  #run<T>(fn: () => T): T {
    if (this.#poweredOff) throw new BootPowerLostError('the device lost power; reopen the bootloader and boot');
    if (this.#closed) throw new BootInvalidStateError('the bootloader is closed');
    try {
      return fn();
    } catch (error) {
      if (error instanceof BootPowerLostError) {
        this.#poweredOff = true;
        this.#closeFiles();
      }
      throw error;
    }
  }

  #closeFiles(): void {
    this.#writer = undefined;
    for (const part of [this.#slots.A, this.#slots.B, this.#store, this.#otp]) part.close();
  }
}

function refusedEvent(slot: SlotName, error: DeviceError): BootEvent {
  const cause = error.details.cause;
  return { kind: 'slot-refused', slot, code: error.code, ...(typeof cause === 'string' ? { cause } : {}) };
}

function sameTarget(a: InstallTarget, b: InstallTarget): boolean {
  return a.size === b.size && a.model === b.model && a.version === b.version && a.securityCounter === b.securityCounter;
}
