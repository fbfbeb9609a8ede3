import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MedsimError } from '@medsim/protocol';
import { ReplayWindow } from '@medsim/crypto';
import { TrafficKey } from '../src/internal/envelope/traffic-key.js';

/** Accepts like an opener would: check, then commit. Returns the refusal code or 'ok'. */
function deliver(window: ReplayWindow, sequence: number): string {
  try {
    window.check(sequence);
  } catch (error) {
    return (error as MedsimError).code;
  }
  window.commit(sequence);
  return 'ok';
}

describe('ReplayWindow (RFC 4303 §3.4.3 semantics)', () => {
  it('[CTL-08][C3] matches a reference model on random delivery orders (property)', { tags: ['CTL-08', 'C3'] }, () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 5_000 }), { maxLength: 2_000 }), (sequences) => {
        const window = new ReplayWindow(1024);
        const seen = new Set<number>();
        let top = -1;
        for (const s of sequences) {
          const expected = s > top ? 'ok' : top - s >= 1024 ? 'ERR_CRYPTO_TOO_OLD' : seen.has(s) ? 'ERR_CRYPTO_REPLAY' : 'ok';
          expect(deliver(window, s)).toBe(expected);
          if (expected === 'ok') {
            seen.add(s);
            top = Math.max(top, s);
          }
        }
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('[CTL-08][C2] survives a restart through snapshot and restore', { tags: ['CTL-08', 'C2'] }, () => {
    const window = new ReplayWindow();
    for (const s of [0, 1, 2, 10, 7]) window.commit(s);
    const restored = ReplayWindow.restore(window.snapshot());
    expect([0, 1, 2, 10, 7].map((s) => deliver(restored, s))).toEqual(Array(5).fill('ERR_CRYPTO_REPLAY'));
    expect(deliver(restored, 8)).toBe('ok');
    expect(() => ReplayWindow.restore({ size: 1024, top: 3, bits: new Uint8Array(5) })).toThrow(MedsimError);
  });

  it('[CTL-16] refuses sizes that are not multiples of 32 in [32, 65536]', { tags: ['CTL-16'] }, () => {
    for (const size of [0, 31, 33, 65_568]) expect(() => new ReplayWindow(size)).toThrow(MedsimError);
  });
});

describe('nonce construction', () => {
  it('[CTL-07][C1] 1,000,000 (stream, sequence) pairs give 1,000,000 distinct nonces under one key', { tags: ['CTL-07', 'C1'] }, () => {
    const key = new TrafficKey(Buffer.alloc(32, 1), Buffer.from('0123456789ab'));
    const seen = new Set<string>();
    for (let stream = 0; stream < 4; stream++) {
      for (let sequence = 0; sequence < 250_000; sequence++) seen.add(key.nonce(stream, sequence).toString('latin1'));
    }
    // Far sequences differ in the high 32 bits: no aliasing above 2^32.
    seen.add(key.nonce(0, 2 ** 32).toString('latin1'));
    seen.add(key.nonce(0, Number.MAX_SAFE_INTEGER).toString('latin1'));
    expect(seen.size).toBe(1_000_002);
  });
});
