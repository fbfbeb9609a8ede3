import { describe, expect, it } from 'vitest';
import { RadioSniffer, SNIFFER_DEFAULT_CAPACITY, type SniffedPdu } from '../../src/index.js';

const capture = (sniffer: RadioSniffer, hex: string): SniffedPdu =>
  sniffer.capture({ kind: 'ADV_IND', from: 'c0:ff:ee:00:00:01', accessAddress: 0x8e89bed6, air: Buffer.from(hex, 'hex'), encrypted: false });

describe('sniffer', () => {
  it('[CTL-16] keeps the last N PDUs in order (ring buffer) and counts what it dropped', { tags: ['CTL-16'] }, () => {
    let now = 0;
    const sniffer = new RadioSniffer({ capacity: 3, elapsedMs: () => (now += 5) });
    expect(new RadioSniffer({ elapsedMs: () => 0 }).capacity).toBe(SNIFFER_DEFAULT_CAPACITY);
    for (const hex of ['01', '02', '03', '04', '05']) capture(sniffer, hex);
    expect(sniffer.pdus.map((pdu) => [pdu.index, pdu.air.toString('hex'), pdu.atMs])).toEqual([
      [2, '03', 15],
      [3, '04', 20],
      [4, '05', 25],
    ]);
    expect(sniffer.dropped).toBe(2);
    sniffer.clear();
    expect(sniffer.pdus).toEqual([]);
    expect(capture(sniffer, '06').index).toBe(5);
    expect(() => new RadioSniffer({ capacity: 0, elapsedMs: () => 0 })).toThrow(RangeError);
  });

  it('finds bytes in what it captured and emits every PDU live', () => {
    const sniffer = new RadioSniffer({ elapsedMs: () => 0 });
    const live: number[] = [];
    sniffer.on('pdu', (pdu) => live.push(pdu.index));
    capture(sniffer, 'd6be898e0006112233445566');
    capture(sniffer, 'd6be898e0006aabbccddeeff');
    expect(sniffer.containsBytes(Buffer.from('33445566', 'hex'))).toBe(true);
    expect(sniffer.findBytes(Buffer.from('ccdd', 'hex')).map((pdu) => pdu.index)).toEqual([1]);
    expect(sniffer.containsBytes(Buffer.from('deadbeef', 'hex'))).toBe(false);
    expect(sniffer.containsBytes(new Uint8Array())).toBe(false);
    expect(live).toEqual([0, 1]);
  });
});
