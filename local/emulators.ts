import type { AddressInfo } from 'node:net';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

// dynalite and kinesalite ship no types; each returns a plain node:http server holding an in-memory LevelDB.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (opts: Record<string, unknown>) => Server;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kinesalite = require('kinesalite') as (opts: Record<string, unknown>) => Server;

export interface RunningServer {
  server: Server;
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (never on all interfaces: local mode is for this machine only), port 0 = a free one. */
export async function listenLocal(server: Server, port = 0): Promise<RunningServer> {
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', fail);
      ok();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    server,
    endpoint: `http://127.0.0.1:${bound}`,
    port: bound,
    // SDK clients keep connections alive; without dropping them close() would wait for their idle timeout.
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

/**
 * A local stand-in for an AWS API (the SNS capture, the Firehose output capture): each request's whole body handed to
 * `handle` as text, served on 127.0.0.1.
 */
export function listenCapture(
  handle: (body: string, req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
  port = 0,
): Promise<RunningServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => void handle(Buffer.concat(chunks).toString('utf8'), req, res));
  });
  return listenLocal(server, port);
}

/** An in-memory dynalite; tables become ACTIVE at once. */
export const startDynalite = (port = 0): Promise<RunningServer> =>
  listenLocal(dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }), port);

/** An in-memory kinesalite; streams become ACTIVE at once. */
export const startKinesalite = (port = 0): Promise<RunningServer> =>
  listenLocal(kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 }), port);

/**
 * One endpoint for all three services, so a single `AWS_ENDPOINT_URL` points every SDK client at the
 * local stack: JSON-protocol requests are routed by their X-Amz-Target (Kinesis_…, DynamoDB_…) and the
 * rest (SNS speaks the Query protocol) go to the SNS capture. Requests are handed over, not proxied.
 */
export function startGateway(routes: { kinesis: Server; dynamodb: Server; sns: Server }, port = 0): Promise<RunningServer> {
  const gateway = createServer((req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const to = target.startsWith('Kinesis_') ? routes.kinesis : target.startsWith('DynamoDB_') ? routes.dynamodb : routes.sns;
    to.emit('request', req, res);
  });
  return listenLocal(gateway, port);
}
