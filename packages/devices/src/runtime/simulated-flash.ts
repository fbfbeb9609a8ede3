/**
 * Simulated flash: a file of fixed capacity in the device's data directory, used as an
 * append-only log of records, the way small devices keep data across power cycles (a NOR flash
 * region written sequentially, as in littlefs' metadata logs or ST AN2594 EEPROM emulation).
 * Only the medium is simulated: the writes, the fsyncs and the torn tails are real.
 *
 * Record layout (little-endian, as on Cortex-M parts):
 *
 *   magic u16 (0xF1A5) ‖ length u32 (payload bytes) ‖ crc32 u32 ‖ payload
 *
 * The CRC-32 is the IEEE 802.3 / zlib polynomial (node:zlib `crc32`, Node ≥ 20.15) over
 * length ‖ payload, so a damaged length is caught too. It is an integrity check of our own storage
 * against torn writes and bit rot, not a security control: anyone who can write the file can fix
 * up the CRC. CRC-32 detects every burst error of up to 32 bits, so any single flipped byte.
 *
 * Recovery on open validates every record from the start; the first record that is incomplete
 * (power lost mid-write) or fails its magic or CRC ends the log: it and everything after it are
 * truncated, and `recovery` says what was found. A commit (`append`) is durable when it returns
 * with `durability: 'fsync'` (the default; `'none'` is for benchmarks only).
 *
 * Compaction (`rewrite`) models a flash with two banks (AN2594's page swap): the live records are
 * written to a spare file, fsynced, and renamed over the active one, so power lost during a
 * compaction leaves the old log intact. The caller decides which records are live.
 */
import {
  closeSync,
  constants,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { FlashClosedError, FlashFullError, FlashPowerLostError, FlashUnavailableError, FlashWriteFailedError } from '../errors.js';

/** Marks the start of a record; a different value at a record boundary means corruption. */
export const FLASH_RECORD_MAGIC = 0xf1a5;

/** Header bytes before each payload: magic (2) + length (4) + crc32 (4). */
export const FLASH_RECORD_HEADER_BYTES = 10;

/** 256 KiB: a small external SPI NOR part or a region of a microcontroller's internal flash. */
export const DEFAULT_FLASH_CAPACITY_BYTES = 256 * 1024;

/** `fsync` commits every write to stable storage before returning; `none` is for benchmarks. */
export type FlashDurability = 'fsync' | 'none';

/** Options of SimulatedFlash.open. */
export interface SimulatedFlashOptions {
  /** Fixed capacity in bytes, headers included (default 256 KiB). */
  readonly capacityBytes?: number;
  /** Default 'fsync'. */
  readonly durability?: FlashDurability;
}

/** One valid record: where it starts in the log, and its payload. */
export interface FlashRecord {
  readonly offset: number;
  readonly payload: Buffer;
}

/** Why recovery stopped before the end of the file. */
export type FlashRecoveryReason = 'torn-tail' | 'bad-magic' | 'bad-length' | 'crc-mismatch';

/** What recovery found when the flash was opened. */
export interface FlashRecovery {
  /** Valid records kept. */
  readonly records: number;
  /** Bytes kept (the log's length after recovery). */
  readonly validBytes: number;
  /** Bytes truncated after the last valid record (0 for a clean log). */
  readonly discardedBytes: number;
  /** Why the log ended early; absent for a clean log. */
  readonly reason?: FlashRecoveryReason;
}

/** Bytes a record of `payloadBytes` takes on the flash. */
export const flashRecordBytes = (payloadBytes: number): number => FLASH_RECORD_HEADER_BYTES + payloadBytes;

function encodeRecord(payload: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(flashRecordBytes(payload.length));
  record.writeUInt16LE(FLASH_RECORD_MAGIC, 0);
  record.writeUInt32LE(payload.length, 2);
  record.writeUInt32LE(crc32(payload, crc32(record.subarray(2, 6))), 6);
  record.set(payload, FLASH_RECORD_HEADER_BYTES);
  return record;
}

interface Parsed {
  readonly records: FlashRecord[];
  readonly validBytes: number;
  readonly reason?: FlashRecoveryReason;
}

function parseLog(bytes: Buffer, capacityBytes: number): Parsed {
  const records: FlashRecord[] = [];
  let offset = 0;
  const stop = (reason: FlashRecoveryReason): Parsed => ({ records, validBytes: offset, reason });
  while (offset < bytes.length) {
    if (bytes.length - offset < FLASH_RECORD_HEADER_BYTES) return stop('torn-tail');
    if (bytes.readUInt16LE(offset) !== FLASH_RECORD_MAGIC) return stop('bad-magic');
    const length = bytes.readUInt32LE(offset + 2);
    const end = offset + FLASH_RECORD_HEADER_BYTES + length;
    if (end > capacityBytes) return stop('bad-length');
    if (end > bytes.length) return stop('torn-tail');
    const payload = bytes.subarray(offset + FLASH_RECORD_HEADER_BYTES, end);
    if (crc32(payload, crc32(bytes.subarray(offset + 2, offset + 6))) !== bytes.readUInt32LE(offset + 6)) return stop('crc-mismatch');
    records.push({ offset, payload: Buffer.from(payload) });
    offset = end;
  }
  return { records, validBytes: offset };
}

function syncDirectory(path: string): void {
  const dir = openSync(dirname(path), constants.O_RDONLY);
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written, position + written);
}

