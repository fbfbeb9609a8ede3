/**
 * Downlinks: how the gateway reaches a device now, whatever the transport. The MQTT device plane
 * registers one per authenticated connection (broker.ts) and a BLE central will register its own;
 * senders (therapy commands) ask this registry and never a transport directly, so a command takes
 * the same path over every link. Nothing is queued here: a device without a link is unreachable
 * and the sender is told at once (ERR_DEVICE_UNREACHABLE), never left believing it was sent.
 */
import { CHANNELS, type Channel } from '@medsim/protocol';
import { EventEmitter } from 'node:events';
import { DeviceUnreachableError } from '../errors.js';

/** The transports a downlink may use. */
export type DownlinkTransport = 'mqtt' | 'ble';

/** One way to reach one device. */
export interface Downlink {
  readonly transport: DownlinkTransport;
  /**
   * Hands `bytes` (an envelope already sealed for the device) to the transport on a
   * gateway-published channel; resolves when the transport took it (MQTT: the broker accepted
   * the QoS 1 publication), rejects with a typed error when it could not.
   */
  send(channel: Channel, bytes: Uint8Array): Promise<void>;
}

/** Events of DeviceDownlinks. */
export interface DownlinkEvents {
  registered: [deviceId: string, transport: DownlinkTransport];
  unregistered: [deviceId: string, transport: DownlinkTransport];
}

/** The downlinks of all devices; the newest registration of a device is the one used. */
export class DeviceDownlinks extends EventEmitter<DownlinkEvents> {
  /** Per device, its links oldest first (a device may be on MQTT and BLE at once). */
  readonly #links = new Map<string, Downlink[]>();

  /** Registers a downlink for `deviceId`; returns the function that unregisters exactly this one. */
  register(deviceId: string, link: Downlink): () => void {
    const links = this.#links.get(deviceId) ?? [];
    links.push(link);
    this.#links.set(deviceId, links);
    this.emit('registered', deviceId, link.transport);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const current = this.#links.get(deviceId);
      const at = current?.indexOf(link) ?? -1;
      if (current === undefined || at < 0) return;
      current.splice(at, 1);
      if (current.length === 0) this.#links.delete(deviceId);
      this.emit('unregistered', deviceId, link.transport);
    };
  }

  /** Whether `deviceId` has a downlink now. */
  has(deviceId: string): boolean {
    return this.#links.has(deviceId);
  }

  /** The transport a send to `deviceId` would use now. */
  transportOf(deviceId: string): DownlinkTransport | undefined {
    return this.#links.get(deviceId)?.at(-1)?.transport;
  }

  /**
   * Sends on the device's newest downlink. Throws DeviceUnreachableError (`no-link`) when it has
   * none, and TypeError for a channel devices publish on (a programming error).
   */
  async send(deviceId: string, channel: Channel, bytes: Uint8Array): Promise<void> {
    if (CHANNELS[channel].publisher !== 'gateway') throw new TypeError(`the gateway does not publish on ${channel}`);
    const link = this.#links.get(deviceId)?.at(-1);
    if (link === undefined) throw new DeviceUnreachableError('no-link', 'the device has no downlink (not connected)');
    await link.send(channel, bytes);
  }
}
