import { defaultServerConditions } from 'vite';
import { defineProject } from 'vitest/config';
import { tags } from '../../vitest.tags.js';

export default defineProject({
  // Tests run the TypeScript sources of workspace packages (their `@medsim/source` export).
  ssr: { resolve: { conditions: ['@medsim/source', ...defaultServerConditions] } },
  test: {
    name: '@medsim/firmware',
    include: ['test/**/*.test.ts'],
    tags,
    // Image, metadata and flash property tests do real work on a noisy 2-core machine.
    testTimeout: 60_000,
  },
});
