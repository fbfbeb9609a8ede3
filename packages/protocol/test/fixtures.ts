/**
 * Fixtures of the protocol tests: one hand-written valid message per type, builders for hostile
 * wire bytes, and the assertions every refusal test makes.
 *
 * Hostile bytes come from the generated encoders, which write whatever they are given without
 * validating it, and from a protobufjs Writer for what no schema field can express (a value
 * above 2^53, an undefined field number, a wire type that does not exist).
 */
import { expect } from 'vitest';
import protobuf, { type IConversionOptions, type Writer } from 'protobufjs/minimal.js';
import {
  AlarmCode,
  AlarmPriority,
  AlarmState,
  CommandStatus,
  ContentType,
  MeasurementStatus,
  MealContext,
  OperatingState,
  ProtocolError,
  STREAM_IDS,
  SampleEncoding,
  SecurityEventType,
  Severity,
  CheckResult,
  Unit,
  UpdatePhase,
  VitalParameter,
  decodeMessage,
  protocolErrorCatalogue,
  v1,
  type MessageFields,
  type MessageName,
  type Messages,
  type ProtocolErrorCode,
} from '@medsim/protocol';

/** Fixed seed of every property test: a failure reproduces on every machine. */
export const SEED = 20_261_128;

/** The tests' clock: 2026-11-28T12:00:00Z. */
export const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

/** `length` bytes of value `byte` (recognisable in a hex dump). */
export const filled = (length: number, byte: number): Uint8Array => new Uint8Array(length).fill(byte);

/** RFC 7638 §3.1's example thumbprint, used as the device key id. */
export const DEVICE_KEY_ID = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
/** Another 43-character base64url thumbprint, for the gateway. */
export const GATEWAY_KEY_ID = 'ORcYxGIkcX6PouAph_OLj0FsGDP8oyEiPDruSjAbtqU';

/** A session key id. */
export const KEY_ID = filled(8, 0x4b);

const header = {
  version: 1,
  deviceId: 'pulse-ox-0001',
  keyId: KEY_ID,
  streamId: STREAM_IDS.numerics,
  sequence: 42,
  timestampMs: T0,
  contentType: ContentType.CONTENT_TYPE_VITAL_SIGN_READING,
} satisfies MessageFields['EnvelopeHeader'];

const sessionInfo = {
  version: 1,
  deviceId: 'pulse-ox-0001',
  deviceKeyId: DEVICE_KEY_ID,
  gatewayKeyId: GATEWAY_KEY_ID,
  sessionNonce: filled(16, 0x5e),
  timestampMs: T0,
} satisfies MessageFields['SessionInfo'];

const therapyCommand = {
  commandId: filled(16, 0xc1),
  deviceId: 'insulin-pump-0001',
  commandSequence: 7,
  nonce: filled(16, 0x9a),
  issuedAtMs: T0,
  expiresAtMs: T0 + 60_000,
  issuerUserId: 'dr-example',
  issuerSessionId: 'web-session-0001',
  confirmedAtMs: T0 - 5_000,
  insulinBolus: { amountMilliunits: 1_500, durationMinutes: 0 },
} satisfies MessageFields['TherapyCommand'];

/** An SpO2 observation of 97 %. */
export const spo2 = {
  parameter: VitalParameter.MDC_PULS_OXIM_SAT_O2,
  unit: Unit.MDC_DIM_PERCENT,
  value: 97,
  status: MeasurementStatus.MEASUREMENT_STATUS_VALID,
} satisfies v1.Observation.$Properties;

/** An ECG lead II channel of 4 int16 samples. */
export const ecgChannel = {
  parameter: VitalParameter.MDC_ECG_ELEC_POTL_II,
  unit: Unit.MDC_DIM_MILLI_VOLT,
  scale: 0.005,
  offset: 0,
  samples: Uint8Array.from([0x10, 0x00, 0x40, 0x00, 0xf0, 0xff, 0x00, 0x00]),
} satisfies v1.WaveformChannel.$Properties;

