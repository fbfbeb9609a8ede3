/**
 * The firmware-update attack suite (issue 5, "Proof"): every attack of attacks-and-faults.md
 * section 1 (U1-U16, with Uptane's, MCUboot's and SUIT's additions) played against one device
 * through its real update agent: director instruction, TUF refresh, agreement and rollback checks,
 * download into the inactive slot, install, trial boot. The repository is built with the release
 * tools and the attacker forges with real keys (agent-fixture.ts); nothing below the agent is mocked.
 *
 * Each case asserts, as tuf-conformance does after every attack, both halves of "stopped":
 * 1. the update failed with its exact stable code (`check()` refuses, or for an attack that only
 *    shows at boot, the boot refuses the slot and the device reverts);
 * 2. after a reboot the device runs the same version with the same OTP security counter, and no
 *    slot holds anything new that could boot;
 * and that it left an audit trail: one `refused` agent event (the device's security log) with the
 * code and the stage that stopped it, plus a `failed` report to the director once the instruction
 * verified (an unverified instruction is not trusted enough to report on). Some cases then prove
 * the legitimate way forward still works (fast-forward recovery after a key rotation).
 * docs/firmware/attacks.md tables the cases; the last test keeps the two in step.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Identity, signJws } from '@medsim/crypto';
import {
  DIRECTOR_TYP,
  ImageSigningKey,
  OnlineSigner,
  TIMESTAMP_PATH,
  TufSigningKey,
  buildImage,
  encodeHeader,
  firmwareTargetPath,
  metadataPath,
  parseImage,
  sha256Hex,
  signTargets,
  storedTargetPath,
  tlvArea,
  type DirectorInstruction,
  type FetchOptions,
  type Fetcher,
  type FirmwareRelease,
  type UpdateLimits,
} from '@medsim/firmware';
import {
  BUILD_TIME,
  MODEL,
  type TestDevice,
  editMetadata,
  entryOf,
  factoryWorld,
  forgeMetadata,
  forgeTargets,
  imageKey,
  intercept,
  latestMetadata,
  metaOf,
  metadataJson,
  release,
  revoke,
  serveWithOnlineKeys,
  signCompact,
  type HostileEntry,
  type World,
} from './agent-fixture.js';

const DAY_MS = 86_400_000;
const FACTORY = { version: '1.0.0', securityCounter: 1 };
const UPDATED = { version: '1.1.0', securityCounter: 2 };


type AttackId = `U${number}`;

/** What the release team does after an attack; it must work. */
type Recovery = () => Promise<void>;

/** One attack and where it must be stopped. */
interface Attack {
  /** attacks-and-faults.md section 1.1 ids; the test is named after them. */
  readonly ids: readonly AttackId[];
  /** What the attacker does (the rest of the test name). */
  readonly does: string;
  /** Where it is stopped: an agent stage, or the bootloader at the trial boot. */
  readonly stage: 'instruction' | 'metadata' | 'download' | 'install' | 'boot';
  /** The stable code it is refused with. */
  readonly code: string;
  /** For an image the bootloader refuses (ERR_BOOT_VERIFY_FAILED): the image error behind it (`details.cause`). */
  readonly cause?: string;
  /** The device's fetcher in the attacker's hands, or its limits. */
  readonly device?: { readonly wrap?: (inner: Fetcher) => Fetcher; readonly limits?: Partial<UpdateLimits> };
  /** What the device runs when the attack starts (default the factory image; some cases update first). */
  readonly before?: { readonly version: string; readonly securityCounter: number };
  /** Sets the attack up; may return what the release team does next, which must then work. */
  readonly arrange: (w: World) => void | Recovery | Promise<void | Recovery>;
  /** Boot-time attacks: what the attacker does to flash between the install and the trial boot. */
  readonly tamper?: (w: World) => void;
}

/** CTL-12 (CTL-13 when the boot stops it; CTL-16 too for the limits of U6 and U7), then the attack ids. */
const tagsOf = (a: Attack): string[] => [a.stage === 'boot' ? 'CTL-13' : 'CTL-12', ...(a.ids.some((id) => id === 'U6' || id === 'U7') ? ['CTL-16'] : []), ...a.ids];
const nameOf = (a: Attack): string => `${tagsOf(a)
  .map((tag) => `[${tag}]`)
  .join('')} ${a.does}`;

// --- the attacker's and the release team's moves -------------------------------------------------

/** Publishes `r` through the release tools. */
function published(w: World, r: FirmwareRelease): FirmwareRelease {
  w.repository.publish(r);
  return r;
}

/** The director names `r` in its next instructions (`edit` applied to each). */
function named(w: World, r: FirmwareRelease, edit?: (i: DirectorInstruction) => DirectorInstruction): void {
  w.director.offer(w.device.deviceId, r, edit);
}

/** The device takes what the director names now, boots it and confirms it. */
async function installs(w: World, r: FirmwareRelease): Promise<void> {
  expect(await w.device.agent.check()).toEqual({ kind: 'installed', version: r.version });
  await w.device.reboot();
  expect(w.device.installed).toEqual({ version: r.version, securityCounter: r.securityCounter });
}

/** An honest update to 1.1.0 (counter 2): the device then trusts timestamp, snapshot and targets version 2. */
async function updateHonestly(w: World): Promise<void> {
  const r = published(w, release('1.1.0', 2));
  named(w, r);
  await installs(w, r);
}

