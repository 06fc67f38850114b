/**
 * What every AWS client of the service is made with: the region, and the endpoint override that points local
 * mode and the tests at dynalite/kinesalite. Endpoints follow the SDK's standard `AWS_ENDPOINT_URL` /
 * `AWS_ENDPOINT_URL_<SERVICE>` variables. Each client lives in its own module (dynamodb.ts, sns.ts, ...) so a
 * bundle carries only the SDK clients its function uses.
 */

export interface ClientOptions {
  region?: string;
  endpoint?: string;
}

/** The service's name in `AWS_ENDPOINT_URL_<SERVICE>`. */
export type ServiceId = 'DYNAMODB' | 'KINESIS' | 'SNS' | 'S3' | 'SQS' | 'FIREHOSE';

/** True when some endpoint override is in force for the service (explicitly or through the environment). */
export const overridden = (service: ServiceId, options: ClientOptions): boolean =>
  Boolean(options.endpoint ?? process.env[`AWS_ENDPOINT_URL_${service}`] ?? process.env.AWS_ENDPOINT_URL);

/** The region, endpoint and (under an endpoint override) credentials every client config starts from. */
export function baseConfig(service: ServiceId, options: ClientOptions = {}) {
  return {
    region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    endpoint: options.endpoint,
    // Local emulators accept any credentials; give the SDK some so it does not go looking for a profile.
    credentials:
      overridden(service, options) && !process.env.AWS_ACCESS_KEY_ID ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined,
  };
}
