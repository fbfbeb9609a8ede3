/**
 * Link security through real noble: ATT errors before pairing, Just Works pairing (LESC and
 * legacy), and what a passive sniffer can read of a biometric value in each case.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Characteristic, Peripheral } from '@stoprocent/noble';
import { ATT_ERROR, AttError, type AttributeSecurity, type PairingPolicy, SMP_REASON, VirtualRadio } from '../../src/index.js';
import { connected, next, poweredNoble, rejection, until } from './fixtures.js';

// A distinctive reading (16 octets) so that a chance match in ciphertext is out of the question.
const READING = Buffer.from('5370 4f32 3d39 3725 2050 523d 3732'.replace(/ /g, ''), 'hex');

let radio: VirtualRadio;
afterEach(() => radio.close());

/** A pulse oximeter whose measurement has the given security; also a read-only and a write-only characteristic. */
function oximeter(pairing: PairingPolicy, security: AttributeSecurity): { device: ReturnType<VirtualRadio['addPeripheral']>; written: Buffer[] } {
  const written: Buffer[] = [];
  const device = radio.addPeripheral({
    address: 'c0:ff:ee:00:00:05',
    serviceUuids: ['1822'],
    advertisingIntervalMs: 20,
    pairing,
    services: [
      {
        uuid: '1822',
        characteristics: [
          { uuid: '2a5f', properties: ['read', 'notify'], security, onRead: () => READING },
          { uuid: '2a60', properties: ['read'], value: Buffer.from([0x00, 0x00]) },
          { uuid: '2a52', properties: ['write'], security, onWrite: (_connection, value) => void written.push(value) },
        ],
      },
    ],
  });
  device.startAdvertising();
  return { device, written };
}

async function characteristics(peripheral: Peripheral): Promise<Record<string, Characteristic>> {
  const { characteristics: found } = await peripheral.discoverAllServicesAndCharacteristicsAsync();
  return Object.fromEntries(found.map((characteristic) => [characteristic.uuid, characteristic]));
}

const attPdusOf = (r: VirtualRadio) => r.sniffer.pdus.filter((pdu) => pdu.kind === 'ATT');

