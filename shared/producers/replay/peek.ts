/**
 * Looking at the start of a stream before deciding how to read it (gzip or not, CSV or JSON, kept rejects or
 * not), then reading all of it. One mechanism for every such look, so that each releases its source the same way.
 */

/**
 * The items already taken from `it`, then the rest of `it`. A consumer that stops early releases the source
 * (`return()`: an S3 body's socket, a file handle); `ended` says `it` is already exhausted.
 */
export async function* resume<T>(taken: readonly T[], it: AsyncIterator<T>, ended: boolean): AsyncGenerator<T> {
  let finished = ended;
  try {
    yield* taken;
    if (!ended) for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
    finished = true;
  } finally {
    if (!finished) await it.return?.();
  }
}

/**
 * Takes items from the source until `enough` is true of them (default: one item) or the source ends, and returns
 * them (`head`) with the whole sequence, those items first (`all`). Nothing more is read until `all` is iterated.
 */
export async function peek<T>(
  source: AsyncIterable<T>,
  enough: (head: readonly T[]) => boolean = (head) => head.length > 0,
): Promise<{ head: T[]; all: AsyncGenerator<T> }> {
  const it = source[Symbol.asyncIterator]();
  const head: T[] = [];
  let ended = false;
  while (!enough(head)) {
    const next = await it.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(next.value);
  }
  return { head, all: resume(head, it, ended) };
}
