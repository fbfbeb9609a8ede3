/**
 * Parts of `medsim firmware` that the end-to-end test cannot pin down: TOTP codes never reuse a
 * time step (across processes, through the state file) and wait for the next one instead, on an
 * injected clock; the publish body is valid JSON that decodes to the same bytes; the online keys
 * file is refused when a key id is not its key's.
 */
import { TufSigningKey } from '@medsim/firmware';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../src/commands/usage-error.js';
import { parseHostPort } from '../src/firmware/gateway-api.js';
import { parseOnlinePublicKeys } from '../src/firmware/online-keys.js';
import { encodeBundle } from '../src/firmware/publish.js';
import { TOTP_STEP_MS, TotpCodes } from '../src/firmware/totp-codes.js';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const codeAt = (ms: number): string => new TOTP({ secret: Secret.fromBase32(SECRET), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: ms });

describe('TotpCodes', () => {
  let stateDir: string;
  let nowMs: number;
  let waits: number[];
  const codes = (account = 'tech@gw:8443'): TotpCodes =>
    new TotpCodes({
      secret: SECRET,
      account,
      stateDir,
      now: () => nowMs,
      wait: (ms) => {
        waits.push(ms);
        nowMs += ms;
        return Promise.resolve();
      },
    });

  beforeEach(() => {
    stateDir = join(mkdtempSync(join(tmpdir(), 'medsim-totp-')), 'state');
    nowMs = 1_000 * TOTP_STEP_MS + 10_000;
    waits = [];
  });
  afterEach(() => rmSync(join(stateDir, '..'), { recursive: true, force: true }));

  it('[CTL-02] gives the current code first, then waits for the next step rather than reuse one, also in another process', { tags: ['CTL-02'] }, async () => {
    const login = codes();
    expect(await login.next()).toBe(codeAt(1_000 * TOTP_STEP_MS));
    expect(waits).toEqual([]);
    // The step-up 10 s later: the login's step is spent, so the code of step 1001, after a 20 s wait.
    expect(await login.next()).toBe(codeAt(1_001 * TOTP_STEP_MS));
    expect(waits).toEqual([20_000]);
    // A second command for the same account in the same step: it learns the spent step from the file.
    nowMs += 1_000;
    expect(await codes().next()).toBe(codeAt(1_002 * TOTP_STEP_MS));
    expect(waits).toEqual([20_000, 29_000]);
    // Another account has its own record.
    expect(await codes('admin@gw:8443').next()).toBe(codeAt(1_002 * TOTP_STEP_MS));
    expect(waits).toHaveLength(2);

    const file = join(stateDir, 'totp-steps.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ 'tech@gw:8443': 1_002, 'admin@gw:8443': 1_002 });
    expect(readFileSync(file, 'utf8')).not.toContain(SECRET);
  });

  it('reads a damaged state file as empty, and refuses a secret that is not base32', async () => {
    await codes().next();
    writeFileSync(join(stateDir, 'totp-steps.json'), '{"tech@gw:8443": "x", ');
    expect(await codes().next()).toBe(codeAt(1_000 * TOTP_STEP_MS));
    expect(() => new TotpCodes({ secret: 'not base32!', account: 'a', stateDir })).toThrow(UsageError);
  });
});

describe('the publish body and flags', () => {
  it('[CTL-09] encodes files as one JSON document whose base64 decodes to the same bytes', { tags: ['CTL-09'] }, () => {
    const image = new Uint8Array(300_001).map((_, i) => (i * 7) & 0xff);
    const body = JSON.parse(encodeBundle(new Map([['1.root.json', Buffer.from('{"a":"\\"x"}')]]), new Map([['m/ab.m-1.0.0.bin', image]])).toString('utf8')) as {
      metadata: Record<string, string>;
      targets: Record<string, string>;
    };
    expect(Buffer.from(body.metadata['1.root.json']!, 'base64').toString()).toBe('{"a":"\\"x"}');
    expect(Buffer.from(body.targets['m/ab.m-1.0.0.bin']!, 'base64').equals(Buffer.from(image))).toBe(true);
    expect(JSON.parse(encodeBundle(new Map(), new Map()).toString())).toEqual({ metadata: {}, targets: {} });
  });

  it('[CTL-09] parses HOST:PORT and refuses anything else', { tags: ['CTL-09'] }, () => {
    expect(parseHostPort('gateway.example:8443', '--api')).toEqual({ host: 'gateway.example', port: 8443 });
    expect(parseHostPort('[::1]:8443', '--api')).toEqual({ host: '::1', port: 8443 });
    for (const bad of ['gateway', ':8443', 'gateway:0', 'gateway:65536', 'gateway:8443x', 'gateway:']) expect(() => parseHostPort(bad, '--api')).toThrow(UsageError);
  });

  it('[CTL-11] takes online public keys only when each key id is the id of its key', { tags: ['CTL-11'] }, () => {
    const [snapshot, timestamp] = [TufSigningKey.generate(), TufSigningKey.generate()];
    const entry = (key: TufSigningKey, id = key.keyId): { keyId: string; publicKeyHex: string } => ({ keyId: id, publicKeyHex: String((key.publicKey.toJSON() as { keyval: { public: string } }).keyval.public) });
    const parsed = parseOnlinePublicKeys(JSON.stringify({ snapshot: entry(snapshot), timestamp: entry(timestamp) }), 'keys.json');
    expect([parsed.snapshot.keyID, parsed.timestamp.keyID]).toEqual([snapshot.keyId, timestamp.keyId]);
    expect(() => parseOnlinePublicKeys(JSON.stringify({ snapshot: entry(snapshot, timestamp.keyId), timestamp: entry(timestamp) }), 'keys.json')).toThrow(/not the id of its public key/u);
    expect(() => parseOnlinePublicKeys(JSON.stringify({ snapshot: entry(snapshot) }), 'keys.json')).toThrow(/timestamp must be/u);
    expect(() => parseOnlinePublicKeys('not json', 'keys.json')).toThrow(UsageError);
  });
});
