/**
 * Building, signing, parsing and verifying firmware images (format.ts has the layout).
 *
 * - `buildImage(spec, key)`: header + deterministic payload + TLVs; the same spec and key give the
 *   same bytes (Ed25519 signatures are deterministic).
 * - `parseImage(bytes)`: structure only, strictly (magic, sizes, reserved bytes, flags, TLV framing,
 *   exact length); never trusts a field before checking it against the bytes.
 * - `verifyImage(bytes, keyring)`: parse, then hash and signature under a trusted, unrevoked key:
 *   what the bootloader does at every start (secure boot) and the installer before switching slots.
 *
 * Encrypted images (flag ENCRYPTED) carry their payload AES-256-CTR encrypted under the model's
 * content key; hash and signature cover the plaintext, so a slot holds and verifies the plaintext
 * (`decryptImage`), as MCUboot's encrypted images do.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import {
  HEADER_SIZE,
  IMAGE_FLAGS,
  IMAGE_FORMAT_VERSION,
  IMAGE_LIMITS,
  IMAGE_MAGIC,
  IV_SIZE,
  KNOWN_FLAGS,
  MODEL_FIELD_SIZE,
  MODEL_NAME,
  OFFSET,
  TLV_CRITICAL,
  TLV_INFO_MAGIC,
  TLV_INFO_SIZE,
  TLV_TYPES,
} from './format.js';
import { ImageHashMismatchError, ImageSignatureError, ImageTooLargeError, InvalidImageSpecError, MalformedImageError, UnknownCriticalError, UntrustedImageKeyError } from '../errors.js';
import { type ImageKeyring, type ImageSigningKey } from './image-key.js';
import { buildPayload, readDescriptor, type FirmwareDescriptor } from './payload.js';
import { formatVersion, parseVersion, type FirmwareVersion } from './version.js';

/** What to build. */
export interface ImageSpec {
  readonly model: string;
  /** MAJOR.MINOR.PATCH. */
  readonly version: string;
  /** Anti-rollback counter (u32): a device never installs an image with a lower one than it has seen. */
  readonly securityCounter: number;
  /** Build time, ms since the epoch (an input: builds are reproducible). */
  readonly buildTimeMs: number;
  /** Payload bytes (default 256 KiB). */
  readonly payloadSize?: number;
  /** What the simulated firmware's post-boot self-test reports (default 'pass'). */
  readonly selfTest?: 'pass' | 'fail';
}

/** The header fields of an image. */
export interface ImageHeader {
  readonly flags: number;
  readonly encrypted: boolean;
  readonly payloadSize: number;
  readonly securityCounter: number;
  readonly version: FirmwareVersion;
  readonly versionText: string;
  readonly buildTimeMs: number;
  readonly model: string;
  readonly iv: Uint8Array;
}

/** An image whose structure checked out (not yet its hash or signature). */
export interface ParsedImage {
  readonly header: ImageHeader;
  /** Header and payload: what the hash covers. */
  readonly signedPart: Uint8Array;
  readonly payload: Uint8Array;
  /** SHA-256 from the hash TLV, the key hash from the KEYHASH TLV, and the signature. */
  readonly hash: Uint8Array;
  readonly keyHash: string;
  readonly signature: Uint8Array;
  /** Bytes of the whole image (header, payload, TLV area). */
  readonly totalSize: number;
}

/** An image whose hash and signature verified under a trusted key. */
export interface VerifiedImage extends ParsedImage {
  /** The simulated firmware's descriptor (undefined when the payload has none, e.g. still encrypted). */
  readonly descriptor: FirmwareDescriptor | undefined;
}

function checkSpec(spec: ImageSpec): void {
  if (!MODEL_NAME.test(spec.model)) throw new InvalidImageSpecError('model must be a-z, 0-9 and -, starting with a letter, 1 to 32 characters', { details: { field: 'model' } });
  parseVersion(spec.version);
  if (!Number.isInteger(spec.securityCounter) || spec.securityCounter < 0 || spec.securityCounter > 0xffff_ffff) {
    throw new InvalidImageSpecError('securityCounter must be a whole number from 0 to 4294967295', { details: { field: 'securityCounter' } });
  }
  if (!Number.isSafeInteger(spec.buildTimeMs) || spec.buildTimeMs < 0) throw new InvalidImageSpecError('buildTimeMs must be a whole number of ms since the epoch', { details: { field: 'buildTimeMs' } });
}

