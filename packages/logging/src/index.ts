/**
 * @medsim/logging: createLogger() with the shared PHI and secret redact list, and the audit
 * stream that every security event goes through.
 */
export * from './redact.js';
export * from './logger.js';
export * from './audit-stream.js';
