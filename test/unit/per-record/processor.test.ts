import { parseDetectors, type Detector } from '../../../shared/detectors';
import { RandomCutForest } from '../../../shared/rcf';
import { ModelConflictError, modelId, type ModelStore, type StoredModel } from '../../../shared/windows/ports';
import { ForestCache, PerRecordProcessor, seedFor, type SummaryState } from '../../../shared/per-record/processor';
import type { RecordAnomaly, RecordResultStore, RecordSummary } from '../../../shared/per-record/ports';
import { Outputs, type OutputRecord } from '../../../shared/outputs';

const yaml = (extra = '') => `
detectors:
  - name: fares
    kind: records
    format: json
    features: [fare]
    rcf: { numberOfTrees: 10, subSampleSize: 16, timeDecay: 1000 }
    threshold: 2
${extra}
`;

class MemoryPorts implements ModelStore, RecordResultStore {
  readonly models = new Map<string, StoredModel>();
  readonly anomalies: RecordAnomaly[] = [];
  readonly summaries: RecordSummary[] = [];
  conflict = false;
  async loadMany(keys: ReadonlyArray<{ detector: string; key: string }>) {
    const out = new Map<string, StoredModel>();
    for (const k of keys) {
      const m = this.models.get(modelId(k.detector, k.key));
      if (m) out.set(modelId(k.detector, k.key), m);
    }
    return out;
  }
  async save(model: StoredModel, expected: number | undefined) {
    const id = modelId(model.detector, model.key);
    if (this.conflict || this.models.get(id)?.version !== expected) throw new ModelConflictError(model.detector, model.key);
    this.models.set(id, model);
  }
  async putAnomalies(items: readonly RecordAnomaly[]) {
    this.anomalies.push(...items);
  }
  async putSummaries(items: readonly RecordSummary[]) {
    this.summaries.push(...items);
  }
}

const T0 = Date.parse('2026-03-01T12:00:00Z');
const input = (objects: object[], from = 0) =>
  objects.map((o, i) => ({
    data: Buffer.from(JSON.stringify(o)).toString('base64'),
    sequenceNumber: String(from + i),
    partitionKey: 'p',
    arrivalMs: T0 + from + i,
  }));
const fares = (n: number, outlierAt = -1) =>
  Array.from({ length: n }, (_, i) => ({ zone: i % 2 ? 'b' : 'a', fare: i === outlierAt ? 500 : 20 + (i % 7) }));

function processor(detectors: Detector[], ports: MemoryPorts, outputs?: Outputs, maxCarried?: number) {
  const p = new PerRecordProcessor({
    detectors,
    forests: ports,
    results: ports,
    cache: new ForestCache(10),
    ...(maxCarried !== undefined ? { maxCarried } : {}),
  });
  return async (objects: object[], final: boolean, carried: SummaryState = {}, from = 0) => {
    const emission = outputs?.emission();
    const out = await p.process({
      records: input(objects, from),
      shardId: 'shard-1',
      final,
      lambdaWindow: { startMs: T0, endMs: T0 + 10_000 },
      carried,
      ...(emission ? { emission } : {}),
    });
    if (emission) await emission.flush();
    return out;
  };
}