/** The 128-byte header. */
export function encodeHeader(fields: Omit<ImageHeader, 'encrypted' | 'versionText'>): Uint8Array {
  const h = Buffer.alloc(HEADER_SIZE);
  IMAGE_MAGIC.copy(h, OFFSET.magic);
  h.writeUInt8(IMAGE_FORMAT_VERSION, OFFSET.formatVersion);
  h.writeUInt16BE(fields.flags, OFFSET.flags);
  h.writeUInt16BE(HEADER_SIZE, OFFSET.headerSize);
  h.writeUInt32BE(fields.payloadSize, OFFSET.payloadSize);
  h.writeUInt32BE(fields.securityCounter, OFFSET.securityCounter);
  h.writeUInt16BE(fields.version.major, OFFSET.versionMajor);
  h.writeUInt16BE(fields.version.minor, OFFSET.versionMinor);
  h.writeUInt32BE(fields.version.patch, OFFSET.versionPatch);
  h.writeBigUInt64BE(BigInt(fields.buildTimeMs), OFFSET.buildTime);
  h.write(fields.model, OFFSET.model, MODEL_FIELD_SIZE, 'ascii');
  Buffer.from(fields.iv).copy(h, OFFSET.iv);
  return new Uint8Array(h.buffer, h.byteOffset, h.length);
}

function tlv(type: number, value: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + value.length);
  out.writeUInt16BE(type, 0);
  out.writeUInt16BE(value.length, 2);
  out.set(value, 4);
  return out;
}

/** The TLV area for a signed part: KEYHASH, SHA256, ED25519 (plus `extra` TLVs, for tests of unknown ones). */
export function tlvArea(signedPart: Uint8Array, key: ImageSigningKey, extra: readonly { type: number; value: Uint8Array }[] = []): Uint8Array {
  const hash = createHash('sha256').update(signedPart).digest();
  const entries = [tlv(TLV_TYPES.KEYHASH, Buffer.from(key.keyHash, 'hex')), tlv(TLV_TYPES.SHA256, hash), tlv(TLV_TYPES.ED25519, key.sign(hash)), ...extra.map((e) => tlv(e.type, e.value))];
  const info = Buffer.alloc(TLV_INFO_SIZE);
  const size = TLV_INFO_SIZE + entries.reduce((n, e) => n + e.length, 0);
  info.writeUInt16BE(TLV_INFO_MAGIC, 0);
  info.writeUInt16BE(size, 2);
  return new Uint8Array(Buffer.concat([info, ...entries]));
}

/** Builds and signs a plaintext image for `spec`. */
export function buildImage(spec: ImageSpec, key: ImageSigningKey): Uint8Array {
  checkSpec(spec);
  const payload = buildPayload({ model: spec.model, version: spec.version, selfTest: spec.selfTest ?? 'pass' }, spec.payloadSize ?? 256 * 1024);
  const header = encodeHeader({ flags: 0, payloadSize: payload.length, securityCounter: spec.securityCounter, version: parseVersion(spec.version), buildTimeMs: spec.buildTimeMs, model: spec.model, iv: new Uint8Array(IV_SIZE) });
  const signedPart = Buffer.concat([header, payload]);
  return new Uint8Array(Buffer.concat([signedPart, tlvArea(signedPart, key)]));
}

/**
 * Encrypts a plaintext image's payload under a 32-byte content key (AES-256-CTR, a fresh random IV
 * in the header) and re-signs: hash and signature cover the header (flag and IV included) and the
 * plaintext payload, so decryptImage() gives back a verifiable plaintext image.
 */
export function encryptImage(plainImage: Uint8Array, contentKey: Uint8Array, key: ImageSigningKey, iv: Uint8Array = randomBytes(IV_SIZE)): Uint8Array {
  const parsed = parseImage(plainImage);
  if (parsed.header.encrypted) throw new InvalidImageSpecError('the image is already encrypted', { details: { field: 'image' } });
  if (contentKey.length !== 32 || iv.length !== IV_SIZE) throw new InvalidImageSpecError('a content key is 32 bytes and an IV 16', { details: { field: 'contentKey' } });
  const header = encodeHeader({ ...parsed.header, flags: parsed.header.flags | IMAGE_FLAGS.ENCRYPTED, iv });
  const tlvs = tlvArea(Buffer.concat([header, parsed.payload]), key);
  const cipher = createCipheriv('aes-256-ctr', contentKey, iv);
  const encrypted = Buffer.concat([cipher.update(parsed.payload), cipher.final()]);
  return new Uint8Array(Buffer.concat([header, encrypted, tlvs]));
}

