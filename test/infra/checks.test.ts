import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const StreamSentinelChecks = require('../../serverless/checks.js') as new (
  serverless: unknown,
  options?: Record<string, unknown>,
) => { validateDetectors(): void; refuseLocalDeploy(): void };

class ServerlessError extends Error {}

/** The slice of the Serverless object the plugin uses, around a service directory of our own. */
function pluginFor(detectorsYml: string | undefined, functions = ['windows']) {
  const serviceDir = mkdtempSync(join(tmpdir(), 'validate-detectors-'));
  if (detectorsYml !== undefined) writeFileSync(join(serviceDir, 'detectors.yml'), detectorsYml);
  return new StreamSentinelChecks({
    serviceDir,
    classes: { Error: ServerlessError },
    service: { getAllFunctions: () => functions, provider: { environment: { WINDOW_SECONDS: '10', ANOMALY_THRESHOLD: '2' } } },
  });
}

describe('package-time detectors validation (serverless/checks.js)', () => {
  it('fails packaging with the loader messages when a detector is invalid', () => {
    const plugin = pluginFor(
      'detectors:\n  - name: toll\n    format: csv\n    csv: { columns: [date, station, plate] }\n    key: statoin\n',
    );
    expect(() => plugin.validateDetectors()).toThrow(ServerlessError);
    expect(() => plugin.validateDetectors()).toThrow(/key field "statoin" is not one of the CSV columns/);
  });

  it('accepts a valid detectors file', () => {
    expect(() =>
      pluginFor(
        'detectors:\n  - name: toll\n    format: csv\n    csv: { columns: [date, station, plate] }\n    key: station\n',
      ).validateDetectors(),
    ).not.toThrow();
  });

  it('fails when a function that reads the file is declared but the file is missing', () => {
    expect(() => pluginFor(undefined, ['windows', 'alerts']).validateDetectors()).toThrow(
      /windows, alerts read detectors.yml at cold start/,
    );
  });

  it('lets a service whose functions do not read detectors package without a detectors file', () => {
    expect(() => pluginFor(undefined, ['replay']).validateDetectors()).not.toThrow();
  });

  it('accepts the repository detectors.yml', () => {
    const plugin = new StreamSentinelChecks({
      serviceDir: join(__dirname, '../..'),
      classes: { Error: ServerlessError },
      service: { getAllFunctions: () => ['windows'], provider: { environment: { WINDOW_SECONDS: '10', ANOMALY_THRESHOLD: '2' } } },
    });
    expect(() => plugin.validateDetectors()).not.toThrow();
  });
});

describe('the local stage guard (serverless/checks.js)', () => {
  const checks = (command: string, stage: string) =>
    new StreamSentinelChecks(
      { processedInput: { commands: [command] }, classes: { Error: ServerlessError }, service: { provider: { stage: 'dev' } } },
      { stage },
    );

  it('refuses to deploy the local stage', () => {
    expect(() => checks('deploy', 'local').refuseLocalDeploy()).toThrow(/the local stage only serves `sls invoke local --stage local`/);
  });

  it('lets the local stage be invoked locally and real stages be deployed', () => {
    expect(() => checks('invoke', 'local').refuseLocalDeploy()).not.toThrow();
    expect(() => checks('deploy', 'dev').refuseLocalDeploy()).not.toThrow();
  });
});
