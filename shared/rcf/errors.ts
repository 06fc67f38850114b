/** A forest parameter is missing, out of range or not an integer; the message says which and what is allowed. */
export class RcfParameterError extends Error {
  override name = 'RcfParameterError';
}

/**
 * A record cannot be scored: wrong number of columns or a value that is not a finite float32.
 * Thrown before anything is changed, so the forest stays usable (one NaN would poison every box above it).
 */
export class RcfInputError extends Error {
  override name = 'RcfInputError';
}

/** Serialized bytes that are not a forest state this version can read (wrong magic, version or truncated). */
export class RcfStateError extends RcfInputError {
  override name = 'RcfStateError';
}
