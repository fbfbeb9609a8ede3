/**
 * The medsim firmware image, modelled on MCUboot's (docs/design.md "Image format"): a fixed header,
 * the payload, then a TLV area with the image's SHA-256, the key hash of the signing key and an
 * Ed25519 signature over the hash. All integers big-endian.
 *
 * ```
 * header (128 bytes)
 *   0  magic "MSFW"            4   format version (1)   5  reserved (0)
 *   6  flags u16 (bit 0 ENCRYPTED; every other bit is critical: unknown ones are refused)
 *   8  header size u16 (128)   10  reserved u16 (0)
 *  12  payload size u32        16  security counter u32
 *  20  version major u16, minor u16, patch u32       28  reserved u32 (0)
 *  32  build time u64 (ms since the epoch; an input, so builds are reproducible)
 *  40  device model, 32 bytes ASCII, NUL-padded
 *  72  payload IV, 16 bytes (AES-256-CTR; zero when not encrypted)
 *  88  reserved, 40 bytes (0)
 * payload (payload size bytes; in a slot always the plaintext)
 * TLV area
 *   info: magic u16 0x6907, area size u16 (this 4-byte info included)
 *   entries: type u16, length u16, value
 *     0x0001 KEYHASH   32 bytes: SHA-256 of the signing key's raw public key
 *     0x0010 SHA256    32 bytes: SHA-256 of header and plaintext payload
 *     0x0024 ED25519   64 bytes: signature over the SHA256 value
 *     type bit 15 set: critical (an unknown critical TLV refuses the image); others unknown are skipped
 * ```
 *
 * The image ends exactly where the TLV area says (RFC 9124 THREAT.IMG.EXTRA: appended bytes refuse it).
 */

export const IMAGE_MAGIC = Buffer.from('MSFW', 'ascii');
export const IMAGE_FORMAT_VERSION = 1;
export const HEADER_SIZE = 128;
export const TLV_INFO_MAGIC = 0x6907;
export const TLV_INFO_SIZE = 4;

/** Header flags; every bit not listed is unknown, hence critical. */
export const IMAGE_FLAGS = {
  /** The payload as distributed is AES-256-CTR encrypted under the model's content key (slots hold it decrypted). */
  ENCRYPTED: 0x0001,
} as const;
export const KNOWN_FLAGS = IMAGE_FLAGS.ENCRYPTED;

export const TLV_TYPES = {
  KEYHASH: 0x0001,
  SHA256: 0x0010,
  ED25519: 0x0024,
} as const;
/** A TLV type with this bit is critical. */
export const TLV_CRITICAL = 0x8000;

/** Header field offsets. */
export const OFFSET = {
  magic: 0,
  formatVersion: 4,
  reserved1: 5,
  flags: 6,
  headerSize: 8,
  reserved2: 10,
  payloadSize: 12,
  securityCounter: 16,
  versionMajor: 20,
  versionMinor: 22,
  versionPatch: 24,
  reserved3: 28,
  buildTime: 32,
  model: 40,
  iv: 72,
  reserved4: 88,
} as const;
export const MODEL_FIELD_SIZE = 32;
export const IV_SIZE = 16;

/** Limits of the format. */
export const IMAGE_LIMITS = {
  /** Largest payload: 256 MiB. */
  maxPayloadBytes: 256 * 1024 * 1024,
  /** Smallest payload: room for the descriptor. */
  minPayloadBytes: 64,
  /** The largest TLV area this reader accepts (the three known TLVs take 4 + 36 + 36 + 68 = 144 bytes). */
  maxTlvAreaBytes: 4096,
} as const;

/** Device model names: what DEVICE_MODELS uses (a-z, 0-9, '-'), 1 to 32 characters. */
export const MODEL_NAME = /^[a-z][a-z0-9-]{0,31}$/;
