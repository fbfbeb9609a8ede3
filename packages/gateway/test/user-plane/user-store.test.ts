/** The user store and its pieces, without the network (CTL-02, CTL-10). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOTP, Secret } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataKey } from '../../src/store/at-rest.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { LOCK_CAP_MS, afterFailure, lockRemainingS } from '../../src/users/lockout.js';
import { checkPasswordPolicy, generatePassword, hashPassword, verifyPassword } from '../../src/users/password.js';
import { acceptTotp } from '../../src/users/totp.js';
import { UserStore } from '../../src/users/user-store.js';
import { TestClock } from './fixtures.js';
import { refusalCode } from '@medsim/testkit';

let dir: string;
let db: Database;
let key: DataKey;
let store: UserStore;
const clock = new TestClock();



beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'medsim-users-'));
  db = openDatabase(join(dir, 'gateway.db'));
  key = new DataKey(DataKey.generate());
  store = new UserStore({ db, dataKey: key, now: clock.now, scryptCost: 2 ** 14, mfaForClinicians: false });
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('passwords', () => {
  it('[CTL-02] scrypt hashes name their parameters, use a fresh salt, and verify in constant time', { tags: ['CTL-02'] }, async () => {
    const a = await hashPassword('a-good-long-passphrase', 2 ** 14);
    const b = await hashPassword('a-good-long-passphrase', 2 ** 14);
    expect(a).not.toBe(b);
    expect(await verifyPassword(a, 'a-good-long-passphrase')).toBe(true);
    expect(await verifyPassword(a, 'a-good-long-passphrasE')).toBe(false);
    // Tampered or foreign parameters never verify (and never run an unbounded scrypt).
    expect(await verifyPassword(a.replace('N=16384', 'N=1073741824'), 'a-good-long-passphrase')).toBe(false);
    expect(await verifyPassword(a.replace('r=8', 'r=1'), 'a-good-long-passphrase')).toBe(false);
    expect(await verifyPassword('$2b$10$bcrypt-looking-thing', 'x')).toBe(false);
  });

  it('[CTL-02] the policy: 12 to 128 characters, no user name inside, not a common password', { tags: ['CTL-02'] }, async () => {
    const refuse = (username: string, password: string): Promise<string> => refusalCode(() => checkPasswordPolicy(username, password));
    expect(await refuse('alice', 'elevenchars')).toBe('ERR_AUTH_WEAK_PASSWORD');
    expect(await refuse('alice', 'y'.repeat(129))).toBe('ERR_AUTH_WEAK_PASSWORD');
    expect(await refuse('alice', 'xx-ALICE-passphrase')).toBe('ERR_AUTH_WEAK_PASSWORD');
    expect(await refuse('bob', 'Password1234')).toBe('ERR_AUTH_WEAK_PASSWORD');
    expect(() => checkPasswordPolicy('alice', 'twelve chars')).not.toThrow();
    expect(() => checkPasswordPolicy('alice', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝔭𝔞𝔰𝔰')).not.toThrow();
  });

  it('[CTL-02] generated passwords have 120 bits, meet the policy and do not repeat', { tags: ['CTL-02'] }, () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const password = generatePassword();
      expect(password).toMatch(/^([a-zA-Z2-9]{4}-){5}[a-zA-Z2-9]{4}$/u);
      expect(() => checkPasswordPolicy('someone', password)).not.toThrow();
      seen.add(password);
    }
    expect(seen.size).toBe(200);
  });
});

describe('lockout arithmetic', () => {
  it('[CTL-02] locks at the threshold, doubles per lock and caps at 24 h', { tags: ['CTL-02'] }, () => {
    const policy = { maxFailed: 3, baseMs: 60_000 };
    let state = { failed: 0, lockCount: 0, lockedUntil: 0 };
    state = afterFailure(afterFailure(state, policy, 0), policy, 0);
    expect(state).toEqual({ failed: 2, lockCount: 0, lockedUntil: 0 });
    state = afterFailure(state, policy, 0);
    expect(state).toEqual({ failed: 0, lockCount: 1, lockedUntil: 60_000 });
    expect(lockRemainingS(state, 0)).toBe(60);
    const periods: number[] = [];
    for (let lock = 0; lock < 20; lock++) {
      const before = state;
      for (let i = 0; i < 3; i++) state = afterFailure(state, policy, 1_000_000);
      periods.push(state.lockedUntil - 1_000_000);
      expect(state.lockCount).toBe(before.lockCount + 1);
    }
    expect(periods.slice(0, 3)).toEqual([120_000, 240_000, 480_000]);
    expect(Math.max(...periods)).toBe(LOCK_CAP_MS);
  });
});

describe('TOTP', () => {
  it('[CTL-02] accepts the current code within one step of drift, once; refuses older, replayed and malformed codes', { tags: ['CTL-02'] }, () => {
    const secret = new Uint8Array(20).fill(7);
    const totp = new TOTP({ secret: new Secret({ buffer: secret.slice().buffer }), algorithm: 'SHA1', digits: 6, period: 30 });
    const t = Date.UTC(2026, 0, 1, 0, 0, 15);
    const code = totp.generate({ timestamp: t });
    const counter = acceptTotp(secret, code, t, -1);
    expect(counter).toBe(Math.floor(t / 30_000));
    expect(acceptTotp(secret, code, t, counter!)).toBeUndefined();
    expect(acceptTotp(secret, totp.generate({ timestamp: t + 30_000 }), t, counter!)).toBe(counter! + 1);
    expect(acceptTotp(secret, totp.generate({ timestamp: t + 60_000 }), t, -1)).toBeUndefined();
    expect(acceptTotp(secret, totp.generate({ timestamp: t - 30_000 }), t, counter!)).toBeUndefined();
    for (const bad of ['', '12345', '1234567', 'abcdef', ' 123456']) expect(acceptTotp(secret, bad, t, -1)).toBeUndefined();
  });
});

describe('the store', () => {
  it('[S7] starts empty', { tags: ['S7'] }, () => {
    const fresh = openDatabase(join(dir, 'fresh.db'));
    expect(new UserStore({ db: fresh, dataKey: key, now: clock.now, scryptCost: 2 ** 14, mfaForClinicians: false }).count()).toBe(0);
    fresh.close();
  });

  it('[CTL-02] validates new users: name, role, patient link, uniqueness (case-insensitive)', { tags: ['CTL-02'] }, async () => {
    const password = 'a-good-long-passphrase';
    expect(await refusalCode(() => store.createUser({ username: 'no', role: 'clinician', password }))).toBe('ERR_BAD_REQUEST');
    expect(await refusalCode(() => store.createUser({ username: 'bad name!', role: 'clinician', password }))).toBe('ERR_BAD_REQUEST');
    expect(await refusalCode(() => store.createUser({ username: 'pat-1', role: 'patient', password }))).toBe('ERR_BAD_REQUEST');
    expect(await refusalCode(() => store.createUser({ username: 'pat-1', role: 'patient', password, patientId: '00000000-0000-4000-8000-000000000000' }))).toBe('ERR_NOT_FOUND');
    expect(await refusalCode(() => store.createUser({ username: 'doc-1', role: 'clinician', password, patientId: store.createPatient('P').id }))).toBe('ERR_BAD_REQUEST');
    await store.createUser({ username: 'Dr.Who', role: 'clinician', password });
    expect(await refusalCode(() => store.createUser({ username: 'dr.who', role: 'clinician', password }))).toBe('ERR_CONFLICT');
    expect(store.credentials('DR.WHO')?.username).toBe('dr.who');
  });

  it('[CTL-10] TOTP secrets and patient names are sealed under the data key, bound to their row', { tags: ['CTL-10'] }, async () => {
    const { id, totpUri } = await store.createUser({ username: 'sealed-admin', role: 'admin', password: 'a-good-long-passphrase' });
    const row = db.prepare('SELECT totp_secret_enc FROM users WHERE id = ?').get(id) as { totp_secret_enc: Buffer };
    const secret = key.open(row.totp_secret_enc, `totp|${id}`);
    expect(totpUri).toContain(new Secret({ buffer: new Uint8Array(secret).buffer }).base32);
    expect(await refusalCode(() => key.open(row.totp_secret_enc, 'totp|someone-else'))).toBe('ERR_STORE_CORRUPT');
    const patient = store.createPatient('  Jane Roe  ');
    expect(patient.displayName).toBe('Jane Roe');
    const stored = db.prepare('SELECT display_name_enc FROM patients WHERE id = ?').get(patient.id) as { display_name_enc: Buffer };
    expect(stored.display_name_enc.includes(Buffer.from('Jane'))).toBe(false);
    expect(key.openText(stored.display_name_enc, `patient|${patient.id}`)).toBe('Jane Roe');
    expect(store.listPatients([patient.id])).toEqual([patient]);
  });
});
