import { Logger } from '@aws-lambda-powertools/logger';
import { dynamoDocumentClient } from '../shared/aws/dynamodb';
import { parseDetectors, type Detector } from '../shared/detectors';
import { MemoryRejectsSink } from '../shared/rejects';
import { ModelCache, type ModelStore, type StoredModel } from '../shared/windows';
import { ForestCache, PerRecordProcessor } from '../shared/per-record/processor';
import type { RecordAnomaly, RecordResultStore, RecordSummary } from '../shared/per-record/ports';
import { createWindowsProcessor } from '../functions/windows/handler';
import { createDataTable, startDynalite } from '../test/support/emulators';
import { windowEvent } from '../test/factories/kinesis';
import type { BenchReport } from './types';

/**
 * Per-record detectors (issue 15 item 1) at the shipped forest size, RCF(50, 64): records/s through the windows
 * function's invoke (500-record batches, as its event source sends them; forests cached, as in a warm container;
 * dynalite for the table), records/s of the scoring service alone, and DynamoDB write units per record at 1,000
 * records/s per shard and 10 s windows — forests saved once per window, one summary per forest and window, records at
 * or above storeAbove — for one forest per shard and for 100 keys.
 */

const RCF = '{ numberOfTrees: 50, subSampleSize: 64, timeDecay: 100000 }';
const detectorsYaml = (key: boolean) => `
detectors:
  - name: fares
    kind: records
    format: json
    ${key ? 'key: zone' : ''}
    features: [fare]
    rcf: ${RCF}
    threshold: 3
    storeAbove: 3
`;
const T0 = Date.parse('2026-03-01T12:00:00Z');
const WINDOW_RECORDS = 10_000; // 1,000 records/s per shard, 10 s windows

/** Fares around 20 with a rare outlier, `keys` zones. */
function records(n: number, keys: number, seed: number): string[] {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({ zone: `z${i % keys}`, fare: random() < 0.001 ? 400 : Math.round((15 + random() * 10) * 100) / 100 }),
  );
}

/** In-memory ports that count write units as DynamoDB would bill the items (1 KB steps). */
class CountingPorts implements ModelStore, RecordResultStore {
  readonly models = new Map<string, StoredModel>();
  writeUnits = { forests: 0, stored: 0, summaries: 0 };
  forestBytes = 0;
  async loadMany(keys: ReadonlyArray<{ detector: string; key: string }>) {
    const out = new Map<string, StoredModel>();
    for (const k of keys) {
      const m = this.models.get(`${k.detector}\u0000${k.key}`);
      if (m) out.set(`${k.detector}\u0000${k.key}`, m);
    }
    return out;
  }
  async save(model: StoredModel): Promise<void> {
    this.models.set(`${model.detector}\u0000${model.key}`, model);
    // The item: the forest's bytes plus ~200 bytes of keys and attributes.
    this.forestBytes = model.state.byteLength;
    this.writeUnits.forests += Math.ceil((model.state.byteLength + 200) / 1024);
  }
  async putAnomalies(items: readonly RecordAnomaly[]) {
    this.writeUnits.stored += items.length;
  }
  async putSummaries(items: readonly RecordSummary[]) {
    this.writeUnits.summaries += items.length;
  }
}