describe('per-record scoring service', () => {
  it('scores each record as a forest seeded for its detector and key would: score, then learn, zeros during warm-up', async () => {
    const ports = new MemoryPorts();
    const sent: OutputRecord[] = [];
    const detectors = parseDetectors(yaml('    outputs: [{ kinesis: scores, columns: [fare, ANOMALY_SCORE] }]'), 't');
    const outputs = new Outputs(
      detectors.flatMap((d) => (d.kind === 'hotspots' ? [] : [d])),
      () => ({ put: async (r) => void sent.push(...r) }),
    );
    const run = processor(detectors, ports, outputs);
    const records = fares(60, 50);
    await run(records, true);
    const reference = new RandomCutForest({
      numberOfTrees: 10,
      subSampleSize: 16,
      timeDecay: 1000,
      shingleSize: 1,
      dimensions: 1,
      seed: seedFor('fares', 'shard:shard-1'),
    });
    const expected = records.map((r) => reference.process([r.fare]).score);
    const got = sent.map((r) => JSON.parse(new TextDecoder().decode(r.data)).ANOMALY_SCORE as number);
    expect(got).toEqual(expected);
    expect(got.slice(0, 16)).toEqual(Array(16).fill(0));
    // Stored: what reached the threshold (storeAbove absent), the outlier among them.
    expect(ports.anomalies.map((a) => a.score)).toEqual(expected.filter((x) => x >= 2));
    expect(ports.anomalies.find((a) => a.features.fare === 500)).toMatchObject({ forestKey: 'shard:shard-1', sequenceNumber: '50' });
  });

  it('keeps one forest per key, each learning only its own records in order, and carries summaries to the window end', async () => {
    const ports = new MemoryPorts();
    const run = processor(parseDetectors(yaml('    key: zone'), 't'), ports);
    const first = await run(fares(40), false);
    expect(ports.models.size).toBe(0);
    expect(Object.keys(first.carried).sort()).toEqual([modelId('fares', 'a'), modelId('fares', 'b')]);
    await run(fares(40), true, first.carried, 40);
    expect([...ports.models.keys()].sort()).toEqual([modelId('fares', 'a'), modelId('fares', 'b')]);
    expect(RandomCutForest.fromBytes(ports.models.get(modelId('fares', 'a'))!.state).records).toBe(40);
    expect(ports.summaries.map((s) => [s.forestKey, s.records, s.scored])).toEqual([
      ['a', 40, 24],
      ['b', 40, 24],
    ]);
  });

  it('resumes a forest from its save, and starts afresh when the detector’s parameters changed', async () => {
    const ports = new MemoryPorts();
    await processor(parseDetectors(yaml(), 't'), ports)(fares(30), true);
    const saved = ports.models.get(modelId('fares', 'shard:shard-1'))!;
    expect(saved.version).toBe(1);
    await processor(parseDetectors(yaml(), 't'), ports)(fares(10), true, {}, 30);
    expect(RandomCutForest.fromBytes(ports.models.get(modelId('fares', 'shard:shard-1'))!.state).records).toBe(40);
    await processor(parseDetectors(yaml().replace('numberOfTrees: 10', 'numberOfTrees: 12'), 't'), ports)(fares(5), true, {}, 40);
    const reset = ports.models.get(modelId('fares', 'shard:shard-1'))!;
    expect([reset.version, reset.params.numberOfTrees, RandomCutForest.fromBytes(reset.state).records]).toEqual([3, 12, 5]);
  });

  it('leaves a forest another container saved first to it (no failure), and says so in the stats', async () => {
    const ports = new MemoryPorts();
    ports.conflict = true;
    const out = await processor(parseDetectors(yaml(), 't'), ports)(fares(20), true);
    expect(out.stats).toMatchObject({ records: 20, forestsSaved: 0, forestConflicts: 1 });
    expect(ports.summaries).toHaveLength(1);
  });

  it('takes only its own records: another detector’s are neither scored nor rejected, a non-number feature is rejected', async () => {
    const ports = new MemoryPorts();
    const detectors = parseDetectors(`${yaml()}  - { name: trips, format: json, key: trip }\n`, 't');
    const out = await processor(detectors, ports)([{ trip: 't1' }, { fare: 'n/a' }, { fare: 12 }], false);
    expect(out.stats.records).toBe(1);
    expect(out.rejects.map((r) => r.reason)).toEqual(['field fare is not a finite number: "n/a"']);
  });

  it('writes the summaries early, as a part named by the invoke, when more forests than the state may carry', async () => {
    const ports = new MemoryPorts();
    const run = processor(parseDetectors(yaml('    key: zone'), 't'), ports, undefined, 1);
    const first = await run(fares(10), false);
    expect(first.carried).toEqual({});
    expect(ports.summaries.map((s) => [s.forestKey, s.part, s.records])).toEqual([
      ['a', '0', 5],
      ['b', '0', 5],
    ]);
    await run(fares(4), true, first.carried, 10);
    expect(ports.summaries.slice(2).map((s) => [s.forestKey, s.part, s.records])).toEqual([
      ['a', undefined, 2],
      ['b', undefined, 2],
    ]);
  });
});
