/**
 * @medsim/firmware: signed firmware updates (issue 5, docs/firmware/).
 *
 * - image/: the signed image format (header, payload, MCUboot-style TLVs), deterministic builds,
 *   optional per-model encryption, strict parsing, verification in one piece or streaming.
 * - director/: the per-device instruction (Uptane director), a JWS the device checks against TUF.
 */
export * from './errors.js';
export * from './image/format.js';
export * from './image/version.js';
export * from './image/image-key.js';
export * from './image/payload.js';
export * from './image/image.js';
export * from './image/stream-verifier.js';
export * from './director/director-instruction.js';
