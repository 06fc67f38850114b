import { readWindowsConfig, WindowsConfigError } from '../../../shared/config/windows';

describe('windows configuration', () => {
  it('reads the environment with defaults for what is optional', () => {
    expect(readWindowsConfig({ TABLE_NAME: 't', REJECTS_STREAM: 'rejects', ANOMALY_THRESHOLD: '2.5' })).toEqual({
      tableName: 't',
      rejectsStream: 'rejects',
      retentionDays: 30,
      defaultThreshold: 2.5,
      windowSeconds: 10,
      modelCacheSize: 256,
      modelSaveEvery: 30,
      keysPartitioned: false,
      eventTime: { maxAheadMs: 300_000, maxBehindMs: Number.POSITIVE_INFINITY },
    });
  });
  it('says what to fix', () => {
    expect(() => readWindowsConfig({})).toThrow(WindowsConfigError);
    expect(() => readWindowsConfig({})).toThrow(/TABLE_NAME is not set/);
    expect(() => readWindowsConfig({ TABLE_NAME: 't', WINDOW_SECONDS: '2.5' })).toThrow(/WINDOW_SECONDS must be a whole number/);
    expect(() => readWindowsConfig({ TABLE_NAME: 't', DATA_RETENTION_DAYS: 'soon' })).toThrow(/DATA_RETENTION_DAYS must be a number/);
    expect(() => readWindowsConfig({ TABLE_NAME: 't', WINDOW_KEYS_PARTITIONED: 'yes' })).toThrow(
      /WINDOW_KEYS_PARTITIONED must be true \(each key's records arrive on one shard: producers partition by the key\) or false/,
    );
    expect(readWindowsConfig({ TABLE_NAME: 't', WINDOW_KEYS_PARTITIONED: 'TRUE' }).keysPartitioned).toBe(true);
  });
  it('names the function whose configuration is wrong', () => {
    expect(() => readWindowsConfig({})).toThrow(
      /^windows function configuration: TABLE_NAME is not set: the data table the windows function writes to/,
    );
    expect(() => readWindowsConfig({}, 'hotspots')).toThrow(
      /^hotspots function configuration: TABLE_NAME is not set: the data table the hotspots function writes to/,
    );
  });
});

describe('configuration defaults', () => {
  it('are the ones in CONFIG_DEFAULTS, which the factories fall back to as well', async () => {
    const { CONFIG_DEFAULTS } = await import('../../../shared/config/env');
    expect(readWindowsConfig({ TABLE_NAME: 't' })).toMatchObject({
      retentionDays: CONFIG_DEFAULTS.retentionDays,
      defaultThreshold: CONFIG_DEFAULTS.anomalyThreshold,
      windowSeconds: CONFIG_DEFAULTS.windowSeconds,
      modelCacheSize: CONFIG_DEFAULTS.modelCacheSize,
      modelSaveEvery: CONFIG_DEFAULTS.modelSaveEvery,
    });
  });
});
