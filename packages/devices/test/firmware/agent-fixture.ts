/**
 * A device with its update agent, against a real TUF repository (release keys, online keys) served
 * from memory and a director in memory that signs real instructions: everything the agent checks
 * is real crypto on real files; only the network is a map. The end of the file holds the attacker's
 * tools for attacks.test.ts (forged metadata and targets, key revocation, rewritten instructions).
 */
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity } from '@medsim/crypto';
import {
  DIRECTOR_TYP,
  ImageKeyring,
  ImageSigningKey,
  MemoryFetcher,
  OnlineSigner,
  TIMESTAMP_PATH,
  TufSigningKey,
  UpdateClient,
  buildImage,
  createRoot,
  firmwareTargetPath,
  installTrustedRoot,
  latestVersion,
  metadataPath,
  revokeKey,
  rootSpecOf,
  rotateRoot,
  sha256Hex,
  signDirectorInstruction,
  signTargets,
  storedTargetPath,
  type DirectorInstruction,
  type Fetcher,
  type FirmwareRelease,
  type RepositoryFiles,
  type UpdateLimits,
  type VersionedRole,
} from '@medsim/firmware';
import { Bootloader, UpdateAgent, type DirectorChannel, type UpdateAgentEvent, type UpdateReport } from '../../src/index.js';

export const MODEL = 'ultrasound';
export const BUILD_TIME = Date.UTC(2026, 10, 1);
export const imageKey = ImageSigningKey.generate();
export const keyring = new ImageKeyring([imageKey.publicKey]);

/** A signed image and its release entry. */
export function release(version: string, securityCounter: number, options: { model?: string; selfTest?: 'pass' | 'fail'; key?: ImageSigningKey } = {}): FirmwareRelease {
  const model = options.model ?? MODEL;
  const image = buildImage({ model, version, securityCounter, buildTimeMs: BUILD_TIME, payloadSize: 8192, selfTest: options.selfTest ?? 'pass' }, options.key ?? imageKey);
  return { image, model, version, securityCounter };
}

/** The release side and the gateway's repository: root 2 of 3, targets, online snapshot and timestamp. */
export class Repository {
  readonly keys = { root: [TufSigningKey.generate(), TufSigningKey.generate(), TufSigningKey.generate()], targets: TufSigningKey.generate(), snapshot: TufSigningKey.generate(), timestamp: TufSigningKey.generate() };
  readonly root: Uint8Array;
  readonly online: OnlineSigner;
  files: RepositoryFiles = new Map();
  #targets: Uint8Array | undefined;

  constructor() {
    const k = this.keys;
    this.root = createRoot(
      {
        root: { keys: k.root.map((x) => x.publicKey), threshold: 2 },
        targets: { keys: [k.targets.publicKey], threshold: 1 },
        snapshot: { keys: [k.snapshot.publicKey], threshold: 1 },
        timestamp: { keys: [k.timestamp.publicKey], threshold: 1 },
      },
      k.root.slice(0, 2),
    );
    this.online = new OnlineSigner({ snapshotKeys: [k.snapshot], timestampKeys: [k.timestamp] });
  }

