// Lint for the whole tree (`npm run lint`). Besides the recommended sets it holds the one architectural
// boundary the developer guide states: pure domain modules import no AWS SDK, Powertools or middy, so
// they stay testable without emulators and cheap to load; AWS stays behind adapters (shared/aws, shared/store, …).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const PURE_MODULES = [
  'shared/rcf/**',
  'shared/hotspots/**',
  'shared/records/**',
  'shared/windows/**',
  'shared/detectors/**',
  'shared/alerts/**',
  'shared/anomaly/**',
  'shared/sql/**',
];

export default tseslint.config(
  { ignores: ['node_modules/', '.serverless/', '.esbuild/', 'dist/', 'coverage/', 'local/dashboard/vendor/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: PURE_MODULES.map((dir) => `${dir}/*.{ts,mts,js}`),
    // Adapters are where a pure area meets AWS; tests may use SDK mocks.
    ignores: ['shared/alerts/adapters/**', '**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['aws-sdk', '@aws-sdk/*', '@aws-lambda-powertools/*', '@middy/*', '@smithy/*'],
              message:
                'Pure domain modules import no AWS SDK, Powertools or middy: take a port (an interface) and put the AWS side in an adapter (shared/aws, shared/store, shared/alerts/adapters, …).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', console: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
