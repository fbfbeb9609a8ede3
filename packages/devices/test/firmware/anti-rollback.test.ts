/**
 * What the installer refuses (U1 arbitrary installation, U2 wrong model, U3 rollback, U6 endless
 * data, U8 mix-and-match, U13 extra data) and the OTP security counter that backs anti-rollback.
 * Like tuf-conformance, every refusal asserts two things: the typed code, AND that the installed
 * version and the security counter did not change (the device reboots into the same image).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ImageSigningKey } from '@medsim/firmware';
import { afterEach, describe, expect, it } from 'vitest';
import { FlashFaults, OTP_FILE, OTP_ROWS, OTP_ROW_BYTES, OtpCounter, type Bootloader, type InstallTarget } from '../../src/index.js';
import { codeOf } from '../helpers/errors.js';
import { CHUNK_BYTES, SLOT_BYTES, cleanup, deviceDir, hashOf, install, makeImage, provisioned, reboot, targetOf } from './fixtures.js';

const factory = makeImage('2.0.0', 5);

afterEach(cleanup);

/** Reboots `dir` and asserts the factory image still runs, confirmed, and the counter is still 5. */
function expectUnchanged(dir: string): void {
  const { loader, result } = reboot(dir);
  expect(result).toMatchObject({ mode: 'application', slot: 'A', trial: false, image: { hash: hashOf(factory), version: '2.0.0', securityCounter: 5 } });
  expect(loader.securityCounter).toBe(5);
  expect(loader.status().primary).toBe('A');
  loader.close();
}

/** Runs `attempt` on a booted device; returns the refusal's code and details, then checks nothing changed. */
function refusal(attempt: (loader: Bootloader) => unknown): { code: string | undefined; details: Record<string, unknown> } {
  const dir = provisioned(factory);
  const { loader } = reboot(dir);
  let outcome: { code: string | undefined; details: Record<string, unknown> } = { code: undefined, details: {} };
  try {
    attempt(loader);
  } catch (error) {
    const e = error as { code?: string; details?: Record<string, unknown> };
    outcome = { code: e.code, details: e.details ?? {} };
  }
  loader.close();
  expectUnchanged(dir);
  return outcome;
}

describe('anti-rollback (U3)', () => {
  it('[CTL-12][U3] refuses a lower version, before a byte is written', { tags: ['CTL-12', 'U3'] }, () => {
    expect(refusal((l) => install(l, makeImage('1.9.9', 5)))).toMatchObject({ code: 'ERR_BOOT_ROLLBACK', details: { reason: 'older-version' } });
  });

  it('[CTL-12][U3] refuses a higher version with a lower security counter', { tags: ['CTL-12', 'U3'] }, () => {
    expect(refusal((l) => install(l, makeImage('3.0.0', 4)))).toMatchObject({ code: 'ERR_BOOT_ROLLBACK', details: { reason: 'counter-below-otp', otpCounter: 5 } });
  });

  it('[CTL-12][U3][U15] refuses the same version again (policy: a release installs once)', { tags: ['CTL-12', 'U3', 'U15'] }, () => {
    expect(refusal((l) => install(l, makeImage('2.0.0', 5)))).toMatchObject({ code: 'ERR_BOOT_ROLLBACK', details: { reason: 'same-version' } });
    // Even rebuilt with a higher counter: the version decides.
    expect(refusal((l) => install(l, makeImage('2.0.0', 6)))).toMatchObject({ code: 'ERR_BOOT_ROLLBACK', details: { reason: 'same-version' } });
  });

  it('[CTL-12][U3] accepts a newer version with the same counter, without burning an OTP row', { tags: ['CTL-12', 'U3'] }, () => {
    const dir = provisioned(factory);
    let { loader } = reboot(dir);
    install(loader, makeImage('2.0.1', 5));
    loader.close();
    ({ loader } = reboot(dir));
    const fuses = OtpCounter.open(dir);
    const rows = fuses.rowsLeft();
    expect(loader.confirm().securityCounter).toBe(5);
    expect(fuses.rowsLeft()).toBe(rows);
    fuses.close();
    loader.close();
  });

  it('[CTL-12][U3] refuses a counter below the running image even when the OTP counter lags behind it (its raise failed)', { tags: ['CTL-12', 'U3'] }, () => {
    const dir = provisioned(makeImage('1.0.0', 1));
    let { loader } = reboot(dir);
    install(loader, makeImage('1.1.0', 3));
    loader.close();
    // The trial boot is write 1 of this power cycle; confirm's state write is 2, the OTP burn 3.
    const faults = new FlashFaults().failAt(3);
    ({ loader } = reboot(dir, faults));
    expect(codeOf(() => loader.confirm())).toBe('ERR_BOOT_WRITE_FAILED');
    expect(loader.status()).toMatchObject({ primary: 'B', slots: { B: { status: 'good' } }, securityCounter: 1, running: { trial: false } });
    expect(codeOf(() => loader.beginInstall(targetOf(makeImage('1.2.0', 2))))).toBe('ERR_BOOT_ROLLBACK');
    loader.close();
    // The next boot of the confirmed image finishes the raise.
    const { loader: next, result } = reboot(dir);
    expect(result).toMatchObject({ slot: 'B', trial: false, events: [{ kind: 'counter-raised', from: 1, to: 3 }] });
    expect(next.securityCounter).toBe(3);
    next.close();
  });
});

