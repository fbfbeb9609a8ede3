/**
 * Honesty of the evidence (issue 6): with one CTL-07 test failed, CTL-07 is a gap and so is every
 * item mapped to it; a control without a test is "not verified", never "applied".
 */
import { describe, expect, it } from 'vitest';
import type { ControlId, RequirementProfile, TestRun } from '../../src/model.js';
import {
  countStatuses,
  evaluateControls,
  evaluateItems,
  summarizeByGroup,
  unlinkedFailures,
  type ControlEvaluation,
} from '../../src/evaluation/index.js';
import { readVitestReport } from '../../src/results/index.js';
import { FIXTURE_ROOT, fixtureControls, fixtureProfile, fixtureReport } from '../fixtures/evidence-catalogue.js';

const failedRun = readVitestReport(fixtureReport('ctl07-failed'), { rootDir: FIXTURE_ROOT });
const passedRun = readVitestReport(fixtureReport('all-passed'), { rootDir: FIXTURE_ROOT });

const byId = (evaluations: readonly ControlEvaluation[]): Record<string, ControlEvaluation> =>
  Object.fromEntries(evaluations.map((e) => [e.id, e]));

const itemStatuses = (run: TestRun): Record<string, string> =>
  Object.fromEntries(evaluateItems(fixtureProfile, evaluateControls(fixtureControls, run)).map((e) => [e.item.id, e.status]));

describe('evaluateControls', () => {
  it('makes CTL-07 a gap when one of its tests failed, even though another passed', () => {
    const ctl07 = byId(evaluateControls(fixtureControls, failedRun))['CTL-07'];
    expect(ctl07).toMatchObject({ status: 'gap', passed: 1, failed: 1, skipped: 0 });
    expect(ctl07?.tests.map((t) => t.name)).toEqual([
      'AEAD envelope > [CTL-07][C4] a flipped ciphertext bit is refused',
      "AEAD envelope > [CTL-07][C5] decryption with another device's key fails",
    ]);
  });

  it('applies a control only when a linked test passed and none failed; skipped tests are not evidence', () => {
    const controls = byId(evaluateControls(fixtureControls, failedRun));
    expect(Object.fromEntries(Object.values(controls).map((c) => [c.id, c.status]))).toEqual({
      'CTL-06': 'not-verified',
      'CTL-07': 'gap',
      'CTL-08': 'applied',
      'CTL-09': 'not-verified',
      'CTL-12': 'applied',
      'CTL-13': 'applied',
      'CTL-16': 'applied',
      'CTL-19': 'not-verified',
    });
    expect(controls['CTL-06']).toMatchObject({ tests: [], passed: 0, failed: 0, skipped: 0 });
    expect(controls['CTL-09']).toMatchObject({ passed: 0, failed: 0, skipped: 1 });
    expect(controls['CTL-13']).toMatchObject({ passed: 1, failed: 0, skipped: 1 });
  });

  it('applies CTL-07 when all its tests passed', () => {
    expect(byId(evaluateControls(fixtureControls, passedRun))['CTL-07']).toMatchObject({ status: 'applied', passed: 2, failed: 0 });
  });

  it('refuses a control listed twice (ERR_COMPLIANCE_EVALUATION_INVALID)', () => {
    expect(() => evaluateControls([...fixtureControls, fixtureControls[0]!], failedRun)).toThrow(
      expect.objectContaining({ code: 'ERR_COMPLIANCE_EVALUATION_INVALID' }),
    );
  });
});

