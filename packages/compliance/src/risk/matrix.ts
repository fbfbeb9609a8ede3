/**
 * The scoring method and acceptance criteria of the risk management plan (reference/regulatory.md
 * §4.3, §4.4 "plan-level fields"): a severity scale of patient harm (ISO 14971-style), an
 * exploitability scale that says what an attacker needs (FDA premarket guidance: documented,
 * non-probabilistic, exploitability-based), the matrix that turns the pair into a level, and what
 * each level means for acceptance. The matrix is a project design choice, written down here so the
 * register, the risk file and docs/threat-model.md all read the same one.
 */
import type { ExploitabilityLevel, RiskLevel, RiskRating, SeverityLevel } from './model.js';

/** One band of a scale. */
export interface ScaleBand {
  readonly name: string;
  readonly definition: string;
}

/**
 * Severity of harm to the patient, worst credible outcome if the threat succeeds. Disclosure of
 * health data counts as harm: one patient's data is minor, many patients' serious (a project
 * choice; ISO 14971 itself rates physical harm).
 */
export const SEVERITY_SCALE: Readonly<Record<SeverityLevel, ScaleBand>> = {
  1: { name: 'negligible', definition: 'Inconvenience or temporary discomfort; no health data disclosed.' },
  2: {
    name: 'minor',
    definition: "Temporary injury or impairment not needing professional intervention; delayed non-critical data; one patient's health data disclosed.",
  },
  3: {
    name: 'serious',
    definition: "Injury needing professional medical intervention; delayed alarms or therapy changes; many patients' health data disclosed.",
  },
  4: { name: 'critical', definition: 'Permanent impairment or life-threatening injury (e.g. severe hypoglycaemia, loss of pacing capture).' },
  5: { name: 'catastrophic', definition: 'Death.' },
};

/** Exploitability: what the attacker needs to succeed. No band is a probability. */
export const EXPLOITABILITY_SCALE: Readonly<Record<ExploitabilityLevel, ScaleBand>> = {
  1: {
    name: 'impractical',
    definition: 'Breaking a current primitive (AES-256-GCM, Ed25519, X25519, SHA-256), or several secrets kept apart by different people acting together.',
  },
  2: { name: 'hard', definition: "Privileged insider access (the gateway host's account, the offline release environment) or a device in hand, opened." },
  3: {
    name: 'moderate',
    definition: 'Specialist skill and equipment (an active radio man-in-the-middle), or a credential of a specific privileged role or device.',
  },
  4: { name: 'easy', definition: 'A common position or foothold: the same network, radio range with commodity tools, the lowest-privilege account.' },
  5: { name: 'trivial', definition: 'Nothing beyond network or radio reach: no credential, off-the-shelf tools or a published technique.' },
};

/**
 * severity × exploitability → level. Negligible harm is always acceptable; otherwise the sum of the
 * two bands decides: ≤ 5 acceptable, 6-7 ALARP, ≥ 8 unacceptable. So a catastrophic harm is never
 * simply "acceptable", even when impractical to cause.
 */
export const RISK_MATRIX: Readonly<Record<SeverityLevel, Readonly<Record<ExploitabilityLevel, RiskLevel>>>> = {
  1: { 1: 'acceptable', 2: 'acceptable', 3: 'acceptable', 4: 'acceptable', 5: 'acceptable' },
  2: { 1: 'acceptable', 2: 'acceptable', 3: 'acceptable', 4: 'alarp', 5: 'alarp' },
  3: { 1: 'acceptable', 2: 'acceptable', 3: 'alarp', 4: 'alarp', 5: 'unacceptable' },
  4: { 1: 'acceptable', 2: 'alarp', 3: 'alarp', 4: 'unacceptable', 5: 'unacceptable' },
  5: { 1: 'alarp', 2: 'alarp', 3: 'unacceptable', 4: 'unacceptable', 5: 'unacceptable' },
};

/** The level of a rating, read from RISK_MATRIX. */
export function riskLevel(rating: RiskRating): RiskLevel {
  return RISK_MATRIX[rating.severity][rating.exploitability];
}

/** What each level means for acceptance (the plan's acceptance criteria). */
export const ACCEPTABILITY_POLICY: Readonly<Record<RiskLevel, string>> = {
  acceptable: 'Accepted as it stands; the rationale says why the controls suffice.',
  alarp:
    'Accepted only as low as reasonably practicable: the rationale says why no further control is practicable now and why the benefit of the function outweighs the risk; a follow-up is recorded where one would reduce it.',
  unacceptable: 'Never accepted as a residual risk: the device is not released until controls bring it to ALARP or below.',
};

/** True when a residual risk of this level may be accepted under the policy (ALARP with its rationale). */
export function isAcceptableResidual(level: RiskLevel): boolean {
  return level !== 'unacceptable';
}