describe('what the image must be', () => {
  it('[CTL-12][U2] refuses an image for another model, declared or only in its header', { tags: ['CTL-12', 'U2'] }, () => {
    const pacemaker = makeImage('3.0.0', 5, { model: 'pacemaker' });
    expect(refusal((l) => install(l, pacemaker))).toMatchObject({ code: 'ERR_BOOT_MODEL_MISMATCH' });
    // Metadata that lies about the model: the header is checked at byte 128, before it is written.
    expect(refusal((l) => install(l, pacemaker, CHUNK_BYTES, { ...targetOf(pacemaker), model: 'insulin-pump' }))).toMatchObject({ code: 'ERR_BOOT_MODEL_MISMATCH' });
  });

  it('[CTL-12][U2][U3][U6] refuses a target for another model, older, oversized or malformed before any flash write', { tags: ['CTL-12', 'U2', 'U3', 'U6'] }, () => {
    const dir = provisioned(factory);
    const faults = new FlashFaults();
    const { loader } = reboot(dir, faults);
    const base = targetOf(makeImage('3.0.0', 5));
    for (const [target, code] of [
      [{ ...base, model: 'pacemaker' }, 'ERR_BOOT_MODEL_MISMATCH'],
      [{ ...base, version: '1.0.0' }, 'ERR_BOOT_ROLLBACK'],
      [{ ...base, size: SLOT_BYTES + 1 }, 'ERR_BOOT_SLOT_TOO_SMALL'],
      [{ ...base, size: 100 }, 'ERR_BOOT_TARGET_INVALID'],
      [{ ...base, version: 'v3' }, 'ERR_BOOT_TARGET_INVALID'],
      [{ ...base, securityCounter: -1 }, 'ERR_BOOT_TARGET_INVALID'],
      [{ ...base, model: '../etc' }, 'ERR_BOOT_TARGET_INVALID'],
    ] as [InstallTarget, string][]) {
      expect(codeOf(() => loader.beginInstall(target))).toBe(code);
    }
    expect(faults.writes).toBe(0);
    loader.close();
  });

  it('[CTL-12][U6] refuses an image larger than the slot, declared or only in its header', { tags: ['CTL-12', 'U6'] }, () => {
    const huge = makeImage('3.0.0', 5, { payloadSize: SLOT_BYTES });
    expect(refusal((l) => install(l, huge))).toMatchObject({ code: 'ERR_BOOT_SLOT_TOO_SMALL' });
    expect(refusal((l) => install(l, huge, CHUNK_BYTES, { ...targetOf(huge), size: SLOT_BYTES }))).toMatchObject({ code: 'ERR_BOOT_SLOT_TOO_SMALL' });
  });

  it('[CTL-12][U13] refuses extra bytes after the image (exact length)', { tags: ['CTL-12', 'U13'] }, () => {
    const v3 = makeImage('3.0.0', 5);
    const padded = Buffer.concat([v3, Buffer.alloc(16)]);
    expect(refusal((l) => install(l, padded, CHUNK_BYTES, targetOf(v3, padded.length)))).toMatchObject({ code: 'ERR_BOOT_VERIFY_FAILED', details: { cause: 'ERR_FW_IMAGE_MALFORMED' } });
  });

  it('[CTL-12][U6] refuses more bytes than declared, at the first chunk that would exceed it', { tags: ['CTL-12', 'U6'] }, () => {
    const v3 = makeImage('3.0.0', 5);
    const padded = Buffer.concat([v3, Buffer.alloc(16)]);
    expect(refusal((l) => install(l, padded, CHUNK_BYTES, targetOf(v3)))).toMatchObject({ code: 'ERR_BOOT_TARGET_INVALID', details: { field: 'size' } });
  });

  it('[CTL-12][U8] refuses bytes whose header does not say what the target declared', { tags: ['CTL-12', 'U8'] }, () => {
    const v3 = makeImage('3.0.0', 5);
    expect(refusal((l) => install(l, v3, CHUNK_BYTES, { ...targetOf(v3), version: '3.0.1' }))).toMatchObject({ code: 'ERR_BOOT_TARGET_INVALID', details: { field: 'version' } });
    expect(refusal((l) => install(l, v3, CHUNK_BYTES, { ...targetOf(v3), securityCounter: 6 }))).toMatchObject({ code: 'ERR_BOOT_TARGET_INVALID', details: { field: 'securityCounter' } });
  });

  it('[CTL-12][U1] refuses an image signed by an unknown key, or altered in transit, and marks the slot bad', { tags: ['CTL-12', 'U1'] }, () => {
    expect(refusal((l) => install(l, makeImage('3.0.0', 5, {}, ImageSigningKey.generate())))).toMatchObject({ code: 'ERR_BOOT_VERIFY_FAILED', details: { cause: 'ERR_FW_IMAGE_UNTRUSTED_KEY' } });
    const altered = Buffer.from(makeImage('3.0.0', 5));
    altered[128 + 7000]! ^= 0x80;
    const dir = provisioned(factory);
    const { loader } = reboot(dir);
    expect(codeOf(() => install(loader, altered))).toBe('ERR_BOOT_VERIFY_FAILED');
    expect(loader.status().slots.B).toEqual({ status: 'bad', reason: 'refused-at-install' });
    loader.close();
    expectUnchanged(dir);
  });
});

