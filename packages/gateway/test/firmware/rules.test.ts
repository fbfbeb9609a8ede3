/**
 * The pure rules behind the repository, the delivery listener and the campaigns, each on its own
 * (CTL-09, CTL-12, U14, U15), with fast-check properties under fixed seeds: hostile input is
 * refused with its own typed error and never crashes; ranges, stage shares and cohort order do
 * what docs/firmware/gateway.md says; an update's state never goes back.
 */
import { MedsimError } from '@medsim/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseByteRange } from '../../src/firmware/byte-range.js';
import { checkStages, isFinished, nextUpdateState, rankCohort, shouldPause, stageQuota, type DeviceUpdateState, type ReportedUpdate } from '../../src/firmware/campaign-rules.js';
import { parseDeviceReport } from '../../src/firmware/device-report.js';
import { parseMetadataName, parseTargetFileName } from '../../src/firmware/repository-names.js';
import { REPORTED_STATES } from '../../src/index.js';

const SEED = 20_261_129;
const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    if (!(error instanceof MedsimError)) throw error;
    return error.code;
  }
};

describe('device reports (CTL-09, U14)', () => {
  const valid = { campaign: 'a'.repeat(32), jti: 'A'.repeat(22) };

  it('[CTL-09][U14] any JSON value is either a well-formed report or ERR_FIRMWARE_REPORT_INVALID, never a crash', { tags: ['CTL-09', 'U14'] }, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record(
            {
              campaign: fc.oneof(fc.constant(valid.campaign), fc.string()),
              jti: fc.oneof(fc.constant(valid.jti), fc.string()),
              state: fc.oneof(fc.constantFrom(...REPORTED_STATES), fc.string()),
              progress: fc.anything(),
              errorCode: fc.oneof(fc.constant('ERR_X'), fc.anything()),
            },
            { requiredKeys: ['campaign', 'jti', 'state'] },
          ),
        ),
        (value) => {
        const code = codeOf(() => parseDeviceReport(value));
        expect(code === undefined || code === 'ERR_FIRMWARE_REPORT_INVALID').toBe(true);
        },
      ),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('[CTL-09] the schema is closed: each state with exactly its own members', { tags: ['CTL-09'] }, () => {
    expect(parseDeviceReport({ ...valid, state: 'downloading', progress: 0 })).toEqual({ ...valid, state: 'downloading', progress: 0 });
    expect(parseDeviceReport({ ...valid, state: 'reverted' })).toEqual({ ...valid, state: 'reverted' });
    expect(parseDeviceReport({ ...valid, state: 'reverted', errorCode: 'ERR_BOOT_HEALTH_CHECK' })).toMatchObject({ errorCode: 'ERR_BOOT_HEALTH_CHECK' });
    for (const bad of [
      { ...valid, state: 'downloading', progress: 1.5 },
      { ...valid, state: 'trial', progress: 100 },
      { ...valid, state: 'failed', errorCode: `ERR_${'X'.repeat(61)}` },
      { ...valid, state: 'installed', __proto__: { polluted: true }, extra: 1 },
      { ...valid, jti: 'A'.repeat(23), state: 'installed' },
      { ...valid, campaign: 'A'.repeat(32), state: 'installed' },
    ]) {
      expect(codeOf(() => parseDeviceReport(bad)), JSON.stringify(bad)).toBe('ERR_FIRMWARE_REPORT_INVALID');
    }
    expect(codeOf(() => parseDeviceReport(JSON.parse(`{"campaign":"${valid.campaign}","jti":"${valid.jti}","state":"installed","__proto__":{}}`)))).toBe('ERR_FIRMWARE_REPORT_INVALID');
  });
});

