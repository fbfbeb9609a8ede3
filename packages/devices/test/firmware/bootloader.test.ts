/**
 * The A/B bootloader's life cycle (MCUboot sim `basic_revert`, `norevert`, `revert_with_fails`;
 * ISVS 3.4.7): factory provisioning, install → trial boot → confirm → stays; a trial never confirmed
 * reverts at the next boot and its slot is never tried again; a failing health check reverts; the
 * sequence rules of the API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { HEADER_SIZE, buildPayload, encodeHeader, parseVersion, tlvArea } from '@medsim/firmware';
import { Bootloader, DEVICE_MODELS, FlashFaults, MAX_SLOT_BYTES, MIN_SLOT_BYTES, MODEL_SLOT_BYTES, OtpCounter } from '../../src/index.js';
import { codeOf } from '../helpers/errors.js';
import { CHUNK_BYTES, MODEL, PAYLOAD_BYTES, cleanup, deviceDir, hashOf, install, makeImage, optionsFor, provisioned, reboot, releaseKey, targetOf } from './fixtures.js';

const v1 = makeImage('1.0.0', 1);
const v2 = makeImage('1.1.0', 2);
const v2Failing = makeImage('1.1.0', 2, { selfTest: 'fail' });

afterEach(cleanup);

describe('provisioning', () => {
  it('[CTL-13] writes the factory image into slot A as the confirmed primary and burns its counter', { tags: ['CTL-13'] }, () => {
    const dir = deviceDir();
    const installed = Bootloader.provision(dir, optionsFor(), v1);
    expect(installed).toEqual({ hash: hashOf(v1), size: v1.length, version: '1.0.0', securityCounter: 1 });
    const { loader, result } = reboot(dir);
    expect(result).toMatchObject({ mode: 'application', slot: 'A', trial: false, image: installed, events: [] });
    expect(loader.status()).toMatchObject({ primary: 'A', slots: { A: { status: 'good' }, B: { status: 'empty' } }, securityCounter: 1 });
    loader.close();
    expect(codeOf(() => Bootloader.provision(dir, optionsFor(), v1))).toBe('ERR_BOOT_INVALID_STATE');
  });

  it('refuses a factory image that does not verify, and leaves the device unprovisioned', () => {
    const dir = deviceDir();
    const tampered = Buffer.from(v1);
    tampered[500]! ^= 0x01;
    expect(codeOf(() => Bootloader.provision(dir, optionsFor(), tampered))).toBe('ERR_BOOT_VERIFY_FAILED');
    expect(codeOf(() => Bootloader.provision(dir, optionsFor(), makeImage('1.0.0', 1, { model: 'pacemaker' })))).toBe('ERR_BOOT_MODEL_MISMATCH');
    const { loader, result } = reboot(dir);
    expect(result.mode).toBe('safe');
    expect(loader.securityCounter).toBe(0);
    loader.close();
    expect(Bootloader.provision(dir, optionsFor(), v1).version).toBe('1.0.0');
  });

  it('[CTL-16] refuses options out of range', { tags: ['CTL-16'] }, () => {
    const dir = deviceDir();
    for (const slotBytes of [4095, 512 * 1024 * 1024 + 1, 1.5, Number.NaN]) expect(codeOf(() => Bootloader.open(dir, { ...optionsFor(), slotBytes }))).toBe('ERR_BOOT_INVALID_OPTIONS');
    expect(codeOf(() => Bootloader.open(dir, { ...optionsFor(), model: 'Insulin Pump' }))).toBe('ERR_BOOT_INVALID_OPTIONS');
    expect(codeOf(() => new FlashFaults().powerLossAt(0))).toBe('ERR_BOOT_INVALID_OPTIONS');
    // The slot size is fixed for the device's life.
    Bootloader.open(dir, optionsFor()).close();
    expect(codeOf(() => Bootloader.open(dir, { ...optionsFor(), slotBytes: 128 * 1024 }))).toBe('ERR_BOOT_UNAVAILABLE');
  });

  it('[CTL-16] gives every model a slot within the limits; the ultrasound slot takes a 64 MiB image and costs no disk until written', { tags: ['CTL-16'] }, () => {
    for (const model of DEVICE_MODELS) {
      expect(MODEL_SLOT_BYTES[model]).toBeGreaterThanOrEqual(MIN_SLOT_BYTES);
      expect(MODEL_SLOT_BYTES[model]).toBeLessThanOrEqual(MAX_SLOT_BYTES);
    }
    const dir = deviceDir();
    const options = { ...optionsFor(), model: 'ultrasound', slotBytes: MODEL_SLOT_BYTES.ultrasound };
    Bootloader.provision(dir, options, makeImage('7.2.0', 1, { model: 'ultrasound' }));
    const loader = Bootloader.open(dir, options);
    loader.boot();
    const size = HEADER_SIZE + 64 * 1024 * 1024 + 144;
    expect(loader.beginInstall({ size, model: 'ultrasound', version: '7.3.0', securityCounter: 1 }).written).toBe(0);
    loader.close();
    const slotB = statSync(join(dir, 'slot-b.bin'));
    expect(slotB.size).toBe(MODEL_SLOT_BYTES.ultrasound);
    expect(slotB.blocks * 512).toBeLessThan(1024 * 1024);
  });
});

describe('trial boot, confirm and revert', () => {
  it('[CTL-12][CTL-13] install → trial boot → health check → confirm: the new image stays, the counter rises on confirm', { tags: ['CTL-12', 'CTL-13'] }, () => {
    const dir = provisioned(v1);
    let { loader } = reboot(dir);
    const installed = install(loader, v2);
    expect(installed).toEqual({ hash: hashOf(v2), size: v2.length, version: '1.1.0', securityCounter: 2 });
    expect(loader.status().slots.B).toEqual({ status: 'pending', image: installed });
    // Installing never touches the running slot or the counter.
    expect(loader.status()).toMatchObject({ primary: 'A', slots: { A: { status: 'good' } }, securityCounter: 1 });
    loader.close();

    let result;
    ({ loader, result } = reboot(dir));
    expect(result).toMatchObject({ mode: 'application', slot: 'B', trial: true, image: installed });
    // The one attempt is spent on flash before the image runs.
    expect(loader.status().slots.B.status).toBe('trial');
    expect(loader.healthCheck()).toEqual({ healthy: true, descriptor: { model: 'insulin-pump', version: '1.1.0', selfTest: 'pass' } });
    expect(loader.securityCounter).toBe(1);
    expect(loader.confirm()).toEqual({ slot: 'B', image: installed, securityCounter: 2 });
    const fuses = OtpCounter.open(dir);
    expect(fuses.read()).toBe(2);
    fuses.close();
    expect(loader.status()).toMatchObject({ primary: 'B', slots: { A: { status: 'good' }, B: { status: 'good' } }, securityCounter: 2, running: { slot: 'B', trial: false } });
    // confirm() again is harmless.
    expect(loader.confirm().securityCounter).toBe(2);
    loader.close();

    for (let i = 0; i < 2; i += 1) {
      ({ loader, result } = reboot(dir));
      expect(result).toMatchObject({ mode: 'application', slot: 'B', trial: false, events: [] });
      loader.close();
    }
  });

  it('[CTL-12][CTL-13] install → trial boot → no confirm → power cycle: reverts to the old image and never tries the slot again', { tags: ['CTL-12', 'CTL-13'] }, () => {
    const dir = provisioned(v1);
    let { loader } = reboot(dir);
    install(loader, v2);
    loader.close();
    let result;
    ({ loader, result } = reboot(dir));
    expect(result).toMatchObject({ slot: 'B', trial: true });
    loader.close(); // crash or power cut during the trial: no confirm

    ({ loader, result } = reboot(dir));
    expect(result).toMatchObject({ mode: 'application', slot: 'A', trial: false, image: { version: '1.0.0' }, events: [{ kind: 'trial-reverted', slot: 'B' }] });
    expect(loader.status()).toMatchObject({ primary: 'A', slots: { B: { status: 'bad', reason: 'not-confirmed' } }, securityCounter: 1 });
    loader.close();
    ({ loader, result } = reboot(dir));
    expect(result).toMatchObject({ slot: 'A', trial: false, events: [] });
    // A new image written there is tried again.
    install(loader, makeImage('1.1.1', 2));
    loader.close();
    ({ loader, result } = reboot(dir));
    expect(result).toMatchObject({ slot: 'B', trial: true, image: { version: '1.1.1' } });
    loader.close();
  });

  it("[CTL-12][CTL-13] an image whose self-test fails: the health check fails, revert(), the reboot runs the old image", { tags: ['CTL-12', 'CTL-13'] }, () => {
    const dir = provisioned(v1);
    let { loader } = reboot(dir);
    install(loader, v2Failing);
    loader.close();
    let result;
    ({ loader, result } = reboot(dir));
    expect(result).toMatchObject({ slot: 'B', trial: true });
    const health = loader.healthCheck();
    expect(health).toEqual({ healthy: false, descriptor: { model: 'insulin-pump', version: '1.1.0', selfTest: 'fail' }, reason: 'self-test-failed' });
    loader.revert();
    // Until the reboot, nothing else is allowed.
    for (const op of [() => loader.confirm(), () => loader.beginInstall(targetOf(v2)), () => loader.healthCheck()]) expect(codeOf(op)).toBe('ERR_BOOT_INVALID_STATE');
    loader.close();
    ({ loader, result } = reboot(dir));
    expect(result).toMatchObject({ mode: 'application', slot: 'A', trial: false, image: { version: '1.0.0' }, events: [] });
    expect(loader.status()).toMatchObject({ slots: { B: { status: 'bad', reason: 'reverted' } }, securityCounter: 1 });
    loader.close();
  });

  it('the health check also fails on a payload without a descriptor, or whose descriptor names another version', () => {
    const cases = [
      { payload: Buffer.alloc(PAYLOAD_BYTES, 0xff), reason: 'no-descriptor' },
      { payload: buildPayload({ model: MODEL, version: '9.9.9', selfTest: 'pass' }, PAYLOAD_BYTES), reason: 'descriptor-mismatch' },
    ];
    for (const { payload, reason } of cases) {
      const header = encodeHeader({ flags: 0, payloadSize: PAYLOAD_BYTES, securityCounter: 2, version: parseVersion('1.1.0'), buildTimeMs: 0, model: MODEL, iv: new Uint8Array(16) });
      const signedPart = Buffer.concat([header, payload]);
      const odd = new Uint8Array(Buffer.concat([signedPart, tlvArea(signedPart, releaseKey)]));
      const dir = provisioned(v1);
      let { loader } = reboot(dir);
      install(loader, odd);
      loader.close();
      ({ loader } = reboot(dir));
      expect(loader.healthCheck()).toMatchObject({ healthy: false, reason });
      loader.close();
    }
  });

  it('enforces the order of operations', () => {
    const dir = provisioned(v1);
    const loader = Bootloader.open(dir, optionsFor());
    for (const op of [() => loader.beginInstall(targetOf(v2)), () => loader.confirm(), () => loader.revert(), () => loader.healthCheck()]) expect(codeOf(op)).toBe('ERR_BOOT_INVALID_STATE');
    loader.boot();
    expect(codeOf(() => loader.boot())).toBe('ERR_BOOT_INVALID_STATE');
    expect(codeOf(() => loader.revert())).toBe('ERR_BOOT_INVALID_STATE');
    const writer = loader.beginInstall(targetOf(v2));
    writer.write(0, v2.subarray(0, CHUNK_BYTES));
    expect(codeOf(() => writer.finish())).toBe('ERR_BOOT_INVALID_STATE');
    // A second beginInstall supersedes the first writer and resumes where the slot's durable part ends.
    const second = loader.beginInstall(targetOf(v2));
    expect(second.written).toBe(CHUNK_BYTES);
    expect(codeOf(() => writer.write(CHUNK_BYTES, v2.subarray(CHUNK_BYTES)))).toBe('ERR_BOOT_INVALID_STATE');
    second.write(CHUNK_BYTES, v2.subarray(CHUNK_BYTES));
    expect(second.finish().version).toBe('1.1.0');
    expect(codeOf(() => second.finish())).toBe('ERR_BOOT_INVALID_STATE');
    loader.close();
    expect(codeOf(() => loader.status())).toBe('ERR_BOOT_INVALID_STATE');

    const { loader: trial } = reboot(dir);
    expect(codeOf(() => trial.beginInstall(targetOf(makeImage('1.2.0', 2))))).toBe('ERR_BOOT_INVALID_STATE');
    trial.close();
  });
});