describe('ATT errors seen through noble', () => {
  it('[CTL-07] refuses reads, writes and subscriptions of an encrypted attribute on a clear link with 0x0F Insufficient Encryption', { tags: ['CTL-07'] }, async () => {
    radio = new VirtualRadio({ seed: 'security' });
    const { written } = oximeter('lesc-just-works', 'encrypted');
    const noble = await poweredNoble(radio);
    const peripheral = await connected(noble, 'c0ffee000005');
    const c = await characteristics(peripheral);
    for (const attempt of [c['2a5f']?.readAsync(), c['2a52']?.writeAsync(Buffer.from([1]), false), c['2a5f']?.subscribeAsync()]) {
      const error = await rejection(attempt ?? Promise.resolve());
      expect(error).toMatchObject({ code: 'ERR_BLE_ATT_ERROR', attErrorCode: ATT_ERROR.INSUFFICIENT_ENCRYPTION });
      expect(error.message).toMatch(/0x0f Insufficient Encryption/);
    }
    expect(written).toHaveLength(0);
    expect(radio.sniffer.containsBytes(READING)).toBe(false);
    // The refusal itself crossed the air as an Error Response.
    expect(attPdusOf(radio).filter((pdu) => pdu.att?.op === 'error-rsp' && pdu.att.errorCode === 0x0f)).toHaveLength(3);
  });

  it('[CTL-09] refuses a write to a read-only characteristic (0x03), a read of a write-only one (0x02) and a value over ATT_MTU-3', { tags: ['CTL-09'] }, async () => {
    radio = new VirtualRadio({ seed: 'security' });
    oximeter('lesc-just-works', 'none');
    const noble = await poweredNoble(radio, { mtu: 23 });
    const peripheral = await connected(noble, 'c0ffee000005');
    expect(peripheral.mtu).toBe(23);
    const c = await characteristics(peripheral);
    expect(await rejection(c['2a60']?.writeAsync(Buffer.from([1]), false) ?? Promise.resolve())).toMatchObject({ attErrorCode: ATT_ERROR.WRITE_NOT_PERMITTED });
    expect(await rejection(c['2a52']?.readAsync() ?? Promise.resolve())).toMatchObject({ attErrorCode: ATT_ERROR.READ_NOT_PERMITTED });
    // 21 octets at ATT_MTU 23: one more than a Write Request carries.
    expect(await rejection(c['2a52']?.writeAsync(Buffer.alloc(21), false) ?? Promise.resolve())).toMatchObject({ code: 'ERR_BLE_ATT_VALUE_TOO_LONG' });
    await c['2a52']?.writeAsync(Buffer.alloc(20), false);
  });

  it('[CTL-23] answers a handler\'s AttError with its code, and any other failure with 0x0E without leaking it', { tags: ['CTL-23'] }, async () => {
    radio = new VirtualRadio({ seed: 'security' });
    const device = radio.addPeripheral({
      address: 'c0:ff:ee:00:00:06',
      advertisingIntervalMs: 20,
      services: [
        {
          uuid: '1808',
          characteristics: [
            {
              uuid: '2a52',
              properties: ['write'],
              onWrite: (_connection, value) => {
                // An application error code (Vol 3 Part F §3.4.1.1: 0x80–0x9F) passes through.
                if (value[0] === 0x02) throw new AttError(0x80);
                throw new Error('database password is hunter2');
              },
            },
          ],
        },
      ],
    });
    device.startAdvertising();
    const handlerErrors: unknown[] = [];
    device.on('handlerError', (_connection, error) => handlerErrors.push(error));
    const noble = await poweredNoble(radio);
    const peripheral = await connected(noble, 'c0ffee000006');
    const c = await characteristics(peripheral);
    const error = await rejection(c['2a52']?.writeAsync(Buffer.from([0x01]), false) ?? Promise.resolve());
    expect(error).toMatchObject({ attErrorCode: ATT_ERROR.UNLIKELY_ERROR });
    expect(error.message).not.toMatch(/hunter2/);
    expect(radio.sniffer.containsBytes(Buffer.from('hunter2'))).toBe(false);
    expect(handlerErrors).toHaveLength(1);
    expect(await rejection(c['2a52']?.writeAsync(Buffer.from([0x02]), false) ?? Promise.resolve())).toMatchObject({ attErrorCode: 0x80 });
    expect(handlerErrors).toHaveLength(1);
  });
});

