/**
 * createGateway(options) → listen() → close(): the telehealth gateway as a library. One data
 * directory, one configuration, three listeners: the device plane (MQTT over mTLS), the user
 * plane (HTTPS API + WebSocket) and firmware update delivery (HTTPS over mTLS, devices only).
 */
import { createLogger, type LoggerOptions } from '@medsim/logging';

type LoggerLevel = NonNullable<LoggerOptions['level']>;
import type { Logger } from 'pino';
import { openGatewayState, type GatewayState } from './bootstrap.js';
import { loadConfig, type ConfigSources, type GatewayConfig } from './config/config.js';
import type { GatewayContext } from './context.js';
import { DevicePlane } from './device-plane/broker.js';
import { DeviceSessions } from './device-plane/device-sessions.js';
import { DeviceDownlinks } from './device-plane/downlinks.js';
import { BleCentral } from './device-plane/ble-central.js';
import { RateLimiter } from './limits/rate-limit.js';
import type { Noble } from '@stoprocent/noble';
import { Ingest } from './device-plane/ingest.js';
import { Checkpointer, SAFETY_NET_PAGES } from './store/checkpointer.js';
import { TherapyCommands } from './therapy/therapy-commands.js';
import { FirmwareService } from './firmware/firmware-service.js';
import { OnlineMetadataSigner } from './firmware/online-metadata-signer.js';
import type { OpenDatabaseOptions } from './store/database.js';
import { DATA_FILES } from './data-dir.js';
import { createUserPlane, type UserPlaneOptions } from './user-plane/server.js';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { generatePassword } from './users/password.js';
import { UserStore } from './users/user-store.js';

/** Options of createGateway. */
export interface GatewayOptions {
  /** A validated configuration; or `sources` to build one. */
  readonly config?: GatewayConfig;
  readonly sources?: ConfigSources;
  readonly logger?: Logger;
  /** Wall clock (tests pass a controllable one). */
  readonly now?: () => number;
  /** Store options (tests simulate a full disk with maxPageCount). */
  readonly database?: OpenDatabaseOptions;
  /** User-plane tuning (tests). */
  readonly userPlane?: UserPlaneOptions;
  /**
   * A BLE central on this noble instance (the virtual radio's `createNoble(radio)`, or noble's
   * default HCI instance on real hardware): BLE devices' envelopes join the same ingest path.
   */
  readonly ble?: { readonly noble: Noble };
}

/** Where a listening gateway can be reached. */
export interface GatewayAddresses {
  readonly host: string;
  readonly mqttPort: number;
  readonly httpPort: number;
  /** The firmware update delivery listener (HTTPS, mutual TLS). */
  readonly firmwarePort: number;
}

/** The first admin's credentials, shown once. */
export interface FirstAdmin {
  readonly username: string;
  readonly password: string;
  /** otpauth:// URI of the admin's TOTP secret (admins always need a second factor). */
  readonly totpUri: string;
}

/** A gateway. */
export class Gateway {
  readonly context: GatewayContext;
  readonly state: GatewayState;
  readonly devicePlane: DevicePlane;
  readonly ingest: Ingest;
  readonly sessions: DeviceSessions;
  readonly users: UserStore;
  /** How each device can be reached now (MQTT connections register here; a BLE central may too). */
  readonly downlinks: DeviceDownlinks;
  /** Therapy commands: orders, confirmations, signing, delivery and acknowledgements. */
  readonly therapy: TherapyCommands;
  /** Firmware updates: repository storage, rollout campaigns, director, delivery listener. */
  readonly firmware: FirmwareService;
  /** The BLE central, when the gateway was given a noble instance. */
  readonly bleCentral: BleCentral | undefined;
  #addresses: GatewayAddresses | undefined;
  #app: FastifyInstance | undefined;
  #checkpointer: Checkpointer | undefined;
  readonly #userPlaneOptions: UserPlaneOptions;
  #closed = false;