/** One realistic valid message of each type. */
export const samples = {
  EnvelopeHeader: header,
  SealedEnvelope: { header: v1.EnvelopeHeader.encode(header).finish(), ciphertext: filled(48, 0xce) },
  SessionInfo: sessionInfo,
  SessionInit: { info: v1.SessionInfo.encode(sessionInfo).finish(), enc: filled(32, 0xe7), confirmation: filled(40, 0xcf) },
  SessionAccept: { keyId: KEY_ID, gatewayTimeMs: T0, maxMessages: 1_000_000, maxAgeMs: 86_400_000, gatewayNonce: filled(16, 0x6a) },
  VitalSignReading: {
    measuredAtMs: T0,
    observations: [
      spo2,
      {
        parameter: VitalParameter.MDC_PULS_OXIM_PULS_RATE,
        unit: Unit.MDC_DIM_BEAT_PER_MIN,
        value: 72,
        status: MeasurementStatus.MEASUREMENT_STATUS_VALID,
      },
    ],
    recordNumber: 0,
    mealContext: MealContext.MEAL_CONTEXT_UNSPECIFIED,
  },
  WaveformFrame: {
    sampleRateMillihertz: 250_000,
    firstSampleIndex: 0,
    firstSampleTimeMs: T0,
    encoding: SampleEncoding.SAMPLE_ENCODING_INT16_LE,
    sampleCount: 4,
    channels: [ecgChannel],
  },
  TherapyCommand: therapyCommand,
  SignedTherapyCommand: { command: v1.TherapyCommand.encode(therapyCommand).finish(), signerKeyId: GATEWAY_KEY_ID, signature: filled(64, 0x5a) },
  TherapyCommandAck: {
    commandId: therapyCommand.commandId,
    commandSequence: 7,
    status: CommandStatus.COMMAND_STATUS_EXECUTED,
    reasonCode: '',
    decidedAtMs: T0 + 1_000,
  },
  SignedTherapyCommandAck: {
    ack: v1.TherapyCommandAck.encode({
      commandId: therapyCommand.commandId,
      commandSequence: 7,
      status: CommandStatus.COMMAND_STATUS_EXECUTED,
      reasonCode: '',
      decidedAtMs: T0 + 1_000,
    }).finish(),
    signerKeyId: DEVICE_KEY_ID,
    signature: filled(64, 0x6b),
  },
  DeviceStatus: {
    model: 'pulse-oximeter',
    firmwareVersion: '1.4.2',
    state: OperatingState.OPERATING_STATE_NORMAL,
    batteryPercent: 87,
    uptimeS: 3_600,
    clockOffsetMs: -120,
    queuedReadings: 0,
    rssiDbm: -58,
  },
  Alarm: {
    code: AlarmCode.ALARM_CODE_SPO2_LOW,
    priority: AlarmPriority.ALARM_PRIORITY_HIGH,
    state: AlarmState.ALARM_STATE_ACTIVE,
    parameter: VitalParameter.MDC_PULS_OXIM_SAT_O2,
    atMs: T0,
  },
  FirmwareUpdateStatus: {
    campaignId: 'fw-2026-11',
    targetVersion: '1.5.0',
    installedVersion: '1.4.2',
    phase: UpdatePhase.UPDATE_PHASE_DOWNLOADING,
    bytesReceived: 65_536,
    bytesTotal: 262_144,
    securityCounter: 3,
    errorCode: '',
    atMs: T0,
  },
  SecurityEvent: {
    type: SecurityEventType.SECURITY_EVENT_TYPE_REPLAY_DETECTED,
    severity: Severity.SEVERITY_HIGH,
    errorCode: 'ERR_CRYPTO_REPLAY',
    atMs: T0,
    subject: 'pulse-ox-0001',
  },
  MaintenanceReport: {
    commandId: therapyCommand.commandId,
    generatedAtMs: T0,
    checks: [{ name: 'transducer.elements', result: CheckResult.CHECK_RESULT_PASS, value: 128, unit: '{element}' }],
    logs: [{ atMs: T0 - 60_000, severity: Severity.SEVERITY_MEDIUM, component: 'link', event: 'link.down', code: 'ERR_LINK_DOWN' }],
  },
} satisfies { readonly [N in MessageName]: MessageFields[N] };

// ---------------------------------------------------------------------------------------------
// The generated classes, by name

/** What the tests use of a generated message class (v1.Alarm, ...). */
export interface GeneratedMessageType<N extends MessageName> {
  encode(message: MessageFields[N], writer?: Writer): Writer;
  decode(bytes: Uint8Array): Messages[N];
  toObject(message: Messages[N], options?: IConversionOptions): Record<string, unknown>;
}

/** The generated class of message `name`. */
export function generated<N extends MessageName>(name: N): GeneratedMessageType<N> {
  return (v1 as unknown as { readonly [K in MessageName]: GeneratedMessageType<K> })[name];
}

// Bytes as base64 strings: comparing 60 KiB as strings is fast, as number arrays it is not.
const CANONICAL: IConversionOptions = { defaults: true, bytes: String, longs: Number, enums: Number };

/**
 * A plain, comparable form of a message: every field present (defaults filled in), bytes as
 * base64. Works on decoded messages and on the plain objects given to the encoder alike.
 */
