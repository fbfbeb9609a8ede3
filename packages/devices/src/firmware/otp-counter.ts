/**
 * The anti-rollback security counter in one-time-programmable fuses (MCUboot's hardware downgrade
 * prevention, docs/design.md "Downgrade prevention"; ISVS 3.4.6). A fuse goes from 0 to 1 and never
 * back: every program of this region ORs into what is there, so no write can clear a bit.
 *
 * The fuses form rows of 8 bytes: value u32 ‖ its bitwise complement u32 (big-endian). A row
 * decodes only when the two halves are exact complements: each bit position needs exactly one of
 * its two fuses burned. A burn only adds fuses, so a partly burned row (a torn write) always has a
 * position with neither fuse yet and never decodes; a blank row (all 0) does not decode either.
 * This is a code that detects every unidirectional error, the property OTP needs.
 *
 * The counter is the largest value among the rows that decode (0 when none). Raising it burns the
 * next blank row. So by construction:
 * - it never decreases: a lower value in a new row does not change the maximum, and no row can be
 *   cleared;
 * - a torn raise leaves the old value (the row does not decode) or the new one (it landed whole);
 *   the torn row is skipped, at the cost of a row.
 * The fuses are finite (64 rows): once spent, raise refuses with ERR_BOOT_OTP_EXHAUSTED.
 */
import { join } from 'node:path';
import { BootOtpExhaustedError, BootTargetInvalidError } from '../errors.js';
import { FlashRegion, type FlashRegionOptions } from './flash-region.js';

/** Fuse rows: how many times the counter can be raised in the device's life. */
export const OTP_ROWS = 64;
/** Bytes per row: value u32 and its complement u32. */
export const OTP_ROW_BYTES = 8;
/** Name of the fuse file in the bootloader's directory. */
export const OTP_FILE = 'otp-fuses.bin';

/** The value a row holds, or undefined when it is blank or partly burned. */
function decodeRow(row: Buffer): number | undefined {
  const value = row.readUInt32BE(0);
  return (value ^ row.readUInt32BE(4)) >>> 0 === 0xffff_ffff ? value : undefined;
}

/** The OTP security counter (see the file comment). */
export class OtpCounter {
  readonly #region: FlashRegion;

  private constructor(region: FlashRegion) {
    this.#region = region;
  }

  /** Opens the fuse file in `dir` (created blank at first use). Throws ERR_BOOT_UNAVAILABLE. */
  static open(dir: string, options: FlashRegionOptions = {}): OtpCounter {
    return new OtpCounter(FlashRegion.open(join(dir, OTP_FILE), OTP_ROWS * OTP_ROW_BYTES, options));
  }

  /** The counter, read from the fuses every time. */
  read(): number {
    return this.#scan().value;
  }

  /** Rows still blank (raises left). */
  rowsLeft(): number {
    return this.#scan().blank.length;
  }

  /**
   * Raises the counter to `value` when it is higher (one write: the next blank row); a value not
   * above the counter changes nothing. Returns the counter. Throws ERR_BOOT_OTP_EXHAUSTED,
   * ERR_BOOT_WRITE_FAILED, ERR_BOOT_POWER_LOST.
   */
  raise(value: number): number {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new BootTargetInvalidError('a security counter is a whole number from 0 to 4294967295', { details: { field: 'securityCounter' } });
    const { value: current, blank } = this.#scan();
    if (value <= current) return current;
    const row = blank[0];
    if (row === undefined) throw new BootOtpExhaustedError(`all ${OTP_ROWS} OTP rows are burned; the counter stays at ${current}`, { details: { securityCounter: current, requested: value } });
    const bytes = Buffer.alloc(OTP_ROW_BYTES);
    bytes.writeUInt32BE(value, 0);
    bytes.writeUInt32BE(~value >>> 0, 4);
    this.#burn(row * OTP_ROW_BYTES, bytes);
    return value;
  }

  /** Closes the fuse file. */
  close(): void {
    this.#region.close();
  }

  /** Programs fuses: ORs `bytes` into the medium, so a bit once set stays set. */
  #burn(offset: number, bytes: Buffer): void {
    const current = this.#region.read(offset, bytes.length);
    for (let i = 0; i < bytes.length; i += 1) current[i] = current[i]! | bytes[i]!;
    this.#region.write(offset, current);
  }

  #scan(): { value: number; blank: number[] } {
    const fuses = this.#region.read(0, OTP_ROWS * OTP_ROW_BYTES);
    let value = 0;
    const blank: number[] = [];
    for (let row = 0; row < OTP_ROWS; row += 1) {
      const bytes = fuses.subarray(row * OTP_ROW_BYTES, (row + 1) * OTP_ROW_BYTES);
      if (bytes.every((b) => b === 0)) blank.push(row);
      const decoded = decodeRow(bytes);
      if (decoded !== undefined && decoded > value) value = decoded;
    }
    return { value, blank };
  }
}
