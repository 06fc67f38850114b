import { parseDetectors, type RcfDetector, type RecordsDetector } from '../../../shared/detectors';
import { defaultColumns, explanationText, formatRow, recordRow, windowRow, type ResultRow } from '../../../shared/outputs';

const DEFAULTS = { windowSeconds: 10, threshold: 2 };
const rcf = (extra = ''): RcfDetector =>
  parseDetectors(
    `detectors:\n  - name: toll\n    format: csv\n    csv: { columns: [date, station_id, plate] }\n    key: station_id\n    aggregates: [{ name: vehicle_count, fn: count }]\n${extra}`,
    'test',
    DEFAULTS,
  )[0] as RcfDetector;
const records = (extra = ''): RecordsDetector =>
  parseDetectors(`detectors:\n  - name: tx\n    kind: records\n    format: json\n    features: [amount]\n${extra}`, 'test', DEFAULTS, {
    schemaOnly: true,
  })[0] as RecordsDetector;

const T = Date.parse('2026-03-01T12:00:00Z');
const window = (d: RcfDetector, score: number, attribution?: Parameters<typeof windowRow>[1]['attribution']) =>
  windowRow(d, {
    key: 'Exit79',
    startMs: T,
    endMs: T + 10_000,
    aggregates: { vehicle_count: 42 },
    score,
    ...(attribution ? { attribution } : {}),
  });

describe('KDA-shaped result records', () => {
  it("writes a window as the workshop's ANOMALY_SCORE_SQL_STREAM row, columns spelt as the consumer reads them", () => {
    const d = rcf();
    const cols = [
      { name: 'station_id', from: 'station_id' },
      { name: 'vehicle_count', from: 'vehicle_count' },
      { name: 'anomaly_score', from: 'ANOMALY_SCORE' },
    ];
    expect(formatRow(window(d, 2.75), cols, 'json')).toBe('{"station_id":"Exit79","vehicle_count":42,"anomaly_score":2.75}');
    expect(formatRow(window(d, 2.75), cols, 'csv')).toBe('Exit79,42,2.75');
  });

  it("defaults to KDA's columns: the key and aggregates, then ANOMALY_SCORE (and the explanation with explain)", () => {
    expect(defaultColumns(rcf()).map((c) => c.name)).toEqual(['station_id', 'vehicle_count', 'ANOMALY_SCORE']);
    const explained = rcf('    explain: true\n');
    expect(defaultColumns(explained).map((c) => c.name)).toEqual([
      'station_id',
      'vehicle_count',
      'ANOMALY_SCORE',
      'ANOMALY_SCORE_EXPLANATION',
    ]);
    const row = window(explained, 3, [{ column: 'vehicle_count', score: 3, direction: 'HIGH' }]);
    expect(JSON.parse(formatRow(row, defaultColumns(explained), 'json'))).toEqual({
      station_id: 'Exit79',
      vehicle_count: 42,
      ANOMALY_SCORE: 3,
      ANOMALY_SCORE_EXPLANATION: '{"vehicle_count":{"ATTRIBUTION_SCORE":3,"DIRECTION":"HIGH"}}',
    });
  });

  it('writes a record with its own fields in their order, renamed and nested columns, and null for a missing value', () => {
    const d = records();
    const row = recordRow(d, { merchant: { id: 'm-1' }, amount: 12.5, note: 'a "b", c' }, 1.25, undefined, 'm-1');
    expect(defaultColumns(d, row).map((c) => c.name)).toEqual(['merchant', 'amount', 'note', 'ANOMALY_SCORE']);
    const cols = [
      { name: 'merchant', from: 'merchant.id' },
      { name: 'amount', from: 'amount' },
      { name: 'missing', from: 'nowhere' },
      { name: 'score', from: 'ANOMALY_SCORE' },
    ];
    expect(formatRow(row, cols, 'json')).toBe('{"merchant":"m-1","amount":12.5,"missing":null,"score":1.25}');
    // CSV: RFC 4180 quoting, an absent value empty.
    expect(formatRow(row, [...cols, { name: 'note', from: 'note' }], 'csv')).toBe('m-1,12.5,,1.25,"a ""b"", c"');
  });

  it('spells the explanation as RANDOM_CUT_FOREST_WITH_EXPLANATION did: per column ATTRIBUTION_SCORE and DIRECTION', () => {
    expect(
      JSON.parse(
        explanationText([
          { column: 'a', score: 0.5, direction: 'LOW' },
          { column: 'b', score: 1.5, direction: 'HIGH' },
        ]),
      ),
    ).toEqual({ a: { ATTRIBUTION_SCORE: 0.5, DIRECTION: 'LOW' }, b: { ATTRIBUTION_SCORE: 1.5, DIRECTION: 'HIGH' } });
  });

  it('keeps a row partitioned by its key, so one key stays in order on one shard', () => {
    const row: ResultRow = window(rcf(), 1);
    expect(row.partitionKey).toBe('Exit79');
    expect(row.values).toMatchObject({ windowStart: '2026-03-01T12:00:00.000Z', windowEnd: '2026-03-01T12:00:10.000Z' });
  });
});
