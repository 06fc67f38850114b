import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { kinesisClient } from '../shared/aws/clients';
import { readReplayFile, readReplayRecords, scenarios, type ProducedRecord } from '../shared/producers';
import { produce } from '../shared/producers/put';
import { withConditions } from '../shared/producers/realism';
import { createStream, startKinesalite } from '../test/support/emulators';
import { LAMBDA_ESBUILD_OPTIONS } from './lambda-bundle';
import type { BenchReport } from './types';

const ROOT = resolve(__dirname, '..');
const TICKER = resolve(ROOT, '../shared/data/ticker-firehose');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Records generated per second per scenario, no I/O: the generators must never be the bottleneck. */
function generatorRates(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, scenario] of Object.entries(scenarios)) {
    const rates: number[] = [];
    for (let run = 0; run < 5; run++) {
      const started = process.hrtime.bigint();
      let n = 0;
      for (const _ of scenario.generate({ seed: run, rate: 1000, start: Date.UTC(2026, 0, 1), duration: 100 })) n++;
      rates.push(n / (Number(process.hrtime.bigint() - started) / 1e9));
    }
    out[name] = median(rates);
  }
  return out;
}

/** Toll records per second through the field producers' transforms (latency, flushes, ±4 s clocks), no I/O. */
function realismRate(): number {
  const rates: number[] = [];
  const conditions = {
    latency: { kind: 'uniform' as const, minMs: 0, maxMs: 3000 },
    flushMs: 5000,
    clockSkew: { kind: 'spread' as const, ms: 4000 },
  };
  for (let run = 0; run < 5; run++) {
    const generated = scenarios.toll.generate({ seed: run, rate: 1000, start: Date.UTC(2026, 0, 1), duration: 100 });
    const started = process.hrtime.bigint();
    let n = 0;
    for (const _ of withConditions(generated, { ...conditions, seed: run })) n++;
    rates.push(n / (Number(process.hrtime.bigint() - started) / 1e9));
  }
  return median(rates);
}

/** MB/s of the incremental concatenated-JSON reader over all of ticker-firehose: from disk, and from memory. */
async function readerRates(): Promise<{ fromDisk: number; inMemory: number; objects: number }> {
  const files = readdirSync(TICKER).sort();
  const bytes = files.reduce((n, f) => n + statSync(join(TICKER, f)).size, 0);
  const contents = files.map((f) => readFileSync(join(TICKER, f)));
  const disk: number[] = [];
  const memory: number[] = [];
  let objects = 0;
  for (let run = 0; run < 3; run++) {
    let started = process.hrtime.bigint();
    objects = 0;
    for await (const _ of readReplayFile(TICKER)) objects++;
    disk.push(bytes / 1e6 / (Number(process.hrtime.bigint() - started) / 1e9));
    started = process.hrtime.bigint();
    let n = 0;
    for await (const _ of readReplayRecords(
      (async function* () {
        yield* contents;
      })(),
    ))
      n++;
    memory.push(bytes / 1e6 / (Number(process.hrtime.bigint() - started) / 1e9));
    if (n !== objects) throw new Error(`the reader disagrees with itself: ${n} vs ${objects}`);
  }
  return { fromDisk: median(disk), inMemory: median(memory), objects };
}

