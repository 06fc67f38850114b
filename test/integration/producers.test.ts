import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutRecordsCommand, type KinesisClient, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { kinesisClient } from '../../shared/aws/clients';
import { parseAnomaly, scenarioNames, scenarios, type ProducedRecord } from '../../shared/producers';
import { produce, type PutRecordsClient } from '../../shared/producers/put';
import { resolveTarget, TargetError } from '../../shared/producers/target';
import { runProduce } from '../../cli/commands/produce';
import { createStream, startKinesalite, type Emulator } from '../support/emulators';
import { readAllRecords, tally } from '../unit/producers/kinesis-readback';

let kinesalite: Emulator;
let client: KinesisClient;
let streams = 0;
const newStream = (shards = 4) => createStream(kinesalite.endpoint, `producers-${++streams}`, shards);

beforeAll(async () => {
  kinesalite = await startKinesalite();
  client = kinesisClient({ endpoint: kinesalite.endpoint });
});
afterAll(async () => {
  client.destroy();
  await kinesalite.close();
});

const generate = (name: (typeof scenarioNames)[number], duration = 60): ProducedRecord[] => [
  ...scenarios[name].generate({
    seed: 11,
    start: Date.UTC(2026, 0, 1),
    duration,
    anomalies: [{ kind: scenarios[name].anomalyKinds[0]!, at: duration / 2 }],
  }),
];

describe('produce into kinesalite', () => {
  it.each(scenarioNames)('%s: every record arrives exactly once, with its group key as partition key', async (name) => {
    const streamName = await newStream();
    const records = generate(name);
    const summary = await produce({ client, streamName, records, concurrency: 4 });
    expect(summary.sent).toBe(records.length);
    const back = await readAllRecords(client, streamName);
    expect(back).toHaveLength(records.length);
    expect(tally(back)).toEqual(tally(records));
    // The keys spread over the shards: partition keys did reach Kinesis as keys.
    if (name !== 'wind') expect(new Set(back.map((r) => r.shardId)).size).toBeGreaterThan(1);
  });

  it('a partial PutRecords failure is retried until every record has landed, none twice', async () => {
    const streamName = await newStream(2);
    // Kinesalite in front, with failures injected: some entries of some calls are refused (not written)
    // and reported as throttled, as Kinesis does when a shard is over its limit.
    let calls = 0;
    let refused = 0;
    const flaky: PutRecordsClient = {
      async send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput> {
        calls++;
        const entries = command.input.Records!;
        const refuse = entries.map((_, i) => calls <= 6 && (i + calls) % 4 === 0);
        const accepted = entries.filter((_, i) => !refuse[i]);
        const out = accepted.length
          ? await client.send(new PutRecordsCommand({ StreamName: streamName, Records: accepted }))
          : { Records: [], $metadata: {} };
        let next = 0;
        refused += refuse.filter(Boolean).length;
        return {
          $metadata: {},
          FailedRecordCount: refuse.filter(Boolean).length,
          Records: entries.map((_, i) =>
            refuse[i]
              ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' }
              : out.Records![next++]!,
          ),
        };
      },
    };
    const records = generate('toll', 20);
    const summary = await produce({ client: flaky, streamName, records, baseDelayMs: 1, concurrency: 2 });
    expect(refused).toBeGreaterThan(0);
    expect(summary).toMatchObject({ sent: records.length, failed: refused });
    expect(summary.errors.ProvisionedThroughputExceededException).toBe(refused);
    const back = await readAllRecords(client, streamName);
    expect(tally(back)).toEqual(tally(records));
  });

  it('the produce command puts a scenario with an anomaly through --endpoint/--stream and prints a summary', async () => {
    const streamName = await newStream(2);
    const lines: string[] = [];
    const io = { log: (line: string) => lines.push(line), stream: { write: (text: string) => lines.push(text) } };
    const summary = await runProduce(
      {
        scenario: 'toll',
        duration: '30s',
        rate: '50/s',
        seed: '3',
        start: '2026-01-01T00:00:00Z',
        anomaly: ['diversion@15s'],
        pace: false,
        endpoint: kinesalite.endpoint,
        stream: streamName,
        concurrency: '2',
      },
      io,
    );
    const expected = [
      ...scenarios.toll.generate({
        seed: 3,
        rate: 50,
        start: Date.UTC(2026, 0, 1),
        duration: 30,
        anomalies: [parseAnomaly('diversion@15s')],
      }),
    ];
    expect(summary?.sent).toBe(1500);
    expect(tally(await readAllRecords(client, streamName))).toEqual(tally(expected));
    const text = lines.join('\n');
    expect(text).toContain('anomaly diversion on 35South at +15 s for 15 s (2026-01-01T00:00:15.000Z)');
    expect(text).toMatch(/produce: 1500 records \(.* KiB\) into producers-\d+ at http:\/\/127\.0\.0\.1:\d+ in/);
    expect(text).toContain('event time: 2026-01-01T00:00:00.000Z → 2026-01-01T00:00:29.980Z');
  });

  it('finds the local stack from its stack.json, and says how to start it when there is none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'producers-'));
    const file = join(dir, 'stack.json');
    await expect(resolveTarget({ local: true, stackFile: file })).rejects.toThrow(/npm run stack/);
    writeFileSync(
      file,
      JSON.stringify({
        kinesisEndpoint: kinesalite.endpoint,
        dynamodbEndpoint: 'http://127.0.0.1:1',
        streamName: 'from-stack',
        tableName: 't',
        region: 'us-east-1',
      }),
    );
    const target = await resolveTarget({ local: true, stackFile: file });
    expect(target.streamName).toBe('from-stack');
    target.client.destroy();
    writeFileSync(file, JSON.stringify({ streamName: 'x' }));
    await expect(resolveTarget({ local: true, stackFile: file })).rejects.toThrow(/kinesisEndpoint/);
  });

  it('asks for exactly one target', async () => {
    await expect(resolveTarget({})).rejects.toThrow(TargetError);
    await expect(resolveTarget({ local: true, stage: 'dev' })).rejects.toThrow(/exactly one of --stage/);
    await expect(resolveTarget({ endpoint: kinesalite.endpoint })).rejects.toThrow(/--endpoint needs --stream/);
  });
});