/** The payload decrypted (AES-256-CTR is its own inverse); the image stays flagged ENCRYPTED, as signed. */
export function decryptImage(encryptedImage: Uint8Array, contentKey: Uint8Array): Uint8Array {
  const parsed = parseImage(encryptedImage);
  if (!parsed.header.encrypted) return encryptedImage;
  const out = Buffer.from(encryptedImage);
  const decipher = createCipheriv('aes-256-ctr', contentKey, parsed.header.iv);
  decipher.update(parsed.payload).copy(out, HEADER_SIZE);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** Reads the header; throws ERR_FW_IMAGE_MALFORMED / _UNKNOWN_CRITICAL / _TOO_LARGE. */
export function parseHeader(bytes: Uint8Array, maxPayloadBytes: number = IMAGE_LIMITS.maxPayloadBytes): ImageHeader {
  if (bytes.length < HEADER_SIZE) throw new MalformedImageError(`an image is at least its ${HEADER_SIZE}-byte header`);
  const h = Buffer.from(bytes.buffer, bytes.byteOffset, HEADER_SIZE);
  if (!h.subarray(0, 4).equals(IMAGE_MAGIC)) throw new MalformedImageError('not a medsim firmware image (magic)');
  if (h.readUInt8(OFFSET.formatVersion) !== IMAGE_FORMAT_VERSION) throw new MalformedImageError(`unsupported image format version ${h.readUInt8(OFFSET.formatVersion)}`);
  if (h.readUInt16BE(OFFSET.headerSize) !== HEADER_SIZE) throw new MalformedImageError('header size is not 128');
  const reservedZero = h.readUInt8(OFFSET.reserved1) === 0 && h.readUInt16BE(OFFSET.reserved2) === 0 && h.readUInt32BE(OFFSET.reserved3) === 0 && h.subarray(OFFSET.reserved4, HEADER_SIZE).every((b) => b === 0);
  if (!reservedZero) throw new MalformedImageError('reserved header bytes are not zero');
  const flags = h.readUInt16BE(OFFSET.flags);
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new UnknownCriticalError(`unknown header flags 0x${(flags & ~KNOWN_FLAGS).toString(16)}`, { details: { flags } });
  const payloadSize = h.readUInt32BE(OFFSET.payloadSize);
  if (payloadSize > maxPayloadBytes) throw new ImageTooLargeError(`payload of ${payloadSize} bytes exceeds ${maxPayloadBytes}`);
  if (payloadSize < IMAGE_LIMITS.minPayloadBytes) throw new MalformedImageError(`payload of ${payloadSize} bytes is below the ${IMAGE_LIMITS.minPayloadBytes}-byte minimum`);
  const modelField = h.subarray(OFFSET.model, OFFSET.model + MODEL_FIELD_SIZE);
  const end = modelField.indexOf(0);
  const model = modelField.subarray(0, end === -1 ? MODEL_FIELD_SIZE : end).toString('ascii');
  if (!MODEL_NAME.test(model) || (end !== -1 && modelField.subarray(end).some((b) => b !== 0))) throw new MalformedImageError('the model field is not a model name padded with NUL');
  const version = { major: h.readUInt16BE(OFFSET.versionMajor), minor: h.readUInt16BE(OFFSET.versionMinor), patch: h.readUInt32BE(OFFSET.versionPatch) };
  const buildTime = h.readBigUInt64BE(OFFSET.buildTime);
  if (buildTime > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedImageError('build time out of range');
  const iv = new Uint8Array(h.subarray(OFFSET.iv, OFFSET.iv + IV_SIZE));
  const encrypted = (flags & IMAGE_FLAGS.ENCRYPTED) !== 0;
  if (!encrypted && iv.some((b) => b !== 0)) throw new MalformedImageError('an IV on an image that is not encrypted');
  return { flags, encrypted, payloadSize, securityCounter: h.readUInt32BE(OFFSET.securityCounter), version, versionText: formatVersion(version), buildTimeMs: Number(buildTime), model, iv };
}

/** The TLVs of an area, checked: framing, known TLVs once each, unknown critical ones refused. */
export function parseTlvArea(area: Uint8Array): { hash: Uint8Array; keyHash: string; signature: Uint8Array } {
  const b = Buffer.from(area.buffer, area.byteOffset, area.length);
  if (b.length < TLV_INFO_SIZE || b.readUInt16BE(0) !== TLV_INFO_MAGIC) throw new MalformedImageError('no TLV area after the payload');
  const size = b.readUInt16BE(2);
  if (size !== b.length) throw new MalformedImageError(size > b.length ? 'the TLV area is cut short' : 'bytes after the TLV area');
  const seen = new Map<number, Uint8Array>();
  for (let at = TLV_INFO_SIZE; at < size; ) {
    if (at + 4 > size) throw new MalformedImageError('a TLV header runs past the area');
    const type = b.readUInt16BE(at);
    const length = b.readUInt16BE(at + 2);
    if (at + 4 + length > size) throw new MalformedImageError('a TLV value runs past the area');
    const value = new Uint8Array(b.subarray(at + 4, at + 4 + length));
    at += 4 + length;
    const known = type === TLV_TYPES.KEYHASH || type === TLV_TYPES.SHA256 || type === TLV_TYPES.ED25519;
    if (!known) {
      if ((type & TLV_CRITICAL) !== 0) throw new UnknownCriticalError(`unknown critical TLV 0x${type.toString(16)}`, { details: { tlv: type } });
      continue;
    }
    if (seen.has(type)) throw new MalformedImageError(`TLV 0x${type.toString(16)} appears twice`);
    seen.set(type, value);
  }
  const hash = seen.get(TLV_TYPES.SHA256);
  const keyHash = seen.get(TLV_TYPES.KEYHASH);
  const signature = seen.get(TLV_TYPES.ED25519);
  if (hash?.length !== 32 || keyHash?.length !== 32 || signature?.length !== 64) throw new MalformedImageError('the SHA256, KEYHASH and ED25519 TLVs are required, 32, 32 and 64 bytes');
  return { hash, keyHash: Buffer.from(keyHash).toString('hex'), signature };
}

/** Parses an image's structure (see the file comment). */
export function parseImage(bytes: Uint8Array, maxPayloadBytes?: number): ParsedImage {
  const header = parseHeader(bytes, maxPayloadBytes);
  const tlvStart = HEADER_SIZE + header.payloadSize;
  if (bytes.length < tlvStart + TLV_INFO_SIZE) throw new MalformedImageError('the image ends before its TLV area');
  if (bytes.length - tlvStart > IMAGE_LIMITS.maxTlvAreaBytes) throw new MalformedImageError(`more than ${IMAGE_LIMITS.maxTlvAreaBytes} bytes after the payload`);
  const tlvs = parseTlvArea(bytes.subarray(tlvStart));
  return { header, signedPart: bytes.subarray(0, tlvStart), payload: bytes.subarray(HEADER_SIZE, tlvStart), ...tlvs, totalSize: bytes.length };
}

/** Checks a parsed image's hash and signature against `keyring` (throws the first failure). */
export function checkSignature(parsed: Pick<ParsedImage, 'hash' | 'keyHash' | 'signature'>, computedHash: Uint8Array, keyring: ImageKeyring): void {
  if (!Buffer.from(computedHash).equals(Buffer.from(parsed.hash))) throw new ImageHashMismatchError('the image hash does not match its SHA256 TLV');
  if (!keyring.trusts(parsed.keyHash)) {
    throw new UntrustedImageKeyError(keyring.isRevoked(parsed.keyHash) ? 'the image is signed by a revoked key' : 'the image is signed by a key this device does not trust', { details: { keyHash: parsed.keyHash } });
  }
  if (!keyring.verify(parsed.keyHash, parsed.hash, parsed.signature)) throw new ImageSignatureError('the image signature does not verify');
}

/** Parses and verifies a plaintext image (a slot's content, or a decrypted download). */
export function verifyImage(bytes: Uint8Array, keyring: ImageKeyring, maxPayloadBytes?: number): VerifiedImage {
  const parsed = parseImage(bytes, maxPayloadBytes);
  checkSignature(parsed, createHash('sha256').update(parsed.signedPart).digest(), keyring);
  return { ...parsed, descriptor: readDescriptor(parsed.payload) };
}