describe('evaluateItems', () => {
  it('makes every item mapped to the failed CTL-07 a gap, never applied', () => {
    const statuses = itemStatuses(failedRun);
    for (const id of ['2.1', '2.3', '3.3']) expect(statuses[id]).toBe('gap');
    expect(statuses).toEqual({
      '2.1': 'gap',
      '2.3': 'gap',
      '3.1': 'applied',
      '3.2': 'applied',
      '3.3': 'gap',
      '3.4': 'not-verified',
      '5.2': 'not-applicable',
      '5.9': 'not-verified',
      '6.1': 'applied',
    });
  });

  it('applies an item only when every one of its controls is applied', () => {
    const statuses = itemStatuses(passedRun);
    expect(statuses['2.3']).toBe('applied');
    expect(statuses['3.3']).toBe('applied');
    // CTL-07 is applied, but CTL-06 has no test.
    expect(statuses['2.1']).toBe('not-verified');
    // An item that names no control has nothing verifying it.
    expect(statuses['5.9']).toBe('not-verified');
  });

  it('shows a not-applicable item with its justification and its controls', () => {
    const item = evaluateItems(fixtureProfile, evaluateControls(fixtureControls, failedRun)).find((e) => e.item.id === '5.2');
    expect(item).toMatchObject({
      status: 'not-applicable',
      justification: 'The simulated devices have no physical service port: every interface is a network one.',
      controls: [{ id: 'CTL-19', status: 'not-verified' }],
    });
  });

  it('gives the item its controls with their statuses, in the item order', () => {
    const item = evaluateItems(fixtureProfile, evaluateControls(fixtureControls, failedRun)).find((e) => e.item.id === '2.1');
    expect(item?.controls).toEqual([
      { id: 'CTL-06', status: 'not-verified' },
      { id: 'CTL-07', status: 'gap' },
    ]);
    expect(item).not.toHaveProperty('justification');
  });

  const withItem = (controls: readonly ControlId[], notApplicable?: string): RequirementProfile => ({
    ...fixtureProfile,
    items: [{ ...fixtureProfile.items[0]!, controls, ...(notApplicable === undefined ? {} : { notApplicable }) }],
  });

  it.each([
    ['a control that was not evaluated', withItem(['CTL-99'])],
    ['an empty justification for not applicable', withItem(['CTL-19'], '  ')],
  ])('refuses an item with %s (ERR_COMPLIANCE_EVALUATION_INVALID)', (_, profile) => {
    expect(() => evaluateItems(profile, evaluateControls(fixtureControls, failedRun))).toThrow(
      expect.objectContaining({ code: 'ERR_COMPLIANCE_EVALUATION_INVALID' }),
    );
  });

  it('refuses control statuses that list a control twice', () => {
    const statuses = [
      { id: 'CTL-07' as const, status: 'applied' as const },
      { id: 'CTL-07' as const, status: 'gap' as const },
    ];
    expect(() => evaluateItems(withItem(['CTL-07']), statuses)).toThrow(expect.objectContaining({ code: 'ERR_COMPLIANCE_EVALUATION_INVALID' }));
  });
});

describe('summaries for the chart', () => {
  it('count items by status in each group, groups in profile order', () => {
    const items = evaluateItems(fixtureProfile, evaluateControls(fixtureControls, failedRun));
    expect(summarizeByGroup(items)).toEqual([
      { group: 'Data protection', applied: 0, gap: 2, notVerified: 0, notApplicable: 0, total: 2 },
      { group: 'Integrity', applied: 2, gap: 1, notVerified: 1, notApplicable: 0, total: 4 },
      { group: 'Hardening', applied: 0, gap: 0, notVerified: 1, notApplicable: 1, total: 2 },
      { group: 'Availability', applied: 1, gap: 0, notVerified: 0, notApplicable: 0, total: 1 },
    ]);
    expect(countStatuses(items)).toEqual({ applied: 3, gap: 3, notVerified: 2, notApplicable: 1, total: 9 });
  });
});

describe('unlinkedFailures', () => {
  it('lists failed tests that claim no catalogue control, and only those', () => {
    expect(unlinkedFailures(fixtureControls, failedRun)).toEqual([]);
    const orphan = { file: 'packages/firmware/test/attacks.test.ts', name: '[U5] a freeze attack is refused', outcome: 'failed', durationMs: 1, ids: ['U5'], failure: 'x' } as const;
    const skippedOrphan = { ...orphan, outcome: 'skipped', name: '[U6] skipped' } as const;
    const run: TestRun = { ...failedRun, tests: [...failedRun.tests, orphan, skippedOrphan] };
    expect(unlinkedFailures(fixtureControls, run)).toEqual([orphan]);
  });
});
