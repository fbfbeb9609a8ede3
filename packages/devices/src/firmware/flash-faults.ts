/**
 * Fault injection for the bootloader's flash, modelled on MCUboot's simulator (sim/src/image.rs,
 * `perm_with_fails` and `status_write_fails_*`): one counter of flash write operations shared by
 * every region of a device (image slots, boot-state sectors, OTP fuses), so a test can cut power at
 * write k of an update for every k, or make write k fail as a program error (EIO).
 *
 * The counter lives in this object, not in the bootloader, so it runs on across reopens: a test
 * passes the same injector to every `Bootloader.open` of one scenario and names writes by their
 * number in the whole scenario, recovery boots included.
 */
import { BootInvalidOptionsError } from '../errors.js';

/** How many bytes of a write cut by power loss reach the medium, given its length. */
export type TornWrite = (length: number) => number;

/** What happens to one write operation. */
export type FlashWriteOutcome =
  | { readonly kind: 'ok' }
  /** Nothing lands; the write reports a program failure. */
  | { readonly kind: 'fail' }
  /** `keepBytes` (a prefix) land, then the device has no power. */
  | { readonly kind: 'power-loss'; readonly keepBytes: number };

const OK: FlashWriteOutcome = { kind: 'ok' };

/** Half the bytes, rounded down: a write cut in its middle. */
const HALF: TornWrite = (length) => Math.floor(length / 2);

function checkWriteNumber(write: number): void {
  if (!Number.isSafeInteger(write) || write < 1) throw new BootInvalidOptionsError('a write number is a whole number from 1', { details: { write: String(write) } });
}

/** Counts flash writes and injects faults at chosen write numbers (1-based). */
export class FlashFaults {
  #writes = 0;
  readonly #powerLoss = new Map<number, TornWrite>();
  readonly #failures = new Set<number>();

  /** Write operations counted so far. */
  get writes(): number {
    return this.#writes;
  }

  /**
   * Power fails during write number `write`: `torn(length)` bytes of it land (default half),
   * clamped to 0..length; the region then refuses everything (ERR_BOOT_POWER_LOST).
   */
  powerLossAt(write: number, torn: TornWrite = HALF): this {
    checkWriteNumber(write);
    this.#powerLoss.set(write, torn);
    return this;
  }

  /** Write number `write` fails whole (nothing lands): ERR_BOOT_WRITE_FAILED. */
  failAt(write: number): this {
    checkWriteNumber(write);
    this.#failures.add(write);
    return this;
  }

  /** Called by a flash region before each write of `length` bytes: counts it and says what happens. */
  next(length: number): FlashWriteOutcome {
    this.#writes += 1;
    const torn = this.#powerLoss.get(this.#writes);
    if (torn !== undefined) {
      const keep = Math.trunc(torn(length));
      return { kind: 'power-loss', keepBytes: Number.isFinite(keep) ? Math.min(Math.max(keep, 0), length) : 0 };
    }
    return this.#failures.has(this.#writes) ? { kind: 'fail' } : OK;
  }
}
