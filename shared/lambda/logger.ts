/**
 * The logger every module takes by injection: the part of Powertools' Logger the code uses, as an interface, so
 * pure modules (windows, hotspots) log structured lines without importing Powertools, and tests pass a silent or a
 * recording one. Powertools' Logger satisfies it as it is; `appendKeys` puts context (the shard) on every later line.
 */
export interface Logger {
  debug(message: string, ...extra: LogAttributes[]): void;
  info(message: string, ...extra: LogAttributes[]): void;
  warn(message: string, ...extra: LogAttributes[]): void;
  error(message: string, ...extra: LogAttributes[]): void;
  appendKeys(keys: LogAttributes): void;
}

/** Fields added to a line (or, with appendKeys, to every later line). */
export type LogAttributes = Record<string, unknown>;

/** Logs nothing: the default where a caller passes no logger. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  appendKeys: () => undefined,
};
