/**
 * fast-check arbitraries for VALID medsim.v1 messages, one per MessageName.
 *
 * Each arbitrary follows the field rules of the validators (src/internal/validate/*) and the limits
 * (src/limits.ts), edges included: 0 where 0 is allowed, 2^53 - 1 for uint64 fields, texts of 64
 * UTF-16 code units made of 1-, 2-, 3- and 4-byte UTF-8 characters, 32 observations, 48 basal
 * segments, waveform frames up to PAYLOAD_MAX_BYTES. Whatever they produce must encode, decode
 * and validate; a counterexample is either a bug in src or a rule this file got wrong.
 */
import fc from 'fast-check';
import {
  AEAD_TAG_BYTES,
  AlarmCode,
  AlarmPriority,
  AlarmState,
  CommandStatus,
  ContentType,
  KEY_ID_BYTES,
  KEY_THUMBPRINT_LENGTH,
  MAX_SAFE_UINT64,
  MAX_TIMESTAMP_MS,
  MealContext,
  MeasurementStatus,
  OperatingState,
  PARAMETERS,
  PAYLOAD_MAX_BYTES,
  PROTOCOL_VERSION,
  PacingMode,
  RANDOM_ID_BYTES,
  REPEATED_LIMITS,
  SAMPLE_BYTES,
  SAMPLE_RATE_MILLIHERTZ,
  SampleEncoding,
  SecurityEventType,
  Severity,
  CheckResult,
  TEXT_MAX_LENGTH,
  THERAPY_LIMITS,
  UpdatePhase,
  VitalParameter,
  v1,
  type EnvelopeHeaderVariableFields,
  type MessageFields,
  type MessageName,
  type ParameterKind,
  type Unit,
} from '@medsim/protocol';

type Fields<N extends MessageName> = MessageFields[N];
type TherapyAction = Pick<Fields<'TherapyCommand'>, 'insulinBolus' | 'basalSchedule' | 'suspend' | 'resume' | 'pacingParameters'>;

// ---------------------------------------------------------------------------------------------
// Primitives

/** The defined values of a generated enum, UNSPECIFIED (0) left out. */
export function enumValues<E extends number>(enumObject: Readonly<Record<string, string | E>>): E[] {
  return Object.values(enumObject).filter((v): v is E => typeof v === 'number' && v !== 0);
}

/** A defined enum value; with `optional`, UNSPECIFIED (0) too. */
export function enumValue<E extends number>(enumObject: Readonly<Record<string, string | E>>, optional = false): fc.Arbitrary<E> {
  const values = enumValues(enumObject);
  return optional ? fc.constantFrom(0 as E, ...values) : fc.constantFrom(...values);
}

/** A uint64 field as medsim reads it: a safe integer (2^53 and above are refused). */
export const uint64 = fc.integer({ min: 0, max: MAX_SAFE_UINT64 });

/**
 * A required timestamp: proto3 cannot tell 0 from absent, so 0 means missing; the latest is the
 * last instant a JavaScript Date holds (MAX_TIMESTAMP_MS).
 */
export const timestampMs = fc.integer({ min: 1, max: MAX_TIMESTAMP_MS });

/** A uint32 field. */
export const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });

/** Exactly `length` random bytes. */
export const bytesOfLength = (length: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: length, maxLength: length });

/**
 * `length` pseudo-random bytes from `seed` (xorshift32). Large fields (ciphertexts, waveform
 * samples) are filled this way: drawing 60 KiB byte by byte through fast-check would dominate
 * the run time, and their content does not matter to the codec, only their length.
 */
export function bulkBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Between `min` and `max` bytes: small ones drawn byte by byte, large ones as bulkBytes. */
export function sizedBytes(min: number, max: number): fc.Arbitrary<Uint8Array> {
  const small = fc.uint8Array({ minLength: min, maxLength: Math.min(max, min + 64) });
  const large = fc.tuple(fc.integer({ min, max }), fc.integer()).map(([length, seed]) => bulkBytes(length, seed));
  return fc.oneof(small, large);
}

