/**
 * The cybersecurity risk management file (reference/regulatory.md §4.3-§4.5): the scoring method,
 * assets, interfaces and trust boundaries, then every threat scenario with its STRIDE category and
 * CWE, severity of patient harm and exploitability before and after its controls (the matrix),
 * the controls with their verification status in this run, residual risk and its acceptability, and
 * the CIA principles it threatens. A control that is a gap or not verified in this run is flagged
 * on every threat that relies on it: the residual rating assumes the control works.
 */
import { ACCEPTABILITY_POLICY, EXPLOITABILITY_SCALE, RISK_MATRIX, SEVERITY_SCALE } from '../risk/matrix.js';
import { THREATS } from '../risk/register.js';
import { ASSETS, INTERFACES, TRUST_BOUNDARIES } from '../risk/system.js';
import { STRIDE_CATEGORIES, type Asset, type RiskRating, type SystemInterface, type ThreatScenario, type TrustBoundary } from '../risk/model.js';
import type { Block, DocumentBlocks } from './blocks.js';
import { STATUS_LABELS } from './checklist.js';
import { rmfRow, vvSection, type EvidenceSet } from './evidence.js';

/** The register as the risk file reads it. */
export interface RiskRegisterView {
  readonly assets: readonly Asset[];
  readonly interfaces: readonly SystemInterface[];
  readonly boundaries: readonly TrustBoundary[];
  readonly threats: readonly ThreatScenario[];
}

/** medsim's own register (src/risk), as the risk file reads it. */
export function riskRegisterView(): RiskRegisterView {
  return { assets: Object.values(ASSETS), interfaces: Object.values(INTERFACES), boundaries: Object.values(TRUST_BOUNDARIES), threats: THREATS };
}

/** Control id → the threats whose controls include it (the checklist's document-number column). */
export function threatsByControl(threats: readonly ThreatScenario[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const threat of threats) for (const control of threat.controls) out.set(control, [...(out.get(control) ?? []), threat.id]);
  return out;
}

const rating = (r: RiskRating): string => `S${r.severity} ${SEVERITY_SCALE[r.severity].name} × E${r.exploitability} ${EXPLOITABILITY_SCALE[r.exploitability].name} → ${RISK_MATRIX[r.severity][r.exploitability]}`;

/** The risk management file document. */
export function riskFileDocument(evidence: EvidenceSet, register: RiskRegisterView): DocumentBlocks {
  const status = new Map(evidence.controls.map((c) => [c.id as string, c.status]));
  const residualCounts = { acceptable: 0, alarp: 0, unacceptable: 0 };
  for (const t of register.threats) residualCounts[t.residual] += 1;
  const weakened = register.threats.filter((t) => t.controls.some((c) => status.get(c) !== 'applied'));
  const blocks: Block[] = [
    {
      kind: 'paragraph',
      text: `${register.threats.length} threat scenarios over ${register.interfaces.length} interfaces. Residual risk: ${residualCounts.acceptable} acceptable, ${residualCounts.alarp} ALARP, ${residualCounts.unacceptable} unacceptable. ${weakened.length} rely on a control that is not applied in this run (test run of commit \`${evidence.software.commit}\`).`,
    },
    { kind: 'heading', level: 1, text: 'Scoring method and acceptance criteria' },
    { kind: 'table', head: ['severity of harm', 'definition'], rows: Object.entries(SEVERITY_SCALE).map(([k, v]) => [`${k} ${v.name}`, v.definition]) },
    { kind: 'table', head: ['exploitability', 'definition'], rows: Object.entries(EXPLOITABILITY_SCALE).map(([k, v]) => [`${k} ${v.name}`, v.definition]) },
    {
      kind: 'table',
      head: ['severity \\ exploitability', '1', '2', '3', '4', '5'],
      rows: Object.entries(RISK_MATRIX).map(([s, row]) => [`${s} ${SEVERITY_SCALE[Number(s) as 1].name}`, ...Object.values(row)]),
    },
    { kind: 'list', items: Object.entries(ACCEPTABILITY_POLICY).map(([level, policy]) => `**${level}**: ${policy}`) },
    { kind: 'heading', level: 1, text: 'Assets' },
    { kind: 'table', head: ['asset', 'description', 'CIA'], rows: register.assets.map((a) => [a.name, a.description, a.principles.join(', ')]) },
    { kind: 'heading', level: 1, text: 'Interfaces and trust boundaries' },
    { kind: 'table', head: ['boundary', 'description'], rows: register.boundaries.map((b) => [b.name, b.description]) },
    { kind: 'table', head: ['interface', 'between', 'protocol', 'boundary'], rows: register.interfaces.map((i) => [i.name, i.between.join(' ↔ '), i.protocol, register.boundaries.find((b) => b.id === i.boundary)?.name ?? i.boundary]) },
  ];
  for (const iface of register.interfaces) {
    const threats = register.threats.filter((t) => t.interface === iface.id);
    if (threats.length === 0) continue;
    blocks.push({ kind: 'heading', level: 1, text: `Threats: ${iface.name}` });
    blocks.push({
      kind: 'table',
      head: ['id', 'threat (STRIDE, CWE)', 'before', 'controls (status in this run)', 'after / residual', 'acceptability', 'CIA'],
      rows: threats.map((t) => [
        rmfRow(t.id),
        `**${t.title}** (${t.stride} ${STRIDE_CATEGORIES[t.stride].name}; ${t.cwe.id} ${t.cwe.name})\n${t.scenario}\nHarm: ${t.harm}`,
        rating(t.before),
        t.controls.length === 0 ? 'none' : t.controls.map((c) => `${c} ${STATUS_LABELS[status.get(c) ?? 'not-verified']} (${vvSection(c)})`).join('\n'),
        `${rating(t.after)}\nresidual: **${t.residual}**`,
        `${t.rationale}${t.followUp === undefined ? '' : `\nFollow-up: ${t.followUp}`}`,
        t.cia.join(', '),
      ]),
    });
  }
  if (weakened.length > 0) {
    blocks.push({ kind: 'heading', level: 1, text: 'Threats whose controls are not applied in this run' });
    blocks.push({ kind: 'list', items: weakened.map((t) => `${rmfRow(t.id)} ${t.title}: ${t.controls.filter((c) => status.get(c) !== 'applied').join(', ')}`) });
  }
  return { title: 'Cybersecurity risk management file', blocks };
}
