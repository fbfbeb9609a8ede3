/**
 * DeviceDownlinks (src/device-plane/downlinks.ts), the path every therapy command takes to a
 * device: no link means unreachable at once (never queued), the newest link wins, and each
 * unregister removes exactly its own registration. Kept beside the therapy tests it serves.
 */
import type { Channel } from '@medsim/protocol';
import { describe, expect, it } from 'vitest';
import { DeviceDownlinks, DeviceUnreachableError, type DownlinkTransport } from '../../src/index.js';

/** A downlink that records what it was given. */
function recorder(transport: DownlinkTransport): { sent: [Channel, number][]; link: { transport: DownlinkTransport; send: (channel: Channel, bytes: Uint8Array) => Promise<void> } } {
  const sent: [Channel, number][] = [];
  return {
    sent,
    link: {
      transport,
      send: (channel, bytes) => {
        sent.push([channel, bytes.length]);
        return Promise.resolve();
      },
    },
  };
}

describe('DeviceDownlinks', () => {
  it('[CTL-08] a device without a link is unreachable at once: typed error, nothing kept for later', { tags: ['CTL-08'] }, async () => {
    const downlinks = new DeviceDownlinks();
    const error = await downlinks.send('pump-1', 'commands', new Uint8Array(3)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceUnreachableError);
    expect(error).toMatchObject({ code: 'ERR_DEVICE_UNREACHABLE', reason: 'no-link' });
    const { sent, link } = recorder('mqtt');
    downlinks.register('pump-1', link);
    expect(sent).toEqual([]);
  });

  it('[CTL-08] the newest link is used; unregistering it falls back to the older one; each unregister removes only its own', { tags: ['CTL-08'] }, async () => {
    const downlinks = new DeviceDownlinks();
    const events: string[] = [];
    downlinks.on('registered', (id, transport) => events.push(`+${id}/${transport}`));
    downlinks.on('unregistered', (id, transport) => events.push(`-${id}/${transport}`));
    const mqtt = recorder('mqtt');
    const ble = recorder('ble');
    const offMqtt = downlinks.register('pump-2', mqtt.link);
    const offBle = downlinks.register('pump-2', ble.link);
    expect(downlinks.transportOf('pump-2')).toBe('ble');
    await downlinks.send('pump-2', 'commands', new Uint8Array(5));
    offBle();
    offBle();
    await downlinks.send('pump-2', 'commands', new Uint8Array(7));
    expect(ble.sent).toEqual([['commands', 5]]);
    expect(mqtt.sent).toEqual([['commands', 7]]);
    offMqtt();
    expect(downlinks.has('pump-2')).toBe(false);
    expect(events).toEqual(['+pump-2/mqtt', '+pump-2/ble', '-pump-2/ble', '-pump-2/mqtt']);
  });

  it('[CTL-23] a transport failure reaches the sender; a device channel is refused as a programming error', { tags: ['CTL-23'] }, async () => {
    const downlinks = new DeviceDownlinks();
    downlinks.register('pump-3', { transport: 'mqtt', send: () => Promise.reject(new DeviceUnreachableError('not-subscribed', 'not subscribed')) });
    await expect(downlinks.send('pump-3', 'commands', new Uint8Array(1))).rejects.toMatchObject({ reason: 'not-subscribed' });
    await expect(downlinks.send('pump-3', 'telemetry', new Uint8Array(1))).rejects.toThrow(TypeError);
  });
});
