import { Logger } from '@aws-lambda-powertools/logger';
import { dynamoDocumentClient } from '../shared/aws/clients';
import { parseDetectors } from '../shared/detectors';
import { MemoryRejectsSink } from '../shared/rejects';
import { ModelCache } from '../shared/windows';
import { createWindowsProcessor } from '../functions/windows/processor';
import { createDataTable } from '../test/support/emulators';
import { windowEvent } from '../test/factories/kinesis';
import type { BenchReport } from './types';
import { countCapacityUnits, startDynaliteProcess, type CapacityUnits } from './dynamo';

/**
 * Hopping windows (issue 15 item 4): what scoring every 10 s the last 60 s costs against a tumbling 10-s detector
 * with the same aggregates and records — the windows function's final invoke CPU per key-step, DynamoDB write units
 * per key-step (the step item carries `hop`), and the read units a cold container spends per key-step (forest rebuild
 * plus the step history). Dynalite runs in a child process so process.cpuUsage() counts only the function's work.
 * HOPPING_BENCH_KEYS (default 200) sets the keys.
 */

const KEYS = Number(process.env.HOPPING_BENCH_KEYS ?? 200);
const WARM_STEPS = 8;
const MEASURED_STEPS = 8;
const T0 = Date.parse('2026-01-01T00:00:00Z');

const detectorYaml = (every: string) => `
detectors:
  - name: d
    format: json
    key: k
    windowSeconds: ${every ? 60 : 10}
${every}
    aggregates: [count, sum(v), max(v), count_distinct(u), { name: big, fn: count, where: { kind: big } }, { name: share, ratio: [big, count] }]
    features: [count, sum_v, count_distinct_u, share]
    alertOn: score
    rcf: { numberOfTrees: 50, subSampleSize: 64 }
`;

interface Variant {
  cpuMsPerKeyStep: number;
  wruPerKeyStep: number;
  rruPerKeyStep: number;
}

/** WARM_STEPS steps, then MEASURED_STEPS measured ones (on a new container each when `cold`). */
async function runVariant(endpoint: string, hopping: boolean, cold: boolean): Promise<Variant> {
  const tableName = await createDataTable(endpoint);
  const client = dynamoDocumentClient({ endpoint });
  const units: CapacityUnits = { read: 0, write: 0, requests: 0 };
  countCapacityUnits(client, units);
  const deps = {
    detectors: parseDetectors(detectorYaml(hopping ? '    everySeconds: 10' : ''), 'hopping bench'),
    documentClient: client,
    tableName,
    rejects: new MemoryRejectsSink(),
    logger: new Logger({ logLevel: 'SILENT' }),
    modelSaveEvery: 30,
  };
  const warm = createWindowsProcessor({ ...deps, cache: new ModelCache(KEYS + 10) });
  let cpuMs = 0;
  let wru = 0;
  let rru = 0;
  for (let s = 0; s < WARM_STEPS + MEASURED_STEPS; s++) {
    const measured = s >= WARM_STEPS;
    const run = measured && cold ? createWindowsProcessor({ ...deps, cache: new ModelCache(KEYS + 10) }) : warm;
    const start = T0 + s * 10_000;
    const records: object[] = [];
    for (let k = 0; k < KEYS; k++)
      for (let i = 0; i < 2 + ((k + s) % 4); i++)
        records.push({ k: `key-${k}`, v: (k * 7 + s * 13 + i) % 50, u: `u${(k + i * s) % 30}`, kind: i % 3 ? 'small' : 'big' });
    const partial = await run(windowEvent({ windowStart: start, records }));
    const before = { ...units };
    const cpu = process.cpuUsage();
    await run(windowEvent({ windowStart: start, state: partial.state, final: true }));
    const used = process.cpuUsage(cpu);
    if (measured) {
      cpuMs += (used.user + used.system) / 1000;
      wru += units.write - before.write;
      rru += units.read - before.read;
    }
  }
  client.destroy();
  const keySteps = KEYS * MEASURED_STEPS;
  return { cpuMsPerKeyStep: cpuMs / keySteps, wruPerKeyStep: wru / keySteps, rruPerKeyStep: rru / keySteps };
}

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

export default async function hoppingBench(): Promise<BenchReport> {
  const { endpoint, child } = await startDynaliteProcess();
  try {
    const tumbling = await runVariant(endpoint, false, false);
    const hopping = await runVariant(endpoint, true, false);
    const tumblingCold = await runVariant(endpoint, false, true);
    const hoppingCold = await runVariant(endpoint, true, true);
    return {
      name: 'hopping windows (every 10 s, the last 60 s) against tumbling 10 s',
      figures: {
        keys: KEYS,
        'final invoke CPU ms per key-step, tumbling 10 s (warm)': round(tumbling.cpuMsPerKeyStep),
        'final invoke CPU ms per key-step, hopping 60/10 (warm)': round(hopping.cpuMsPerKeyStep),
        'final invoke CPU ms per key-step, tumbling 10 s (cold every step)': round(tumblingCold.cpuMsPerKeyStep),
        'final invoke CPU ms per key-step, hopping 60/10 (cold every step)': round(hoppingCold.cpuMsPerKeyStep),
        'WRU per key-step, tumbling 10 s': round(tumbling.wruPerKeyStep),
        'WRU per key-step, hopping 60/10': round(hopping.wruPerKeyStep),
        'RRU per key-step warm, tumbling / hopping': `${round(tumbling.rruPerKeyStep)} / ${round(hopping.rruPerKeyStep)}`,
        'RRU per key-step cold, tumbling / hopping': `${round(tumblingCold.rruPerKeyStep)} / ${round(hoppingCold.rruPerKeyStep)}`,
      },
    };
  } finally {
    child.kill();
  }
}
