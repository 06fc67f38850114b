import { COUNTED_WINDOWS, countHeldBack, decideCooldown, heldBackBy, openedCooldown, windowToken, type CooldownState } from '../../../shared/alerts';

const NOW = Date.parse('2026-01-01T01:00:00Z');
const options = { cooldownMs: 900_000, claimTimeoutMs: 300_000 };
const state = (over: Partial<CooldownState> = {}): CooldownState => ({
  version: 3,
  until: new Date(NOW + 60_000).toISOString(),
  startedAt: new Date(NOW - 840_000).toISOString(),
  severity: 'warning',
  claimId: 'run-1',
  messageId: 'm-1',
  suppressed: 0,
  ...over,
});

describe('per-key cooldown decisions', () => {
  it('opens a cooldown when none holds, or when it is switched off', () => {
    expect(decideCooldown(undefined, 'warning', NOW, options)).toEqual({ action: 'open' });
    expect(decideCooldown(state(), 'warning', NOW, { ...options, cooldownMs: 0 })).toEqual({ action: 'open' });
  });

  it('holds back an anomaly of the same or lower severity while the cooldown lasts, naming the message that covered the key', () => {
    expect(decideCooldown(state(), 'warning', NOW, options)).toEqual({ action: 'suppress', messageId: 'm-1', until: state().until });
    expect(decideCooldown(state({ severity: 'critical' }), 'warning', NOW, options).action).toBe('suppress');
  });

  it('lets a more severe anomaly through, and anything once the cooldown has ended', () => {
    expect(decideCooldown(state(), 'critical', NOW, options)).toEqual({ action: 'open' });
    expect(decideCooldown(state({ until: new Date(NOW).toISOString() }), 'warning', NOW, options)).toEqual({ action: 'open' });
  });

  it('waits while another run is publishing, and takes over from a run that died', () => {
    const inFlight = { messageId: undefined, startedAt: new Date(NOW - 10_000).toISOString() };
    expect(decideCooldown(state(inFlight), 'critical', NOW, options)).toEqual({ action: 'wait' });
    expect(
      decideCooldown(state({ messageId: undefined, startedAt: new Date(NOW - 300_000).toISOString() }), 'warning', NOW, options),
    ).toEqual({ action: 'open' });
  });

  it('starts a new cooldown with the next version and reports what the previous one held back', () => {
    const previous = state({ suppressed: 4, suppressedSince: '2026-01-01T00:50:00.000Z' });
    expect(openedCooldown(previous, 'critical', 'run-2', NOW, 900_000)).toEqual({
      version: 4,
      until: '2026-01-01T01:15:00.000Z',
      startedAt: '2026-01-01T01:00:00.000Z',
      severity: 'critical',
      claimId: 'run-2',
      suppressed: 0,
    });
    expect(heldBackBy(previous)).toEqual({ count: 4, since: '2026-01-01T00:50:00.000Z' });
    expect(heldBackBy(state())).toBeUndefined();
    expect(openedCooldown(undefined, 'warning', 'run-1', NOW, 1000).version).toBe(1);
  });
});

describe('counting held-back windows', () => {
  const ref = (i: number) => ({ pk: 'W#toll#183A', sk: new Date(NOW + i * 10_000).toISOString() });
  const AT = new Date(NOW).toISOString();

  it('counts each window once, however often it is held back', () => {
    const first = countHeldBack(state(), [ref(1), ref(2)], AT)!;
    expect(first.count).toBe(2);
    expect(countHeldBack(state({ counted: first.counted }), [ref(2), ref(1)], AT)).toBeUndefined();
    expect(countHeldBack(state({ counted: first.counted }), [ref(2), ref(3)], AT)).toMatchObject({ count: 1 });
    expect(countHeldBack(state(), [ref(1), ref(1)], AT)).toMatchObject({ count: 1 });
  });

  it('remembers at most COUNTED_WINDOWS windows, newest last, in fixed-size tokens', () => {
    let counted: string[] | undefined;
    for (let i = 0; i < COUNTED_WINDOWS + 10; i++) counted = countHeldBack(state({ counted }), [ref(i)], AT)!.counted;
    expect(counted).toHaveLength(COUNTED_WINDOWS);
    expect(counted!.at(-1)).toBe(windowToken(ref(COUNTED_WINDOWS + 9)));
    expect(counted!.every((t) => t.length === 8)).toBe(true);
  });

  it('carries the counted windows into the next cooldown, so a late retry of an old count adds nothing', () => {
    const next = openedCooldown(state({ suppressed: 2, counted: ['a', 'b'] }), 'warning', 'run-2', NOW, 900_000);
    expect(next).toMatchObject({ suppressed: 0, counted: ['a', 'b'] });
  });
});
