/**
 * Cutting entries into service calls within a call's entry count and byte size (Kinesis PutRecords, Firehose
 * PutRecordBatch): the one packing loop for the output sinks and the rejects sink. Pure.
 */

export interface CallLimits {
  recordsPerCall: number;
  bytesPerCall: number;
}

/**
 * The entries in order, cut into calls; `sizeOf` gives an entry's bytes as the service counts them (and may
 * throw for an entry over the service's per-entry limit, which no call can carry).
 */
export function chunkByLimits<T>(entries: Iterable<T>, sizeOf: (entry: T) => number, limits: CallLimits): T[][] {
  const calls: T[][] = [];
  let call: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = sizeOf(entry);
    if (call.length === limits.recordsPerCall || bytes + size > limits.bytesPerCall) {
      calls.push(call);
      call = [];
      bytes = 0;
    }
    call.push(entry);
    bytes += size;
  }
  if (call.length) calls.push(call);
  return calls;
}
