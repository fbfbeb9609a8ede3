/**
 * docs/examples/submission/: the example submission set, rendered again from the evidence of a real
 * test run stored beside it (evidence-<profile>.json, written by `medsim report --formats json`).
 * The Markdown documents are generated docs like the others: `npm run docs` rewrites them and the
 * docs-sync test fails when one was edited by hand or the renderers changed. The risk file is
 * rendered with the current risk register over the stored run's control statuses.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checklistDocument, evidenceFromJson, renderMarkdown, riskFileDocument, riskRegisterView, vvReportDocument } from '@medsim/compliance';

/** Where the example lives, relative to the repository root. */
export const EXAMPLE_DIR = 'docs/examples/submission';

/** Path → content of the example's Markdown documents. */
export function renderExample(): Map<string, string> {
  const dir = fileURLToPath(new URL(`../../${EXAMPLE_DIR}`, import.meta.url));
  const docs = new Map<string, string>();
  if (!existsSync(dir)) return docs;
  const evidenceFiles = readdirSync(dir).filter((name) => /^evidence-[a-z0-9-]+\.json$/u.test(name)).sort();
  for (const name of evidenceFiles) {
    const evidence = evidenceFromJson(JSON.parse(readFileSync(join(dir, name), 'utf8')));
    docs.set(`${EXAMPLE_DIR}/checklist-${evidence.profile.id}.md`, renderMarkdown(checklistDocument(evidence)));
    if (evidence.profile.id === 'mfds-2019') {
      docs.set(`${EXAMPLE_DIR}/risk-management-file.md`, renderMarkdown(riskFileDocument(evidence, riskRegisterView())));
      docs.set(`${EXAMPLE_DIR}/vv-report.md`, renderMarkdown(vvReportDocument(evidence)));
    }
  }
  return docs;
}
