/**
 * The software verification and validation report of the security controls (reference/regulatory.md
 * §4.6): the software and environment tested, then per control its requirements, the procedure,
 * the expected result and, for every verifying test of this run, the actual result, pass or fail
 * and duration; then the traceability matrix requirement → control → tests → result.
 */
import type { Block, DocumentBlocks } from './blocks.js';
import { STATUS_LABELS } from './checklist.js';
import { vvSection, type EvidenceSet } from './evidence.js';

/** At most this many tests are listed per control (the JSON output has them all). */
export const TESTS_LISTED_PER_CONTROL = 60;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 1000 ? 3 : 1)} s`;

/** The V&V report document. */
export function vvReportDocument(evidence: EvidenceSet): DocumentBlocks {
  const { software } = evidence;
  const blocks: Block[] = [
    { kind: 'heading', level: 1, text: 'Software under test and environment' },
    {
      kind: 'table',
      head: ['item', 'value'],
      rows: [
        ['Software', `${software.name} ${software.version}`],
        ['Commit', `\`${software.commit}\`${software.dirty ? ' (uncommitted changes present)' : ''}`],
        ...Object.entries(software.environment).map(([k, v]) => [k, v]),
        ...Object.entries(software.tools).map(([k, v]) => [`tool: ${k}`, v]),
        ['Test run', `started ${evidence.run.startedAt}, ${seconds(evidence.run.durationMs)}: ${evidence.run.counts.passed} passed, ${evidence.run.counts.failed} failed, ${evidence.run.counts.skipped} skipped`],
        ...(evidence.sbom === undefined ? [] : [['SBOM', `\`${evidence.sbom.file}\` (CycloneDX ${evidence.sbom.summary.specVersion}, ${evidence.sbom.summary.components} components)`]]),
      ],
    },
    {
      kind: 'paragraph',
      text: 'Method: every control is verified by automated tests that run against the real parts (TLS sockets on loopback, the broker, the database file, real cryptography); a test claims the controls it verifies by its tags and the [CTL-nn] prefixes of its name. Expected result of every test: it passes. A control passes verification only when at least one of its tests passed and none failed.',
    },
    { kind: 'heading', level: 1, text: 'Traceability matrix' },
    {
      kind: 'table',
      head: ['Requirement', 'Control', 'Tests (passed / failed / skipped)', 'Result'],
      rows: evidence.items.flatMap((e) =>
        e.controls.map((c) => {
          const control = evidence.controls.find((x) => x.id === c.id)!;
          return [`${e.item.id}`, `${c.id} (${vvSection(c.id)})`, `${control.passed} / ${control.failed} / ${control.skipped}`, STATUS_LABELS[control.status]];
        }),
      ),
    },
  ];
  for (const control of evidence.controls) {
    blocks.push({ kind: 'heading', level: 1, text: `${vvSection(control.id)}: ${control.control.title}`, anchor: vvSection(control.id) });
    blocks.push({
      kind: 'table',
      head: ['field', 'value'],
      rows: [
        ['Requirements', control.items.length > 0 ? control.items.join(', ') : '(none of this profile)'],
        ['Control', control.control.description],
        ['Implemented in', control.control.code.map((path) => `\`${path}\``).join(', ')],
        ['Verification procedure', control.control.verification],
        ['Expected result', 'Every linked test passes.'],
        ['Actual result', `${control.passed} passed, ${control.failed} failed, ${control.skipped} skipped`],
        ['Verdict', STATUS_LABELS[control.status]],
      ],
    });
    if (control.tests.length > 0) {
      const listed = control.tests.slice(0, TESTS_LISTED_PER_CONTROL);
      blocks.push({
        kind: 'table',
        head: ['Test', 'Result', 'Duration'],
        rows: listed.map((t) => [`\`${t.file}\` ${t.name}${t.failure === undefined ? '' : `\nfailure: ${t.failure}`}`, t.outcome, seconds(t.durationMs)]),
      });
      if (control.tests.length > listed.length) blocks.push({ kind: 'paragraph', text: `… and ${control.tests.length - listed.length} more (all in the JSON output).` });
    }
  }
  return { title: 'Software verification and validation report: security controls', blocks };
}
