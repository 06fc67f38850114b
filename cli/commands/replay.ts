import type { Command } from 'commander';
import { z } from 'zod';
import type { ProduceSummary } from '../../shared/producers/put';
import type { ReplayRecord, ReplaySkip } from '../../shared/producers/replay';
import {
  CliOptionError,
  load,
  stderrIo,
  type CliIo,
  parseConcurrency,
  putWithProgress,
  targetOptions,
  toTargetOptions,
  type TargetCliOptions,
} from './produce';
import { optionValue, parseSpeed } from '../options';

/**
 * `stream-sentinel replay`: streams a CSV / NDJSON / concatenated-JSON file (local file or directory, S3
 * object or prefix) into the input stream as it is, keeping the records' event time, at the file's pace,
 * N× faster, or as fast as the stream accepts. Nothing is read whole and nothing is written to disk; gzip
 * files are decompressed as they stream. Kept rejects (`--format rejects`, or detected) send the records they
 * kept.
 */

const replayOptionsSchema = z.object({
  format: z.enum(['auto', 'csv', 'ndjson', 'json-concat', 'rejects'], {
    message: '--format is one of auto, csv, ndjson, json-concat, rejects',
  }),
  timeField: z.string().min(1).optional(),
  keyField: z.string().min(1).optional(),
  from: z
    .string()
    .regex(/^\d+$/, "--from is a byte offset (a previous run's position; uncompressed bytes for a gzip file)")
    .transform(Number)
    .optional(),
});

export interface ReplayCliOptions extends TargetCliOptions {
  speed: string;
  format: string;
  timeField?: string;
  keyField?: string;
  from?: string;
}

export async function runReplay(source: string, opts: ReplayCliOptions, io: CliIo = stderrIo): Promise<ProduceSummary<ReplayRecord>> {
  const parsed = replayOptionsSchema.safeParse(opts);
  if (!parsed.success) throw new CliOptionError(parsed.error.issues.map((i) => i.message).join('; '));
  const o = { ...parsed.data, speed: optionValue('--speed', opts.speed, parseSpeed) };
  const concurrency = parseConcurrency(opts.concurrency);
  const skipped = { repeat: 0, cut: 0 };
  const read = {
    format: o.format,
    onSkip: (skip: ReplaySkip) => skipped[skip.reason]++,
    ...(o.timeField ? { timeField: o.timeField } : {}),
    ...(o.keyField ? { keyField: o.keyField } : {}),
  };
  const { isS3Uri } = load<typeof import('../../shared/producers/s3')>('../../shared/producers/s3');
  let records: AsyncIterable<ReplayRecord & { file: string }>;
  if (isS3Uri(source)) {
    const { s3Client } = load<typeof import('../../shared/aws/clients')>('../../shared/aws/clients');
    const { s3ReplayRecords } = load<typeof import('../../shared/producers/replay-s3')>('../../shared/producers/replay-s3');
    records = s3ReplayRecords(s3Client(opts.region ? { region: opts.region } : {}), source, {
      ...read,
      ...(o.from ? { from: o.from } : {}),
    });
  } else {
    const { existsSync } = load<typeof import('node:fs')>('node:fs');
    if (!existsSync(source)) throw new CliOptionError(`${source} does not exist: give a file, a directory of files, or s3://bucket/key`);
    const { readReplayFile, replayFiles } = load<typeof import('../../shared/producers/replay')>('../../shared/producers/replay');
    if (o.from && replayFiles(source).length > 1) throw new CliOptionError('--from applies to a single file, not a directory');
    records = readReplayFile(source, { ...read, ...(o.from ? { startOffset: o.from } : {}) });
  }

  const { resolveTarget } = load<typeof import('../../shared/producers/target')>('../../shared/producers/target');
  const target = await resolveTarget(toTargetOptions(opts));
  io.log(
    `replay ${source} into ${target.description} ${o.speed === 'max' ? 'as fast as the stream accepts' : `at ${o.speed}× the file's pace`}`,
  );
  // Ctrl-C ends the replay cleanly: what was taken lands, and the summary says where to continue.
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  process.once('SIGINT', onSigint);
  try {
    const summary = await putWithProgress(
      'replay',
      target,
      { records, concurrency, ...(o.speed !== 'max' ? { speed: o.speed } : {}), shouldStop: () => interrupted },
      io,
    );
    if (skipped.repeat + skipped.cut > 0) {
      io.log(
        `  kept rejects not sent: ${skipped.repeat} repeating a record already sent, ${skipped.cut} with data cut at 64 KiB when kept (not the record that arrived)`,
      );
    }
    if (summary.stopped && summary.lastRecord) {
      io.log(
        `  interrupted after ${summary.lastRecord.file} byte ${summary.lastRecord.offset}: continue that file with --from ${summary.lastRecord.offset}`,
      );
    }
    if (summary.sent > 0 && !summary.firstEventTime && o.speed !== 'max') {
      io.log(
        '  no record had an event time (see --time-field), so there was no pace to keep: they were sent as fast as the stream accepts',
      );
    }
    return summary;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export function register(program: Command): void {
  const command = program
    .command('replay')
    .description(
      'Stream a CSV, NDJSON, concatenated-JSON or kept-rejects file, gzip or not (or a directory, S3 object, S3 prefix/) into the input stream, keeping event time',
    )
    .argument('<source>', 'a file, a directory (its files in name order), s3://bucket/key, or s3://bucket/prefix/')
    .option(
      '--speed <n|max>',
      "pace: 1 = the file's own (by its time field), 10 = ten times faster, max = as fast as the stream accepts",
      '1',
    )
    .option(
      '--format <format>',
      'auto | csv | ndjson | json-concat | rejects (auto: "{" first means JSON objects, kept rejects when the first has reason, data and sequenceNumber; else CSV)',
      'auto',
    )
    .option(
      '--time-field <field>',
      'field with the event time (CSV: header name or column number); default: timestamp, time, date, … or the first date-like CSV column',
    )
    .option(
      '--key-field <field>',
      'field used as partition key; default: key, station, location, player_id, url, ticker_symbol, … else the file name',
    )
    .option(
      '--from <offset>',
      'start at this byte offset of a single file (where an interrupted replay or the replay Lambda stopped; uncompressed bytes for gzip)',
    );
  targetOptions(command).addHelpText(
    'after',
    `
Records go to the stream as they are in the file (the CSV line, the JSON object's text); a CSV header is not sent.
Gzip files and objects (by their first bytes, whatever their name) are decompressed as they stream.
Kept rejects (JSON lines under rejects/): each line's "data" is sent, with its "partitionKey", once per record.

Examples:
  stream-sentinel replay ../shared/data/nab/data/realKnownCause/nyc_taxi.csv --local --speed max
  stream-sentinel replay ../shared/data/ticker-firehose --local --speed max
  stream-sentinel replay s3://my-archive/raw/year=2026/month=11/day=22/ --stage dev --speed 60
  stream-sentinel replay s3://my-archive/rejects/year=2026/month=11/day=22/ --stage dev --format rejects --speed max`,
  );
  command.action(async (source: string, opts: ReplayCliOptions) => {
    await runReplay(source, opts);
  });
}
