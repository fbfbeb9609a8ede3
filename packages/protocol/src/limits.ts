/**
 * Every size, count and length limit of the wire protocol, in one place. Decoding checks the byte
 * size first, before any parsing work; the rest is checked field by field after decoding.
 */

/** The only wire-format version this build speaks (header and handshake). */
export const PROTOCOL_VERSION = 1;

/** Session key id length in envelope headers: 8 bytes (64 bits) from the HPKE exporter. */
export const KEY_ID_BYTES = 8;

/** Device ids: 1 to 64 characters (they are MQTT topic levels and appear in every header). */
export const DEVICE_ID_MAX_LENGTH = 64;

/** RFC 7638 SHA-256 thumbprints are 43 base64url characters. */
export const KEY_THUMBPRINT_LENGTH = 43;

/** Text identifiers (user ids, campaign ids, versions, error codes): at most 64 printable ASCII characters. */
export const TEXT_MAX_LENGTH = 64;

/** Random identifiers (command ids, nonces, session nonces): exactly 16 bytes. */
export const RANDOM_ID_BYTES = 16;

/** Latest time a message may carry: the last instant a JavaScript Date can hold (ms since the epoch). */
export const MAX_TIMESTAMP_MS = 8_640_000_000_000_000;

/** Largest value a 64-bit field may hold here: integers above 2^53 - 1 lose precision in JS. */
export const MAX_SAFE_UINT64 = Number.MAX_SAFE_INTEGER;

/**
 * Largest plaintext an envelope may carry: 60 KiB. A 12-lead ECG at 500 Hz with 16-bit samples is
 * 12 KB per second, so one frame holds about 5 s of it.
 */
export const PAYLOAD_MAX_BYTES = 60 * 1024;

/** AES-256-GCM tag length, bytes. */
export const AEAD_TAG_BYTES = 16;

/**
 * Largest encoded message of each type, in bytes, checked before decoding. Each is the largest
 * valid message of the type rounded up, so a frame above it cannot be valid.
 */
export const MESSAGE_MAX_BYTES = {
  EnvelopeHeader: 128,
  SealedEnvelope: 128 + PAYLOAD_MAX_BYTES + AEAD_TAG_BYTES + 16,
  SessionInfo: 256,
  SessionInit: 512,
  SessionAccept: 96,
  VitalSignReading: 1024,
  WaveformFrame: PAYLOAD_MAX_BYTES,
  TherapyCommand: 1024,
  SignedTherapyCommand: 1024 + 160,
  TherapyCommandAck: 256,
  SignedTherapyCommandAck: 256 + 160,
  DeviceStatus: 256,
  Alarm: 64,
  FirmwareUpdateStatus: 512,
  SecurityEvent: 256,
  // 64 checks of at most 97 bytes and 200 log entries of at most 182 bytes (ASCII identifiers),
  // plus the header: about 43 KiB, rounded up; inside PAYLOAD_MAX_BYTES.
  MaintenanceReport: 48 * 1024,
} as const;

/** Counts of repeated fields. */
export const REPEATED_LIMITS = {
  /** Observations in one VitalSignReading. */
  observations: { min: 1, max: 32 },
  /** Channels in one WaveformFrame (a 12-lead ECG plus 4 more). */
  waveformChannels: { min: 1, max: 16 },
  /** Samples per channel in one WaveformFrame. */
  waveformSamples: { min: 1, max: 15_000 },
  /** Segments of an insulin basal schedule (one per half hour). */
  basalSegments: { min: 1, max: 48 },
  /** Self-test checks in one MaintenanceReport. */
  diagnosticChecks: { min: 0, max: 64 },
  /** Log entries in one MaintenanceReport. */
  logEntries: { min: 0, max: 200 },
} as const;

/** Therapy ranges enforced by the protocol (a device's own interlocks are usually stricter). */
export const THERAPY_LIMITS = {
  bolusMilliunits: { min: 1, max: 25_000 },
  bolusDurationMinutes: { min: 0, max: 480 },
  basalMilliunitsPerHour: { min: 0, max: 35_000 },
  suspendMinutes: { min: 1, max: 120 },
  pacingLowerRatePpm: { min: 30, max: 175 },
  pacingUpperRatePpm: { min: 50, max: 185 },
  pacingAmplitudeMillivolts: { min: 100, max: 7_500 },
  pacingPulseWidthMicroseconds: { min: 30, max: 1_500 },
  serviceModeMinutes: { min: 1, max: 240 },
  logEntries: { min: 1, max: 200 },
} as const;

/** Waveform sampling rate, millihertz: 1 Hz to 10 kHz. */
export const SAMPLE_RATE_MILLIHERTZ = { min: 1_000, max: 10_000_000 } as const;
