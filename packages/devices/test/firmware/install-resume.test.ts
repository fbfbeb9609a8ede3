/**
 * Chunked installs with resume: `written` is always a prefix that is on flash, so an install cut by
 * a reboot (or a refused chunk, or a failed write) continues there with the same target, and the
 * result verifies as if it had never stopped.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Bootloader, FlashFaults } from '../../src/index.js';
import { codeOf } from '../helpers/errors.js';
import { CHUNK_BYTES, cleanup, hashOf, install, makeImage, optionsFor, provisioned, reboot, targetOf } from './fixtures.js';

const v1 = makeImage('1.0.0', 1);
const v2 = makeImage('1.1.0', 2);

afterEach(cleanup);

function flipSlotB(dir: string, offset: number): void {
  const fd = openSync(join(dir, 'slot-b.bin'), 'r+');
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, offset);
  byte[0]! ^= 0x01;
  writeSync(fd, byte, 0, 1, offset);
  closeSync(fd);
}

/** Boots `dir` twice more: the trial of v2, confirmed; asserts it ran the exact v2 bytes. */
function expectTrialOfV2(dir: string): void {
  const { loader, result } = reboot(dir);
  expect(result).toMatchObject({ mode: 'application', slot: 'B', trial: true, image: { hash: hashOf(v2), size: v2.length } });
  loader.confirm();
  loader.close();
}

