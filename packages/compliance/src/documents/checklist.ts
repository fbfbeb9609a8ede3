/**
 * The essential-principles checklist in the seed's columns: requirement, applied / not applicable,
 * verification method of conformity, reference standards, document number. The status column is
 * the honest one of the evaluation (applied, gap, not verified, not applicable), never a claim; a
 * reconstructed requirement says so next to its text.
 */
import type { Provenance } from '../model.js';
import { PURPOSE_LABELS, SAFETY_LEVELS } from '../header.js';
import type { Block, DocumentBlocks } from './blocks.js';
import { rmfRow, vvSection, type EvidenceSet } from './evidence.js';

/** How the checklist marks where a requirement's wording comes from. */
export const PROVENANCE_LABELS: Readonly<Record<Provenance, string>> = {
  verbatim: 'official text',
  'verbatim-ko': 'official text (Korean, translated)',
  secondary: 'named in a secondary source; wording medsim\'s',
  reconstructed: 'RECONSTRUCTED by medsim; not official text',
  'general-knowledge': 'from the standard\'s structure; not re-verified',
};

/** The status column. */
export const STATUS_LABELS = {
  applied: 'Applied',
  gap: 'GAP: a verifying test failed',
  'not-verified': 'Not verified: no verifying test ran',
  'not-applicable': 'Not applicable',
} as const;

/** The checklist document. */
export function checklistDocument(evidence: EvidenceSet): DocumentBlocks {
  const { header, profile } = evidence;
  const controlsById = new Map(evidence.controls.map((c) => [c.id, c]));
  const blocks: Block[] = [
    { kind: 'paragraph', text: `Profile: **${profile.title}** (\`${profile.id}\`). ${profile.note}` },
    {
      kind: 'paragraph',
      text: `Generated ${evidence.generatedAt} from the test run of ${evidence.software.name} ${evidence.software.version}, commit \`${evidence.software.commit}\`${evidence.software.dirty ? ' (with uncommitted changes)' : ''}: ${evidence.run.counts.passed} passed, ${evidence.run.counts.failed} failed, ${evidence.run.counts.skipped} skipped.`,
    },
    { kind: 'heading', level: 1, text: 'Header' },
    {
      kind: 'table',
      head: ['field', 'value'],
      rows: [
        ['Cybersecurity safety level', `${SAFETY_LEVELS[header.systemSafetyLevel].label} (the highest of the device models below)`],
        ['Communication technology', header.technologies.join(', ')],
        ['Communication purpose', header.purposes.map((p) => PURPOSE_LABELS[p]).join('; ')],
        ['Use of public networks', header.publicNetworks.used ? `Yes (${header.publicNetworks.networks.join(', ')})` : 'No'],
        ['Use environment', header.useEnvironment],
      ],
    },
    {
      kind: 'table',
      head: ['device model', 'safety level', 'purposes', 'technologies'],
      rows: header.devices.map((d) => [d.displayName, SAFETY_LEVELS[d.safetyLevel].label, d.purposes.join(', '), d.technologies.join(', ')]),
    },
    {
      kind: 'list',
      items: (['major', 'moderate', 'minor'] as const).map((level) => `${SAFETY_LEVELS[level].label}: ${SAFETY_LEVELS[level].definition} (${PROVENANCE_LABELS[SAFETY_LEVELS[level].provenance]})`),
    },
    { kind: 'heading', level: 1, text: 'Status at a glance' },
    { kind: 'chart', title: `${profile.title}: requirements by status`, bars: evidence.groups.map((g) => ({ ...g, label: g.group })) },
    {
      kind: 'paragraph',
      text: `${evidence.totals.applied} applied, ${evidence.totals.gap} gaps, ${evidence.totals.notVerified} not verified, ${evidence.totals.notApplicable} not applicable, of ${evidence.totals.total}. An item is applied only when every control it maps to had verifying tests pass in this run and none fail.`,
    },
  ];
  for (const group of evidence.groups) {
    blocks.push({ kind: 'heading', level: 1, text: group.group });
    blocks.push({
      kind: 'table',
      head: ['Requirement', 'Application', 'Verification method of conformity', 'Reference standards', 'Document number'],
      rows: evidence.items
        .filter((e) => e.item.group === group.group)
        .map((e) => {
          const { item } = e;
          const controls = e.controls.map((c) => controlsById.get(c.id)!);
          const tests = controls.reduce((n, c) => n + c.passed + c.failed, 0);
          const method =
            e.status === 'not-applicable'
              ? `Justification: ${e.justification ?? ''}`
              : `${controls.map((c) => `${c.id} ${c.control.title}`).join('; ')}. Automated tests in this run: ${tests} (${controls.reduce((n, c) => n + c.passed, 0)} passed, ${controls.reduce((n, c) => n + c.failed, 0)} failed).`;
          const threats = [...new Set(e.controls.flatMap((c) => evidence.threatsByControl.get(c.id) ?? []))].slice(0, 6).map(rmfRow);
          return [
            `**${item.id}** ${item.text}\n(${PROVENANCE_LABELS[item.provenance]})`,
            STATUS_LABELS[e.status],
            method,
            item.standards.join('; '),
            [...e.controls.map((c) => vvSection(c.id)), ...threats].join(', '),
          ];
        }),
    });
  }
  if (evidence.unlinkedFailures.length > 0) {
    blocks.push({ kind: 'heading', level: 1, text: 'Failed tests that claim no control' });
    blocks.push({ kind: 'list', items: evidence.unlinkedFailures.map((t) => `\`${t.file}\` ${t.name}`) });
  }
  return { title: `Cybersecurity essential-principles checklist (${profile.id})`, blocks };
}
