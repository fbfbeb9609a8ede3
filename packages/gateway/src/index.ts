/**
 * @medsim/gateway: the telehealth gateway. createGateway() → listen() → close().
 */
export * from './errors.js';
export * from './config/config.js';
export * from './gateway.js';
export type { GatewayContext, TokenKey, TlsMaterial } from './context.js';
export { DATA_FILES, DataDir } from './data-dir.js';
export { openDatabase, type Database } from './store/database.js';
export { DataKey } from './store/at-rest.js';
export type { ReadingJson, ReadingQuery } from './store/readings.js';
export { verifyAuditChain, exportAuditLog, queryAuditLog, type AuditEntry, type AuditVerification } from './audit/audit-log.js';
export type { DeviceRecord, EnrolmentResult } from './devices/device-registry.js';
export { deviceUri } from './pki/local-ca.js';
export { TLS12_AEAD_CIPHERS } from './device-plane/broker.js';
export * from './user-plane/index.js';