/**
 * A file-backed flash region of fixed capacity holding an append-only log of CRC-checked records.
 * Its calls are synchronous, like a flash driver's: when `append` returns, the record is on the
 * medium, and no other code can run between a write and the state that depends on it.
 */
export class SimulatedFlash {
  /** Path of the backing file. */
  readonly path: string;
  /** Capacity in bytes, headers included. */
  readonly capacityBytes: number;
  /** Whether commits are fsynced. */
  readonly durability: FlashDurability;
  /** What recovery found at open. */
  readonly recovery: FlashRecovery;
  #fd: number | undefined;
  #used: number;
  #records: number;
  #powerLossAfter: number | undefined;
  #writeFailures = 0;
  #poweredOff = false;

  private constructor(path: string, options: Required<SimulatedFlashOptions>, fd: number, parsed: Parsed, fileBytes: number) {
    this.path = path;
    this.capacityBytes = options.capacityBytes;
    this.durability = options.durability;
    this.#fd = fd;
    this.#used = parsed.validBytes;
    this.#records = parsed.records.length;
    this.recovery = {
      records: parsed.records.length,
      validBytes: parsed.validBytes,
      discardedBytes: fileBytes - parsed.validBytes,
      ...(parsed.reason === undefined ? {} : { reason: parsed.reason }),
    };
  }