export function canonical<N extends MessageName>(name: N, message: Messages[N] | MessageFields[N]): Record<string, unknown> {
  return generated(name).toObject(message as Messages[N], CANONICAL);
}

// ---------------------------------------------------------------------------------------------
// Hostile bytes

/** A message's fields with enums widened to number and everything optional: hostile input. */
export type Loose<T> = T extends Uint8Array
  ? Uint8Array
  : T extends readonly (infer E)[]
    ? Loose<E>[]
    : T extends object
      ? { [K in keyof T]?: Loose<T[K]> }
      : T extends number
        ? number
        : T;

/** Encodes `fields` with the generated encoder: no validation, so any value reaches the wire. */
export function encodeUnchecked<N extends MessageName>(name: N, fields: Loose<MessageFields[N]>): Uint8Array {
  return generated(name).encode(fields).finish();
}

/** Wire types (protobuf encoding spec): 0 varint, 1 I64, 2 LEN, 3 SGROUP, 4 EGROUP, 5 I32. */
export const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

/** The tag of a field: (field number << 3) | wire type, as a uint32. */
export const tag = (fieldNumber: number, wireType: number): number => ((fieldNumber << 3) | wireType) >>> 0;

/** `bytes` followed by whatever `write` puts on a fresh protobufjs Writer. */
export function withRaw(bytes: Uint8Array, write: (writer: Writer) => void): Uint8Array {
  const writer = protobuf.Writer.create();
  write(writer);
  return concat(bytes, writer.finish());
}

/** Concatenates byte arrays. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Bytes of a varint. */
export const varintLength = (value: number): number => protobuf.Writer.create().uint64(value).finish().length;

/**
 * `bytes` padded to exactly `length` bytes with one length-delimited field the schema does not
 * define (15, or 16 whose tag takes 2 bytes), so the result is still well-formed protobuf.
 */
export function padTo(bytes: Uint8Array, length: number): Uint8Array {
  for (const fieldNumber of [15, 16]) {
    const room = length - bytes.length - varintLength(tag(fieldNumber, WireType.LEN));
    // The payload's length prefix takes part of the room; some sizes fit only with the other tag.
    for (let payload = room - 1; payload >= 0 && payload >= room - 10; payload--) {
      if (payload + varintLength(payload) === room) {
        return withRaw(bytes, (w) => w.uint32(tag(fieldNumber, WireType.LEN)).bytes(filled(payload, 0x70)));
      }
    }
  }
  throw new Error(`cannot pad ${bytes.length} bytes to ${length}`);
}

// ---------------------------------------------------------------------------------------------
// Assertions

const CODES = Object.keys(protocolErrorCatalogue);

/** Runs `run`, expects it to throw a ProtocolError with a catalogued code, and returns the error. */
export function refusal(run: () => unknown): ProtocolError {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error; // the raw error is the best failure report
    expect(CODES).toContain(error.code);
    return error;
  }
  return expect.unreachable('expected a ProtocolError, but nothing was thrown');
}

/** Expects `run` to throw `code`, with `details.field` naming `field` when given. */
export function expectRefusal(run: () => unknown, code: ProtocolErrorCode, field?: string): ProtocolError {
  const error = refusal(run);
  if (field === undefined) expect(error.code).toBe(code);
  else expect({ code: error.code, field: error.details.field }).toEqual({ code, field });
  return error;
}

/** Expects two byte arrays to be equal; a mismatch is reported as hex. */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  // Buffer comparison first: element-wise toEqual over 60 KiB frames is slow.
  if (Buffer.compare(actual, expected) !== 0) expect(hex(actual)).toBe(hex(expected));
}

/** A thunk that encodes `fields` unchecked and decodes the bytes through the codec. */
export const decodingFields =
  <N extends MessageName>(name: N, fields: Loose<MessageFields[N]>) =>
  (): Messages[N] =>
    decodeMessage(name, encodeUnchecked(name, fields));

/** Expects `fields`, encoded unchecked, to decode and validate; a refusal is reported with its details. */
export function expectAccepted<N extends MessageName>(name: N, fields: Loose<MessageFields[N]>): void {
  try {
    decodeMessage(name, encodeUnchecked(name, fields));
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    expect.unreachable(`${name} was refused: ${error.code} ${JSON.stringify(error.details)}`);
  }
}

/** 'accepted', or the code of the ProtocolError decodeMessage threw; anything else fails the test. */
export function decodeOutcome(name: MessageName, bytes: Uint8Array): 'accepted' | ProtocolErrorCode {
  try {
    decodeMessage(name, bytes);
    return 'accepted';
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    expect(CODES).toContain(error.code);
    return error.code;
  }
}