describe('the OTP security counter', () => {
  it('[CTL-12][U3] never decreases: a lower value changes nothing, and a lower row burned by hand does not count', { tags: ['CTL-12', 'U3'] }, () => {
    const dir = deviceDir();
    const otp = OtpCounter.open(dir);
    expect(otp.read()).toBe(0);
    expect(otp.raise(7)).toBe(7);
    expect(otp.raise(3)).toBe(7);
    expect(otp.raise(7)).toBe(7);
    expect(otp.rowsLeft()).toBe(OTP_ROWS - 1);
    otp.close();
    // A valid row holding 2, burned into the next blank row behind the API's back.
    const row = Buffer.alloc(OTP_ROW_BYTES);
    row.writeUInt32BE(2, 0);
    row.writeUInt32BE(~2 >>> 0, 4);
    const fd = openSync(join(dir, OTP_FILE), 'r+');
    writeSync(fd, row, 0, row.length, OTP_ROW_BYTES);
    closeSync(fd);
    const reread = OtpCounter.open(dir);
    expect(reread.read()).toBe(7);
    reread.close();
  });

  it('[CTL-16][U3] a raise torn at any byte leaves the old value or the new one, never another', { tags: ['CTL-16', 'U3'] }, () => {
    for (let keep = 0; keep <= OTP_ROW_BYTES; keep += 1) {
      const dir = deviceDir();
      const setup = OtpCounter.open(dir);
      setup.raise(0x0100_00ff);
      setup.close();
      const faults = new FlashFaults().powerLossAt(1, () => keep);
      const otp = OtpCounter.open(dir, { faults });
      expect(codeOf(() => otp.raise(0x0200_ff00))).toBe('ERR_BOOT_POWER_LOST');
      const after = OtpCounter.open(dir);
      expect(after.read()).toBe(keep === OTP_ROW_BYTES ? 0x0200_ff00 : 0x0100_00ff);
      // A torn row is spent; the next raise takes the row after it.
      expect(after.raise(0x0300_0000)).toBe(0x0300_0000);
      expect(after.rowsLeft()).toBe(OTP_ROWS - (keep === 0 ? 2 : 3));
      after.close();
    }
  });

  it('[CTL-16] is finite: after 64 raises the next refuses with ERR_BOOT_OTP_EXHAUSTED and the counter stays', { tags: ['CTL-16'] }, () => {
    const otp = OtpCounter.open(deviceDir());
    for (let value = 1; value <= OTP_ROWS; value += 1) otp.raise(value);
    expect(otp.rowsLeft()).toBe(0);
    expect(codeOf(() => otp.raise(OTP_ROWS + 1))).toBe('ERR_BOOT_OTP_EXHAUSTED');
    expect(otp.raise(OTP_ROWS)).toBe(OTP_ROWS);
    expect(otp.read()).toBe(OTP_ROWS);
    expect(codeOf(() => otp.raise(2 ** 32))).toBe('ERR_BOOT_TARGET_INVALID');
    otp.close();
  });
});
