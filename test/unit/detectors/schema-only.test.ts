import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DetectorsConfigError,
  SCHEMA_ONLY,
  loadDetectorsFile,
  parseDetectors,
  schemaOnlySettings,
  type SchemaOnlySetting,
} from '../../../shared/detectors';

const DEFAULTS = { windowSeconds: 10, threshold: 2 };

/** A detector body using each setting added for migrations (keys are support.ts's names). */
const USES: Record<string, string> = {
  records: 'kind: records\nfeatures: [amount]',
  explain: 'key: k\nexplain: true',
  outputs: 'key: k\noutputs: [{kinesis: s}]',
  count_distinct: 'key: k\naggregates: [count_distinct(u)]',
  where: 'key: k\naggregates: [{name: a, fn: count, where: {t: x}}]',
  ratio: 'key: k\naggregates: [count, sum(x), {name: r, ratio: [sum_x, count]}]',
  everySeconds: 'key: k\nwindowSeconds: 20\neverySeconds: 10',
  grade: 'key: k\nalertOn: grade',
};

/** The settings of `all` that support.ts still lists: each engineer who lands a runtime removes its entry there. */
const stillPending = (all: string[]): SchemaOnlySetting[] => all.filter((x): x is SchemaOnlySetting => x in SCHEMA_ONLY);

/** Problems a document has; with `schemaOnly` the settings the runtime lacks are not problems. */
const problemsOf = (yaml: string, schemaOnly = false): string[] => {
  try {
    if (schemaOnly) parseDetectors(yaml, 'test.yml', DEFAULTS, { schemaOnly: true });
    else parseDetectors(yaml, 'test.yml', DEFAULTS);
  } catch (error) {
    if (error instanceof DetectorsConfigError) return error.problems;
    throw error;
  }
  return [];
};

const one = (body: string) => `detectors:\n  - name: d\n    format: json\n${body.replace(/^/gm, '    ')}\n`;

