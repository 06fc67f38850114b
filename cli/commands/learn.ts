import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadDetectorsFile, rcfDetectors } from '../../shared/detectors';
import type { InputRecord } from '../../shared/records';
import type { LearnStats } from '../../shared/windows/learn';
import { load } from './produce';

/**
 * `stream-sentinel learn`: warm start (issue 16). Reads archived records (a file, a directory, or s3://…, as
 * `replay` does) and learns them into the detectors' forests and grade state in the data table — no window items,
 * no alerts — so a new detector or key grades from its first live window instead of spending its warm-ups live.
 * Only event-time detectors (`time:`) can learn from history; the whole history is held in memory.
 */

export interface LearnCliOptions {
  detectors: string;
  table?: string;
  region?: string;
  endpoint?: string;
  format?: string;
}

export interface LearnRun {
  stats: LearnStats;
  /** rcf detectors without `time`: their windows are by arrival, which history does not have. */
  skippedDetectors: string[];
  records: number;
}

/** Learns `records` into `tableName` for the event-time rcf detectors of `detectorsFile`. */
export async function learn(
  records: AsyncIterable<{ data: string }> | Iterable<{ data: string }>,
  options: { detectorsFile: string; client: DynamoDBDocumentClient; tableName: string; now?: number },
): Promise<LearnRun> {
  // The store (AWS SDK) and the forests load here, not at CLI start (cli/main.ts).
  const { DynamoModelStore } = load<typeof import('../../shared/store')>('../../shared/store');
  const { compileDetector } = load<typeof import('../../shared/windows')>('../../shared/windows');
  const { learnFromHistory } = load<typeof import('../../shared/windows/learn')>('../../shared/windows/learn');
  const all = rcfDetectors(loadDetectorsFile(options.detectorsFile, { windowSeconds: 10, threshold: 2 }));
  const learnable = all.filter((d) => d.time);
  const now = options.now ?? Date.now();
  const input: InputRecord[] = [];
  for await (const r of records) {
    // Arrival = now: history is any age behind it, which the event-time bounds accept.
    input.push({ data: Buffer.from(r.data, 'utf8').toString('base64'), sequenceNumber: String(input.length), arrivalMs: now });
  }
  const stats = await learnFromHistory({
    records: input,
    compiled: learnable.map(compileDetector),
    models: new DynamoModelStore({ client: options.client, tableName: options.tableName, retentionDays: 365 }),
    runId: `learn-${now}`,
  });
  return { stats, skippedDetectors: all.filter((d) => !d.time).map((d) => d.name), records: input.length };
}

export function register(program: Command): void {
  program
    .command('learn')
    .description(
      'Warm start: learn archived records into the detectors’ forests and anomaly grade (no window items, no alerts), so new keys grade from their first live window',
    )
    .argument('<source>', 'a file or directory of CSV / NDJSON / JSON records, or s3://bucket/key-or-prefix')
    .option('--detectors <file>', 'the detectors file', 'detectors.yml')
    .option('--table <name>', 'the data table (default: the local stack’s, .stream-sentinel/stack.json)')
    .option('--region <region>', 'AWS region of the table')
    .option('--endpoint <url>', 'DynamoDB endpoint (e.g. a local emulator)')
    .option('--format <format>', 'auto, csv, ndjson or json-concat', 'auto')
    .action(async (source: string, opts: LearnCliOptions) => {
      const { dynamoDocumentClient } = load<typeof import('../../shared/aws/clients')>('../../shared/aws/clients');
      let tableName = opts.table;
      let endpoint = opts.endpoint;
      let region = opts.region;
      if (!tableName) {
        const { DEFAULT_STACK_FILE } = load<typeof import('../../local/stack')>('../../local/stack');
        try {
          const stack = JSON.parse(readFileSync(DEFAULT_STACK_FILE, 'utf8')) as {
            dynamodbEndpoint: string;
            tableName: string;
            region: string;
          };
          tableName = stack.tableName;
          endpoint ??= stack.dynamodbEndpoint;
          region ??= stack.region;
        } catch {
          throw new Error(`no --table and no local stack (${DEFAULT_STACK_FILE}): pass --table <name> (and --region)`);
        }
      }
      const read = { format: (opts.format ?? 'auto') as 'auto' };
      let records: AsyncIterable<{ data: string }>;
      if (source.startsWith('s3://')) {
        const { s3Client } = load<typeof import('../../shared/aws/clients')>('../../shared/aws/clients');
        const { s3ReplayRecords } = load<typeof import('../../shared/producers/replay-s3')>('../../shared/producers/replay-s3');
        records = s3ReplayRecords(s3Client(region ? { region } : {}), source, read);
      } else {
        const { readReplayFile } = load<typeof import('../../shared/producers/replay')>('../../shared/producers/replay');
        records = readReplayFile(source, read);
      }
      const client = dynamoDocumentClient({ ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}) });
      try {
        const run = await learn(records, { detectorsFile: opts.detectors, client, tableName });
        const s = run.stats;
        console.log(
          `learned ${run.records} records into ${tableName}: ${s.keys} keys, ${s.windowsWritten} windows, ${s.modelsSaved} models saved; ${s.wouldAlert} windows the alert rule would have flagged (not alerted); ${s.rejects} rejects`,
        );
        if (s.skippedKeys.length) console.log(`  keys that already had a model were left alone: ${s.skippedKeys.join(', ')}`);
        if (run.skippedDetectors.length)
          console.log(`  not learned (windows by arrival time, no \`time:\`): ${run.skippedDetectors.join(', ')}`);
      } finally {
        client.destroy();
      }
    });
}
