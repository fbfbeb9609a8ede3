/**
 * A fixed-size region of simulated flash backed by a file: the medium under an image slot, the
 * boot-state sectors and the OTP fuses. Reads and writes go to byte offsets and are synchronous,
 * like a flash driver's. Each write is one flash operation for the fault injector (FlashFaults): it
 * may fail whole (nothing lands) or lose power part-way (a prefix lands and is fsynced, as after a
 * real power cut), after which the region is closed and every call refuses with ERR_BOOT_POWER_LOST.
 * Only the medium is simulated: the files, writes and fsyncs are real.
 */
import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { BootInvalidStateError, BootPowerLostError, BootUnavailableError, BootWriteFailedError } from '../errors.js';
import type { FlashDurability } from '../runtime/simulated-flash.js';
import type { FlashFaults } from './flash-faults.js';

/** Options of FlashRegion.open. */
export interface FlashRegionOptions {
  /** Counts writes and injects faults (none by default). */
  readonly faults?: FlashFaults;
  /** Default 'fsync': a write is on the medium when it returns. */
  readonly durability?: FlashDurability;
}

function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written, position + written);
}

/** A file of fixed size read and written at offsets (see the file comment). */
export class FlashRegion {
  /** Path of the backing file. */
  readonly path: string;
  /** Size in bytes. */
  readonly size: number;
  readonly #faults: FlashFaults | undefined;
  readonly #durability: FlashDurability;
  #fd: number | undefined;
  #poweredOff = false;

  private constructor(path: string, size: number, fd: number, options: FlashRegionOptions) {
    this.path = path;
    this.size = size;
    this.#fd = fd;
    this.#faults = options.faults;
    this.#durability = options.durability ?? 'fsync';
  }

  /**
   * Opens the region file at `path`, creating it (0600, zero-filled, its directory 0700) when
   * absent. Throws ERR_BOOT_UNAVAILABLE when it cannot be opened or has another size.
   */
  static open(path: string, size: number, options: FlashRegionOptions = {}): FlashRegion {
    let fd: number | undefined;
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
      const actual = fstatSync(fd).size;
      if (actual === 0) {
        ftruncateSync(fd, size);
        if ((options.durability ?? 'fsync') === 'fsync') fsyncSync(fd);
      } else if (actual !== size) {
        throw new BootUnavailableError(`${basename(path)} holds ${actual} bytes, not the configured ${size}`, { details: { file: basename(path), fileBytes: actual, sizeBytes: size } });
      }
      return new FlashRegion(path, size, fd, options);
    } catch (cause) {
      if (fd !== undefined) closeSync(fd);
      if (cause instanceof BootUnavailableError) throw cause;
      throw new BootUnavailableError(`cannot open the flash file ${basename(path)}`, { cause, details: { file: basename(path) } });
    }
  }

  /** `length` bytes from `offset` (both within the region). */
  read(offset: number, length: number): Buffer {
    const fd = this.#open();
    this.#checkRange(offset, length);
    const out = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const n = readSync(fd, out, read, length - read, offset + read);
      if (n === 0) break;
      read += n;
    }
    return out;
  }

  /**
   * Writes `bytes` at `offset`: one flash operation. Throws ERR_BOOT_WRITE_FAILED (injected or
   * I/O; an I/O error may leave part of the bytes, which the layers above are built to survive)
   * and ERR_BOOT_POWER_LOST (a prefix landed; the region is closed).
   */
  write(offset: number, bytes: Uint8Array): void {
    const fd = this.#open();
    this.#checkRange(offset, bytes.length);
    const outcome = this.#faults?.next(bytes.length) ?? { kind: 'ok' };
    switch (outcome.kind) {
      case 'fail':
        throw new BootWriteFailedError('flash program failed (injected)', { details: { file: basename(this.path), injected: true } });
      case 'power-loss':
        try {
          writeFully(fd, bytes.subarray(0, outcome.keepBytes), offset);
          // What reached the medium before the cut stays there.
          fsyncSync(fd);
        } finally {
          this.#powerOff();
        }
        throw new BootPowerLostError('power lost during a flash write (injected)', { details: { file: basename(this.path), keptBytes: outcome.keepBytes, writeBytes: bytes.length } });
      case 'ok':
        try {
          writeFully(fd, bytes, offset);
          if (this.#durability === 'fsync') fsyncSync(fd);
        } catch (cause) {
          throw new BootWriteFailedError('flash write failed', { cause, details: { file: basename(this.path) } });
        }
    }
  }

  /** Closes the backing file. Idempotent. */
  close(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) closeSync(fd);
  }

  #powerOff(): void {
    this.#poweredOff = true;
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // Already gone: nothing more to lose.
      }
    }
  }

  #checkRange(offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(`${offset}+${length} is outside the ${this.size}-byte region ${basename(this.path)}`);
    }
  }

  #open(): number {
    if (this.#fd === undefined) {
      if (this.#poweredOff) throw new BootPowerLostError('the flash lost power; reopen the bootloader');
      throw new BootInvalidStateError('the flash region is closed');
    }
    return this.#fd;
  }
}
