/**
 * Validated encoding and decoding of every medsim.v1 message.
 *
 * Decoding checks the byte size against the type's limit before any parsing, turns every failure
 * of the generated decoder into MalformedMessageError, then validates each field (unknown fields,
 * unknown enum values, ranges, cross-field rules). Nothing from deep inside protobufjs escapes.
 * Encoding validates what it produced by decoding it again: medsim never sends what it would refuse.
 */
import { medsim } from '../gen/medsim.js';
import { MalformedMessageError, MessageTooLargeError, TruncatedMessageError } from './errors.js';
import { assertFaithful } from './internal/faithful.js';
import { validateEnvelopeHeader, validateSealedEnvelope } from './internal/validate/envelope.js';
import { validateFirmwareUpdateStatus } from './internal/validate/firmware.js';
import { validateSecurityEvent } from './internal/validate/security.js';
import { validateMaintenanceReport } from './internal/validate/maintenance.js';
import { validateSessionAccept, validateSessionInfo, validateSessionInit } from './internal/validate/session.js';
import { validateAlarm, validateDeviceStatus } from './internal/validate/status.js';
import {
  validateSignedTherapyCommand,
  validateTherapyCommand,
  validateTherapyCommandAck,
  validateSignedTherapyCommandAck,
} from './internal/validate/therapy.js';
import { validateVitalSignReading } from './internal/validate/vitals.js';
import { validateWaveformFrame } from './internal/validate/waveform.js';
import { MESSAGE_MAX_BYTES } from './limits.js';
import { ContentType } from './schema.js';

import v1 = medsim.v1;

/** Decoded form of each message. */
export interface Messages {
  EnvelopeHeader: v1.EnvelopeHeader;
  SealedEnvelope: v1.SealedEnvelope;
  SessionInfo: v1.SessionInfo;
  SessionInit: v1.SessionInit;
  SessionAccept: v1.SessionAccept;
  VitalSignReading: v1.VitalSignReading;
  WaveformFrame: v1.WaveformFrame;
  TherapyCommand: v1.TherapyCommand;
  SignedTherapyCommand: v1.SignedTherapyCommand;
  TherapyCommandAck: v1.TherapyCommandAck;
  SignedTherapyCommandAck: v1.SignedTherapyCommandAck;
  DeviceStatus: v1.DeviceStatus;
  Alarm: v1.Alarm;
  FirmwareUpdateStatus: v1.FirmwareUpdateStatus;
  SecurityEvent: v1.SecurityEvent;
  MaintenanceReport: v1.MaintenanceReport;
}

/** Plain-object form of each message, as accepted by encodeMessage(). */
export interface MessageFields {
  EnvelopeHeader: v1.EnvelopeHeader.$Properties;
  SealedEnvelope: v1.SealedEnvelope.$Properties;
  SessionInfo: v1.SessionInfo.$Properties;
  SessionInit: v1.SessionInit.$Properties;
  SessionAccept: v1.SessionAccept.$Properties;
  VitalSignReading: v1.VitalSignReading.$Properties;
  WaveformFrame: v1.WaveformFrame.$Properties;
  TherapyCommand: v1.TherapyCommand.$Properties;
  SignedTherapyCommand: v1.SignedTherapyCommand.$Properties;
  TherapyCommandAck: v1.TherapyCommandAck.$Properties;
  SignedTherapyCommandAck: v1.SignedTherapyCommandAck.$Properties;
  DeviceStatus: v1.DeviceStatus.$Properties;
  Alarm: v1.Alarm.$Properties;
  FirmwareUpdateStatus: v1.FirmwareUpdateStatus.$Properties;
  SecurityEvent: v1.SecurityEvent.$Properties;
  MaintenanceReport: v1.MaintenanceReport.$Properties;
}

/** Name of a top-level medsim.v1 message. */
export type MessageName = keyof Messages;

interface Codec<N extends MessageName> {
  decode(bytes: Uint8Array): Messages[N];
  encode(fields: MessageFields[N]): { finish(): Uint8Array };
  validate(message: Messages[N]): void;
}

const codecs: { readonly [N in MessageName]: Codec<N> } = {
  EnvelopeHeader: { decode: (b) => v1.EnvelopeHeader.decode(b), encode: (f) => v1.EnvelopeHeader.encode(f), validate: (m) => validateEnvelopeHeader(m) },
  SealedEnvelope: { decode: (b) => v1.SealedEnvelope.decode(b), encode: (f) => v1.SealedEnvelope.encode(f), validate: (m) => validateSealedEnvelope(m) },
  SessionInfo: { decode: (b) => v1.SessionInfo.decode(b), encode: (f) => v1.SessionInfo.encode(f), validate: (m) => validateSessionInfo(m) },
  SessionInit: { decode: (b) => v1.SessionInit.decode(b), encode: (f) => v1.SessionInit.encode(f), validate: (m) => validateSessionInit(m) },
  SessionAccept: { decode: (b) => v1.SessionAccept.decode(b), encode: (f) => v1.SessionAccept.encode(f), validate: (m) => validateSessionAccept(m) },
  VitalSignReading: { decode: (b) => v1.VitalSignReading.decode(b), encode: (f) => v1.VitalSignReading.encode(f), validate: (m) => validateVitalSignReading(m) },
  WaveformFrame: { decode: (b) => v1.WaveformFrame.decode(b), encode: (f) => v1.WaveformFrame.encode(f), validate: (m) => validateWaveformFrame(m) },
  TherapyCommand: { decode: (b) => v1.TherapyCommand.decode(b), encode: (f) => v1.TherapyCommand.encode(f), validate: (m) => validateTherapyCommand(m) },
  SignedTherapyCommand: { decode: (b) => v1.SignedTherapyCommand.decode(b), encode: (f) => v1.SignedTherapyCommand.encode(f), validate: (m) => validateSignedTherapyCommand(m) },
  TherapyCommandAck: { decode: (b) => v1.TherapyCommandAck.decode(b), encode: (f) => v1.TherapyCommandAck.encode(f), validate: (m) => validateTherapyCommandAck(m) },
  SignedTherapyCommandAck: { decode: (b) => v1.SignedTherapyCommandAck.decode(b), encode: (f) => v1.SignedTherapyCommandAck.encode(f), validate: (m) => validateSignedTherapyCommandAck(m) },
  DeviceStatus: { decode: (b) => v1.DeviceStatus.decode(b), encode: (f) => v1.DeviceStatus.encode(f), validate: (m) => validateDeviceStatus(m) },
  Alarm: { decode: (b) => v1.Alarm.decode(b), encode: (f) => v1.Alarm.encode(f), validate: (m) => validateAlarm(m) },
  FirmwareUpdateStatus: { decode: (b) => v1.FirmwareUpdateStatus.decode(b), encode: (f) => v1.FirmwareUpdateStatus.encode(f), validate: (m) => validateFirmwareUpdateStatus(m) },
  SecurityEvent: { decode: (b) => v1.SecurityEvent.decode(b), encode: (f) => v1.SecurityEvent.encode(f), validate: (m) => validateSecurityEvent(m) },
  MaintenanceReport: { decode: (b) => v1.MaintenanceReport.decode(b), encode: (f) => v1.MaintenanceReport.encode(f), validate: (m) => validateMaintenanceReport(m) },
};

