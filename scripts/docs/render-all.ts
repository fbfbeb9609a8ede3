/** Every generated document, by path relative to the repository root. */
import { renderConfiguration } from './render-configuration.js';
import { renderErrors } from './render-errors.js';
import { renderExample } from './render-example.js';
import { renderUserPlaneDocs } from './render-openapi.js';
import { renderProtocolPages } from './render-protocols.js';

/** Path → content of every generated document. */
export function renderAllDocs(): Map<string, string> {
  const docs = new Map<string, string>([
    ['docs/reference/errors.md', renderErrors()],
    ['docs/configuration.md', renderConfiguration()],
  ]);
  for (const [page, content] of renderProtocolPages()) docs.set(`docs/protocols/${page}`, content);
  for (const [path, content] of renderUserPlaneDocs()) docs.set(path, content);
  for (const [path, content] of renderExample()) docs.set(path, content);
  return docs;
}
