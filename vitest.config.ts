import { defineConfig } from 'vitest/config';
import { tags } from './vitest.tags.js';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'scripts'],
    tags,
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }], ['junit', { outputFile: 'reports/junit.xml' }]],
  },
});
