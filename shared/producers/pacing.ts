/**
 * Pacing for producers (pure): a token bucket for a steady rate in records per wall second, and event-time
 * pacing for replays (the file's own pace, N× faster).
 */

export interface Clock {
  now(): number;
}

/**
 * Tokens refill at `rate` per second up to `capacity`; `reserve` takes one and says how long to wait for it.
 * Reservations may run the bucket negative, so waiting callers are served in order at exactly the rate.
 * The small capacity (a tenth of a second's worth) keeps a producer that fell behind from bursting to catch up.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  readonly capacity: number;

  constructor(
    readonly rate: number,
    private readonly clock: Clock = Date,
    capacity?: number,
  ) {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`rate must be a positive number of records per second, got ${rate}`);
    this.capacity = capacity ?? Math.max(1, rate / 10);
    // Starts with one token, not a full bucket: the first second is as steady as the rest.
    this.tokens = Math.min(1, this.capacity);
    this.last = clock.now();
  }

  /** Takes `n` tokens; returns the milliseconds to wait before using them (0 when available now). */
  reserve(n = 1): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.rate;
  }
}

/**
 * Keeps a replay at the file's pace: a record with event time t goes out at wall time w0 + (t − t0) / speed,
 * where t0 and w0 are the first timed record's event and wall times. Records without an event time, or
 * earlier than one already sent (out of order), go out at once.
 */
export class EventTimePacer {
  private t0?: number;
  private w0 = 0;

  constructor(
    readonly speed: number,
    private readonly clock: Clock = Date,
  ) {
    if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be a positive factor (or "max"), got ${speed}`);
  }

  /** Milliseconds to wait before sending a record with this event time. */
  delay(eventTime: Date | undefined): number {
    if (!eventTime) return 0;
    const t = eventTime.getTime();
    const now = this.clock.now();
    if (this.t0 === undefined) {
      this.t0 = t;
      this.w0 = now;
      return 0;
    }
    return Math.max(0, this.w0 + (t - this.t0) / this.speed - now);
  }
}
