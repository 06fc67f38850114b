/** Table keys (docs/data-model.md). Times are ISO-8601 UTC strings, which sort chronologically. */
export const windowPk = (detector: string, key: string): string => `W#${detector}#${key}`;
export const modelPk = (detector: string, key: string): string => `M#${detector}#${key}`;
export const registryPk = (detector: string): string => `R#${detector}`;
export const MODEL_SK = 'MODEL';
export const iso = (ms: number): string => new Date(ms).toISOString();

/** TTL: retention counted from the later of the window's end and now, so replayed history is kept too. */
export const expiresAt = (windowEndMs: number, nowMs: number, retentionDays: number): number =>
  Math.floor(Math.max(windowEndMs, nowMs) / 1000) + Math.round(retentionDays * 86400);

export const isConditionalFailure = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'ConditionalCheckFailedException' || error.name === 'TransactionCanceledException');
