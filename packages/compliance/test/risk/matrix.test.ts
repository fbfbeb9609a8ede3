/**
 * The acceptance matrix (risk management plan, reference/regulatory.md §4.4): all 25 cells, the
 * documented rule they follow, monotonic in both axes, and the acceptability policy.
 */
import { describe, expect, it } from 'vitest';
import {
  EXPLOITABILITY_SCALE,
  RISK_MATRIX,
  SEVERITY_SCALE,
  isAcceptableResidual,
  riskLevel,
  type ExploitabilityLevel,
  type RiskLevel,
  type SeverityLevel,
} from '../../src/risk/index.js';

const LEVELS: readonly (SeverityLevel & ExploitabilityLevel)[] = [1, 2, 3, 4, 5];
const RANK: Record<RiskLevel, number> = { acceptable: 0, alarp: 1, unacceptable: 2 };

/** The rule matrix.ts documents: negligible is acceptable, else the band sum decides. */
const documentedRule = (s: SeverityLevel, e: ExploitabilityLevel): RiskLevel => {
  if (s === 1) return 'acceptable';
  const sum = s + e;
  return sum <= 5 ? 'acceptable' : sum <= 7 ? 'alarp' : 'unacceptable';
};

describe('risk matrix', () => {
  it('every cell follows the documented rule, and riskLevel reads it', () => {
    for (const s of LEVELS) {
      for (const e of LEVELS) {
        expect(RISK_MATRIX[s][e], `${s}×${e}`).toBe(documentedRule(s, e));
        expect(riskLevel({ severity: s, exploitability: e })).toBe(RISK_MATRIX[s][e]);
      }
    }
  });

  it('a higher severity or exploitability never lowers the level', () => {
    for (const s of LEVELS) {
      for (const e of LEVELS) {
        const here = RANK[RISK_MATRIX[s][e]];
        if (s < 5) expect(RANK[RISK_MATRIX[(s + 1) as SeverityLevel][e]]).toBeGreaterThanOrEqual(here);
        if (e < 5) expect(RANK[RISK_MATRIX[s][(e + 1) as ExploitabilityLevel]]).toBeGreaterThanOrEqual(here);
      }
    }
  });

  it('catastrophic harm is never simply acceptable; trivially exploitable serious harm is never accepted', () => {
    for (const e of LEVELS) expect(RISK_MATRIX[5][e]).not.toBe('acceptable');
    expect(RISK_MATRIX[3][5]).toBe('unacceptable');
  });

  it('only an unacceptable residual is refused', () => {
    expect(isAcceptableResidual('acceptable')).toBe(true);
    expect(isAcceptableResidual('alarp')).toBe(true);
    expect(isAcceptableResidual('unacceptable')).toBe(false);
  });

  it('both scales have five distinct, defined bands', () => {
    for (const scale of [SEVERITY_SCALE, EXPLOITABILITY_SCALE]) {
      const bands = LEVELS.map((level) => scale[level]);
      expect(new Set(bands.map((b) => b.name)).size).toBe(5);
      for (const band of bands) expect(band.definition.length).toBeGreaterThan(0);
    }
  });
});
