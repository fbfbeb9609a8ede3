/**
 * What every part of a running gateway shares: configuration, the store, the data key, the
 * audit stream, the clock, the keys, and the services the two planes both use. Built once by
 * createGateway(); nothing here is a module-level singleton, so tests run many gateways in one
 * process.
 */
import type { AuditStream } from '@medsim/logging';
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config/config.js';
import type { DeviceRegistry } from './devices/device-registry.js';
import type { ReadingFeed } from './store/readings.js';
import type { ReadingStore } from './store/readings.js';
import type { DataKey } from './store/at-rest.js';
import type { Database } from './store/database.js';

/** The Ed25519 key that signs access tokens (EdDSA JWTs). */
export interface TokenKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** TLS material served by both listeners. */
export interface TlsMaterial {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** The shared state of one gateway. */
export interface GatewayContext {
  readonly config: GatewayConfig;
  readonly db: Database;
  readonly dataKey: DataKey;
  readonly audit: AuditStream;
  readonly logger: Logger;
  /** Wall clock, ms since the Unix epoch (tests substitute a controllable one). */
  readonly now: () => number;
  readonly tokenKey: TokenKey;
  readonly tls: TlsMaterial;
  readonly devices: DeviceRegistry;
  readonly readings: ReadingStore;
  /** Committed readings, as they are committed (the WebSocket live stream listens here). */
  readonly feed: ReadingFeed;
}
