import { setTimeout as delay } from 'node:timers/promises';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { ScanCommand as DocumentScanCommand } from '@aws-sdk/lib-dynamodb';
import { PK_PREFIX } from '../shared/store/keys';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { dynamoClient, dynamoDocumentClient, kinesisClient } from '../shared/aws/clients';
import { kinesisEventSourceDefinition } from './definitions';
import { startDashboard, type Dashboard } from './dashboard/server';
import { TableReader } from './dashboard/data';
import { KinesisEventSource, type InvokeReport, type OnFailureRecord, type StreamHandler } from './event-source';
import { reportAlerts, reportRecordAlerts, reportWindows, topRejectReasons, type RunReport } from './report';
import type { CapturedMessage } from './sns-capture';
import type { OutputReport } from './outputs';
import { startLocalStack, type LocalStack, type LocalStackOptions } from './stack';

/**
 * Local mode: the emulators, the real handlers in this process behind the event-source emulator, the
 * alerts function on a short schedule with SNS captured, a record source (scenario or replay file), the
 * dashboard, and a report. The handlers and the record source are passed in, so the run itself knows
 * nothing about detectors or scenarios.
 */

/** The functions of the service, created in-process against the local stack. */
export interface LocalPipeline {
  windows: StreamHandler;
  hotspots?: StreamHandler;
  /** One scheduled run of the alerts function. */
  runAlerts(): Promise<void>;
  /** Records rejected so far (undecodable, failing the schema). */
  rejected(): number;
  /** The rejects kept so far (their reasons go in the report). */
  rejects?(): ReadonlyArray<{ reason: string; detector?: string; data: string }>;
  /** Threshold drawn for windows without one. */
  defaultThreshold?: number;
  /** The detectors' outputs with the records delivered to each (absent when no detector has outputs). */
  outputs?(): Promise<OutputReport[]>;
  close?(): Promise<void>;
}

export type PipelineFactory = (stack: LocalStack) => Promise<LocalPipeline>;

/** Puts records into the input stream: a scenario in compressed event time, or a replayed file. */
export interface RecordSource {
  /** One line for the terminal, e.g. "toll scenario, seed 7, 240 s of event time at 8× speed". */
  description: string;
  /** Records it will put (undefined when it runs until stopped). */
  total?: number;
  /** Anomalies the scenario injected, with the event-time window they fall in. */
  injected: RunReport['injected'];
  /** Puts everything (or until stop()); resolves with the number of records put. */
  run(client: KinesisClient, streamName: string, onProgress: (put: number) => void): Promise<number>;
  stop(): void;
}

export type RunEvent =
  | { type: 'started'; stack: LocalStack; dashboardUrl?: string; source: string }
  | { type: 'progress'; progress: RunProgress }
  | { type: 'alert'; message: CapturedMessage }
  | { type: 'failure'; failure: OnFailureRecord }
  | { type: 'phase'; phase: 'producing' | 'draining' | 'alerting' | 'reporting' | 'done' }
  | { type: 'finished'; report: RunReport }
  /** The report is out; the stack and dashboard stay up until stop() (exitWhenDone: false). */
  | { type: 'holding'; dashboardUrl?: string };

export interface RunProgress {
  produced: number;
  total?: number;
  processed: number;
  windows: number;
  anomalies: number;
  alerts: number;
  rejected: number;
  invokes: number;
}

export interface RunOptions {
  pipeline: PipelineFactory;
  source: RecordSource;
  /** Length of the event-source emulator's tumbling window, in wall-clock seconds (default 1). */
  tumblingWindowSeconds?: number;
  /** How often the alerts function runs (default every second). */
  alertIntervalMs?: number;
  /** Serve the dashboard (default true). */
  dashboard?: boolean | { port?: number };
  /** Where to write the report, if anywhere. */
  reportFile?: string;
  stack?: LocalStackOptions;
  /**
   * Stop after the source is done, everything drained and the report written (default); false then keeps the
   * stack and dashboard up until stop(), so the dashboard can still be looked at.
   */
  exitWhenDone?: boolean;
  onEvent?: (event: RunEvent) => void;
  /** Scenario metadata copied into the report. */
  meta?: Pick<RunReport, 'scenario' | 'replay' | 'seed'>;
}

export interface LocalRun {
  stack: LocalStack;
  dashboardUrl?: string;
  /**
   * Resolves with the report once the run has finished (source done, drained, alerts sent, report written)
   * and, with exitWhenDone: false, once stop() has ended the hold.
   */
  finished: Promise<RunReport>;
  /** Ends the source early (Ctrl-C); the run then drains, alerts and reports as usual. After the report: ends the hold. */
  stop(): void;
}

