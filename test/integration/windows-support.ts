import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { dynamoDocumentClient } from '../../shared/aws/clients';
import { parseDetectors, type Detector } from '../../shared/detectors';
import { MemoryRejectsSink } from '../../shared/rejects';
import { ModelCache } from '../../shared/windows';
import { createWindowsHandler, type WindowsEvent, type WindowsResponse } from '../../functions/windows/handler';
import { createDataTable, startDynalite, type Emulator } from '../support/emulators';
import { lambdaContext } from '../factories/kinesis';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

export interface Harness {
  db: Emulator;
  client: DynamoDBDocumentClient;
  tableName: string;
  rejects: MemoryRejectsSink;
  cache: ModelCache;
  detectors: Detector[];
  invoke(event: WindowsEvent): Promise<WindowsResponse>;
  /** A handler as a cold container would be (its own empty forest cache). */
  coldInvoke(event: WindowsEvent): Promise<WindowsResponse>;
  items(): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export async function startHarness(detectorsYaml: string, now = () => Date.parse('2026-01-01T00:00:00Z')): Promise<Harness> {
  const db = await startDynalite();
  const tableName = await createDataTable(db.endpoint);
  const client = dynamoDocumentClient({ endpoint: db.endpoint });
  const detectors = parseDetectors(detectorsYaml, 'test detectors');
  const rejects = new MemoryRejectsSink(now);
  const cache = new ModelCache(64);
  const deps = { detectors, documentClient: client, tableName, retentionDays: 7, rejects, now, logger: new Logger({ logLevel: 'SILENT' }), metrics: new Metrics({ namespace: 'Test' }) };
  const warm = createWindowsHandler({ ...deps, cache });
  return {
    db,
    client,
    tableName,
    rejects,
    cache,
    detectors,
    invoke: (event) => warm(event, lambdaContext()) as Promise<WindowsResponse>,
    coldInvoke: (event) => createWindowsHandler({ ...deps, cache: new ModelCache(64) })(event, lambdaContext()) as Promise<WindowsResponse>,
    items: async () => {
      const out: Array<Record<string, unknown>> = [];
      let start: Record<string, unknown> | undefined;
      do {
        const res = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
        out.push(...(res.Items ?? []));
        start = res.LastEvaluatedKey;
      } while (start);
      return out.sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
    },
    close: async () => {
      client.destroy();
      await db.close();
    },
  };
}
