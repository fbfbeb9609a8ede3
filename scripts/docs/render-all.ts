/** Every generated document, by path relative to the repository root. */
import { renderErrors } from './render-errors.js';
import { renderProtocolPages } from './render-protocols.js';

/** Path → content of every generated document. */
export function renderAllDocs(): Map<string, string> {
  const docs = new Map<string, string>([['docs/reference/errors.md', renderErrors()]]);
  for (const [page, content] of renderProtocolPages()) docs.set(`docs/protocols/${page}`, content);
  return docs;
}
