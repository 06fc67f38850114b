import { StreamSentinelError } from '../errors';

/** The errors of the hotspots modules: parameters, input points and carried state, each saying what is wrong. */

/** A HOTSPOTS parameter is out of range; the message names the parameter and its allowed range. */
export class HotspotsParameterError extends StreamSentinelError {
  override name = 'HotspotsParameterError';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter} ${message}`);
  }
}

/** A point cannot enter the window (wrong number of values, a non-finite value, a value too far out for the grid). */
export class HotspotsInputError extends StreamSentinelError {
  override name = 'HotspotsInputError';
}

/** Serialized window state that cannot be read back (wrong version, parameters or length). */
export class HotspotsStateError extends StreamSentinelError {
  override name = 'HotspotsStateError';
}
