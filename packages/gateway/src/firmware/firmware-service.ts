/**
 * The gateway side of signed firmware updates, assembled (issue 5; docs/firmware/gateway.md): the
 * repository storage, the rollout campaigns, the director, and the mTLS delivery listener for
 * devices. The user plane's /v1/firmware routes (firmware-routes.ts) act on the same parts.
 */
import type { Identity } from '@medsim/crypto';
import { join } from 'node:path';
import type { GatewayContext } from '../context.js';
import type { UserStore } from '../users/user-store.js';
import { BlobStore } from './blob-store.js';
import { Campaigns } from './campaigns.js';
import { DeliveryServer } from './delivery-server.js';
import { Director } from './director.js';
import { FirmwareStore, type MetadataSigner } from './firmware-store.js';

/** Options of FirmwareService. */
export interface FirmwareServiceOptions {
  readonly ctx: GatewayContext;
  readonly users: UserStore;
  /** The firmware directory (`<data dir>/firmware`): blobs go to `blobs/` inside it. */
  readonly dir: string;
  /** The director identity (bootstrap.ts creates it on first start). */
  readonly directorKey: Identity;
  /** Online metadata signing after each publication, and timestamp renewal (default: none). */
  readonly signer?: MetadataSigner & { renewTimestamp?(repository: FirmwareStore): Promise<Readonly<Record<string, Uint8Array>>> };
}

/** How often the timestamp is renewed: every 6 h, four times within its 1-day lifetime. */
export const TIMESTAMP_RENEWAL_MS = 6 * 3_600_000;

/** Storage, campaigns, director and delivery of one gateway. */
export class FirmwareService {
  readonly store: FirmwareStore;
  readonly campaigns: Campaigns;
  readonly director: Director;
  readonly delivery: DeliveryServer;
  readonly #signer: FirmwareServiceOptions['signer'];
  #renewal: NodeJS.Timeout | undefined;

  constructor(options: FirmwareServiceOptions) {
    this.#signer = options.signer;
    const { ctx } = options;
    const blobs = new BlobStore(join(options.dir, 'blobs'));
    this.store = new FirmwareStore({
      db: ctx.db,
      blobs,
      audit: ctx.audit,
      now: ctx.now,
      maxImageBytes: ctx.config['firmware.maxImageBytes'],
      ...(options.signer === undefined ? {} : { signer: options.signer }),
    });
    this.campaigns = new Campaigns({ ctx, users: options.users, store: this.store });
    this.director = new Director({ ctx, key: options.directorKey, campaigns: this.campaigns, ttlMs: ctx.config['firmware.instructionTtlS'] * 1000 });
    this.delivery = new DeliveryServer({
      config: ctx.config,
      tls: ctx.tls,
      devices: ctx.devices,
      audit: ctx.audit,
      logger: ctx.logger,
      now: ctx.now,
      store: this.store,
      blobs,
      director: this.director,
      campaigns: this.campaigns,
    });
  }

  /** Signs a new timestamp over the current snapshot, if anything was published (online keys). */
  async renewTimestamp(): Promise<void> {
    const files = (await this.#signer?.renewTimestamp?.(this.store)) ?? {};
    await this.store.putMetadata(files, { actor: 'gateway', role: 'system' });
  }

  /** Renews the timestamp every TIMESTAMP_RENEWAL_MS until stopRenewal() (failures are audited by the store). */
  startRenewal(intervalMs = TIMESTAMP_RENEWAL_MS): void {
    this.stopRenewal();
    this.#renewal = setInterval(() => void this.renewTimestamp().catch(() => undefined), intervalMs);
    this.#renewal.unref();
  }

  stopRenewal(): void {
    clearInterval(this.#renewal);
    this.#renewal = undefined;
  }
}
