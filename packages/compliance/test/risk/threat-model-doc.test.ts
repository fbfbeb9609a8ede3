/**
 * docs/threat-model.md stays the register's picture (issue 6, "kept consistent with the risk
 * register data"): every threat id appears once, in its interface's section, with its STRIDE
 * letter, controls and ratings; the page names no id the register lacks; its matrix is
 * RISK_MATRIX; its residual-risk section names every ALARP row. The page is read from disk.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXPLOITABILITY_SCALE, INTERFACES, RISK_MATRIX, SEVERITY_SCALE, THREATS, riskLevel, type RiskLevel, type SeverityLevel } from '../../src/risk/index.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const page = readFileSync(`${root}docs/threat-model.md`, 'utf8');
const lines = page.split('\n');

const label = (level: RiskLevel): string => (level === 'alarp' ? 'ALARP' : level);

/** One threat row of the page, with the interface section it sits in. */
interface Row {
  readonly id: string;
  readonly section: string | undefined;
  readonly stride: string;
  readonly controls: string;
  readonly risk: string;
}

/** Threat rows, each under the last heading naming an interface id in backticks, e.g. "### BLE radio (`ble-radio`)". */
function threatRows(): Row[] {
  const rows: Row[] = [];
  let section: string | undefined;
  for (const line of lines) {
    if (/^#{1,6} /.test(line)) section = /\(`([a-z-]+)`\)\s*$/.exec(line)?.[1];
    const cells = /^\|\s*(THR-\d+)\s*\|/.test(line) ? line.split('|').slice(1, -1).map((c) => c.trim()) : undefined;
    if (cells !== undefined) rows.push({ id: cells[0]!, section, stride: cells[1]!, controls: cells[3]!, risk: cells[4]! });
  }
  return rows;
}

describe('docs/threat-model.md', () => {
  it('lists every threat of the register once, under its interface and STRIDE letter', () => {
    const found = threatRows().map((r) => `${r.id} ${r.section} ${r.stride}`);
    expect(found.sort()).toEqual(THREATS.map((t) => `${t.id} ${t.interface} ${t.stride}`).sort());
  });

  it('shows each threat with its controls and its ratings before and after them', () => {
    const rows = new Map(threatRows().map((r) => [r.id, r]));
    for (const t of THREATS) {
      const row = rows.get(t.id);
      expect(row?.controls, t.id).toBe(t.controls.length === 0 ? 'none' : t.controls.join(', '));
      const before = `${label(riskLevel(t.before))} (${t.before.severity}×${t.before.exploitability})`;
      expect(row?.risk, t.id).toBe(`${before} → **${label(t.residual)}** (${t.after.severity}×${t.after.exploitability})`);
    }
  });

  it('names no threat id the register lacks', () => {
    const known = new Set<string>(THREATS.map((t) => t.id));
    expect([...page.matchAll(/THR-\d+/g)].map((m) => m[0]).filter((id) => !known.has(id))).toEqual([]);
  });

  it('has a section for every interface', () => {
    for (const iface of Object.values(INTERFACES)) expect(lines, iface.id).toContain(`### ${iface.name} (\`${iface.id}\`)`);
  });

  it('prints the acceptance matrix as matrix.ts has it', () => {
    const severities: SeverityLevel[] = [5, 4, 3, 2, 1];
    for (const s of severities) {
      const cells = ([1, 2, 3, 4, 5] as const).map((e) => label(RISK_MATRIX[s][e]));
      expect(lines, `severity ${s}`).toContain(`| ${s} ${SEVERITY_SCALE[s].name} | ${cells.join(' | ')} |`);
    }
    const header = ([1, 2, 3, 4, 5] as const).map((e) => `${e} ${EXPLOITABILITY_SCALE[e].name}`).join(' | ');
    expect(lines).toContain(`| severity \\ exploitability | ${header} |`);
  });

  it('names every ALARP residual risk in its residual-risk section', () => {
    const start = page.indexOf('\n## Residual risks to know\n');
    expect(start).toBeGreaterThan(0);
    const section = page.slice(start);
    const alarp = THREATS.filter((t) => t.residual === 'alarp').map((t) => t.id);
    expect(alarp.filter((id) => !section.includes(id))).toEqual([]);
  });
});
