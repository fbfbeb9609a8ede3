/**
 * Transport interop (issue 4): the device's MQTT link against a plain, third-party broker (the
 * Mosquitto on 127.0.0.1:1883; .ci/run starts one when it is down). Over such a broker there is no
 * mTLS and no gateway: what is proved is MQTT 3.1.1 behaviour of the link (QoS 1 publish resolved on
 * PUBACK, the device's downlink topics subscribed, topic names), with the same sealed envelopes
 * opaque to the broker. MEDSIM_MOSQUITTO=host:port points elsewhere.
 */
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttLink } from '../../src/index.js';
import { deviceTopic } from '@medsim/protocol';
import { createSecureContext } from 'node:tls';

const [host = '127.0.0.1', port = '1883'] = (process.env['MEDSIM_MOSQUITTO'] ?? '127.0.0.1:1883').split(':');
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('MqttLink against Mosquitto', () => {
  it('publishes QoS 1 on its channels and receives what is published to its downlink topics', async () => {
    const deviceId = `interop-${process.pid}`;
    const observer = await mqtt.connectAsync({ host, port: Number(port), protocolVersion: 4, clientId: `observer-${process.pid}`, reconnectPeriod: 0 });
    cleanups.push(() => observer.endAsync(true));
    await observer.subscribeAsync(deviceTopic(deviceId, 'telemetry'), { qos: 1 });
    const link = new MqttLink({ deviceId, host, port: Number(port), secureContext: createSecureContext(), insecurePlaintext: true });
    cleanups.push(() => link.close());
    await link.open();
    expect(link.up).toBe(true);

    const seen = new Promise<Buffer>((resolve) => observer.once('message', (_topic, payload) => resolve(payload)));
    const envelope = Buffer.from('opaque sealed envelope bytes');
    await link.send('telemetry', envelope);
    expect(await seen).toEqual(envelope);

    const received = new Promise<[string, Uint8Array]>((resolve) => link.once('message', (channel, bytes) => resolve([channel, bytes])));
    await observer.publishAsync(deviceTopic(deviceId, 'commands'), Buffer.from('a sealed command'), { qos: 1 });
    const [channel, bytes] = await received;
    expect(channel).toBe('commands');
    expect(Buffer.from(bytes).toString()).toBe('a sealed command');

    // A topic of another device never reaches this one.
    await observer.publishAsync(deviceTopic('someone-else', 'commands'), Buffer.from('not for you'), { qos: 1 });
    const stray = await Promise.race([new Promise((resolve) => link.once('message', resolve)), new Promise((resolve) => setTimeout(() => resolve('nothing'), 300))]);
    expect(stray).toBe('nothing');
  });
});
