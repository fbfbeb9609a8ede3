/**
 * Secure boot (CTL-13): every start verifies the image to run from its bytes on flash (hash,
 * signature under the device's keyring, the hash recorded at install, model, security counter
 * against the OTP fuses), never from a cache (U12 TOCTOU; MCUboot MCUBOOT_VALIDATE_PRIMARY_SLOT);
 * a refused image falls back to the other valid slot, and with none the device runs in safe mode
 * and can take a recovery image.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ImageKeyring, ImageSigningKey, parseImage } from '@medsim/firmware';
import { afterEach, describe, expect, it } from 'vitest';
import { Bootloader, type SlotName } from '../../src/index.js';
import { BootStateStore } from '../../src/firmware/boot-state.js';
import { cleanup, hashOf, install, makeImage, optionsFor, provisioned, reboot, releaseKey } from './fixtures.js';

const v1 = makeImage('1.0.0', 1);

afterEach(cleanup);

const slotFile = (dir: string, slot: SlotName): string => join(dir, slot === 'A' ? 'slot-a.bin' : 'slot-b.bin');

/** Flips one bit of the slot file at `offset`, as a fault or an attacker with flash access would. */
function flipByte(dir: string, slot: SlotName, offset: number): void {
  const fd = openSync(slotFile(dir, slot), 'r+');
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, offset);
  byte[0]! ^= 0x01;
  writeSync(fd, byte, 0, 1, offset);
  closeSync(fd);
}

/** Writes `bytes` over the start of the slot file, bypassing the bootloader. */
function overwriteSlot(dir: string, slot: SlotName, bytes: Uint8Array): void {
  const fd = openSync(slotFile(dir, slot), 'r+');
  writeSync(fd, bytes, 0, bytes.length, 0);
  closeSync(fd);
}

/** A device running `v2` confirmed in slot B, with v1 still in slot A. */
function updated(v2: Uint8Array): string {
  const dir = provisioned(v1);
  let { loader } = reboot(dir);
  install(loader, v2);
  loader.close();
  ({ loader } = reboot(dir));
  loader.confirm();
  loader.close();
  return dir;
}

