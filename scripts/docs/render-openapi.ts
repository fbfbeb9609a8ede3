/**
 * docs/protocols/openapi.json and docs/access-control.md, rendered from the gateway's route
 * catalogue and permission matrix (packages/gateway/src/user-plane). `npm run docs` writes them
 * through renderAllDocs(); run alone, this file writes just these two:
 *   npx tsx --conditions=@medsim/source scripts/docs/render-openapi.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ACCESS_CONTROL_PATH, OPENAPI_PATH, renderAccessControl, renderOpenApi } from '@medsim/gateway';

/** Path (from the repository root) → content of the user-plane documents. */
export function renderUserPlaneDocs(): Map<string, string> {
  return new Map([
    [OPENAPI_PATH, renderOpenApi()],
    [ACCESS_CONTROL_PATH, renderAccessControl()],
  ]);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  for (const [path, content] of renderUserPlaneDocs()) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
    console.log(`wrote ${path}`);
  }
}
