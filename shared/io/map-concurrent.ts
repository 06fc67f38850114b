/**
 * The one bounded-concurrency map: at most `limit` calls of `fn` in flight, items taken from the source only
 * when a slot is free (an async source is read lazily, so a slow consumer holds the producer back), results in
 * input order. The first failure stops the taking of new items; the calls in flight are waited for and the
 * first error is thrown (nothing is left running behind the caller's back), and the source is closed.
 * Pure: no I/O of its own, so domain modules may use it.
 */
export async function mapConcurrent<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`mapConcurrent: limit must be an integer of at least 1, got ${limit}`);
  const iterator: Iterator<T> | AsyncIterator<T> =
    Symbol.asyncIterator in items ? (items as AsyncIterable<T>)[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]();
  const results: R[] = [];
  let next = 0;
  let done = false;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!done && !failure) {
      let step: IteratorResult<T>;
      try {
        step = await iterator.next();
      } catch (error) {
        failure ??= { error };
        return;
      }
      if (step.done) {
        done = true;
        return;
      }
      // Taken while another call was failing: not started, as if it had not been taken.
      if (failure) return;
      const index = next++;
      try {
        results[index] = await fn(step.value, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  try {
    const workers = Array.isArray(items) ? Math.min(limit, Math.max(1, items.length)) : limit;
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    if (!done) await iterator.return?.();
  }
  if (failure) throw failure.error;
  return results;
}
