'use strict';
/* global require, module, process */
// A Serverless plugin is a CommonJS module loaded by the sls CLI.
/* eslint-disable @typescript-eslint/no-require-imports */

// Loaded by sls before it builds any AWS SDK v3 client (ours under `invoke local`, its own for deploy/info): the SDK's
// 9-line Node-version notice is noise for a CLI run, and the stream-sentinel CLI already silences it the same way.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * The project's own guards around `sls`:
 * - detectors.yml is validated when the service is packaged (and so on every deploy), with the same loader
 *   the functions use at cold start: a typo in a detector fails `sls package` with the loader's message
 *   instead of failing every invocation after the deploy. Listed before serverless-esbuild in serverless.yml,
 *   so a bad file stops the run before esbuild starts (an esbuild left running keeps the CLI from exiting).
 * - the `local` stage (literal resource names for `sls invoke local` against the emulators) is never deployed.
 * - the stage parameter `inputStreamArn` attaches the service to an existing stream: every reference to InputStream
 *   becomes conditional once the resources are merged (serverless/input-stream.js says why there).
 * - the detectors' outputs get their streams and the windows role its put permissions (serverless/outputs.js).
 */
class StreamSentinelChecks {
  constructor(serverless, options = {}) {
    this.serverless = serverless;
    this.options = options;
    this.hooks = {
      initialize: () => this.refuseLocalDeploy(),
      'before:package:createDeploymentArtifacts': () => this.validateDetectors(),
      'after:aws:package:finalize:mergeCustomProviderResources': () => {
        this.addOutputs();
        this.attachInputStream();
      },
    };
  }

  refuseLocalDeploy() {
    const commands = (this.serverless.processedInput && this.serverless.processedInput.commands) || [];
    const stage = this.options.stage || this.serverless.service.provider.stage;
    if (commands[0] === 'deploy' && stage === 'local') {
      throw new this.serverless.classes.Error(
        'the local stage only serves `sls invoke local --stage local` against the local emulators; deploy a real stage (--stage dev, --stage prod, …)',
      );
    }
  }

  attachInputStream() {
    const { parseInputStreamArn, attachInputStream } = require('./input-stream.js');
    const { service } = this.serverless;
    try {
      attachInputStream(service.provider.compiledCloudFormationTemplate, parseInputStreamArn((service.custom || {}).inputStreamArn));
    } catch (error) {
      throw new this.serverless.classes.Error(error instanceof Error ? error.message : String(error));
    }
  }

  addOutputs() {
    const { existsSync } = require('node:fs');
    const path = require('node:path');
    const { service } = this.serverless;
    const file = path.join(this.serverless.serviceDir, 'detectors.yml');
    if (!existsSync(file) || !service.getAllFunctions().includes('windows')) return;
    require('tsx/cjs');
    const { loadDetectorsFile } = require('../shared/detectors/loader.ts');
    const { addOutputResources } = require('./outputs.js');
    const environment = service.provider.environment || {};
    try {
      const detectors = loadDetectorsFile(file, {
        windowSeconds: Number(environment.WINDOW_SECONDS),
        threshold: Number(environment.ANOMALY_THRESHOLD),
      });
      addOutputResources(service.provider.compiledCloudFormationTemplate, detectors, {
        prefix: String(environment.OUTPUT_NAME_PREFIX || ''),
      });
    } catch (error) {
      throw new this.serverless.classes.Error(error instanceof Error ? error.message : String(error));
    }
  }

  validateDetectors() {
    const { existsSync } = require('node:fs');
    const path = require('node:path');
    const { service } = this.serverless;
    const file = path.join(this.serverless.serviceDir, 'detectors.yml');
    const readers = ['windows', 'hotspots', 'alerts'].filter((name) => service.getAllFunctions().includes(name));
    if (!existsSync(file)) {
      if (readers.length)
        throw new this.serverless.classes.Error(`${readers.join(', ')} read detectors.yml at cold start, but ${file} does not exist`);
      return;
    }
    // The loader is TypeScript; tsx (a runtime dependency, the CLI uses it too) loads it without a build.
    require('tsx/cjs');
    const { loadDetectorsFile } = require('../shared/detectors/loader.ts');
    const environment = service.provider.environment || {};
    try {
      loadDetectorsFile(file, { windowSeconds: Number(environment.WINDOW_SECONDS), threshold: Number(environment.ANOMALY_THRESHOLD) });
    } catch (error) {
      throw new this.serverless.classes.Error(error instanceof Error ? error.message : String(error));
    }
  }
}

module.exports = StreamSentinelChecks;
