import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { loadKdaScores, loadNabSeries, pearson } from '../support/nab';
import { windowEvent } from '../factories/kinesis';
import { startHarness, type Harness } from './windows-support';

// KDA's RANDOM_CUT_FOREST defaults on 30-minute windows holding one NAB value each: the window's sum of
// `value` is the only feature, exactly the series KDA scored.
const NAB = `
detectors:
  - name: nyc-taxi
    format: csv
    csv: { columns: [series, timestamp, value] }
    key: series
    time: { field: timestamp, format: iso }
    windowSeconds: 1800
    aggregates: [sum(value)]
    rcf: { numberOfTrees: 100, subSampleSize: 256, timeDecay: 100000, shingleSize: 1 }
    threshold: 3
`;

const SERIES = 'realKnownCause/nyc_taxi.csv';

describe('NAB replay through the windows function', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(NAB);
  });
  afterAll(async () => {
    await h.close();
  });

  it("stores scores that follow KDA's RANDOM_CUT_FOREST on nyc_taxi (Pearson ≥ 0.95)", async () => {
    const series = loadNabSeries(SERIES);
    const kda = loadKdaScores(SERIES);
    const lines = series.timestamps.map((t, i) => `nyc_taxi,${t},${series.values[i]}`);
    // Replayed as fast as the stream takes it: a few Lambda windows of arrival time, each with several batches.
    const perWindow = 2600;
    const batch = 1300;
    const arrival0 = Date.parse('2026-02-01T00:00:00Z');
    for (let w = 0; w * perWindow < lines.length; w++) {
      const chunk = lines.slice(w * perWindow, (w + 1) * perWindow);
      let state: Record<string, unknown> = {};
      for (let b = 0; b < chunk.length; b += batch) {
        const res = await h.invoke(windowEvent({ windowStart: arrival0 + w * 10_000, state, records: chunk.slice(b, b + batch) }));
        state = res.state;
      }
      await h.invoke(windowEvent({ windowStart: arrival0 + w * 10_000, state, final: true }));
    }
    const items: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await h.client.send(
        new QueryCommand({ TableName: h.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'W#nyc-taxi#nyc_taxi' }, ExclusiveStartKey: start }),
      );
      items.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    expect(items).toHaveLength(series.values.length);
    expect(items.map((i) => (i.aggregates as { sum_value: number }).sum_value)).toEqual(series.values);
    expect(items.every((i) => i.scored === true && i.late === false)).toBe(true);
    const ours = items.map((i) => i.score as number);
    // Scores are 0 during the forest's 256-record warm-up, as KDA's were; compare after it.
    const r = pearson(ours.slice(256), kda.scores.slice(256));
    console.info(`nyc_taxi through the windows function: Pearson ${r.toFixed(4)} against KDA over ${ours.length - 256} windows`);
    expect(r).toBeGreaterThanOrEqual(0.95);
    const model = (await h.items()).find((i) => i.pk === 'M#nyc-taxi#nyc_taxi')!;
    expect(model.lastWindow).toBe(new Date(`${series.timestamps.at(-1)!.replace(' ', 'T')}Z`).toISOString());
  });
});
