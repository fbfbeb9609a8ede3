import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FLASH_RECORD_HEADER_BYTES, FLASH_RECORD_MAGIC, SimulatedFlash, flashRecordBytes } from '../../src/runtime/simulated-flash.js';
import { codeOf } from '../helpers/errors.js';

/** Deterministic payloads: record i is `length` bytes of (i * 31 + k) & 0xff. */
const payload = (i: number, length = 20 + i): Buffer => Buffer.from(Array.from({ length }, (_, k) => (i * 31 + k) & 0xff));

const payloadsOf = (flash: SimulatedFlash): Buffer[] => flash.readRecords().map((record) => record.payload);

describe('SimulatedFlash', () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'medsim-flash-'));
    path = join(dir, 'flash.bin');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the documented record layout (magic, length, CRC-32 of length and payload), little-endian', () => {
    const flash = SimulatedFlash.open(path);
    const offset = flash.append(Buffer.from('abc'));
    flash.close();
    const bytes = readFileSync(path);
    expect(offset).toBe(0);
    expect(bytes.length).toBe(FLASH_RECORD_HEADER_BYTES + 3);
    expect(bytes.readUInt16LE(0)).toBe(FLASH_RECORD_MAGIC);
    expect(bytes.readUInt32LE(2)).toBe(3);
    expect(bytes.readUInt32LE(6)).toBe(crc32(Buffer.concat([bytes.subarray(2, 6), Buffer.from('abc')])));
    expect(bytes.subarray(10).toString()).toBe('abc');
  });

  it('[CTL-10] keeps its records across reopen, in a 0600 file', { tags: ['CTL-10', 'CTL-16'] }, async () => {
    const flash = SimulatedFlash.open(path, { capacityBytes: 4096 });
    const written = [0, 1, 2, 3, 4].map((i) => payload(i));
    const offsets = written.map((p) => flash.append(p));
    expect(offsets[1]).toBe(flashRecordBytes(written[0]!.length));
    flash.close();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(codeOf(() => flash.append(payload(9)))).toBe('ERR_FLASH_CLOSED');

    const reopened = SimulatedFlash.open(path, { capacityBytes: 4096 });
    expect(reopened.recovery).toEqual({ records: 5, validBytes: reopened.usedBytes, discardedBytes: 0 });
    expect(payloadsOf(reopened)).toEqual(written);
    expect(reopened.recordCount).toBe(5);
    expect(reopened.usedBytes).toBe(written.reduce((sum, p) => sum + flashRecordBytes(p.length), 0));
    reopened.close();
  });

  it('[CTL-16] power lost at EVERY byte offset of a write: reopen keeps every earlier record and truncates the torn tail', { tags: ['CTL-16'] }, async () => {
    const earlier = [payload(0), payload(1), payload(2)];
    const victim = payload(7, 37);
    const recordLength = flashRecordBytes(victim.length);
    for (let afterBytes = 0; afterBytes <= recordLength; afterBytes += 1) {
      const file = join(dir, `torn-${afterBytes}.bin`);
      const flash = SimulatedFlash.open(file);
      for (const p of earlier) flash.append(p);
      const before = flash.usedBytes;
      flash.injectPowerLoss({ afterBytes });
      expect(codeOf(() => flash.append(victim))).toBe('ERR_FLASH_POWER_LOST');
      // A device without power does nothing more.
      expect(codeOf(() => flash.append(payload(8)))).toBe('ERR_FLASH_POWER_LOST');
      expect(flash.isOpen).toBe(false);
      expect((await stat(file)).size).toBe(before + afterBytes);

      const rebooted = SimulatedFlash.open(file);
      const complete = afterBytes === recordLength;
      expect(payloadsOf(rebooted)).toEqual(complete ? [...earlier, victim] : earlier);
      expect(rebooted.recovery.discardedBytes).toBe(complete ? 0 : afterBytes);
      expect(rebooted.recovery.reason).toBe(complete || afterBytes === 0 ? undefined : 'torn-tail');
      expect((await stat(file)).size).toBe(rebooted.usedBytes);
      // The log goes on where the valid part ends.
      rebooted.append(payload(9));
      rebooted.close();
      const again = SimulatedFlash.open(file);
      expect(payloadsOf(again)).toEqual([...(complete ? [...earlier, victim] : earlier), payload(9)]);
      expect(again.recovery.discardedBytes).toBe(0);
      again.close();
    }
  });

  it('[CTL-16] power lost at every byte of a compaction leaves the previous log intact', { tags: ['CTL-16'] }, () => {
    const original = [payload(0), payload(1), payload(2), payload(3)];
    const compacted = [payload(1), payload(3)];
    const imageBytes = compacted.reduce((sum, p) => sum + flashRecordBytes(p.length), 0);
    for (let afterBytes = 0; afterBytes < imageBytes; afterBytes += 1) {
      const file = join(dir, `compact-${afterBytes}.bin`);
      const flash = SimulatedFlash.open(file);
      for (const p of original) flash.append(p);
      flash.injectPowerLoss({ afterBytes });
      expect(codeOf(() => flash.rewrite(compacted))).toBe('ERR_FLASH_POWER_LOST');
      const rebooted = SimulatedFlash.open(file);
      expect(payloadsOf(rebooted)).toEqual(original);
      expect(existsSync(`${file}.compact`)).toBe(false);
      rebooted.close();
    }
    const flash = SimulatedFlash.open(join(dir, 'compact-ok.bin'));
    for (const p of original) flash.append(p);
    flash.rewrite(compacted);
    flash.append(payload(4));
    expect(flash.usedBytes).toBe(imageBytes + flashRecordBytes(payload(4).length));
    flash.close();
    expect(payloadsOf(SimulatedFlash.open(join(dir, 'compact-ok.bin')))).toEqual([...compacted, payload(4)]);
  });

  it('[CTL-16] a flipped byte is caught by the CRC: that record and all later ones are discarded, with a diagnostic', { tags: ['CTL-16'] }, async () => {
    const written = [0, 1, 2, 3].map((i) => payload(i));
    const flash = SimulatedFlash.open(path);
    const offsets = written.map((p) => flash.append(p));
    flash.close();
    const pristine = await readFile(path);

    // Every byte of record 2 (header and payload): it and record 3 go, records 0 and 1 stay.
    const start = offsets[2]!;
    const end = offsets[3]!;
    const reasons = new Set<string>();
    for (let at = start; at < end; at += 1) {
      const damaged = Buffer.from(pristine);
      damaged[at]! ^= 0x10;
      await writeFile(path, damaged);
      const reopened = SimulatedFlash.open(path);
      expect(payloadsOf(reopened)).toEqual(written.slice(0, 2));
      expect(reopened.recovery.records).toBe(2);
      expect(reopened.recovery.validBytes).toBe(start);
      expect(reopened.recovery.discardedBytes).toBe(pristine.length - start);
      reasons.add(reopened.recovery.reason ?? 'none');
      expect((await stat(path)).size).toBe(start);
      reopened.close();
    }
    // Magic bytes, the length field (too long: torn, or past the capacity) and the CRC/payload.
    expect([...reasons].sort()).toEqual(['bad-length', 'bad-magic', 'crc-mismatch', 'torn-tail']);
  });

  it('[CTL-16] enforces its capacity', { tags: ['CTL-16'] }, async () => {
    const flash = SimulatedFlash.open(path, { capacityBytes: 100 });
    const record = payload(0, 20); // 30 bytes with its header
    expect([flash.append(record), flash.append(record), flash.append(record)]).toEqual([0, 30, 60]);
    expect(flash.freeBytes).toBe(10);
    expect(codeOf(() => flash.append(record))).toBe('ERR_FLASH_FULL');
    expect(flash.append(Buffer.alloc(0))).toBe(90);
    expect(flash.freeBytes).toBe(0);
    expect(codeOf(() => flash.rewrite([payload(0, 50), payload(1, 50)]))).toBe('ERR_FLASH_FULL');
    expect(flash.recordCount).toBe(4);
    flash.close();
    expect((await stat(path)).size).toBe(100);
    expect(codeOf(() => SimulatedFlash.open(path, { capacityBytes: 99 }))).toBe('ERR_FLASH_UNAVAILABLE');
  });

  it('[CTL-16] an injected write failure commits nothing and leaves the flash usable', { tags: ['CTL-16'] }, () => {
    const flash = SimulatedFlash.open(path, { durability: 'none' });
    flash.append(payload(0));
    flash.injectWriteFailure({ times: 2 });
    expect(codeOf(() => flash.append(payload(1)))).toBe('ERR_FLASH_WRITE_FAILED');
    expect(codeOf(() => flash.rewrite([payload(1)]))).toBe('ERR_FLASH_WRITE_FAILED');
    expect(flash.recordCount).toBe(1);
    flash.append(payload(2));
    flash.close();
    expect(payloadsOf(SimulatedFlash.open(path))).toEqual([payload(0), payload(2)]);
  });
});
