/**
 * What every device model declares about itself: the data a regulator's checklist header and the
 * fleet spec need (device class, communication technologies and purposes), and what its firmware
 * produces. One file per model implements it (monitor/*, control/*, maintenance/*).
 */
import type { ContentType } from '@medsim/protocol';
import type { LinkTransport } from '../link/device-link.js';

/** The device models of the zoo. */
export const DEVICE_MODELS = [
  'pulse-oximeter',
  'heart-rate-sensor',
  'blood-pressure-monitor',
  'glucose-meter',
  'thermometer',
  'patient-monitor',
  'insulin-pump',
  'pacemaker',
  'ultrasound',
] as const;

/** A device model name. */
export type DeviceModelName = (typeof DEVICE_MODELS)[number];

/** The three classes of the MFDS guideline (monitoring, control, maintenance over a network). */
export type DeviceClass = 'monitoring' | 'controlled' | 'maintenance';

/** MFDS cybersecurity safety level of a model (the checklist header). */
export type SafetyLevel = 'major' | 'moderate' | 'minor';

/** Static facts about one model. */
export interface DeviceModelInfo {
  readonly model: DeviceModelName;
  readonly deviceClass: DeviceClass;
  /** Human name for screens and docs. */
  readonly displayName: string;
  readonly manufacturer: string;
  readonly firmwareVersion: string;
  readonly safetyLevel: SafetyLevel;
  /** Transports the model supports; the first is its default. */
  readonly transports: readonly LinkTransport[];
  /** Period of the model's measurement or report cycle, in milliseconds of device time. */
  readonly cycleMs: number;
  /** What it uses the network for (MFDS communication purposes). */
  readonly purposes: readonly ('monitoring' | 'control' | 'maintenance')[];
}

/** Channels a device publishes on. */
export type UplinkChannel = 'telemetry' | 'status' | 'events' | 'commandAcks' | 'updateStatus';

/** One message a device firmware produced, before sealing. */
export interface Produced {
  readonly channel: UplinkChannel;
  readonly contentType: ContentType;
  readonly streamId: number;
  /** Encoded protobuf message (plaintext: never leaves the device unsealed). */
  readonly payload: Uint8Array;
  /** Alarms survive a full flash; readings are dropped oldest first (runtime docs). */
  readonly priority: 'alarm' | 'normal';
}
