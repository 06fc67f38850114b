/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

// SWC strips types only (tsc --noEmit in `npm test` does the type-check), which keeps the suite fast.
// @middy/* ships ES modules only, so it is transformed too instead of being ignored with the rest of node_modules.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/shared', '<rootDir>/functions', '<rootDir>/cli', '<rootDir>/local'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
  testTimeout: 120_000,
  maxWorkers: 2,
};

export default config;
