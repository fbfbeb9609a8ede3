import { describe, expect, it } from 'vitest';
import { ATT_ERROR, AttError, type AttPdu, type GattConnection, GattServer, type GattServiceDefinition, InvalidRadioDefinitionError } from '../../src/index.js';
import type { GattSubscriptionChange } from '../../src/radio/gatt-server.js';

const VENDOR = '6e40000164b84f3f9d6e3c7b1a2f0e01';
const VENDOR_LOG = '6e40000264b84f3f9d6e3c7b1a2f0e01';
const LONG_VALUE = Buffer.from(Array.from({ length: 50 }, (_, i) => i));

const SERVICES: readonly GattServiceDefinition[] = [
  {
    uuid: '180d',
    characteristics: [
      { uuid: '2a37', properties: ['notify'], security: 'encrypted' },
      { uuid: '2a38', properties: ['read'], value: Buffer.from([0x01]) },
      { uuid: '2a39', properties: ['write'] },
    ],
  },
  { uuid: VENDOR, characteristics: [{ uuid: VENDOR_LOG, properties: ['read', 'indicate'], value: LONG_VALUE }] },
];

const connection = (overrides: Partial<GattConnection> = {}): GattConnection => ({ id: 'c1', centralAddress: 'c2:00:00:00:00:01', mtu: 23, encrypted: false, ...overrides });

const errorOf = (requestOpcode: number, handle: number, errorCode: number): AttPdu => ({ op: 'error-rsp', requestOpcode, handle, errorCode });

