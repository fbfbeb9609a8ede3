/**
 * The device's update client against the attacks of TUF's threat model, mirroring tuf-conformance
 * (test_keys.py, test_rollback.py, test_expiration.py, test_updater_key_rotations.py) and
 * python-tuf's ngclient tests. Each attack asserts the refusal code AND that the device's trusted
 * metadata did not change: versions read back, and every file byte for byte.
 */
import { MetadataKind, Signature } from '@tufjs/models';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OnlineSigner, TIMESTAMP_PATH, TufSigningKey, UpdateClient, installTrustedRoot, metadataPath, revokeKey, rootSpecOf, rotateRoot, signTargets, type Fetcher, type RepositoryFiles } from '../../src/index.js';
import { codeOf, editJson, errorOf, forge, latest, metaOf, newDevice, newRepository, release, specOf, toVersion, trustedState, withFiles } from './fixture.js';

const DAY_MS = 86_400_000;

/** A repository and a device that has refreshed from it once. */
async function refreshedDevice(wrap?: (inner: Fetcher) => Fetcher) {
  const repo = newRepository();
  const device = await newDevice(repo.root, repo.files, {}, wrap);
  await device.client.refresh();
  return { ...repo, ...device };
}

type Device = Awaited<ReturnType<typeof refreshedDevice>>;

/** Serves `files`, refreshes, and checks the refusal and that nothing the device trusts changed. */
async function expectRefused(device: Device, files: RepositoryFiles, code: string, client = device.client): Promise<Record<string, unknown>> {
  const versions = await device.client.trustedVersions();
  const state = await trustedState(device.metadataDir);
  device.fetcher.files = files;
  const error = await errorOf(client.refresh());
  expect(error.code).toBe(code);
  expect(await device.client.trustedVersions()).toEqual(versions);
  expect(await trustedState(device.metadataDir)).toEqual(state);
  return error.details ?? {};
}

