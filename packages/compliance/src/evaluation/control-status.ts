/**
 * A control's status in one test run, from the tests that claim to verify it (their ids name the
 * control). The rule is the one issue 6 sets for honesty: a control is 'applied' only when at least
 * one linked test passed and none failed; one failed linked test makes it a 'gap'; when no linked
 * test ran (none exists, or all were skipped) it is 'not-verified'. Skipped tests never count as
 * evidence either way.
 */
import type { Control, ControlId, EvidenceStatus, TestResult, TestRun } from '../model.js';
import { InvalidEvaluationInputError } from '../errors.js';

/** A status a control can have: controls are verified or not, never "not applicable". */
export type ControlStatus = Exclude<EvidenceStatus, 'not-applicable'>;

/** One control's evaluation in a run. */
export interface ControlEvaluation {
  readonly id: ControlId;
  readonly status: ControlStatus;
  /** Every test of the run that claims this control, in run order, whatever its outcome. */
  readonly tests: readonly TestResult[];
  readonly passed: number;
  readonly failed: number;
  /** Linked tests that did not run (skipped, todo). */
  readonly skipped: number;
}

/** The status from the outcomes of a control's linked tests (the rule in the file header). */
export function controlStatus(passed: number, failed: number): ControlStatus {
  if (failed > 0) return 'gap';
  return passed > 0 ? 'applied' : 'not-verified';
}

/**
 * Evaluates every control against a run, in the order given.
 * @throws InvalidEvaluationInputError when a control id is listed twice.
 */
export function evaluateControls(controls: readonly Control[], run: TestRun): ControlEvaluation[] {
  const seen = new Set<ControlId>();
  return controls.map(({ id }) => {
    if (seen.has(id)) throw new InvalidEvaluationInputError(`Control ${id} is listed twice`, { details: { control: id } });
    seen.add(id);
    const tests = run.tests.filter((test) => test.ids.includes(id));
    const passed = tests.filter((t) => t.outcome === 'passed').length;
    const failed = tests.filter((t) => t.outcome === 'failed').length;
    return { id, status: controlStatus(passed, failed), tests, passed, failed, skipped: tests.length - passed - failed };
  });
}

/**
 * Failed tests that claim none of the given controls: a failure evaluation cannot charge to any
 * control (an attack-case test without its control id, a file that failed to import). The documents
 * list them, so a red run never reads as all green.
 */
export function unlinkedFailures(controls: readonly Control[], run: TestRun): TestResult[] {
  const ids = new Set<string>(controls.map((c) => c.id));
  return run.tests.filter((t) => t.outcome === 'failed' && !t.ids.some((id) => ids.has(id)));
}
