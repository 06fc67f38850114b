import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ValidateDetectors = require('../../serverless/validate-detectors.js') as new (serverless: unknown) => { validate(): void };

class ServerlessError extends Error {}

/** The slice of the Serverless object the plugin uses, around a service directory of our own. */
function pluginFor(detectorsYml: string | undefined, functions = ['windows']) {
  const serviceDir = mkdtempSync(join(tmpdir(), 'validate-detectors-'));
  if (detectorsYml !== undefined) writeFileSync(join(serviceDir, 'detectors.yml'), detectorsYml);
  return new ValidateDetectors({
    serviceDir,
    classes: { Error: ServerlessError },
    service: { getAllFunctions: () => functions, provider: { environment: { WINDOW_SECONDS: '10', ANOMALY_THRESHOLD: '2' } } },
  });
}

describe('package-time detectors validation (serverless/validate-detectors.js)', () => {
  it('fails packaging with the loader messages when a detector is invalid', () => {
    const plugin = pluginFor(
      'detectors:\n  - name: toll\n    format: csv\n    csv: { columns: [date, station, plate] }\n    key: statoin\n',
    );
    expect(() => plugin.validate()).toThrow(ServerlessError);
    expect(() => plugin.validate()).toThrow(/key field "statoin" is not one of the CSV columns/);
  });

  it('accepts a valid detectors file', () => {
    expect(() =>
      pluginFor('detectors:\n  - name: toll\n    format: csv\n    csv: { columns: [date, station, plate] }\n    key: station\n').validate(),
    ).not.toThrow();
  });

  it('fails when a function that reads the file is declared but the file is missing', () => {
    expect(() => pluginFor(undefined, ['windows', 'alerts']).validate()).toThrow(/windows read detectors.yml at cold start/);
  });

  it('lets a service without windows or hotspots package without a detectors file', () => {
    expect(() => pluginFor(undefined, ['alerts']).validate()).not.toThrow();
  });

  it('accepts the repository detectors.yml', () => {
    const plugin = new ValidateDetectors({
      serviceDir: join(__dirname, '../..'),
      classes: { Error: ServerlessError },
      service: { getAllFunctions: () => ['windows'], provider: { environment: { WINDOW_SECONDS: '10', ANOMALY_THRESHOLD: '2' } } },
    });
    expect(() => plugin.validate()).not.toThrow();
  });
});
