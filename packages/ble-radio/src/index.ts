/**
 * @medsim/ble-radio: Bluetooth Low Energy for the simulated devices. First part: the IEEE 11073
 * number formats every standard health GATT service uses; the virtual radio behind noble's
 * bindings interface follows (issue 4).
 */
export * from './errors.js';
export * from './gatt/ieee11073-float.js';
export * from './gatt/characteristic-value.js';
export * from './gatt/assigned-numbers.js';
export * from './gatt/date-time.js';
export * from './gatt/heart-rate-service.js';
export * from './gatt/pulse-oximeter-service.js';
export * from './gatt/blood-pressure-service.js';
export * from './gatt/glucose-service.js';
export * from './gatt/health-thermometer-service.js';
export * from './gatt/device-information-service.js';
export * from './gatt/battery-service.js';
export * from './gatt/medsim-envelope-service.js';
// The virtual radio (issue 4): the air, GATT server, ATT encodings, pairing and link encryption,
// the sniffer, and noble's bindings over them.
export {
  VirtualRadio,
  RadioPeripheral,
  RadioConnection,
  DEFAULT_MAX_CONSECUTIVE_LOSSES,
  peripheralIdOf,
  type VirtualRadioOptions,
  type VirtualRadioEvents,
  type PeripheralDefinition,
  type RadioPeripheralEvents,
  type RadioSubscription,
  type RadioFault,
  type AdvertisingReport,
  type RadioCentralPort,
  type RadioCentralListener,
  type RadioCentralOptions,
  type CentralLink,
  type CentralLinkEvents,
} from './radio/virtual-radio.js';
export {
  GattServer,
  GATT_ATTRIBUTE_TYPE,
  CHARACTERISTIC_PROPERTY_BITS,
  CCCD,
  type CharacteristicProperty,
  type AttributeSecurity,
  type GattConnection,
  type GattCharacteristicDefinition,
  type GattServiceDefinition,
  type GattAttribute,
  type GattCharacteristicRecord,
  type GattServerHooks,
  type GattSubscriptionChange,
} from './radio/gatt-server.js';
export {
  ATT_OPCODE,
  ATT_ERROR,
  ATT_DEFAULT_MTU,
  ATT_MAX_MTU,
  ATT_MAX_VALUE_LENGTH,
  attErrorName,
  encodeAttPdu,
  decodeAttPdu,
  type AttPdu,
  type AttOp,
} from './radio/att.js';
export { SMP_CODE, SMP_REASON, crackLegacyJustWorks, type PairingMethod, type PairingPolicy, type LinkDirection, type SmpPdu } from './radio/link-security.js';
export { HCI_REASON, hciReasonName, type HciReason } from './radio/hci-reason.js';
export { RadioSniffer, SNIFFER_DEFAULT_CAPACITY, type SniffedPdu, type SniffedPduKind, type RadioSnifferEvents } from './radio/sniffer.js';
export { ATT_TRANSACTION_TIMEOUT_MS } from './radio/gatt-client.js';
export { VirtualNobleBindings, type VirtualNobleBindingsOptions, type NobleBindingsEvents } from './noble/noble-bindings.js';
export { createNoble, NOBLE_VERSION, type CreateNobleOptions } from './noble/noble-adapter.js';