export default async function bench(): Promise<BenchReport> {
  const kinesalite = await startKinesalite();
  const client = kinesisClient({ endpoint: kinesalite.endpoint });
  let stream = 0;
  const figures: Record<string, number | string> = {};
  const table: Array<Record<string, number | string>> = [];
  try {
    // Unpaced produce throughput: 50 000 toll records into a 4-shard stream, by PutRecords calls in flight.
    const records: ProducedRecord[] = [...scenarios.toll.generate({ seed: 1, rate: 500, start: Date.UTC(2026, 0, 1), duration: 100 })];
    let best = 0;
    for (const concurrency of [1, 2, 4, 8]) {
      const streamName = await createStream(kinesalite.endpoint, `bench-${++stream}`, 4);
      const s = await produce({ client, streamName, records, concurrency });
      if (s.sent !== records.length) throw new Error(`sent ${s.sent} of ${records.length}`);
      best = Math.max(best, s.recordsPerSecond);
      table.push({
        run: `toll, unpaced, concurrency ${concurrency}`,
        records: s.sent,
        'records/s': round(s.recordsPerSecond),
        'PutRecords calls': s.requests,
        'KiB/s': round(s.bytes / 1024 / (s.elapsedMs / 1000)),
      });
    }
    figures['produce throughput, best (records/s)'] = round(best);
    figures['produce throughput, default concurrency 2 (records/s)'] = table[1]!['records/s']!;

    // Replay throughput: all of ticker-firehose (concatenated JSON, 60 files) at --speed max.
    const tickerStream = await createStream(kinesalite.endpoint, `bench-${++stream}`, 4);
    const replay = await produce({ client, streamName: tickerStream, records: readReplayFile(TICKER), concurrency: 4 });
    table.push({
      run: 'replay ticker-firehose, max, concurrency 4',
      records: replay.sent,
      'records/s': round(replay.recordsPerSecond),
      'PutRecords calls': replay.requests,
      'KiB/s': round(replay.bytes / 1024 / (replay.elapsedMs / 1000)),
    });
    figures['replay throughput, ticker-firehose (records/s)'] = round(replay.recordsPerSecond);

    // Paced produce: the CLI's real-time pacing (by event time, 1×) and the token bucket should both hold the rate.
    const rate = 1000;
    const paced = [...scenarios.clicks.generate({ seed: 2, rate, start: Date.UTC(2026, 0, 1), duration: 5 })];
    const pacedRates: Record<string, number> = {};
    for (const [how, pacing] of [
      ['event time 1×', { speed: 1 }],
      ['token bucket', { rate }],
    ] as const) {
      const streamName = await createStream(kinesalite.endpoint, `bench-${++stream}`, 2);
      const p = await produce({ client, streamName, records: paced, ...pacing });
      // Over the span between the first and the last record: n − 1 intervals.
      const achieved = ((p.sent - 1) * 1000) / p.elapsedMs;
      pacedRates[how] = achieved;
      table.push({
        run: `clicks, paced at ${rate}/s (${how})`,
        records: p.sent,
        'records/s': round(achieved, 1),
        'PutRecords calls': p.requests,
        'KiB/s': round(p.bytes / 1024 / (p.elapsedMs / 1000)),
      });
      figures[`paced produce at ${rate} records/s, ${how}: achieved (records/s)`] = round(achieved, 1);
      figures[`paced produce, ${how}: PutRecords calls per second`] = round(p.requests / (p.elapsedMs / 1000), 1);
    }

    const generators = generatorRates();
    for (const [name, r] of Object.entries(generators)) figures[`generator ${name} (records/s, no I/O)`] = round(r);
    const realism = realismRate();
    figures['generator toll with --latency 0-3s --flush 5s --clock-skew ±4s (records/s, no I/O)'] = round(realism);
    const reader = await readerRates();
    figures['concatenated-JSON reader over ticker-firehose (MB/s, from disk)'] = round(reader.fromDisk, 1);
    figures['concatenated-JSON reader over ticker-firehose (MB/s, in memory)'] = round(reader.inMemory, 1);
    figures['ticker-firehose objects'] = reader.objects;

    // The replay Lambda's bundle (esbuild, minified, the SDK included as serverless.yml bundles it).
    const bundle = await build({ ...LAMBDA_ESBUILD_OPTIONS, entryPoints: [join(ROOT, 'functions/replay/handler.ts')], write: false });
    figures['replay Lambda bundle (KB)'] = round(bundle.outputFiles[0]!.contents.byteLength / 1024);

    const shardLimit = 1000;
    return {
      name: 'produce',
      figures,
      table,
      targets: [
        {
          name: 'produce throughput against kinesalite saturates a shard (records/s)',
          value: round(best),
          target: `≥ ${shardLimit} (one shard's write limit)`,
          met: best >= shardLimit,
        },
        ...Object.entries(pacedRates).map(([how, achieved]) => ({
          name: `paced rate held, ${how} (requested ${rate}/s)`,
          value: round(achieved, 1),
          target: `within 2 % of ${rate}`,
          met: Math.abs(achieved - rate) / rate <= 0.02,
        })),
        {
          name: 'generators faster than any stream (slowest scenario, records/s)',
          value: round(Math.min(...Object.values(generators))),
          target: '≥ 100000',
          met: Math.min(...Object.values(generators)) >= 100_000,
        },
        {
          name: "field producers' transforms faster than any stream (toll, latency + flush + skew, records/s)",
          value: round(realism),
          target: '≥ 100000',
          met: realism >= 100_000,
        },
      ],
    };
  } finally {
    client.destroy();
    await kinesalite.close();
  }
}
