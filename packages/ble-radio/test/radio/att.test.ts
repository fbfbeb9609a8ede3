import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ATT_ERROR, AttMalformedError, type AttPdu, attErrorName, decodeAttPdu, encodeAttPdu } from '../../src/index.js';
import { decodeUuid, encodeUuid, normalizeUuid } from '../../src/radio/att.js';

// PDU layouts of Bluetooth Core 5.4 Vol 3 Part F §3.4 (opcode, then little-endian fields), filled
// with the Heart Rate Service database of the fixtures (service 0x0001..0x0008, 2A37 value 0x0003).
const VECTORS: readonly [string, AttPdu][] = [
  ['02f700', { op: 'exchange-mtu-req', mtu: 247 }], // §3.4.2.1 Client Rx MTU 247
  ['03b900', { op: 'exchange-mtu-rsp', mtu: 185 }], // §3.4.2.2
  ['010a03000f', { op: 'error-rsp', requestOpcode: 0x0a, handle: 0x0003, errorCode: 0x0f }], // §3.4.1.1 Insufficient Encryption
  ['0a0300', { op: 'read-req', handle: 0x0003 }], // §3.4.4.3
  ['0b0648', { op: 'read-rsp', value: Buffer.from([0x06, 0x48]) }], // §3.4.4.4
  ['0c03001600', { op: 'read-blob-req', handle: 0x0003, offset: 22 }], // §3.4.4.5
  ['12060001', { op: 'write-req', handle: 0x0006, value: Buffer.from([0x01]) }], // §3.4.5.1
  ['13', { op: 'write-rsp' }], // §3.4.5.2
  ['52060002', { op: 'write-cmd', handle: 0x0006, value: Buffer.from([0x02]) }], // §3.4.5.3
  ['1b03000648', { op: 'handle-value-ntf', handle: 0x0003, value: Buffer.from([0x06, 0x48]) }], // §3.4.7.1
  ['1d0300626f6f74', { op: 'handle-value-ind', handle: 0x0003, value: Buffer.from('boot') }], // §3.4.7.2
  ['1e', { op: 'handle-value-cfm' }], // §3.4.7.3
  ['100100ffff0028', { op: 'read-by-group-type-req', startHandle: 0x0001, endHandle: 0xffff, type: '2800' }], // §3.4.4.9
  ['110601000800' + '0d18', { op: 'read-by-group-type-rsp', entries: [{ handle: 1, endGroupHandle: 8, value: Buffer.from([0x0d, 0x18]) }] }], // §3.4.4.10
  ['0801000800' + '0328', { op: 'read-by-type-req', startHandle: 1, endHandle: 8, type: '2803' }], // §3.4.4.1
  ['0907' + '020010030037' + '2a', { op: 'read-by-type-rsp', entries: [{ handle: 2, value: Buffer.from('100300372a', 'hex') }] }], // §3.4.4.2
  ['0404000400', { op: 'find-information-req', startHandle: 4, endHandle: 4 }], // §3.4.3.1
  ['05010400' + '0229', { op: 'find-information-rsp', entries: [{ handle: 4, uuid: '2902' }] }], // §3.4.3.2 format 0x01
];

describe('ATT PDUs (Bluetooth Core 5.4 Vol 3 Part F §3.4)', () => {
  it('[CTL-09] encode and decode the specification layouts byte-exactly', { tags: ['CTL-09'] }, () => {
    for (const [hex, pdu] of VECTORS) {
      expect(encodeAttPdu(pdu).toString('hex'), pdu.op).toBe(hex);
      expect(decodeAttPdu(Buffer.from(hex, 'hex')), hex).toEqual(pdu);
    }
  });

  it('encodes 128-bit UUIDs little-endian and shortens those on the Bluetooth Base UUID', () => {
    expect(normalizeUuid('0000180D-0000-1000-8000-00805F9B34FB')).toBe('180d');
    expect(normalizeUuid('0x2A37')).toBe('2a37');
    expect(normalizeUuid('6E400001-B5A3-F393-E0A9-E50E24DCCA9E')).toBe('6e400001b5a3f393e0a9e50e24dcca9e');
    expect(normalizeUuid('not-a-uuid')).toBeUndefined();
    expect(encodeUuid('6e400001b5a3f393e0a9e50e24dcca9e').toString('hex')).toBe('9ecadc240ee5a9e093f3a3b50100406e');
    expect(decodeUuid(Buffer.from('fb349b5f80000080001000000d180000', 'hex'))).toBe('180d');
    const pdu: AttPdu = { op: 'find-information-rsp', entries: [{ handle: 9, uuid: '6e400001b5a3f393e0a9e50e24dcca9e' }] };
    expect(encodeAttPdu(pdu).toString('hex')).toBe('0502' + '0900' + '9ecadc240ee5a9e093f3a3b50100406e');
    expect(decodeAttPdu(encodeAttPdu(pdu))).toEqual(pdu);
  });

  it('names error codes as the specification does', () => {
    expect(attErrorName(ATT_ERROR.INSUFFICIENT_ENCRYPTION)).toBe('0x0f Insufficient Encryption');
    expect(attErrorName(0x85)).toBe('0x85 Application Error');
    expect(attErrorName(0xfd)).toMatch(/Improperly Configured/);
  });

  it('[CTL-09] refuses truncated, trailing, unknown and inconsistent PDUs with AttMalformedError', { tags: ['CTL-09'] }, () => {
    for (const hex of ['', '0a03', '1300', 'ff', '0907020010030037', '0503040002', '100100ffff00', '0103']) {
      expect(() => decodeAttPdu(Buffer.from(hex, 'hex')), hex).toThrow(AttMalformedError);
    }
    expect(() => encodeAttPdu({ op: 'read-by-type-rsp', entries: [] })).toThrow(AttMalformedError);
    expect(() =>
      encodeAttPdu({ op: 'find-information-rsp', entries: [{ handle: 1, uuid: '2902' }, { handle: 2, uuid: '6e400001b5a3f393e0a9e50e24dcca9e' }] }),
    ).toThrow(/mixes UUID sizes/);
  });

  it('[CTL-09] never throws anything but AttMalformedError on arbitrary bytes, and re-encodes what it accepts', { tags: ['CTL-09'] }, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        let pdu: AttPdu;
        try {
          pdu = decodeAttPdu(bytes);
        } catch (error) {
          return error instanceof AttMalformedError;
        }
        return decodeAttPdu(encodeAttPdu(pdu)) !== undefined;
      }),
      { numRuns: 5_000 },
    );
  });
});
