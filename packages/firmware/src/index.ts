/**
 * @medsim/firmware: signed firmware updates (issue 5, docs/firmware/).
 *
 * - image/: the signed image format (header, payload, MCUboot-style TLVs), deterministic builds,
 *   optional per-model encryption, strict parsing, verification in one piece or streaming.
 * - director/: the per-device instruction (Uptane director), a JWS the device checks against TUF.
 * - tuf/: the TUF image repository (offline root and targets signing, online snapshot and
 *   timestamp signing, rotation and revocation) and the device's update client (tuf-js over a
 *   Fetcher, resumable verified downloads, a typed refusal for every attack).
 */
export * from './errors.js';
export * from './image/format.js';
export * from './image/version.js';
export * from './image/image-key.js';
export * from './image/payload.js';
export * from './image/image.js';
export * from './image/stream-verifier.js';
export * from './director/director-instruction.js';
export * from './tuf/keys.js';
export * from './tuf/repository.js';
export * from './tuf/root.js';
export * from './tuf/targets.js';
export * from './tuf/online-signer.js';
export * from './tuf/fetcher.js';
export * from './tuf/http-fetcher.js';
export * from './tuf/tuf-fetcher.js';
export { DownloadCheckpoint, isResumable, type DownloadResult, type DownloadSink, type FirmwareTarget } from './tuf/download.js';
export * from './tuf/metadata-store.js';
export * from './tuf/target-checks.js';
export * from './tuf/update-client.js';
