import { join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Logger } from '@aws-lambda-powertools/logger';
import { dynamoDocumentClient } from '../shared/aws/clients';
import { loadDetectorsFile } from '../shared/detectors';
import { MemoryRejectsSink } from '../shared/rejects';
import { ModelCache } from '../shared/windows';
import { RandomCutForest } from '../shared/rcf';
import { createWindowsProcessor } from '../functions/windows/processor';
import { createDataTable } from '../test/support/emulators';
import { windowEvent } from '../test/factories/kinesis';
import type { BenchReport } from './types';
import { countCapacityUnits, startDynaliteProcess, type CapacityUnits } from './dynamo';

/**
 * Issue 14's keys-per-shard bench: the windows function's final invoke for 100 / 1,000 / 10,000 keys of the shipped
 * toll detector on one shard, DynamoDB write units per key-window, the $/month they imply, and heap per cached forest.
 * Dynalite runs in a child process so process.cpuUsage() counts only the function's own work; every DynamoDB call
 * waits 10 ms first (an SDK middleware) to stand in for the network round trip.
 * KEYS_BENCH_SCALE (default 1) multiplies the key counts, e.g. 0.1 for a quick run.
 */

const ROOT = resolve(__dirname, '..');
const SCALE = Number(process.env.KEYS_BENCH_SCALE ?? 1);
const LATENCY_MS = 10;
const SAVE_EVERY = 30;
// DynamoDB on-demand in us-east-1 since the price cut of November 2024: $0.625 per million write request units,
// $0.125 per million read request units.
const WRU_PRICE = 0.625 / 1e6;
const RRU_PRICE = 0.125 / 1e6;
const WINDOWS_PER_MONTH = (30 * 86_400) / 10;
const T0 = Date.parse('2026-01-01T00:00:00Z');

/**
 * JS heap plus memory outside it (the forests' typed arrays live there), after a full collection; gc is exposed at
 * run time because bench/run.ts is not started with it.
 */