/** Every message name, in schema order. */
export const MESSAGE_NAMES = Object.keys(codecs) as readonly MessageName[];

/**
 * Decodes and validates one message. Throws only ProtocolError subclasses:
 * MessageTooLargeError, MalformedMessageError, then the field errors of the validators.
 */
export function decodeMessage<N extends MessageName>(name: N, bytes: Uint8Array): Messages[N] {
  if (!(bytes instanceof Uint8Array)) {
    throw new MalformedMessageError(`${name}: input is not bytes`, { details: { message: name } });
  }
  const limit = MESSAGE_MAX_BYTES[name];
  if (bytes.length > limit) {
    throw new MessageTooLargeError(`${name} is ${bytes.length} bytes; the limit is ${limit}`, {
      details: { message: name, size: bytes.length, limit },
    });
  }
  const codec: Codec<N> = codecs[name];
  let message: Messages[N];
  try {
    message = codec.decode(bytes);
  } catch (cause) {
    // protobufjs throws RangeError exactly when a read runs past the end of the input.
    if (cause instanceof RangeError) {
      throw new TruncatedMessageError(`${name} ends before the message does`, { cause, details: { message: name } });
    }
    throw new MalformedMessageError(`${name} is not a valid protobuf encoding`, { cause, details: { message: name } });
  }
  codec.validate(message);
  return message;
}

/**
 * Encodes one message, then checks that the bytes decode and validate and hold exactly the
 * fields given (nothing truncated or rounded by the encoder); throws ProtocolError.
 */
export function encodeMessage<N extends MessageName>(name: N, fields: MessageFields[N]): Uint8Array {
  const codec: Codec<N> = codecs[name];
  let bytes: Uint8Array;
  try {
    bytes = codec.encode(fields).finish();
  } catch (cause) {
    throw new MalformedMessageError(`${name} could not be encoded`, { cause, details: { message: name } });
  }
  assertFaithful(fields, decodeMessage(name, bytes), name);
  return bytes;
}

/** The message carried by each content type. */
export const CONTENT_MESSAGE = {
  [ContentType.CONTENT_TYPE_VITAL_SIGN_READING]: 'VitalSignReading',
  [ContentType.CONTENT_TYPE_WAVEFORM_FRAME]: 'WaveformFrame',
  [ContentType.CONTENT_TYPE_DEVICE_STATUS]: 'DeviceStatus',
  [ContentType.CONTENT_TYPE_ALARM]: 'Alarm',
  [ContentType.CONTENT_TYPE_THERAPY_COMMAND]: 'SignedTherapyCommand',
  [ContentType.CONTENT_TYPE_THERAPY_COMMAND_ACK]: 'SignedTherapyCommandAck',
  [ContentType.CONTENT_TYPE_FIRMWARE_UPDATE_STATUS]: 'FirmwareUpdateStatus',
  [ContentType.CONTENT_TYPE_SECURITY_EVENT]: 'SecurityEvent',
  [ContentType.CONTENT_TYPE_MAINTENANCE_REPORT]: 'MaintenanceReport',
  [ContentType.CONTENT_TYPE_SESSION_ACCEPT]: 'SessionAccept',
} as const satisfies Record<Exclude<ContentType, ContentType.CONTENT_TYPE_UNSPECIFIED>, MessageName>;

/** A content type that carries a message. */
export type PayloadContentType = keyof typeof CONTENT_MESSAGE;

/** A decoded envelope payload, discriminated by content type. */
export type Payload = {
  [C in PayloadContentType]: { readonly contentType: C; readonly message: Messages[(typeof CONTENT_MESSAGE)[C]] };
}[PayloadContentType];

/** Decodes the plaintext of an envelope as the message its (authenticated) content type names. */
export function decodePayload(contentType: ContentType, bytes: Uint8Array): Payload {
  if (contentType === ContentType.CONTENT_TYPE_UNSPECIFIED || !(contentType in CONTENT_MESSAGE)) {
    throw new MalformedMessageError('envelope content type carries no message', { details: { contentType } });
  }
  const name = CONTENT_MESSAGE[contentType];
  return { contentType, message: decodeMessage(name, bytes) } as Payload;
}
