import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidNetworkProfileError } from '../../src/errors.js';
import { NETWORK_PROFILES, renderNetworkProfilesTable, validateNetworkProfile, type NetworkProfile } from '../../src/network/network-profile.js';

const DOC = new URL('../../../../docs/devices/network-profiles.md', import.meta.url);

const failure = (value: unknown): { code?: string | undefined; field?: unknown; error: unknown } => {
  try {
    validateNetworkProfile(value);
  } catch (error) {
    return { code: (error as { code?: string }).code, field: (error as InvalidNetworkProfileError).details.field, error };
  }
  return { error: undefined };
};

describe('network profiles', () => {
  it('catalogue: every profile is valid, named by its key, and only the lab links are private', () => {
    for (const [key, profile] of Object.entries(NETWORK_PROFILES)) {
      expect(validateNetworkProfile(profile)).toEqual(profile);
      expect(profile.name).toBe(key);
    }
    expect(Object.keys(NETWORK_PROFILES)).toEqual(['ideal', 'home-wifi', 'hospital-wifi', 'public-wifi', 'lte', 'lte-poor', '3g', 'satellite']);
    expect(NETWORK_PROFILES['public-wifi'].public).toBe(true);
    expect(Object.values(NETWORK_PROFILES).filter((p) => !p.public).map((p) => p.name)).toEqual(['ideal', 'hospital-wifi']);
    // Sanity of the figures: worse links are slower and lossier than better ones.
    expect(NETWORK_PROFILES['lte-poor'].latencyMs).toBeGreaterThan(NETWORK_PROFILES.lte.latencyMs);
    expect(NETWORK_PROFILES['lte-poor'].lossRate).toBeGreaterThan(NETWORK_PROFILES.lte.lossRate);
    expect(NETWORK_PROFILES.satellite.latencyMs).toBeGreaterThan(NETWORK_PROFILES['3g'].latencyMs);
    expect(Object.isFrozen(NETWORK_PROFILES.lte)).toBe(true);
  });

  it('[CTL-09] refuses nonsense values with a typed error naming the field', { tags: ['CTL-09', 'CTL-23'] }, () => {
    const base: NetworkProfile = NETWORK_PROFILES.lte;
    const cases: [unknown, string][] = [
      [null, ''],
      [{ ...base, name: 'LTE Poor' }, 'name'],
      [{ ...base, name: '' }, 'name'],
      [{ ...base, technology: '5g' }, 'technology'],
      [{ ...base, latencyMs: -1 }, 'latencyMs'],
      [{ ...base, latencyMs: Number.NaN }, 'latencyMs'],
      [{ ...base, latencyMs: 60_001 }, 'latencyMs'],
      [{ ...base, jitterMs: Number.POSITIVE_INFINITY }, 'jitterMs'],
      [{ ...base, lossRate: 1 }, 'lossRate'],
      [{ ...base, lossRate: -0.1 }, 'lossRate'],
      [{ ...base, lossRate: '0.1' }, 'lossRate'],
      [{ ...base, bandwidthBitsPerSecond: 0 }, 'bandwidthBitsPerSecond'],
      [{ ...base, bandwidthBitsPerSecond: 1e12 }, 'bandwidthBitsPerSecond'],
      [{ ...base, public: 'yes' }, 'public'],
      [{ ...base, outages: { meanTimeBetweenMs: 10, meanDurationMs: 100 } }, 'meanTimeBetweenMs'],
      [{ ...base, outages: { meanTimeBetweenMs: 60_000, meanDurationMs: 0 } }, 'meanDurationMs'],
      [{ ...base, outages: 5 }, 'outages'],
    ];
    for (const [value, field] of cases) {
      const result = failure(value);
      expect(result.error, JSON.stringify(value)).toBeInstanceOf(InvalidNetworkProfileError);
      expect(result.code).toBe('ERR_NETWORK_INVALID_PROFILE');
      expect(result.field).toBe(field);
    }
  });

  it('accepts edge values and returns a frozen copy', () => {
    const edge = { name: 'x', technology: 'satellite', latencyMs: 0, jitterMs: 60_000, lossRate: 0.999, bandwidthBitsPerSecond: 8, public: false };
    const copy = validateNetworkProfile(edge);
    expect(copy).toEqual(edge);
    expect(copy).not.toBe(edge);
    expect(Object.isFrozen(copy)).toBe(true);
  });

  it('docs/devices/network-profiles.md carries the table rendered from the catalogue', () => {
    const table = renderNetworkProfilesTable();
    expect(table.split('\n')).toHaveLength(2 + Object.keys(NETWORK_PROFILES).length);
    expect(table).toContain('| `lte-poor` | lte | 120 ms | 60 ms | 2 % | 1 Mbit/s | yes | every ~5 min, ~10 s |');
    expect(readFileSync(DOC, 'utf8')).toContain(table);
  });
});
