import { StreamSentinelError } from '../../../shared/errors';
import type { Logger } from '../../../shared/lambda/logger';
import { tumblingWindowProcessor, type TumblingState, type TumblingWindowFunction } from '../../../shared/lambda/tumbling-window';
import type { InputRecord } from '../../../shared/records';
import { MemoryRejectsSink } from '../../../shared/rejects';
import { windowEvent } from '../../factories/kinesis';

/** A stream function that counts its records and rejects the text "bad". */
interface CountState extends TumblingState {
  seen: number;
}

function counting() {
  const emitted: Array<{ state: CountState; shardId: string; emissionId: string; lambdaWindow: { startMs: number; endMs: number } }> = [];
  const fn: TumblingWindowFunction<CountState> = {
    emittedMessage: 'counted',
    readState: (raw) => ({ seen: 0, ...(raw as Partial<CountState>) }),
    collect: (state, records: readonly InputRecord[]) => {
      state.seen += records.length;
      return records
        .filter((r) => Buffer.from(r.data, 'base64').toString() === 'bad')
        .map((r) => ({
          sequenceNumber: r.sequenceNumber,
          arrival: new Date(r.arrivalMs).toISOString(),
          detector: 'd',
          index: 0,
          reason: 'bad',
          data: 'bad',
        }));
    },
    emit: async (state, context) => {
      emitted.push({ state: structuredClone(state), ...context });
      return { metrics: { Counted: state.seen }, summary: { counted: state.seen } };
    },
  };
  return { fn, emitted };
}

function recordingLogger() {
  const lines: Array<{ level: string; message: string; extra: Record<string, unknown> }> = [];
  const keys: Record<string, unknown> = {};
  const line =
    (level: string) =>
    (message: string, ...extra: Array<Record<string, unknown>>) =>
      void lines.push({ level, message, extra: Object.assign({}, keys, ...extra) });
  const logger: Logger = {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    appendKeys: (k) => void Object.assign(keys, k),
  };
  return { logger, lines };
}

describe('the tumbling-window step every stream function shares', () => {
  const start = Date.parse('2026-01-01T00:00:00Z');

  it('carries the state between invokes and emits once, at the final invoke, with the shard, window and a stable emission id', async () => {
    const { fn, emitted } = counting();
    const metrics: Array<[string, number]> = [];
    const { logger, lines } = recordingLogger();
    const rejects = new MemoryRejectsSink(() => start);
    const process = tumblingWindowProcessor(fn, { rejects, logger, now: () => start });
    const sink = { addMetric: (name: string, _unit: unknown, value: number) => void metrics.push([name, value]) };

    const first = await process(windowEvent({ windowStart: start, records: ['a', 'bad'], shardId: 'shardId-7' }), sink);
    expect(emitted).toHaveLength(0);
    // The step counts the batch's records and rejects (by detector) in the state for the function.
    expect(first.state).toMatchObject({ seen: 2, n: 2, r: { d: 1 }, id: expect.stringMatching(/^shardId-7:\d+$/) });
    expect(rejects.all.map((r) => r.reason)).toEqual(['bad']);

    const last = await process(
      windowEvent({ windowStart: start, records: ['c'], shardId: 'shardId-7', state: first.state, final: true }),
      sink,
    );
    expect(last).toEqual({ state: {}, batchItemFailures: [] });
    expect(emitted).toEqual([
      {
        state: expect.objectContaining({ seen: 3 }),
        shardId: 'shardId-7',
        emissionId: first.state.id,
        lambdaWindow: { startMs: start, endMs: start + 10_000 },
      },
    ]);
    expect(metrics).toEqual([
      ['RecordsIn', 2],
      ['RecordsRejected', 1],
      ['RecordsIn', 1],
      ['Counted', 3],
    ]);
    const summary = lines.find((l) => l.message === 'counted')!;
    expect(summary.extra).toMatchObject({ shardId: 'shardId-7', records: 3, counted: 3, terminatedEarly: false });
    // The shard is on every line once appended, the rejects' lines included.
    expect(lines.filter((l) => l.message === 'record rejected').every((l) => l.extra.shardId === 'shardId-7')).toBe(true);
  });

  it('emits on a window that Lambda ended early, as on a final invoke', async () => {
    const { fn, emitted } = counting();
    const process = tumblingWindowProcessor(fn, { rejects: new MemoryRejectsSink() });
    await process(windowEvent({ windowStart: start, records: ['a'], terminatedEarly: true }));
    expect(emitted).toHaveLength(1);
  });
});

describe('StreamSentinelError', () => {
  it('keeps the error that caused it and names the subclass', () => {
    class SomethingFailed extends StreamSentinelError {}
    const cause = new Error('socket hang up');
    const error = new SomethingFailed('could not save the model', { cause });
    expect(error).toBeInstanceOf(StreamSentinelError);
    expect(error.name).toBe('SomethingFailed');
    expect(error.cause).toBe(cause);
  });
});
