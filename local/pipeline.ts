import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { dynamoDocumentClient, kinesisClient } from '../shared/aws/clients';
import {
  BUILTIN_DEFAULTS,
  detectorsFilePath,
  hotspotsDetectors,
  loadDetectorsFile,
  rcfDetectors,
  type Detector,
} from '../shared/detectors';
import { MemoryRejectsSink } from '../shared/rejects/sink';
import { createWindowsHandler } from '../functions/windows/handler';
import { createAlertsHandler } from '../functions/alerts/handler';
import { createHotspotsHandler } from '../functions/hotspots/handler';
import { lambdaContext, type StreamHandler } from './event-source';
import { startLocalOutputs } from './outputs';
import type { LocalPipeline } from './run';
import type { LocalStack } from './stack';

/**
 * The service's functions, built in this process against the local stack through the factories the
 * handlers export (the same code `handler` runs in Lambda, with local adapters: rejects kept in memory,
 * SNS publishes captured). Logs below ERROR and EMF metric lines are silenced: the terminal shows progress.
 */

export interface LocalPipelineOptions {
  detectorsFile?: string;
  /** Log level of the functions' loggers (default ERROR). */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** The alerts function's per-key cooldown, in wall-clock seconds (default 5). */
  cooldownSeconds?: number;
  /** Where Firehose outputs are captured (default .stream-sentinel/outputs). */
  outputsDir?: string;
}

export function loadLocalDetectors(file?: string): Detector[] {
  return loadDetectorsFile(file ?? detectorsFilePath(), BUILTIN_DEFAULTS);
}

export function localPipelineFactory(options: LocalPipelineOptions = {}) {
  return async (stack: LocalStack): Promise<LocalPipeline> => {
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    const detectors = loadLocalDetectors(options.detectorsFile);
    const documentClient = dynamoDocumentClient({ endpoint: stack.dynamodbEndpoint, region: stack.region });
    const rejects = new MemoryRejectsSink();
    const logger = () => new Logger({ serviceName: 'stream-sentinel', logLevel: options.logLevel ?? 'ERROR' });
    const metrics = () => new Metrics({ namespace: 'StreamSentinel', serviceName: 'stream-sentinel' });
    // Event time runs ~30× faster than the wall clock that stamps arrival here, so it is ahead of arrival by design.
    const eventTime = { maxAheadMs: Number.POSITIVE_INFINITY, maxBehindMs: Number.POSITIVE_INFINITY };

    // What both stream functions are made with; each gets its own logger and metrics, as each Lambda has.
    const stream = () => ({
      detectors,
      documentClient,
      tableName: stack.tableName,
      rejects,
      logger: logger(),
      metrics: metrics(),
      eventTime,
    });

    // The detectors' outputs, made as the stage's package step makes them and passed in as its cold start does.
    const outputsClient = kinesisClient({ endpoint: stack.kinesisEndpoint, region: stack.region });
    const local = await startLocalOutputs(detectors, {
      kinesis: outputsClient,
      kinesisEndpoint: stack.kinesisEndpoint,
      region: stack.region,
      stage: stack.stage,
      ...(options.outputsDir ? { dir: options.outputsDir } : {}),
    });
    const windows = createWindowsHandler({ ...stream(), ...(local.outputs ? { outputs: local.outputs } : {}) });
    // Only when the detectors file has a hotspots detector, as in Lambda where the function would have nothing to do.
    const hotspots = hotspotsDetectors(detectors).length ? createHotspotsHandler(stream()) : undefined;
    const alerts = createAlertsHandler({
      documentClient,
      tableName: stack.tableName,
      topicArn: stack.topicArn,
      detectors,
      // Event time runs ~30× faster than the wall clock here: a 15-minute cooldown would silence a key for the
      // rest of the demo. A cooldown of a few event windows keeps "one message per anomaly", not per window.
      cooldownSeconds: options.cooldownSeconds ?? 5,
      publisher: {
        publish: async (message) => {
          const captured = stack.sns.capture({
            topicArn: stack.topicArn,
            message: message.message,
            subject: message.subject,
            attributes: message.attributes,
          });
          return { messageId: captured.messageId };
        },
      },
      logger: logger(),
      metrics: metrics(),
    });
    const thresholds = rcfDetectors(detectors).map((d) => d.threshold);

    return {
      windows: ((event, context) => windows(event, context)) as StreamHandler,
      ...(hotspots ? { hotspots: ((event, context) => hotspots(event, context)) as StreamHandler } : {}),
      runAlerts: async () => {
        await alerts(
          {
            version: '0',
            id: 'local',
            'detail-type': 'Scheduled Event',
            source: 'aws.events',
            account: '000000000000',
            time: new Date().toISOString(),
            region: stack.region,
            resources: [],
            detail: {},
          },
          lambdaContext('stream-sentinel-local-alerts', stack.region),
        );
      },
      rejected: () => rejects.all.length,
      rejects: () => rejects.all,
      ...(thresholds.length ? { defaultThreshold: Math.min(...thresholds) } : {}),
      ...(local.outputs ? { outputs: () => local.report() } : {}),
      close: async () => {
        await local.close();
        outputsClient.destroy();
        documentClient.destroy();
      },
    };
  };
}

export const createLocalPipeline = localPipelineFactory();
