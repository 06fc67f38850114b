import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

// The boundary rule of eslint.config.mjs, checked through eslint itself (in a child process: jest's
// CommonJS sandbox cannot load the ES-module config) on text linted as if it lived at a given path.
const ROOT = resolve(__dirname, '../../..');

// One child process lints every probe (eslint's start-up dominates), keyed by the path it pretends to be.
function lintAll(paths: string[], text: string): Map<string, string[]> {
  const script = `
    const { ESLint } = require('eslint');
    const [paths, text] = JSON.parse(process.argv[1]);
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = {};
      for (const path of paths) {
        const [result] = await eslint.lintText(text, { filePath: path });
        out[path] = result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const run = spawnSync(process.execPath, ['-e', script, JSON.stringify([paths, text])], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`eslint failed: ${run.stderr}`);
  return new Map(Object.entries(JSON.parse(run.stdout) as Record<string, string[]>));
}

const AWS_IMPORTS = `import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
export const parts = [KinesisClient, middy] as const;
export type L = Logger;
`;

const PURE = [
  'shared/rcf/forest-probe.ts',
  'shared/records/deep/probe.ts',
  'shared/windows/probe.ts',
  'shared/hotspots/probe.ts',
  'shared/anomaly/probe.ts',
];
const ADAPTERS = ['shared/store/probe.ts', 'shared/aws/probe.ts', 'shared/alerts/adapters/sns-probe.ts', 'local/probe.ts'];

describe('eslint boundary: pure modules import no AWS SDK, Powertools or middy', () => {
  let results: Map<string, string[]>;
  beforeAll(() => {
    results = lintAll([...PURE, ...ADAPTERS], AWS_IMPORTS);
  });

  it.each(PURE)('rejects each of the three imports in %s', (path) => {
    const messages = results.get(path);
    expect(messages).toHaveLength(3);
    expect(messages![0]).toContain('Pure domain modules import no AWS SDK');
  });

  it.each(ADAPTERS)('allows them in the adapter or composition root %s', (path) => {
    expect(results.get(path)).toEqual([]);
  });
});
