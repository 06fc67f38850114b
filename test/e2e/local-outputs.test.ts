import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { KinesisStreamRecord } from 'aws-lambda';
import { kinesisClient } from '../../shared/aws/clients';
import { localPipelineFactory } from '../../local/pipeline';
import { replaySource } from '../../local/sources';
import { startLocalRun, type LocalRun } from '../../local/run';
import { summary } from '../../local/main';
import type { RunReport } from '../../local/report';
import { payloads, python27, readStream, sendNotification } from '../fixtures/seed001/consumer';

/**
 * Issue 15's "Done means": a local-mode run (the event-source emulator, the real windows and alerts functions on
 * kinesalite and dynalite) with a per-record detector writing KDA-shaped JSON to a local output stream, read back by
 * seed 001's SendNotification as written (Python 2.7), which must text exactly the rows above its threshold. The
 * same run's Firehose output is captured as JSON lines, and the per-record anomalies reach the alerts function.
 */

const FIXTURES = resolve(__dirname, '../fixtures/local-outputs');
const DETECTORS = join(FIXTURES, 'detectors.yml');
const REPLAY = join(FIXTURES, 'stations.jsonl');
const OUTPUT_STREAM = 'stream-sentinel-local-AnomalyStream';
const INPUT = readFileSync(REPLAY, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { time: string; station_id: string; vehicle_count: number });

describe('local mode with a per-record detector and KDA-shaped outputs', () => {
  const outputsDir = mkdtempSync(join(tmpdir(), 'ss-outputs-'));
  let report: RunReport;
  let onStream: KinesisStreamRecord[];
  let rows: Array<Record<string, unknown>>;

  beforeAll(async () => {
    let held: () => void = () => undefined;
    const holding = new Promise<void>((ok) => (held = ok));
    const run: LocalRun = await startLocalRun({
      pipeline: localPipelineFactory({ detectorsFile: DETECTORS, outputsDir }),
      source: await replaySource({ file: REPLAY, detectorsFile: DETECTORS }),
      dashboard: false,
      stack: { stackFile: false },
      // The output stream lives in the run's kinesalite: the run holds after its report so it can be read back.
      exitWhenDone: false,
      onEvent: (event) => {
        if (event.type === 'holding') held();
      },
    });
    await Promise.race([holding, run.finished]);
    const client = kinesisClient({ endpoint: run.stack.kinesisEndpoint, region: run.stack.region });
    try {
      onStream = await readStream(client, OUTPUT_STREAM);
    } finally {
      client.destroy();
      run.stop();
    }
    report = await run.finished;
    rows = payloads(onStream);
  }, 300_000); // a loaded 2-core box

  afterAll(() => rmSync(outputsDir, { recursive: true, force: true }));

  it('scores every replayed record and puts one KDA-shaped row per record on the local output stream', () => {
    expect(report.produced).toBe(INPUT.length);
    expect(report.rejected).toBe(0);
    expect(report.onFailure).toBe(0);
    expect(rows).toHaveLength(INPUT.length);
    for (const row of rows) expect(Object.keys(row)).toEqual(['station_id', 'vehicle_count', 'anomaly_score']);
    // Each station's rows in input order (one forest per key: its first 64 records score 0, KDA's warm-up).
    for (const station of ['S0', 'S1']) {
      const mine = rows.filter((r) => r.station_id === station);
      expect(mine.map((r) => r.vehicle_count)).toEqual(INPUT.filter((i) => i.station_id === station).map((i) => i.vehicle_count));
      expect(mine.slice(0, 64).every((r) => r.anomaly_score === 0)).toBe(true);
    }
    const top = (station: string) =>
      rows.filter((r) => r.station_id === station).sort((a, b) => (b.anomaly_score as number) - (a.anomaly_score as number))[0]!;
    expect(top('S1')).toMatchObject({ vehicle_count: 400 });
    expect(top('S0')).toMatchObject({ vehicle_count: 300 });
    expect(top('S1').anomaly_score as number).toBeGreaterThan(2.5);
  });

  it("is read by seed 001's SendNotification as written: a text exactly for each row above its 2.5", async () => {
    const python = python27();
    expect(python).toBeDefined();
    const result = await sendNotification(python!, { Records: onStream });
    expect(result.result).toBe(`Successfully processed ${onStream.length} records.`);
    const above = rows.filter((r) => (r.anomaly_score as number) > 2.5);
    expect(above.length).toBeGreaterThanOrEqual(2);
    // Python 2's str() of a float keeps 12 significant digits: the score is compared to that precision.
    const texted = result.published.map((p) => {
      const [, station, count, score] = /station (\S+)\. Total vehicles detected was (\d+)\. The anomaly score was (\S+),/.exec(p.Message)!;
      return `${station}|${count}|${Number(score).toPrecision(11)}`;
    });
    expect(texted.sort()).toEqual(
      above.map((r) => `${r.station_id}|${r.vehicle_count}|${(r.anomaly_score as number).toPrecision(11)}`).sort(),
    );
  }, 120_000);

  it('captures the Firehose output as JSON lines under the outputs directory, one per record', () => {
    const dir = join(outputsDir, 'AnomalyArchive');
    const lines = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n'));
    expect(lines).toHaveLength(INPUT.length);
    // Without columns: the record's own fields, then ANOMALY_SCORE.
    expect(Object.keys(JSON.parse(lines[0]!) as object)).toEqual(['time', 'station_id', 'vehicle_count', 'ANOMALY_SCORE']);
  });

  it('lists each output with the records delivered in the report and the summary', () => {
    expect(report.outputs).toEqual([
      { output: 'kinesis:AnomalyStream', name: OUTPUT_STREAM, delivered: INPUT.length },
      {
        output: 'firehose:AnomalyArchive',
        name: 'stream-sentinel-local-AnomalyArchive',
        delivered: INPUT.length,
        location: join(outputsDir, 'AnomalyArchive'),
      },
    ]);
    const text = summary(report);
    expect(text).toContain(`output kinesis:AnomalyStream: ${INPUT.length} record(s) delivered to ${OUTPUT_STREAM}`);
    expect(text).toContain(`output firehose:AnomalyArchive: ${INPUT.length} record(s) delivered`);
  });

  it('sends the per-record anomalies as alerts, naming the record', () => {
    const aboveThreshold = new Set(rows.filter((r) => (r.anomaly_score as number) >= 2.5).map((r) => r.station_id));
    expect(report.messages.length).toBeGreaterThan(0);
    const keys = report.messages.map((m) => /^Key: +(\S+)$/m.exec(m.message)?.[1]);
    for (const k of keys) expect(aboveThreshold.has(k)).toBe(true);
    const s1 = report.messages.find((m) => m.message.includes('Input:      vehicle_count 400'));
    expect(s1?.subject).toContain('station-counts at S1');
    // The report lists the notified records (P# items), and the summary says so.
    expect(report.recordAlerts?.find((a) => a.key === 'S1' && a.score > 2.5)).toBeDefined();
    for (const a of report.recordAlerts ?? []) expect(aboveThreshold.has(a.key)).toBe(true);
    expect(summary(report)).toMatch(/per-record anomalies alerted: \d+ record\(s\)/);
  });
});
