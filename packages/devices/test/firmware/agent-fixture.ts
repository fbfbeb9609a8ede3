/**
 * A device with its update agent, against a real TUF repository (release keys, online keys) served
 * from memory and a director in memory that signs real instructions: everything the agent checks
 * is real crypto on real files; only the network is a map.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity } from '@medsim/crypto';
import {
  ImageKeyring,
  ImageSigningKey,
  MemoryFetcher,
  OnlineSigner,
  TufSigningKey,
  UpdateClient,
  buildImage,
  createRoot,
  firmwareTargetPath,
  installTrustedRoot,
  sha256Hex,
  signDirectorInstruction,
  signTargets,
  type DirectorInstruction,
  type Fetcher,
  type FirmwareRelease,
  type RepositoryFiles,
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
  ) {}

  static async create(repository: Repository, director: TestDirector, factory: FirmwareRelease, options: { deviceId?: string; wrap?: (inner: Fetcher) => Fetcher } = {}): Promise<TestDevice> {
    const device = new TestDevice(options.deviceId ?? 'us-0001', repository, director, options.wrap ?? ((inner) => inner));
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
      const client = new UpdateClient({ metadataDir: join(this.dir, 'tuf'), fetcher: this.wrap(live) });
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
