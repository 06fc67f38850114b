'use strict';
/* global module */

/**
 * What the function bundles leave out (serverless.yml, custom.esbuild.exclude; the windows bench builds the
 * same way). Only the credential providers that the SDK's default chain loads on demand, with
 * `await import(…)`, after the environment variables gave no credentials: in Lambda they always do, so these
 * are never loaded there. If one ever is (a runtime that hands out credentials another way), Node finds it in
 * the runtime's own SDK (/var/runtime/node_modules); under `sls invoke local`, in the project's node_modules.
 * Their own dependencies (the SSO/STS clients, the token providers) go with them: about 120 KB of each bundle.
 * test/infra/bundle.test.ts checks that the bundle loads and works with none of them present.
 */
const onDemandCredentialProviders = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
];

module.exports = { onDemandCredentialProviders };
