/**
 * The link a device firmware uses to reach the gateway, whatever carries it: MQTT over TLS (Wi-Fi,
 * LTE, 3G, public networks) or the medsim envelope GATT service over BLE. The firmware above it
 * only sees channels (`@medsim/protocol` CHANNELS) and durable acknowledgements, so one device model
 * runs unchanged on every transport (the conformance suite runs each model on each link).
 */
import type { EventEmitter } from 'node:events';
import type { Channel } from '@medsim/protocol';

/** What carries a device's traffic. */
export type LinkTransport = 'mqtt' | 'ble';

/** Events of a link. */
export interface DeviceLinkEvents {
  /** A message from the gateway on one of the gateway-published channels. */
  message: [channel: Channel, bytes: Uint8Array];
  /** The link is up (connected and ready to send). */
  up: [];
  /** The link went down; `reason` names why (HCI code, socket error, refusal). */
  down: [reason: string];
}

/**
 * A device's link to the gateway. `send` resolves only when the gateway acknowledged the message
 * durably (MQTT PUBACK after the gateway's commit; BLE `delivered`), so a device deletes a reading
 * from its store-and-forward queue only after that.
 */
export interface DeviceLink extends EventEmitter<DeviceLinkEvents> {
  readonly transport: LinkTransport;
  /** Whether the link can send now. */
  readonly up: boolean;
  /** Brings the link up; rejects with the transport's error (refused, unreachable, timeout). */
  open(): Promise<void>;
  /** Sends on a device-published channel; resolves on the gateway's durable acknowledgement. */
  send(channel: Channel, bytes: Uint8Array): Promise<void>;
  /** Takes the link down; idempotent. */
  close(): Promise<void>;
  /** After each measurement cycle (BLE: the newest values on the standard characteristics). */
  afterCycle?(): void;
  /** A power cut (BLE: the radio goes silent; without it, close()). */
  powerOff?(): Promise<void>;
}
