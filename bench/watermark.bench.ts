import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { dynamoDocumentClient } from '../shared/aws/clients';
import { parseDetectors } from '../shared/detectors';
import { MemoryRejectsSink } from '../shared/rejects';
import { ModelCache } from '../shared/windows';
import { createWindowsProcessor } from '../functions/windows/handler';
import { createDataTable, startDynalite } from '../test/support/emulators';
import { countsByWindow, lambdaWindows, producedEvent, produceRecords, type ProducerConditions } from '../test/factories/producers';
import type { BenchReport } from './types';

/**
 * Event-time completeness (issue 14): the share of windows scored on their complete count (no record merged late)
 * through the windows function with Lambda-shaped events against dynalite, per producer condition and detector
 * lateness. Lateness 0 is close to the function before the watermark (it scored at the Lambda window's end).
 */

const LATENESS = [0, 5, 8, 12];
const SKEWS = [-4000, 4000, 0, -2500, 1500, -4000, 3000, -1000];
const CONDITIONS: Array<[string, ProducerConditions]> = [
  ['latency U(0,3 s)', { latencyMs: 3000 }],
  ['±4 s clocks + latency', { latencyMs: 3000, skewsMs: SKEWS }],
  ['5-s batching + latency', { latencyMs: 3000, batchMs: 5000 }],
  ['±4 s clocks + 5-s batching + latency', { latencyMs: 3000, batchMs: 5000, skewsMs: SKEWS }],
];

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
      const records = produceRecords({ ...conditions, stations: 8, seconds: 300, seed: 7 });
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