  /** Signs (targets key) and publishes (online keys) `releases`. */
  publish(...releases: FirmwareRelease[]): void {
    const { targetsJson, targetFiles } = signTargets({ root: this.root, ...(this.#targets === undefined ? {} : { previous: { targets: this.#targets } }), add: releases, signers: [this.keys.targets] });
    this.#targets = targetsJson;
    this.files = this.online.publish(this.files, { ...(this.files.size === 0 ? { rootHistory: [this.root] } : {}), targetsJson, targetFiles });
  }
}

/** The director, in memory: signs instructions with its own key and records reports. */
export class TestDirector implements DirectorChannel {
  readonly identity: Identity;
  readonly reports: UpdateReport[] = [];
  /** What instruction() answers: a function of the device's check nonce. */
  next: ((checkNonce: string) => Promise<string | undefined>) | undefined;

  private constructor(identity: Identity) {
    this.identity = identity;
  }

  static async create(): Promise<TestDirector> {
    return new TestDirector(await Identity.generate());
  }

  /** An instruction for `deviceId` naming `r` (overrides applied last). */
  instruction(checkNonce: string): Promise<string | undefined> {
    return this.next?.(checkNonce) ?? Promise.resolve(undefined);
  }

  report(report: UpdateReport): Promise<void> {
    this.reports.push(report);
    return Promise.resolve();
  }

  /** Answers the next checks with an instruction for `r`, edited by `edit`, signed by `signer`. */
  offer(deviceId: string, r: FirmwareRelease, edit: (i: DirectorInstruction) => DirectorInstruction = (i) => i, signer: Identity = this.identity): void {
    this.next = (checkNonce) =>
      signDirectorInstruction(
        signer,
        edit({
          v: 1,
          sub: deviceId,
          jti: randomBytes(16).toString('base64url'),
          iat: Date.now() - 1000,
          exp: Date.now() + 3_600_000,
          campaign: 'c0ffee00c0ffee00c0ffee00c0ffee00',
          target: { path: firmwareTargetPath(r.model, r.version), model: r.model, version: r.version, securityCounter: r.securityCounter, length: r.image.length, sha256: sha256Hex(r.image) },
          checkNonce,
        }),
      );
  }

  /** States reported, in order. */
  get states(): string[] {
    return this.reports.map((r) => r.state);
  }
}

/** A provisioned device: a bootloader with the factory image, a metadata directory, an agent. */
export class TestDevice {
  readonly dir = mkdtempSync(join(tmpdir(), 'medsim-agent-'));
  readonly events: UpdateAgentEvent[] = [];
  bootloader!: Bootloader;
  agent!: UpdateAgent;

  private constructor(
    readonly deviceId: string,
    readonly repository: Repository,
    readonly director: TestDirector,
    readonly wrap: (inner: Fetcher) => Fetcher,
    /** The update client's limits (UPDATE_LIMITS where not given). */
    readonly limits: Partial<UpdateLimits> = {},
  ) {}

  static async create(repository: Repository, director: TestDirector, factory: FirmwareRelease, options: { deviceId?: string; wrap?: (inner: Fetcher) => Fetcher; limits?: Partial<UpdateLimits> } = {}): Promise<TestDevice> {
    const device = new TestDevice(options.deviceId ?? 'us-0001', repository, director, options.wrap ?? ((inner) => inner), options.limits);
    Bootloader.provision(join(device.dir, 'boot'), device.bootOptions(), factory.image);
    mkdirSync(join(device.dir, 'tuf'), { recursive: true });
    await installTrustedRoot(join(device.dir, 'tuf'), repository.root);
    await device.powerOn();
    return device;
  }

  bootOptions(): { slotBytes: number; keyring: ImageKeyring; model: string } {
    return { slotBytes: 64 * 1024, keyring, model: MODEL };
  }

  /** Opens the bootloader, boots, and lets the agent finish a trial; reboots after a revert. */
  async powerOn(): Promise<void> {
    for (;;) {
      this.bootloader = Bootloader.open(join(this.dir, 'boot'), this.bootOptions());
      const boot = this.bootloader.boot();
      // The repository as published now, whenever the device fetches (1 KiB chunks).
      const live: Fetcher = { fetch: (path, options) => new MemoryFetcher(this.repository.files, 1024).fetch(path, options) };
      const client = new UpdateClient({ metadataDir: join(this.dir, 'tuf'), fetcher: this.wrap(live), limits: this.limits });
      this.agent = new UpdateAgent({
        deviceId: this.deviceId,
        model: MODEL,
        bootloader: this.bootloader,
        client,
        channel: this.director,
        directorKey: this.director.identity.public.signing.jwk,
        now: () => Date.now(),
        stateFile: join(this.dir, 'update-agent.json'),
        onEvent: (event) => this.events.push(event),
      });
      if (!(await this.agent.afterBoot(boot))) return;
      this.bootloader.close();
    }
  }

  async reboot(): Promise<void> {
    this.bootloader.close();
    await this.powerOn();
  }

  /** The running version and the OTP security counter. */
  get installed(): { version: string | undefined; securityCounter: number } {
    const status = this.bootloader.status();
    return { version: status.running?.image.version, securityCounter: status.securityCounter };
  }

  cleanup(): void {
    this.bootloader.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// The attacker's tools, for attacks.test.ts: hostile metadata, targets, key rotations and director
// instructions. Every signature is real; what is forged is what gets signed, or who signs it.

/** Metadata JSON as an attacker edits it: any field may be read or written. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- forged metadata is edited freely, field by field
export type Editable = Record<string, any>;

/** Metadata JSON: the signed part and the signatures. */
export interface MetadataJson {
  signed: Editable;
  signatures: { keyid: string; sig: string }[];
}

/** Who signs forged metadata: a release key, or a key's signer under any key id (to count one key twice). */
export interface MetadataSigner {
  readonly keyId: string;
  readonly signer: (data: Buffer) => { readonly sig: string };
}

/**
 * TUF's canonical JSON, the OLPC dialect tuf-js verifies signatures over (@tufjs/canonical-json):
 * keys sorted, no whitespace, only `"` and `\` escaped, integers only.
 */
function canonicalJson(value: unknown): string {
  if (typeof value === 'string') return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  if (typeof value === 'boolean' || value === null || Number.isInteger(value)) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${canonicalJson(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  throw new TypeError(`no canonical JSON for a ${typeof value}`);
}

const encodeJson = (value: unknown): Uint8Array => new Uint8Array(Buffer.from(JSON.stringify(value)));

/** Parses metadata bytes. */
export function metadataJson(bytes: Uint8Array): MetadataJson {
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as MetadataJson;
}

/** `bytes` with its signed part edited by `edit` and signed afresh by `signers` (none: unsigned). */
export function forgeMetadata(bytes: Uint8Array, edit: (signed: Editable) => void, signers: readonly MetadataSigner[]): Uint8Array {
  const { signed } = metadataJson(bytes);
  edit(signed);
  const data = Buffer.from(canonicalJson(signed));
  return encodeJson({ signed, signatures: signers.map((s) => ({ keyid: s.keyId, sig: s.signer(data).sig })) });
}

/** `bytes` edited by `edit`, signatures left as they were: tampering after signing. */
export function editMetadata(bytes: Uint8Array, edit: (md: MetadataJson) => void): Uint8Array {
  const md = metadataJson(bytes);
  edit(md);
  return encodeJson(md);
}

/** The latest published file of `role`. */
export function latestMetadata(repository: Repository, role: VersionedRole | 'timestamp'): Uint8Array {
  const path = role === 'timestamp' ? TIMESTAMP_PATH : metadataPath(role, latestVersion(repository.files, role));
  const bytes = repository.files.get(path);
  if (bytes === undefined) throw new Error(`nothing published at ${path}`);
  return bytes;
}

/** What snapshot or timestamp metadata records for the file `bytes` of `version`. */
export function metaOf(bytes: Uint8Array, version: number): { version: number; length: number; hashes: { sha256: string } } {
  return { version, length: bytes.length, hashes: { sha256: sha256Hex(bytes) } };
}

/** A targets entry as an attacker writes it: any path, any bytes, any custom fields. */
export interface HostileEntry {
  readonly path: string;
  readonly image: Uint8Array;
  readonly custom: Readonly<Record<string, unknown>>;
}

/** The honest entry of `r`, to edit. */
export function entryOf(r: FirmwareRelease): HostileEntry {
  return { path: firmwareTargetPath(r.model, r.version), image: r.image, custom: { model: r.model, version: r.version, securityCounter: r.securityCounter } };
}

/**
 * The next targets version, listing `entries` besides the published ones, signed by `signers`, and
 * the image files it lists: what a holder of a targets key can make without the release tools
 * (signTargets refuses an image whose header disagrees with its entry, or that does not parse).
 */
export function forgeTargets(repository: Repository, entries: readonly HostileEntry[], signers: readonly MetadataSigner[]): { targetsJson: Uint8Array; targetFiles: RepositoryFiles } {
  const targetsJson = forgeMetadata(
    latestMetadata(repository, 'targets'),
    (t) => {
      t.version += 1;
      for (const e of entries) t.targets[e.path] = { length: e.image.length, hashes: { sha256: sha256Hex(e.image) }, custom: e.custom };
    },
    signers,
  );
  return { targetsJson, targetFiles: new Map(entries.map((e) => [storedTargetPath(e.path, sha256Hex(e.image)), e.image])) };
}

/**
 * Serves `targets` and `targetFiles` under a new snapshot and timestamp signed with the gateway's
 * online keys, skipping the online signer's checks: what an attacker who holds the gateway publishes.
 */
export function serveWithOnlineKeys(repository: Repository, targets: Uint8Array, targetFiles: RepositoryFiles = new Map()): void {
  const targetsVersion = metadataJson(targets).signed.version as number;
  const snapshotVersion = latestVersion(repository.files, 'snapshot') + 1;
  const snapshot = forgeMetadata(
    latestMetadata(repository, 'snapshot'),
    (s) => {
      s.version = snapshotVersion;
      s.meta['targets.json'] = metaOf(targets, targetsVersion);
    },
    [repository.keys.snapshot],
  );
  const timestamp = forgeMetadata(
    latestMetadata(repository, 'timestamp'),
    (t) => {
      t.version += 1;
      t.meta['snapshot.json'] = metaOf(snapshot, snapshotVersion);
    },
    [repository.keys.timestamp],
  );
  repository.files = new Map([...repository.files, ...targetFiles, [metadataPath('targets', targetsVersion), targets], [metadataPath('snapshot', snapshotVersion), snapshot], [TIMESTAMP_PATH, timestamp]]);
}

/** A key revoked by a root rotation (see revoke). */
export interface Revocation {
  /** The key that replaces the revoked one. */
  readonly fresh: TufSigningKey;
  /** The revoked key, which the attacker may hold. */
  readonly revoked: TufSigningKey;
  /** Publishes `releases` under the new root (Repository.publish would still sign under root 1). */
  publish(...releases: FirmwareRelease[]): void;
}

/**
 * The release team revokes the `role` key: the next root version (signed by 2 of the 3 root keys,
 * meeting the old and the new threshold, TUF spec 5.3.4) names a fresh key instead; the targets are
 * re-signed and the gateway publishes with the current keys from then on, adding `releases`.
 */
export function revoke(repository: Repository, role: 'targets' | 'timestamp', ...releases: FirmwareRelease[]): Revocation {
  const fresh = TufSigningKey.generate();
  const revoked = repository.keys[role];
  const previousRoot = latestMetadata(repository, 'root');
  const root = rotateRoot(previousRoot, revokeKey(rootSpecOf(previousRoot), revoked.keyId, fresh.publicKey), repository.keys.root.slice(0, 2));
  const targetsKey = role === 'targets' ? fresh : repository.keys.targets;
  const online = new OnlineSigner({ snapshotKeys: [repository.keys.snapshot], timestampKeys: [role === 'timestamp' ? fresh : repository.keys.timestamp] });
  const publish = (rotation: boolean, add: readonly FirmwareRelease[]): void => {
    // The targets in place were signed under the previous root (with the revoked key, for targets).
    const previous = { targets: latestMetadata(repository, 'targets'), ...(rotation ? { root: previousRoot } : {}) };
    const { targetsJson, targetFiles } = signTargets({ root, previous, add, signers: [targetsKey] });
    repository.files = online.publish(repository.files, { ...(rotation ? { rootHistory: [root] } : {}), targetsJson, targetFiles });
  };
  publish(true, releases);
  return { fresh, revoked, publish: (...add) => publish(false, add) };
}

/** The payload of a compact JWS, parsed (no verification: the attacker reads what it captured). */
export function decodeInstruction(jws: string): DirectorInstruction {
  return JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as DirectorInstruction;
}

/**
 * A compact JWS of `payload` signed with `identity`'s Ed25519 key, its protected header the
 * director's ({alg, typ, kid}) with `header` over it: instructions signDirectorInstruction refuses
 * to make (unknown fields, `crit`, another `typ`).
 */
export function signCompact(identity: Identity, payload: unknown, header: Readonly<Record<string, unknown>> = {}): string {
  const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${b64({ alg: 'Ed25519', typ: DIRECTOR_TYP, kid: identity.public.signing.kid, ...header })}.${b64(payload)}`;
  const key = createPrivateKey({ key: identity.exportPrivateJwks().signing, format: 'jwk' });
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

/**
 * Answers the next checks with `rewrite` of the instruction the director would send: an attacker
 * between director and device (or holding a key) rewrites or replaces a genuine instruction.
 */
export function intercept(director: TestDirector, rewrite: (jws: string, instruction: DirectorInstruction) => string | Promise<string>): void {
  const genuine = director.next;
  director.next = async (checkNonce) => {
    const jws = await genuine?.(checkNonce);
    return jws === undefined ? undefined : rewrite(jws, decodeInstruction(jws));
  };
}

/** A repository with the factory release, a director, and a device running the factory image. */
export interface World {
  readonly repository: Repository;
  readonly director: TestDirector;
  readonly device: TestDevice;
}

/** A new world: release 1.0.0 (counter 1) published and running; the device is added to `devices` for cleanup. */
export async function factoryWorld(devices: TestDevice[], options: Parameters<typeof TestDevice.create>[3] = {}): Promise<World> {
  const repository = new Repository();
  const factory = release('1.0.0', 1);
  repository.publish(factory);
  const director = await TestDirector.create();
  const device = await TestDevice.create(repository, director, factory, options);
  devices.push(device);
  return { repository, director, device };
}