describe('secure boot', () => {
  it('[CTL-13] a byte of the active slot flipped on flash: that image does not boot; the other valid slot does', { tags: ['CTL-13'] }, () => {
    // Same security counter: the older image in A stays a valid fallback.
    const v2 = makeImage('1.1.0', 1);
    const dir = updated(v2);
    flipByte(dir, 'B', 128 + 5000);
    const { loader, result } = reboot(dir);
    expect(result).toMatchObject({ mode: 'application', slot: 'A', trial: false, image: { hash: hashOf(v1) } });
    expect(result.events).toEqual([{ kind: 'slot-refused', slot: 'B', code: 'ERR_BOOT_VERIFY_FAILED', cause: 'ERR_FW_IMAGE_HASH_MISMATCH' }]);
    expect(loader.status()).toMatchObject({ primary: 'A', slots: { A: { status: 'good' }, B: { status: 'bad', reason: 'refused-at-boot' } }, securityCounter: 1 });
    loader.close();
    // Marked bad: not tried again, even once the byte is back.
    flipByte(dir, 'B', 128 + 5000);
    const again = reboot(dir);
    expect(again.result).toMatchObject({ slot: 'A', events: [] });
    again.loader.close();
  });

  it('[CTL-13] refuses a flipped byte anywhere: header, payload, hash, key hash or signature', { tags: ['CTL-13'] }, () => {
    const v2 = makeImage('1.1.0', 1);
    const tlv = parseImage(v2).signedPart.length;
    for (const [offset, cause] of [
      [6, 'ERR_FW_IMAGE_UNKNOWN_CRITICAL'],
      [16, 'ERR_FW_IMAGE_HASH_MISMATCH'],
      [128 + 9000, 'ERR_FW_IMAGE_HASH_MISMATCH'],
      [tlv + 8, 'ERR_FW_IMAGE_UNTRUSTED_KEY'],
      [tlv + 44, 'ERR_FW_IMAGE_HASH_MISMATCH'],
      [tlv + 80, 'ERR_FW_IMAGE_BAD_SIGNATURE'],
    ] as const) {
      const dir = updated(v2);
      flipByte(dir, 'B', offset);
      const { loader, result } = reboot(dir);
      expect(result.mode === 'application' && result.slot).toBe('A');
      expect(result.events).toContainEqual({ kind: 'slot-refused', slot: 'B', code: 'ERR_BOOT_VERIFY_FAILED', cause });
      loader.close();
    }
  });

  it('[CTL-13] with no valid slot left, the device runs in safe mode and reports why', { tags: ['CTL-13'] }, () => {
    const dir = updated(makeImage('1.1.0', 1));
    flipByte(dir, 'B', 300);
    flipByte(dir, 'A', 300);
    const { loader, result } = reboot(dir);
    expect(result.mode).toBe('safe');
    if (result.mode !== 'safe') return;
    expect(result.error.code).toBe('ERR_BOOT_NO_VALID_IMAGE');
    expect(result.error.details.refused).toBe('B:ERR_BOOT_VERIFY_FAILED,A:ERR_BOOT_VERIFY_FAILED');
    expect(loader.status().running).toBeUndefined();
    for (const op of [() => loader.healthCheck(), () => loader.confirm()]) expect(op).toThrow(expect.objectContaining({ code: 'ERR_BOOT_INVALID_STATE' }));
    loader.close();
  });

  it('[CTL-13][U3] a fallback image must still pass anti-rollback: below the OTP counter it is refused (safe mode)', { tags: ['CTL-13', 'U3'] }, () => {
    const dir = updated(makeImage('1.1.0', 2));
    flipByte(dir, 'B', 300);
    const { loader, result } = reboot(dir);
    expect(result.mode).toBe('safe');
    expect(result.events).toContainEqual({ kind: 'slot-refused', slot: 'A', code: 'ERR_BOOT_ROLLBACK' });
    expect(loader.securityCounter).toBe(2);
    loader.close();
  });

  it('[CTL-13][U3] safe mode takes a recovery image into slot A, checked against the OTP counter, tried and confirmed like any update', { tags: ['CTL-13', 'U3'] }, () => {
    const dir = updated(makeImage('1.1.0', 2));
    flipByte(dir, 'B', 300);
    let { loader } = reboot(dir);
    expect(() => install(loader, makeImage('1.0.5', 1))).toThrow(expect.objectContaining({ code: 'ERR_BOOT_ROLLBACK' }));
    const recovery = install(loader, makeImage('1.2.0', 2));
    loader.close();
    const rebooted = reboot(dir);
    loader = rebooted.loader;
    expect(rebooted.result).toMatchObject({ mode: 'application', slot: 'A', trial: true, image: recovery });
    expect(loader.healthCheck().healthy).toBe(true);
    loader.confirm();
    loader.close();
    const confirmed = reboot(dir);
    expect(confirmed.result).toMatchObject({ mode: 'application', slot: 'A', trial: false, image: { version: '1.2.0' } });
    confirmed.loader.close();
  });

  it('[CTL-13][U12] TOCTOU: slot bytes changed after finish() verified them and before boot are refused at boot', { tags: ['CTL-13', 'U12'] }, () => {
    const v2 = makeImage('1.1.0', 2);
    const dir = provisioned(v1);
    let { loader } = reboot(dir);
    install(loader, v2);
    expect(loader.status().slots.B.status).toBe('pending');
    loader.close();
    flipByte(dir, 'B', 128 + 4000);
    const rebooted = reboot(dir);
    loader = rebooted.loader;
    expect(rebooted.result).toMatchObject({ mode: 'application', slot: 'A', trial: false, events: [{ kind: 'slot-refused', slot: 'B', code: 'ERR_BOOT_VERIFY_FAILED', cause: 'ERR_FW_IMAGE_HASH_MISMATCH' }] });
    expect(loader.status()).toMatchObject({ slots: { B: { status: 'bad', reason: 'refused-at-boot' } }, securityCounter: 1 });
    loader.close();
  });

  it('[CTL-13][U12] TOCTOU with a validly signed image: another release swapped into the slot after install is refused (recorded hash)', { tags: ['CTL-13', 'U12'] }, () => {
    const dir = provisioned(v1);
    let { loader } = reboot(dir);
    install(loader, makeImage('1.1.0', 2));
    loader.close();
    // Same version and counter, same key, but the self-test fails: validly signed, not what was installed.
    overwriteSlot(dir, 'B', makeImage('1.1.0', 2, { selfTest: 'fail' }));
    const rebooted = reboot(dir);
    loader = rebooted.loader;
    expect(rebooted.result).toMatchObject({ slot: 'A', events: [{ kind: 'slot-refused', slot: 'B', code: 'ERR_BOOT_VERIFY_FAILED', cause: 'ERR_FW_IMAGE_HASH_MISMATCH' }] });
    loader.close();
  });

  it('[CTL-13][U1] the boot state is not trusted for integrity: an image signed by another key, recorded as pending by hand, does not boot', { tags: ['CTL-13', 'U1'] }, () => {
    const dir = provisioned(v1);
    const rogue = makeImage('9.0.0', 99, {}, ImageSigningKey.generate());
    overwriteSlot(dir, 'B', rogue);
    const store = BootStateStore.open(dir);
    const { header } = parseImage(rogue);
    store.save({ ...store.state, slots: { ...store.state.slots, B: { status: 'pending', image: { hash: hashOf(rogue), size: rogue.length, version: header.versionText, securityCounter: 99 } } } });
    store.close();
    const { loader, result } = reboot(dir);
    expect(result).toMatchObject({ slot: 'A', trial: false, events: [{ kind: 'slot-refused', slot: 'B', code: 'ERR_BOOT_VERIFY_FAILED', cause: 'ERR_FW_IMAGE_UNTRUSTED_KEY' }] });
    expect(loader.securityCounter).toBe(1);
    loader.close();
  });

  it('[CTL-13][U10] a key revoked after install: no image it signed boots any more', { tags: ['CTL-13', 'U10'] }, () => {
    const dir = provisioned(v1);
    const { loader } = reboot(dir);
    install(loader, makeImage('1.1.0', 1));
    loader.close();
    const revoked = new ImageKeyring([releaseKey.publicKey], [releaseKey.keyHash]);
    const device = Bootloader.open(dir, { ...optionsFor(), keyring: revoked });
    const result = device.boot();
    expect(result.mode).toBe('safe');
    expect(result.events.map((e) => (e.kind === 'slot-refused' ? e.cause : e.kind))).toEqual(['ERR_FW_IMAGE_UNTRUSTED_KEY', 'ERR_FW_IMAGE_UNTRUSTED_KEY']);
    device.close();
  });
});
