/**
 * The two-copy boot-state store: a save goes to the copy not holding the current state, so a save
 * torn at any byte leaves the last good state (or, when every byte landed, the new one); a copy
 * that fails its CRC or its shape check is ignored.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { BOOT_STATE_FILE, BOOT_STATE_SECTOR_BYTES, BootStateStore, EMPTY_BOOT_STATE, decodeBootState, type BootState } from '../../src/firmware/boot-state.js';
import { FlashFaults } from '../../src/index.js';
import { codeOf } from '../helpers/errors.js';
import { cleanup, deviceDir } from './fixtures.js';

afterEach(cleanup);

const image = { hash: 'ab'.repeat(32), size: 16_656, version: '1.0.0', securityCounter: 1 };
const first: BootState = { primary: 'A', slots: { A: { status: 'good', image }, B: { status: 'empty' } } };
const second: BootState = { primary: 'A', slots: { A: { status: 'good', image }, B: { status: 'writing', target: { size: 16_656, model: 'insulin-pump', version: '1.1.0', securityCounter: 2 }, written: 4096 } } };
const third: BootState = { primary: 'A', slots: { A: { status: 'good', image }, B: { status: 'pending', image: { ...image, hash: 'cd'.repeat(32), version: '1.1.0', securityCounter: 2 } } } };

/** Writes a raw copy into sector `index` of the state file. */
function writeCopy(dir: string, index: number, sequence: number, payload: Buffer, crcOverride?: number): void {
  const copy = Buffer.alloc(16 + payload.length);
  copy.write('MSBS', 0, 'ascii');
  copy.writeUInt32BE(sequence, 4);
  copy.writeUInt32BE(payload.length, 8);
  payload.copy(copy, 16);
  copy.writeUInt32BE(crcOverride ?? crc32(payload, crc32(copy.subarray(4, 12))), 12);
  const fd = openSync(join(dir, BOOT_STATE_FILE), 'r+');
  writeSync(fd, copy, 0, copy.length, index * BOOT_STATE_SECTOR_BYTES);
  closeSync(fd);
}

describe('BootStateStore', () => {
  it('starts empty, keeps saves across reopen and alternates copies', () => {
    const dir = deviceDir();
    const store = BootStateStore.open(dir);
    expect(store.hasState).toBe(false);
    expect(store.state).toEqual(EMPTY_BOOT_STATE);
    store.save(first);
    store.save(second);
    store.close();
    const reopened = BootStateStore.open(dir);
    expect(reopened.state).toEqual(second);
    expect(reopened.sequence).toBe(2);
    reopened.save(third);
    reopened.close();
    expect(BootStateStore.open(dir).state).toEqual(third);
  });

  it('[CTL-16] a save torn at EVERY byte keeps the last good state; only a complete save replaces it', { tags: ['CTL-16'] }, () => {
    const length = 16 + Buffer.byteLength(JSON.stringify(third));
    for (let keep = 0; keep <= length; keep += 1) {
      const dir = deviceDir();
      const setup = BootStateStore.open(dir);
      setup.save(first);
      setup.save(second);
      setup.close();
      const store = BootStateStore.open(dir, { faults: new FlashFaults().powerLossAt(1, () => keep) });
      expect(codeOf(() => store.save(third))).toBe('ERR_BOOT_POWER_LOST');
      expect(codeOf(() => store.save(third))).toBe('ERR_BOOT_POWER_LOST');
      const after = BootStateStore.open(dir);
      expect(after.state).toEqual(keep === length ? third : second);
      // And the store goes on from there.
      after.save(first);
      after.close();
      expect(BootStateStore.open(dir).state).toEqual(first);
      cleanup();
    }
  });

  it('ignores a copy that fails its CRC, or passes it with a shape it does not know', () => {
    const dir = deviceDir();
    const store = BootStateStore.open(dir);
    store.save(first);
    store.close();
    writeCopy(dir, 1, 9, Buffer.from(JSON.stringify(second)), 0x1234_5678);
    expect(BootStateStore.open(dir).state).toEqual(first);
    writeCopy(dir, 1, 9, Buffer.from(JSON.stringify({ ...second, primary: 'C' })));
    expect(BootStateStore.open(dir).state).toEqual(first);
    writeCopy(dir, 1, 9, Buffer.from('{not json'));
    expect(BootStateStore.open(dir).state).toEqual(first);
    writeCopy(dir, 1, 9, Buffer.from(JSON.stringify(second)));
    expect(BootStateStore.open(dir).state).toEqual(second);
  });

  it('decodes only well-formed states', () => {
    for (const state of [first, second, third, EMPTY_BOOT_STATE, { primary: null, slots: { A: { status: 'bad', reason: 'reverted' }, B: { status: 'trial', image } } }]) expect(decodeBootState(JSON.parse(JSON.stringify(state)))).toEqual(state);
    for (const bad of [
      null,
      [],
      { primary: 'A', slots: { A: { status: 'good', image } } },
      { primary: 'A', slots: { A: { status: 'good', image: { ...image, hash: 'zz' } }, B: { status: 'empty' } } },
      { primary: 'A', slots: { A: { status: 'good', image, extra: 1 }, B: { status: 'empty' } } },
      { primary: 'A', slots: { A: { status: 'bad', reason: 'cosmic-ray' }, B: { status: 'empty' } } },
      { primary: 'A', slots: { A: { status: 'writing', target: second.slots.B.status === 'writing' ? second.slots.B.target : {}, written: 99_999 }, B: { status: 'empty' } } },
      { primary: 'A', slots: { A: { status: 'good', image: { ...image, securityCounter: 2 ** 32 } }, B: { status: 'empty' } } },
      { primary: 'A', slots: { A: { status: 'unknown' }, B: { status: 'empty' } } },
    ]) {
      expect(decodeBootState(bad)).toBeUndefined();
    }
  });
});
