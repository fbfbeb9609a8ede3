import { describe, expect, it } from 'vitest';
import { runCryptoDemo } from 'medsim';

describe('medsim demo', () => {
  it('[CTL-07][CTL-08] every step behaves as designed: readings open, every attack is refused with its own code', { tags: ['CTL-07', 'CTL-08'] }, async () => {
    const steps = await runCryptoDemo();
    expect(steps.filter((s) => !s.passed)).toEqual([]);
    const attacks = steps.filter((s) => s.section === 'attacks');
    expect(attacks.length).toBeGreaterThanOrEqual(8);
    expect(new Set(attacks.map((a) => a.code)).size).toBe(attacks.length);
  });
});
