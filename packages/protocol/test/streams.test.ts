/** Stream ids (src/streams.ts): distinct, and within the per-session stream bound. */
import { describe, expect, it } from 'vitest';
import { MAX_STREAMS_PER_SESSION, STREAM_IDS } from '@medsim/protocol';

describe('STREAM_IDS', () => {
  it('[CTL-16] are distinct and below MAX_STREAMS_PER_SESSION, so replay-window memory stays bounded', { tags: ['CTL-16'] }, () => {
    const ids = Object.values(STREAM_IDS);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(Number.isInteger(id)).toBe(true);
      expect(id).toBeGreaterThanOrEqual(0);
      expect(id).toBeLessThan(MAX_STREAMS_PER_SESSION);
    }
  });
});
