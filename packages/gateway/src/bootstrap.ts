/**
 * First start and every start: opens the data directory and creates what is missing, each
 * secret once and 0600 (CTL-10, CTL-11): the data key, the local CA and the server
 * certificate, the gateway's device-plane identity (X25519 + Ed25519 JWKs), the token
 * signing key, the therapy command-signing key, the firmware director key and the TUF online
 * (snapshot, timestamp) keys; then the database,
 * the audit trail and the shared services.
 */
import { Identity, type PrivateJwks } from '@medsim/crypto';
import { AuditStream } from '@medsim/logging';
import { OnlineKeys } from './firmware/online-metadata-signer.js';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import type { Logger } from 'pino';
import { AuditLog } from './audit/audit-log.js';
import type { GatewayConfig } from './config/config.js';
import type { GatewayContext, TokenKey } from './context.js';
import { DATA_FILES, DataDir } from './data-dir.js';
import { DeviceRegistry } from './devices/device-registry.js';
import { GatewayError } from './errors.js';
import { LocalCa } from './pki/local-ca.js';
import { DataKey } from './store/at-rest.js';
import { openDatabase, type OpenDatabaseOptions } from './store/database.js';
import { ReadingFeed, ReadingStore } from './store/readings.js';

/** A started gateway's state before its listeners exist. */
export interface GatewayState {
  readonly context: GatewayContext;
  readonly dataDir: DataDir;
  readonly ca: LocalCa;
  readonly identity: Identity;
  /**
   * Signs therapy commands, and nothing else (CTL-11 key separation: a leak of the session
   * identity or the token key does not let anyone command a pump). Only its Ed25519 half is
   * used and published (at enrolment, as `commandSigner`).
   */
  readonly commandKey: Identity;
  /**
   * Signs firmware director instructions, and nothing else (CTL-11); its Ed25519 half is published
   * at enrolment as `directorKey`.
   */
  readonly directorKey: Identity;
  /** The TUF snapshot and timestamp keys (online signing of the update repository). */
  readonly onlineKeys: OnlineKeys;
}

async function loadOrCreateCa(dir: DataDir): Promise<LocalCa> {
  if (!dir.has(DATA_FILES.caKey)) {
    const { ca, keyPem } = await LocalCa.create();
    dir.writeSecret(DATA_FILES.caKey, keyPem);
    dir.writePublic(DATA_FILES.caCert, ca.certPem);
    return ca;
  }
  return LocalCa.load(dir.readPublic(DATA_FILES.caCert), dir.readSecret(DATA_FILES.caKey).toString('utf8'));
}

async function loadOrCreateServerCert(dir: DataDir, ca: LocalCa): Promise<{ certPem: string; keyPem: string }> {
  if (!dir.has(DATA_FILES.serverKey)) {
    const issued = await ca.issueServer({ dns: ['localhost'], ip: ['127.0.0.1', '::1'] });
    dir.writeSecret(DATA_FILES.serverKey, issued.keyPem);
    dir.writePublic(DATA_FILES.serverCert, issued.certPem);
    return issued;
  }
  return { certPem: dir.readPublic(DATA_FILES.serverCert), keyPem: dir.readSecret(DATA_FILES.serverKey).toString('utf8') };
}

async function loadOrCreateIdentity(dir: DataDir): Promise<Identity> {
  if (!dir.has(DATA_FILES.gatewayIdentity)) {
    const identity = await Identity.generate();
    dir.writeSecret(DATA_FILES.gatewayIdentity, JSON.stringify(identity.exportPrivateJwks()));
    return identity;
  }
  return Identity.fromPrivateJwks(JSON.parse(dir.readSecret(DATA_FILES.gatewayIdentity).toString('utf8')) as PrivateJwks);
}

/** The therapy command key or the firmware director key: an Ed25519 signer in its own 0600 file. */
async function loadOrCreateSigningKey(dir: DataDir, file: typeof DATA_FILES.commandKey | typeof DATA_FILES.directorKey): Promise<Identity> {
  // Held in an Identity because @medsim/crypto's signDetached() and signJws() sign with one; its
  // X25519 half is generated with it but never used or published.
  if (!dir.has(file)) {
    const key = await Identity.generate();
    dir.writeSecret(file, JSON.stringify(key.exportPrivateJwks()));
    return key;
  }
  return Identity.fromPrivateJwks(JSON.parse(dir.readSecret(file).toString('utf8')) as PrivateJwks);
}