/** A device id: a-z, 0-9 and inner hyphens, 1 to 64 characters (src/device-id.ts). */
export const deviceId: fc.Arbitrary<string> = (() => {
  const edge = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789');
  const inner = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-');
  return fc.oneof(
    edge,
    fc
      .tuple(edge, fc.string({ unit: inner, maxLength: 62, size: 'max' }), edge)
      .map(([first, middle, last]) => `${first}${middle}${last}`),
  );
})();

/** An RFC 7638 SHA-256 thumbprint: 43 base64url characters. */
export const thumbprint = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
  minLength: KEY_THUMBPRINT_LENGTH,
  maxLength: KEY_THUMBPRINT_LENGTH,
});

/**
 * One character of a text field. The validators' text() rule allows printable ASCII only
 * (U+0020 to U+007E): characters are bytes, and no control character reaches a log.
 */
export const textCharacter = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));

/** Drops whole code points from the end until `value` is at most `max` UTF-16 code units. */
function truncateToCodeUnits(value: string, max: number): string {
  let out = '';
  for (const codePoint of value) {
    if (out.length + codePoint.length > max) break;
    out += codePoint;
  }
  return out;
}

/** A free-text field: `minLength` to `maxLength` UTF-16 code units (the validators' unit). */
export function text(minLength: number, maxLength = TEXT_MAX_LENGTH): fc.Arbitrary<string> {
  return fc
    .string({ unit: textCharacter, minLength, maxLength, size: 'max' })
    .map((value) => truncateToCodeUnits(value, maxLength));
}

/** A finite double in [min, max]. -0 is mapped to 0: proto3 omits both alike, so -0 reads back as 0. */
export const finiteDouble = (min: number, max: number): fc.Arbitrary<number> =>
  fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((value) => (value === 0 ? 0 : value));

// ---------------------------------------------------------------------------------------------
// Vital parameters

/** One allowed (parameter, unit) pair of the IEEE 11073 table with its value range. */
export interface ParameterUnit {
  readonly parameter: VitalParameter;
  readonly unit: Unit;
  readonly min: number;
  readonly max: number;
}

/** Every allowed (parameter, unit) pair of one kind. */
export function parameterUnits(kind: ParameterKind): ParameterUnit[] {
  return enumValues<VitalParameter>(VitalParameter).flatMap((parameter) => {
    const spec = PARAMETERS[parameter as Exclude<VitalParameter, VitalParameter.VITAL_PARAMETER_UNSPECIFIED>];
    return spec.kind === kind ? spec.units.map((u) => ({ parameter, ...u })) : [];
  });
}

/** A valid Observation: a numeric parameter, an allowed unit and a value in its range. */
export const observation: fc.Arbitrary<v1.Observation.$Properties> = fc
  .constantFrom(...parameterUnits('numeric'))
  .chain(({ parameter, unit, min, max }) =>
    fc.record({
      parameter: fc.constant(parameter),
      unit: fc.constant(unit),
      value: finiteDouble(min, max),
      status: enumValue(MeasurementStatus),
    }),
  );

/** A valid WaveformChannel header (everything but the samples). */
const channelHeader = fc.constantFrom(...parameterUnits('waveform')).chain(({ parameter, unit }) =>
  fc.record({
    parameter: fc.constant(parameter),
    unit: fc.constant(unit),
    scale: finiteDouble(-1e9, 1e9).filter((scale) => scale !== 0),
    offset: finiteDouble(-1e9, 1e9),
  }),
);

// ---------------------------------------------------------------------------------------------
// Envelope

/** The header fields that change per envelope, as EnvelopeFrameWriter.frame() takes them. */
export const headerVariableFields: fc.Arbitrary<EnvelopeHeaderVariableFields> = fc.record({
  streamId: uint32,
  sequence: uint64,
  timestampMs,
  contentType: enumValue(ContentType),
});

const envelopeHeader: fc.Arbitrary<Fields<'EnvelopeHeader'>> = fc
  .tuple(fc.record({ version: fc.constant(PROTOCOL_VERSION), deviceId, keyId: bytesOfLength(KEY_ID_BYTES) }), headerVariableFields)
  .map(([constant, variable]) => ({ ...constant, ...variable }));

