/**
 * Stream ids inside a session. Each stream has its own sequence counter and replay window, so a
 * burst of waveform frames never pushes numerics or alarms out of the window, and a lost command
 * acknowledgement never stalls telemetry.
 */
export const STREAM_IDS = {
  /** Session control (SessionAccept) and device status. */
  control: 0,
  /** Numeric readings (VitalSignReading). */
  numerics: 1,
  /** Waveform frames. */
  waveform: 2,
  /** Alarms and security events. */
  events: 3,
  /** Therapy commands and their acknowledgements. */
  commands: 4,
  /** Firmware update status. */
  update: 5,
} as const;

/** A stream name. */
export type StreamName = keyof typeof STREAM_IDS;

/** Most distinct streams one session direction may use (bounds replay-window memory). */
export const MAX_STREAMS_PER_SESSION = 16;
