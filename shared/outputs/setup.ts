import type { Detector, RcfDetector, RecordsDetector } from '../detectors/schema';
import { firehoseClient } from '../aws/firehose';
import { kinesisClient } from '../aws/kinesis';
import { awsSinks, type SinkOptions } from './aws';
import { Outputs } from './outbox';

/**
 * Cold-start wiring of the outputs: the stage's name prefix from the environment (OUTPUT_NAME_PREFIX, set in
 * serverless.yml to `<service>-<stage>-`, the prefix of the streams the package step declares) and the AWS sinks.
 * Undefined when no detector has outputs, so a function without them makes no client.
 */
export function outputsFromEnvironment(
  detectors: ReadonlyArray<Detector | RecordsDetector>,
  env: NodeJS.ProcessEnv = process.env,
  options: SinkOptions & { endpoint?: { kinesis?: string; firehose?: string } } = {},
): Outputs | undefined {
  const scoring = detectors.filter((d): d is RcfDetector | RecordsDetector => d.kind !== 'hotspots');
  if (!scoring.some((d) => d.outputs?.length)) return undefined;
  const k = options.endpoint?.kinesis;
  const f = options.endpoint?.firehose;
  const sinks = awsSinks(
    { kinesis: () => kinesisClient(k ? { endpoint: k } : {}), firehose: () => firehoseClient(f ? { endpoint: f } : {}) },
    options,
  );
  return new Outputs(scoring, sinks, env.OUTPUT_NAME_PREFIX ?? '');
}
