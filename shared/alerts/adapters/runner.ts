import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { snsClient } from '../../aws/sns';
import { SnsAlertPublisher } from '../../aws/sns-publisher';
import { CONFIG_DEFAULTS } from '../../config/env';
import type { Detector } from '../../detectors';
import { StreamSentinelError } from '../../errors';
import type { Logger } from '../../lambda/logger';
import { DynamoAlertStore } from '../../store/alerts';
import type { DetectorText } from '../format';
import { runAlerts, type RunSummary } from '../run';
import type { AlertPublisher } from '../types';

/**
 * The alerts run wired to its adapters: the data table (shared/store/alerts.ts), the topic
 * (shared/aws/sns-publisher.ts) and the function's metrics. What the Lambda handler, local mode and the tests
 * call; the run itself (shared/alerts/run.ts) knows only its two ports.
 */

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
export class AlertsDeliveryError extends StreamSentinelError {}

/** The configuration defaults (shared/config/env.ts), for callers (local mode, tests) that do not pass their own. */
export const ALERT_DEFAULTS = {
  cooldownSeconds: CONFIG_DEFAULTS.alertCooldownSeconds,
  digestThreshold: CONFIG_DEFAULTS.alertDigestThreshold,
  claimTimeoutSeconds: CONFIG_DEFAULTS.alertClaimTimeoutSeconds,
  defaultThreshold: CONFIG_DEFAULTS.anomalyThreshold,
} as const;

/** What the formatter needs of each detector (its wording, threshold and hotspot columns), by name. */
export const detectorTexts = (detectors: readonly Detector[] = []): Map<string, DetectorText & { threshold: number }> =>
  new Map(
    // Records detectors' alertable items are their stored records over the threshold (P#, shared/per-record).
    detectors.map((d) => [
      d.name,
      { kind: d.kind, message: d.message, threshold: d.threshold, ...(d.kind === 'hotspots' ? { columns: d.columns } : {}) },
    ]),
  );

/** One scheduled run, without middleware: a failed publish fails the run (after the rest was done). */
export function createAlertsRunner(deps: AlertsDeps): (metrics?: Metrics) => Promise<RunSummary> {
  const store = new DynamoAlertStore({
    client: deps.documentClient,
    tableName: deps.tableName,
    ...(deps.pageSize ? { pageSize: deps.pageSize } : {}),
    ...(deps.retentionDays ? { retentionDays: deps.retentionDays } : {}),
  });
  if (!deps.publisher && !deps.topicArn) throw new StreamSentinelError('createAlertsRunner: pass a publisher or a topicArn');
  const publisher = deps.publisher ?? new SnsAlertPublisher(snsClient(), deps.topicArn!);
  const detectors = detectorTexts(deps.detectors);
  const { logger } = deps;
  return async (metrics = deps.metrics) => {
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
      ...(logger ? { logger } : {}),
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
