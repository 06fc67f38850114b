import { CONFIG_DEFAULTS } from '../../../shared/config/env';
import { readWindowsConfig, WindowsConfigError } from '../../../shared/config/windows';
import { DEFAULT_EVENT_TIME_BOUNDS } from '../../../shared/records';

/** EVENT_TIME_MAX_AHEAD_SECONDS / EVENT_TIME_MAX_BEHIND_SECONDS: the stream functions' event-time bounds. */

const read = (env: Record<string, string>, fn: 'windows' | 'hotspots' = 'windows') => readWindowsConfig({ TABLE_NAME: 't', ...env }, fn);

describe('event-time bounds in the stream functions configuration', () => {
  it('default to the record kernel bounds: 5 minutes ahead, any age behind (merged late)', () => {
    expect(read({}).eventTime).toEqual(DEFAULT_EVENT_TIME_BOUNDS);
    expect(read({}).eventTime).toEqual({ maxAheadMs: 300_000, maxBehindMs: Number.POSITIVE_INFINITY });
    expect(CONFIG_DEFAULTS.eventTimeMaxAheadSeconds).toBe(300);
  });

  it('reads whole seconds into milliseconds, and unlimited (any case) for behind', () => {
    expect(read({ EVENT_TIME_MAX_AHEAD_SECONDS: '60', EVENT_TIME_MAX_BEHIND_SECONDS: '86400' }).eventTime).toEqual({
      maxAheadMs: 60_000,
      maxBehindMs: 86_400_000,
    });
    expect(read({ EVENT_TIME_MAX_AHEAD_SECONDS: '0', EVENT_TIME_MAX_BEHIND_SECONDS: ' Unlimited ' }).eventTime).toEqual({
      maxAheadMs: 0,
      maxBehindMs: Number.POSITIVE_INFINITY,
    });
  });

  it.each([
    [{ EVENT_TIME_MAX_AHEAD_SECONDS: '-1' }, /EVENT_TIME_MAX_AHEAD_SECONDS must be a whole number of seconds, 0 or more/],
    [{ EVENT_TIME_MAX_AHEAD_SECONDS: '2.5' }, /EVENT_TIME_MAX_AHEAD_SECONDS must be a whole number of seconds, 0 or more/],
    [{ EVENT_TIME_MAX_AHEAD_SECONDS: 'unlimited' }, /EVENT_TIME_MAX_AHEAD_SECONDS must be a number .*got "unlimited"/],
    [{ EVENT_TIME_MAX_BEHIND_SECONDS: '0' }, /EVENT_TIME_MAX_BEHIND_SECONDS must be a whole number of seconds, at least 1, or unlimited/],
    [{ EVENT_TIME_MAX_BEHIND_SECONDS: '1 day' }, /EVENT_TIME_MAX_BEHIND_SECONDS .* got "1 day"/],
  ])('refuses %j with what to fix', (env, message) => {
    expect(() => read(env)).toThrow(WindowsConfigError);
    expect(() => read(env)).toThrow(message);
  });

  it('names the hotspots function when its configuration is wrong', () => {
    expect(() => read({ EVENT_TIME_MAX_AHEAD_SECONDS: '-5' }, 'hotspots')).toThrow(
      /^hotspots function configuration: EVENT_TIME_MAX_AHEAD/,
    );
  });
});
