/**
 * The update repository's storage (issue 5, "Gateway side"; CTL-12): a technician publishes a
 * bundle signed offline over the real HTTPS API; what a device must never be offered is refused
 * before anything is stored (images that do not parse, are too large, or disagree with their name;
 * oversized or mislabelled metadata; names with `..` or `/` tricks), published files never change,
 * the bytes land content-addressed 0600 in a 0700 directory, and only technicians publish.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_FILES, METADATA_MAX_BYTES, type AuditEntry } from '../../src/index.js';
import { TherapyRig, type RigUser } from '../therapy/helpers.js';
import { bundleBody, image, metadata, publish, releaseMetadata } from './helpers.js';

let rig: TherapyRig;
let technician: RigUser;
let techToken: string;
const tokens: Partial<Record<'clinician' | 'patient' | 'admin' | 'auditor', string>> = {};

beforeAll(async () => {
  // 64 KiB images at most here, so "oversized" is cheap to build.
  rig = await TherapyRig.start({ 'firmware.maxImageBytes': 65_536, 'firmware.maxBundleBytes': 262_144 });
  technician = await rig.user('technician');
  techToken = await rig.login(technician);
  for (const role of ['clinician', 'patient', 'admin', 'auditor'] as const) tokens[role] = await rig.login(await rig.user(role));
});
afterAll(async () => rig.close());

/** Publish refusals audited so far, by code. */
const refusals = (): string[] => rig.audit().filter((e: AuditEntry) => e.event === 'firmware.publish' && e.outcome === 'denied').map((e) => e.code!);

