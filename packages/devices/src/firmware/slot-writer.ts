/**
 * The installer's writer for the inactive slot (what the update agent drives): chunks in order,
 * each verified as it arrives (ImageStreamVerifier: a bad header, an oversized payload or a byte
 * past the image's end is refused at once, before it reaches flash) and then made durable:
 *
 *   write(offset, bytes):  slot write (1 flash operation) → progress `written` in the boot state (1)
 *
 * so `written` is always the length of a prefix that is on flash, and an install interrupted by a
 * reboot resumes there (beginInstall again with the same target). A refused chunk writes nothing;
 * the writer is then spent and beginInstall resumes at `written` from the bytes on flash.
 * `finish()` verifies the whole slot again from flash, applies the install policy and marks the slot
 * pending (one more state write): only then can the next boot try it.
 */
import type { ImageStreamVerifier, StreamVerified } from '@medsim/firmware';
import { BootInvalidStateError, BootOutOfOrderError, BootTargetInvalidError } from '../errors.js';
import type { InstallTarget, SlotImage, SlotName } from './boot-state.js';
import { bootErrorOf } from './slot-verifier.js';

/** What a writer needs from its bootloader (implemented by Bootloader). */
export interface SlotWriterHost {
  /** Runs `fn` unless the bootloader lost power or closed (and notes a power loss). */
  run<T>(fn: () => T): T;
  /** True while `writer` is the bootloader's current install (a new beginInstall supersedes it). */
  isCurrent(writer: SlotWriter): boolean;
  /** Checks the image header once its 128 bytes are in (model, declared version and counter). */
  checkHeader(verifier: ImageStreamVerifier): void;
  /** Writes `bytes` to the slot at `offset`, then records `written` in the boot state. */
  commit(offset: number, bytes: Uint8Array, written: number): void;
  /** Reads `length` bytes of the slot at `offset` from flash. */
  read(offset: number, length: number): Uint8Array;
  /** Re-verifies the slot from flash against what streamed, applies the policy, marks it pending. */
  complete(streamed: StreamVerified): SlotImage;
  /** Marks the slot bad after a refusal at finish (best effort). */
  refuse(): void;
}

/** Writes one image into the inactive slot (see the file comment). */
export class SlotWriter {
  /** The slot written (the one not running). */
  readonly slot: SlotName;
  /** What the image must be. */
  readonly target: InstallTarget;
  readonly #host: SlotWriterHost;
  readonly #verifier: ImageStreamVerifier;
  #written: number;
  #spent: string | undefined;

  /** Made by Bootloader.beginInstall, with a verifier already fed the `written` bytes on flash. */
  constructor(host: SlotWriterHost, slot: SlotName, target: InstallTarget, verifier: ImageStreamVerifier, written: number) {
    this.#host = host;
    this.slot = slot;
    this.target = target;
    this.#verifier = verifier;
    this.#written = written;
  }

  /** Bytes durably written: where the next chunk starts. */
  get written(): number {
    return this.#written;
  }

  /**
   * The `written` bytes already on flash, in chunks of `chunkBytes`: after a reboot, the update
   * agent rebuilds its download checkpoint (offset and running SHA-256) from them.
   */
  *writtenChunks(chunkBytes = 64 * 1024): Generator<Uint8Array> {
    for (let at = 0; at < this.#written; at += chunkBytes) yield this.#host.run(() => this.#host.read(at, Math.min(chunkBytes, this.#written - at)));
  }

  /**
   * Writes the chunk that starts at `offset` (must equal `written`; ERR_BOOT_OUT_OF_ORDER otherwise).
   * Returns the new `written`. Throws ERR_BOOT_TARGET_INVALID (more bytes than declared, or a
   * header that differs from the target), ERR_BOOT_MODEL_MISMATCH, ERR_BOOT_SLOT_TOO_SMALL,
   * ERR_BOOT_VERIFY_FAILED, ERR_BOOT_WRITE_FAILED, ERR_BOOT_POWER_LOST.
   */
  write(offset: number, bytes: Uint8Array): number {
    return this.#host.run(() => {
      this.#checkUsable();
      if (offset !== this.#written) throw new BootOutOfOrderError(`the next chunk starts at ${this.#written}, not ${offset}`, { details: { written: this.#written, offset: String(offset) } });
      if (bytes.length === 0) return this.#written;
      if (this.#written + bytes.length > this.target.size) {
        throw new BootTargetInvalidError(`${this.#written + bytes.length} bytes would exceed the declared ${this.target.size}`, { details: { field: 'size', declared: this.target.size, offered: this.#written + bytes.length } });
      }
      this.#spendOnError(() => {
        const hadHeader = this.#verifier.header !== undefined;
        let plain: Uint8Array;
        try {
          plain = this.#verifier.update(bytes);
        } catch (error) {
          throw bootErrorOf(error);
        }
        if (!hadHeader && this.#verifier.header !== undefined) this.#host.checkHeader(this.#verifier);
        this.#host.commit(offset, plain, offset + plain.length);
      });
      this.#written += bytes.length;
      return this.#written;
    });
  }

  /**
   * Ends the install once all `target.size` bytes are written: verifies the whole slot again from
   * flash and marks it pending (its trial is the next boot). Returns the installed image. A
   * refusal marks the slot bad: ERR_BOOT_VERIFY_FAILED, ERR_BOOT_ROLLBACK, ERR_BOOT_MODEL_MISMATCH;
   * ERR_BOOT_INVALID_STATE when bytes are missing.
   */
  finish(): SlotImage {
    return this.#host.run(() => {
      this.#checkUsable();
      if (this.#written !== this.target.size) throw new BootInvalidStateError(`the install is incomplete: ${this.#written} of ${this.target.size} bytes`, { details: { written: this.#written, size: this.target.size } });
      this.#spent = 'finished';
      let streamed: StreamVerified;
      try {
        streamed = this.#verifier.finish();
      } catch (error) {
        this.#host.refuse();
        throw bootErrorOf(error);
      }
      return this.#host.complete(streamed);
    });
  }

  #spendOnError(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      // The verifier may have taken part of the chunk: a new beginInstall resumes from flash.
      this.#spent = 'refused';
      throw error;
    }
  }

  #checkUsable(): void {
    if (this.#spent !== undefined) throw new BootInvalidStateError(`this install writer is ${this.#spent}; call beginInstall to resume at written`, { details: { written: this.#written } });
    if (!this.#host.isCurrent(this)) throw new BootInvalidStateError('a newer beginInstall replaced this writer', { details: { written: this.#written } });
  }
}
