import { appendFileSync, mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  waitUntilStreamExists,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { firehoseClient } from '../shared/aws/firehose';
import type { Detector, RcfDetector, RecordsDetector } from '../shared/detectors';
import { Outputs, type OutputTarget } from '../shared/outputs';
import { awsSinks } from '../shared/outputs/aws';
import { listenCapture, type RunningServer } from './emulators';

/**
 * The detectors' KDA-shaped outputs in local mode (issue 15 item 2): what the deployed stage's package step creates
 * (serverless/outputs.js) made locally — a kinesalite stream per `kinesis:` output, named with the stage's
 * OUTPUT_NAME_PREFIX as in the cloud, and a Firehose capture for `firehose:` outputs that appends what a delivery
 * stream would have put in S3 (one line per result) under `.stream-sentinel/outputs/<name>/`. The windows function
 * gets the same Outputs the deployed one builds at cold start (shared/outputs/setup.ts), with local endpoints.
 */

/** serverless.yml's `OUTPUT_NAME_PREFIX: ${self:service}-${sls:stage}-` for a local stage. */
export const localOutputPrefix = (stage: string): string => `stream-sentinel-${stage}-`;

export const DEFAULT_OUTPUTS_DIR = resolve(process.cwd(), '.stream-sentinel/outputs');

/** One output of the run, for the summary and `--report`. */
export interface OutputReport {
  /** As the detectors file declares it: `kinesis:AnomalyStream`, `firehose:arn:…`. */
  output: string;
  /** The stream or delivery stream the records were put on. */
  name: string;
  /** Records delivered (on the stream, or lines captured). */
  delivered: number;
  /** Firehose: the directory the lines are in. */
  location?: string;
}

/**
 * Firehose's PutRecordBatch and PutRecord, answered in its JSON protocol, each record's bytes appended to
 * `<dir>/<declared name>/<run>.jsonl` (records already end with a line break, as the outputs write them for S3).
 */
export class FirehoseCapture {
  private readonly counts = new Map<string, number>();
  private readonly file = `${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`;

  constructor(
    readonly dir: string,
    /** Stripped from delivery stream names: the directory is the declared name, as the S3 prefix outputs/<name>/ is. */
    private readonly prefix: string,
  ) {}

  delivered(name: string): number {
    return this.counts.get(name) ?? 0;
  }

  dirOf(name: string): string {
    return join(this.dir, name.startsWith(this.prefix) ? name.slice(this.prefix.length) : name);
  }

  listen(port = 0): Promise<RunningServer> {
    return listenCapture((body, req, res) => this.handle(body, req, res), port);
  }

  private async handle(text: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const action = String(req.headers['x-amz-target'] ?? '').replace(/^Firehose_20150804\./, '');
    res.setHeader('Content-Type', 'application/x-amz-json-1.1');
    let body: { DeliveryStreamName?: string; Records?: Array<{ Data?: string }>; Record?: { Data?: string } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = {};
    }
    const name = body.DeliveryStreamName;
    const records = action === 'PutRecordBatch' ? body.Records : action === 'PutRecord' && body.Record ? [body.Record] : undefined;
    if (!name || !records) {
      res.statusCode = 400;
      res.end(
        JSON.stringify({
          __type: 'InvalidArgumentException',
          message: `local Firehose capture takes PutRecordBatch and PutRecord with a DeliveryStreamName, not ${action || '(none)'}`,
        }),
      );
      return;
    }
    const dir = this.dirOf(name);
    mkdirSync(dir, { recursive: true });
    appendFileSync(join(dir, this.file), Buffer.concat(records.map((r) => Buffer.from(r.Data ?? '', 'base64'))));
    this.counts.set(name, this.delivered(name) + records.length);
    const ids = records.map(() => ({ RecordId: randomUUID() }));
    res.end(
      JSON.stringify(
        action === 'PutRecordBatch' ? { FailedPutCount: 0, Encrypted: false, RequestResponses: ids } : { ...ids[0], Encrypted: false },
      ),
    );
  }
}

/** Records on a stream, all shards (a local run's outputs are small). */
async function countStream(client: KinesisClient, streamName: string): Promise<number> {
  let n = 0;
  for (const shard of (await client.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? []) {
    let iterator = (
      await client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))
    ).ShardIterator;
    for (;;) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator!, Limit: 10_000 }));
      n += page.Records?.length ?? 0;
      if (!page.Records?.length || !page.NextShardIterator) break;
      iterator = page.NextShardIterator;
    }
  }
  return n;
}

export interface LocalOutputs {
  /** What the windows function delivers through (undefined when no detector has outputs). */
  outputs?: Outputs;
  /** The Firehose capture's endpoint, when some output is a Firehose. */
  firehoseEndpoint?: string;
  report(): Promise<OutputReport[]>;
  close(): Promise<void>;
}

/**
 * Creates the detectors' output streams in kinesalite and, when needed, the Firehose capture, and builds the Outputs
 * the windows function delivers through. An output given by ARN (an existing stream in the cloud) is made locally
 * under the ARN's stream name and delivered to by name.
 */
export async function startLocalOutputs(
  detectors: readonly Detector[],
  options: { kinesis: KinesisClient; kinesisEndpoint: string; region: string; stage: string; dir?: string },
): Promise<LocalOutputs> {
  const scoring = detectors.filter((d): d is RcfDetector | RecordsDetector => d.kind !== 'hotspots');
  const prefix = localOutputPrefix(options.stage);
  const capture = new FirehoseCapture(options.dir ?? DEFAULT_OUTPUTS_DIR, prefix);
  let server: RunningServer | undefined;
  const local = (t: OutputTarget): OutputTarget => ({ service: t.service, name: t.name, id: t.id });
  const sinks = awsSinks({
    kinesis: () => options.kinesis,
    firehose: () => firehoseClient({ endpoint: server!.endpoint, region: options.region }),
  });
  const outputs = new Outputs(scoring, (target) => sinks(local(target)), prefix);
  if (!outputs.any) return { report: async () => [], close: async () => undefined };

  const targets = outputs.targets();
  for (const t of targets.filter((x) => x.service === 'kinesis')) {
    // One shard, as the package step declares it.
    await options.kinesis.send(new CreateStreamCommand({ StreamName: t.name, ShardCount: 1 }));
    await waitUntilStreamExists({ client: options.kinesis, maxWaitTime: 30 }, { StreamName: t.name });
  }
  if (targets.some((t) => t.service === 'firehose')) server = await capture.listen();
  const declared = (t: OutputTarget): string => {
    for (const d of scoring)
      for (const o of d.outputs ?? []) {
        const given = (o.kinesis ?? o.firehose)!;
        const service = o.kinesis !== undefined ? 'kinesis' : 'firehose';
        if (service === t.service && (t.arn ? given === t.arn : `${prefix}${given}` === t.name)) return `${service}:${given}`;
      }
    return t.id;
  };
  return {
    outputs,
    ...(server ? { firehoseEndpoint: server.endpoint } : {}),
    report: async () =>
      Promise.all(
        targets.map(async (t) =>
          t.service === 'kinesis'
            ? { output: declared(t), name: t.name, delivered: await countStream(options.kinesis, t.name) }
            : { output: declared(t), name: t.name, delivered: capture.delivered(t.name), location: capture.dirOf(t.name) },
        ),
      ),
    close: async () => {
      await server?.close();
    },
  };
}
