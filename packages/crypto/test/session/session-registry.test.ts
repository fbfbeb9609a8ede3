import { describe, expect, it } from 'vitest';
import { SessionRegistry } from '@medsim/crypto';
import { READING, TestClock, establish, codeOf } from '../fixtures.js';

describe('SessionRegistry: routing by key id, rotation overlap', () => {
  it('[CTL-11][C7] routes each envelope to its device session; unknown key ids are refused', { tags: ['CTL-11', 'C7'] }, () => {
    const clock = new TestClock();
    const registry = new SessionRegistry({ now: clock.now });
    const a = establish('pump-0001', undefined, clock);
    const b = establish('pump-0002', undefined, clock);
    registry.add(a.gateway);
    registry.add(b.gateway);
    expect(registry.open(a.device.seal(READING, Buffer.from('a'))).session.deviceId).toBe('pump-0001');
    expect(registry.open(b.device.seal(READING, Buffer.from('b'))).session.deviceId).toBe('pump-0002');
    const stranger = establish('pump-0003', undefined, clock);
    expect(codeOf(() => registry.open(stranger.device.seal(READING, Buffer.from('c'))))).toBe('ERR_CRYPTO_UNKNOWN_KEY');
  });

  it('[CTL-11][C8] after a rekey the old session opens for the overlap only; nothing in flight is lost', { tags: ['CTL-11', 'C8'] }, () => {
    const clock = new TestClock();
    const registry = new SessionRegistry({ now: clock.now, overlapMs: 60_000 });
    const first = establish('pump-0001', undefined, clock);
    registry.add(first.gateway);
    const inFlight = Array.from({ length: 5 }, (_, i) => first.device.seal(READING, Buffer.from(`old ${i}`)));
    const second = establish('pump-0001', undefined, clock);
    registry.add(second.gateway);
    expect(registry.currentFor('pump-0001')).toBe(second.gateway);
    expect(registry.open(second.device.seal(READING, Buffer.from('new'))).session).toBe(second.gateway);
    for (const envelope of inFlight.slice(0, 3)) expect(registry.open(envelope).session).toBe(first.gateway);
    clock.advance(60_000);
    expect(codeOf(() => registry.open(inFlight[3]!))).toBe('ERR_CRYPTO_UNKNOWN_KEY');
    expect(codeOf(() => registry.open(inFlight[4]!))).toBe('ERR_CRYPTO_UNKNOWN_KEY');
    // A third session drops the first immediately and keeps the second as the previous one.
    const third = establish('pump-0001', undefined, clock);
    registry.add(third.gateway);
    expect(registry.size).toBe(2);
  });

  it('[CTL-16] is bounded: a full registry refuses new devices', { tags: ['CTL-16'] }, () => {
    const registry = new SessionRegistry({ maxSessions: 1 });
    registry.add(establish('pump-0001').gateway);
    expect(codeOf(() => registry.add(establish('pump-0002').gateway))).toBe('ERR_CRYPTO_CAPACITY');
    registry.removeDevice('pump-0001');
    registry.add(establish('pump-0002').gateway);
    expect(registry.size).toBe(1);
  });
});
