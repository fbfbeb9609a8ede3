/**
 * @medsim/ble-radio: Bluetooth Low Energy for the simulated devices. First part: the IEEE 11073
 * number formats every standard health GATT service uses; the virtual radio behind noble's
 * bindings interface follows (issue 4).
 */
export * from './errors.js';
export * from './gatt/ieee11073-float.js';