  /**
   * Opens (creating it 0600, and its directory 0700, if absent) the flash file at `path`,
   * validates every record and truncates a torn or corrupt tail. Throws FlashUnavailableError.
   */
  static open(path: string, options: SimulatedFlashOptions = {}): SimulatedFlash {
    const resolved: Required<SimulatedFlashOptions> = {
      capacityBytes: options.capacityBytes ?? DEFAULT_FLASH_CAPACITY_BYTES,
      durability: options.durability ?? 'fsync',
    };
    if (!Number.isSafeInteger(resolved.capacityBytes) || resolved.capacityBytes <= FLASH_RECORD_HEADER_BYTES) {
      throw new RangeError(`flash capacity must be an integer above ${FLASH_RECORD_HEADER_BYTES} bytes`);
    }
    let fd: number | undefined;
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // A spare bank left by a compaction that lost power before its rename is garbage.
      rmSync(`${path}.compact`, { force: true });
      fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
      const bytes = readFileSync(fd);
      if (bytes.length > resolved.capacityBytes) {
        throw new FlashUnavailableError(`${path} holds ${bytes.length} bytes, more than the flash capacity`, {
          details: { fileBytes: bytes.length, capacityBytes: resolved.capacityBytes },
        });
      }
      const parsed = parseLog(bytes, resolved.capacityBytes);
      if (parsed.validBytes < bytes.length) {
        ftruncateSync(fd, parsed.validBytes);
        if (resolved.durability === 'fsync') fsyncSync(fd);
      }
      return new SimulatedFlash(path, resolved, fd, parsed, bytes.length);
    } catch (cause) {
      if (fd !== undefined) closeSync(fd);
      if (cause instanceof FlashUnavailableError) throw cause;
      throw new FlashUnavailableError(`cannot open the flash file ${path}`, { cause });
    }
  }

  /** Bytes in use, headers included. */
  get usedBytes(): number {
    return this.#used;
  }

  /** Bytes still free for records, headers included. */
  get freeBytes(): number {
    return this.capacityBytes - this.#used;
  }

  /** Number of records in the log. */
  get recordCount(): number {
    return this.#records;
  }

  /** False after close() or a simulated power loss. */
  get isOpen(): boolean {
    return this.#fd !== undefined;
  }

  /** The valid records, oldest first, read back from the file. */
  readRecords(): FlashRecord[] {
    const fd = this.#open();
    const bytes = Buffer.alloc(this.#used);
    let read = 0;
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return parseLog(bytes.subarray(0, read), this.capacityBytes).records;
  }

  /**
   * Appends one record and commits it (fsync). Returns its offset. Throws FlashFullError when it
   * does not fit, FlashWriteFailedError (nothing committed), FlashPowerLostError (torn write).
   */
  append(payload: Uint8Array): number {
    const fd = this.#open();
    const record = encodeRecord(payload);
    if (record.length > this.freeBytes) {
      throw new FlashFullError('the record does not fit in the free flash space', {
        details: { recordBytes: record.length, freeBytes: this.freeBytes, capacityBytes: this.capacityBytes },
      });
    }
    const offset = this.#used;
    this.#write(fd, record, offset, () => {
      // An I/O error may leave part of the record behind: cut it so the log stays valid.
      try {
        ftruncateSync(fd, offset);
      } catch {
        // Recovery at the next open truncates it anyway.
      }
    });
    this.#used += record.length;
    this.#records += 1;
    return offset;
  }

  /**
   * Replaces the whole log with `payloads` (compaction), atomically: written to a spare bank,
   * fsynced, renamed over the active one. Power lost before the rename leaves the old log.
   */
  rewrite(payloads: readonly Uint8Array[]): void {
    const current = this.#open();
    const image = Buffer.concat(payloads.map(encodeRecord));
    if (image.length > this.capacityBytes) {
      throw new FlashFullError('the compacted log does not fit in the flash', {
        details: { imageBytes: image.length, capacityBytes: this.capacityBytes },
      });
    }
    const sparePath = `${this.path}.compact`;
    let spare: number;
    try {
      spare = openSync(sparePath, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o600);
    } catch (cause) {
      throw new FlashWriteFailedError('cannot open the spare flash bank', { cause });
    }
    try {
      this.#write(spare, image, 0, () => rmSync(sparePath, { force: true }));
      renameSync(sparePath, this.path);
      if (this.durability === 'fsync') syncDirectory(this.path);
    } catch (cause) {
      if (this.#fd !== undefined) closeQuietly(spare);
      if (cause instanceof FlashWriteFailedError || cause instanceof FlashPowerLostError) throw cause;
      rmSync(sparePath, { force: true });
      throw new FlashWriteFailedError('the compaction could not be committed', { cause });
    }
    closeSync(current);
    this.#fd = spare;
    this.#used = image.length;
    this.#records = payloads.length;
  }

  /**
   * Fault injection: the next write (append or compaction) stops after `afterBytes` bytes, as if
   * power failed; the flash then refuses everything with FlashPowerLostError until reopened.
   */
  injectPowerLoss(options: { readonly afterBytes: number }): void {
    if (!Number.isSafeInteger(options.afterBytes) || options.afterBytes < 0) throw new RangeError('afterBytes must be a non-negative integer');
    this.#powerLossAfter = options.afterBytes;
  }

  /** Fault injection: the next `times` writes fail (nothing written) with FlashWriteFailedError. */
  injectWriteFailure(options: { readonly times?: number } = {}): void {
    this.#writeFailures += options.times ?? 1;
  }

  /** Closes the backing file; later calls throw FlashClosedError. Idempotent. */
  close(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) closeSync(fd);
  }

  #write(fd: number, bytes: Buffer, position: number, undo: () => void): void {
    if (this.#writeFailures > 0) {
      this.#writeFailures -= 1;
      undo();
      throw new FlashWriteFailedError('flash program failed (injected)', { details: { injected: true } });
    }
    const powerLossAfter = this.#powerLossAfter;
    if (powerLossAfter !== undefined) {
      this.#powerLossAfter = undefined;
      try {
        writeFully(fd, bytes.subarray(0, Math.min(powerLossAfter, bytes.length)), position);
        // The bytes that reached the medium stay there, as after a real power cut.
        fsyncSync(fd);
      } finally {
        this.#powerOff(fd);
      }
      throw new FlashPowerLostError('power lost during a flash write (injected)', {
        details: { afterBytes: powerLossAfter, writeBytes: bytes.length },
      });
    }
    try {
      writeFully(fd, bytes, position);
      if (this.durability === 'fsync') fsyncSync(fd);
    } catch (cause) {
      undo();
      throw new FlashWriteFailedError('flash write failed', { cause });
    }
  }

  #powerOff(fd: number): void {
    this.#poweredOff = true;
    const active = this.#fd;
    this.#fd = undefined;
    closeQuietly(fd);
    if (active !== undefined && active !== fd) closeQuietly(active);
  }

  #open(): number {
    if (this.#fd === undefined) {
      if (this.#poweredOff) throw new FlashPowerLostError('the flash lost power; reopen it');
      throw new FlashClosedError('the flash is closed');
    }
    return this.#fd;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
