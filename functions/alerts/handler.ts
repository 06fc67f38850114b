import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { ScheduledEvent } from 'aws-lambda';
import { createAlertsRunner, type AlertsDeps } from '../../shared/alerts/adapters/runner';
import type { RunSummary } from '../../shared/alerts';
import { dynamoDocumentClient } from '../../shared/aws/dynamodb';
import { readAlertsConfig } from '../../shared/config/alerts';
import { BUILTIN_DEFAULTS, detectorsFilePath, loadDetectorsFile } from '../../shared/detectors';
import { onFirstInvoke, withPowertools } from '../../shared/lambda/handler';

/**
 * The alerts function: on a schedule, sends what the pending-alerts index says is owed (docs/alerts.md). The run is
 * shared/alerts' (run.ts, wired to DynamoDB and SNS in adapters/runner.ts); this file reads the configuration once
 * and wraps the run in the Powertools middleware.
 */

export { ALERT_DEFAULTS, AlertsDeliveryError, createAlertsRunner, type AlertsDeps } from '../../shared/alerts/adapters/runner';

/** A middy handler (Powertools logger and metrics) around one run; local mode builds its own with its publisher. */
export function createAlertsHandler(deps: Omit<AlertsDeps, 'logger'> & { logger?: Logger }) {
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
  const detectors = loadDetectorsFile(config.detectorsFile ?? detectorsFilePath(), { ...BUILTIN_DEFAULTS, threshold: config.defaultThreshold });
  const { tableName, topicArn, cooldownSeconds, digestThreshold, claimTimeoutSeconds, defaultThreshold, retentionDays } = config;
  return createAlertsRunner({
    documentClient: dynamoDocumentClient(),
    ...{ tableName, topicArn, detectors, cooldownSeconds, digestThreshold, claimTimeoutSeconds, defaultThreshold, retentionDays },
    logger,
  });
});

export const handler = withPowertools((_event: ScheduledEvent): Promise<RunSummary> => runner()(metrics), logger, metrics);