/** A snapshot (version `version`) naming `targets`, and a timestamp naming it: what a holder of the online keys can publish. */
function onlineForgery(d: Device, o: { targets: Uint8Array; targetsVersion: number; version: number; hashes?: boolean }): Record<string, Uint8Array> {
  const snapshot = forge(latest(d.files, 'snapshot'), MetadataKind.Snapshot, (s) => {
    s.version = o.version;
    s.meta['targets.json'] = metaOf(o.targets, o.targetsVersion, o.hashes);
  }, [d.keys.snapshot]);
  const timestamp = forge(d.files.get(TIMESTAMP_PATH)!, MetadataKind.Timestamp, (t) => {
    t.version = o.version;
    t.meta['snapshot.json'] = metaOf(snapshot, o.version, o.hashes);
  }, [d.keys.timestamp]);
  return { [metadataPath('snapshot', o.version)]: snapshot, [TIMESTAMP_PATH]: timestamp };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('refresh and targets', () => {
  it('[CTL-12] refreshes, finds the newest target for its model with its custom fields, and follows new releases', { tags: ['CTL-12'] }, async () => {
    const d = await refreshedDevice();
    expect(await d.client.trustedVersions()).toEqual({ root: 1, timestamp: 1, snapshot: 1, targets: 1 });
    expect(await d.client.targetFor('ultrasound')).toMatchObject({ path: 'ultrasound/ultrasound-1.0.0.bin', model: 'ultrasound', version: '1.0.0', securityCounter: 1 });
    expect(await d.client.targetFor('ventilator')).toBeUndefined();

    const next = signTargets({ root: d.root, previous: { targets: latest(d.files, 'targets') }, add: [release('ultrasound', '1.10.0', 2), release('ultrasound', '1.9.0', 2)], signers: [d.keys.targets] });
    d.fetcher.files = d.online.publish(d.files, next);
    expect(await d.client.refresh()).toEqual({ root: 1, timestamp: 2, snapshot: 2, targets: 2 });
    const newest = await d.client.targetFor('ultrasound');
    expect(newest).toMatchObject({ version: '1.10.0', securityCounter: 2 });
    expect(newest?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('[CTL-12] answers nothing before a successful refresh, nor after a refused one', { tags: ['CTL-12'] }, async () => {
    const repo = newRepository();
    const { client, fetcher } = await newDevice(repo.root, repo.files);
    expect(await codeOf(client.targetFor('ultrasound'))).toBe('ERR_FW_UPDATE_NOT_REFRESHED');
    await client.refresh();
    fetcher.files = withFiles(repo.files, { [TIMESTAMP_PATH]: editJson(repo.files.get(TIMESTAMP_PATH)!, (j) => {
        j.signatures = [];
      }) });
    expect(await codeOf(client.refresh())).toBe('ERR_FW_META_UNSIGNED');
    expect(await codeOf(client.targetFor('ultrasound'))).toBe('ERR_FW_UPDATE_NOT_REFRESHED');
  });

  it('[CTL-12] needs a provisioned root, and provisioning never replaces one', { tags: ['CTL-12'] }, async () => {
    const repo = newRepository();
    const d = await newDevice(repo.root, repo.files);
    expect(await installTrustedRoot(d.metadataDir, newRepository().root)).toBe(false);
    await d.client.refresh();
    const empty = await newDevice(repo.root, repo.files);
    const { rm } = await import('node:fs/promises');
    await rm(`${empty.metadataDir}/root.json`);
    expect(await codeOf(new UpdateClient({ metadataDir: empty.metadataDir, fetcher: empty.fetcher }).refresh())).toBe('ERR_FW_META_STORE');
  });
});

describe('arbitrary installation and key compromise', () => {
  it('[CTL-12][U1] refuses unsigned metadata', { tags: ['CTL-12', 'U1'] }, async () => {
    const d = await refreshedDevice();
    const unsigned = forge(d.files.get(TIMESTAMP_PATH)!, MetadataKind.Timestamp, toVersion(2), []);
    const details = await expectRefused(d, withFiles(d.files, { [TIMESTAMP_PATH]: unsigned }), 'ERR_FW_META_UNSIGNED');
    expect(details).toMatchObject({ role: 'timestamp', signatures: 0, threshold: 1 });
  });

  it('[CTL-12][U1][U10] refuses metadata signed by a key the root does not list', { tags: ['CTL-12', 'U1', 'U10'] }, async () => {
    const d = await refreshedDevice();
    const wrongKey = forge(d.files.get(TIMESTAMP_PATH)!, MetadataKind.Timestamp, toVersion(2), [TufSigningKey.generate()]);
    await expectRefused(d, withFiles(d.files, { [TIMESTAMP_PATH]: wrongKey }), 'ERR_FW_META_UNSIGNED');
  });

  it('[CTL-12][U1] refuses metadata edited after signing', { tags: ['CTL-12', 'U1'] }, async () => {
    const d = await refreshedDevice();
    const edited = editJson(d.files.get(TIMESTAMP_PATH)!, (j) => {
      j.signed.version = 7;
    });
    await expectRefused(d, withFiles(d.files, { [TIMESTAMP_PATH]: edited }), 'ERR_FW_META_UNSIGNED');
  });

  it('[CTL-12][U10] refuses a root signed by 1 of the 2 root keys its threshold needs', { tags: ['CTL-12', 'U10'] }, async () => {
    const d = await refreshedDevice();
    const root2 = forge(d.root, MetadataKind.Root, toVersion(2), [d.keys.root[0]!]);
    const details = await expectRefused(d, withFiles(d.files, { [metadataPath('root', 2)]: root2 }), 'ERR_FW_META_UNSIGNED');
    expect(details).toMatchObject({ role: 'root', signatures: 1, threshold: 2 });
  });

  it('[CTL-12][U10] refuses a new root not signed by the threshold of its own new keys (spec 5.3.4)', { tags: ['CTL-12', 'U10'] }, async () => {
    const d = await refreshedDevice();
    const fresh = [TufSigningKey.generate(), TufSigningKey.generate()];
    const spec = { ...specOf(d.keys), root: { keys: fresh.map((k) => k.publicKey), threshold: 2 } };
    const root2 = forge(rotateRoot(d.root, spec, [...d.keys.root, ...fresh]), MetadataKind.Root, () => undefined, d.keys.root.slice(0, 2));
    await expectRefused(d, withFiles(d.files, { [metadataPath('root', 2)]: root2 }), 'ERR_FW_META_UNSIGNED');
  });

  it('[CTL-12][U10] refuses duplicate signature entries of one key (tuf-conformance test_duplicate_sig_keyids)', { tags: ['CTL-12', 'U10'] }, async () => {
    const d = await refreshedDevice();
    const published = d.online.publish(d.files);
    const duplicated = editJson(published.get(metadataPath('snapshot', 2))!, (j) => {
      j.signatures = [...j.signatures, j.signatures[0]!];
    });
    const timestamp = forge(published.get(TIMESTAMP_PATH)!, MetadataKind.Timestamp, (t) => {
      t.meta['snapshot.json'] = metaOf(duplicated, 2);
    }, [d.keys.timestamp]);
    const details = await expectRefused(d, withFiles(published, { [metadataPath('snapshot', 2)]: duplicated, [TIMESTAMP_PATH]: timestamp }), 'ERR_FW_META_UNSIGNED');
    expect(details).toMatchObject({ role: 'snapshot' });
  });

  it('[CTL-12][U10] refuses a root listing one key under two ids, which would count it twice (test_duplicate_keys)', { tags: ['CTL-12', 'U10'] }, async () => {
    const d = await refreshedDevice();
    const twinId = 'f'.repeat(64);
    const root2 = forge(d.root, MetadataKind.Root, (r) => {
      r.version = 2;
      r.keys[twinId] = r.keys[d.keys.snapshot.keyId];
      r.roles.snapshot = { keyids: [d.keys.snapshot.keyId, twinId], threshold: 2 };
    }, d.keys.root.slice(0, 2));
    const twin = { keyId: twinId, signer: (data: Buffer) => new Signature({ keyID: twinId, sig: d.keys.snapshot.signer(data).sig }) };
    const snapshot = forge(latest(d.files, 'snapshot'), MetadataKind.Snapshot, toVersion(2), [d.keys.snapshot, twin]);
    const timestamp = forge(d.files.get(TIMESTAMP_PATH)!, MetadataKind.Timestamp, (t) => {
      t.version = 2;
      t.meta['snapshot.json'] = metaOf(snapshot, 2);
    }, [d.keys.timestamp]);
    const files = withFiles(d.files, { [metadataPath('root', 2)]: root2, [metadataPath('snapshot', 2)]: snapshot, [TIMESTAMP_PATH]: timestamp });
    const details = await expectRefused(d, files, 'ERR_FW_META_MALFORMED');
    expect(details).toMatchObject({ role: 'root' });
  });

  it('[CTL-12][U10] after a revocation, metadata signed by the revoked key is refused', { tags: ['CTL-12', 'U10', 'U1'] }, async () => {
    const d = await refreshedDevice();
    const newTargetsKey = TufSigningKey.generate();
    const root2 = rotateRoot(d.root, revokeKey(rootSpecOf(d.root), d.keys.targets.keyId, newTargetsKey.publicKey), d.keys.root.slice(1));
    const resigned = signTargets({ root: root2, previous: { targets: latest(d.files, 'targets'), root: d.root }, signers: [newTargetsKey] });
    const revoked = d.online.publish(d.files, { rootHistory: [root2], targetsJson: resigned.targetsJson });
    d.fetcher.files = revoked;
    expect(await d.client.refresh()).toEqual({ root: 2, timestamp: 2, snapshot: 2, targets: 2 });

    // The holder of the revoked key (and the online keys) ships an image of its own.
    const evil = forge(latest(revoked, 'targets'), MetadataKind.Targets, toVersion(3), [d.keys.targets]);
    const details = await expectRefused(d, withFiles(revoked, { [metadataPath('targets', 3)]: evil, ...onlineForgery({ ...d, files: revoked }, { targets: evil, targetsVersion: 3, version: 3 }) }), 'ERR_FW_META_UNSIGNED');
    expect(details).toMatchObject({ role: 'targets' });
  });
});

describe('rollback', () => {
  it('[CTL-12][U3] refuses an older timestamp replayed (test_new_timestamp_version_rollback)', { tags: ['CTL-12', 'U3'] }, async () => {
    const d = await refreshedDevice();
    const v2 = d.online.publish(d.files);
    d.fetcher.files = v2;
    await d.client.refresh();
    const details = await expectRefused(d, withFiles(v2, { [TIMESTAMP_PATH]: d.files.get(TIMESTAMP_PATH)! }), 'ERR_FW_META_ROLLBACK');
    expect(details).toMatchObject({ role: 'timestamp', version: 1, expected: 2 });
  });

  it('[CTL-12][U3] refuses a timestamp naming an older snapshot (test_snapshot_rollback)', { tags: ['CTL-12', 'U3'] }, async () => {
    const d = await refreshedDevice();
    const v2 = d.online.publish(d.files);
    d.fetcher.files = v2;
    await d.client.refresh();
    const timestamp = forge(v2.get(TIMESTAMP_PATH)!, MetadataKind.Timestamp, (t) => {
      t.version = 3;
      t.meta['snapshot.json'] = metaOf(latest(d.files, 'snapshot'), 1);
    }, [d.keys.timestamp]);
    const details = await expectRefused(d, withFiles(v2, { [TIMESTAMP_PATH]: timestamp }), 'ERR_FW_META_ROLLBACK');
    expect(details).toMatchObject({ role: 'snapshot', version: 1, expected: 2 });
  });

  it('[CTL-12][U3] refuses a snapshot naming older targets, and keeps the timestamp it came with out (test_targets_rollback)', { tags: ['CTL-12', 'U3'] }, async () => {
    const d = await refreshedDevice();
    const next = signTargets({ root: d.root, previous: { targets: latest(d.files, 'targets') }, add: [release('ultrasound', '1.1.0', 1)], signers: [d.keys.targets] });
    const v2 = d.online.publish(d.files, next);
    d.fetcher.files = v2;
    await d.client.refresh();
    const targets1 = d.files.get(metadataPath('targets', 1))!;
    const details = await expectRefused(d, withFiles(v2, onlineForgery({ ...d, files: v2 }, { targets: targets1, targetsVersion: 1, version: 3 })), 'ERR_FW_META_ROLLBACK');
    expect(details).toMatchObject({ role: 'targets', version: 1, expected: 2 });
  });

  it('[CTL-12][U3] refuses older targets served where the snapshot names a newer version', { tags: ['CTL-12', 'U3'] }, async () => {
    const d = await refreshedDevice();
    const targets1 = d.files.get(metadataPath('targets', 1))!;
    const forged = onlineForgery(d, { targets: targets1, targetsVersion: 2, version: 2, hashes: false });
    const details = await expectRefused(d, withFiles(d.files, { ...forged, [metadataPath('targets', 2)]: targets1 }), 'ERR_FW_META_ROLLBACK');
    expect(details).toMatchObject({ role: 'targets', version: 1, expected: 2 });
  });
});

describe('freeze', () => {
  it('[CTL-12][U5] refuses an expired timestamp still served, with and without trusted metadata (test_timestamp_expired)', { tags: ['CTL-12', 'U5'] }, async () => {
    const d = await refreshedDevice();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 2 * DAY_MS);
    const details = await expectRefused(d, d.files, 'ERR_FW_META_EXPIRED');
    expect(details).toMatchObject({ role: 'timestamp' });
    const fresh = await newDevice(d.root, d.files);
    expect(await codeOf(fresh.client.refresh())).toBe('ERR_FW_META_EXPIRED');
    expect(await fresh.client.trustedVersions()).toEqual({ root: 1, timestamp: undefined, snapshot: undefined, targets: undefined });
  });

  it('[CTL-12][U5] refuses expired targets under a fresh timestamp', { tags: ['CTL-12', 'U5'] }, async () => {
    const d = await refreshedDevice();
    const shortLived = signTargets({ root: d.root, previous: { targets: latest(d.files, 'targets') }, signers: [d.keys.targets] }, { expiresInDays: 0.5 });
    const files = d.online.publish(d.files, shortLived);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 0.75 * DAY_MS);
    const details = await expectRefused(d, files, 'ERR_FW_META_EXPIRED');
    expect(details).toMatchObject({ role: 'targets' });
  });
});

describe('mix-and-match', () => {
  it('[CTL-12][U8] refuses a snapshot other than the one the timestamp hashes (test_snapshot_hash_mismatch)', { tags: ['CTL-12', 'U8'] }, async () => {
    const d = await refreshedDevice();
    const v2 = d.online.publish(d.files);
    const other = forge(v2.get(metadataPath('snapshot', 2))!, MetadataKind.Snapshot, (s) => {
      s.expires = '2099-01-01T00:00:00Z';
    }, [d.keys.snapshot]);
    const details = await expectRefused(d, withFiles(v2, { [metadataPath('snapshot', 2)]: other }), 'ERR_FW_META_HASH_MISMATCH');
    expect(details).toMatchObject({ role: 'snapshot' });
  });

  it('[CTL-12][U8] refuses targets other than the ones the snapshot hashes (test_targets_hash_mismatch)', { tags: ['CTL-12', 'U8'] }, async () => {
    const d = await refreshedDevice();
    const next = signTargets({ root: d.root, previous: { targets: latest(d.files, 'targets') }, signers: [d.keys.targets] });
    const v2 = d.online.publish(d.files, next);
    const other = forge(next.targetsJson, MetadataKind.Targets, (t) => {
      t.expires = '2099-01-01T00:00:00Z';
    }, [d.keys.targets]);
    const details = await expectRefused(d, withFiles(v2, { [metadataPath('targets', 2)]: other }), 'ERR_FW_META_HASH_MISMATCH');
    expect(details).toMatchObject({ role: 'targets' });
  });

  it('[CTL-12][U8] refuses a snapshot that is not the version the timestamp names (test_new_snapshot_version_mismatch)', { tags: ['CTL-12', 'U8'] }, async () => {
    const d = await refreshedDevice();
    const v2 = d.online.publish(d.files);
    const timestamp = forge(v2.get(TIMESTAMP_PATH)!, MetadataKind.Timestamp, (t) => {
      t.version = 3;
      t.meta['snapshot.json'] = { version: 3 };
    }, [d.keys.timestamp]);
    const files = withFiles(v2, { [TIMESTAMP_PATH]: timestamp, [metadataPath('snapshot', 3)]: v2.get(metadataPath('snapshot', 2))! });
    await expectRefused(d, files, 'ERR_FW_META_VERSION_MISMATCH');
  });

  it('[CTL-12][U8] refuses newer targets served where the snapshot names another version', { tags: ['CTL-12', 'U8'] }, async () => {
    const d = await refreshedDevice();
    const v2 = signTargets({ root: d.root, previous: { targets: latest(d.files, 'targets') }, signers: [d.keys.targets] });
    const v3 = signTargets({ root: d.root, previous: { targets: v2.targetsJson }, signers: [d.keys.targets] });
    const forged = onlineForgery(d, { targets: v3.targetsJson, targetsVersion: 2, version: 2, hashes: false });
    const details = await expectRefused(d, withFiles(d.files, { ...forged, [metadataPath('targets', 2)]: v3.targetsJson }), 'ERR_FW_META_VERSION_MISMATCH');
    expect(details).toMatchObject({ role: 'targets', version: 3, expected: 2 });
  });
});

describe('endless data and slow retrieval of metadata', () => {
  it('[CTL-12][CTL-16][U6] refuses a timestamp above its 16,384-byte cap (python-tuf test_max_metadata_lengths)', { tags: ['CTL-12', 'CTL-16', 'U6'] }, async () => {
    const d = await refreshedDevice();
    const padded = forge(d.files.get(TIMESTAMP_PATH)!, MetadataKind.Timestamp, (t) => {
      t.version = 2;
      t.padding = 'x'.repeat(16_384);
    }, [d.keys.timestamp]);
    const details = await expectRefused(d, withFiles(d.files, { [TIMESTAMP_PATH]: padded }), 'ERR_FW_META_TOO_LARGE');
    expect(details).toMatchObject({ path: 'metadata/timestamp.json', limit: 16_384 });
  });

  it('[CTL-12][CTL-16][U6] refuses a snapshot longer than the timestamp declares', { tags: ['CTL-12', 'CTL-16', 'U6'] }, async () => {
    const d = await refreshedDevice();
    const v2 = d.online.publish(d.files);
    const snapshot = v2.get(metadataPath('snapshot', 2))!;
    const longer = new Uint8Array(Buffer.concat([snapshot, Buffer.from('   ')]));
    const details = await expectRefused(d, withFiles(v2, { [metadataPath('snapshot', 2)]: longer }), 'ERR_FW_META_TOO_LARGE');
    expect(details).toMatchObject({ limit: snapshot.length });
  });

  it('[CTL-12][CTL-16][U6] stops reading an endless timestamp at its cap', { tags: ['CTL-12', 'CTL-16', 'U6'] }, async () => {
    let sent = 0;
    let endless = false;
    const d = await refreshedDevice((inner) => ({
      async *fetch(path, options) {
        if (!endless || path !== TIMESTAMP_PATH) {
          yield* inner.fetch(path, options);
          return;
        }
        while (!options.signal.aborted) {
          sent += 4096;
          yield new Uint8Array(4096).fill(0x20);
        }
      },
    }));
    endless = true;
    await expectRefused(d, d.files, 'ERR_FW_META_TOO_LARGE');
    expect(sent).toBeLessThanOrEqual(16_384 + 4096);
  });

  it('[CTL-12][CTL-16][U7] ends a refresh trickled 1 byte at a time at its total deadline', { tags: ['CTL-12', 'CTL-16', 'U7'] }, async () => {
    const d = await refreshedDevice();
    const trickle: Fetcher = {
      async *fetch(path, options) {
        for await (const chunk of d.fetcher.fetch(path, options)) {
          for (const byte of chunk) {
            await new Promise((resolve) => setTimeout(resolve, 10));
            yield new Uint8Array([byte]);
          }
        }
      },
    };
    const slow = new UpdateClient({ metadataDir: d.metadataDir, fetcher: trickle, limits: { refreshTimeoutMs: 300, chunkTimeoutMs: 5_000 } });
    const details = await expectRefused(d, d.online.publish(d.files), 'ERR_FW_DOWNLOAD_TIMEOUT', slow);
    expect(details).toMatchObject({ limit: 'total' });
  });
});

describe('key rotation', () => {
  it('[CTL-12][U4] recovers from a fast-forwarded timestamp by rotating the timestamp key (test_new_timestamp_fast_forward_recovery)', { tags: ['CTL-12', 'U4'] }, async () => {
    const d = await refreshedDevice();
    // The stolen timestamp key signs version 2^31 - 1; the device has no way to know yet.
    const fastForward = forge(d.files.get(TIMESTAMP_PATH)!, MetadataKind.Timestamp, toVersion(2 ** 31 - 1), [d.keys.timestamp]);
    d.fetcher.files = withFiles(d.files, { [TIMESTAMP_PATH]: fastForward });
    expect(await d.client.refresh()).toMatchObject({ timestamp: 2 ** 31 - 1 });
    await expectRefused(d, d.online.publish(d.files), 'ERR_FW_META_ROLLBACK');

    // The release team rotates the timestamp key; the real repository continues at version 2.
    const timestampKey = TufSigningKey.generate();
    const root2 = rotateRoot(d.root, { ...rootSpecOf(d.root), timestamp: { keys: [timestampKey.publicKey], threshold: 1 } }, d.keys.root.slice(0, 2));
    const online = new OnlineSigner({ snapshotKeys: [d.keys.snapshot], timestampKeys: [timestampKey] });
    d.fetcher.files = online.publish(d.files, { rootHistory: [root2] });
    expect(await d.client.refresh()).toEqual({ root: 2, timestamp: 2, snapshot: 2, targets: 1 });
  });

  it('[CTL-12][U10] follows root rotations through several versions, as a device offline meanwhile would', { tags: ['CTL-12', 'U10'] }, async () => {
    const d = await refreshedDevice();
    const k = d.keys.root;
    const k4 = TufSigningKey.generate();
    const k5 = TufSigningKey.generate();
    const spec1 = rootSpecOf(d.root);
    const root2 = rotateRoot(d.root, revokeKey(spec1, k[2]!.keyId, k4.publicKey), [k[0]!, k[1]!, k4]);
    const spec2 = rootSpecOf(root2);
    const root3 = rotateRoot(root2, { ...spec2, root: { keys: spec2.root.keys, threshold: 3 } }, [k[0]!, k[1]!, k4]);
    const root4 = rotateRoot(root3, revokeKey(rootSpecOf(root3), k[0]!.keyId, k5.publicKey), [k[0]!, k[1]!, k4, k5]);
    const files = d.online.publish(d.files, { rootHistory: [root2, root3, root4] });

    const offline = await newDevice(d.root, files);
    expect(await offline.client.refresh()).toEqual({ root: 4, timestamp: 2, snapshot: 2, targets: 1 });
    d.fetcher.files = files;
    expect(await d.client.refresh()).toEqual({ root: 4, timestamp: 2, snapshot: 2, targets: 1 });

    // Root 5 signed by two keys no longer meets root 4's threshold of 3.
    const root5 = forge(root4, MetadataKind.Root, toVersion(5), [k[1]!, k4]);
    await expectRefused(d, withFiles(files, { [metadataPath('root', 5)]: root5 }), 'ERR_FW_META_UNSIGNED');
  });
});
