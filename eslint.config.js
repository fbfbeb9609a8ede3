// ESLint flat config. Type-aware typescript-eslint rules plus the package boundary rule:
// dependencies point one way (docs/adr/0002-package-graph.md), and no package reaches into
// another's src/, dist/ or internal/ (a package's public surface is its `exports` map).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Which workspace packages each package may import; everything else @medsim/* is refused. */
export const allowedDependencies = {
  protocol: [],
  crypto: ['@medsim/protocol'],
  logging: [],
  firmware: ['@medsim/protocol', '@medsim/crypto'],
  'ble-radio': ['@medsim/protocol', '@medsim/crypto', '@medsim/logging'],
  devices: ['@medsim/protocol', '@medsim/crypto', '@medsim/logging', '@medsim/ble-radio', '@medsim/firmware'],
  gateway: ['@medsim/protocol', '@medsim/crypto', '@medsim/logging', '@medsim/ble-radio', '@medsim/firmware'],
  compliance: ['@medsim/protocol'],
  // The testkit drives the gateway from outside, over the wire: it never imports it, so the
  // gateway's own tests can use it without a cycle.
  testkit: ['@medsim/protocol', '@medsim/crypto', '@medsim/logging', '@medsim/ble-radio'],
};

/** What a package's tests may import besides its own dependencies. */
export const allowedTestDependencies = {
  gateway: ['@medsim/testkit'],
  // The device zoo is proved end to end against a real gateway (conformance suite).
  devices: ['@medsim/testkit', '@medsim/gateway'],
};

const workspacePackages = Object.keys(allowedDependencies).map((name) => `@medsim/${name}`);

/** no-restricted-imports options for files of package `name` (undefined: an app, may import any public entry). */
export function boundaryRule(name, forTests = false) {
  const allowed =
    name === undefined ? workspacePackages : [...allowedDependencies[name], ...(forTests ? (allowedTestDependencies[name] ?? []) : [])];
  return [
    'error',
    {
      patterns: [
        {
          group: ['@medsim/*/*'],
          message: 'Import a workspace package by its name only: its public surface is its exports map.',
        },
        {
          group: ['../../packages/*', '../../../packages/*', '../../apps/*', '../../../apps/*'],
          message: 'Import another workspace package by its name, not by a relative path.',
        },
        ...(name === undefined
          ? []
          : [
              {
                group: workspacePackages.filter((p) => !allowed.includes(p) && p !== `@medsim/${name}`),
                message: `@medsim/${name} may depend only on: ${allowed.join(', ') || 'no other workspace package'} (docs/adr/0002-package-graph.md).`,
              },
            ]),
      ],
    },
  ];
}

export default tseslint.config(
  { ignores: ['**/dist/**', '**/gen/**', '**/node_modules/**', 'reports/**', '**/*.config.ts', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
      // Secrets and simulation randomness: node:crypto's CSPRNG, or a seeded generator (CONVENTIONS).
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Use node:crypto for secrets or a seeded generator for simulation.' }],
    },
  },
  ...Object.keys(allowedDependencies).map((name) => ({
    files: [`packages/${name}/**/*.ts`],
    rules: { 'no-restricted-imports': boundaryRule(name) },
  })),
  ...Object.keys(allowedTestDependencies).map((name) => ({
    files: [`packages/${name}/test/**/*.ts`],
    rules: { 'no-restricted-imports': boundaryRule(name, true) },
  })),
  {
    files: ['apps/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-restricted-imports': boundaryRule(undefined) },
  },
  {
    // The CLI talks to people: console output is its job.
    files: ['apps/cli/src/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/test/**/*.ts'],
    rules: {
      // Tests hand-build hostile inputs on purpose.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
