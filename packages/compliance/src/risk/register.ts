/**
 * The cybersecurity risk register (issue 6; reference/regulatory.md §4.4): every threat scenario,
 * one row each, in id order, grouped by the interface it enters through (threats/*.ts). The risk
 * file of `medsim report` prints these rows with the verifying tests of their controls and attack
 * cases; docs/threat-model.md lists the same ids per interface, and a test keeps the two equal.
 */
import type { ThreatScenario } from './model.js';
import { BLE_RADIO_THREATS } from './threats/ble-radio.js';
import { DEVICE_STORAGE_THREATS } from './threats/device-storage.js';
import { FIRMWARE_ENDPOINT_THREATS } from './threats/firmware-endpoint.js';
import { FLEET_CONTROL_THREATS } from './threats/fleet-control.js';
import { GATEWAY_STORAGE_THREATS } from './threats/gateway-storage.js';
import { MQTT_DEVICE_PLANE_THREATS } from './threats/mqtt-device-plane.js';
import { RELEASE_SIDE_THREATS } from './threats/release-side.js';
import { USER_API_THREATS } from './threats/user-api.js';

/** Every threat scenario of the register, THR-001 onwards. */
export const THREATS: readonly ThreatScenario[] = [
  ...BLE_RADIO_THREATS,
  ...MQTT_DEVICE_PLANE_THREATS,
  ...FIRMWARE_ENDPOINT_THREATS,
  ...USER_API_THREATS,
  ...GATEWAY_STORAGE_THREATS,
  ...DEVICE_STORAGE_THREATS,
  ...FLEET_CONTROL_THREATS,
  ...RELEASE_SIDE_THREATS,
];