/** The scoring service alone over `windows` windows of 10,000 records: records/s and write units per record. */
async function service(keys: number, windows: number) {
  const detectors = parseDetectors(detectorsYaml(keys > 1), 'bench') as Detector[];
  const ports = new CountingPorts();
  const p = new PerRecordProcessor({ detectors, forests: ports, results: ports, cache: new ForestCache(1000) });
  let elapsed = 0;
  let windowEnds = 0;
  let total = 0;
  for (let w = 0; w < windows; w++) {
    const texts = records(WINDOW_RECORDS, keys, w + 1);
    const input = texts.map((t, i) => ({
      data: Buffer.from(t).toString('base64'),
      sequenceNumber: String(w * WINDOW_RECORDS + i),
      partitionKey: 'p',
      arrivalMs: T0 + w * 10_000 + i,
    }));
    let carried = {};
    for (let b = 0; b < input.length; b += 500) {
      const began = performance.now();
      const out = await p.process({
        records: input.slice(b, b + 500),
        shardId: 'shardId-000000000000',
        final: b + 500 >= input.length,
        lambdaWindow: { startMs: T0 + w * 10_000, endMs: T0 + (w + 1) * 10_000 },
        carried,
      });
      // The first window warms the forests up and the JIT: measured from the second.
      if (w > 0) elapsed += performance.now() - began;
      if (w > 0 && b + 500 >= input.length) windowEnds += performance.now() - began;
      carried = out.carried;
    }
    if (w > 0) total += WINDOW_RECORDS;
  }
  const wu = ports.writeUnits;
  const all = windows * WINDOW_RECORDS;
  return {
    recordsPerSecond: Math.round((total * 1000) / elapsed),
    /** The window's last invoke also serialises and saves every forest: its extra time per window. */
    windowEndMs: Math.round(windowEnds / (windows - 1)),
    wuPerRecord: (wu.forests + wu.stored + wu.summaries) / all,
    forestWuPerRecord: wu.forests / all,
    forestBytes: ports.forestBytes,
    stored: wu.stored,
  };
}

/** Records/s through the windows function's invoke (500-record batches; dynalite). */
async function throughInvoke(): Promise<number> {
  const db = await startDynalite();
  try {
    const tableName = await createDataTable(db.endpoint);
    const client = dynamoDocumentClient({ endpoint: db.endpoint });
    const invoke = createWindowsProcessor({
      detectors: parseDetectors(detectorsYaml(false), 'bench'),
      documentClient: client,
      tableName,
      rejects: new MemoryRejectsSink(),
      logger: new Logger({ logLevel: 'SILENT' }),
      cache: new ModelCache(16),
    });
    let elapsed = 0;
    let measured = 0;
    for (let w = 0; w < 3; w++) {
      const start = T0 + w * 10_000;
      const texts = records(WINDOW_RECORDS, 1, 100 + w);
      let state: Record<string, unknown> = {};
      for (let b = 0; b < texts.length; b += 500) {
        const final = b + 500 >= texts.length;
        const event = windowEvent({ windowStart: start, state, final, records: texts.slice(b, b + 500) });
        const began = performance.now();
        const response = await invoke(event);
        // Non-final invokes only: the window's end adds the forest save, a different cost (write units, below).
        if (w > 0 && !final) {
          elapsed += performance.now() - began;
          measured += 500;
        }
        state = response.state;
      }
    }
    client.destroy();
    return Math.round((measured * 1000) / elapsed);
  } finally {
    await db.close();
  }
}

export default async function bench(): Promise<BenchReport> {
  const shard = await service(1, 4);
  const keyed = await service(100, 4);
  const invoke = await throughInvoke();
  return {
    name: 'per-record detectors (kind: records), RCF(50, 64)',
    figures: {
      'records/s through a windows invoke (500-record batches, warm)': invoke,
      'records/s, scoring service alone (one forest per shard)': shard.recordsPerSecond,
      'records/s, scoring service alone (100 keys)': keyed.recordsPerSecond,
      'ms per window in its last invoke (500 records + saving the forests), one forest per shard': shard.windowEndMs,
      'ms per window in its last invoke (500 records + saving 100 forests)': keyed.windowEndMs,
      'forest item bytes (one forest)': shard.forestBytes,
      'write units/record at 1,000 records/s, 10 s windows, one forest per shard': shard.wuPerRecord.toFixed(4),
      'write units/record, 100 keys': keyed.wuPerRecord.toFixed(4),
      'of which forest saves, 100 keys': keyed.forestWuPerRecord.toFixed(4),
      'records stored (≥ storeAbove 3) of 40,000, one forest per shard': shard.stored,
    },
    targets: [{ name: 'records/s per invoke at RCF(50, 64)', value: invoke, target: '≥ 20000', met: invoke >= 20_000 }],
  };
}