/** Largest AEAD output an envelope carries: the largest plaintext plus the GCM tag. */
export const CIPHERTEXT_MAX_BYTES = PAYLOAD_MAX_BYTES + AEAD_TAG_BYTES;

const sealedEnvelope: fc.Arbitrary<Fields<'SealedEnvelope'>> = fc.record({
  header: envelopeHeader.map((header) => v1.EnvelopeHeader.encode(header).finish()),
  ciphertext: sizedBytes(1, CIPHERTEXT_MAX_BYTES),
});

// ---------------------------------------------------------------------------------------------
// Session

const sessionInfo: fc.Arbitrary<Fields<'SessionInfo'>> = fc.record({
  version: fc.constant(PROTOCOL_VERSION),
  deviceId,
  deviceKeyId: thumbprint,
  gatewayKeyId: thumbprint,
  sessionNonce: bytesOfLength(RANDOM_ID_BYTES),
  timestampMs,
});

const sessionInit: fc.Arbitrary<Fields<'SessionInit'>> = fc.record({
  info: sessionInfo.map((info) => v1.SessionInfo.encode(info).finish()),
  enc: bytesOfLength(32),
  confirmation: fc.uint8Array({ minLength: 1, maxLength: 64, size: 'max' }),
});

const sessionAccept: fc.Arbitrary<Fields<'SessionAccept'>> = fc.record({
  keyId: bytesOfLength(KEY_ID_BYTES),
  gatewayTimeMs: timestampMs,
  maxMessages: fc.integer({ min: 1, max: MAX_SAFE_UINT64 }),
  maxAgeMs: fc.integer({ min: 1, max: MAX_SAFE_UINT64 }),
  gatewayNonce: bytesOfLength(RANDOM_ID_BYTES),
});

// ---------------------------------------------------------------------------------------------
// Vitals and waveforms

const vitalSignReading: fc.Arbitrary<Fields<'VitalSignReading'>> = fc.record({
  measuredAtMs: timestampMs,
  observations: fc.array(observation, {
    minLength: REPEATED_LIMITS.observations.min,
    maxLength: REPEATED_LIMITS.observations.max,
    size: 'max',
  }),
  recordNumber: uint32,
  mealContext: enumValue(MealContext, true),
});

// Bytes a WaveformFrame spends outside the samples: at most 29 for the frame's scalar fields and
// 34 per channel (parameter 4, unit 4, scale 9, offset 9, two tags with 3-byte lengths 8).
const FRAME_OVERHEAD_BYTES = 29;
const CHANNEL_OVERHEAD_BYTES = 34;

const waveformFrame: fc.Arbitrary<Fields<'WaveformFrame'>> = fc
  .record({
    encoding: enumValue(SampleEncoding),
    channelCount: fc.integer({ min: REPEATED_LIMITS.waveformChannels.min, max: REPEATED_LIMITS.waveformChannels.max }),
  })
  .chain(({ encoding, channelCount }) => {
    const width = SAMPLE_BYTES[encoding as Exclude<SampleEncoding, SampleEncoding.SAMPLE_ENCODING_UNSPECIFIED>];
    // The frame must fit the payload limit; the validator caps sampleCount at 15,000 on its own.
    const budget = PAYLOAD_MAX_BYTES - FRAME_OVERHEAD_BYTES - CHANNEL_OVERHEAD_BYTES * channelCount;
    const maxSamples = Math.min(REPEATED_LIMITS.waveformSamples.max, Math.floor(budget / (channelCount * width)));
    return fc.integer({ min: REPEATED_LIMITS.waveformSamples.min, max: maxSamples }).chain((sampleCount) =>
      fc.record({
        sampleRateMillihertz: fc.integer({ min: SAMPLE_RATE_MILLIHERTZ.min, max: SAMPLE_RATE_MILLIHERTZ.max }),
        firstSampleIndex: uint64,
        firstSampleTimeMs: timestampMs,
        encoding: fc.constant(encoding),
        sampleCount: fc.constant(sampleCount),
        channels: fc.array(
          fc.tuple(channelHeader, fc.integer()).map(([header, seed]) => ({ ...header, samples: bulkBytes(sampleCount * width, seed) })),
          { minLength: channelCount, maxLength: channelCount },
        ),
      }),
    );
  });

