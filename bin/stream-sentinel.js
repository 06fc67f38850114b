#!/usr/bin/env node
// The CLI runs from TypeScript sources through tsx, so a clean checkout needs no build step.
// The pinned AWS SDK v3 supports Node 20 (our dev machines); its notice about future releases is not actionable here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
require('../cli/main.ts');
