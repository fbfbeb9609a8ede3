/**
 * MQTT topic names, all in this one module. Every device topic is `devices/{deviceId}/{channel}`;
 * the table says who may publish on it and what it carries, so the gateway's ACLs and the docs
 * are derived from the same data.
 */
import { assertDeviceId, isDeviceId } from './device-id.js';
import { InvalidTopicError } from './errors.js';

/** The first level of every device topic. */
export const TOPIC_ROOT = 'devices';

/** Deepest topic medsim uses or accepts, in levels. */
export const TOPIC_MAX_LEVELS = 8;

/** Longest topic accepted, in UTF-8 bytes (MQTT allows 65,535; medsim topics are short). */
export const TOPIC_MAX_BYTES = 256;

/** Who publishes on a channel. */
export type Publisher = 'device' | 'gateway';

/** One device channel. */
export interface ChannelSpec {
  /** The levels after `devices/{id}/`. */
  readonly path: string;
  readonly publisher: Publisher;
  /** What the payload is, for docs. */
  readonly carries: string;
}

/** Every channel of a device. */
export const CHANNELS = {
  session: { path: 'session', publisher: 'device', carries: 'SessionInit (clear; opens an HPKE session)' },
  sessionAccept: { path: 'session/accept', publisher: 'gateway', carries: 'SealedEnvelope: SessionAccept' },
  telemetry: { path: 'telemetry', publisher: 'device', carries: 'SealedEnvelope: VitalSignReading or WaveformFrame' },
  status: { path: 'status', publisher: 'device', carries: 'SealedEnvelope: DeviceStatus, Alarm or MaintenanceReport' },
  events: { path: 'events', publisher: 'device', carries: 'SealedEnvelope: SecurityEvent' },
  commands: { path: 'commands', publisher: 'gateway', carries: 'SealedEnvelope: SignedTherapyCommand' },
  commandAcks: { path: 'commands/ack', publisher: 'device', carries: 'SealedEnvelope: TherapyCommandAck' },
  update: { path: 'update', publisher: 'gateway', carries: 'Firmware update instruction (JWS, defined with the update system)' },
  updateStatus: { path: 'update/status', publisher: 'device', carries: 'SealedEnvelope: FirmwareUpdateStatus' },
} as const satisfies Record<string, ChannelSpec>;

/** A channel name. */
export type Channel = keyof typeof CHANNELS;

const channelByPath = new Map<string, Channel>(
  (Object.keys(CHANNELS) as Channel[]).map((channel) => [CHANNELS[channel].path, channel]),
);

/** The topic of one device channel, e.g. `devices/pulse-ox-1/telemetry`. */
export function deviceTopic(deviceId: string, channel: Channel): string {
  assertDeviceId(deviceId);
  return `${TOPIC_ROOT}/${deviceId}/${CHANNELS[channel].path}`;
}

/**
 * Checks a topic name against MQTT 3.1.1 and medsim's stricter rules; throws InvalidTopicError.
 * Used for topics that are published *and* for subscriptions: medsim grants no wildcard filters.
 */
export function validateTopicName(topic: string): void {
  const refuse = (reason: string): never => {
    throw new InvalidTopicError(`invalid topic: ${reason}`, { details: { reason } });
  };
  if (typeof topic !== 'string' || topic.length === 0) refuse('empty'); // [MQTT-4.7.3-1]
  if (Buffer.byteLength(topic, 'utf8') > TOPIC_MAX_BYTES) refuse(`longer than ${TOPIC_MAX_BYTES} bytes`);
  // Printable ASCII only: stricter than [MQTT-1.5.3-1] and [MQTT-4.7.3-2] (no U+0000, no
  // ill-formed UTF-8, no look-alike characters); every medsim topic is ASCII.
  if (!/^[\x21-\x7e]+$/.test(topic)) refuse('not printable ASCII');
  if (topic.includes('+') || topic.includes('#')) refuse('wildcard'); // [MQTT-4.7.1-1] names never hold wildcards
  if (topic.startsWith('$')) refuse('reserved $ prefix'); // [MQTT-4.7.2-1] $SYS and friends are the broker's
  const levels = topic.split('/');
  if (levels.length > TOPIC_MAX_LEVELS) refuse(`more than ${TOPIC_MAX_LEVELS} levels`);
  if (levels.some((level) => level.length === 0)) refuse('empty level');
}

/** A parsed device topic. */
export interface ParsedDeviceTopic {
  readonly deviceId: string;
  readonly channel: Channel;
}

/** Parses `devices/{id}/{channel}`; throws InvalidTopicError for anything else. */
export function parseDeviceTopic(topic: string): ParsedDeviceTopic {
  validateTopicName(topic);
  const [root, deviceId, ...rest] = topic.split('/');
  const channel = channelByPath.get(rest.join('/'));
  if (root !== TOPIC_ROOT || !isDeviceId(deviceId) || channel === undefined) {
    throw new InvalidTopicError('invalid topic: not a medsim device topic', { details: { reason: 'not a device topic' } });
  }
  return { deviceId, channel };
}
