/** `npm run docs`: regenerates the generated documents (error codes, protocol pages). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAllDocs } from './docs/render-all.js';

const root = fileURLToPath(new URL('..', import.meta.url));
for (const [path, content] of renderAllDocs()) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
  console.log(`wrote ${path}`);
}
