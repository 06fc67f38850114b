import {
  backoffMs,
  classifyError,
  isThrottlingCode,
  retryFailedEntries,
  RetryFailedError,
  type CallOutcome,
} from '../../../shared/io/retry';

const awsError = (name: string, status: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status }, ...extra });
const quick = { sleep: async () => undefined, random: () => 1 };

describe('classifyError: the SDK retry strategy’s classification', () => {
  it('tells throttles, transient failures and permanent ones apart', () => {
    expect(classifyError(awsError('ProvisionedThroughputExceededException', 400))).toBe('throttling');
    expect(classifyError(awsError('Whatever', 429))).toBe('throttling');
    expect(classifyError(awsError('InternalFailure', 500))).toBe('transient');
    expect(classifyError(awsError('ServiceUnavailableException', 503))).toBe('transient');
    expect(classifyError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe('transient');
    expect(classifyError(awsError('ResourceNotFoundException', 400))).toBe('permanent');
    expect(classifyError(awsError('AccessDeniedException', 403))).toBe('permanent');
    expect(classifyError('a string')).toBe('permanent');
  });

  it('marks entry error codes that are throttles', () => {
    expect(isThrottlingCode('ProvisionedThroughputExceededException')).toBe(true);
    expect(isThrottlingCode('InternalFailure')).toBe(false);
  });
});

describe('retryFailedEntries', () => {
  it('sends again only the entries reported as failed, until none is left', async () => {
    const seen: number[][] = [];
    const result = await retryFailedEntries(
      [1, 2, 3, 4, 5],
      async (pending): Promise<CallOutcome<number>> => {
        seen.push([...pending]);
        const failing = seen.length === 1 ? [2, 4] : seen.length === 2 ? [4] : [];
        return { failed: pending.filter((n) => failing.includes(n)).map((entry) => ({ entry, code: 'InternalFailure' })) };
      },
      quick,
    );
    expect(seen).toEqual([[1, 2, 3, 4, 5], [2, 4], [4]]);
    expect(result).toEqual({ attempts: 3, retries: 2 });
  });

  it('counts the SDK’s own retries against the budget instead of multiplying them', async () => {
    let calls = 0;
    const error = await retryFailedEntries(
      ['a'],
      async () => {
        calls++;
        // The SDK made 3 HTTP attempts inside this one send before it threw.
        throw awsError('ThrottlingException', 400, { $metadata: { httpStatusCode: 400, attempts: 3 } });
      },
      { ...quick, maxAttempts: 7 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryFailedError);
    expect(calls).toBe(3); // 3 + 3 + 3 ≥ 7 HTTP attempts: a third round overshoots by at most the SDK's own
    expect((error as RetryFailedError).attempts).toBe(9);
    expect((error as RetryFailedError).reason).toBe('exhausted');
  });

  it('fails at once, with the error as cause, when a call fails in a way retrying cannot fix', async () => {
    const cause = awsError('ResourceNotFoundException', 400);
    let calls = 0;
    const error = (await retryFailedEntries(
      [1, 2],
      async () => {
        calls++;
        throw cause;
      },
      quick,
    ).catch((e: unknown) => e)) as RetryFailedError<number>;
    expect(calls).toBe(1);
    expect(error).toMatchObject({ reason: 'permanent', pending: [1, 2], codes: ['ResourceNotFoundException'], cause });
    expect(error.message).toBe('ResourceNotFoundException: ResourceNotFoundException happened');
  });

  it('gives up after maxAttempts with the entries that never landed and their codes', async () => {
    const events: string[] = [];
    const error = (await retryFailedEntries(
      [1, 2, 3],
      async (pending) => ({
        failed: pending.filter((n) => n !== 1).map((entry) => ({ entry, code: 'ProvisionedThroughputExceededException' })),
      }),
      { ...quick, maxAttempts: 3, onFailure: (e) => events.push(`${e.kind}@${e.attempt}:${e.willRetry}`) },
    ).catch((e: unknown) => e)) as RetryFailedError<number>;
    expect(error).toMatchObject({ reason: 'exhausted', pending: [2, 3], codes: ['ProvisionedThroughputExceededException'], attempts: 3 });
    expect(events).toEqual(['entries@1:true', 'entries@2:true', 'entries@3:false']);
  });

  it('backs off exponentially with equal jitter, capped', async () => {
    const slept: number[] = [];
    await retryFailedEntries(
      ['x'],
      async (): Promise<CallOutcome<string>> => {
        if (slept.length < 5) throw awsError('InternalFailure', 500);
        return { failed: [] };
      },
      { baseDelayMs: 100, maxDelayMs: 1000, random: () => 1, sleep: async (ms) => void slept.push(ms) },
    );
    expect(slept).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffMs(1, { baseDelayMs: 100 }, () => 0)).toBe(50);
    expect(backoffMs(3, { baseDelayMs: 100 }, () => 0.5)).toBe(300);
  });
});
