import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { Logger } from '@aws-lambda-powertools/logger';
import { dynamoDocumentClient } from '../shared/aws/clients';
import { loadDetectorsFile } from '../shared/detectors';
import { MemoryRejectsSink } from '../shared/rejects';
import { ModelCache } from '../shared/windows';
import { createWindowsProcessor } from '../functions/windows/handler';
import { createDataTable, startDynalite } from '../test/support/emulators';
import { windowEvent } from '../test/factories/kinesis';
import { LAMBDA_ESBUILD_OPTIONS } from './lambda-bundle';
import type { BenchReport } from './types';

const ROOT = resolve(__dirname, '..');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Records/s of decode + aggregate, measured on the bundled code in fresh processes (the speed of one process
 * varies between runs by up to 1.6× on this machine as the JIT settles differently): the median of five medians.
 */
async function throughput(): Promise<{ median: number; min: number; max: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'windows-throughput-'));
  try {
    const outfile = join(dir, 'windows-throughput.js');
    await build({ ...LAMBDA_ESBUILD_OPTIONS, entryPoints: [join(ROOT, 'bench/windows-throughput.entry.ts')], outfile });
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) runs.push(Number(execFileSync(process.execPath, [outfile, join(ROOT, 'detectors.yml')]).toString()));
    return { median: median(runs), min: Math.min(...runs), max: Math.max(...runs) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function finalInvoke(): Promise<{ coldMs: number; warmMs: number; stateBytes: number }> {
  const db = await startDynalite();
  try {
    const tableName = await createDataTable(db.endpoint);
    const client = dynamoDocumentClient({ endpoint: db.endpoint });
    const detectors = loadDetectorsFile(join(ROOT, 'detectors.yml'));
    const process_ = createWindowsProcessor({
      detectors,
      documentClient: client,
      tableName,
      rejects: new MemoryRejectsSink(),
      logger: new Logger({ logLevel: 'SILENT' }),
      cache: new ModelCache(512),
    });
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const times: number[] = [];
    let stateBytes = 0;
    for (let w = 0; w < 4; w++) {
      const start = t0 + w * 10_000;
      const records = Array.from({ length: 1000 }, (_, i) => `${new Date(start + i).toISOString()},station-${i % 100},P${i}`);
      const partial = await process_(windowEvent({ windowStart: start, records }));
      stateBytes = Buffer.byteLength(JSON.stringify(partial.state));
      const began = performance.now();
      await process_(windowEvent({ windowStart: start, state: partial.state, final: true }));
      times.push(performance.now() - began);
    }
    client.destroy();
    return { coldMs: times[0]!, warmMs: median(times.slice(1)), stateBytes };
  } finally {
    await db.close();
  }
}

/** node_modules/<package>/… or the project folder (shared/rcf, …) an input file of the bundle belongs to. */
const ownerOf = (input: string) => input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? input.split('/').slice(0, 2).join('/');

async function bundle(): Promise<{ bytes: number; initMs: number; largest: Array<[string, number]> }> {
  const dir = mkdtempSync(join(tmpdir(), 'windows-bundle-'));
  try {
    const outfile = join(dir, 'functions/windows/handler.js');
    // As serverless.yml's custom.esbuild configures serverless-esbuild.
    const result = await build({
      ...LAMBDA_ESBUILD_OPTIONS,
      entryPoints: [join(ROOT, 'functions/windows/handler.ts')],
      outfile,
      metafile: true,
    });
    const bytes = statSync(outfile).size;
    const byOwner = new Map<string, number>();
    for (const output of Object.values(result.metafile!.outputs)) {
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs))
        byOwner.set(ownerOf(input), (byOwner.get(ownerOf(input)) ?? 0) + bytesInOutput);
    }
    const largest = [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, 6);
    // Loaded from a temporary folder with no node_modules above it, as in Lambda: the bundle must stand alone.
    const script = `const t=process.hrtime.bigint();require(${JSON.stringify(outfile)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
    const inits: number[] = [];
    for (let i = 0; i < 7; i++) {
      inits.push(
        Number(
          execFileSync(process.execPath, ['-e', script], {
            env: { ...process.env, AWS_REGION: 'us-east-1', POWERTOOLS_METRICS_DISABLED: 'true' },
          }).toString(),
        ),
      );
    }
    return { bytes, initMs: median(inits), largest };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function run(): Promise<BenchReport> {
  const rate = await throughput();
  const final = await finalInvoke();
  const b = await bundle();
  const kb = Math.round(b.bytes / 102.4) / 10;
  return {
    name: 'windows function',
    figures: {
      'decode+aggregate records/s (10,000-record batch, CSV+JSON; bundled, median of 5 processes)': rate.median,
      'decode+aggregate records/s, slowest and fastest process': `${rate.min}–${rate.max}`,
      'final invoke, 100 keys, new models (ms, dynalite)': Math.round(final.coldMs),
      'final invoke, 100 keys, warm models (ms, dynalite)': Math.round(final.warmMs),
      'state bytes for 100 keys': final.stateBytes,
      'bundle KB (esbuild, minified, node22)': kb,
      'cold-start module init ms (median of 7 fresh node processes)': Math.round(b.initMs),
      ...Object.fromEntries(b.largest.map(([owner, bytes]) => [`bundle KB from ${owner}`, Math.round(bytes / 102.4) / 10])),
    },
    targets: [
      {
        name: 'decode + aggregate throughput',
        value: `${rate.median} records/s`,
        target: '≥ 200,000 records/s',
        met: rate.median >= 200_000,
      },
      { name: 'bundle size', value: `${kb} KB`, target: '≤ 500 KB', met: b.bytes <= 500 * 1024 },
      { name: 'cold-start module init', value: `${Math.round(b.initMs)} ms`, target: '≤ 200 ms', met: b.initMs <= 200 },
      {
        name: 'final invoke for 100 keys (reported)',
        value: `${Math.round(final.coldMs)} ms new / ${Math.round(final.warmMs)} ms warm`,
        target: 'measured',
        met: true,
      },
    ],
  };
}
