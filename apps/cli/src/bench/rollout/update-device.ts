/**
 * One device of the rollout benchmark: a real device update stack without the rest of a simulated
 * device (no MQTT link, no session, no physiology), so a thousand fit in one process. It is what
 * DeviceFirmware (@medsim/devices) composes for a SimulatedDevice, built here so the benchmark can
 * meter its traffic and turn off flash fsync:
 *
 * - a Keystore (keys and CSR made inside), enrolled through the gateway's device registry;
 * - a Bootloader on files, provisioned with the factory image in slot A, booted (secure boot);
 * - per power cycle, an UpdateAgent with an UpdateClient over HttpFetcher and an
 *   HttpDirectorChannel, both over mutual TLS with the device's certificate and one kept-alive
 *   https.Agent of at most two sockets (as DeviceFirmware does: both pass the same TLS options, so
 *   they share one pool), both metered (traffic-meter.ts).
 *
 * An update is `check()` (director instruction, TUF refresh, download into slot B, install), then
 * `reboot()`: the connections drop, the bootloader is closed and reopened, boots the trial image,
 * and the agent's `afterBoot` runs the health check and confirms (or reverts). Flash writes are
 * not fsynced (`durability: 'none'`): every simulated device's flash is a file on the one disk of
 * this machine, written from one thread, which a fleet of real devices does not share; the agent's
 * own state file still is.
 */
import { mkdirSync } from 'node:fs';
import type { Agent } from 'node:https';
import { join } from 'node:path';
import type { SecureContext } from 'node:tls';
import {
  Bootloader,
  HttpDirectorChannel,
  Keystore,
  UpdateAgent,
  UpdateNotConfirmedError,
  type BootResult,
  type BootloaderOptions,
  type CheckOutcome,
  type DeviceEnrolment,
  type Provisioner,
  type UpdateAgentEvent,
} from '@medsim/devices';
import { HttpFetcher, UpdateClient, installTrustedRoot, type ImageKeyring } from '@medsim/firmware';
import type { TrafficMeter } from './traffic-meter.js';

/** What every device of the run shares: manufacturing material and where the gateway is. */
export interface DeviceFactory {
  readonly model: string;
  /** The image-signing keys its bootloader trusts. */
  readonly keyring: ImageKeyring;
  /** Written into slot A at provisioning. */
  readonly factoryImage: Uint8Array;
  /** The TUF root the device trusts at first. */
  readonly trustedRoot: Uint8Array;
  readonly slotBytes: number;
  /** The gateway's update endpoint (mutual TLS). */
  readonly endpoint: { readonly host: string; readonly port: number };
  readonly provisioner: Provisioner;
  readonly meter: TrafficMeter;
}

/** How an update ended on the device. */
export type UpdateResult = { readonly kind: 'confirmed' } | { readonly kind: 'failed'; readonly code: string };

/** An enrolment from a gateway that takes part in updates (it gave its director key). */
type Enrolment = DeviceEnrolment & { readonly directorKey: NonNullable<DeviceEnrolment['directorKey']> };

/** Sockets per pool of the device's https.Agent, as DeviceFirmware sets it. */
const SOCKETS_PER_POOL = 2;

/** One lean update device (see the file comment). */
export class UpdateDevice {
  readonly deviceId: string;
  readonly #factory: DeviceFactory;
  readonly #dir: string;
  readonly #keystore: Keystore;
  readonly #enrolment: Enrolment;
  #bootloader: Bootloader;
  #boot: BootResult;
  #link: { readonly pool: Agent; readonly agent: UpdateAgent } | undefined;
  #outcome: UpdateResult | undefined;

  private constructor(deviceId: string, factory: DeviceFactory, dir: string, keystore: Keystore, enrolment: Enrolment, bootloader: Bootloader, boot: BootResult) {
    this.deviceId = deviceId;
    this.#factory = factory;
    this.#dir = dir;
    this.#keystore = keystore;
    this.#enrolment = enrolment;
    this.#bootloader = bootloader;
    this.#boot = boot;
  }