describe('install with resume', () => {
  it('[CTL-12][CTL-16] an install interrupted by power loss continues at `written` after reopen, and the result verifies', { tags: ['CTL-12', 'CTL-16'] }, () => {
    const dir = provisioned(v1);
    // Writes: 1 marks B writing; then 2 per chunk (data, progress). Cut the third chunk's data write.
    const faults = new FlashFaults().powerLossAt(1 + 2 * 2 + 1);
    let { loader } = reboot(dir, faults);
    const writer = loader.beginInstall(targetOf(v2));
    expect(writer.written).toBe(0);
    const writeAll = (): void => {
      for (let at = writer.written; at < v2.length; at += CHUNK_BYTES) writer.write(at, v2.subarray(at, at + CHUNK_BYTES));
    };
    expect(codeOf(writeAll)).toBe('ERR_BOOT_POWER_LOST');
    expect(faults.writes).toBe(6);
    expect(writer.written).toBe(2 * CHUNK_BYTES);
    // A device without power does nothing more.
    expect(codeOf(() => loader.status())).toBe('ERR_BOOT_POWER_LOST');
    expect(codeOf(() => writer.write(writer.written, v2.subarray(writer.written)))).toBe('ERR_BOOT_POWER_LOST');

    const rebooted = reboot(dir);
    loader = rebooted.loader;
    expect(rebooted.result).toMatchObject({ slot: 'A', trial: false });
    expect(loader.status().slots.B).toEqual({ status: 'writing', target: targetOf(v2), written: 2 * CHUNK_BYTES });
    const resumed = loader.beginInstall(targetOf(v2));
    expect(resumed.written).toBe(2 * CHUNK_BYTES);
    for (let at = resumed.written; at < v2.length; at += CHUNK_BYTES) resumed.write(at, v2.subarray(at, at + CHUNK_BYTES));
    expect(resumed.finish().hash).toBe(hashOf(v2));
    loader.close();
    expectTrialOfV2(dir);
  });

  it('refuses a chunk at another offset than `written`, writing nothing', () => {
    const dir = provisioned(v1);
    const { loader } = reboot(dir);
    const writer = loader.beginInstall(targetOf(v2));
    writer.write(0, v2.subarray(0, CHUNK_BYTES));
    for (const offset of [0, CHUNK_BYTES + 1, CHUNK_BYTES - 1, -1]) {
      expect(codeOf(() => writer.write(offset, v2.subarray(offset, offset + CHUNK_BYTES)))).toBe('ERR_BOOT_OUT_OF_ORDER');
    }
    expect(writer.written).toBe(CHUNK_BYTES);
    for (let at = CHUNK_BYTES; at < v2.length; at += 1000) writer.write(at, v2.subarray(at, at + 1000));
    writer.write(v2.length, new Uint8Array(0));
    writer.finish();
    loader.close();
    expectTrialOfV2(dir);
  });

  it('[CTL-12] a chunk refused in transit writes nothing; beginInstall resumes from the flash bytes', { tags: ['CTL-12'] }, () => {
    const dir = provisioned(v1);
    const { loader } = reboot(dir);
    const writer = loader.beginInstall(targetOf(v2));
    const badHeader = Buffer.from(v2.subarray(0, CHUNK_BYTES));
    badHeader[0] = 0x00;
    expect(codeOf(() => writer.write(0, badHeader))).toBe('ERR_BOOT_VERIFY_FAILED');
    expect(codeOf(() => writer.write(0, v2.subarray(0, CHUNK_BYTES)))).toBe('ERR_BOOT_INVALID_STATE');
    expect(install(loader, v2).hash).toBe(hashOf(v2));
    loader.close();
    expectTrialOfV2(dir);
  });

  it('[CTL-16] a failed slot or progress write (EIO) loses only that chunk', { tags: ['CTL-16'] }, () => {
    for (const failing of [4, 5]) {
      const dir = provisioned(v1);
      const { loader } = reboot(dir, new FlashFaults().failAt(failing));
      expect(codeOf(() => install(loader, v2))).toBe('ERR_BOOT_WRITE_FAILED');
      // Write 4 is the second chunk's data, write 5 its progress: either way the durable prefix is one chunk.
      expect(loader.status().slots.B).toMatchObject({ status: 'writing', written: CHUNK_BYTES });
      expect(install(loader, v2).hash).toBe(hashOf(v2));
      loader.close();
      expectTrialOfV2(dir);
    }
  });

  it('[CTL-12] the durable prefix is verified again from flash on resume: a damaged header restarts at 0, a damaged payload byte fails at finish', { tags: ['CTL-12'] }, () => {
    for (const [offset, outcome] of [
      [0, 'restart'],
      [128 + 100, 'refused'],
    ] as const) {
      const dir = provisioned(v1);
      let { loader } = reboot(dir, new FlashFaults().powerLossAt(1 + 2 * 3 + 1));
      expect(codeOf(() => install(loader, v2))).toBe('ERR_BOOT_POWER_LOST');
      flipSlotB(dir, offset);
      ({ loader } = reboot(dir));
      const writer = loader.beginInstall(targetOf(v2));
      expect(writer.written).toBe(outcome === 'restart' ? 0 : 3 * CHUNK_BYTES);
      if (outcome === 'restart') {
        expect(loader.status().slots.B).toMatchObject({ status: 'writing', written: 0 });
        expect(install(loader, v2).hash).toBe(hashOf(v2));
      } else {
        expect(codeOf(() => install(loader, v2))).toBe('ERR_BOOT_VERIFY_FAILED');
        expect(loader.status().slots.B).toEqual({ status: 'bad', reason: 'refused-at-install' });
        expect(install(loader, v2).hash).toBe(hashOf(v2));
      }
      loader.close();
      expectTrialOfV2(dir);
    }
  });

  it('another target than the interrupted one starts from 0', () => {
    const dir = provisioned(v1);
    let { loader } = reboot(dir, new FlashFaults().powerLossAt(6));
    expect(codeOf(() => install(loader, v2))).toBe('ERR_BOOT_POWER_LOST');
    ({ loader } = reboot(dir));
    const v3 = makeImage('1.2.0', 2);
    expect(loader.beginInstall(targetOf(v3)).written).toBe(0);
    expect(install(loader, v3).version).toBe('1.2.0');
    loader.close();
    const booted = Bootloader.open(dir, optionsFor());
    expect(booted.boot()).toMatchObject({ slot: 'B', trial: true, image: { version: '1.2.0' } });
    booted.close();
  });
});
