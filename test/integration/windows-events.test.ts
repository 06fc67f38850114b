import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '../../shared/aws/clients';
import { createDataTable, startDynalite, type Emulator } from '../support/emulators';
import { lambdaContext, windowEvent } from '../factories/kinesis';

const EVENTS = resolve(__dirname, '../../events');
const readEvent = (name: string) => JSON.parse(readFileSync(join(EVENTS, name), 'utf8')) as Record<string, unknown>;

describe('the default-configured windows handler with the sample events', () => {
  let db: Emulator;
  let rejectsDir: string;
  const saved = { ...process.env };
  beforeAll(async () => {
    db = await startDynalite();
    rejectsDir = mkdtempSync(join(tmpdir(), 'rejects-'));
    Object.assign(process.env, {
      TABLE_NAME: await createDataTable(db.endpoint),
      AWS_ENDPOINT_URL: db.endpoint,
      REJECTS_DIR: rejectsDir,
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AWS_LAMBDA_LOG_LEVEL: 'ERROR',
    });
    delete process.env.DETECTORS_FILE;
  });
  afterAll(async () => {
    process.env = saved;
    rmSync(rejectsDir, { recursive: true, force: true });
    await db.close();
  });

  it('reads detectors.yml and the environment at cold start and writes the sample windows', async () => {
    const { handler } = await import('../../functions/windows/handler');
    const partial = (await handler(readEvent('windows-partial.json') as never, lambdaContext() as never)) as unknown as { state: { w: object } };
    expect(Object.keys(partial.state.w).length).toBeGreaterThan(10);
    await handler(readEvent('windows-kinesis.json') as never, lambdaContext() as never);
    await handler(readEvent('windows-final-empty.json') as never, lambdaContext() as never);
    await handler(readEvent('windows-rejects.json') as never, lambdaContext() as never);
    // The sample windows end with their Lambda window: the deployed handler holds them for the detectors' lateness
    // (5 s), so they are scored at the next Lambda window's final invoke, with every sample's records in them.
    await handler(windowEvent({ windowStart: '2026-11-22T10:00:10.000Z', final: true }) as never, lambdaContext() as never);
    const client = dynamoDocumentClient({ endpoint: db.endpoint });
    const items = (await client.send(new ScanCommand({ TableName: process.env.TABLE_NAME! }))).Items ?? [];
    client.destroy();
    const windows = items.filter((i) => i.type === 'window');
    expect(new Set(windows.map((w) => w.detector))).toEqual(new Set(['toll-stations', 'wind-speed', 'clicks']));
    expect(windows.find((w) => w.pk === 'W#wind-speed#farm-north')).toMatchObject({ count: 6, late: false, aggregates: { avg_speed: 9, max_speed: 10 } });
    // The empty final invoke's state (12) and the rejects event's one good record arrived before the watermark: carried
    // with the first records and scored with them, not merged as late.
    expect(windows.find((w) => w.pk === 'W#toll-stations#183A')).toMatchObject({ late: false, count: 16, lateRecords: 0, scored: true });
    const files = readdirSync(rejectsDir, { recursive: true }).map(String).filter((f) => f.endsWith('.jsonl'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    const lines = files.flatMap((f) => readFileSync(join(rejectsDir, f), 'utf8').split('\n').filter(Boolean));
    const kept = lines.map((line) => (JSON.parse(line) as { reason: string }).reason);
    // One reject per record: the record of a bad object and an incomplete one is kept once (shared/records/reject.ts).
    expect(kept).toHaveLength(3);
    expect(kept).toEqual(expect.arrayContaining([expect.stringContaining('expected 3 CSV columns'), expect.stringContaining('(and 1 more problem in this record)'), 'time field timestamp: missing']));
  });
});
