/**
 * createGateway(options) → listen() → close(): the telehealth gateway as a library. One data
 * directory, one configuration, two listeners: the device plane (MQTT over mTLS) and the user
 * plane (HTTPS API + WebSocket).
 */
import { createLogger, type LoggerOptions } from '@medsim/logging';

type LoggerLevel = NonNullable<LoggerOptions['level']>;
import type { Logger } from 'pino';
import { openGatewayState, type GatewayState } from './bootstrap.js';
import { loadConfig, type ConfigSources, type GatewayConfig } from './config/config.js';
import type { GatewayContext } from './context.js';
import { DevicePlane } from './device-plane/broker.js';
import { DeviceSessions } from './device-plane/device-sessions.js';
import { Ingest } from './device-plane/ingest.js';
import type { OpenDatabaseOptions } from './store/database.js';

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
}

/** Where a listening gateway can be reached. */
export interface GatewayAddresses {
  readonly host: string;
  readonly mqttPort: number;
}

/** A gateway. */
export class Gateway {
  readonly context: GatewayContext;
  readonly state: GatewayState;
  readonly devicePlane: DevicePlane;
  readonly ingest: Ingest;
  readonly sessions: DeviceSessions;
  #addresses: GatewayAddresses | undefined;
  #closed = false;

  constructor(state: GatewayState) {
    this.state = state;
    this.context = state.context;
    const ctx = state.context;
    this.sessions = new DeviceSessions({ db: ctx.db, dataKey: ctx.dataKey, identity: state.identity, devices: ctx.devices, now: ctx.now });
    this.ingest = new Ingest({ db: ctx.db, readings: ctx.readings, feed: ctx.feed, audit: ctx.audit, devices: ctx.devices, sessions: this.sessions, now: ctx.now });
    this.devicePlane = new DevicePlane({
      config: ctx.config,
      tls: ctx.tls,
      devices: ctx.devices,
      sessions: this.sessions,
      ingest: this.ingest,
      audit: ctx.audit,
      logger: ctx.logger.child({ component: 'device-plane' }),
    });
  }

  /** The bound addresses (after listen). */
  get addresses(): GatewayAddresses {
    if (this.#addresses === undefined) throw new Error('the gateway is not listening');
    return this.#addresses;
  }

  /** Starts both listeners. */
  async listen(): Promise<GatewayAddresses> {
    const { config } = this.context;
    const mqttPort = await this.devicePlane.listen(config['mqtt.port'], config.host);
    this.#addresses = { host: config.host, mqttPort };
    this.context.audit.record({ event: 'gateway.start', outcome: 'success', severity: 'info', actor: 'system' });
    return this.#addresses;
  }

  /** Stops both listeners and closes the store. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#addresses !== undefined) await this.devicePlane.close();
    this.context.audit.record({ event: 'gateway.stop', outcome: 'success', severity: 'info', actor: 'system' });
    this.context.db.close();
  }
}

/** Opens the data directory (creating it on first start) and builds a gateway; call listen(). */
export async function createGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const config = options.config ?? loadConfig(options.sources);
  const logger = options.logger ?? createLogger({ name: 'medsim-gateway', level: config['log.level'] as LoggerLevel });
  const state = await openGatewayState({ config, logger, now: options.now ?? Date.now, ...(options.database ? { database: options.database } : {}) });
  return new Gateway(state);
}
