import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { load } from 'js-yaml';
import { importSql, type ImportOptions } from '../../../cli/commands/import-sql';
import { SCHEMA_ONLY, loadDetectorsFile, parseDetectors, type Detector, type SchemaOnlySetting } from '../../../shared/detectors';

const FIXTURES = resolve(__dirname, '../../fixtures/sql');

/**
 * The result line of a detector using these settings: the ones the functions still lack are named (support.ts
 * lists them, and shrinks as their runtime lands), else the detector is deployable.
 */
const result = (name: string, settings: string[]): string => {
  const pending = settings.filter((x): x is SchemaOnlySetting => x in SCHEMA_ONLY);
  return pending.length
    ? `result: ${name} uses ${pending.join(', ')}, which the deployed functions do not run yet: \`detectors validate\` refuses it until they do`
    : `result: ${name} is valid and deployable`;
};

/** Runs the importer on a fixture; returns the detectors as written in the YAML and the report lines. */
function translateFixture(file: string, options: ImportOptions) {
  const path = resolve(FIXTURES, file);
  const result = importSql(readFileSync(path, 'utf8'), path, options);
  return { detectors: (load(result.yaml) as { detectors: unknown[] }).detectors, lines: result.lines, yaml: result.yaml };
}

describe('import-sql on KDA applications', () => {
  it("seed 001: the workshop SQL becomes the toll detector at KDA's own settings, by arrival time", () => {
    const { detectors, lines } = translateFixture('workshop-toll.sql', { threshold: 2.5, csvColumns: ['date', 'station_id', 'plate'] });
    expect(detectors).toEqual([
      {
        name: 'anomaly-score-sql-stream',
        format: 'csv',
        csv: {
          columns: ['date', 'station_id', 'plate'],
        },
        windowSeconds: 10,
        key: 'station_id',
        aggregates: [
          {
            name: 'vehicle_count',
            fn: 'count',
          },
        ],
        rcf: {
          numberOfTrees: 1,
          subSampleSize: 10,
          timeDecay: 10,
          shingleSize: 2,
        },
        threshold: 2.5,
        alertOn: 'score',
      },
    ]);
    expect(lines).toEqual([
      'line 1, CREATE STREAM "VEHICLES_PER_STATION_STREAM": translated — the windows of detector anomaly-score-sql-stream (station_id, vehicle_count)',
      'line 3, CREATE PUMP "VEHICLES_PER_STATION_STREAM_PUMP": translated — window aggregate: key station_id, 10 s tumbling windows on arrival time (ROWTIME), aggregates vehicle_count',
      'line 8, CREATE STREAM "ANOMALY_SCORE_SQL_STREAM": translated — the scored results of detector anomaly-score-sql-stream (station_id, vehicle_count, anomaly_score)',
      'line 14, CREATE PUMP "ANOMALY_SCORE_STREAM_PUMP": approximated — RANDOM_CUT_FOREST over the window stream → rcf detector: features vehicle_count ("station_id" not numeric: KDA\'s forest ignored it too); KDA scored every station_id with one forest; stream-sentinel keeps one forest per station_id (scores differ from KDA\'s: each key is compared with its own history); shingle 2: KDA shingled consecutive rows of all keys together; here consecutive windows of one key',
      'note: input schema: csv, columns date, station_id, plate',
      'note: anomaly-score-sql-stream: threshold 2.5 (from --threshold), alertOn: score so the migrated number keeps its meaning; alerts fire at score ≥ threshold',
      result('anomaly-score-sql-stream', []),
    ]);
  });

  it('seed 001 as a CloudFormation JSON template: CSV schema from RecordColumns, the AnomalyStream output with the columns SendNotification reads', () => {
    const { detectors, lines } = translateFixture('workshop-toll.json', { threshold: 2.5, name: 'toll-stations' });
    expect(detectors).toEqual([
      {
        name: 'toll-stations',
        format: 'csv',
        csv: {
          columns: ['date', 'station_id', 'plate'],
        },
        windowSeconds: 10,
        key: 'station_id',
        aggregates: [
          {
            name: 'vehicle_count',
            fn: 'count',
          },
        ],
        rcf: {
          numberOfTrees: 1,
          subSampleSize: 10,
          timeDecay: 10,
          shingleSize: 2,
        },
        threshold: 2.5,
        alertOn: 'score',
        outputs: [
          {
            kinesis: 'AnomalyStream',
            format: 'json',
            columns: ['station_id', 'vehicle_count', 'anomaly_score'],
          },
        ],
      },
    ]);
    expect(lines).toEqual([
      'line 1, CREATE STREAM "VEHICLES_PER_STATION_STREAM": translated — the windows of detector toll-stations (station_id, vehicle_count)',
      'line 2, CREATE PUMP "VEHICLES_PER_STATION_STREAM_PUMP": translated — window aggregate: key station_id, 10 s tumbling windows on arrival time (ROWTIME), aggregates vehicle_count',
      'line 6, CREATE STREAM "ANOMALY_SCORE_SQL_STREAM": translated — the scored results of detector toll-stations (station_id, vehicle_count, anomaly_score)',
      'line 7, CREATE PUMP "ANOMALY_SCORE_STREAM_PUMP": approximated — RANDOM_CUT_FOREST over the window stream → rcf detector: features vehicle_count ("station_id" not numeric: KDA\'s forest ignored it too); KDA scored every station_id with one forest; stream-sentinel keeps one forest per station_id (scores differ from KDA\'s: each key is compared with its own history); shingle 2: KDA shingled consecutive rows of all keys together; here consecutive windows of one key',
      'note: destination ANOMALY_SCORE_SQL_STREAM → outputs: kinesis AnomalyStream (json), columns station_id, vehicle_count, anomaly_score as KDA wrote them',
      'note: input schema: csv, columns date, station_id, plate',
      'note: toll-stations: threshold 2.5 (from --threshold), alertOn: score so the migrated number keeps its meaning; alerts fire at score ≥ threshold',
      result('toll-stations', ['outputs']),
    ]);
  });

  it('a filter pump, conditional counts, a ratio, COUNT(DISTINCT), FLOOR windows and the threshold from WHERE ANOMALY_SCORE > 3', () => {
    const { detectors, lines } = translateFixture('clickstream-ctr.sql', {});
    expect(detectors).toEqual([
      {
        name: 'destination-sql-stream',
        format: 'json',
        match: {
          event_type: ['click', 'impression'],
        },
        windowSeconds: 10,
        key: 'page',
        aggregates: [
          {
            name: 'clicks',
            fn: 'count',
            where: {
              event_type: 'click',
            },
          },
          {
            name: 'impressions',
            fn: 'count',
            where: {
              event_type: 'impression',
            },
          },
          {
            name: 'ctr',
            ratio: ['clicks', 'impressions'],
          },
          {
            name: 'visitors',
            fn: 'count_distinct',
            field: 'user_id',
          },
        ],
        features: ['ctr', 'visitors'],
        rcf: {
          numberOfTrees: 50,
          subSampleSize: 64,
          timeDecay: 1000,
          shingleSize: 1,
        },
        threshold: 3,
        alertOn: 'score',
      },
    ]);
    expect(lines).toEqual([
      'line 3, CREATE STREAM "EVENTS_STREAM": translated — a view (page, event_type, user_id): folded into the detectors reading it',
      'line 4, CREATE PUMP "EVENTS_PUMP": translated — in-application stream EVENTS_STREAM is a view of SOURCE_SQL_STREAM_001: folded into the detectors that read it; WHERE → match {"event_type":["click","impression"]}',
      'line 9, CREATE STREAM "CTR_STREAM": translated — the windows of detector destination-sql-stream (page, clicks, impressions, ctr, visitors)',
      'line 10, CREATE PUMP "CTR_PUMP": approximated — window aggregate: key page, 10 s tumbling windows on arrival time (ROWTIME), aggregates clicks, impressions, ctr, visitors; ctr = clicks / impressions → ratio: [clicks, impressions]; COUNT(DISTINCT "user_id") → count_distinct(user_id), an approximate count (HyperLogLog-style, bounded memory) instead of KDA\'s exact one',
      'line 19, CREATE STREAM "CTR_SCORES": translated — the scored results of detector destination-sql-stream (page, ctr, visitors, ANOMALY_SCORE)',
      'line 20, CREATE PUMP "SCORE_PUMP": approximated — RANDOM_CUT_FOREST over the window stream → rcf detector: features ctr, visitors ("page" not numeric: KDA\'s forest ignored it too); KDA scored every page with one forest; stream-sentinel keeps one forest per page (scores differ from KDA\'s: each key is compared with its own history)',
      'line 24, CREATE STREAM "DESTINATION_SQL_STREAM": translated — the scored results of detector destination-sql-stream (page, ctr, visitors, ANOMALY_SCORE)',
      'line 25, CREATE PUMP "ALERT_PUMP": approximated — WHERE ANOMALY_SCORE > 3 → threshold: 3 (alerts fire at ≥, KDA kept rows strictly above)',
      'note: input schema: none given — format json with fields named as the SQL columns; give the template (RecordColumns) or --csv-columns to change it',
      'note: destination-sql-stream: threshold 3 (from line 25), alertOn: score so the migrated number keeps its meaning; alerts fire at score ≥ threshold',
      result('destination-sql-stream', ['count_distinct', 'where', 'ratio']),
    ]);
  });

  it('STEP on an event-time column, AVG/MAX/MIN/SUM, WHERE, RANDOM_CUT_FOREST_WITH_EXPLANATION with parameters', () => {
    const { detectors, lines } = translateFixture('wind-event-time.sql', { threshold: 4 });
    expect(detectors).toEqual([
      {
        name: 'destination-sql-stream',
        format: 'json',
        match: {
          sensor: 'anemometer',
        },
        time: 'event_time',
        windowSeconds: 60,
        key: 'location',
        aggregates: [
          'avg(speed)',
          'max(speed)',
          'min(speed)',
          {
            name: 'total_rain',
            fn: 'sum',
            field: 'rain',
          },
        ],
        features: ['avg_speed', 'max_speed'],
        rcf: {
          numberOfTrees: 100,
          subSampleSize: 256,
          timeDecay: 100000,
          shingleSize: 1,
        },
        explain: true,
        threshold: 4,
        alertOn: 'score',
      },
    ]);
    expect(lines).toEqual([
      'line 3, CREATE STREAM "WIND_STREAM": translated — the windows of detector destination-sql-stream (location, avg_speed, max_speed, min_speed, total_rain)',
      'line 9, CREATE PUMP "WIND_PUMP": translated — window aggregate: key location, 60 s tumbling windows on event time event_time, aggregates avg_speed, max_speed, min_speed, total_rain; WHERE → match {"sensor":"anemometer"}; event time from event_time (ROWTIME would have been arrival time)',
      'line 15, CREATE STREAM "DESTINATION_SQL_STREAM": translated — the scored results of detector destination-sql-stream (location, avg_speed, max_speed, ANOMALY_SCORE, ANOMALY_SCORE_EXPLANATION)',
      'line 18, CREATE PUMP "OUTPUT_PUMP": approximated — RANDOM_CUT_FOREST over the window stream → rcf detector: features avg_speed, max_speed ("location" not numeric: KDA\'s forest ignored it too); KDA scored every location with one forest; stream-sentinel keeps one forest per location (scores differ from KDA\'s: each key is compared with its own history); WITH_EXPLANATION → explain: true',
      'note: input schema: none given — format json with fields named as the SQL columns; give the template (RecordColumns) or --csv-columns to change it',
      "note: destination-sql-stream: min_speed, total_rain are computed (KDA's window stream had them) but neither scored nor delivered: keep for alert messages, or remove",
      'note: destination-sql-stream: threshold 4 (from --threshold), alertOn: score so the migrated number keeps its meaning; alerts fire at score ≥ threshold',
      result('destination-sql-stream', ['explain']),
    ]);
  });
  it('WINDOWED BY STAGGER with two keys, a sliding OVER window as hopping windows, RCF without parameters and with a shingle', () => {
    const { detectors, lines } = translateFixture('stagger-sliding.sql', { threshold: 5 });
    expect(detectors).toEqual([
      {
        name: 'trader-scores',
        format: 'json',
        windowSeconds: 60,
        key: 'ticker',
        aggregates: [
          {
            name: 'traders',
            fn: 'count_distinct',
            field: 'trader',
          },
          {
            name: 'volume',
            fn: 'sum',
            field: 'volume',
          },
        ],
        rcf: {
          numberOfTrees: 100,
          subSampleSize: 256,
          timeDecay: 100000,
          shingleSize: 1,
        },
        threshold: 5,
        alertOn: 'score',
      },
      {
        name: 'moving-scores',
        format: 'json',
        windowSeconds: 60,
        everySeconds: 10,
        key: 'ticker',
        aggregates: [
          'avg(price)',
          {
            name: 'high',
            fn: 'max',
            field: 'price',
          },
        ],
        features: ['avg_price'],
        rcf: {
          numberOfTrees: 100,
          subSampleSize: 256,
          timeDecay: 100000,
          shingleSize: 4,
        },
        threshold: 5,
        alertOn: 'score',
      },
    ]);
    expect(lines).toEqual([
      'line 3, CREATE STREAM "TRADERS": translated — the windows of detector trader-scores (ticker, exchange, traders, volume)',
      'line 4, CREATE PUMP "TRADERS_PUMP": approximated — window aggregate: key ticker, 60 s tumbling windows on arrival time (ROWTIME), aggregates traders, volume; WINDOWED BY STAGGER(RANGE INTERVAL \'1\' MINUTE) → tumbling windows of 60 s by arrival time: a stagger window opened at each key\'s first record; tumbling windows start on multiples of 60 s, so a burst that straddles a boundary is split; GROUP BY "ticker", "exchange": one key field only, ticker; combine the fields into one upstream to keep KDA\'s grouping; COUNT(DISTINCT "trader") → count_distinct(trader), an approximate count (HyperLogLog-style, bounded memory) instead of KDA\'s exact one',
      'line 9, CREATE STREAM "TRADER_SCORES": translated — the scored results of detector trader-scores (ticker, traders, ANOMALY_SCORE)',
      'line 10, CREATE PUMP "TRADER_SCORES_PUMP": approximated — RANDOM_CUT_FOREST\'s defaults (100, 256, 100000, 1) written out; RANDOM_CUT_FOREST over the window stream → rcf detector: features traders, volume; KDA scored every ticker with one forest; stream-sentinel keeps one forest per ticker (scores differ from KDA\'s: each key is compared with its own history)',
      'line 14, CREATE STREAM "MOVING": translated — the windows of detector moving-scores (ticker, avg_price, high)',
      'line 15, CREATE PUMP "MOVING_PUMP": approximated — window aggregate: key ticker, 60 s hopping every 10 s on arrival time (ROWTIME), aggregates avg_price, high; sliding window RANGE INTERVAL \'1\' MINUTE PRECEDING → hopping windows (windowSeconds 60, everySeconds 10): every 10 s each key is scored on the exact aggregates of its last 60 s (KDA emitted one row per record, over the 60 s before it; the detector emits one per key and 10-s step with records)',
      'line 20, CREATE STREAM "MOVING_SCORES": translated — the scored results of detector moving-scores (ticker, avg_price, ANOMALY_SCORE)',
      'line 21, CREATE PUMP "MOVING_SCORES_PUMP": approximated — RANDOM_CUT_FOREST over the window stream → rcf detector: features avg_price; KDA scored every ticker with one forest; stream-sentinel keeps one forest per ticker (scores differ from KDA\'s: each key is compared with its own history); shingle 4: KDA shingled consecutive rows of all keys together; here consecutive windows of one key',
      'note: input schema: none given — format json with fields named as the SQL columns; give the template (RecordColumns) or --csv-columns to change it',
      'note: trader-scores: threshold 5 (from --threshold), alertOn: score so the migrated number keeps its meaning; alerts fire at score ≥ threshold',
      "note: moving-scores: high is computed (KDA's window stream had it) but neither scored nor delivered: keep for alert messages, or remove",
      'note: moving-scores: threshold 5 (from --threshold), alertOn: score so the migrated number keeps its meaning; alerts fire at score ≥ threshold',
      result('trader-scores', ['count_distinct']),
      result('moving-scores', ['everySeconds']),
    ]);
  });
  it("a one-second sliding window (RANGE INTERVAL '1' SECOND PRECEDING) becomes a tumbling window of 1 s, and says so", () => {
    const path = resolve(__dirname, 'fixtures/sliding-one-second.sql');
    const { yaml, lines } = importSql(readFileSync(path, 'utf8'), path, { threshold: 3 });
    const detectors = (load(yaml) as { detectors: unknown[] }).detectors;
    expect(detectors).toEqual([
      {
        name: 'burst-scores',
        format: 'json',
        windowSeconds: 1,
        key: 'device',
        aggregates: [
          { name: 'readings', fn: 'count' },
          { name: 'peak', fn: 'max', field: 'level' },
        ],
        rcf: { numberOfTrees: 100, subSampleSize: 256, timeDecay: 100000, shingleSize: 1 },
        threshold: 3,
        alertOn: 'score',
      },
    ]);
    expect(lines).toEqual([
      'line 2, CREATE STREAM "BURSTS": translated — the windows of detector burst-scores (device, readings, peak)',
      'line 3, CREATE PUMP "BURSTS_PUMP": approximated — window aggregate: key device, 1 s tumbling windows on arrival time (ROWTIME), aggregates readings, peak; sliding window RANGE INTERVAL \'1\' SECOND PRECEDING → tumbling windows of 1 s (no everySeconds: the smallest step, 1 s, is the whole window, and a step equal to the window is a tumbling window): each key is scored once per 1-s window with records on the exact aggregates of that window (KDA emitted one row per record, over the 1 s before it)',
      'line 8, CREATE STREAM "BURST_SCORES": translated — the scored results of detector burst-scores (device, readings, peak, ANOMALY_SCORE)',
      'line 9, CREATE PUMP "BURST_SCORES_PUMP": approximated — RANDOM_CUT_FOREST\'s defaults (100, 256, 100000, 1) written out; RANDOM_CUT_FOREST over the window stream → rcf detector: features readings, peak; KDA scored every device with one forest; stream-sentinel keeps one forest per device (scores differ from KDA\'s: each key is compared with its own history)',
      'note: input schema: none given — format json with fields named as the SQL columns; give the template (RecordColumns) or --csv-columns to change it',
      'note: burst-scores: threshold 3 (from --threshold), alertOn: score so the migrated number keeps its meaning; alerts fire at score ≥ threshold',
      'result: burst-scores is valid and deployable',
    ]);
    // The runtime parse (the functions' cold start) accepts it; the hopping form of the same window it would refuse.
    expect(parseDetectors(yaml, 'imported')).toMatchObject([{ name: 'burst-scores', windowSeconds: 1 }]);
    expect(() => parseDetectors(yaml.replace('    windowSeconds: 1\n', '    windowSeconds: 1\n    everySeconds: 1\n'), 'imported')).toThrow(
      'everySeconds (1) must be less than windowSeconds (1); equal is a tumbling window, leave everySeconds out',
    );
  });

  it('HOTSPOTS with a filtered cursor', () => {
    const { detectors, lines } = translateFixture('players-hotspots.sql', { name: 'players' });
    expect(detectors).toEqual([
      {
        name: 'players',
        kind: 'hotspots',
        format: 'json',
        match: {
          game: 'arena',
        },
        columns: ['latitude', 'longitude'],
        windowSize: 1000,
        scanRadius: 0.0005,
        minPoints: 30,
      },
    ]);
    expect(lines).toEqual([
      'line 2, CREATE STREAM "DESTINATION_SQL_STREAM": approximated — the results of hotspots detector players (latitude, longitude, HOTSPOTS_RESULT): hotspots are written to the hotspots table and alerted on, not as a HOTSPOTS_RESULT column',
      'line 3, CREATE PUMP "HOTSPOTS_PUMP": approximated — WHERE → match {"game":"arena"}; HOTSPOTS → hotspots detector: columns latitude, longitude, windowSize 1000, scanRadius 0.0005, minPoints 30; evaluated once per window (windowSeconds) over the last 1000 points instead of once per record, and density is relative to the window (docs/hotspots.md): set threshold after measuring',
      'note: input schema: none given — format json with fields named as the SQL columns; give the template (RecordColumns) or --csv-columns to change it',
      result('players', []),
    ]);
  });

  it('a stream join, a reference-data join, a ROWS window, a window without key and a syntax error are reported, not translated', () => {
    const { detectors, lines } = translateFixture('unsupported.sql', {});
    expect(detectors).toEqual([]);
    expect(lines).toEqual([
      'line 3, CREATE STREAM "QUOTES": not translated — no translated detector reads it (ticker, bid)',
      'line 4, CREATE PUMP "QUOTES_PUMP": not translated — no translated detector reads its stream QUOTES',
      'line 6, CREATE STREAM "SPREADS": not translated — stream SPREADS comes from a pump that was not translated (line 7)',
      'line 7, CREATE PUMP "JOIN_PUMP": not translated — stream joins have no equivalent: a detector reads one stream and keeps no records of another to join with; enrich the records before they reach the stream (the producer or a Lambda) or keep the join in Managed Service for Apache Flink',
      'line 12, CREATE STREAM "ENRICHED": not translated — stream ENRICHED comes from a pump that was not translated (line 13)',
      'line 13, CREATE PUMP "REFERENCE_PUMP": not translated — a join with reference data (COMPANIES, a table KDA loaded from S3) has no equivalent: a detector reads only the stream\'s records; add the looked-up columns before the records reach the stream (the producer, or a Firehose/Lambda transformation)',
      'line 18, CREATE STREAM "LAST_TEN": not translated — stream LAST_TEN comes from a pump that was not translated (line 19)',
      'line 19, CREATE PUMP "ROWS_PUMP": not translated — ROWS 10 PRECEDING counts rows, not time: no window detector keeps the last N records per key',
      'line 23, CREATE STREAM "TOTALS": not translated — stream TOTALS comes from a pump that was not translated (line 24)',
      'line 24, CREATE PUMP "TOTALS_PUMP": not translated — no GROUP BY key besides the window: a window detector scores per key; add a key field to the records or score rows with RANDOM_CUT_FOREST over the input (kind: records)',
      'line 28, statement: not translated — cannot parse it: line 28: expected an expression, found "FROM"',
      'note: input schema: none given — format json with fields named as the SQL columns; give the template (RecordColumns) or --csv-columns to change it',
      'result: no detector could be translated',
    ]);
  });
  it('a SAM template with !Sub code: per-record RCF over JSONPath-mapped fields, output to a Kinesis stream by !GetAtt', () => {
    const { detectors, lines } = translateFixture('payments-records.yaml', { threshold: 6 });
    expect(detectors).toEqual([
      {
        name: 'destination-sql-stream',
        kind: 'records',
        format: 'json',
        match: {
          channel: 'card-present',
        },
        features: ['amount', 'basket.count'],
        rcf: {
          numberOfTrees: 100,
          subSampleSize: 256,
          timeDecay: 100000,
          shingleSize: 1,
        },
        threshold: 6,
        alertOn: 'score',
        outputs: [
          {
            kinesis: 'scored-payments',
            format: 'json',
            columns: [
              {
                merchant: 'merchant.id',
              },
              'amount',
              {
                items: 'basket.count',
              },
              'ANOMALY_SCORE',
            ],
          },
        ],
      },
    ]);
    expect(lines).toEqual([
      'line 2, CREATE STREAM "PAYMENTS": translated — a view (merchant, amount, items): folded into the detectors reading it',
      'line 3, CREATE PUMP "PAYMENTS_PUMP": translated — in-application stream PAYMENTS is a view of SOURCE_SQL_STREAM_001: folded into the detectors that read it; WHERE → match {"channel":"card-present"}',
      'line 5, CREATE STREAM "DESTINATION_SQL_STREAM": translated — the scored results of detector destination-sql-stream (merchant, amount, items, ANOMALY_SCORE)',
      'line 6, CREATE PUMP "SCORE_PUMP": translated — RANDOM_CUT_FOREST\'s defaults (100, 256, 100000, 1) written out; RANDOM_CUT_FOREST over records → kind: records, features amount, basket.count ("merchant" not numeric: ignored, as KDA\'s forest did); one forest per detector and shard (KDA: one per application)',
      'note: destination DESTINATION_SQL_STREAM → outputs: kinesis scored-payments (json), columns merchant, amount, items, ANOMALY_SCORE as KDA wrote them (merchant from merchant.id, items from basket.count)',
      'note: destination DESTINATION_SQL_STREAM → Lambda arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:fraud-check: not translated — stream-sentinel raises the alerts itself; to keep the Lambda, point it at a Kinesis stream output (outputs: kinesis) and give it an event source mapping',
      'note: input schema: json, columns merchant ($.merchant.id), amount ($.amount), items ($.basket.count), channel ($.channel)',
      'note: destination-sql-stream: threshold 6 (from --threshold), alertOn: score so the migrated number keeps its meaning; alerts fire at score ≥ threshold',
      result('destination-sql-stream', ['records', 'outputs']),
    ]);
  });

  it('Terraform: sql_code heredoc, CSV schema with a ; delimiter, FLOOR(ROWTIME TO MINUTE), Firehose CSV output, an unreachable threshold', () => {
    const { detectors, lines } = translateFixture('devices.tf', { threshold: 5 });
    expect(detectors).toEqual([
      {
        name: 'destination-sql-stream',
        format: 'csv',
        csv: {
          columns: ['time', 'device', 'size'],
          delimiter: ';',
        },
        windowSeconds: 60,
        key: 'device',
        aggregates: [
          {
            name: 'messages',
            fn: 'count',
          },
          {
            name: 'bytes',
            fn: 'sum',
            field: 'size',
          },
        ],
        rcf: {
          numberOfTrees: 100,
          subSampleSize: 10,
          timeDecay: 1000,
          shingleSize: 1,
        },
        threshold: 5,
        alertOn: 'score',
        outputs: [
          {
            firehose: 'device-scores',
            format: 'csv',
            columns: ['device', 'messages', 'bytes', 'ANOMALY_SCORE'],
          },
        ],
      },
    ]);
    expect(lines).toEqual([
      'line 1, CREATE STREAM "PER_MINUTE": translated — the windows of detector destination-sql-stream (device, messages, bytes)',
      'line 2, CREATE PUMP "PER_MINUTE_PUMP": translated — window aggregate: key device, 60 s tumbling windows on arrival time (ROWTIME), aggregates messages, bytes',
      'line 6, CREATE STREAM "DESTINATION_SQL_STREAM": translated — the scored results of detector destination-sql-stream (device, messages, bytes, ANOMALY_SCORE)',
      'line 7, CREATE PUMP "SCORE_PUMP": approximated — RANDOM_CUT_FOREST over the window stream → rcf detector: features messages, bytes ("device" not numeric: KDA\'s forest ignored it too); KDA scored every device with one forest; stream-sentinel keeps one forest per device (scores differ from KDA\'s: each key is compared with its own history)',
      'note: destination DESTINATION_SQL_STREAM → outputs: firehose device-scores (csv), columns device, messages, bytes, ANOMALY_SCORE as KDA wrote them',
      'note: input schema: csv, columns time, device, size',
      'note: destination-sql-stream: threshold 5 (from --threshold), alertOn: score so the migrated number keeps its meaning; alerts fire at score ≥ threshold',
      'note: destination-sql-stream: threshold 5 can never fire: scores cannot exceed log2(subSampleSize) = 3.32 with subSampleSize 10',
      result('destination-sql-stream', ['outputs']),
    ]);
  });

  it('the JSON of describe-application (a console-made app): JSONPath schema, event time, an output stream by ARN', () => {
    const { detectors, lines } = translateFixture('clicks-describe-application.json', { threshold: 4, name: 'clicks' });
    expect(detectors).toEqual([
      {
        name: 'clicks',
        format: 'json',
        time: 'timestamp',
        windowSeconds: 10,
        key: 'url',
        aggregates: [
          {
            name: 'visits',
            fn: 'count',
          },
          {
            name: 'visitors',
            fn: 'count_distinct',
            field: 'visitor_id',
          },
        ],
        features: ['visits'],
        rcf: {
          numberOfTrees: 50,
          subSampleSize: 64,
          timeDecay: 1000,
          shingleSize: 1,
        },
        threshold: 4,
        alertOn: 'score',
        outputs: [
          {
            kinesis: 'arn:aws:kinesis:eu-west-1:123456789012:stream/url-anomalies',
            format: 'json',
            columns: ['url', 'visits', 'ANOMALY_SCORE'],
          },
        ],
      },
    ]);
    expect(lines).toEqual([
      'line 2, CREATE STREAM "URL_COUNTS": translated — the windows of detector clicks (url, visits, visitors)',
      'line 3, CREATE PUMP "URL_PUMP": approximated — window aggregate: key url, 10 s tumbling windows on event time timestamp, aggregates visits, visitors; event time from timestamp (ROWTIME would have been arrival time); COUNT(DISTINCT "visitor") → count_distinct(visitor_id), an approximate count (HyperLogLog-style, bounded memory) instead of KDA\'s exact one',
      'line 7, CREATE STREAM "DESTINATION_SQL_STREAM": translated — the scored results of detector clicks (url, visits, ANOMALY_SCORE)',
      'line 8, CREATE PUMP "OUT_PUMP": approximated — RANDOM_CUT_FOREST over the window stream → rcf detector: features visits ("url" not numeric: KDA\'s forest ignored it too); KDA scored every url with one forest; stream-sentinel keeps one forest per url (scores differ from KDA\'s: each key is compared with its own history)',
      'note: destination DESTINATION_SQL_STREAM → outputs: kinesis arn:aws:kinesis:eu-west-1:123456789012:stream/url-anomalies (json), columns url, visits, ANOMALY_SCORE as KDA wrote them',
      'note: input schema: json, columns url ($.url), visitor ($.visitor_id), event_time ($.timestamp)',
      "note: clicks: visitors is computed (KDA's window stream had it) but neither scored nor delivered: keep for alert messages, or remove",
      'note: clicks: threshold 4 (from --threshold), alertOn: score so the migrated number keeps its meaning; alerts fire at score ≥ threshold',
      result('clicks', ['outputs', 'count_distinct']),
    ]);
  });

  it("AWS's example shape: lower case, folded names, SELECT * in the cursor and the output, a filter after scoring, ORDER BY … DESC", () => {
    const { detectors, lines } = translateFixture('heart-rate-docs-style.sql', {
      threshold: 3,
      csvColumns: ['HEART_RATE:INTEGER', 'RATE_TYPE:VARCHAR(20)'],
    });
    expect(detectors).toEqual([
      {
        name: 'destination-sql-stream',
        kind: 'records',
        format: 'csv',
        csv: {
          columns: ['HEART_RATE', 'RATE_TYPE'],
        },
        features: ['HEART_RATE'],
        rcf: {
          numberOfTrees: 100,
          subSampleSize: 256,
          timeDecay: 100000,
          shingleSize: 1,
        },
        explain: true,
        threshold: 3,
        alertOn: 'score',
      },
    ]);
    expect(lines).toEqual([
      'line 3, CREATE STREAM temp_stream: translated — the scored results of detector destination-sql-stream (heart_rate, rate_type, anomaly_score, anomaly_explanation)',
      'line 4, CREATE STREAM destination_sql_stream: translated — the scored results of detector destination-sql-stream (heart_rate, rate_type, anomaly_score, anomaly_explanation)',
      "line 5, CREATE PUMP stream_pump: approximated — withDirectionality false: the attribution always carries the direction (HIGH/LOW); RANDOM_CUT_FOREST over records → kind: records, features HEART_RATE (\"RATE_TYPE\" not numeric: ignored, as KDA's forest did); one forest per detector and shard (KDA: one per application); WITH_EXPLANATION → explain: true; WHERE rate_type = 'NORMAL' after scoring only filtered KDA's output rows: every row is scored and can alert here (move the filter into the cursor, as match, to score only those rows — which also changes what the forest learns)",
      "line 9, CREATE PUMP output_pump: translated — ORDER BY only ordered rows within a time group of KDA's output: nothing to translate; passes the scored rows on",
      'note: input schema: csv, columns HEART_RATE, RATE_TYPE',
      'note: destination-sql-stream: threshold 3 (from --threshold), alertOn: score so the migrated number keeps its meaning; alerts fire at score ≥ threshold',
      result('destination-sql-stream', ['records', 'explain']),
    ]);
  });

  it('windows never scored, a projection of a window stream, two forests over the same windows, a roll-up of windows', () => {
    const { detectors, lines } = translateFixture('shop-windows.sql', { threshold: 4 });
    expect(detectors).toEqual([
      {
        name: 'revenue-scores',
        format: 'json',
        windowSeconds: 60,
        key: 'shop',
        aggregates: [
          {
            name: 'orders',
            fn: 'count',
          },
          {
            name: 'revenue',
            fn: 'sum',
            field: 'amount',
          },
          {
            name: 'basket',
            fn: 'avg',
            field: 'amount',
          },
        ],
        features: ['revenue'],
        rcf: {
          numberOfTrees: 100,
          subSampleSize: 256,
          timeDecay: 100000,
          shingleSize: 1,
        },
        threshold: 4,
        alertOn: 'score',
      },
      {
        name: 'basket-scores',
        format: 'json',
        windowSeconds: 60,
        key: 'shop',
        aggregates: [
          {
            name: 'orders',
            fn: 'count',
          },
          {
            name: 'revenue',
            fn: 'sum',
            field: 'amount',
          },
          {
            name: 'basket',
            fn: 'avg',
            field: 'amount',
          },
        ],
        features: ['orders', 'basket'],
        rcf: {
          numberOfTrees: 50,
          subSampleSize: 64,
          timeDecay: 1000,
          shingleSize: 1,
        },
        threshold: 4,
        alertOn: 'score',
      },
    ]);
    expect(lines).toEqual([
      'line 3, CREATE STREAM "DASHBOARD": not translated — windows no forest scores (region, orders)',
      'line 4, CREATE PUMP "DASHBOARD_PUMP": not translated — window aggregate: key region, 60 s tumbling windows on arrival time (ROWTIME), aggregates orders; no RANDOM_CUT_FOREST reads these windows: a detector always scores its windows, so aggregates kept only for a dashboard or a consumer have no detector of their own (score them, or keep computing them elsewhere)',
      'line 8, CREATE STREAM "SALES": translated — the windows of detectors revenue-scores, basket-scores (shop, orders, revenue, basket)',
      'line 9, CREATE PUMP "SALES_PUMP": translated — window aggregate: key shop, 60 s tumbling windows on arrival time (ROWTIME), aggregates orders, revenue, basket',
      'line 13, CREATE STREAM "SALES_SLIM": translated — the windows of detectors revenue-scores, basket-scores (shop, revenue)',
      'line 14, CREATE PUMP "SLIM_PUMP": approximated — in-application stream SALES_SLIM is a projection of the window stream SALES: folded into its detector; WHERE "orders" > 5 on window aggregates has no equivalent: every window is scored',
      'line 17, CREATE STREAM "REVENUE_SCORES": translated — the scored results of detector revenue-scores (shop, revenue, ANOMALY_SCORE)',
      'line 18, CREATE PUMP "REVENUE_PUMP": approximated — RANDOM_CUT_FOREST\'s defaults (100, 256, 100000, 1) written out; RANDOM_CUT_FOREST over the window stream → rcf detector: features revenue ("shop" not numeric: KDA\'s forest ignored it too); KDA scored every shop with one forest; stream-sentinel keeps one forest per shop (scores differ from KDA\'s: each key is compared with its own history)',
      'line 21, CREATE STREAM "BASKET_SCORES": translated — the scored results of detector basket-scores (shop, basket, ANOMALY_SCORE)',
      'line 22, CREATE PUMP "BASKET_PUMP": approximated — RANDOM_CUT_FOREST over the window stream → rcf detector: features orders, basket; KDA scored every shop with one forest; stream-sentinel keeps one forest per shop (scores differ from KDA\'s: each key is compared with its own history)',
      'line 26, CREATE STREAM "ROLLUP": not translated — stream ROLLUP comes from a pump that was not translated (line 27)',
      'line 27, CREATE PUMP "ROLLUP_PUMP": not translated — aggregates of aggregates (SALES is already a window stream) have no equivalent: one window level per detector',
      'note: input schema: none given — format json with fields named as the SQL columns; give the template (RecordColumns) or --csv-columns to change it',
      "note: revenue-scores: orders, basket are computed (KDA's window stream had them) but neither scored nor delivered: keep for alert messages, or remove",
      'note: revenue-scores: threshold 4 (from --threshold), alertOn: score so the migrated number keeps its meaning; alerts fire at score ≥ threshold',
      "note: basket-scores: revenue is computed (KDA's window stream had it) but neither scored nor delivered: keep for alert messages, or remove",
      'note: basket-scores: threshold 4 (from --threshold), alertOn: score so the migrated number keeps its meaning; alerts fire at score ≥ threshold',
      result('revenue-scores', []),
      result('basket-scores', []),
    ]);
  });

  it('writes for the workshop a detector the deployed functions run, equal to the shipped toll detector but for what was tuned', () => {
    const { yaml } = translateFixture('workshop-toll.sql', {
      threshold: 2.5,
      csvColumns: ['date', 'station_id', 'plate'],
      name: 'toll-stations',
    });
    // No schema-only setting: the runtime parse (what the windows function does at cold start) accepts it.
    const [imported] = parseDetectors(yaml, 'imported');
    const shipped = loadDetectorsFile(resolve(__dirname, '../../../detectors.yml')).find((d) => d.name === 'toll-stations')!;
    const pipeline = (d: Detector | undefined) =>
      d?.kind === 'rcf' && {
        format: d.format,
        // The KDG line `{{date.now}},station,plate`: the workshop's schema called the station column station_id.
        keyColumn: d.csv!.columns.indexOf(d.key),
        columns: d.csv!.columns.length,
        windowSeconds: d.windowSeconds,
        aggregates: d.aggregates.map((a) => a.fn),
        features: d.features.length,
      };
    expect(pipeline(imported)).toEqual(pipeline(shipped));
    // What the shipped detector changed on purpose (docs/detectors.md): event time, silent keys, a tuned forest and threshold.
    expect(imported).toMatchObject({
      rcf: { numberOfTrees: 1, subSampleSize: 10, timeDecay: 10, shingleSize: 2 },
      threshold: 2.5,
      silentKeys: false,
      alertOn: 'score',
    });
    expect(imported!.time).toBeUndefined();
    expect(shipped).toMatchObject({
      time: { field: 'date' },
      rcf: { numberOfTrees: 50, subSampleSize: 64, timeDecay: 1000, shingleSize: 1 },
      threshold: 3.5,
    });
  });

  it('writes YAML that the schema accepts, and that a deployed function refuses while it uses schema-only settings', () => {
    const { yaml } = translateFixture('clickstream-ctr.sql', {});
    expect(parseDetectors(yaml, 'x', { windowSeconds: 10, threshold: 2 }, { schemaOnly: true })).toHaveLength(1);
    const pending = (['count_distinct', 'where', 'ratio'] as const).filter((x) => x in SCHEMA_ONLY);
    if (pending.length)
      expect(() => parseDetectors(yaml, 'x')).toThrow(
        `detectors[0] (destination-sql-stream): ${(SCHEMA_ONLY as Record<string, string>)[pending[0]!]} — remove it before deploying (only schema-only validation, e.g. import-sql, accepts it)`,
      );
    else expect(parseDetectors(yaml, 'x')).toHaveLength(1);
  });

  it("uses seed 001's own SQL: the fixture is the workshop's SQL block, as the seed prints it", () => {
    const seedDir = resolve(__dirname, '../../../../shared/seeds');
    const seed = readdirSync(seedDir).find((f) => f.startsWith('001_'))!;
    const block = /```SQL\n(\s*CREATE OR REPLACE STREAM "VEHICLES_PER_STATION_STREAM"[\s\S]*?)\n\s*```/.exec(
      readFileSync(resolve(seedDir, seed), 'utf8'),
    )![1]!;
    const dedented = block
      .split('\n')
      .map((l) => l.replace(/^ {4}/, ''))
      .join('\n');
    expect(dedented.trim()).toBe(readFileSync(resolve(FIXTURES, 'workshop-toll.sql'), 'utf8').trim());
  });

  it('puts the report above the detectors as comments', () => {
    const { yaml } = translateFixture('workshop-toll.sql', { threshold: 2.5 });
    expect(yaml.split('\n').slice(0, 2)).toEqual([
      '# Translated from workshop-toll.sql by stream-sentinel import-sql (docs/migration.md).',
      '# line 1, CREATE STREAM "VEHICLES_PER_STATION_STREAM": translated — the windows of detector anomaly-score-sql-stream (station_id, vehicle_count)',
    ]);
  });
});
