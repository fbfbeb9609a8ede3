/**
 * A simulated device's firmware subsystem (issue 5): its bootloader (A/B slots, secure boot,
 * anti-rollback counter), its TUF metadata, and its update agent talking to the gateway's update
 * endpoint. The device runtime opens it at power-on (after enrolment: the channel needs the
 * device certificate and the director key), boots, lets the agent settle a trial, and checks for
 * updates on a timer and on demand; an installed update asks the runtime to reboot.
 *
 * Files in the device's data directory: `boot/` (slots, boot state, OTP fuses), `tuf/` (trusted
 * metadata), `update-agent.json`. The factory image is written into slot A on the first power-on,
 * as the factory would; the TUF root too.
 */
import { existsSync, mkdirSync } from 'node:fs';
import type { PublicJwks } from '@medsim/crypto';
import { join } from 'node:path';
import { HttpFetcher, UpdateClient, installTrustedRoot, type Fetcher, type ImageKeyring, type UpdateLimits } from '@medsim/firmware';
import { Agent } from 'node:https';
import type { SecureContext } from 'node:tls';
import { Bootloader, type BootResult } from './bootloader.js';
import { HttpDirectorChannel } from './director-channel.js';
import { MODEL_SLOT_BYTES } from './slot-sizes.js';
import { UpdateAgent, type CheckOutcome, type DirectorChannel, type UpdateAgentEvent } from './update-agent.js';

/** What a device needs to take firmware updates (from manufacturing and from the fleet). */
export interface DeviceFirmwareOptions {
  /** The image-signing keys its bootloader trusts (burned in at manufacturing). */
  readonly keyring: ImageKeyring;
  /** The image written into slot A at the first power-on. */
  readonly factoryImage: Uint8Array;
  /** The TUF root the device trusts at first (later roots only through rotation). */
  readonly trustedRoot: Uint8Array;
  /** The gateway's update endpoint (mutual TLS). */
  readonly endpoint: { readonly host: string; readonly port: number };
  /** Bytes per slot (default MODEL_SLOT_BYTES[model]). */
  readonly slotBytes?: number;
  /** Device-clock ms between update checks (default 1 h; 0: on demand only). */
  readonly checkIntervalMs?: number;
  readonly limits?: Partial<UpdateLimits>;
  /** Replaces the HTTPS channel and fetcher (tests). */
  readonly channel?: DirectorChannel;
  readonly fetcher?: Fetcher;
}

/** What the runtime gives the subsystem at power-on. */
export interface DeviceFirmwareContext {
  readonly deviceId: string;
  readonly model: string;
  readonly dataDir: string;
  readonly secureContext: SecureContext;
  readonly directorKey: PublicJwks['signing'] | undefined;
  readonly now: () => number;
  readonly onEvent: (event: UpdateAgentEvent) => void;
}

/** The firmware subsystem of one power cycle. */
export class DeviceFirmware {
  readonly bootloader: Bootloader;
  readonly boot: BootResult;
  readonly #agent: UpdateAgent | undefined;
  readonly #pool: Agent | undefined;

  private constructor(bootloader: Bootloader, boot: BootResult, agent: UpdateAgent | undefined, pool: Agent | undefined) {
    this.bootloader = bootloader;
    this.boot = boot;
    this.#agent = agent;
    this.#pool = pool;
  }

  /**
   * Provisions on the first power-on, opens and boots. Without a director key (a gateway that gave
   * none at enrolment) the device boots but takes no updates.
   */
  static async open(options: DeviceFirmwareOptions, context: DeviceFirmwareContext): Promise<DeviceFirmware> {
    const bootDir = join(context.dataDir, 'boot');
    const tufDir = join(context.dataDir, 'tuf');
    const bootOptions = { slotBytes: options.slotBytes ?? MODEL_SLOT_BYTES[context.model as keyof typeof MODEL_SLOT_BYTES] ?? 1024 * 1024, keyring: options.keyring, model: context.model };
    if (!existsSync(join(bootDir, 'boot-state.bin'))) Bootloader.provision(bootDir, bootOptions, options.factoryImage);
    if (!existsSync(join(tufDir, 'root.json'))) {
      mkdirSync(tufDir, { recursive: true, mode: 0o700 });
      await installTrustedRoot(tufDir, options.trustedRoot);
    }
    const bootloader = Bootloader.open(bootDir, bootOptions);
    const boot = bootloader.boot();
    if (context.directorKey === undefined) return new DeviceFirmware(bootloader, boot, undefined, undefined);
    const { host, port } = options.endpoint;
    // Two kept-alive connections for all update traffic: the gateway caps connections per device.
    const pool = new Agent({ keepAlive: true, maxSockets: 2 });
    const fetcher = options.fetcher ?? new HttpFetcher({ baseUrl: `https://${host}:${port}/v1/firmware/repository/`, agent: pool, tls: { secureContext: context.secureContext, servername: 'localhost' } });
    const channel = options.channel ?? new HttpDirectorChannel({ deviceId: context.deviceId, host, port, secureContext: context.secureContext, agent: pool });
    const agent = new UpdateAgent({
      deviceId: context.deviceId,
      model: context.model,
      bootloader,
      client: new UpdateClient({ metadataDir: tufDir, fetcher, ...(options.limits === undefined ? {} : { limits: options.limits }) }),
      channel,
      directorKey: context.directorKey,
      now: context.now,
      stateFile: join(context.dataDir, 'update-agent.json'),
      onEvent: context.onEvent,
    });
    return new DeviceFirmware(bootloader, boot, agent, pool);
  }

  /** The running version (undefined in safe mode: no application image runs). */
  get runningVersion(): string | undefined {
    return this.boot.mode === 'application' ? this.bootloader.status().running?.image.version : undefined;
  }

  /** The OTP security counter. */
  get securityCounter(): number {
    return this.bootloader.securityCounter;
  }

  /**
   * After boot: settles a trial (health check with the model's own `deviceCheck`, confirm or
   * revert). True: reboot now.
   */
  async settle(deviceCheck?: () => boolean): Promise<boolean> {
    return this.#agent?.afterBoot(this.boot, deviceCheck) ?? false;
  }

  /** One update check (see UpdateAgent.check). */
  async check(): Promise<CheckOutcome> {
    return this.#agent?.check() ?? { kind: 'none' };
  }

  close(): void {
    this.#pool?.destroy();
    this.bootloader.close();
  }
}