// ---------------------------------------------------------------------------------------------
// Therapy

const range = (limit: { readonly min: number; readonly max: number }): fc.Arbitrary<number> =>
  fc.integer({ min: limit.min, max: limit.max });

const insulinBolus = fc.record({
  amountMilliunits: range(THERAPY_LIMITS.bolusMilliunits),
  durationMinutes: range(THERAPY_LIMITS.bolusDurationMinutes),
});

/** 1 to 48 segments, the first at minute 0, start minutes strictly increasing. */
const basalSchedule = fc
  .tuple(
    range(THERAPY_LIMITS.basalMilliunitsPerHour),
    fc.uniqueArray(
      fc.record({ startMinute: fc.integer({ min: 1, max: 1439 }), rateMilliunitsPerHour: range(THERAPY_LIMITS.basalMilliunitsPerHour) }),
      { selector: (segment) => segment.startMinute, maxLength: REPEATED_LIMITS.basalSegments.max - 1, size: 'max' },
    ),
  )
  .map(([firstRate, later]) => ({
    segments: [{ startMinute: 0, rateMilliunitsPerHour: firstRate }, ...[...later].sort((a, b) => a.startMinute - b.startMinute)],
  }));

/** Pacing parameters with the upper rate never below the lower rate. */
const pacingParameters = range(THERAPY_LIMITS.pacingLowerRatePpm).chain((lowerRatePpm) =>
  fc.record({
    mode: enumValue(PacingMode),
    lowerRatePpm: fc.constant(lowerRatePpm),
    upperRatePpm: fc.integer({ min: Math.max(lowerRatePpm, THERAPY_LIMITS.pacingUpperRatePpm.min), max: THERAPY_LIMITS.pacingUpperRatePpm.max }),
    amplitudeMillivolts: range(THERAPY_LIMITS.pacingAmplitudeMillivolts),
    pulseWidthMicroseconds: range(THERAPY_LIMITS.pacingPulseWidthMicroseconds),
  }),
);

/** Exactly one member of the `action` oneof. */
const therapyAction: fc.Arbitrary<TherapyAction> = fc.oneof(
  insulinBolus.map((insulinBolus) => ({ insulinBolus })),
  basalSchedule.map((basalSchedule) => ({ basalSchedule })),
  range(THERAPY_LIMITS.suspendMinutes).map((durationMinutes) => ({ suspend: { durationMinutes } })),
  fc.constant({ resume: {} }),
  pacingParameters.map((pacingParameters) => ({ pacingParameters })),
);

const therapyCommand: fc.Arbitrary<Fields<'TherapyCommand'>> = fc
  .record({
    commandId: bytesOfLength(RANDOM_ID_BYTES),
    deviceId,
    commandSequence: fc.integer({ min: 1, max: MAX_SAFE_UINT64 }),
    nonce: bytesOfLength(RANDOM_ID_BYTES),
    issuedAtMs: fc.integer({ min: 1, max: MAX_TIMESTAMP_MS - 1 }),
    issuerUserId: text(1),
    issuerSessionId: text(1),
    confirmedAtMs: timestampMs,
    action: therapyAction,
  })
  .chain(({ action, ...command }) =>
    // A command expires strictly after it is issued.
    fc.integer({ min: command.issuedAtMs + 1, max: MAX_TIMESTAMP_MS }).map((expiresAtMs) => ({ ...command, expiresAtMs, ...action })),
  );

const signedTherapyCommand: fc.Arbitrary<Fields<'SignedTherapyCommand'>> = fc.record({
  command: therapyCommand.map((command) => v1.TherapyCommand.encode(command).finish()),
  // The validator asks for a text of at most 43 characters; a real sender puts a thumbprint.
  signerKeyId: thumbprint,
  signature: bytesOfLength(64),
});

const therapyCommandAck: fc.Arbitrary<Fields<'TherapyCommandAck'>> = enumValue(CommandStatus).chain((status) =>
  fc.record({
    commandId: bytesOfLength(RANDOM_ID_BYTES),
    commandSequence: uint64,
    status: fc.constant(status),
    // A refusal names its reason; an executed command has none.
    reasonCode: status === CommandStatus.COMMAND_STATUS_EXECUTED ? fc.constant('') : text(1),
    decidedAtMs: timestampMs,
  }),
);