  /** Makes the device's keys, enrols it, provisions slot A and the TUF root, and boots. */
  static async manufacture(deviceId: string, dir: string, factory: DeviceFactory): Promise<UpdateDevice> {
    const keystore = await Keystore.create(join(dir, 'keys'), deviceId);
    const enrolment = await factory.provisioner({ deviceId, model: factory.model, csrPem: keystore.csrPem, identity: keystore.publicIdentity() });
    const { directorKey } = enrolment;
    if (directorKey === undefined) throw new Error(`the gateway gave ${deviceId} no director key: it cannot take updates`);
    const bootOptions = UpdateDevice.#bootOptions(factory);
    Bootloader.provision(join(dir, 'boot'), bootOptions, factory.factoryImage);
    mkdirSync(join(dir, 'tuf'), { recursive: true, mode: 0o700 });
    await installTrustedRoot(join(dir, 'tuf'), factory.trustedRoot);
    const bootloader = Bootloader.open(join(dir, 'boot'), bootOptions);
    const boot = bootloader.boot();
    if (boot.mode !== 'application') {
      bootloader.close();
      throw new Error(`${deviceId} did not boot its factory image`);
    }
    return new UpdateDevice(deviceId, factory, dir, keystore, { ...enrolment, directorKey }, bootloader, boot);
  }

  static #bootOptions(factory: DeviceFactory): BootloaderOptions {
    return { slotBytes: factory.slotBytes, keyring: factory.keyring, model: factory.model, durability: 'none' };
  }

  /** The running version and the OTP security counter. */
  get running(): { readonly version: string | undefined; readonly securityCounter: number } {
    return { version: this.#bootloader.status().running?.image.version, securityCounter: this.#bootloader.securityCounter };
  }

  /** One update check: an instruction, then metadata, download and install; 'none' when the director has nothing yet. */
  async check(): Promise<CheckOutcome> {
    this.#outcome = undefined;
    return this.#connect().check();
  }

  /**
   * Power cycle after an install: the connections drop, the bootloader reopens and boots the trial
   * image, the agent checks its health and confirms or reverts (then boots the old image again).
   */
  async reboot(): Promise<UpdateResult> {
    this.#powerCycle();
    if (await this.#connect().afterBoot(this.#boot)) this.#powerCycle();
    this.disconnect();
    return this.#outcome ?? { kind: 'failed', code: new UpdateNotConfirmedError('the trial ended without an outcome').code };
  }

  /** Drops the device's update connections (it waits for its stage, or is done). */
  disconnect(): void {
    this.#link?.pool.destroy();
    this.#link = undefined;
  }

  /** Powers the device off. */
  close(): void {
    this.disconnect();
    this.#bootloader.close();
  }

  #powerCycle(): void {
    this.disconnect();
    this.#bootloader.close();
    this.#bootloader = Bootloader.open(join(this.#dir, 'boot'), UpdateDevice.#bootOptions(this.#factory));
    this.#boot = this.#bootloader.boot();
  }

  /** The update stack of this power cycle, over kept-alive mTLS connections. */
  #connect(): UpdateAgent {
    if (this.#link !== undefined) return this.#link.agent;
    const { meter, endpoint } = this.#factory;
    // Built from the keystore at each power-up, as the device's runtime does.
    const secureContext: SecureContext = this.#keystore.tlsSecureContext({ certificatePem: this.#enrolment.certificatePem, caCertificatePem: this.#enrolment.caCertificatePem });
    const pool = meter.agent({ keepAlive: true, maxSockets: SOCKETS_PER_POOL });
    const fetcher = new HttpFetcher({ baseUrl: `https://${endpoint.host}:${endpoint.port}/v1/firmware/repository/`, agent: pool, tls: { secureContext, servername: 'localhost' } });
    const channel = new HttpDirectorChannel({ deviceId: this.deviceId, host: endpoint.host, port: endpoint.port, secureContext, agent: pool });
    const agent = new UpdateAgent({
      deviceId: this.deviceId,
      model: this.#factory.model,
      bootloader: this.#bootloader,
      client: new UpdateClient({ metadataDir: join(this.#dir, 'tuf'), fetcher: meter.fetcher(fetcher) }),
      channel: meter.channel(channel),
      directorKey: this.#enrolment.directorKey,
      now: Date.now,
      stateFile: join(this.#dir, 'update-agent.json'),
      onEvent: (event) => this.#onEvent(event),
    });
    this.#link = { pool, agent };
    return agent;
  }

  #onEvent(event: UpdateAgentEvent): void {
    if (event.kind === 'confirmed') this.#outcome = { kind: 'confirmed' };
    else if (event.kind === 'reverted' || event.kind === 'refused') this.#outcome ??= { kind: 'failed', code: event.code };
  }
}