/** Per-record items (P#): a local table is small enough to scan. */
async function recordItems(stack: LocalStack): Promise<Array<Record<string, unknown>>> {
  const client = dynamoDocumentClient({ endpoint: stack.dynamodbEndpoint, region: stack.region });
  const out: Array<Record<string, unknown>> = [];
  try {
    let start: Record<string, unknown> | undefined;
    do {
      const res = await client.send(
        new DocumentScanCommand({
          TableName: stack.tableName,
          FilterExpression: 'begins_with(pk, :p)',
          ExpressionAttributeValues: { ':p': PK_PREFIX.record },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      out.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
  } finally {
    client.destroy();
  }
  return out;
}

/** Windows still carrying the pending-alert marker (the sparse index: cheap even on a big table). */
async function pendingAlerts(stack: LocalStack): Promise<number> {
  const client = dynamoClient({ endpoint: stack.dynamodbEndpoint, region: stack.region });
  try {
    const res = await client.send(new ScanCommand({ TableName: stack.tableName, IndexName: 'pending-alerts', Select: 'COUNT' }));
    return res.Count ?? 0;
  } finally {
    client.destroy();
  }
}

export async function startLocalRun(options: RunOptions): Promise<LocalRun> {
  const emit = (event: RunEvent) => options.onEvent?.(event);
  const stack = await startLocalStack(options.stack);
  const cleanup: Array<() => Promise<void>> = [() => stack.close()];
  const closeAll = async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  };
  try {
    const pipeline = await options.pipeline(stack);
    if (pipeline.close) cleanup.push(() => pipeline.close!());
    const kinesis = kinesisClient({ endpoint: stack.kinesisEndpoint, region: stack.region });
    const dynamo = dynamoClient({ endpoint: stack.dynamodbEndpoint, region: stack.region });
    cleanup.push(async () => {
      kinesis.destroy();
      dynamo.destroy();
    });
    stack.sns.onMessage((message) => emit({ type: 'alert', message }));

    const tumblingWindowSeconds = options.tumblingWindowSeconds ?? 1;
    const sources: KinesisEventSource[] = [];
    const onFailure = (failure: OnFailureRecord) => emit({ type: 'failure', failure });
    let invokes = 0;
    const onInvoke = (_: InvokeReport) => void invokes++;
    for (const [name, handler] of [
      ['windows', pipeline.windows],
      ['hotspots', pipeline.hotspots],
    ] as const) {
      if (!handler) continue;
      // The mapping's settings come from functions/<name>/function.yml, except the window length:
      // event time is compressed locally, so arrival-time windows are short to keep final invokes prompt.
      const declared = kinesisEventSourceDefinition(name);
      sources.push(
        new KinesisEventSource({
          client: kinesis,
          streamName: stack.streamName,
          streamArn: stack.streamArn,
          region: stack.region,
          functionName: `stream-sentinel-local-${name}`,
          handler,
          tumblingWindowSeconds,
          ...(declared?.batchSize ? { batchSize: declared.batchSize } : {}),
          ...(declared
            ? { reportBatchItemFailures: declared.reportBatchItemFailures, bisectBatchOnFunctionError: declared.bisectBatchOnFunctionError }
            : {}),
          ...(declared?.maximumRetryAttempts !== undefined ? { maximumRetryAttempts: declared.maximumRetryAttempts } : {}),
          onFailure,
          onInvoke,
        }),
      );
    }
    for (const s of sources) await s.start();
    cleanup.push(async () => {
      for (const s of sources) await s.stop();
    });
    const windowsSource = sources[0]!;

    const reader = new TableReader(dynamo, stack.tableName, { keysTtlMs: 0 });
    let dashboard: Dashboard | undefined;
    const progress: RunProgress = { produced: 0, processed: 0, windows: 0, anomalies: 0, alerts: 0, rejected: 0, invokes: 0 };
    if (options.source.total !== undefined) progress.total = options.source.total;
    if (options.dashboard !== false) {
      dashboard = await startDashboard({
        client: dynamo,
        tableName: stack.tableName,
        ...(typeof options.dashboard === 'object' && options.dashboard.port ? { port: options.dashboard.port } : {}),
        defaultThreshold: pipeline.defaultThreshold ?? 2,
        messages: () => stack.sns.messages,
        status: () => ({ ...progress }),
        title: 'stream-sentinel · local mode',
      });
      cleanup.push(() => dashboard!.close());
    }

    // The alerts function on its schedule; runs never overlap, as one scheduled Lambda at a time.
    let alerting = true;
    const alertErrors: string[] = [];
    const alertLoop = (async () => {
      while (alerting) {
        await pipeline.runAlerts().catch((e: unknown) => void alertErrors.push(e instanceof Error ? e.message : String(e)));
        await delay(options.alertIntervalMs ?? 1000);
      }
    })();
    cleanup.push(async () => {
      alerting = false;
      await alertLoop;
    });

    let monitoring = true;
    const refresh = async () => {
      const all = await reader.all().catch(() => undefined);
      if (all) {
        const points = all.flatMap((s) => s.points);
        progress.windows = points.length;
        progress.anomalies = points.filter((p) => p.scored !== false && p.score >= (p.threshold ?? pipeline.defaultThreshold ?? 2)).length;
      }
      progress.processed = windowsSource.stats.recordsDelivered;
      progress.alerts = stack.sns.messages.length;
      progress.rejected = pipeline.rejected();
      progress.invokes = invokes;
      emit({ type: 'progress', progress: { ...progress } });
    };
    const monitorLoop = (async () => {
      while (monitoring) {
        await refresh();
        await delay(500);
      }
    })();
    cleanup.push(async () => {
      monitoring = false;
      await monitorLoop;
    });

    emit({ type: 'started', stack, ...(dashboard ? { dashboardUrl: dashboard.url } : {}), source: options.source.description });

    let stopRequested = false;
    let releaseHold: () => void = () => undefined;
    const hold = new Promise<void>((ok) => (releaseHold = ok));
    const startedAt = new Date();

    const finished = (async (): Promise<RunReport> => {
      try {
        emit({ type: 'phase', phase: 'producing' });
        const produced = await options.source.run(kinesis, stack.streamName, (n) => {
          progress.produced = n;
        });
        progress.produced = produced;
        const producedAt = Date.now();
        emit({ type: 'phase', phase: 'draining' });
        for (const s of sources) await s.drained(producedAt, 10 * 60_000);
        emit({ type: 'phase', phase: 'alerting' });
        // Two scheduled runs in a row without anything pending: every alert owed has gone out.
        for (let quiet = 0, tries = 0; quiet < 2 && tries < 60; tries++) {
          await pipeline.runAlerts();
          quiet = (await pendingAlerts(stack)) === 0 ? quiet + 1 : 0;
        }
        await refresh();
        emit({ type: 'phase', phase: 'reporting' });
        const all = await reader.all();
        const finishedAt = new Date();
        const wallSeconds = (finishedAt.getTime() - startedAt.getTime()) / 1000;
        const report: RunReport = {
          produced,
          processed: windowsSource.stats.recordsDelivered,
          rejected: pipeline.rejected(),
          ...(pipeline.rejects && pipeline.rejected() > 0 ? { rejectReasons: topRejectReasons(pipeline.rejects()) } : {}),
          injected: options.source.injected,
          windows: reportWindows(all),
          alerts: reportAlerts(all, stack.sns.messages),
          ...(pipeline.outputs ? { outputs: await pipeline.outputs() } : {}),
          ...(await recordItems(stack).then((items) => {
            const recordAlerts = reportRecordAlerts(items);
            return recordAlerts.length ? { recordAlerts } : {};
          })),
          ...options.meta,
          startedAt: startedAt.toISOString(),
          finishedAt: finishedAt.toISOString(),
          wallSeconds,
          recordsPerSecond: Math.round(produced / Math.max(wallSeconds, 0.001)),
          eventSource: { ...windowsSource.stats },
          onFailure: sources.reduce((n, s) => n + s.failures.length, 0),
          messages: stack.sns.messages.map(({ messageId, subject, message, sentAt }) => ({
            messageId,
            ...(subject !== undefined ? { subject } : {}),
            message,
            sentAt,
          })),
        };
        if (alertErrors.length) console.warn(`alerts function failed ${alertErrors.length} time(s); last: ${alertErrors.at(-1)}`);
        if (options.reportFile) {
          mkdirSync(dirname(options.reportFile), { recursive: true });
          writeFileSync(options.reportFile, JSON.stringify(report, null, 2) + '\n');
        }
        emit({ type: 'finished', report });
        if (options.exitWhenDone === false && !stopRequested) {
          emit({ type: 'holding', ...(dashboard ? { dashboardUrl: dashboard.url } : {}) });
          await hold;
        }
        return report;
      } finally {
        await closeAll();
        emit({ type: 'phase', phase: 'done' });
      }
    })();

    return {
      stack,
      ...(dashboard ? { dashboardUrl: dashboard.url } : {}),
      finished,
      stop: () => {
        stopRequested = true;
        options.source.stop();
        releaseHold();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
