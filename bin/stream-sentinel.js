#!/usr/bin/env node
// The CLI runs from TypeScript sources through tsx, so a clean checkout needs no build step.
require('tsx/cjs');
require('../cli/main.ts');
