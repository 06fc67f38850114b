import * as z from 'zod/mini';
import { StreamSentinelError } from '../errors';
import { CONFIG_DEFAULTS } from './env';

/** The replay function's environment (docs/architecture.md), read and validated once at cold start. */
export interface ReplayConfig {
  streamName: string;
  /** Stop taking records when less than this is left of the invoke. */
  reserveMs: number;
}

export class ReplayConfigError extends StreamSentinelError {
  override readonly name = 'ReplayConfigError';
}

// zod/mini, as the other functions' configuration (the replay bundle is half the size without classic zod).
const schema = z.object({
  STREAM_NAME: z
    .string({ error: 'STREAM_NAME is not set: the input stream records are replayed into (serverless.yml sets it)' })
    .check(z.trim(), z.minLength(1, 'STREAM_NAME must name the input stream (serverless.yml sets it)')),
});

export function readReplayConfig(env: NodeJS.ProcessEnv = process.env): ReplayConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success)
    throw new ReplayConfigError(`replay function configuration: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return { streamName: parsed.data.STREAM_NAME, reserveMs: CONFIG_DEFAULTS.replayReserveMs };
}
