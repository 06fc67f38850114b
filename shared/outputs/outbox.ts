import { StreamSentinelError } from '../errors';
import type { OutputSpec, RcfDetector, RecordsDetector } from '../detectors/schema';
import { defaultColumns, formatRow, type ResultRow } from './format';

/**
 * Where KDA-shaped results go (pure, over the OutputSink port): each detector's `outputs` resolved to targets, an
 * emission's rows formatted per output and handed to one sink per target at the end. The AWS sinks are ./aws.ts.
 *
 * Delivery is at least once, as KDA's was: a retried emission sends its rows again.
 */

/** A Kinesis stream or Firehose delivery stream, by the name or ARN the detector gave. */
export interface OutputTarget {
  service: 'kinesis' | 'firehose';
  /** The physical name: a declared name with the stage's prefix, or the name inside an ARN. */
  name: string;
  /** Set when the detector named an existing stream by ARN. */
  arn?: string;
  /** For messages and metrics: `kinesis:<name>`. */
  id: string;
}

export interface OutputRecord {
  data: Uint8Array;
  partitionKey: string;
}

/** The port: puts records on one target, all or throw (OutputNotDeliveredError). */
export interface OutputSink {
  put(records: readonly OutputRecord[]): Promise<void>;
}

export class OutputNotDeliveredError extends StreamSentinelError {}

const ARN = /^arn:aws[a-z-]*:(kinesis|firehose):[a-z0-9-]+:\d{12}:(?:stream|deliverystream)\/(.+)$/;

/**
 * A declared name becomes `<prefix><name>` (serverless.yml sets the prefix to `<service>-<stage>-`, the name the
 * package step gives the stream it creates, serverless/outputs.js); an ARN is used as is.
 */
export function resolveTarget(spec: OutputSpec, prefix: string): OutputTarget {
  const service = spec.kinesis !== undefined ? 'kinesis' : 'firehose';
  const given = (spec.kinesis ?? spec.firehose)!;
  const m = ARN.exec(given);
  if (m) return { service, name: m[2]!, arn: given, id: `${service}:${m[2]}` };
  return { service, name: `${prefix}${given}`, id: `${service}:${prefix}${given}` };
}

export type SinkFactory = (target: OutputTarget) => OutputSink;

export interface DeliveryStats {
  /** Records put, per target id. */
  records: Record<string, number>;
  total: number;
}

interface Route {
  target: OutputTarget;
  spec: OutputSpec;
  /** Firehose concatenates records in S3: one line each, so Athena and line readers can split them. */
  lineEnd: string;
}

const encoder = new TextEncoder();

/** The outputs of a function's detectors; `emission()` collects one emission's rows and delivers them. */
export class Outputs {
  private readonly routes = new Map<string, Route[]>();
  private readonly detectors = new Map<string, RcfDetector | RecordsDetector>();
  private readonly sinks = new Map<string, OutputSink>();

  constructor(
    detectors: ReadonlyArray<RcfDetector | RecordsDetector>,
    private readonly sinkFor: SinkFactory,
    prefix = '',
  ) {
    for (const d of detectors) {
      if (!d.outputs?.length) continue;
      this.detectors.set(d.name, d);
      this.routes.set(
        d.name,
        d.outputs.map((spec) => {
          const target = resolveTarget(spec, prefix);
          return { target, spec, lineEnd: target.service === 'firehose' ? '\n' : '' };
        }),
      );
    }
  }

  /** True when some detector has outputs (else nothing needs wrapping). */
  get any(): boolean {
    return this.routes.size > 0;
  }

  /** Whether a detector's results go anywhere. */
  has(detector: string): boolean {
    return this.routes.has(detector);
  }

  /** Every target, once each (for the cold-start log). */
  targets(): OutputTarget[] {
    const seen = new Map<string, OutputTarget>();
    for (const list of this.routes.values()) for (const r of list) seen.set(r.target.id, r.target);
    return [...seen.values()];
  }

  /** One emission's outbox: rows in, at the end one put per target. */
  emission(): Emission {
    return new Emission(this);
  }

  /** @internal The records a row becomes, per target id. */
  recordsOf(row: ResultRow): Array<{ target: OutputTarget; record: OutputRecord }> {
    const d = this.detectors.get(row.detector);
    const routes = this.routes.get(row.detector);
    if (!d || !routes) return [];
    return routes.map(({ target, spec, lineEnd }) => ({
      target,
      record: {
        data: encoder.encode(formatRow(row, spec.columns ?? defaultColumns(d, row), spec.format) + lineEnd),
        partitionKey: row.partitionKey,
      },
    }));
  }

  /** @internal */
  sink(target: OutputTarget): OutputSink {
    let sink = this.sinks.get(target.id);
    if (!sink) this.sinks.set(target.id, (sink = this.sinkFor(target)));
    return sink;
  }
}

export class Emission {
  private readonly pending = new Map<string, { target: OutputTarget; records: OutputRecord[] }>();

  constructor(private readonly outputs: Outputs) {}

  add(row: ResultRow): void {
    for (const { target, record } of this.outputs.recordsOf(row)) {
      let slot = this.pending.get(target.id);
      if (!slot) this.pending.set(target.id, (slot = { target, records: [] }));
      slot.records.push(record);
    }
  }

  /** Delivers what was added, targets in parallel; the first failure rejects (after the others settle). */
  async flush(): Promise<DeliveryStats> {
    const slots = [...this.pending.values()];
    this.pending.clear();
    const results = await Promise.allSettled(slots.map((s) => this.outputs.sink(s.target).put(s.records)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const records: Record<string, number> = {};
    for (const s of slots) records[s.target.id] = s.records.length;
    return { records, total: slots.reduce((n, s) => n + s.records.length, 0) };
  }
}
