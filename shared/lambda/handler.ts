import middy from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';

/**
 * The Lambda wiring every function shares (windows, hotspots, alerts, replay): middy with Powertools' logger (the
 * invoke's context on every log line, cold start included) and metrics (one EMF flush per invoke, an error flush if
 * the work throws, and the ColdStart metric on a container's first invoke), and configuration built once per
 * container on the first invoke.
 */
export function withPowertools<E, R>(work: (event: E, context: Context) => Promise<R>, logger: Logger, metrics: Metrics) {
  return middy(work)
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}

/**
 * What a function builds on its first invoke (its cold start) and keeps for the container's life: configuration
 * read and validated, clients made. A build that throws is not kept, so every invoke fails with the same message
 * saying what to fix until the configuration is fixed.
 */
export function onFirstInvoke<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