function heapUsed(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

interface KeysRun {
  keys: number;
  warmWindows: number;
  wallMs: number;
  cpuMs: number;
  wruSteady: number;
  rruSteady: number;
  requests: number;
  wruSave?: number;
  heapPerForestBytes: number;
}

async function runKeys(
  endpoint: string,
  keys: number,
  warmWindows: number,
  measureSave: boolean,
  keysPartitioned = true,
): Promise<KeysRun> {
  const tableName = await createDataTable(endpoint);
  const client = dynamoDocumentClient({ endpoint });
  const units: CapacityUnits = { write: 0, read: 0, requests: 0 };
  countCapacityUnits(client, units, LATENCY_MS);
  const all = loadDetectorsFile(join(ROOT, 'detectors.yml'));
  const detectors = all.filter((d) => d.name === 'toll-stations');
  const cache = new ModelCache(keys + 10);
  const deps = {
    detectors,
    documentClient: client,
    tableName,
    rejects: new MemoryRejectsSink(),
    logger: new Logger({ logLevel: 'SILENT' }),
    cache,
    // The bench's stations are partitioned by key, as the shipped producers put them (WINDOW_KEYS_PARTITIONED).
    keysPartitioned,
  };
  const heapBefore = heapUsed();
  const invoke = createWindowsProcessor({ ...deps, modelSaveEvery: SAVE_EVERY });
  const windowAt = async (w: number, run = invoke) => {
    const start = T0 + w * 10_000;
    // 1–3 vehicles per station, varying by window so the forests see different counts.
    const records: string[] = [];
    for (let k = 0; k < keys; k++)
      for (let i = 0; i < 1 + ((k + w) % 3); i++) records.push(`${new Date(start + (i % 9000)).toISOString()},station-${k},P${k}-${i}`);
    const partial = await run(windowEvent({ windowStart: start, records }));
    const before = { ...units };
    const cpu = process.cpuUsage();
    const began = performance.now();
    await run(windowEvent({ windowStart: start, state: partial.state, final: true }));
    const used = process.cpuUsage(cpu);
    return {
      wallMs: performance.now() - began,
      cpuMs: (used.user + used.system) / 1000,
      wru: units.write - before.write,
      rru: units.read - before.read,
      requests: units.requests - before.requests,
    };
  };
  for (let w = 0; w < warmWindows; w++) await windowAt(w);
  const { wallMs, cpuMs, wru: wruSteady, rru: rruSteady, requests } = await windowAt(warmWindows);
  const heapPerForestBytes = (heapUsed() - heapBefore) / keys;
  let wruSave: number | undefined;
  if (measureSave) {
    // The same cache, saving every key's forest this window: its extra write units are the save's cost.
    const saving = createWindowsProcessor({ ...deps, modelSaveEvery: 1 });
    wruSave = (await windowAt(warmWindows + 1, saving)).wru;
  }
  client.destroy();
  return {
    keys,
    warmWindows,
    wallMs,
    cpuMs,
    wruSteady,
    rruSteady,
    requests,
    ...(wruSave === undefined ? {} : { wruSave }),
    heapPerForestBytes,
  };
}

/**
 * Bytes of a toll forest past its warm-up (every sampler full): the measured save above is of a young forest, so the
 * steady-state save is computed from this size (1 WRU per started KB) plus the item's other attributes.
 */
function steadyForestBytes(): number {
  const toll = loadDetectorsFile(join(ROOT, 'detectors.yml')).find((d) => d.name === 'toll-stations');
  if (toll?.kind !== 'rcf') throw new Error('detectors.yml has no rcf detector named toll-stations');
  const forest = new RandomCutForest({ ...toll.rcf, dimensions: 1, seed: 1 });
  for (let w = 0; w < 500; w++) forest.process([(w * 7919) % 41]);
  return forest.toBytes().length;
}

/** pk, sk, type, detector, key, version, params, timestamps, grade: generous, so the WRU figure is not flattered. */
const MODEL_ITEM_OTHER_BYTES = 600;

export default async function run(): Promise<BenchReport> {
  const db = await startDynaliteProcess();
  const sizes = [100, 1000, 10_000].map((n) => Math.max(10, Math.round(n * SCALE)));
  // Few warm windows for the largest size so the run stays within a few minutes; see the figures for the state.
  const warm = [5, 3, 1];
  const runs: KeysRun[] = [];
  let anyPartitioning: KeysRun;
  try {
    for (let i = 0; i < sizes.length; i++) runs.push(await runKeys(db.endpoint, sizes[i]!, warm[i]!, i === 1));
    // The same largest run with WINDOW_KEYS_PARTITIONED=false (the default): every key read and put conditionally.
    anyPartitioning = await runKeys(db.endpoint, sizes[2]!, warm[2]!, false, false);
  } finally {
    db.child.kill();
  }
  const mid = runs[1]!;
  const big = runs[2]!;
  const saveWruPerKey = (mid.wruSave! - mid.wruSteady) / mid.keys;
  const forestBytes = steadyForestBytes();
  const steadySaveWru = Math.ceil((forestBytes + MODEL_ITEM_OTHER_BYTES) / 1024);
  // Steady state: the measured per-window writes plus a full forest's save every SAVE_EVERY windows.
  const wruPerKeyWindow = mid.wruSteady / mid.keys + Math.max(saveWruPerKey, steadySaveWru) / SAVE_EVERY;
  const dollars = (keys: number) => Math.round(keys * wruPerKeyWindow * WINDOWS_PER_MONTH * WRU_PRICE * 100) / 100;
  const r1 = (x: number) => Math.round(x * 10) / 10;
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    name: 'keys per shard (windows function, toll-stations detector)',
    figures: {
      setup: `WINDOW_KEYS_PARTITIONED=true unless said (each station's records on one shard, as the shipped producers put them); dynalite in a child process; ${LATENCY_MS} ms sleep before every DynamoDB call (SDK middleware); capacity units as dynalite reports them (ReturnConsumedCapacity), writes and reads apart`,
      'forest state at the measured window': `the measured final invoke is window ${runs.map((r) => `${r.warmWindows + 1} for ${r.keys} keys`).join(', ')}: forests exist and are cached, still in their 64-window warm-up (not yet scoring)`,
      ...Object.fromEntries(
        runs.flatMap((r) => [
          [`final invoke wall ms, ${r.keys} keys`, Math.round(r.wallMs)],
          [`final invoke CPU ms, ${r.keys} keys`, Math.round(r.cpuMs)],
          [`final invoke DynamoDB requests, ${r.keys} keys`, r.requests],
        ]),
      ),
      [`final invoke wall / CPU ms, ${anyPartitioning.keys} keys, WINDOW_KEYS_PARTITIONED=false (default)`]: `${Math.round(anyPartitioning.wallMs)} / ${Math.round(anyPartitioning.cpuMs)}`,
      [`final invoke DynamoDB requests, ${anyPartitioning.keys} keys, WINDOW_KEYS_PARTITIONED=false`]: anyPartitioning.requests,
      [`WRU per key-window without save, ${mid.keys} keys`]: r3(mid.wruSteady / mid.keys),
      [`RRU per key-window (strongly consistent reads), ${mid.keys} keys`]: r3(mid.rruSteady / mid.keys),
      '$/month DynamoDB on-demand reads, 1,000 keys': Math.round(mid.rruSteady * WINDOWS_PER_MONTH * RRU_PRICE * 100) / 100,
      [`WRU per model save per key, ${mid.keys} keys (forest after ${mid.warmWindows + 1} windows)`]: r3(saveWruPerKey),
      'toll forest bytes past warm-up (toBytes, 500 windows)': forestBytes,
      'WRU per steady-state model save (computed: started KB of forest + 600 B other attributes)': steadySaveWru,
      [`WRU per key-window incl. steady-state saves every ${SAVE_EVERY} windows`]: r3(wruPerKeyWindow),
      '$/month DynamoDB on-demand writes, 10 keys': dollars(10),
      '$/month DynamoDB on-demand writes, 1,000 keys': dollars(1000),
      '$/month DynamoDB on-demand writes, 10,000 keys': dollars(10_000),
      '$/month KDA for SQL (1 KPU, $0.11/h), Managed Flink (1 + 1 orchestration KPU)': '≈ 80 / ≈ 160',
      ...Object.fromEntries(runs.map((r) => [`heap+external KB per cached forest, ${r.keys} keys`, r1(r.heapPerForestBytes / 1024)])),
      'heap+external MB for 10,000 cached forests (from the largest run)': r1((big.heapPerForestBytes * 10_000) / 1048576),
    },
    targets: [
      // Measured with WINDOW_KEYS_PARTITIONED=true; the default (false) is in the figures.
      { name: `final invoke wall, ${big.keys} keys`, value: `${Math.round(big.wallMs)} ms`, target: '≤ 10 s', met: big.wallMs <= 10_000 },
      { name: `final invoke CPU, ${big.keys} keys`, value: `${Math.round(big.cpuMs)} ms`, target: '≤ 5 s', met: big.cpuMs <= 5_000 },
      {
        name: 'DynamoDB WRU per key-window (steady, 1,000 keys, saves amortised)',
        value: r3(wruPerKeyWindow),
        target: '≤ 1.2',
        met: wruPerKeyWindow <= 1.2,
      },
    ],
  };
}
