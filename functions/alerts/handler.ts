import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ScheduledEvent } from 'aws-lambda';
import { dynamoDocumentClient } from '../../shared/aws/dynamodb';
import { snsClient } from '../../shared/aws/sns';
import { readAlertsConfig } from '../../shared/config/alerts';
import { BUILTIN_DEFAULTS, detectorsFilePath, loadDetectorsFile, type Detector } from '../../shared/detectors';
import { runAlerts, type AlertPublisher, type DetectorText, type RunSummary } from '../../shared/alerts';
import { DynamoAlertStore } from '../../shared/store/alerts';
import { SnsAlertPublisher } from '../../shared/aws/sns-publisher';
import { onFirstInvoke, withPowertools } from '../../shared/lambda/handler';

export interface AlertsDeps {
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  /** Used by the default SNS publisher; local mode passes its own publisher (SNS captured). */
  topicArn?: string;
  publisher?: AlertPublisher;
  /** detectors.yml: each detector's message template and threshold. Unknown detectors get the default wording. */
  detectors?: Detector[];
  cooldownSeconds?: number;
  digestThreshold?: number;
  claimTimeoutSeconds?: number;
  defaultThreshold?: number;
  retentionDays?: number;
  /** Items claimed per run at most (the rest wait for the next run). */
  maxItems?: number;
  /** Index entries per Scan page. */
  pageSize?: number;
  now?: () => number;
  logger?: Logger;
  metrics?: Metrics;
}

/** Some messages could not be published. Their anomalies stay pending and go out with the next run. */
export class AlertsDeliveryError extends Error {
  override readonly name = 'AlertsDeliveryError';
}

/** The defaults of serverless.yml's params, for callers (local mode, tests) that do not pass their own. */
export const ALERT_DEFAULTS = { cooldownSeconds: 900, digestThreshold: 5, claimTimeoutSeconds: 300, defaultThreshold: 2 } as const;

const detectorTexts = (detectors: Detector[] = []): Map<string, DetectorText & { threshold: number }> =>
  new Map(
    detectors.map((d) => [
      d.name,
      { kind: d.kind, message: d.message, threshold: d.threshold, ...(d.kind === 'hotspots' ? { columns: d.columns } : {}) },
    ]),
  );

/** One scheduled run, without middleware: what local mode and tests call, and what `handler` wraps. */
export function createAlertsRunner(deps: AlertsDeps): (metrics?: Metrics) => Promise<RunSummary> {
  const store = new DynamoAlertStore({
    client: deps.documentClient,
    tableName: deps.tableName,
    ...(deps.pageSize ? { pageSize: deps.pageSize } : {}),
    ...(deps.retentionDays ? { retentionDays: deps.retentionDays } : {}),
  });
  let publisher = deps.publisher;
  if (!publisher) {
    if (!deps.topicArn) throw new Error('createAlertsRunner: pass a publisher or a topicArn');
    publisher = new SnsAlertPublisher(snsClient(), deps.topicArn);
  }
  const detectors = detectorTexts(deps.detectors);
  const logger = deps.logger;
  return async (metrics) => {
    const summary = await runAlerts({
      store,
      publisher,
      cooldownSeconds: deps.cooldownSeconds ?? ALERT_DEFAULTS.cooldownSeconds,
      digestThreshold: deps.digestThreshold ?? ALERT_DEFAULTS.digestThreshold,
      claimTimeoutSeconds: deps.claimTimeoutSeconds ?? ALERT_DEFAULTS.claimTimeoutSeconds,
      defaultThreshold: deps.defaultThreshold ?? ALERT_DEFAULTS.defaultThreshold,
      detectors,
      tableName: deps.tableName,
      ...(deps.maxItems ? { maxItems: deps.maxItems } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      log: (level, message, extra) => logger?.[level](message, extra ?? {}),
    });
    metrics?.addMetric('AlertsSent', MetricUnit.Count, summary.sent);
    metrics?.addMetric('AlertsFailed', MetricUnit.Count, summary.failed);
    metrics?.addMetric('AlertsNotified', MetricUnit.Count, summary.notified);
    metrics?.addMetric('AlertsSuppressed', MetricUnit.Count, summary.suppressed);
    const { messageIds, ...counts } = summary;
    logger?.info('alerts run finished', { ...counts, messages: messageIds.length });
    if (summary.failed) {
      // Failing the invoke makes the function's Errors alarm fire; the items are already back in the index.
      throw new AlertsDeliveryError(
        `${summary.failed} of ${summary.failed + summary.sent} alert message(s) could not be published; their anomalies stay pending and are retried on the next run`,
      );
    }
    return summary;
  };
}

/** A middy handler (Powertools logger and metrics) around one run; local mode builds its own with its publisher. */
export function createAlertsHandler(deps: AlertsDeps) {
  const logger = deps.logger ?? new Logger();
  const metrics = deps.metrics ?? new Metrics();
  const run = createAlertsRunner({ ...deps, logger });
  return withPowertools((_event: ScheduledEvent): Promise<RunSummary> => run(metrics), logger, metrics);
}

const logger = new Logger();
const metrics = new Metrics();

/** Built on the first invoke (the cold start): a configuration problem fails it with a message saying what to fix. */
const runner = onFirstInvoke(() => {
  const config = readAlertsConfig();
  const detectors = loadDetectorsFile(config.detectorsFile ?? detectorsFilePath(), {
    ...BUILTIN_DEFAULTS,
    threshold: config.defaultThreshold,
  });
  return createAlertsRunner({
    documentClient: dynamoDocumentClient(),
    tableName: config.tableName,
    topicArn: config.topicArn,
    detectors,
    cooldownSeconds: config.cooldownSeconds,
    digestThreshold: config.digestThreshold,
    claimTimeoutSeconds: config.claimTimeoutSeconds,
    defaultThreshold: config.defaultThreshold,
    retentionDays: config.retentionDays,
    logger,
  });
});

export const handler = withPowertools((_event: ScheduledEvent): Promise<RunSummary> => runner()(metrics), logger, metrics);
