import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '../../shared/aws/clients';
import { readReplayFile } from '../../shared/producers/replay';
import { learn } from '../../cli/commands/learn';
import { createDataTable, startDynalite, type Emulator } from '../support/emulators';

/**
 * `stream-sentinel learn` (issue 16 warm start): an NDJSON archive read as `replay` reads it, learned into the table
 * for the event-time detectors of a detectors file — models with grade state, nothing else — and the detectors
 * without `time` named as not learnable.
 */

const START = Date.parse('2026-03-01T00:00:00Z');
let db: Emulator;
let client: DynamoDBDocumentClient;
let dir: string;
beforeAll(async () => {
  db = await startDynalite();
  client = dynamoDocumentClient({ endpoint: db.endpoint });
  dir = mkdtempSync(join(tmpdir(), 'learn-'));
});
afterAll(async () => {
  client.destroy();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

it('learns an archive into models with grade state, writes no window item, and names the detectors it cannot learn', async () => {
  const detectorsFile = join(dir, 'detectors.yml');
  writeFileSync(
    detectorsFile,
    `detectors:
  - { name: clicks, format: json, key: url, time: { field: timestamp, format: auto }, windowSeconds: 10, rcf: { numberOfTrees: 10, subSampleSize: 16 } }
  - { name: by-arrival, format: json, key: url, windowSeconds: 10 }
`,
  );
  const archive = join(dir, 'clicks.ndjson');
  const lines: string[] = [];
  for (let w = 0; w < 60; w++) {
    for (let i = 0; i < 3 + (w % 4); i++)
      lines.push(JSON.stringify({ url: w % 2 ? 'a' : 'b', timestamp: new Date(START + w * 10_000 + i).toISOString() }));
  }
  writeFileSync(archive, `${lines.join('\n')}\n`);
  const tableName = await createDataTable(db.endpoint);
  const run = await learn(readReplayFile(archive), { detectorsFile, client, tableName, now: START + 3_600_000 });
  expect(run.records).toBe(lines.length);
  expect(run.skippedDetectors).toEqual(['by-arrival']);
  expect(run.stats).toMatchObject({ keys: 2, modelsSaved: 2, rejects: 0 });
  const items = (await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [];
  expect(items.map((i) => `${i.type} ${i.detector} ${i.key}`).sort()).toEqual(['model clicks a', 'model clicks b']);
  for (const m of items) expect(JSON.parse(m.grade as string)).toMatchObject({ e: [expect.any(Number)] });
}, 120_000);