describe('GATT server (Bluetooth Core 5.4 Vol 3 Part G)', () => {
  it('assigns 1-based handles in definition order: service, declaration, value, CCCD', () => {
    const server = new GattServer(SERVICES);
    expect(server.attributes.map((attribute) => [attribute.handle, attribute.kind, attribute.type])).toEqual([
      [1, 'service', '2800'],
      [2, 'characteristic', '2803'],
      [3, 'value', '2a37'],
      [4, 'cccd', '2902'],
      [5, 'characteristic', '2803'],
      [6, 'value', '2a38'],
      [7, 'characteristic', '2803'],
      [8, 'value', '2a39'],
      [9, 'service', '2800'],
      [10, 'characteristic', '2803'],
      [11, 'value', VENDOR_LOG],
      [12, 'cccd', '2902'],
    ]);
    expect(server.attributes[0]?.endGroupHandle).toBe(8);
    expect(server.attributes[8]?.endGroupHandle).toBe(12);
    expect(server.findCharacteristic('180D', '2A37')).toMatchObject({ declarationHandle: 2, valueHandle: 3, cccdHandle: 4 });
  });

  it('answers discovery one UUID size at a time and within ATT_MTU', async () => {
    const server = new GattServer(SERVICES);
    const c = connection();
    // Read By Group Type: the 16-bit service first, the 128-bit one on the next request (§3.4.4.10).
    expect(await server.handle(c, { op: 'read-by-group-type-req', startHandle: 1, endHandle: 0xffff, type: '2800' })).toEqual({
      op: 'read-by-group-type-rsp',
      entries: [{ handle: 1, endGroupHandle: 8, value: Buffer.from('0d18', 'hex') }],
    });
    const second = await server.handle(c, { op: 'read-by-group-type-req', startHandle: 9, endHandle: 0xffff, type: '2800' });
    expect(second).toMatchObject({ op: 'read-by-group-type-rsp', entries: [{ handle: 9, endGroupHandle: 12 }] });
    expect(await server.handle(c, { op: 'read-by-group-type-req', startHandle: 13, endHandle: 0xffff, type: '2800' })).toEqual(errorOf(0x10, 13, ATT_ERROR.ATTRIBUTE_NOT_FOUND));
    expect(await server.handle(c, { op: 'read-by-group-type-req', startHandle: 1, endHandle: 0xffff, type: '2803' })).toEqual(errorOf(0x10, 1, ATT_ERROR.UNSUPPORTED_GROUP_TYPE));
    // Read By Type 0x2803: three 7-octet entries fit ATT_MTU 23 (2 + 3 × 7 = 23).
    const declarations = await server.handle(c, { op: 'read-by-type-req', startHandle: 1, endHandle: 8, type: '2803' });
    expect(declarations).toEqual({
      op: 'read-by-type-rsp',
      entries: [
        { handle: 2, value: Buffer.from('100300372a', 'hex') },
        { handle: 5, value: Buffer.from('020600382a', 'hex') },
        { handle: 7, value: Buffer.from('080800392a', 'hex') },
      ],
    });
    expect(await server.handle(c, { op: 'find-information-req', startHandle: 4, endHandle: 4 })).toEqual({ op: 'find-information-rsp', entries: [{ handle: 4, uuid: '2902' }] });
    expect(await server.handle(c, { op: 'find-information-req', startHandle: 5, endHandle: 2 })).toEqual(errorOf(0x04, 5, ATT_ERROR.INVALID_HANDLE));
  });

  it('[CTL-07] refuses access to an encrypted characteristic on a clear link (0x0F) and allows it once encrypted', { tags: ['CTL-07'] }, async () => {
    const server = new GattServer(SERVICES);
    const subscribe: AttPdu = { op: 'write-req', handle: 4, value: Buffer.from([0x01, 0x00]) };
    expect(await server.handle(connection(), subscribe)).toEqual(errorOf(0x12, 4, ATT_ERROR.INSUFFICIENT_ENCRYPTION));
    // Reading the CCCD itself is harmless and allowed.
    expect(await server.handle(connection(), { op: 'read-req', handle: 4 })).toEqual({ op: 'read-rsp', value: Buffer.from([0, 0]) });
    expect(await server.handle(connection({ encrypted: true }), subscribe)).toEqual({ op: 'write-rsp' });
    const record = server.findCharacteristic('180d', '2a37');
    if (record === undefined) throw new Error('missing');
    expect(server.cccdValue('c1', record)).toBe(0x0001);
    server.forget('c1');
    expect(server.cccdValue('c1', record)).toBe(0);
  });

  it('[CTL-09] enforces properties, CCCD rules, handles and lengths', { tags: ['CTL-09'] }, async () => {
    const changes: GattSubscriptionChange[] = [];
    const server = new GattServer(SERVICES, { subscriptionChanged: (change) => changes.push(change) });
    const c = connection();
    expect(await server.handle(c, { op: 'write-req', handle: 6, value: Buffer.from([2]) })).toEqual(errorOf(0x12, 6, ATT_ERROR.WRITE_NOT_PERMITTED));
    expect(await server.handle(c, { op: 'read-req', handle: 8 })).toEqual(errorOf(0x0a, 8, ATT_ERROR.READ_NOT_PERMITTED));
    expect(await server.handle(c, { op: 'write-req', handle: 2, value: Buffer.from([0]) })).toEqual(errorOf(0x12, 2, ATT_ERROR.WRITE_NOT_PERMITTED));
    expect(await server.handle(c, { op: 'read-req', handle: 0 })).toEqual(errorOf(0x0a, 0, ATT_ERROR.INVALID_HANDLE));
    expect(await server.handle(c, { op: 'read-req', handle: 99 })).toEqual(errorOf(0x0a, 99, ATT_ERROR.INVALID_HANDLE));
    expect(await server.handle(c, { op: 'write-req', handle: 12, value: Buffer.from([0x02]) })).toEqual(errorOf(0x12, 12, ATT_ERROR.INVALID_ATTRIBUTE_VALUE_LENGTH));
    // Notifications asked of an indicate-only characteristic (Core Supplement Part B §1.2).
    expect(await server.handle(c, { op: 'write-req', handle: 12, value: Buffer.from([0x01, 0x00]) })).toEqual(errorOf(0x12, 12, ATT_ERROR.CCCD_IMPROPERLY_CONFIGURED));
    expect(await server.handle(c, { op: 'write-req', handle: 12, value: Buffer.from([0x02, 0x00]) })).toEqual({ op: 'write-rsp' });
    expect(changes.map((change) => [change.characteristic.uuid, change.previous, change.value])).toEqual([[VENDOR_LOG, 0, 2]]);
    expect(await server.handle(c, { op: 'write-req', handle: 8, value: Buffer.alloc(513) })).toEqual(errorOf(0x12, 8, ATT_ERROR.INVALID_ATTRIBUTE_VALUE_LENGTH));
    // A write without onWrite replaces the stored value; a command in error gets no answer at all.
    expect(await server.handle(c, { op: 'write-req', handle: 8, value: Buffer.from([7]) })).toEqual({ op: 'write-rsp' });
    expect(await server.handle(c, { op: 'write-cmd', handle: 6, value: Buffer.from([9]) })).toBeUndefined();
    expect(await server.handle(c, { op: 'read-req', handle: 6 })).toEqual({ op: 'read-rsp', value: Buffer.from([1]) });
  });

  it('serves a long value with Read Blob at ATT_MTU 23', async () => {
    const server = new GattServer(SERVICES);
    const c = connection();
    expect(await server.handle(c, { op: 'read-req', handle: 11 })).toEqual({ op: 'read-rsp', value: LONG_VALUE.subarray(0, 22) });
    expect(await server.handle(c, { op: 'read-blob-req', handle: 11, offset: 22 })).toEqual({ op: 'read-blob-rsp', value: LONG_VALUE.subarray(22, 44) });
    expect(await server.handle(c, { op: 'read-blob-req', handle: 11, offset: 44 })).toEqual({ op: 'read-blob-rsp', value: LONG_VALUE.subarray(44) });
    expect(await server.handle(c, { op: 'read-blob-req', handle: 11, offset: 51 })).toEqual(errorOf(0x0c, 11, ATT_ERROR.INVALID_OFFSET));
  });

  it('[CTL-23] passes a handler\'s AttError through and turns any other failure into 0x0E Unlikely Error', { tags: ['CTL-23'] }, async () => {
    const failures: unknown[] = [];
    const server = new GattServer(
      [
        {
          uuid: '1808',
          characteristics: [
            {
              uuid: '2a52',
              properties: ['read', 'write'],
              onRead: () => Buffer.alloc(600),
              onWrite: (_connection, value) => {
                if (value[0] === 1) throw new AttError(0x81);
                throw new Error('internal detail');
              },
            },
          ],
        },
      ],
      { handlerFailed: (_connection, _record, error) => failures.push(error) },
    );
    const c = connection();
    expect(await server.handle(c, { op: 'write-req', handle: 3, value: Buffer.from([1]) })).toEqual(errorOf(0x12, 3, 0x81));
    expect(await server.handle(c, { op: 'write-req', handle: 3, value: Buffer.from([2]) })).toEqual(errorOf(0x12, 3, ATT_ERROR.UNLIKELY_ERROR));
    // A value over the 512-octet ATT maximum is a handler bug, answered the same way.
    expect(await server.handle(c, { op: 'read-req', handle: 3 })).toEqual(errorOf(0x0a, 3, ATT_ERROR.UNLIKELY_ERROR));
    expect(failures).toHaveLength(2);
  });

  it('[CTL-09] refuses invalid definitions', { tags: ['CTL-09'] }, () => {
    expect(() => new GattServer([{ uuid: 'zz', characteristics: [] }])).toThrow(InvalidRadioDefinitionError);
    expect(() => new GattServer([{ uuid: '180d', characteristics: [{ uuid: '2a37', properties: [] }] }])).toThrow(/no properties/);
    expect(() => new GattServer([{ uuid: '180d', characteristics: [] }, { uuid: '180D', characteristics: [] }])).toThrow(/defined twice/);
    expect(() => new GattServer([{ uuid: '180d', characteristics: [{ uuid: '2a37', properties: ['read'], value: Buffer.alloc(513) }] }])).toThrow(/512/);
  });
});
