import type { BuildOptions } from 'esbuild';

// What serverless.yml's custom.esbuild.exclude leaves out of the bundles.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { onDemandCredentialProviders } = require('../serverless/bundle.js') as { onDemandCredentialProviders: string[] };

/** The esbuild options serverless.yml gives serverless-esbuild, for benches that build a function themselves. */
export const LAMBDA_ESBUILD_OPTIONS: BuildOptions = {
  bundle: true,
  minify: true,
  keepNames: true,
  sourcemap: false,
  target: 'node22',
  platform: 'node',
  format: 'cjs',
  mainFields: ['module', 'main'],
  external: onDemandCredentialProviders,
  logLevel: 'error',
};