describe('pairing and what the sniffer reads', () => {
  it('[CTL-07] after LE Secure Connections pairing the sniffer sees only ciphertext: the reading is nowhere in what it can read', { tags: ['CTL-07'] }, async () => {
    radio = new VirtualRadio({ seed: 'security' });
    const { device } = oximeter('lesc-just-works', 'encrypted');
    const noble = await poweredNoble(radio);
    const peripheral = await connected(noble, 'c0ffee000005');
    const c = await characteristics(peripheral);
    const paired = next<[unknown, string]>(device, 'paired');
    await peripheral.pairAsync();
    expect((await paired)[1]).toBe('lesc-just-works');
    expect(await c['2a5f']?.readAsync()).toEqual(READING);
    const values: Buffer[] = [];
    c['2a5f']?.on('data', (data: Buffer, isNotification: boolean) => {
      if (isNotification) values.push(data);
    });
    await c['2a5f']?.subscribeAsync();
    expect(await device.notify('1822', '2a5f', READING)).toBe(1);
    await until(() => values.length === 1);
    expect(values[0]).toEqual(READING);

    const sniffer = radio.sniffer;
    // The pairing crossed the air in clear (public keys, nonces), then LL_ENC; ATT after it is sealed.
    expect(sniffer.pdus.some((pdu) => pdu.smp?.code === 'pairing-public-key')).toBe(true);
    expect(sniffer.pdus.some((pdu) => pdu.kind === 'LL_ENC')).toBe(true);
    const sealed = sniffer.pdus.filter((pdu) => pdu.kind === 'ATT' && pdu.encrypted);
    expect(sealed.length).toBeGreaterThanOrEqual(4);
    expect(sealed.every((pdu) => pdu.att === undefined && pdu.cracked === undefined)).toBe(true);
    expect(sniffer.crackedConnections).toEqual([]);
    expect(sniffer.containsBytes(READING)).toBe(false);
  });

  it('[CTL-07] with legacy Just Works the sniffer derives the key from the air and reads the reading (cracked)', { tags: ['CTL-07'] }, async () => {
    radio = new VirtualRadio({ seed: 'security' });
    const { device } = oximeter('legacy-just-works', 'encrypted');
    const noble = await poweredNoble(radio);
    const peripheral = await connected(noble, 'c0ffee000005');
    const c = await characteristics(peripheral);
    const paired = next<[unknown, string]>(device, 'paired');
    await peripheral.pairAsync();
    expect((await paired)[1]).toBe('legacy-just-works');
    expect(await c['2a5f']?.readAsync()).toEqual(READING);

    const sniffer = radio.sniffer;
    expect(sniffer.crackedConnections).toHaveLength(1);
    const hits = sniffer.findBytes(READING);
    expect(hits).toHaveLength(1);
    const [hit] = hits;
    expect(hit).toMatchObject({ kind: 'ATT', encrypted: true, cracked: true, att: { op: 'read-rsp', value: READING } });
    // The air itself carried ciphertext: the reading is only in what the sniffer decrypted.
    expect(hit?.air.includes(READING)).toBe(false);
  });

  it('[CTL-07] without pairing the reading crosses the air in clear', { tags: ['CTL-07'] }, async () => {
    radio = new VirtualRadio({ seed: 'security' });
    oximeter('lesc-just-works', 'none');
    const noble = await poweredNoble(radio);
    const peripheral = await connected(noble, 'c0ffee000005');
    const c = await characteristics(peripheral);
    expect(await c['2a5f']?.readAsync()).toEqual(READING);
    const hits = radio.sniffer.findBytes(READING);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ encrypted: false, att: { op: 'read-rsp', value: READING } });
    expect(hits[0]?.cracked).toBeUndefined();
  });

  it('[CTL-05] fails pairing honestly: no pairing support (0x05), MITM protection asked of Just Works (0x03), a passkey ceremony', { tags: ['CTL-05'] }, async () => {
    radio = new VirtualRadio({ seed: 'security' });
    oximeter('none', 'encrypted');
    const noble = await poweredNoble(radio);
    const peripheral = await connected(noble, 'c0ffee000005');
    expect(await rejection(peripheral.pairAsync())).toMatchObject({ code: 'ERR_BLE_PAIRING_FAILED', smpReason: SMP_REASON.PAIRING_NOT_SUPPORTED });
    await peripheral.disconnectAsync();
    radio.close();

    radio = new VirtualRadio({ seed: 'security' });
    oximeter('lesc-just-works', 'encrypted');
    const second = await poweredNoble(radio);
    const other = await connected(second, 'c0ffee000005');
    // DevicePairingKinds.ConfirmOnly (0x08), DevicePairingProtectionLevel.EncryptionAndAuthentication (3).
    expect(await rejection(other.pairAsync(0x08, 3))).toMatchObject({ code: 'ERR_BLE_PAIRING_FAILED', smpReason: SMP_REASON.AUTHENTICATION_REQUIREMENTS });
    // The central tells the peripheral with SMP Pairing Failed (it follows the rejection on the air).
    await until(() => radio.sniffer.pdus.some((pdu) => pdu.smp?.code === 'pairing-failed' && pdu.smp.reason === SMP_REASON.AUTHENTICATION_REQUIREMENTS));
    // DevicePairingKinds.ProvidePin (0x40): noble collects no passkey.
    expect(await rejection(other.pairAsync(0x40))).toMatchObject({ code: 'ERR_BLE_PAIRING_FAILED' });
    // Still not encrypted, so protected data stays refused.
    const c = await characteristics(other);
    expect(await rejection(c['2a5f']?.readAsync() ?? Promise.resolve())).toMatchObject({ attErrorCode: ATT_ERROR.INSUFFICIENT_ENCRYPTION });
  });
});
