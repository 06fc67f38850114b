import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { dynamoDocumentClient } from '../../shared/aws/clients';
import { loadDetectorsFile } from '../../shared/detectors';
import { MemoryRejectsSink } from '../../shared/rejects';
import { createHotspotsHandler, type HotspotsEvent, type HotspotsResponse } from '../../functions/hotspots/handler';
import { createDataTable, startDynalite, type Emulator } from '../support/emulators';
import { lambdaContext } from '../factories/kinesis';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const ROOT = resolve(__dirname, '../..');
const event = (name: string) => JSON.parse(readFileSync(resolve(ROOT, 'events', name), 'utf8')) as HotspotsEvent;

describe('the sample events for `sls invoke local -f hotspots`, with the repository detectors.yml', () => {
  let db: Emulator;
  let client: DynamoDBDocumentClient;
  let tableName: string;
  let rejects: MemoryRejectsSink;
  let invoke: (e: HotspotsEvent) => Promise<HotspotsResponse>;

  beforeEach(async () => {
    db = await startDynalite();
    tableName = await createDataTable(db.endpoint);
    client = dynamoDocumentClient({ endpoint: db.endpoint });
    rejects = new MemoryRejectsSink();
    const detectors = loadDetectorsFile(resolve(ROOT, 'detectors.yml'));
    const h = createHotspotsHandler({
      detectors,
      documentClient: client,
      tableName,
      rejects,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'Test' }),
    });
    invoke = (e) => h(e, lambdaContext('stream-sentinel-test-hotspots')) as Promise<HotspotsResponse>;
  });
  afterEach(async () => {
    client.destroy();
    await db.close();
  });
  const items = async () => (await client.send(new ScanCommand({ TableName: tableName }))).Items ?? [];

  it('hotspots-kinesis.json: a partial invoke buffers its 200 player moves in the state', async () => {
    const res = await invoke(event('hotspots-kinesis.json'));
    expect((res.state as { d: Record<string, { p: number[] }> }).d.players!.p).toHaveLength(400);
    expect(await items()).toEqual([]);
  });

  it('hotspots-final.json: a final invoke writes the window with the players crowding at Times Square, marked for an alert', async () => {
    await invoke(event('hotspots-final.json'));
    const item = (await items()).find((i) => i.pk === 'H#players')!;
    expect(item).toMatchObject({ sk: '2026-11-22T10:00:00.000Z', count: 200, threshold: 50, pendingAlert: 'players' });
    const [top] = item.hotspots as Array<{ density: number; centroid: number[]; count: number }>;
    expect(top!.density).toBeGreaterThan(50);
    expect(top!.centroid[0]).toBeCloseTo(40.758, 3);
    expect(top!.centroid[1]).toBeCloseTo(-73.9855, 3);
  });

  it('hotspots-rejects.json: keeps the two moves it cannot use as rejects of the players detector', async () => {
    await invoke(event('hotspots-rejects.json'));
    expect(rejects.all.map((r) => [r.detector, r.reason])).toEqual([
      ['players', 'field latitude is not a finite number: "north"'],
      ['players', 'missing field longitude'],
    ]);
  });
});