/** The holder of the targets key lists `entries` (bytes the release tools would refuse), and the gateway publishes. */
function listedByTargetsKey(w: World, ...entries: HostileEntry[]): void {
  w.repository.files = w.repository.online.publish(w.repository.files, forgeTargets(w.repository, entries, [w.repository.keys.targets]));
}

/** Serves `changes` over the repository as published. */
function served(w: World, changes: Record<string, Uint8Array>): void {
  w.repository.files = new Map([...w.repository.files, ...Object.entries(changes)]);
}

/** `r` with other image bytes (the entry, and what the director names, follow the bytes). */
const withImage = (r: FirmwareRelease, image: Uint8Array): FirmwareRelease => ({ ...r, image });

/** `bytes` with the bit 0 of byte `at` flipped. */
function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const out = new Uint8Array(bytes);
  out[at] = (out[at] ?? 0) ^ 0x01;
  return out;
}

/** `image` rebuilt and validly signed by the image key with other header flags or extra TLVs. */
function resigned(image: Uint8Array, o: { flags?: number; tlvs?: { type: number; value: Uint8Array }[] }): Uint8Array {
  const { header, payload } = parseImage(image);
  const signedPart = Buffer.concat([encodeHeader({ ...header, flags: o.flags ?? header.flags }), payload]);
  return new Uint8Array(Buffer.concat([signedPart, tlvArea(signedPart, imageKey, o.tlvs)]));
}

