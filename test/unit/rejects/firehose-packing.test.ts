import { FIREHOSE_LIMITS, packRecords, rejectLines, type RejectBatch } from '../../../shared/rejects';

const decode = (b: Uint8Array) => new TextDecoder().decode(b);
const line = (n: number, bytes: number) => `${String(n).padStart(8, '0')}${'x'.repeat(bytes - 9)}\n`;

describe('packing reject lines into Firehose records', () => {
  it('puts many small lines into one record, in order, so each is not billed as a 5 KB record of its own', () => {
    const lines = Array.from({ length: 300 }, (_, i) => line(i, 200));
    const calls = packRecords(lines);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(1);
    expect(decode(calls[0]![0]!)).toBe(lines.join(''));
  });

  it('never lets a record pass the record limit nor a call pass the per-call record and byte limits', () => {
    const limits = { bytesPerRecord: 1000, recordsPerCall: 3, bytesPerCall: 2500 };
    const lines = Array.from({ length: 40 }, (_, i) => line(i, 300));
    const calls = packRecords(lines, limits);
    for (const call of calls) {
      expect(call.length).toBeLessThanOrEqual(limits.recordsPerCall);
      expect(call.reduce((n, r) => n + r.byteLength, 0)).toBeLessThanOrEqual(limits.bytesPerCall);
      for (const record of call) expect(record.byteLength).toBeLessThanOrEqual(limits.bytesPerRecord);
    }
    // Nothing lost, nothing reordered, no line split across records.
    const records = calls.flat().map(decode);
    expect(records.join('')).toBe(lines.join(''));
    for (const r of records) expect(r.endsWith('\n')).toBe(true);
  });

  it('sends nothing for no lines', () => {
    expect(packRecords([])).toEqual([]);
  });

  it('refuses a line longer than a Firehose record instead of truncating it', () => {
    expect(() => packRecords(['x'.repeat(FIREHOSE_LIMITS.bytesPerRecord + 1)])).toThrow(/longer than a Firehose record/);
  });

  it('fits the largest reject the functions keep (64 KiB of text, escaped) in one record', () => {
    const batch: RejectBatch = {
      shardId: 's',
      rejects: [{ sequenceNumber: '1', arrival: 'a', index: 0, reason: 'r', data: '\u0001'.repeat(64 * 1024) }],
    };
    expect(() => packRecords(rejectLines(batch, 0))).not.toThrow();
  });
});

describe('reject lines', () => {
  it('writes one self-describing JSON line per reject, with the batch shard, detector and window', () => {
    const batch: RejectBatch = {
      shardId: 'shardId-000000000000',
      detector: 'toll-stations',
      window: { start: '2026-11-30T10:00:00Z', end: '2026-11-30T10:00:10Z' },
      rejects: [
        {
          sequenceNumber: '49',
          partitionKey: '183A',
          arrival: '2026-11-30T10:00:01.000Z',
          index: 0,
          reason: 'expected 3 CSV columns, got 2',
          data: 'a,b',
          detector: 'toll-stations',
        },
        { sequenceNumber: '50', arrival: '2026-11-30T10:00:02.000Z', index: 1, reason: 'incomplete JSON', data: '{"a":' },
      ],
    };
    const lines = rejectLines(batch, Date.parse('2026-11-30T10:00:12Z'));
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        keptAt: '2026-11-30T10:00:12.000Z',
        shardId: 'shardId-000000000000',
        detector: 'toll-stations',
        windowStart: '2026-11-30T10:00:00Z',
        windowEnd: '2026-11-30T10:00:10Z',
        sequenceNumber: '49',
        partitionKey: '183A',
        arrival: '2026-11-30T10:00:01.000Z',
        objectIndex: 0,
        reason: 'expected 3 CSV columns, got 2',
        data: 'a,b',
      },
      expect.objectContaining({
        sequenceNumber: '50',
        partitionKey: null,
        objectIndex: 1,
        detector: 'toll-stations',
        reason: 'incomplete JSON',
      }),
    ]);
  });
});
