import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Lints `code` as if it were the file at `path` (relative to the repository root). */
async function restrictedImports(path: string, code: string): Promise<string[]> {
  // Only the boundary rule, and no type information: the probe files do not exist on disk.
  const eslint = new ESLint({
    cwd: root,
    ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
    overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  });
  const [result] = await eslint.lintText(code, { filePath: `${root}${path}` });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the package boundary lint rule (docs/adr/0002-package-graph.md)', () => {
  it('[CTL-23] keeps dependencies pointing one way', { tags: ['CTL-23'] }, async () => {
    expect(await restrictedImports('packages/protocol/src/probe.ts', "export { Identity } from '@medsim/crypto';\n")).toHaveLength(1);
    expect(await restrictedImports('packages/crypto/src/probe.ts', "export { ContentType } from '@medsim/protocol';\n")).toHaveLength(0);
  });

  it('[CTL-23] forbids reaching into another package\'s files', { tags: ['CTL-23'] }, async () => {
    expect(await restrictedImports('packages/crypto/src/probe.ts', "export { v1 } from '@medsim/protocol/src/schema.js';\n")).toHaveLength(1);
    expect(await restrictedImports('apps/cli/src/probe.ts', "export * from '../../../packages/crypto/src/internal/private-keys.js';\n")).toHaveLength(1);
  });

  it('[CTL-23] lets only test files of the gateway use the testkit', { tags: ['CTL-23'] }, async () => {
    expect(await restrictedImports('packages/gateway/test/probe.test.ts', "export { DeviceClient } from '@medsim/testkit';\n")).toHaveLength(0);
    expect(await restrictedImports('packages/gateway/src/probe.ts', "export { DeviceClient } from '@medsim/testkit';\n")).toHaveLength(1);
    expect(await restrictedImports('packages/testkit/src/probe.ts', "export { createGateway } from '@medsim/gateway';\n")).toHaveLength(1);
  });
});