describe('update state (U15)', () => {
  const state = fc.record({
    state: fc.constantFrom(...REPORTED_STATES),
    progress: fc.integer({ min: 0, max: 100 }),
    errorCode: fc.constantFrom('ERR_A', 'ERR_B'),
  });

  it('[U15] whatever reports arrive, in whatever order, the state never goes back and an ended update stays ended', { tags: ['U15'] }, () => {
    const step = (s: DeviceUpdateState): number => ['pending', 'offered', 'downloading', 'installed', 'trial'].indexOf(s.status) + (isFinished(s.status) ? 10 : 0);
    fc.assert(
      fc.property(fc.array(state, { maxLength: 30 }), (reports) => {
        let current: DeviceUpdateState = { status: 'offered', progress: 0, errorCode: null };
        for (const r of reports) {
          const report: ReportedUpdate = {
            state: r.state,
            ...(r.state === 'downloading' ? { progress: r.progress } : {}),
            ...(r.state === 'failed' || r.state === 'reverted' ? { errorCode: r.errorCode } : {}),
          };
          let next: DeviceUpdateState | undefined;
          const code = codeOf(() => (next = nextUpdateState(current, report)));
          if (code !== undefined) {
            expect(code).toBe('ERR_FIRMWARE_REPORT_STALE');
            continue;
          }
          if (next === undefined) continue;
          expect(step(next)).toBeGreaterThanOrEqual(step(current));
          if (next.status === 'downloading' && current.status === 'downloading') expect(next.progress).toBeGreaterThan(current.progress);
          expect(isFinished(current.status)).toBe(false);
          current = next;
        }
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
});

describe('stages and cohort order (CTL-12)', () => {
  it('[CTL-12] the cohort order is a permutation fixed by campaign and device ids, whatever order the ids come in, and differs between campaigns', { tags: ['CTL-12'] }, () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-z0-9]{1,12}$/u), { minLength: 1, maxLength: 50 }), fc.string({ minLength: 1 }), (ids, campaign) => {
        const order = rankCohort(campaign, ids);
        expect([...order].sort()).toEqual([...ids].sort());
        expect(rankCohort(campaign, [...ids].reverse())).toEqual(order);
      }),
      { seed: SEED, numRuns: 300 },
    );
    const ids = Array.from({ length: 20 }, (_, i) => `device-${i}`);
    expect(rankCohort('campaign-a', ids)).not.toEqual(rankCohort('campaign-b', ids));
  });

  it('[CTL-12] a stage offers ceil(percent × cohort) devices: at least one, never fewer than the stage before, all of them at 100 %', { tags: ['CTL-12'] }, () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 99 }), (cohort, percent) => {
        expect(stageQuota(percent, cohort)).toBeGreaterThanOrEqual(1);
        expect(stageQuota(percent, cohort)).toBeLessThanOrEqual(stageQuota(percent + 1, cohort));
        expect(stageQuota(100, cohort)).toBe(cohort);
      }),
      { seed: SEED, numRuns: 500 },
    );
    expect(stageQuota(10, 10)).toBe(1);
    expect(stageQuota(10, 11)).toBe(2);
    for (const good of [[100], [10, 50, 100], [1, 2, 3, 4, 5, 6, 7, 8, 9, 100]]) expect(() => checkStages(good)).not.toThrow();
    for (const bad of [[], [50], [0, 100], [50, 50, 100], [60, 40, 100], [10.5, 100], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100], [100, 101]]) {
      expect(codeOf(() => checkStages(bad)), JSON.stringify(bad)).toBe('ERR_CAMPAIGN_INVALID');
    }
  });

  it('[CTL-12] the campaign pauses above the threshold, once the minimum sample finished or the whole stage did', { tags: ['CTL-12'] }, () => {
    const rule = { thresholdPercent: 20, minSample: 3 };
    expect(shouldPause({ finished: 2, failed: 2 }, false, rule)).toBe(false);
    expect(shouldPause({ finished: 3, failed: 1 }, false, rule)).toBe(true);
    expect(shouldPause({ finished: 5, failed: 1 }, false, rule)).toBe(false); // exactly 20 %: not above
    expect(shouldPause({ finished: 6, failed: 2 }, false, rule)).toBe(true);
    expect(shouldPause({ finished: 1, failed: 1 }, true, rule)).toBe(true); // a one-device stage that failed
    expect(shouldPause({ finished: 0, failed: 0 }, true, rule)).toBe(false);
    expect(shouldPause({ finished: 10, failed: 10 }, false, { thresholdPercent: 100, minSample: 1 })).toBe(false);
    expect(shouldPause({ finished: 10, failed: 1 }, false, { thresholdPercent: 0, minSample: 1 })).toBe(true);
  });
});

describe('byte ranges (CTL-16, U6)', () => {
  it('[CTL-16] bytes=N- and bytes=N-M give exactly the bytes asked for, clipped to the file; anything else is 416', { tags: ['CTL-16', 'U6'] }, () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.nat(), fc.option(fc.nat()), (length, startSeed, endSeed) => {
        const start = startSeed % (length + 2);
        const header = endSeed === null ? `bytes=${start}-` : `bytes=${start}-${endSeed}`;
        const code = codeOf(() => parseByteRange(header, length));
        if (start >= length || (endSeed !== null && endSeed < start)) {
          expect(code).toBe('ERR_FIRMWARE_RANGE_NOT_SATISFIABLE');
          return;
        }
        const range = parseByteRange(header, length)!;
        expect(range.start).toBe(start);
        expect(range.end).toBe(endSeed === null ? length - 1 : Math.min(endSeed, length - 1));
      }),
      { seed: SEED, numRuns: 2000 },
    );
    expect(parseByteRange(undefined, 10)).toBeUndefined();
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (header) => {
        const code = codeOf(() => parseByteRange(header, 1000));
        expect(code === undefined || code === 'ERR_FIRMWARE_RANGE_NOT_SATISFIABLE').toBe(true);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});

describe('repository names (CTL-09, CTL-12)', () => {
  it('[CTL-09] any string is a repository name or ERR_FIRMWARE_NAME_INVALID; no accepted name holds `..`, a backslash or a leading `/`', { tags: ['CTL-09', 'CTL-12'] }, () => {
    const sha = 'ab'.repeat(32);
    const names = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.string({ maxLength: 30 }).map((s) => `ultrasound/${sha}.${s}.bin`),
      fc.string({ maxLength: 20 }).map((s) => `${s}.root.json`),
    );
    fc.assert(
      fc.property(names, (name) => {
        for (const parse of [parseMetadataName, parseTargetFileName]) {
          const code = codeOf(() => parse(name));
          if (code === undefined) {
            expect(name.includes('..') || name.includes('\\') || name.startsWith('/')).toBe(false);
          } else {
            expect(code).toBe('ERR_FIRMWARE_NAME_INVALID');
          }
        }
      }),
      { seed: SEED, numRuns: 3000 },
    );
    expect(parseTargetFileName(`ultrasound/${sha}.ultrasound-1.0.0.bin`)).toEqual({ filePath: `ultrasound/${sha}.ultrasound-1.0.0.bin`, targetPath: 'ultrasound/ultrasound-1.0.0.bin', model: 'ultrasound', sha256: sha });
    expect(parseMetadataName('2147483647.root.json')).toEqual({ name: '2147483647.root.json', role: 'root', version: 2_147_483_647 });
    expect(codeOf(() => parseMetadataName('2147483648.root.json'))).toBe('ERR_FIRMWARE_NAME_INVALID');
  });
});