/** Writes `bytes` at `offset` of the device's slot B file, behind the bootloader's back. */
function writeSlotB(w: World, offset: number, bytes: Uint8Array): void {
  const fd = openSync(join(w.device.dir, 'boot', 'slot-b.bin'), 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

const b64json = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const isImage = (path: string): boolean => path.startsWith('targets/');

/** A fetcher that serves `path`s for which `hostile` holds through `serve`, the rest through `inner`. */
function hostileFetcher(hostile: (path: string) => boolean, serve: (inner: Fetcher, path: string, options: FetchOptions) => AsyncIterable<Uint8Array>) {
  return (inner: Fetcher): Fetcher => ({ fetch: (path, options) => (hostile(path) ? serve(inner, path, options) : inner.fetch(path, options)) });
}

/** Every byte of the real file, one at a time, 5 ms apart: inside any per-read timeout, forever in total. */
async function* trickle(inner: Fetcher, path: string, options: FetchOptions): AsyncIterable<Uint8Array> {
  for await (const chunk of inner.fetch(path, options)) {
    for (const byte of chunk) {
      await sleep(5);
      yield Uint8Array.of(byte);
    }
  }
}

// --- the attacks ---------------------------------------------------------------------------------

const ATTACKS: readonly Attack[] = [
  // U1 arbitrary installation: nothing runs that the image key did not sign, and nothing downloads
  // that the targets key did not list.
  {
    ids: ['U1'],
    does: 'an image with its signature TLVs stripped, listed by the targets key',
    stage: 'install',
    code: 'ERR_BOOT_VERIFY_FAILED',
    cause: 'ERR_FW_IMAGE_MALFORMED',
    arrange: (w) => {
      const r = release('1.1.0', 2);
      named(w, published(w, withImage(r, parseImage(r.image).signedPart)));
    },
  },
  {
    ids: ['U1'],
    does: 'an image signed by a key outside the bootloader keyring, listed by the targets key',
    stage: 'install',
    code: 'ERR_BOOT_VERIFY_FAILED',
    cause: 'ERR_FW_IMAGE_UNTRUSTED_KEY',
    arrange: (w) => named(w, published(w, release('1.1.0', 2, { key: ImageSigningKey.generate() }))),
  },
  {
    ids: ['U1'],
    does: 'image bytes altered after the image was signed, then listed by the targets key',
    stage: 'install',
    code: 'ERR_BOOT_VERIFY_FAILED',
    cause: 'ERR_FW_IMAGE_HASH_MISMATCH',
    arrange: (w) => {
      const r = release('1.1.0', 2);
      named(w, published(w, withImage(r, flipped(r.image, 128 + 4000))));
    },
  },
  {
    ids: ['U1'],
    does: 'a flipped bit in the image signature, listed by the targets key',
    stage: 'install',
    code: 'ERR_BOOT_VERIFY_FAILED',
    cause: 'ERR_FW_IMAGE_BAD_SIGNATURE',
    arrange: (w) => {
      const r = release('1.1.0', 2);
      named(w, published(w, withImage(r, flipped(r.image, r.image.length - 1))));
    },
  },
  {
    ids: ['U1'],
    does: 'image bytes replaced on the server after the targets key listed them',
    stage: 'download',
    code: 'ERR_FW_DOWNLOAD_HASH_MISMATCH',
    arrange: (w) => {
      const r = published(w, release('1.1.0', 2));
      served(w, { [storedTargetPath(firmwareTargetPath(MODEL, '1.1.0'), sha256Hex(r.image))]: flipped(r.image, 128 + 4000) });
      named(w, r);
    },
  },
  {
    ids: ['U1'],
    does: 'the timestamp edited after signing (expiry pushed to 2099)',
    stage: 'metadata',
    code: 'ERR_FW_META_UNSIGNED',
    arrange: (w) => {
      const r = published(w, release('1.1.0', 2));
      served(w, { [TIMESTAMP_PATH]: editMetadata(latestMetadata(w.repository, 'timestamp'), (md) => void (md.signed.expires = '2099-01-01T00:00:00Z')) });
      named(w, r);
    },
  },
  {
    ids: ['U1', 'U8'],
    does: 'the snapshot edited after signing, so the timestamp no longer hashes it',
    stage: 'metadata',
    code: 'ERR_FW_META_HASH_MISMATCH',
    arrange: (w) => {
      const r = published(w, release('1.1.0', 2));
      served(w, { [metadataPath('snapshot', 2)]: editMetadata(latestMetadata(w.repository, 'snapshot'), (md) => void (md.signed.expires = '2099-01-01T00:00:00Z')) });
      named(w, r);
    },
  },
  {
    ids: ['U1'],
    does: 'targets edited after signing to list an image, under a snapshot and timestamp signed with the gateway\'s online keys',
    stage: 'metadata',
    code: 'ERR_FW_META_UNSIGNED',
    arrange: (w) => {
      const evil = release('1.1.0', 2);
      const { signatures } = metadataJson(latestMetadata(w.repository, 'targets'));
      const { targetsJson, targetFiles } = forgeTargets(w.repository, [entryOf(evil)], []);
      serveWithOnlineKeys(w.repository, editMetadata(targetsJson, (md) => void (md.signatures = signatures)), targetFiles);
      named(w, evil);
    },
  },
  {
    ids: ['U1', 'U10'],
    does: 'a timestamp signed by a key the root does not list',
    stage: 'metadata',
    code: 'ERR_FW_META_UNSIGNED',
    arrange: (w) => {
      const r = published(w, release('1.1.0', 2));
      served(w, { [TIMESTAMP_PATH]: forgeMetadata(latestMetadata(w.repository, 'timestamp'), (t) => void (t.version += 1), [TufSigningKey.generate()]) });
      named(w, r);
    },
  },
  {
    ids: ['U1', 'U10'],
    does: 'targets signed by an unknown key listing an image, under the gateway\'s online keys',
    stage: 'metadata',
    code: 'ERR_FW_META_UNSIGNED',
    arrange: (w) => {
      const evil = release('1.1.0', 2);
      const { targetsJson, targetFiles } = forgeTargets(w.repository, [entryOf(evil)], [TufSigningKey.generate()]);
      serveWithOnlineKeys(w.repository, targetsJson, targetFiles);
      named(w, evil);
    },
  },
  {
    ids: ['U1'],
    does: 'the director alone names an image the repository does not list',
    stage: 'metadata',
    code: 'ERR_FW_UPDATE_UNKNOWN_TARGET',
    arrange: (w) => named(w, release('1.1.0', 2)),
  },
  {
    ids: ['U1'],
    does: 'an instruction with alg none and no signature',
    stage: 'instruction',
    code: 'ERR_FW_DIRECTOR_INVALID',
    arrange: (w) => {
      named(w, published(w, release('1.1.0', 2)));
      intercept(w.director, (_jws, i) => `${b64json({ alg: 'none', typ: DIRECTOR_TYP, kid: w.director.identity.public.signing.kid })}.${b64json(i)}.`);
    },
  },
  {
    ids: ['U1'],
    does: 'an instruction for another device with its addressee edited to this one after signing',
    stage: 'instruction',
    code: 'ERR_FW_DIRECTOR_INVALID',
    arrange: (w) => {
      const r = published(w, release('1.1.0', 2));
      w.director.offer('us-0002', r);
      intercept(w.director, (jws, i) => {
        const [header, , signature] = jws.split('.');
        return `${header}.${b64json({ ...i, sub: w.device.deviceId })}.${signature}`;
      });
    },
  },

  // U2 wrong software: the model is checked in the director's target, the TUF entry and the image header.
  {
    ids: ['U2'],
    does: 'an image for another model, listed and named',
    stage: 'metadata',
    code: 'ERR_FW_UPDATE_WRONG_MODEL',
    arrange: (w) => named(w, published(w, release('1.1.0', 2, { model: 'insulin-pump' }))),
  },
  {
    ids: ['U2'],
    does: 'a targets entry at an ultrasound path whose custom fields name another model',
    stage: 'metadata',
    code: 'ERR_FW_UPDATE_WRONG_MODEL',
    arrange: (w) => {
      const r = release('1.1.0', 2);
      listedByTargetsKey(w, { ...entryOf(r), custom: { model: 'insulin-pump', version: '1.1.0', securityCounter: 2 } });
      named(w, r);
    },
  },
  {
    ids: ['U2'],
    does: 'a pump image listed by the targets key under an ultrasound entry',
    stage: 'download',
    code: 'ERR_BOOT_MODEL_MISMATCH',
    arrange: (w) => {
      const r = withImage(release('1.1.0', 2), release('1.1.0', 2, { model: 'insulin-pump' }).image);
      listedByTargetsKey(w, entryOf(r));
      named(w, r);
    },
  },

  // U3 rollback: the version must rise, the security counter never falls; trusted metadata never goes back.
  {
    ids: ['U3'],
    does: 'a rollback by version (0.9.0)',
    stage: 'metadata',
    code: 'ERR_FW_UPDATE_ROLLBACK',
    arrange: (w) => named(w, published(w, release('0.9.0', 1))),
  },
  {
    ids: ['U3'],
    does: 'the installed version again',
    stage: 'metadata',
    code: 'ERR_FW_UPDATE_ROLLBACK',
    arrange: (w) => named(w, release('1.0.0', 1)),
  },
  {
    ids: ['U3'],
    does: 'a rollback by security counter (2.0.0 with counter 0)',
    stage: 'metadata',
    code: 'ERR_FW_UPDATE_ROLLBACK',
    arrange: (w) => named(w, published(w, release('2.0.0', 0))),
  },
  {
    ids: ['U3'],
    does: 'after an update raised the counter to 2, a higher version with counter 1',
    stage: 'metadata',
    code: 'ERR_FW_UPDATE_ROLLBACK',
    before: UPDATED,
    arrange: async (w) => {
      await updateHonestly(w);
      named(w, published(w, release('1.2.0', 1)));
    },
  },
  {
    ids: ['U3'],
    does: 'the timestamp of before the last update replayed, hiding a new release',
    stage: 'metadata',
    code: 'ERR_FW_META_ROLLBACK',
    before: UPDATED,
    arrange: async (w) => {
      const old = latestMetadata(w.repository, 'timestamp');
      await updateHonestly(w);
      named(w, published(w, release('1.2.0', 3)));
      served(w, { [TIMESTAMP_PATH]: old });
    },
  },
  {
    ids: ['U3'],
    does: 'a timestamp signed with the online key naming the snapshot of before the last update',
    stage: 'metadata',
    code: 'ERR_FW_META_ROLLBACK',
    before: UPDATED,
    arrange: async (w) => {
      const old = latestMetadata(w.repository, 'snapshot');
      await updateHonestly(w);
      named(w, published(w, release('1.2.0', 3)));
      const timestamp = forgeMetadata(
        latestMetadata(w.repository, 'timestamp'),
        (t) => {
          t.version += 1;
          t.meta['snapshot.json'] = metaOf(old, 1);
        },
        [w.repository.keys.timestamp],
      );
      served(w, { [TIMESTAMP_PATH]: timestamp });
    },
  },
  {
    ids: ['U3'],
    does: 'a snapshot and timestamp signed with the online keys naming the targets of before the last update',
    stage: 'metadata',
    code: 'ERR_FW_META_ROLLBACK',
    before: UPDATED,
    arrange: async (w) => {
      const old = latestMetadata(w.repository, 'targets');
      await updateHonestly(w);
      named(w, published(w, release('1.2.0', 3)));
      serveWithOnlineKeys(w.repository, old);
    },
  },

  // U4 fast-forward: a stolen online key can push version numbers up; a key rotation recovers.
  {
    ids: ['U4', 'U10'],
    does: 'a timestamp fast-forwarded to version 2^31-1 with the timestamp key a root rotation revoked; the real next version then installs',
    stage: 'metadata',
    code: 'ERR_FW_META_UNSIGNED',
    arrange: (w) => {
      const r = release('1.1.0', 2);
      const { revoked } = revoke(w.repository, 'timestamp', r);
      const real = w.repository.files;
      served(w, { [TIMESTAMP_PATH]: forgeMetadata(latestMetadata(w.repository, 'timestamp'), (t) => void (t.version = 2 ** 31 - 1), [revoked]) });
      named(w, r);
      return async () => {
        w.repository.files = real;
        await installs(w, r);
      };
    },
  },
  {
    ids: ['U4'],
    does: 'a timestamp fast-forwarded with the stolen timestamp key freezes the device until the key is rotated; the real next version then installs',
    stage: 'metadata',
    code: 'ERR_FW_META_ROLLBACK',
    before: UPDATED,
    arrange: async (w) => {
      const r = published(w, release('1.1.0', 2));
      const real = w.repository.files;
      served(w, { [TIMESTAMP_PATH]: forgeMetadata(latestMetadata(w.repository, 'timestamp'), (t) => void (t.version = 2 ** 31 - 1), [w.repository.keys.timestamp]) });
      // Accepted: the key was valid. What installs is still what the release team signed.
      named(w, r);
      await installs(w, r);
      w.repository.files = real;
      const next = published(w, release('1.2.0', 3));
      named(w, next);
      return async () => {
        revoke(w.repository, 'timestamp');
        await installs(w, next);
      };
    },
  },

  // U5 freeze: expired metadata is refused, whatever else is fresh.
  {
    ids: ['U5'],
    does: 'the timestamp still served two days after it expired (device clock moved on)',
    stage: 'metadata',
    code: 'ERR_FW_META_EXPIRED',
    arrange: (w) => {
      named(w, published(w, release('1.1.0', 2)));
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 2 * DAY_MS);
    },
  },
  {
    ids: ['U5'],
    does: 'an expired snapshot under a timestamp still valid',
    stage: 'metadata',
    code: 'ERR_FW_META_EXPIRED',
    arrange: (w) => {
      const { repository: repo } = w;
      const r = release('1.1.0', 2);
      const stale = new OnlineSigner({ snapshotKeys: [repo.keys.snapshot], timestampKeys: [repo.keys.timestamp], now: () => new Date(Date.now() - 3 * DAY_MS), snapshotDays: 1, timestampDays: 7 });
      repo.files = stale.publish(repo.files, signTargets({ root: repo.root, previous: { targets: latestMetadata(repo, 'targets') }, add: [r], signers: [repo.keys.targets] }));
      named(w, r);
    },
  },
  {
    ids: ['U5'],
    does: 'expired targets under a fresh snapshot and timestamp',
    stage: 'metadata',
    code: 'ERR_FW_META_EXPIRED',
    arrange: (w) => {
      const { repository: repo } = w;
      const r = release('1.1.0', 2);
      const signed = signTargets({ root: repo.root, previous: { targets: latestMetadata(repo, 'targets') }, add: [r], signers: [repo.keys.targets] }, { now: new Date(Date.now() - 91 * DAY_MS) });
      repo.files = repo.online.publish(repo.files, signed);
      named(w, r);
    },
  },

  // U6 endless data: every byte count is capped before the bytes are taken.
  {
    ids: ['U6'],
    does: 'the server sends 100 bytes more than the image\'s listed length',
    stage: 'download',
    code: 'ERR_FW_DOWNLOAD_TOO_LARGE',
    device: {
      wrap: hostileFetcher(isImage, async function* (inner, path, options) {
        yield* inner.fetch(path, options);
        yield new Uint8Array(100);
      }),
    },
    arrange: (w) => named(w, published(w, release('1.1.0', 2))),
  },
  {
    ids: ['U6'],
    does: 'the server streams the image and then zeros without end',
    stage: 'download',
    code: 'ERR_FW_DOWNLOAD_TOO_LARGE',
    device: {
      wrap: hostileFetcher(isImage, async function* (inner, path, options) {
        yield* inner.fetch(path, options);
        while (!options.signal.aborted) yield new Uint8Array(1024);
      }),
    },
    arrange: (w) => named(w, published(w, release('1.1.0', 2))),
  },
  {
    ids: ['U6'],
    does: 'a timestamp signed with the online key but padded past its 16,384-byte cap',
    stage: 'metadata',
    code: 'ERR_FW_META_TOO_LARGE',
    arrange: (w) => {
      const r = published(w, release('1.1.0', 2));
      served(w, { [TIMESTAMP_PATH]: forgeMetadata(latestMetadata(w.repository, 'timestamp'), (t) => void (t.padding = 'x'.repeat(16_384)), [w.repository.keys.timestamp]) });
      named(w, r);
    },
  },
  {
    ids: ['U6'],
    does: 'a snapshot longer than the length the timestamp declares',
    stage: 'metadata',
    code: 'ERR_FW_META_TOO_LARGE',
    arrange: (w) => {
      const r = published(w, release('1.1.0', 2));
      served(w, { [metadataPath('snapshot', 2)]: new Uint8Array(Buffer.concat([latestMetadata(w.repository, 'snapshot'), Buffer.alloc(64, 0x20)])) });
      named(w, r);
    },
  },
  {
    ids: ['U6'],
    does: 'an image larger than the slot, listed and named',
    stage: 'install',
    code: 'ERR_BOOT_SLOT_TOO_SMALL',
    arrange: (w) => {
      const image = buildImage({ model: MODEL, version: '1.1.0', securityCounter: 2, buildTimeMs: BUILD_TIME, payloadSize: 70_000 }, imageKey);
      named(w, published(w, { image, model: MODEL, version: '1.1.0', securityCounter: 2 }));
    },
  },
  {
    ids: ['U6'],
    does: 'a director instruction over 8 KiB (signed, padded header)',
    stage: 'instruction',
    code: 'ERR_FW_DIRECTOR_TOO_LARGE',
    arrange: (w) => {
      named(w, published(w, release('1.1.0', 2)));
      intercept(w.director, (_jws, i) => signCompact(w.director.identity, i, { pad: 'x'.repeat(9000) }));
    },
  },

  // U7 slow retrieval: total deadlines, not only per-read timeouts.
  {
    ids: ['U7'],
    does: 'the image trickled 1 byte per 5 ms, on every resumed attempt',
    stage: 'download',
    code: 'ERR_FW_DOWNLOAD_TIMEOUT',
    device: { wrap: hostileFetcher(isImage, trickle), limits: { downloadTimeoutMs: 100 } },
    arrange: (w) => named(w, published(w, release('1.1.0', 2))),
  },
  {
    ids: ['U7'],
    does: 'the metadata trickled 1 byte per 5 ms',
    stage: 'metadata',
    code: 'ERR_FW_DOWNLOAD_TIMEOUT',
    device: { wrap: hostileFetcher((path) => path.startsWith('metadata/'), trickle), limits: { refreshTimeoutMs: 200 } },
    arrange: (w) => named(w, published(w, release('1.1.0', 2))),
  },
  {
    ids: ['U7'],
    does: 'the image server accepts the request and never sends a byte',
    stage: 'download',
    code: 'ERR_FW_DOWNLOAD_TIMEOUT',
    device: {
      wrap: hostileFetcher(isImage, async function* (_inner, _path, options) {
        await new Promise((resolve) => options.signal.addEventListener('abort', resolve, { once: true }));
        yield* [];
      }),
      limits: { chunkTimeoutMs: 100 },
    },
    arrange: (w) => named(w, published(w, release('1.1.0', 2))),
  },

  // U8 mix-and-match: director, TUF entry and image header must say the same thing.
  {
    ids: ['U8'],
    does: 'the director names another SHA-256 than the repository lists',
    stage: 'metadata',
    code: 'ERR_FW_UPDATE_UNKNOWN_TARGET',
    arrange: (w) => named(w, published(w, release('1.1.0', 2)), (i) => ({ ...i, target: { ...i.target, sha256: 'ab'.repeat(32) } })),
  },
  {
    ids: ['U8'],
    does: 'the director names another length than the repository lists',
    stage: 'metadata',
    code: 'ERR_FW_UPDATE_UNKNOWN_TARGET',
    arrange: (w) => named(w, published(w, release('1.1.0', 2)), (i) => ({ ...i, target: { ...i.target, length: i.target.length + 1 } })),
  },
  {
    ids: ['U8'],
    does: 'the director names version 1.2.0 at the path of 1.1.0',
    stage: 'metadata',
    code: 'ERR_FW_UPDATE_UNKNOWN_TARGET',
    arrange: (w) => named(w, published(w, release('1.1.0', 2)), (i) => ({ ...i, target: { ...i.target, version: '1.2.0' } })),
  },
  {
    ids: ['U8'],
    does: 'the director names a higher security counter than the repository lists',
    stage: 'metadata',
    code: 'ERR_FW_UPDATE_UNKNOWN_TARGET',
    arrange: (w) => named(w, published(w, release('1.1.0', 2)), (i) => ({ ...i, target: { ...i.target, securityCounter: 9 } })),
  },
  {
    ids: ['U8'],
    does: 'a targets entry with counter 2 over an image whose header says counter 1',
    stage: 'download',
    code: 'ERR_BOOT_TARGET_INVALID',
    arrange: (w) => {
      const r = withImage(release('1.1.0', 2), release('1.1.0', 1).image);
      listedByTargetsKey(w, entryOf(r));
      named(w, r);
    },
  },

  // U9 extraneous and unknown critical content.
  {
    ids: ['U9'],
    does: 'an instruction signed by the director with an unknown critical header (crit)',
    stage: 'instruction',
    code: 'ERR_FW_DIRECTOR_CRITICAL',
    arrange: (w) => {
      named(w, published(w, release('1.1.0', 2)));
      intercept(w.director, (_jws, i) => signCompact(w.director.identity, i, { crit: ['x-medsim-defer'], 'x-medsim-defer': true }));
    },
  },
  {
    ids: ['U9'],
    does: 'an instruction signed by the director naming an extra image in an unknown field',
    stage: 'instruction',
    code: 'ERR_FW_DIRECTOR_INVALID',
    arrange: (w) => {
      named(w, published(w, release('1.1.0', 2)));
      intercept(w.director, (_jws, i) => signCompact(w.director.identity, { ...i, also: 'ultrasound/ultrasound-6.6.6.bin' }));
    },
  },
  {
    ids: ['U9'],
    does: 'an image with an unknown header flag, signed by the image key and listed by the targets key',
    stage: 'download',
    code: 'ERR_BOOT_VERIFY_FAILED',
    cause: 'ERR_FW_IMAGE_UNKNOWN_CRITICAL',
    arrange: (w) => {
      const r = release('1.1.0', 2);
      const bad = withImage(r, resigned(r.image, { flags: 0x0002 }));
      listedByTargetsKey(w, entryOf(bad));
      named(w, bad);
    },
  },
  {
    ids: ['U9'],
    does: 'an image with an unknown critical TLV, signed by the image key and listed by the targets key',
    stage: 'install',
    code: 'ERR_BOOT_VERIFY_FAILED',
    cause: 'ERR_FW_IMAGE_UNKNOWN_CRITICAL',
    arrange: (w) => {
      const r = release('1.1.0', 2);
      named(w, published(w, withImage(r, resigned(r.image, { tlvs: [{ type: 0x8001, value: Uint8Array.of(1) }] }))));
    },
  },

  // U10 key compromise and thresholds.
  {
    ids: ['U10'],
    does: 'a root version 2 replacing the targets key, signed by 1 of the 2 root keys its threshold needs',
    stage: 'metadata',
    code: 'ERR_FW_META_UNSIGNED',
    arrange: (w) => {
      const r = published(w, release('1.1.0', 2));
      served(w, { [metadataPath('root', 2)]: forgeMetadata(latestMetadata(w.repository, 'root'), rootTakeover, [w.repository.keys.root[0]!]) });
      named(w, r);
    },
  },
  {
    ids: ['U10'],
    does: 'the same root version 2 carrying one root key\'s signature twice',
    stage: 'metadata',
    code: 'ERR_FW_META_UNSIGNED',
    arrange: (w) => {
      const r = published(w, release('1.1.0', 2));
      const key = w.repository.keys.root[0]!;
      served(w, { [metadataPath('root', 2)]: forgeMetadata(latestMetadata(w.repository, 'root'), rootTakeover, [key, key]) });
      named(w, r);
    },
  },
  {
    ids: ['U10'],
    does: 'a root listing the snapshot key under two key ids with a threshold of 2, so one key would count twice',
    stage: 'metadata',
    code: 'ERR_FW_META_MALFORMED',
    arrange: (w) => {
      const { keys } = w.repository;
      const r = published(w, release('1.1.0', 2));
      const twin = 'f'.repeat(64);
      const root = forgeMetadata(
        latestMetadata(w.repository, 'root'),
        (s) => {
          s.version = 2;
          s.keys[twin] = s.keys[keys.snapshot.keyId];
          s.roles.snapshot = { keyids: [keys.snapshot.keyId, twin], threshold: 2 };
        },
        keys.root.slice(0, 2),
      );
      served(w, { [metadataPath('root', 2)]: root });
      named(w, r);
    },
  },
  {
    ids: ['U10'],
    does: 'targets signed with the targets key a root rotation revoked, under the gateway\'s online keys',
    stage: 'metadata',
    code: 'ERR_FW_META_UNSIGNED',
    before: UPDATED,
    arrange: async (w) => {
      const r = release('1.1.0', 2);
      const { revoked } = revoke(w.repository, 'targets', r);
      named(w, r);
      await installs(w, r);
      const evil = release('1.2.0', 3);
      const { targetsJson, targetFiles } = forgeTargets(w.repository, [entryOf(evil)], [revoked]);
      serveWithOnlineKeys(w.repository, targetsJson, targetFiles);
      named(w, evil);
    },
  },
  {
    ids: ['U10'],
    does: 'an instruction signed by another key than the director\'s',
    stage: 'instruction',
    code: 'ERR_FW_DIRECTOR_INVALID',
    arrange: async (w) => w.director.offer(w.device.deviceId, published(w, release('1.1.0', 2)), (i) => i, await Identity.generate()),
  },

  // U11 drop-request: a repository that cannot be reached is a reported failure, not "up to date".
  {
    ids: ['U11'],
    does: 'the gateway drops every metadata request',
    stage: 'metadata',
    code: 'ERR_FW_DOWNLOAD_INTERRUPTED',
    device: {
      wrap: hostileFetcher(
        (path) => path.startsWith('metadata/'),
        // eslint-disable-next-line require-yield -- the connection drops before any byte
        async function* () {
          await sleep(1);
          throw new Error('connection reset');
        },
      ),
    },
    arrange: (w) => named(w, published(w, release('1.1.0', 2))),
  },

  // U12 TOCTOU: the slot is verified again from flash at boot.
  {
    ids: ['U12'],
    does: 'a payload byte of the installed image flipped in flash before its trial boot',
    stage: 'boot',
    code: 'ERR_BOOT_VERIFY_FAILED',
    arrange: (w) => named(w, published(w, release('1.1.0', 2))),
    tamper: (w) => writeSlotB(w, 128 + 4000, Uint8Array.of(0xff)),
  },
  {
    ids: ['U12'],
    does: 'the installed image swapped in flash for another validly signed one before its trial boot',
    stage: 'boot',
    code: 'ERR_BOOT_VERIFY_FAILED',
    arrange: (w) => named(w, published(w, release('1.1.0', 2))),
    tamper: (w) => writeSlotB(w, 0, release('1.2.0', 3).image),
  },

  // U13 extra data after the image.
  {
    ids: ['U13'],
    does: 'a signed image with 16 bytes appended, listed by the targets key',
    stage: 'download',
    code: 'ERR_BOOT_VERIFY_FAILED',
    cause: 'ERR_FW_IMAGE_MALFORMED',
    arrange: (w) => {
      const r = release('1.1.0', 2);
      named(w, published(w, withImage(r, new Uint8Array(Buffer.concat([r.image, Buffer.alloc(16)])))));
    },
  },

  // U14 malformed input.
  {
    ids: ['U14'],
    does: 'an instruction that is not a JWS',
    stage: 'instruction',
    code: 'ERR_FW_DIRECTOR_INVALID',
    arrange: (w) => {
      named(w, published(w, release('1.1.0', 2)));
      intercept(w.director, () => 'not-a-jws');
    },
  },
  {
    ids: ['U14'],
    does: 'a timestamp that is not JSON',
    stage: 'metadata',
    code: 'ERR_FW_META_MALFORMED',
    arrange: (w) => {
      named(w, published(w, release('1.1.0', 2)));
      served(w, { [TIMESTAMP_PATH]: new Uint8Array(Buffer.from('{"signed": {"_type": "timestamp"')) });
    },
  },

  // U15 replayed or stale instructions.
  {
    ids: ['U15'],
    does: 'the instruction of the last update replayed word for word',
    stage: 'instruction',
    code: 'ERR_FW_DIRECTOR_REPLAYED',
    before: UPDATED,
    arrange: async (w) => {
      const r = published(w, release('1.1.0', 2));
      named(w, r);
      let captured = '';
      intercept(w.director, (jws) => (captured = jws));
      await installs(w, r);
      w.director.next = () => Promise.resolve(captured);
    },
  },
  {
    ids: ['U15'],
    does: 'a new instruction re-using the nonce of one already acted on',
    stage: 'instruction',
    code: 'ERR_FW_DIRECTOR_REPLAYED',
    before: UPDATED,
    arrange: async (w) => {
      const r = published(w, release('1.1.0', 2));
      let jti = '';
      named(w, r);
      intercept(w.director, (jws, i) => {
        jti = i.jti;
        return jws;
      });
      await installs(w, r);
      named(w, published(w, release('1.2.0', 3)), (i) => ({ ...i, jti }));
    },
  },
  {
    ids: ['U15'],
    does: 'an instruction that expired an hour ago',
    stage: 'instruction',
    code: 'ERR_FW_DIRECTOR_EXPIRED',
    arrange: (w) => named(w, published(w, release('1.1.0', 2)), (i) => ({ ...i, iat: Date.now() - 2 * 3_600_000, exp: Date.now() - 3_600_000 })),
  },
  {
    ids: ['U15'],
    does: 'an instruction issued an hour in the future',
    stage: 'instruction',
    code: 'ERR_FW_DIRECTOR_EXPIRED',
    arrange: (w) => named(w, published(w, release('1.1.0', 2)), (i) => ({ ...i, iat: Date.now() + 3_600_000, exp: Date.now() + 2 * 3_600_000 })),
  },
  {
    ids: ['U15'],
    does: 'an instruction for another device',
    stage: 'instruction',
    code: 'ERR_FW_DIRECTOR_WRONG_DEVICE',
    arrange: (w) => w.director.offer('us-0002', published(w, release('1.1.0', 2))),
  },

  // U16 wrong-type confusion.
  {
    ids: ['U16'],
    does: 'an access token (typ at+jwt) signed with the director key, carrying an instruction',
    stage: 'instruction',
    code: 'ERR_FW_DIRECTOR_INVALID',
    arrange: (w) => {
      named(w, published(w, release('1.1.0', 2)));
      intercept(w.director, (_jws, i) => signJws(w.director.identity, new TextEncoder().encode(JSON.stringify(i)), 'at+jwt'));
    },
  },
];

/** A root edit: version 2 handing the targets role to the attacker's key. */
function rootTakeover(signed: Record<string, unknown>): void {
  const attacker = TufSigningKey.generate().publicKey;
  const s = signed as { version: number; keys: Record<string, unknown>; roles: Record<string, unknown> };
  s.version = 2;
  s.keys[attacker.keyID] = attacker.toJSON();
  s.roles.targets = { keyids: [attacker.keyID], threshold: 1 };
}

// --- the suite -----------------------------------------------------------------------------------

const devices: TestDevice[] = [];
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  for (const device of devices.splice(0)) device.cleanup();
});