describe('publishing a release (CTL-12)', () => {
  it('[CTL-12] a technician publishes images and metadata; the index holds what each image header says; the bytes are stored once, named by SHA-256, 0600 in 0700', { tags: ['CTL-12', 'CTL-10'] }, async () => {
    const v1 = image('ultrasound', '1.0.0', 1);
    const v2 = image('ultrasound', '1.1.0', 2);
    const answer = await publish(rig, techToken, bundleBody(releaseMetadata(1), [v1, v2]));
    expect(answer.status).toBe(201);
    expect(answer.body['targets']).toEqual([
      expect.objectContaining({ targetPath: v1.targetPath, filePath: v1.filePath, model: 'ultrasound', version: '1.0.0', securityCounter: 1, length: v1.bytes.length, sha256: v1.sha256, encrypted: false, publishedBy: technician.id }),
      expect.objectContaining({ targetPath: v2.targetPath, version: '1.1.0', securityCounter: 2, sha256: v2.sha256 }),
    ]);
    expect((answer.body['metadata'] as { name: string }[]).map((m) => m.name).sort()).toEqual(['1.root.json', '1.snapshot.json', '1.targets.json', 'timestamp.json']);

    const list = await rig.request('GET', '/v1/firmware/releases?model=ultrasound', { token: techToken });
    expect(list.status).toBe(200);
    // Newest version first.
    expect((list.body['targets'] as { version: string }[]).map((t) => t.version)).toEqual(['1.1.0', '1.0.0']);
    expect((list.body['metadata'] as { name: string; version: number }[]).find((m) => m.name === 'timestamp.json')?.version).toBe(1);

    const dir = rig.gateway.state.dataDir.file(DATA_FILES.firmware);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'blobs')).mode & 0o777).toBe(0o700);
    const blobs = readdirSync(join(dir, 'blobs'));
    expect(blobs).toEqual(expect.arrayContaining([v1.sha256, v2.sha256]));
    expect(blobs.every((name) => /^[0-9a-f]{64}$/u.test(name))).toBe(true);
    for (const name of blobs) expect(statSync(join(dir, 'blobs', name)).mode & 0o777).toBe(0o600);
    const published = rig.audit().filter((e) => e.event === 'firmware.publish' && e.outcome === 'success' && e.actor === technician.id);
    expect(published.map((e) => e.object)).toEqual(expect.arrayContaining([`firmware-target/${v1.targetPath};sha256/${v1.sha256}`, `firmware-target/${v2.targetPath};sha256/${v2.sha256}`]));
    expect(published.filter((e) => e.object?.startsWith('firmware-metadata/')).map((e) => e.object!.split(';')[0]).sort()).toEqual(
      ['1.root.json', '1.snapshot.json', '1.targets.json', 'timestamp.json'].map((name) => `firmware-metadata/${name}`),
    );
  });

  it('[CTL-12] publishing the same bundle again changes nothing; other bytes under a published name, another image for a released version, or an older timestamp are refused', { tags: ['CTL-12', 'U3'] }, async () => {
    const v3 = image('ultrasound', '1.2.0', 3);
    expect((await publish(rig, techToken, bundleBody(releaseMetadata(2), [v3]))).status).toBe(201);
    expect((await publish(rig, techToken, bundleBody(releaseMetadata(2), [v3]))).status).toBe(201);

    const before = (await rig.request('GET', '/v1/firmware/releases', { token: techToken })).body;
    const rebuilt = image('ultrasound', '1.2.0', 3, 8192); // same version, other bytes
    for (const body of [
      bundleBody({ '2.targets.json': metadata('targets', 2, { note: 'changed' }) }, []),
      bundleBody({}, [rebuilt]),
      bundleBody({ 'timestamp.json': metadata('timestamp', 1) }, []),
      bundleBody({ 'timestamp.json': metadata('timestamp', 2, { note: 'same version, other bytes' }) }, []),
    ]) {
      const answer = await publish(rig, techToken, body);
      expect(answer.status).toBe(409);
      expect(answer.body['code']).toBe('ERR_FIRMWARE_CONFLICT');
    }
    expect((await rig.request('GET', '/v1/firmware/releases', { token: techToken })).body).toEqual(before);
    // A newer timestamp moves on.
    expect((await publish(rig, techToken, bundleBody({ 'timestamp.json': metadata('timestamp', 3) }, []))).status).toBe(201);
  });

  it('[CTL-12][U1][U2] an image that does not parse, carries another hash than its name, or belongs to another model is refused, and nothing of its bundle is stored', { tags: ['CTL-12', 'U1', 'U2'] }, async () => {
    const good = image('insulin-pump', '3.0.0', 1);
    const truncated = good.bytes.subarray(0, good.bytes.length - 10);
    const garbage = Buffer.from('MZ\x90\x00 this is not a firmware image at all, just bytes'.repeat(4));
    const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
    const other = image('pacemaker', '3.0.0', 1);
    const cases: [Record<string, Uint8Array>, string][] = [
      [{ [`insulin-pump/${sha(truncated)}.insulin-pump-3.0.0.bin`]: truncated }, 'ERR_FW_IMAGE_MALFORMED'],
      [{ [`insulin-pump/${sha(garbage)}.insulin-pump-3.0.0.bin`]: garbage }, 'ERR_FW_IMAGE_MALFORMED'],
      [{ [`insulin-pump/${'0'.repeat(64)}.insulin-pump-3.0.0.bin`]: good.bytes }, 'hash'],
      [{ [`insulin-pump/${other.sha256}.insulin-pump-3.0.0.bin`]: other.bytes }, 'model'],
    ];
    for (const [targets, reason] of cases) {
      const answer = await publish(rig, techToken, bundleBody({ '9.targets.json': metadata('targets', 9) }, { ...targets, [good.filePath]: good.bytes }));
      expect(answer.status, reason).toBe(400);
      expect(answer.body['code']).toBe('ERR_FIRMWARE_IMAGE_INVALID');
      expect(answer.body['message']).toContain(reason === 'hash' ? 'SHA-256' : reason === 'model' ? 'model pacemaker' : reason);
    }
    const listed = (await rig.request('GET', '/v1/firmware/releases', { token: techToken })).body;
    expect((listed['targets'] as { model: string }[]).filter((t) => t.model === 'insulin-pump')).toEqual([]);
    expect((listed['metadata'] as { name: string }[]).map((m) => m.name)).not.toContain('9.targets.json');
    expect(refusals().filter((code) => code === 'ERR_FIRMWARE_IMAGE_INVALID')).toHaveLength(4);
  });

  it('[CTL-12][CTL-16][U6] an image above firmware.maxImageBytes and metadata above its role cap are refused (413)', { tags: ['CTL-12', 'CTL-16', 'U6'] }, async () => {
    const big = image('ultrasound', '9.0.0', 9, 70_000);
    const answer = await publish(rig, techToken, bundleBody({}, [big]));
    expect(answer.status).toBe(413);
    expect(answer.body['code']).toBe('ERR_FIRMWARE_TOO_LARGE');
    const padding = 'x'.repeat(METADATA_MAX_BYTES.timestamp);
    const fat = await publish(rig, techToken, bundleBody({ 'timestamp.json': metadata('timestamp', 50, { padding }) }, []));
    expect(fat.status).toBe(413);
    expect(fat.body['code']).toBe('ERR_FIRMWARE_TOO_LARGE');
    // Just under the cap is fine: the limit is the cap, not something smaller.
    const fits = metadata('timestamp', 50, { padding: '' });
    const room = METADATA_MAX_BYTES.timestamp - fits.length;
    expect((await publish(rig, techToken, bundleBody({ 'timestamp.json': metadata('timestamp', 50, { padding: 'x'.repeat(room) }) }, []))).status).toBe(201);
  });

  it('[CTL-16] a publish request above firmware.maxBundleBytes is refused unread (413), though each image in it is within its own limit', { tags: ['CTL-16'] }, async () => {
    const images = ['8.0.0', '8.0.1', '8.0.2', '8.0.3'].map((version) => image('ultrasound', version, 8, 60_000));
    const answer = await publish(rig, techToken, bundleBody({}, images));
    expect(answer.status).toBe(413);
    expect(answer.body['code']).toBe('ERR_REQUEST_TOO_LARGE');
    expect((await rig.request('GET', '/v1/firmware/releases?model=ultrasound', { token: techToken })).body['targets']).not.toContainEqual(expect.objectContaining({ version: '8.0.0' }));
    // The same images in two requests, each under the limit, are published.
    expect((await publish(rig, techToken, bundleBody({}, images.slice(0, 2)))).status).toBe(201);
    expect((await publish(rig, techToken, bundleBody({}, images.slice(2)))).status).toBe(201);
  });

  it('[CTL-12][CTL-09] metadata whose role or version disagrees with its name, or that is not JSON, is refused', { tags: ['CTL-12', 'CTL-09'] }, async () => {
    for (const [name, bytes] of [
      ['3.snapshot.json', metadata('targets', 3)],
      ['3.snapshot.json', metadata('snapshot', 4)],
      ['timestamp.json', metadata('timestamp', 0)],
      ['2.root.json', Buffer.from('{"signed": ')],
      ['2.root.json', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
      ['2.root.json', Buffer.from('[1, 2, 3]')],
    ] as const) {
      const answer = await publish(rig, techToken, bundleBody({ [name]: bytes }, []));
      expect(answer.status, name).toBe(400);
      expect(answer.body['code']).toBe('ERR_FIRMWARE_METADATA_INVALID');
    }
  });

  it('[CTL-12][CTL-09] names outside the repository patterns are refused: `..`, `/` tricks, encodings, other roles', { tags: ['CTL-12', 'CTL-09'] }, async () => {
    const good = image('ultrasound', '7.0.0', 7);
    const targetNames = [
      `../${good.sha256}.ultrasound-7.0.0.bin`,
      `ultrasound/../${good.sha256}.ultrasound-7.0.0.bin`,
      `ultrasound/${good.sha256}.../etc/passwd.bin`,
      `ultrasound/${good.sha256}/../x.bin`,
      `ultrasound//${good.sha256}.ultrasound-7.0.0.bin`,
      `/ultrasound/${good.sha256}.ultrasound-7.0.0.bin`,
      `ultrasound\\${good.sha256}.ultrasound-7.0.0.bin`,
      `ultrasound/${good.sha256}.%2e%2e.bin`,
      `ultrasound/${good.sha256}.ultrasound-7.0.0.exe`,
      `ultrasound/${good.sha256}..bin`,
      `ultrasound/${good.sha256}.a..b.bin`,
      `Ultrasound/${good.sha256}.ultrasound-7.0.0.bin`,
      `ultrasound/ultrasound-7.0.0.bin`,
    ];
    for (const name of targetNames) {
      const answer = await publish(rig, techToken, bundleBody({}, { [name]: good.bytes }));
      expect(answer.status, name).toBe(400);
      expect(answer.body['code'], name).toBe('ERR_FIRMWARE_NAME_INVALID');
    }
    for (const name of ['../1.root.json', '1.root.json/..', 'root.json', '0.root.json', '01.root.json', '1.delegated.json', '1.timestamp.json', 'timestamp.json.bak', '1.root.JSON', '99999999999.root.json']) {
      const answer = await publish(rig, techToken, bundleBody({ [name]: metadata('root', 1) }, []));
      expect(answer.status, name).toBe(400);
      expect(answer.body['code'], name).toBe('ERR_FIRMWARE_NAME_INVALID');
    }
    // Not base64 at all.
    const junk = await publish(rig, techToken, { metadata: { 'timestamp.json': 'not base64!' }, targets: {} });
    expect(junk.status).toBe(400);
    expect(junk.body['code']).toBe('ERR_BAD_REQUEST');
  });
});

describe('who may see and publish firmware (CTL-01)', () => {
  it('[CTL-01] clinicians and patients can neither list nor publish releases; admins and auditors list but do not publish (403, audited)', { tags: ['CTL-01'] }, async () => {
    const body = bundleBody({ 'timestamp.json': metadata('timestamp', 60) }, []);
    for (const role of ['clinician', 'patient'] as const) {
      expect((await rig.request('GET', '/v1/firmware/releases', { token: tokens[role]! })).status, role).toBe(403);
      expect((await publish(rig, tokens[role]!, body)).status, role).toBe(403);
    }
    for (const role of ['admin', 'auditor'] as const) {
      expect((await rig.request('GET', '/v1/firmware/releases', { token: tokens[role]! })).status, role).toBe(200);
      expect((await publish(rig, tokens[role]!, body)).status, role).toBe(403);
    }
    expect((await rig.request('GET', '/v1/firmware/releases')).status).toBe(401);
    const denied = rig.audit().filter((e) => e.event === 'access.denied' && e.object === 'POST /v1/firmware/releases');
    expect(denied.map((e) => e.role).sort()).toEqual(['admin', 'auditor', 'clinician', 'patient']);
  });
});