describe('settings the runtime does not implement yet', () => {
  it('parses a per-record detector with explanation, outputs and storeAbove when asked for the schema only', () => {
    const [d] = parseDetectors(
      one(
        'kind: records\nkey: merchant\nfeatures: [amount, items]\nexplain: true\nstoreAbove: 2\nalertOn: score\noutputs:\n  - kinesis: scored\n    columns: [{merchant: merchant.id}, amount, anomaly_score, ANOMALY_SCORE_EXPLANATION]\n  - firehose: arn:aws:firehose:eu-west-1:123456789012:deliverystream/scores\n    format: csv',
      ),
      'x',
      DEFAULTS,
      { schemaOnly: true },
    );
    expect(d).toEqual({
      name: 'd',
      kind: 'records',
      format: 'json',
      key: 'merchant',
      features: ['amount', 'items'],
      explain: true,
      storeAbove: 2,
      alertOn: 'score',
      outputs: [
        {
          kinesis: 'scored',
          format: 'json',
          // The consumer's spelling, and where each value comes from.
          columns: [
            { name: 'merchant', from: 'merchant.id' },
            { name: 'amount', from: 'amount' },
            { name: 'anomaly_score', from: 'ANOMALY_SCORE' },
            { name: 'ANOMALY_SCORE_EXPLANATION', from: 'ANOMALY_SCORE_EXPLANATION' },
          ],
        },
        { firehose: 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/scores', format: 'csv' },
      ],
      rcf: { numberOfTrees: 100, subSampleSize: 256, timeDecay: 100000, shingleSize: 1 },
      windowSeconds: 10,
      threshold: 2,
      message: '{detector}: an unusual record at {time}: score {score} (threshold {threshold}); {feature} {direction}',
    });
    expect(schemaOnlySettings(d!)).toEqual(stillPending(['records', 'explain', 'outputs']));
  });

  it('parses count_distinct, conditional and ratio aggregates and hopping windows', () => {
    const [d] = parseDetectors(
      one(
        'key: page\nwindowSeconds: 60\neverySeconds: 10\naggregates: [count_distinct(user), {name: clicks, fn: count, where: {type: click}}, {name: views, fn: sum, field: n, where: {type: [view, impression]}}, {name: ctr, ratio: [clicks, views]}]\nfeatures: [ctr, count_distinct_user]',
      ),
      'x',
      DEFAULTS,
      { schemaOnly: true },
    );
    expect(d).toMatchObject({
      kind: 'rcf',
      windowSeconds: 60,
      everySeconds: 10,
      aggregates: [
        { name: 'count_distinct_user', fn: 'count_distinct', field: 'user' },
        { name: 'clicks', fn: 'count', where: { type: 'click' } },
        { name: 'views', fn: 'sum', field: 'n', where: { type: ['view', 'impression'] } },
        { name: 'ctr', fn: 'ratio', ratio: ['clicks', 'views'] },
      ],
      features: ['ctr', 'count_distinct_user'],
    });
    expect(schemaOnlySettings(d!)).toEqual(stillPending(['count_distinct', 'where', 'ratio', 'everySeconds']));
  });

  it.each(Object.keys(USES))(
    '%s: refused at load while support.ts lists it, with its message; accepted schema-only always, and at load once its runtime lands',
    (setting) => {
      const yaml = one(USES[setting]!);
      const message = (SCHEMA_ONLY as Record<string, string>)[setting];
      expect(problemsOf(yaml)).toEqual(
        message
          ? [`detectors[0] (d): ${message} — remove it before deploying (only schema-only validation, e.g. import-sql, accepts it)`]
          : [],
      );
      expect(problemsOf(yaml, true)).toEqual([]);
    },
  );

  it('lists every schema-only setting a detector uses, in support.ts order', () => {
    const problems = problemsOf(
      one(
        'key: k\nexplain: true\nalertOn: grade\nwindowSeconds: 20\neverySeconds: 10\noutputs: [{kinesis: s}]\naggregates: [count_distinct(u), {name: a, fn: count, where: {t: x}}, {name: r, ratio: [a, count_distinct_u]}]',
      ),
    );
    expect(problems.map((p) => p.replace(/ — remove it.*$/, ''))).toEqual(
      stillPending(['explain', 'outputs', 'count_distinct', 'where', 'ratio', 'everySeconds', 'grade']).map(
        (x) => `detectors[0] (d): ${SCHEMA_ONLY[x]}`,
      ),
    );
  });

  it('fails loading the file as the package check and the functions do, and loads it schema-only', () => {
    const pending = Object.keys(USES).find((x) => x in SCHEMA_ONLY);
    const dir = mkdtempSync(join(tmpdir(), 'detectors-'));
    try {
      const file = join(dir, 'detectors.yml');
      writeFileSync(file, one(USES[pending ?? 'records']!));
      // serverless/checks.js (package time) and shared/lambda/stream-function.ts (cold start) call exactly this.
      if (pending)
        expect(() => loadDetectorsFile(file, DEFAULTS)).toThrow(
          `${file}: detectors[0] (d): ${(SCHEMA_ONLY as Record<string, string>)[pending]} — remove it before deploying (only schema-only validation, e.g. import-sql, accepts it)`,
        );
      else expect(loadDetectorsFile(file, DEFAULTS)).toHaveLength(1);
      expect(loadDetectorsFile(file, DEFAULTS, { schemaOnly: true })).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets alertOn: score through (it is what the functions do) and leaves alertOn out by default', () => {
    const [d] = parseDetectors(one('key: k\nalertOn: score'), 'x', DEFAULTS);
    expect(d).toMatchObject({ alertOn: 'score' });
    expect(parseDetectors(one('key: k'), 'x', DEFAULTS)[0]).not.toHaveProperty('alertOn');
  });

  it('says what is wrong with the new settings, schema only or not', () => {
    expect(
      problemsOf(
        one(
          'key: k\nwindowSeconds: 60\neverySeconds: 25\naggregates: [count, {name: m, fn: max, field: x, where: {t: 1}}, {name: r, ratio: [count, nope]}, {name: r2, ratio: [r, count]}, {name: u, fn: count_distinct}]\noutputs:\n  - {kinesis: a, firehose: b}\n  - {kinesis: "arn:aws:kinesis:eu-west-1:1:stream/x"}\n  - {kinesis: s, columns: [k, count, windowEnd, speed, ANOMALY_SCORE_EXPLANATION]}',
        ),
        true,
      ),
    ).toEqual(['detectors[0] (d): outputs[1].kinesis: a Kinesis stream name or arn:aws:kinesis:<region>:<account>:stream/<name>']);
    expect(
      problemsOf(
        one(
          'key: k\nwindowSeconds: 60\neverySeconds: 25\naggregates: [count, {name: m, fn: max, field: x, where: {t: 1}}, {name: r, ratio: [count, nope]}, {name: r2, ratio: [r, count]}, {name: u, fn: count_distinct}]\noutputs:\n  - {kinesis: a, firehose: b}\n  - {kinesis: s, columns: [k, count, windowEnd, speed, ANOMALY_SCORE_EXPLANATION]}\n  - {kinesis: s, columns: [{a: count, b: k}, {score: anomaly_score}]}',
        ),
        true,
      ),
    ).toEqual(['detectors[0] (d): outputs[2].columns[0]: a renamed column is one `name: source` pair, e.g. { merchant: merchant.id }']);
    expect(
      problemsOf(
        one(
          'key: k\nwindowSeconds: 60\neverySeconds: 25\naggregates: [count, {name: m, fn: max, field: x, where: {t: 1}}, {name: r, ratio: [count, nope]}, {name: r2, ratio: [r, count]}, {name: u, fn: count_distinct}]\noutputs:\n  - {kinesis: a, firehose: b}\n  - {kinesis: s, columns: [k, count, windowEnd, speed, ANOMALY_SCORE_EXPLANATION]}\n  - {kinesis: s, columns: [{station_id: k}, {n: count}, {score: anomaly_score}]}',
        ),
        true,
      ),
    ).toEqual([
      'detectors[0] (d): aggregate m: where is for count and sum only (COUNT/SUM of the matching records)',
      'detectors[0] (d): aggregate u: count_distinct needs a field, e.g. count_distinct(speed)',
      'detectors[0] (d): aggregate r: ratio operand nope is not an aggregate of this detector',
      'detectors[0] (d): aggregate r2: ratio operand r is itself a ratio; use count, sum, avg, min, max or count_distinct aggregates',
      'detectors[0] (d): windowSeconds (60) must be a multiple of everySeconds (25) so that windows start on hop boundaries',
      'detectors[0] (d): outputs[0]: name exactly one target, kinesis: <stream name or ARN> or firehose: <delivery stream name or ARN>',
      'detectors[0] (d): outputs[1]: columns has no ANOMALY_SCORE column (any case), so the consumer gets no score',
      'detectors[0] (d): outputs[1]: column ANOMALY_SCORE_EXPLANATION needs explain: true',
      'detectors[0] (d): outputs[1]: column speed is not the key, an aggregate, windowStart, windowEnd or ANOMALY_SCORE (known: k, windowStart, windowEnd, count, m, r, r2, u)',
    ]);
    expect(
      problemsOf(
        'detectors:\n  - name: d\n    kind: records\n    format: csv\n    csv: {columns: [a, b]}\n    features: [a, c, a]\n    message: "{b} at {time}"\n',
        true,
      ),
    ).toEqual(
      expect.arrayContaining([
        'detectors[0] (d): feature "c" is not one of the CSV columns (a, b)',
        'detectors[0] (d): features lists a field twice',
        'detectors[0] (d): message placeholder {b} is unknown; use {detector}, {key}, {score}, {threshold}, {time}, {feature}, {direction}, {a}, {c}',
      ]),
    );
    expect(problemsOf(one('kind: sql\nkey: k'), true)).toEqual(['detectors[0] (d): kind: must be rcf (default), hotspots or records']);
  });

  it('keeps ratio features out of silent keys, like averages', () => {
    expect(
      problemsOf(one('key: k\nsilentKeys: true\naggregates: [count, sum(x), {name: r, ratio: [sum_x, count]}]\nfeatures: [r]'), true)[0],
    ).toContain('silentKeys needs features that are defined for an empty window (count or sum); r is not');
  });
});
