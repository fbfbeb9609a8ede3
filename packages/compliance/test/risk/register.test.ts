/**
 * The risk register is consistent (issue 6): every threat names an interface and assets that exist,
 * a STRIDE letter, a CWE, controls of the catalogue and attack cases of vitest.tags.ts; controls
 * never raise a rating, and no control means no reduction; the residual level is the matrix's and
 * acceptable under the policy; every interface has a threat for each STRIDE letter it does not
 * declare not applicable. The checks are one function, shown to catch each kind of broken row.
 */
import { describe, expect, it } from 'vitest';
import { tags } from '../../../../vitest.tags.js';
import {
  ASSETS,
  INTERFACES,
  STRIDE_ORDER,
  THREATS,
  TRUST_BOUNDARIES,
  isAcceptableResidual,
  riskLevel,
  type ThreatScenario,
} from '../../src/risk/index.js';

const CONTROL = /^CTL-(0[1-9]|1\d|2[0-4])$/;
const CWE = /^CWE-[1-9]\d*$/;
const ATTACK_CASES = new Set(tags.map((t) => t.name).filter((name) => !name.startsWith('CTL-')));
const PRINCIPLES = new Set(['confidentiality', 'integrity', 'availability']);

const duplicates = (values: readonly string[]): string[] => values.filter((v, i) => values.indexOf(v) !== i);

/** What is wrong with one row, as readable problems (empty: nothing). */
function problemsOf(t: ThreatScenario): string[] {
  const problems: string[] = [];
  if (!/^THR-\d{3}$/.test(t.id)) problems.push(`id ${t.id}`);
  if (!(t.interface in INTERFACES)) problems.push(`unknown interface ${t.interface}`);
  if (t.assets.length === 0) problems.push('no asset');
  for (const asset of t.assets) if (!(asset in ASSETS)) problems.push(`unknown asset ${asset}`);
  if (duplicates(t.assets).length > 0) problems.push('duplicate asset');
  if (!STRIDE_ORDER.includes(t.stride)) problems.push(`STRIDE ${t.stride}`);
  if (!CWE.test(t.cwe.id) || t.cwe.name.trim() === '') problems.push(`CWE ${t.cwe.id}`);
  for (const control of t.controls) if (!CONTROL.test(control)) problems.push(`control ${control}`);
  if (duplicates(t.controls).length > 0) problems.push('duplicate control');
  for (const attack of t.attackCases) if (!ATTACK_CASES.has(attack)) problems.push(`attack case ${attack}`);
  if (t.cia.length === 0 || t.cia.some((p) => !PRINCIPLES.has(p))) problems.push('CIA');
  if (t.after.severity > t.before.severity) problems.push('severity rises');
  if (t.after.exploitability > t.before.exploitability) problems.push('exploitability rises');
  if (t.controls.length === 0 && (t.after.severity !== t.before.severity || t.after.exploitability !== t.before.exploitability)) {
    problems.push('reduced without a control');
  }
  if (t.residual !== riskLevel(t.after)) problems.push(`residual ${t.residual} is not the matrix's ${riskLevel(t.after)}`);
  if (!isAcceptableResidual(t.residual)) problems.push('unacceptable residual');
  for (const [field, text] of Object.entries({ title: t.title, actor: t.actor, scenario: t.scenario, harm: t.harm, rationale: t.rationale })) {
    if (text.trim() === '') problems.push(`empty ${field}`);
  }
  if (t.followUp?.trim() === '') problems.push('empty followUp');
  return problems;
}

const sample = THREATS[0]!;