const signedTherapyCommandAck: fc.Arbitrary<Fields<'SignedTherapyCommandAck'>> = fc.record({
  ack: therapyCommandAck.map((ack) => v1.TherapyCommandAck.encode(ack).finish()),
  signerKeyId: thumbprint,
  signature: bytesOfLength(64),
});

// ---------------------------------------------------------------------------------------------
// Status, firmware, security

const deviceStatus: fc.Arbitrary<Fields<'DeviceStatus'>> = fc.record({
  model: text(1),
  firmwareVersion: text(1),
  state: enumValue(OperatingState),
  batteryPercent: fc.integer({ min: 0, max: 100 }),
  uptimeS: uint64,
  clockOffsetMs: fc.integer({ min: -31_536_000_000, max: 31_536_000_000 }),
  queuedReadings: uint32,
  rssiDbm: fc.integer({ min: -127, max: 20 }),
});

const alarm: fc.Arbitrary<Fields<'Alarm'>> = fc.record({
  code: enumValue(AlarmCode),
  priority: enumValue(AlarmPriority),
  state: enumValue(AlarmState),
  parameter: enumValue(VitalParameter, true),
  atMs: timestampMs,
});

const firmwareUpdateStatus: fc.Arbitrary<Fields<'FirmwareUpdateStatus'>> = fc
  .record({
    campaignId: text(0),
    targetVersion: text(0),
    installedVersion: text(1),
    phase: enumValue(UpdatePhase),
    byteCounts: fc.tuple(uint64, uint64),
    securityCounter: uint32,
    errorCode: text(0),
    atMs: timestampMs,
  })
  // Never more bytes received than the total.
  .map(({ byteCounts: [a, b], ...status }) => ({ ...status, bytesReceived: Math.min(a, b), bytesTotal: Math.max(a, b) }));

const securityEvent: fc.Arbitrary<Fields<'SecurityEvent'>> = fc.record({
  type: enumValue(SecurityEventType),
  severity: enumValue(Severity),
  errorCode: text(0),
  atMs: timestampMs,
  subject: text(0),
});

const identifier = (max: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[a-z0-9][a-z0-9._-]{0,${max - 1}}$`));
const maintenanceReport: fc.Arbitrary<Fields<'MaintenanceReport'>> = fc.record({
  commandId: bytesOfLength(RANDOM_ID_BYTES),
  generatedAtMs: timestampMs,
  checks: fc.array(
    fc.record({ name: identifier(64), result: enumValue(CheckResult), value: fc.double({ noNaN: true, noDefaultInfinity: true }), unit: fc.stringMatching(/^[\x21-\x7e]{0,16}$/) }),
    { maxLength: 4 },
  ),
  logs: fc.array(
    fc.record({ atMs: timestampMs, severity: enumValue(Severity), component: identifier(32), event: identifier(64), code: fc.constantFrom('', 'ERR_LINK_DOWN', 'ERR_FLASH_POWER_LOSS') }),
    { maxLength: 4 },
  ),
});

/** A valid message of each type. */
export const validMessage: { readonly [N in MessageName]: fc.Arbitrary<MessageFields[N]> } = {
  EnvelopeHeader: envelopeHeader,
  SealedEnvelope: sealedEnvelope,
  SessionInfo: sessionInfo,
  SessionInit: sessionInit,
  SessionAccept: sessionAccept,
  VitalSignReading: vitalSignReading,
  WaveformFrame: waveformFrame,
  TherapyCommand: therapyCommand,
  SignedTherapyCommand: signedTherapyCommand,
  TherapyCommandAck: therapyCommandAck,
  SignedTherapyCommandAck: signedTherapyCommandAck,
  DeviceStatus: deviceStatus,
  Alarm: alarm,
  FirmwareUpdateStatus: firmwareUpdateStatus,
  SecurityEvent: securityEvent,
  MaintenanceReport: maintenanceReport,
};
