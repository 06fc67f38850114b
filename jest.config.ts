/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

type ProjectOptions = Exclude<NonNullable<Config['projects']>[number], string>;

// SWC strips types only (tsc --noEmit in `npm test` does the type-check), which keeps the suite fast.
// @middy/* ships ES modules only, so it is transformed too instead of being ignored with the rest of node_modules.
const shared: ProjectOptions = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/test', '<rootDir>/shared', '<rootDir>/functions', '<rootDir>/cli', '<rootDir>/local'],
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
};

/**
 * Suites that run a whole pipeline, a browser, `sls package` or a forest over NAB series. They get a project of
 * their own so `npm test` runs them one at a time after the rest (two of them at once on a 2-core box starve each
 * other), with timeouts sized for a machine that is busy with other work (test/support/heavy-timeout.ts).
 */
const HEAVY = [
  '<rootDir>/test/e2e/',
  '<rootDir>/test/fidelity/',
  '<rootDir>/test/infra/template.test.ts',
  '<rootDir>/test/integration/windows-nab.test.ts',
  '<rootDir>/test/integration/windows-models.test.ts',
  '<rootDir>/test/integration/faults.test.ts',
  '<rootDir>/test/heavy/',
];

const config: Config = {
  testTimeout: 120_000,
  maxWorkers: 2,
  projects: [
    { ...shared, displayName: 'suite', testMatch: ['**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', ...HEAVY] },
    {
      ...shared,
      displayName: 'heavy',
      testMatch: HEAVY.map((p) => (p.endsWith('/') ? `${p}**/*.test.ts` : p)),
      setupFilesAfterEnv: ['<rootDir>/test/support/heavy-timeout.ts'],
    },
  ],
};

export default config;
