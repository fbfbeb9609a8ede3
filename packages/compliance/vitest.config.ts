import { defaultServerConditions } from 'vite';
import { defineProject } from 'vitest/config';
import { tags } from '../../vitest.tags.js';

export default defineProject({
  // Tests run the TypeScript sources of workspace packages (their `@medsim/source` export).
  ssr: { resolve: { conditions: ['@medsim/source', ...defaultServerConditions] } },
  test: {
    name: '@medsim/compliance',
    include: ['test/**/*.test.ts'],
    tags,
    // Reading a whole test run and generating documents takes a few seconds on a noisy 2-core machine.
    testTimeout: 60_000,
  },
});