describe('risk register rows', () => {
  it('every row is complete and consistent', () => {
    const problems = THREATS.flatMap((t) => problemsOf(t).map((p) => `${t.id}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('each broken row is reported', () => {
    const broken: [Partial<ThreatScenario>, string][] = [
      [{ id: 'THR-1' }, 'id THR-1'],
      [{ interface: 'serial-port' as ThreatScenario['interface'] }, 'unknown interface serial-port'],
      [{ assets: [] }, 'no asset'],
      [{ assets: ['phi' as ThreatScenario['assets'][number]] }, 'unknown asset phi'],
      [{ stride: 'X' as ThreatScenario['stride'] }, 'STRIDE X'],
      [{ cwe: { id: 'CWE-0', name: 'x' } }, 'CWE CWE-0'],
      [{ controls: ['CTL-25'] }, 'control CTL-25'],
      [{ attackCases: ['U17'] }, 'attack case U17'],
      [{ cia: [] }, 'CIA'],
      [{ before: { severity: 1, exploitability: 5 }, after: { severity: 2, exploitability: 1 } }, 'severity rises'],
      [{ before: { severity: 5, exploitability: 1 }, after: { severity: 5, exploitability: 2 } }, 'exploitability rises'],
      [{ controls: [], before: { severity: 5, exploitability: 5 }, after: { severity: 5, exploitability: 1 }, residual: 'alarp' }, 'reduced without a control'],
      [{ after: { severity: 5, exploitability: 5 }, before: { severity: 5, exploitability: 5 }, residual: 'alarp' }, "residual alarp is not the matrix's unacceptable"],
      [{ after: { severity: 5, exploitability: 5 }, before: { severity: 5, exploitability: 5 }, residual: 'unacceptable' }, 'unacceptable residual'],
      [{ rationale: ' ' }, 'empty rationale'],
      [{ followUp: '' }, 'empty followUp'],
    ];
    for (const [change, problem] of broken) expect(problemsOf({ ...sample, ...change })).toContain(problem);
  });

  it('ids are THR-001 onwards in order, none missing or repeated', () => {
    expect(THREATS.map((t) => t.id)).toEqual(THREATS.map((_, i) => `THR-${String(i + 1).padStart(3, '0')}`));
  });

  it('holds at least 35 scenarios, and every asset is at stake in one', () => {
    expect(THREATS.length).toBeGreaterThanOrEqual(35);
    const used = new Set(THREATS.flatMap((t) => t.assets));
    expect(Object.keys(ASSETS).filter((a) => !used.has(a as ThreatScenario['assets'][number]))).toEqual([]);
  });

  it('a CWE id always carries the same name', () => {
    const names = new Map<string, Set<string>>();
    for (const { cwe } of THREATS) names.set(cwe.id, (names.get(cwe.id) ?? new Set()).add(cwe.name));
    expect([...names].filter(([, n]) => n.size > 1).map(([id]) => id)).toEqual([]);
  });
});

describe('assets, boundaries and interfaces', () => {
  it('every record is filed under its own id', () => {
    for (const [key, value] of [...Object.entries(ASSETS), ...Object.entries(TRUST_BOUNDARIES), ...Object.entries(INTERFACES)]) expect(value.id).toBe(key);
  });

  it('every interface crosses a known boundary, and every boundary has an interface', () => {
    const crossed = Object.values(INTERFACES).map((i) => i.boundary);
    for (const boundary of crossed) expect(TRUST_BOUNDARIES).toHaveProperty(boundary);
    expect(Object.keys(TRUST_BOUNDARIES).filter((b) => !crossed.includes(b as (typeof crossed)[number]))).toEqual([]);
  });

  it('every interface has a threat for each STRIDE letter, or says why the letter does not apply', () => {
    const gaps: string[] = [];
    for (const iface of Object.values(INTERFACES)) {
      for (const letter of STRIDE_ORDER) {
        const threats = THREATS.filter((t) => t.interface === iface.id && t.stride === letter);
        const reason = iface.notApplicable[letter];
        if (reason === undefined && threats.length === 0) gaps.push(`${iface.id} ${letter}: no threat`);
        if (reason !== undefined && threats.length > 0) gaps.push(`${iface.id} ${letter}: not applicable, yet ${threats.map((t) => t.id).join(', ')}`);
        if (reason?.trim() === '') gaps.push(`${iface.id} ${letter}: no reason`);
      }
    }
    expect(gaps).toEqual([]);
  });
});