function loadOrCreateOnlineKeys(dir: DataDir): OnlineKeys {
  if (!dir.has(DATA_FILES.firmwareOnlineKeys)) {
    const keys = OnlineKeys.generate();
    dir.writeSecret(DATA_FILES.firmwareOnlineKeys, keys.serialize());
    return keys;
  }
  return OnlineKeys.parse(dir.readSecret(DATA_FILES.firmwareOnlineKeys).toString('utf8'));
}

async function loadOrCreateTokenKey(dir: DataDir): Promise<TokenKey> {
  if (!dir.has(DATA_FILES.tokenKey)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    dir.writeSecret(DATA_FILES.tokenKey, JSON.stringify(privateKey.export({ format: 'jwk' })));
  }
  const jwk = JSON.parse(dir.readSecret(DATA_FILES.tokenKey).toString('utf8')) as JWK;
  const privateKey = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
  const publicKey = createPublicKey(privateKey);
  return { kid: await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: String(jwk.x) }), privateKey, publicKey };
}

function loadOrCreateDataKey(dir: DataDir): DataKey {
  if (!dir.has(DATA_FILES.dataKey)) dir.writeSecret(DATA_FILES.dataKey, DataKey.generate());
  return new DataKey(dir.readSecret(DATA_FILES.dataKey));
}

/** Options of openGatewayState. */
export interface OpenStateOptions {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly now: () => number;
  readonly database?: OpenDatabaseOptions;
}

/** Opens (creating on first start) everything in the data directory. */
export async function openGatewayState(options: OpenStateOptions): Promise<GatewayState> {
  const { config, logger, now } = options;
  const dataDir = DataDir.open(config.dataDir);
  // The database is created before any key, so a data directory whose data key exists has a
  // database too: a missing one is damage (F8), never a reason to start empty.
  const initialised = dataDir.has(DATA_FILES.dataKey);
  const db = openDatabase(dataDir.file(DATA_FILES.database), { ...options.database, mustExist: initialised });
  if (!initialised && (db.prepare('SELECT (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM devices) AS n').get() as { n: number }).n > 0) {
    db.close();
    throw new GatewayError('ERR_DATA_DIR', 'the data key is missing but the database holds data encrypted under it; restore the key from backup');
  }
  let keys;
  try {
    const dataKey = loadOrCreateDataKey(dataDir);
    const ca = await loadOrCreateCa(dataDir);
    keys = {
      dataKey,
      ca,
      server: await loadOrCreateServerCert(dataDir, ca),
      identity: await loadOrCreateIdentity(dataDir),
      tokenKey: await loadOrCreateTokenKey(dataDir),
      commandKey: await loadOrCreateSigningKey(dataDir, DATA_FILES.commandKey),
      directorKey: await loadOrCreateSigningKey(dataDir, DATA_FILES.directorKey),
      onlineKeys: loadOrCreateOnlineKeys(dataDir),
    };
  } catch (error) {
    db.close();
    throw error;
  }
  const { dataKey, ca, server, identity, tokenKey, commandKey, directorKey, onlineKeys } = keys;
  const audit = new AuditStream(logger, now);
  audit.addSink(new AuditLog(db));
  const devices = new DeviceRegistry({
    db,
    ca,
    audit,
    gatewayIdentity: identity.publicJwks(),
    commandSigner: commandKey.public.signing.jwk,
    directorKey: directorKey.public.signing.jwk,
    now,
    tokenTtlMs: config['enrolment.tokenTtlS'] * 1000,
    certificateDays: config['enrolment.certificateDays'],
  });
  await devices.load();
  const context: GatewayContext = {
    config,
    db,
    dataKey,
    audit,
    logger,
    now,
    tokenKey,
    tls: { caPem: ca.certPem, certPem: server.certPem, keyPem: server.keyPem },
    devices,
    readings: new ReadingStore(db, dataKey),
    feed: new ReadingFeed(),
  };
  return { context, dataDir, ca, identity, commandKey, directorKey, onlineKeys };
}
