'use strict';
/* global require, module, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports */
const path = require('node:path');

/**
 * Absolute paths on this machine for the `local` stage (serverless.yml). `sls invoke local` runs the bundled
 * handler from .esbuild/.build, which the next build wipes: a relative REJECTS_DIR would land there.
 */
module.exports = {
  rejectsDir: () => path.resolve(__dirname, '..', '.stream-sentinel', 'rejects'),
};
