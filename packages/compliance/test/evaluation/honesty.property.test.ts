/**
 * Property: whatever the run and the mapping, no control and no item is ever 'applied' when a test
 * linked to it failed, and a failed linked test always makes an applicable item a gap (issue 6,
 * "Honesty is the point").
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Control, ControlId, RequirementProfile, TestResult, TestRun } from '../../src/model.js';
import { evaluateControls, evaluateItems } from '../../src/evaluation/index.js';

const CONTROL_IDS: readonly ControlId[] = ['CTL-01', 'CTL-02', 'CTL-03', 'CTL-04', 'CTL-05', 'CTL-06'];
const OTHER_IDS = ['C1', 'U3', 'F2'];

const controls: readonly Control[] = CONTROL_IDS.map((id) => ({
  id,
  title: id,
  description: id,
  scope: ['gateway'],
  principles: ['integrity'],
  code: [],
  verification: 'property',
}));

const test = fc.record({
  ids: fc.subarray([...CONTROL_IDS, ...OTHER_IDS]),
  outcome: fc.constantFrom('passed', 'failed', 'skipped'),
});

const item = fc.record({
  controls: fc.subarray([...CONTROL_IDS]),
  notApplicable: fc.option(fc.constant('Does not apply (property test).'), { nil: undefined }),
});

describe('evaluation honesty (property)', () => {
  it('never applies a control or an item with a failed linked test; such an applicable item is a gap', () => {
    fc.assert(
      fc.property(fc.array(test, { maxLength: 30 }), fc.array(item, { minLength: 1, maxLength: 12 }), (tests, items) => {
        const run: TestRun = {
          startedAt: '2026-01-01T00:00:00.000Z',
          durationMs: 0,
          tests: tests.map((t, i): TestResult => ({ file: `t${i}.test.ts`, name: `test ${i}`, durationMs: 1, ...t })),
        };
        const profile: RequirementProfile = {
          id: 'property',
          title: 'property',
          note: 'property',
          items: items.map((it, i) => ({
            id: String(i),
            group: i % 2 === 0 ? 'even' : 'odd',
            text: 'property',
            provenance: 'reconstructed',
            basis: 'property',
            standards: [],
            controls: it.controls,
            ...(it.notApplicable === undefined ? {} : { notApplicable: it.notApplicable }),
          })),
        };
        const linked = (ids: readonly ControlId[]): TestResult[] => run.tests.filter((t) => t.ids.some((id) => (ids as readonly string[]).includes(id)));

        const evaluations = evaluateControls(controls, run);
        for (const control of evaluations) {
          const outcomes = linked([control.id]).map((t) => t.outcome);
          if (control.status === 'applied') expect(outcomes.includes('failed') || !outcomes.includes('passed')).toBe(false);
          if (outcomes.includes('failed')) expect(control.status).toBe('gap');
        }
        for (const evaluation of evaluateItems(profile, evaluations)) {
          const outcomes = linked(evaluation.item.controls).map((t) => t.outcome);
          if (evaluation.status === 'applied') {
            expect(outcomes).not.toContain('failed');
            // Every control of an applied item has a passing test.
            for (const id of evaluation.item.controls) expect(linked([id]).some((t) => t.outcome === 'passed')).toBe(true);
            expect(evaluation.item.controls.length).toBeGreaterThan(0);
          }
          if (evaluation.item.notApplicable !== undefined) expect(evaluation.status).toBe('not-applicable');
          else if (outcomes.includes('failed')) expect(evaluation.status).toBe('gap');
        }
      }),
      { seed: 20_260_106, numRuns: 500 },
    );
  });
});
