/**
 * MQTT topic names (src/topics.ts): the device topics medsim builds and parses, and the topic
 * check the broker applies to every publish and subscription (MQTT 3.1.1 §4.7 plus medsim's
 * stricter rules: no wildcards at all, printable ASCII only, at most 8 levels and 256 bytes).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CHANNELS,
  TOPIC_MAX_BYTES,
  TOPIC_MAX_LEVELS,
  TOPIC_ROOT,
  deviceTopic,
  parseDeviceTopic,
  validateTopicName,
  type Channel,
} from '@medsim/protocol';
import { deviceId } from './arbitraries.js';
import { SEED, expectRefusal } from './fixtures.js';

const channels = Object.keys(CHANNELS) as Channel[];

/** Expects validateTopicName to refuse `topic` for `reason`. */
function expectInvalidTopic(topic: string, reason: string | RegExp): void {
  const error = expectRefusal(() => validateTopicName(topic), 'ERR_PROTOCOL_INVALID_TOPIC');
  expect(error.details.reason).toMatch(reason);
}

describe('deviceTopic / parseDeviceTopic', () => {
  it('[CTL-09] names every channel as the protocol documents it', { tags: ['CTL-09'] }, () => {
    expect(Object.fromEntries(channels.map((channel) => [channel, deviceTopic('pump-1', channel)]))).toEqual({
      session: 'devices/pump-1/session',
      sessionAccept: 'devices/pump-1/session/accept',
      telemetry: 'devices/pump-1/telemetry',
      status: 'devices/pump-1/status',
      events: 'devices/pump-1/events',
      commands: 'devices/pump-1/commands',
      commandAcks: 'devices/pump-1/commands/ack',
      update: 'devices/pump-1/update',
      updateStatus: 'devices/pump-1/update/status',
    });
  });

  it('[CTL-09] round-trips every channel of every valid device id, and the topic passes the broker check (property)', { tags: ['CTL-09'] }, () => {
    fc.assert(
      fc.property(deviceId, fc.constantFrom(...channels), (id, channel) => {
        const topic = deviceTopic(id, channel);
        validateTopicName(topic);
        expect(parseDeviceTopic(topic)).toEqual({ deviceId: id, channel });
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('[CTL-09] deviceTopic refuses an invalid device id instead of building a topic from it', { tags: ['CTL-09'] }, () => {
    for (const id of ['Pump-1', '+', '#', 'a/b', '', 'a'.repeat(65)]) {
      expectRefusal(() => deviceTopic(id, 'telemetry'), 'ERR_PROTOCOL_INVALID_DEVICE_ID', 'deviceId');
    }
  });

  it('[CTL-09] parseDeviceTopic refuses foreign roots, unknown channels and invalid device ids', { tags: ['CTL-09'] }, () => {
    const foreign = [
      'device/pump-1/telemetry',
      'Devices/pump-1/telemetry',
      'gateway/pump-1/telemetry',
      'devices/pump-1',
      'devices/pump-1/unknown',
      'devices/pump-1/telemetry/extra',
      'devices/pump-1/session/ack',
      'devices/pump-1/commands/accept',
      'devices/Pump-1/telemetry',
      'devices/-pump/telemetry',
      `${TOPIC_ROOT}/${'a'.repeat(65)}/telemetry`,
    ];
    for (const topic of foreign) {
      const error = expectRefusal(() => parseDeviceTopic(topic), 'ERR_PROTOCOL_INVALID_TOPIC');
      expect(error.details.reason).toBe('not a device topic');
    }
  });

  it('[CTL-09] parseDeviceTopic applies the broker check first: wildcards are never device topics', { tags: ['CTL-09'] }, () => {
    for (const topic of ['devices/+/telemetry', 'devices/pump-1/#']) {
      expect(expectRefusal(() => parseDeviceTopic(topic), 'ERR_PROTOCOL_INVALID_TOPIC').details.reason).toBe('wildcard');
    }
  });
});

describe('validateTopicName', () => {
  it('[CTL-09] refuses the wildcards + and #, as whole levels or inside one [MQTT-4.7.1-1]', { tags: ['CTL-09'] }, () => {
    for (const topic of ['+', '#', 'devices/+/telemetry', 'devices/#', 'devices/pump+1/telemetry', 'devices/pump#1/status']) {
      expectInvalidTopic(topic, 'wildcard');
    }
  });

  it("[CTL-09] refuses empty levels: 'a//b', '/a', 'a/', '/', and the empty topic [MQTT-4.7.3-1]", { tags: ['CTL-09'] }, () => {
    for (const topic of ['a//b', '/a', 'a/', '/', 'devices/pump-1//telemetry']) expectInvalidTopic(topic, 'empty level');
    expectInvalidTopic('', 'empty');
  });

  it("[CTL-09] refuses '$'-prefixed topics: $SYS is the broker's [MQTT-4.7.2-1]", { tags: ['CTL-09'] }, () => {
    for (const topic of ['$SYS/x', '$SYS', '$share/group/devices/pump-1/telemetry']) expectInvalidTopic(topic, 'reserved $ prefix');
  });

  it(`[CTL-09][CTL-16] refuses more than ${TOPIC_MAX_LEVELS} levels`, { tags: ['CTL-09', 'CTL-16'] }, () => {
    const levels = (n: number) => Array.from({ length: n }, (_, i) => `l${i}`).join('/');
    validateTopicName(levels(TOPIC_MAX_LEVELS));
    expectInvalidTopic(levels(TOPIC_MAX_LEVELS + 1), `more than ${TOPIC_MAX_LEVELS} levels`);
  });

  it('[CTL-09] refuses anything but printable ASCII: non-ASCII, NUL, space, control characters', { tags: ['CTL-09'] }, () => {
    for (const topic of ['devices/pümp-1/telemetry', 'devices/pump\u0000/telemetry', 'devices/pump 1/telemetry', 'devices/pump\t1', 'devices/\u007f', 'devices/\u{1f600}']) {
      expectInvalidTopic(topic, 'not printable ASCII');
    }
    // A look-alike: Cyrillic 'е' (U+0435) in "devices".
    expectInvalidTopic('d\u0435vices/pump-1/telemetry', 'not printable ASCII');
  });

  it(`[CTL-09][CTL-16] refuses topics over ${TOPIC_MAX_BYTES} UTF-8 bytes`, { tags: ['CTL-09', 'CTL-16'] }, () => {
    validateTopicName('a'.repeat(TOPIC_MAX_BYTES));
    expectInvalidTopic('a'.repeat(TOPIC_MAX_BYTES + 1), `longer than ${TOPIC_MAX_BYTES} bytes`);
    // Counted in bytes, not characters: 129 two-byte characters are 258 bytes.
    expectInvalidTopic('é'.repeat(129), `longer than ${TOPIC_MAX_BYTES} bytes`);
  });

  it('[CTL-09][CTL-23] refuses a value that is not a string with the same typed error', { tags: ['CTL-09', 'CTL-23'] }, () => {
    for (const topic of [undefined, null, 42, ['devices']]) {
      expectRefusal(() => validateTopicName(topic as unknown as string), 'ERR_PROTOCOL_INVALID_TOPIC');
    }
  });
});
