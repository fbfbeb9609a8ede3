/**
 * @medsim/crypto: the tuned crypto path. Identities (Ed25519 + X25519 JWKs, RFC 7638 kids),
 * sessions established with HPKE (RFC 9180) and carried by AES-256-GCM envelopes with per-stream
 * replay windows, the per-message JWE baseline, Ed25519 signatures and streaming SHA-256.
 */
export * from './errors.js';
export * from './identity.js';
export * from './envelope.js';
export * from './session/rekey-policy.js';
export * from './session/secure-session.js';
export * from './session/handshake.js';
export * from './session/session-registry.js';
export * from './signatures.js';
export * from './jwe-baseline.js';
export * from './digest.js';
export { DEFAULT_REPLAY_WINDOW, ReplayWindow, type ReplayWindowSnapshot } from './replay-window.js';
