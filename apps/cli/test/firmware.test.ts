/**
 * `medsim firmware` end to end, the built binary against a real gateway in this process (real
 * TLS, real files, real keys): the key ceremony, a reproducible build, a release published by a
 * technician (the gateway signs snapshot and timestamp), a campaign created by a technician and
 * approved by an admin with a step-up code, a rotation and a revocation that a device still follows
 * (tuf-js UpdateClient over the gateway's mTLS delivery listener), tampered images, and refusals.
 * The campaign and rotation cases run side by side: the admin's step-up waits for a new 30 s TOTP
 * step, which the rotation's work fills.
 */
import { HttpFetcher, UpdateClient, installTrustedRoot } from '@medsim/firmware';
import { createGateway, generatePassword, loadConfig, type Gateway } from '@medsim/gateway';
import { createLogger } from '@medsim/logging';
import { DeviceCredentials } from '@medsim/testkit';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { URI, type TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin/medsim.js', import.meta.url));
const BUILD_TIME = '2026-11-01T00:00:00Z';
const MODEL = 'pulse-oximeter';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI; resolves with its exit code and output (never rejects on a non-zero exit). */
function cli(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, 'firmware', ...args], { timeout: 60_000, env: { ...process.env, NO_COLOR: '1', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

/** The JSON document a --json run printed. */
const json = <T = Record<string, unknown>>(run: Run): T => {
  if (run.code !== 0) throw new Error(`exit ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
};

describe('medsim firmware', () => {
  const dir = mkdtempSync(join(tmpdir(), 'medsim-firmware-'));
  const keys = join(dir, 'keys');
  const deviceMetadata = join(dir, 'device-metadata');
  let gateway: Gateway;
  let device: DeviceCredentials;
  const accounts = new Map<string, Record<string, string>>();
  /** Environment of a CLI run as `user`, and the flags that reach the gateway. */
  const account = (user: string): { env: Record<string, string>; flags: string[] } => ({
    env: accounts.get(user)!,
    flags: ['--api', `127.0.0.1:${gateway.addresses.httpPort}`, '--ca', join(dir, 'ca.pem'), '--user', user],
  });
  /** The update client of an enrolled device, fetching through the gateway's delivery listener. */
  const updateClient = (): UpdateClient =>
    new UpdateClient({
      metadataDir: deviceMetadata,
      fetcher: new HttpFetcher({
        baseUrl: `https://127.0.0.1:${gateway.addresses.firmwarePort}/v1/firmware/repository/`,
        agent: false,
        tls: { ca: device.enrolment.caCertificatePem, cert: device.enrolment.certificatePem, key: device.tlsKeyPem, servername: 'localhost' },
      }),
    });
  let initSummary: { root: { keyIds: string[] }; targets: { keyId: string } };

  beforeAll(async () => {
    gateway = await createGateway({
      config: loadConfig({ overrides: { dataDir: join(dir, 'gateway'), 'mqtt.port': 0, 'http.port': 0, 'firmware.port': 0, 'auth.scryptCost': 2 ** 14 } }),
      logger: createLogger({ level: 'silent' }),
    });
    await gateway.listen();
    writeFileSync(join(dir, 'ca.pem'), gateway.context.tls.caPem);
    for (const [username, role] of [['tech.release', 'technician'], ['tech.rotate', 'technician'], ['tech.field', 'technician'], ['admin.cho', 'admin'], ['audit.ann', 'auditor']] as const) {
      const password = generatePassword();
      const created = await gateway.users.createUser({ username, role, password });
      // One state directory for every run: the CLI remembers the TOTP steps it used per account.
      accounts.set(username, { MEDSIM_PASSWORD: password, MEDSIM_TOTP_SECRET: (URI.parse(created.totpUri!) as TOTP).secret.base32, MEDSIM_STATE_DIR: join(dir, 'state') });
    }
    device = await DeviceCredentials.create('spo2-1');
    const { token } = gateway.context.devices.createEnrolmentToken({ deviceId: 'spo2-1', model: MODEL, patientId: null, createdBy: 'test' });
    device.enrolled(await gateway.context.devices.enrol({ ...device.enrolmentRequest(token), source: '127.0.0.1' }));
  });

  afterAll(async () => {
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('[CTL-12][CTL-11] keys init, build, release, publish as a technician: the gateway signs snapshot and timestamp and a device verifies the release', { tags: ['CTL-12', 'CTL-11'], timeout: 90_000 }, async () => {
    // The gateway host prints its online public keys; the offline machine reads only those.
    const online = await cli(['online-keys', '--data-dir', join(dir, 'gateway')]);
    writeFileSync(join(dir, 'online-keys.json'), online.stdout);
    const onlineKeys = json<{ snapshot: { keyId: string }; timestamp: { keyId: string } }>(online);

    initSummary = json(await cli(['keys', 'init', '--dir', keys, '--online-keys', join(dir, 'online-keys.json'), '--json']));
    expect(initSummary.root.keyIds).toHaveLength(3);
    expect(statSync(keys).mode & 0o777).toBe(0o700);
    const keyFiles = readdirSync(keys).filter((f) => f.endsWith('.pem'));
    expect(keyFiles.map((f) => f.split('-')[0]).sort()).toEqual(['image', 'root', 'root', 'root', 'targets']);
    for (const file of keyFiles) expect(statSync(join(keys, file)).mode & 0o777).toBe(0o600);
    const root1 = JSON.parse(readFileSync(join(keys, 'repository', 'metadata', '1.root.json'), 'utf8')) as { signed: { roles: Record<string, { keyids: string[]; threshold: number }> }; signatures: unknown[] };
    expect(root1.signed.roles['root']).toEqual({ keyids: initSummary.root.keyIds, threshold: 2 });
    expect(root1.signed.roles['snapshot']!.keyids).toEqual([onlineKeys.snapshot.keyId]);
    expect(root1.signed.roles['timestamp']!.keyids).toEqual([onlineKeys.timestamp.keyId]);
    expect(root1.signatures).toHaveLength(2);

    const buildArgs = ['build', '--model', MODEL, '--version', '1.1.0', '--security-counter', '2', '--size', '65536', '--build-time', BUILD_TIME, '--keys', keys, '--json'];
    const built = json<{ sha256: string; securityCounter: number }>(await cli([...buildArgs, '--out', join(dir, 'a.bin')]));
    await cli([...buildArgs, '--out', join(dir, 'b.bin')]);
    expect(readFileSync(join(dir, 'b.bin')).equals(readFileSync(join(dir, 'a.bin')))).toBe(true);
    expect(built.securityCounter).toBe(2);

    const released = json<{ targetsVersion: number; targets: { path: string; sha256: string }[] }>(await cli(['release', '--keys', keys, '--image', join(dir, 'a.bin'), '--json']));
    expect(released).toMatchObject({ targetsVersion: 1, targets: [{ path: `${MODEL}/${MODEL}-1.1.0.bin`, sha256: built.sha256 }] });

    const { env, flags } = account('tech.release');
    const published = json<{ sent: { metadata: string[]; targets: string[] }; stored: { metadata: { name: string; publishedBy: string }[] } }>(await cli(['publish', '--keys', keys, ...flags, '--json'], env));
    expect(published.sent).toEqual({ metadata: ['1.root.json', '1.targets.json'], targets: [`${MODEL}/${built.sha256}.${MODEL}-1.1.0.bin`] });
    const signedOnline = published.stored.metadata.filter((m) => m.publishedBy === 'gateway').map((m) => m.name);
    expect(signedOnline.sort()).toEqual(['1.snapshot.json', 'timestamp.json']);

    // A device that trusts root v1 refreshes through the gateway: every signature checks out.
    mkdirSync(deviceMetadata);
    await installTrustedRoot(deviceMetadata, readFileSync(join(keys, 'repository', 'metadata', '1.root.json')));
    const client = updateClient();
    expect(await client.refresh()).toMatchObject({ root: 1, targets: 1, snapshot: 1 });
    expect(await client.targetFor(MODEL)).toMatchObject({ version: '1.1.0', securityCounter: 2, sha256: built.sha256 });
  });

  it.concurrent('[CTL-01][CTL-02] a technician creates a campaign; an admin approves it with a fresh TOTP code; status, pause and list', { tags: ['CTL-01', 'CTL-02'], timeout: 120_000 }, async () => {
    const created = json<{ campaignId: string; status: string; stages: number[] }>(
      await cli(['campaign', 'create', '--model', MODEL, '--version', '1.1.0', '--devices', 'spo2-1', '--stages', '50,100', '--threshold', '30', '--min-sample', '2', ...account('tech.field').flags, '--json'], account('tech.field').env),
    );
    expect(created).toMatchObject({ status: 'awaiting-approval', stages: [50, 100], failureThresholdPercent: 30, minFailureSample: 2 });
    const id = created.campaignId;

    // The admin's login spends one TOTP code; the step-up sends the next one (two-person rule: not the creator).
    const approved = json<{ status: string; approvedBy: string; createdBy: string }>(await cli(['campaign', 'approve', id, ...account('admin.cho').flags, '--json'], account('admin.cho').env));
    expect(approved.status).toBe('running');
    expect(approved.approvedBy).not.toBe(approved.createdBy);

    const status = await cli(['campaign', 'status', id, ...account('audit.ann').flags], account('audit.ann').env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`campaign ${id}: ${MODEL} 1.1.0, running`);
    expect(status.stdout).toMatch(/confirmed \[░{20}\] 0\/1/u);
    expect(status.stdout).toMatch(/spo2-1\s+yes\s+pending/u);

    const paused = json<{ status: string; pauseReason: string }>(await cli(['campaign', 'pause', id, ...account('tech.field').flags, '--json'], account('tech.field').env));
    expect(paused).toMatchObject({ status: 'paused', pauseReason: 'manual' });
    const listed = json<{ campaigns: { campaignId: string; status: string }[] }>(await cli(['campaign', 'list', ...account('tech.release').flags, '--json'], account('tech.release').env));
    expect(listed.campaigns).toEqual([expect.objectContaining({ campaignId: id, status: 'paused' })]);
    const audit = gateway.context.db.prepare("SELECT event, outcome FROM audit_log WHERE event LIKE 'firmware.campaign-%' ORDER BY seq").all();
    expect(audit).toEqual(
      expect.arrayContaining([
        { event: 'firmware.campaign-create', outcome: 'success' },
        { event: 'firmware.campaign-approve', outcome: 'success' },
        { event: 'firmware.campaign-pause', outcome: 'success' },
      ]),
    );
  });

  it.concurrent('[CTL-11][CTL-12][U4][U10] rotate the targets key and a root key, revoke a root key, release and publish: the device walks the roots and verifies', { tags: ['CTL-11', 'CTL-12', 'U4', 'U10'], timeout: 120_000 }, async () => {
    const targets = json<{ rootVersion: number; targetsVersion: number; replaced: string; retired: string[] }>(await cli(['rotate', '--keys', keys, '--role', 'targets', '--json']));
    expect(targets).toMatchObject({ rootVersion: 2, targetsVersion: 2, replaced: initSummary.targets.keyId });
    const [first, second] = initSummary.root.keyIds;
    const root = json<{ rootVersion: number; retired: string[] }>(await cli(['rotate', '--keys', keys, '--role', 'root', '--replace', first!.slice(0, 12), '--json']));
    expect(root.rootVersion).toBe(3);
    const revoked = json<{ rootVersion: number; roles: string[] }>(await cli(['revoke', '--keys', keys, '--key', second!, '--json']));
    expect(revoked).toMatchObject({ rootVersion: 4, roles: ['root'] });
    // Nothing deleted: the three keys out of service are renamed.
    expect(readdirSync(keys).filter((f) => f.endsWith('.retired'))).toHaveLength(3);
    expect([...targets.retired, ...root.retired].every((f) => existsSync(join(keys, f)))).toBe(true);
    const root4 = JSON.parse(readFileSync(join(keys, 'repository', 'metadata', '4.root.json'), 'utf8')) as { signed: { roles: { root: { keyids: string[] } } } };
    expect(root4.signed.roles.root.keyids).not.toContain(first);
    expect(root4.signed.roles.root.keyids).not.toContain(second);

    await cli(['build', '--model', MODEL, '--version', '1.2.0', '--security-counter', '3', '--size', '65536', '--build-time', BUILD_TIME, '--keys', keys, '--out', join(dir, 'c.bin')]);
    expect(json(await cli(['release', '--keys', keys, '--image', join(dir, 'c.bin'), '--json']))).toMatchObject({ targetsVersion: 3 });
    const published = json<{ sent: { metadata: string[] } }>(await cli(['publish', '--keys', keys, ...account('tech.rotate').flags, '--json'], account('tech.rotate').env));
    expect(published.sent.metadata).toEqual(['2.root.json', '3.root.json', '4.root.json', '3.targets.json']);

    const client = updateClient();
    expect(await client.refresh()).toMatchObject({ root: 4, targets: 3 });
    expect(await client.targetFor(MODEL)).toMatchObject({ version: '1.2.0', securityCounter: 3 });

    // The same technician again at once: the CLI waits for a new TOTP step rather than reuse the
    // last one (which the gateway would refuse and count towards the lockout); nothing new to send.
    const again = json(await cli(['publish', '--keys', keys, ...account('tech.rotate').flags, '--json'], account('tech.rotate').env));
    expect(again).toEqual({ sent: { metadata: [], targets: [] }, stored: null });
    const mfaFailures = gateway.context.db.prepare("SELECT count(*) AS n FROM audit_log WHERE event = 'auth.mfa' AND outcome <> 'success'").get() as { n: number };
    expect(mfaFailures.n).toBe(0);
  });

  it.concurrent('[CTL-13][U1][U13] inspect and release refuse a tampered image, an appended byte and another key\'s image', { tags: ['CTL-13', 'U1', 'U13'] }, async () => {
    const own = join(dir, 'inspect-keys');
    const other = join(dir, 'other-keys');
    for (const k of [own, other]) expect((await cli(['keys', 'init', '--dir', k, '--online-keys', join(dir, 'online-keys.json')])).code).toBe(0);
    const image = join(dir, 'inspect.bin');
    await cli(['build', '--model', MODEL, '--version', '2.0.0', '--security-counter', '5', '--build-time', BUILD_TIME, '--keys', own, '--out', image]);
    const good = json<{ valid: boolean; signature: string; version: string }>(await cli(['inspect', image, '--keys', own, '--json']));
    expect(good).toMatchObject({ valid: true, signature: 'verified', version: '2.0.0' });

    const bytes = readFileSync(image);
    const flipped = Buffer.from(bytes);
    flipped[4000] = flipped[4000]! ^ 0x01;
    writeFileSync(join(dir, 'flipped.bin'), flipped);
    const unsigned = await cli(['inspect', join(dir, 'flipped.bin'), '--json']);
    expect(unsigned.code).toBe(1);
    expect(JSON.parse(unsigned.stdout)).toMatchObject({ valid: false, hashMatches: false, error: { code: 'ERR_FW_IMAGE_HASH_MISMATCH' } });
    const signed = await cli(['inspect', join(dir, 'flipped.bin'), '--keys', own]);
    expect(signed.code).toBe(1);
    expect(signed.stdout).toContain('ERR_FW_IMAGE_HASH_MISMATCH');

    writeFileSync(join(dir, 'appended.bin'), Buffer.concat([bytes, Buffer.from([0])]));
    expect(JSON.parse((await cli(['inspect', join(dir, 'appended.bin'), '--json'])).stdout)).toMatchObject({ valid: false, error: { code: 'ERR_FW_IMAGE_MALFORMED' } });
    expect(JSON.parse((await cli(['inspect', image, '--keys', other, '--json'])).stdout)).toMatchObject({ valid: false, error: { code: 'ERR_FW_IMAGE_UNTRUSTED_KEY' } });

    // The targets key never lists an image its own image key did not sign, nor an altered one.
    for (const [keysDir, file, code] of [[own, 'flipped.bin', 'ERR_FW_IMAGE_HASH_MISMATCH'], [other, 'inspect.bin', 'ERR_FW_IMAGE_UNTRUSTED_KEY']] as const) {
      const refused = await cli(['release', '--keys', keysDir, '--image', join(dir, file)]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(code);
      expect(existsSync(join(keysDir, 'repository', 'metadata', '1.targets.json'))).toBe(false);
    }
  });

  it.concurrent('[CTL-09][CTL-10] refusals: overwriting keys, no password in the environment, bad flags (exit 2); a key file others may read (exit 1)', { tags: ['CTL-09', 'CTL-10'] }, async () => {
    const keysDir = join(dir, 'refusal-keys');
    expect((await cli(['keys', 'init', '--dir', keysDir, '--online-keys', join(dir, 'online-keys.json')])).code).toBe(0);
    const listing = (): string[][] => readdirSync(keysDir).map((f) => [f, statSync(join(keysDir, f)).isFile() ? readFileSync(join(keysDir, f), 'utf8') : 'directory']);
    const before = listing();
    const again = await cli(['keys', 'init', '--dir', keysDir, '--online-keys', join(dir, 'online-keys.json')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('refusing to overwrite release keys');
    expect(listing()).toEqual(before);

    const noPassword = await cli(['campaign', 'list', '--api', '127.0.0.1:1', '--ca', join(dir, 'ca.pem'), '--user', 'tech.field'], { MEDSIM_PASSWORD: '' });
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('set MEDSIM_PASSWORD');

    const cases: [string[], string][] = [
      [['build', '--model', MODEL, '--version', '1.0.0', '--security-counter', '4294967296', '--keys', keysDir, '--out', join(dir, 'x.bin')], '--security-counter must be a whole number'],
      [['build', '--model', 'Bad Model', '--version', '1.0.0', '--security-counter', '1', '--keys', keysDir, '--out', join(dir, 'x.bin')], 'model must be'],
      [['build', '--model', MODEL, '--version', '1.0', '--security-counter', '1', '--keys', keysDir, '--out', join(dir, 'x.bin')], 'version must be MAJOR.MINOR.PATCH'],
      [['inspect', join(dir, 'missing.bin')], 'no such file'],
      [['rotate', '--keys', keysDir, '--role', 'snapshot'], '--role must be root or targets'],
      [['rotate', '--keys', keysDir, '--role', 'root'], 'name the one to replace'],
      [['revoke', '--keys', keysDir, '--key', 'abc'], '--key must be a key id'],
      [['campaign', 'approve', 'not-an-id'], 'ID (32 hex digits)'],
      [['campaign', 'create', '--model', MODEL, '--version', '1.0.0', '--stages', '10,,100'], '--stages must be a comma-separated list'],
      [['publish', '--keys', keysDir, '--bogus'], "Unknown option '--bogus'"],
      [['launch'], 'unknown action "launch"'],
    ];
    for (const [args, message] of cases) {
      const run = await cli(args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toContain(message);
    }

    const rootKey = readdirSync(keysDir).find((f) => f.startsWith('root-'))!;
    chmodSync(join(keysDir, rootKey), 0o644);
    const exposed = await cli(['rotate', '--keys', keysDir, '--role', 'targets']);
    expect(exposed.code).toBe(1);
    expect(exposed.stderr).toContain('is readable by group or others');
    expect(existsSync(join(keysDir, 'repository', 'metadata', '2.root.json'))).toBe(false);
  });
});
