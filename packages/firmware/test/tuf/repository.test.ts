/**
 * The release side: Ed25519 TUF keys, root creation, rotation and revocation (TUF spec 5.3.4),
 * targets signed offline, snapshot and timestamp signed online, the consistent-snapshot layout, and
 * every input a device would refuse refused here first, before anything is published.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalize } from '@tufjs/canonical-json';
import { Metadata, MetadataKind, Root } from '@tufjs/models';
import { describe, expect, it } from 'vitest';
import {
  OnlineSigner,
  TIMESTAMP_PATH,
  TufSigningKey,
  createRoot,
  metadataPath,
  readRepository,
  revokeKey,
  rootSpecOf,
  rotateRoot,
  signTargets,
  storedTargetPath,
  tufKeyId,
  tufPublicKey,
  writeRepository,
  type RootSpec,
} from '../../src/index.js';
import { editJson, forge, json, latest, newKeys, newRepository, release, specOf } from './fixture.js';

const NOW = new Date('2026-11-29T12:00:00.500Z');
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('release keys', () => {
  it('[CTL-11][CTL-12] are Ed25519 TUF keys named by the SHA-256 of their canonical JSON, kept as PKCS#8 PEM', { tags: ['CTL-11', 'CTL-12'] }, () => {
    const key = TufSigningKey.generate();
    const body = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: key.publicKey.keyVal.public } };
    expect(key.publicKey.keyVal.public).toMatch(/^[0-9a-f]{64}$/);
    expect(key.keyId).toBe(createHash('sha256').update(canonicalize(body)).digest('hex'));
    expect(tufKeyId(key.publicKey)).toBe(key.keyId);
    const again = TufSigningKey.fromPem(key.toPem());
    expect(again.keyId).toBe(key.keyId);

    const others = newKeys();
    const md = new Metadata(Root.fromJSON(json(createRoot(specOf(others), others.root)).signed));
    md.sign(again.signer);
    expect(() => key.publicKey.verifySignature(md)).not.toThrow();
  });

  it('[CTL-11] refuses anything but an Ed25519 key', { tags: ['CTL-11'] }, () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(codeOf(() => TufSigningKey.fromPem(ec))).toBe('ERR_FW_KEY_INVALID');
    expect(codeOf(() => TufSigningKey.fromPem('not a key'))).toBe('ERR_FW_KEY_INVALID');
    expect(codeOf(() => tufPublicKey(new Uint8Array(31)))).toBe('ERR_FW_KEY_INVALID');
  });
});

describe('root', () => {
  it('[CTL-12] creates root 1 with a 2-of-3 root threshold, consistent snapshots and a 365-day lifetime', { tags: ['CTL-12'] }, () => {
    const keys = newKeys();
    const root = json(createRoot(specOf(keys), keys.root.slice(1), { now: NOW }));
    expect(root.signed).toMatchObject({ _type: 'root', version: 1, consistent_snapshot: true, expires: '2027-11-29T12:00:00Z' });
    expect(root.signed.roles.root).toEqual({ keyids: keys.root.map((k) => k.keyId), threshold: 2 });
    expect(root.signed.roles.timestamp).toEqual({ keyids: [keys.timestamp.keyId], threshold: 1 });
    expect(root.signatures.map((s) => s.keyid).sort()).toEqual([keys.root[1]!.keyId, keys.root[2]!.keyId].sort());
  });

  it('[CTL-12] refuses a root a device would refuse, or one that mixes offline and online keys', { tags: ['CTL-12'] }, () => {
    const keys = newKeys();
    const spec = specOf(keys);
    expect(codeOf(() => createRoot(spec, [keys.root[0]!]))).toBe('ERR_FW_REPO_THRESHOLD');
    expect(codeOf(() => createRoot({ ...spec, root: { ...spec.root, threshold: 0 } }, keys.root))).toBe('ERR_FW_REPO_INVALID');
    expect(codeOf(() => createRoot({ ...spec, root: { ...spec.root, threshold: 4 } }, keys.root))).toBe('ERR_FW_REPO_INVALID');
    expect(codeOf(() => createRoot({ ...spec, snapshot: { keys: [keys.snapshot.publicKey, keys.snapshot.publicKey], threshold: 1 } }, keys.root))).toBe('ERR_FW_REPO_INVALID');
    expect(codeOf(() => createRoot({ ...spec, timestamp: { keys: [keys.root[0]!.publicKey], threshold: 1 } }, keys.root))).toBe('ERR_FW_REPO_INVALID');
    expect(codeOf(() => createRoot(spec, keys.root, { expiresInDays: 0 }))).toBe('ERR_FW_REPO_INVALID');
  });

  it('[CTL-11][CTL-12] rotates only with the threshold of the old root keys and of the new ones (spec 5.3.4)', { tags: ['CTL-11', 'CTL-12'] }, () => {
    const keys = newKeys();
    const root1 = createRoot(specOf(keys), keys.root);
    const fresh = [TufSigningKey.generate(), TufSigningKey.generate(), TufSigningKey.generate()];
    const spec: RootSpec = { ...specOf(keys), root: { keys: fresh.map((k) => k.publicKey), threshold: 2 } };
    expect(codeOf(() => rotateRoot(root1, spec, fresh))).toBe('ERR_FW_REPO_THRESHOLD');
    expect(codeOf(() => rotateRoot(root1, spec, keys.root))).toBe('ERR_FW_REPO_THRESHOLD');
    expect(codeOf(() => rotateRoot(root1, spec, [keys.root[0]!, ...fresh]))).toBe('ERR_FW_REPO_THRESHOLD');
    const root2 = json(rotateRoot(root1, spec, [keys.root[0]!, keys.root[2]!, fresh[1]!, fresh[2]!]));
    expect(root2.signed.version).toBe(2);
    expect(root2.signed.roles.root.keyids).toEqual(fresh.map((k) => k.keyId));
  });

  it('[CTL-11][CTL-12] revokes a key: a spec without it and with its replacement, never below a threshold', { tags: ['CTL-11', 'CTL-12'] }, () => {
    const keys = newKeys();
    const root1 = createRoot(specOf(keys), keys.root);
    const replacement = TufSigningKey.generate();
    const revoked = revokeKey(rootSpecOf(root1), keys.targets.keyId, replacement.publicKey);
    expect(revoked.targets.keys.map((k) => k.keyID)).toEqual([replacement.keyId]);
    expect(revoked.root).toEqual(rootSpecOf(root1).root);
    expect(codeOf(() => rotateRoot(root1, revokeKey(rootSpecOf(root1), keys.targets.keyId), keys.root))).toBe('ERR_FW_REPO_INVALID');
    expect(codeOf(() => revokeKey(rootSpecOf(root1), 'a'.repeat(64)))).toBe('ERR_FW_REPO_INVALID');
  });
});

describe('targets', () => {
  it('[CTL-12] signs an entry per image: path, length, SHA-256 and custom model, version, security counter', { tags: ['CTL-12'] }, () => {
    const keys = newKeys();
    const root = createRoot(specOf(keys), keys.root);
    const pump = release('pump', '2.3.4', 7);
    const { targetsJson, targetFiles } = signTargets({ root, add: [pump], signers: [keys.targets] }, { now: NOW });
    const targets = json(targetsJson).signed;
    expect(targets).toMatchObject({ _type: 'targets', version: 1, expires: '2027-02-27T12:00:00Z' });
    expect(targets.targets['pump/pump-2.3.4.bin']).toEqual({ length: pump.image.length, hashes: { sha256: sha256(pump.image) }, custom: { model: 'pump', version: '2.3.4', securityCounter: 7 } });
    expect([...targetFiles.keys()]).toEqual([`targets/pump/${sha256(pump.image)}.pump-2.3.4.bin`]);

    const next = json(signTargets({ root, previous: { targets: targetsJson }, add: [release('pump', '2.4.0', 7)], remove: ['pump/pump-2.3.4.bin'], signers: [keys.targets] }).targetsJson).signed;
    expect(next.version).toBe(2);
    expect(Object.keys(next.targets as object)).toEqual(['pump/pump-2.4.0.bin']);
  });

  it('[CTL-12][U8] refuses an image whose header disagrees with its entry, a duplicate, and bad fields', { tags: ['CTL-12', 'U8'] }, () => {
    const keys = newKeys();
    const root = createRoot(specOf(keys), keys.root);
    const pump = release('pump', '2.3.4', 7);
    const sign = (add: NonNullable<Parameters<typeof signTargets>[0]['add']>) => () => signTargets({ root, add, signers: [keys.targets] });
    expect(codeOf(sign([{ ...pump, version: '2.3.5' }]))).toBe('ERR_FW_REPO_INVALID');
    expect(codeOf(sign([{ ...pump, securityCounter: 8 }]))).toBe('ERR_FW_REPO_INVALID');
    expect(codeOf(sign([{ ...pump, model: 'ultrasound' }]))).toBe('ERR_FW_REPO_INVALID');
    expect(codeOf(sign([{ ...pump, image: new Uint8Array(200) }]))).toBe('ERR_FW_REPO_INVALID');
    expect(codeOf(sign([{ ...pump, model: 'Pump!' }]))).toBe('ERR_FW_REPO_INVALID');
    expect(codeOf(sign([pump, pump]))).toBe('ERR_FW_REPO_INVALID');
    expect(codeOf(() => signTargets({ root, remove: ['pump/pump-1.0.0.bin'], signers: [keys.targets] }))).toBe('ERR_FW_REPO_INVALID');
  });

  it('[CTL-12][CTL-11] signs only with the targets key, and extends only previous targets it can verify', { tags: ['CTL-12', 'CTL-11'] }, () => {
    const keys = newKeys();
    const root = createRoot(specOf(keys), keys.root);
    expect(codeOf(() => signTargets({ root, signers: [keys.snapshot] }))).toBe('ERR_FW_REPO_THRESHOLD');
    const { targetsJson } = signTargets({ root, add: [release('pump', '1.0.0', 1)], signers: [keys.targets] });
    // A gateway-side copy with an entry slipped in: its signature no longer verifies.
    const injected = editJson(targetsJson, (j) => {
      j.signed.targets['pump/pump-9.0.0.bin'] = j.signed.targets['pump/pump-1.0.0.bin'];
    });
    expect(codeOf(() => signTargets({ root, previous: { targets: injected }, signers: [keys.targets] }))).toBe('ERR_FW_REPO_THRESHOLD');
  });
});

describe('online signer and layout', () => {
  it('[CTL-12] publishes consistent snapshots: versioned files, images under their hash, lengths and hashes in snapshot and timestamp', { tags: ['CTL-12'] }, () => {
    const keys = newKeys();
    const root = createRoot(specOf(keys), keys.root);
    const pump = release('pump', '1.0.0', 1);
    const signed = signTargets({ root, add: [pump], signers: [keys.targets] });
    const online = new OnlineSigner({ snapshotKeys: [keys.snapshot], timestampKeys: [keys.timestamp], now: () => NOW });
    const files = online.publish(new Map(), { rootHistory: [root], ...signed });
    expect([...files.keys()].sort()).toEqual(['metadata/1.root.json', 'metadata/1.snapshot.json', 'metadata/1.targets.json', TIMESTAMP_PATH, storedTargetPath('pump/pump-1.0.0.bin', sha256(pump.image))].sort());
    const snapshot = files.get(metadataPath('snapshot', 1))!;
    expect(json(snapshot).signed).toMatchObject({ version: 1, expires: '2026-12-06T12:00:00Z', meta: { 'targets.json': { version: 1, length: signed.targetsJson.length, hashes: { sha256: sha256(signed.targetsJson) } } } });
    expect(json(files.get(TIMESTAMP_PATH)).signed).toMatchObject({ version: 1, expires: '2026-11-30T12:00:00Z', meta: { 'snapshot.json': { version: 1, length: snapshot.length, hashes: { sha256: sha256(snapshot) } } } });

    const again = online.publish(files);
    const renewed = online.renewTimestamp(again);
    expect(json(renewed.get(TIMESTAMP_PATH)).signed).toMatchObject({ version: 3, meta: { 'snapshot.json': { version: 2 } } });
    expect(json(files.get(TIMESTAMP_PATH)).signed.version).toBe(1);
  });

  it('[CTL-12] refuses to publish what a device would refuse', { tags: ['CTL-12'] }, () => {
    const { keys, root, online, files } = newRepository();
    const targets = latest(files, 'targets');
    const next = signTargets({ root, previous: { targets }, add: [release('pump', '1.1.0', 1)], signers: [keys.targets] });
    const [imagePath, image] = [...next.targetFiles][0]!;
    const publish = (publication: Parameters<OnlineSigner['publish']>[1], signer = online) => () => signer.publish(files, publication);
    expect(codeOf(publish({ targetsJson: next.targetsJson, targetFiles: new Map([[imagePath, new Uint8Array(image).fill(1)]]) }))).toBe('ERR_FW_REPO_INVALID');
    expect(codeOf(publish({ targetsJson: next.targetsJson }))).toBe('ERR_FW_REPO_INVALID');
    expect(codeOf(publish({ targetFiles: next.targetFiles }))).toBe('ERR_FW_REPO_INVALID');
    expect(codeOf(publish({ targetsJson: targets }))).toBe('ERR_FW_REPO_VERSION');
    expect(codeOf(publish({ ...next, targetsJson: forge(next.targetsJson, MetadataKind.Targets, () => undefined, [keys.snapshot]) }))).toBe('ERR_FW_REPO_THRESHOLD');
    expect(codeOf(publish({}, new OnlineSigner({ snapshotKeys: [TufSigningKey.generate()], timestampKeys: [keys.timestamp] })))).toBe('ERR_FW_REPO_THRESHOLD');
    expect(codeOf(() => online.publish(new Map(), {}))).toBe('ERR_FW_REPO_INVALID');

    const root2 = rotateRoot(root, rootSpecOf(root), keys.root);
    const root3 = rotateRoot(root2, rootSpecOf(root2), keys.root);
    expect(codeOf(publish({ rootHistory: [root3] }))).toBe('ERR_FW_REPO_INVALID');
    expect(codeOf(publish({ rootHistory: [forge(root, MetadataKind.Root, () => undefined, keys.root)] }))).toBe('ERR_FW_REPO_INVALID');
    expect(codeOf(publish({ rootHistory: [forge(root2, MetadataKind.Root, () => undefined, [keys.root[0]!])] }))).toBe('ERR_FW_REPO_THRESHOLD');

    // After a targets key rotation, the targets must be re-signed before anything is published.
    const rotated = rotateRoot(root, revokeKey(rootSpecOf(root), keys.targets.keyId, TufSigningKey.generate().publicKey), keys.root);
    expect(codeOf(publish({ rootHistory: [rotated] }))).toBe('ERR_FW_REPO_THRESHOLD');
  });

  it('[CTL-12] writes a repository to a directory and reads it back; refuses paths outside the layout', { tags: ['CTL-12'] }, async () => {
    const { files } = newRepository();
    const dir = await mkdtemp(join(tmpdir(), 'medsim-repo-'));
    await writeRepository(dir, files);
    const back = await readRepository(dir);
    expect([...back.keys()].sort()).toEqual([...files.keys()].sort());
    for (const [path, bytes] of files) expect(Buffer.from(back.get(path)!).equals(Buffer.from(bytes))).toBe(true);
    for (const path of ['../etc/passwd', 'metadata/../../x', '/metadata/x', 'other/x', 'metadata//x', 'metadata/.hidden']) {
      await expect(writeRepository(dir, new Map([[path, new Uint8Array(1)]]))).rejects.toMatchObject({ code: 'ERR_FW_REPO_INVALID' });
    }
  });
});