const setup = (options: Attack['device'] = {}): Promise<World> => factoryWorld(devices, options);

/**
 * The image errors (`details.cause`) behind the install refusals of the device's bootloader until
 * its next reboot: the agent reports the bootloader's code; this tells which image check refused.
 */
function imageCauses(device: TestDevice): string[] {
  const causes: string[] = [];
  const loader = device.bootloader;
  const begin = loader.beginInstall.bind(loader);
  const noting =
    <A extends unknown[], R>(f: (...args: A) => R) =>
    (...args: A): R => {
      try {
        return f(...args);
      } catch (error) {
        const cause = (error as { details?: { cause?: unknown } }).details?.cause;
        if (typeof cause === 'string') causes.push(cause);
        throw error;
      }
    };
  vi.spyOn(loader, 'beginInstall').mockImplementation((target) => {
    const writer = begin(target);
    writer.write = noting(writer.write.bind(writer));
    writer.finish = noting(writer.finish.bind(writer));
    return writer;
  });
  return causes;
}

/** Plays `attack` and asserts it was stopped where it must be (see the file comment). */
async function play(attack: Attack): Promise<void> {
  const w = await setup(attack.device);
  const recover = await attack.arrange(w);
  const { device, director } = w;
  const before = attack.before ?? FACTORY;
  expect(device.installed).toEqual(before);
  const slots = device.bootloader.status().slots;
  const events = device.events.length;
  const reports = director.reports.length;
  const causes = imageCauses(device);

  const outcome = await device.agent.check();
  expect(causes).toEqual(attack.cause === undefined ? [] : [attack.cause]);
  if (attack.stage === 'boot') {
    // The install verified; the attacker changes flash before the trial boot, which refuses the slot.
    expect(outcome).toMatchObject({ kind: 'installed' });
    attack.tamper?.(w);
    await device.reboot();
    const version = (outcome as { version: string }).version;
    expect(device.events.slice(events)).toEqual([{ kind: 'installed', version }, { kind: 'reverted', version, code: attack.code }]);
    expect(director.reports.at(-1)).toMatchObject({ state: 'reverted', errorCode: attack.code });
  } else {
    expect(outcome).toEqual({ kind: 'refused', code: attack.code });
    expect(device.events.slice(events)).toEqual([{ kind: 'refused', code: attack.code, stage: attack.stage }]);
    const sent = director.reports.slice(reports);
    if (attack.stage === 'instruction') expect(sent).toEqual([]);
    else {
      expect(sent.at(-1)).toMatchObject({ state: 'failed', errorCode: attack.code });
      expect(sent.map((r) => r.state)).not.toContain('installed');
    }
  }

  await device.reboot();
  expect(device.installed).toEqual(before);
  // Nothing new can boot: each slot holds what it held, or nothing bootable.
  for (const [slot, state] of Object.entries(device.bootloader.status().slots)) {
    if (!['empty', 'writing', 'bad'].includes(state.status)) expect(state).toEqual(slots[slot as keyof typeof slots]);
  }
  if (typeof recover === 'function') await recover();
}

describe('firmware update attacks, played through the device update agent', () => {
  // One it.each per tag set (tags are per call); rows are [name, attack] so the full name shows.
  const groups = new Map<string, [string, Attack][]>();
  for (const attack of ATTACKS) {
    const key = tagsOf(attack).join(' ');
    groups.set(key, [...(groups.get(key) ?? []), [nameOf(attack), attack]]);
  }
  for (const [key, cases] of groups) it.each(cases)('%s', { tags: key.split(' ') }, (_name, attack) => play(attack));

  it('[CTL-12] covers at least 40 attacks, each in docs/firmware/attacks.md', { tags: ['CTL-12'] }, () => {
    expect(ATTACKS.length).toBeGreaterThanOrEqual(40);
    const names = ATTACKS.map(nameOf);
    expect(new Set(names).size).toBe(names.length);
    const doc = readFileSync(new URL('../../../../docs/firmware/attacks.md', import.meta.url), 'utf8');
    expect(names.filter((n) => !doc.includes(n))).toEqual([]);
  });
});
