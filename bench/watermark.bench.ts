import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { dynamoDocumentClient } from '../shared/aws/clients';
import { parseDetectors } from '../shared/detectors';
import { MemoryRejectsSink } from '../shared/rejects';
import { ModelCache } from '../shared/windows';
import { createWindowsProcessor } from '../functions/windows/handler';
import { createDataTable, startDynalite } from '../test/support/emulators';
import { withConditions, type ProducerConditions } from '../shared/producers/realism';
import { seededRandom } from '../shared/producers/random';
import { countsByWindow, lambdaWindows, producedEvent, type ProducedRecord } from '../test/factories/producers';
import type { BenchReport } from './types';

/**
 * Event-time completeness (issue 14): the share of windows scored on their complete count (no record merged late)
 * through the windows function with Lambda-shaped events against dynalite, per producer condition and detector
 * lateness. Lateness 0 is close to the function before the watermark (it scored at the Lambda window's end). The
 * producers' latency, flushes and clocks are `produce --latency/--flush/--clock-skew`'s (shared/producers/realism.ts).
 */

const LATENESS = [0, 5, 8, 12];
const STATIONS = 8;
const station = (s: number) => String.fromCharCode(65 + s);
/** Fixed clocks per station, the worst of ±4 s included, rather than drawn: the figures compare across runs. */
const SKEWS = {
  kind: 'byProducer' as const,
  ms: Object.fromEntries([-4000, 4000, 0, -2500, 1500, -4000, 3000, -1000].map((ms, s) => [station(s), ms])),
};
const LATENCY = { kind: 'uniform' as const, minMs: 0, maxMs: 3000 };
const CONDITIONS: Array<[string, ProducerConditions]> = [
  ['latency U(0,3 s)', { latency: LATENCY }],
  ['±4 s clocks + latency', { latency: LATENCY, clockSkew: SKEWS }],
  ['5-s batching + latency', { latency: LATENCY, flushMs: 5000 }],
  ['±4 s clocks + 5-s batching + latency', { latency: LATENCY, flushMs: 5000, clockSkew: SKEWS }],
];

/** Toll-like traffic: each station a record every 0.2–1.5 s (true time), then the producers' conditions; by arrival. */
function produceRecords(conditions: ProducerConditions, seconds: number, seed: number): ProducedRecord[] {
  const random = seededRandom(seed);
  const start = Date.parse('2026-03-01T12:00:00Z');
  const made: Array<{ data: string; partitionKey: string; eventTime: Date }> = [];
  for (let s = 0; s < STATIONS; s++) {
    for (let t = start + random.next() * 800; t < start + seconds * 1000; t += 200 + random.next() * 1300) {
      const eventTime = new Date(Math.round(t));
      made.push({ data: `${eventTime.toISOString()},${station(s)}`, partitionKey: station(s), eventTime });
    }
  }
  made.sort((a, b) => a.eventTime.getTime() - b.eventTime.getTime());
  return [...withConditions(made, { ...conditions, seed })].map((r) => ({
    station: r.partitionKey,
    eventMs: r.eventTime.getTime(),
    arrivalMs: r.arrivalMs,
  }));
}

export default async function watermarkBench(): Promise<BenchReport> {
  const began = performance.now();
  const yaml = `detectors:${LATENESS.map(
    (l) => `
  - name: l${l}
    format: csv
    csv: { columns: [date, station] }
    key: station
    time: date
    windowSeconds: 10
    lateness: ${l}
    aggregates: [count]
    rcf: { numberOfTrees: 10, subSampleSize: 16, timeDecay: 1000 }`,
  ).join('')}\n`;
  const table: Array<Record<string, number | string>> = [];
  const figures: Record<string, number | string> = {};
  const targets: NonNullable<BenchReport['targets']> = [];
  for (const [label, conditions] of CONDITIONS) {
    const db = await startDynalite();
    const client = dynamoDocumentClient({ endpoint: db.endpoint });
    try {
      const tableName = await createDataTable(db.endpoint);
      const process_ = createWindowsProcessor({
        detectors: parseDetectors(yaml, 'bench'),
        documentClient: client,
        tableName,
        rejects: new MemoryRejectsSink(),
        logger: new Logger({ logLevel: 'SILENT' }),
        cache: new ModelCache(256),
        eventTimeWatermark: true,
      });
      const records = produceRecords(conditions, 300, 7);
      for (const { startMs, parts } of lambdaWindows(records)) {
        const partial = await process_(producedEvent('shardId-0', startMs, parts[0]!, {}, false));
        await process_(producedEvent('shardId-0', startMs, parts[1]!, partial.state, true));
      }
      const expected = countsByWindow(records);
      const items = (await client.send(new ScanCommand({ TableName: tableName }))).Items ?? [];
      const row: Record<string, number | string> = { condition: label, windows: expected.size };
      for (const l of LATENESS) {
        const mine = items.filter((i) => i.type === 'window' && i.detector === `l${l}`);
        const whole = mine.filter((i) => Number(i.lateRecords ?? 0) === 0).length;
        const scoredShare = mine.reduce((a, i) => a + (Number(i.count) - Number(i.lateRecords ?? 0)) / Number(i.count), 0) / mine.length;
        row[`complete % (lateness ${l} s)`] = Math.round((1000 * whole) / mine.length) / 10;
        row[`mean scored share % (lateness ${l} s)`] = Math.round(1000 * scoredShare) / 10;
      }
      figures[`${label}: complete % lateness 0 / 5 / 8 / 12 s`] = LATENESS.map((l) => row[`complete % (lateness ${l} s)`]).join(' / ');
      table.push(row);
      const atDefault = Number(row['complete % (lateness 5 s)']);
      targets.push({
        name: `${label}: windows scored complete, default lateness (5 s)`,
        value: `${atDefault} %`,
        target: '≥ 99 %',
        met: atDefault >= 99,
      });
    } finally {
      client.destroy();
      await db.close();
    }
  }
  return { name: 'watermark', figures, targets, table, seconds: (performance.now() - began) / 1000 };
}