  constructor(state: GatewayState, userPlaneOptions: UserPlaneOptions = {}, ble?: GatewayOptions['ble']) {
    this.#userPlaneOptions = userPlaneOptions;
    this.state = state;
    this.context = state.context;
    const ctx = state.context;
    this.users = UserStore.fromContext(ctx);
    this.sessions = new DeviceSessions({ db: ctx.db, dataKey: ctx.dataKey, identity: state.identity, devices: ctx.devices, now: ctx.now });
    this.downlinks = new DeviceDownlinks();
    this.therapy = new TherapyCommands({ ctx, users: this.users, link: { commandKey: state.commandKey, sessions: this.sessions, downlinks: this.downlinks } });
    this.firmware = new FirmwareService({
      ctx,
      users: this.users,
      dir: state.dataDir.file(DATA_FILES.firmware),
      directorKey: state.directorKey,
      signer: new OnlineMetadataSigner(state.onlineKeys, ctx.now),
    });
    this.ingest = new Ingest({
      db: ctx.db,
      readings: ctx.readings,
      feed: ctx.feed,
      audit: ctx.audit,
      devices: ctx.devices,
      sessions: this.sessions,
      now: ctx.now,
      onCommitted: (envelope) => this.therapy.handleCommitted(envelope),
    });
    // One handshake budget per device across both planes.
    const handshakes = new RateLimiter(ctx.config['mqtt.handshakesPerMinute'], ctx.now);
    this.devicePlane = new DevicePlane({
      config: ctx.config,
      tls: ctx.tls,
      devices: ctx.devices,
      sessions: this.sessions,
      ingest: this.ingest,
      audit: ctx.audit,
      logger: ctx.logger.child({ component: 'device-plane' }),
      now: ctx.now,
      downlinks: this.downlinks,
      handshakes,
    });
    this.bleCentral =
      ble === undefined
        ? undefined
        : new BleCentral({
            noble: ble.noble,
            devices: ctx.devices,
            sessions: this.sessions,
            ingest: this.ingest,
            downlinks: this.downlinks,
            audit: ctx.audit,
            logger: ctx.logger.child({ component: 'ble-central' }),
            handshakes,
            maxConnections: ctx.config['ble.maxConnections'],
          });
  }

  /** The bound addresses (after listen). */
  get addresses(): GatewayAddresses {
    if (this.#addresses === undefined) throw new Error('the gateway is not listening');
    return this.#addresses;
  }

  /** Starts the listeners. */
  async listen(): Promise<GatewayAddresses> {
    const { config } = this.context;
    this.#checkpointer = Checkpointer.start(this.state.dataDir.file(DATA_FILES.database), this.context.db, 500, (code) =>
      this.context.logger.warn({ code }, 'WAL checkpoint failed; the writer checkpoints by itself past the safety net'),
    );
    this.context.db.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
    this.#app = await createUserPlane(this.context, { users: this.users, therapy: this.therapy, firmware: this.firmware }, this.#userPlaneOptions);
    await this.#app.listen({ host: config.host, port: config['http.port'] });
    const httpPort = (this.#app.server.address() as AddressInfo).port;
    const mqttPort = await this.devicePlane.listen(config['mqtt.port'], config.host);
    const firmwarePort = await this.firmware.delivery.listen(config['firmware.port'], config.host);
    this.firmware.startRenewal();
    this.#addresses = { host: config.host, mqttPort, httpPort, firmwarePort };
    await this.bleCentral?.start();
    this.context.audit.record({ event: 'gateway.start', outcome: 'success', severity: 'info', actor: 'system' });
    return this.#addresses;
  }

  /**
   * First start: when there is no user at all, creates the admin with a generated password (and
   * its TOTP secret) and returns them, to be shown once (S7: no default credentials). Returns
   * undefined when users exist.
   */
  async ensureFirstAdmin(username = 'admin'): Promise<FirstAdmin | undefined> {
    if (this.users.count() > 0) return undefined;
    const password = generatePassword();
    const { id, totpUri } = await this.users.createUser({ username, role: 'admin', password });
    this.context.audit.record({ event: 'user.create', outcome: 'success', severity: 'medium', actor: 'system', object: id, role: 'admin' });
    return { username, password, totpUri: totpUri! };
  }

  /** Stops the listeners and closes the store. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.bleCentral?.stop();
      await this.#app?.close();
      this.firmware.stopRenewal();
      if (this.#addresses !== undefined) await Promise.all([this.devicePlane.close(), this.firmware.delivery.close()]);
      this.context.audit.record({ event: 'gateway.stop', outcome: 'success', severity: 'info', actor: 'system' });
    } catch (error) {
      // A full disk must not keep the store open: the stop entry is lost, the log says why.
      this.context.logger.error({ err: error }, 'gateway stop could not be audited');
    } finally {
      await this.#checkpointer?.stop();
      this.context.db.close();
    }
  }
}

/** Opens the data directory (creating it on first start) and builds a gateway; call listen(). */
export async function createGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const config = options.config ?? loadConfig(options.sources);
  const logger = options.logger ?? createLogger({ name: 'medsim-gateway', level: config['log.level'] as LoggerLevel });
  const state = await openGatewayState({ config, logger, now: options.now ?? Date.now, ...(options.database ? { database: options.database } : {}) });
  return new Gateway(state, options.userPlane, options.ble);
}
