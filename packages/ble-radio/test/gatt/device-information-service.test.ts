/**
 * Device Information Service codecs (src/gatt/device-information-service.ts): DIS 1.1 §3 and
 * the IEEE 11073-20601 RegCertDataList MDER encoding.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  REGULATORY_AUTH_BODY,
  decodeDeviceInformationString,
  decodePnpId,
  decodeRegulatoryCertificationDataList,
  decodeSystemId,
  encodeDeviceInformationString,
  encodePnpId,
  encodeRegulatoryCertificationDataList,
  encodeSystemId,
} from '../../src/index.js';
import { SEED, codeOf, hex, toHex } from './helpers.js';

describe('DIS strings (0x2A24-0x2A29)', () => {
  it('[CTL-09] carries UTF-8 without terminator and refuses invalid UTF-8', { tags: ['CTL-09'] }, () => {
    expect(toHex(encodeDeviceInformationString('medsim'))).toBe('6d 65 64 73 69 6d');
    expect(decodeDeviceInformationString(hex('c3 a9 63 67'))).toBe('écg');
    expect(decodeDeviceInformationString(hex(''))).toBe('');
    expect(codeOf(() => decodeDeviceInformationString(hex('c3 28')))).toBe('ERR_BLE_MALFORMED_VALUE'); // cut sequence
    expect(codeOf(() => decodeDeviceInformationString(hex('ed a0 80')))).toBe('ERR_BLE_MALFORMED_VALUE'); // encoded surrogate
    expect(codeOf(() => decodeDeviceInformationString(new Uint8Array(513).fill(0x41)))).toBe('ERR_BLE_MALFORMED_VALUE');
    expect(codeOf(() => encodeDeviceInformationString('\uD800'))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE'); // lone surrogate
    expect(codeOf(() => encodeDeviceInformationString('é'.repeat(257)))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE'); // 514 bytes
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), (text) => {
        expect(decodeDeviceInformationString(encodeDeviceInformationString(text))).toBe(text);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('System ID (0x2A23)', () => {
  it('[CTL-09] writes the 40-bit manufacturer identifier then the 24-bit OUI, little-endian', { tags: ['CTL-09'] }, () => {
    // Example of the System ID definition (GATT XML org.bluetooth.characteristic.system_id, DIS
    // 1.1): OUI 0x123456 and company-assigned 0x9ABCDE of a Bluetooth address give the System ID
    // 0x123456FFFE9ABCDE, sent least significant octet first.
    const bytes = encodeSystemId({ manufacturerIdentifier: 0xfffe9abcde, organizationallyUniqueIdentifier: 0x123456 });
    expect(toHex(bytes)).toBe('de bc 9a fe ff 56 34 12');
    expect(decodeSystemId(bytes)).toEqual({ manufacturerIdentifier: 0xfffe9abcde, organizationallyUniqueIdentifier: 0x123456 });
    expect(codeOf(() => decodeSystemId(hex('de bc 9a fe ff 56 34')))).toBe('ERR_BLE_MALFORMED_VALUE');
    expect(codeOf(() => encodeSystemId({ manufacturerIdentifier: 2 ** 40, organizationallyUniqueIdentifier: 0 }))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
  });
});

describe('PnP ID (0x2A50)', () => {
  it('[CTL-09] writes source, vendor, product and version (0xJJMN)', { tags: ['CTL-09'] }, () => {
    // Vendor ID source 1 = Bluetooth SIG company identifier (0x0059 = Nordic Semiconductor), version 1.2.3 = 0x0123.
    const bytes = encodePnpId({ vendorIdSource: 'bluetoothSig', vendorId: 0x0059, productId: 0x0001, productVersion: 0x0123 });
    expect(toHex(bytes)).toBe('01 59 00 01 00 23 01');
    expect(decodePnpId(bytes)).toEqual({ vendorIdSource: 'bluetoothSig', vendorId: 0x59, productId: 1, productVersion: 0x123 });
    expect(decodePnpId(hex('02 6b 1d 01 00 00 01')).vendorIdSource).toBe('usbImplementersForum');
    expect(codeOf(() => decodePnpId(hex('03 59 00 01 00 23 01')))).toBe('ERR_BLE_MALFORMED_VALUE'); // reserved source
    expect(codeOf(() => decodePnpId(hex('01 59 00 01 00 23')))).toBe('ERR_BLE_MALFORMED_VALUE');
  });
});

describe('IEEE 11073-20601 Regulatory Certification Data List (0x2A2A)', () => {
  it('[CTL-09] encodes the MDER list big-endian: count, length, then each entry', { tags: ['CTL-09'] }, () => {
    expect(toHex(encodeRegulatoryCertificationDataList([]))).toBe('00 00 00 00');
    // One entry: auth body Continua (2), structure type 2, a 2-byte structure carried opaquely.
    const entries = [{ authBody: REGULATORY_AUTH_BODY.continua, structureType: 2, data: hex('80 00') }];
    const bytes = encodeRegulatoryCertificationDataList(entries);
    expect(toHex(bytes)).toBe('00 01 00 06 02 02 00 02 80 00');
    expect(decodeRegulatoryCertificationDataList(bytes)).toEqual(entries);
    expect(codeOf(() => decodeRegulatoryCertificationDataList(hex('00 01 00 07 02 02 00 02 80 00')))).toBe('ERR_BLE_MALFORMED_VALUE'); // length
    expect(codeOf(() => decodeRegulatoryCertificationDataList(hex('00 02 00 06 02 02 00 02 80 00')))).toBe('ERR_BLE_MALFORMED_VALUE'); // count
    expect(codeOf(() => decodeRegulatoryCertificationDataList(hex('00 01 00 06 02 02 00 03 80 00')))).toBe('ERR_BLE_MALFORMED_VALUE'); // entry length
    expect(codeOf(() => encodeRegulatoryCertificationDataList([{ authBody: 1, structureType: 1, data: new Uint8Array(505) }]))).toBe('ERR_BLE_VALUE_OUT_OF_RANGE');
    fc.assert(
      fc.property(
        fc.array(fc.record({ authBody: fc.integer({ min: 0, max: 255 }), structureType: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 20 }) }), { maxLength: 10 }),
        (list) => {
          expect(decodeRegulatoryCertificationDataList(encodeRegulatoryCertificationDataList(list))).toEqual(list);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});
