import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FirehoseEndpoint {
  endpoint: string;
  /** Every record accepted, decoded, per delivery stream, in arrival order. */
  delivered: Map<string, string[]>;
  /** PutRecordBatch calls received (accepted or not). */
  calls: Array<{ stream: string; records: number }>;
  /** The next `n` records (across calls) are answered as failed, as Firehose does under throttling. */
  failNext(n: number): void;
  close(): Promise<void>;
}

/**
 * A loopback stand-in for Firehose's PutRecordBatch (no emulator for Firehose exists on npm): it speaks the
 * service's JSON 1.1 protocol to the real SDK client, so the request the functions send is the real one.
 */
export async function startFirehose(): Promise<FirehoseEndpoint> {
  const delivered = new Map<string, string[]>();
  const calls: FirehoseEndpoint['calls'] = [];
  let failures = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      if (target !== 'Firehose_20150804.PutRecordBatch') {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        return void res.end(JSON.stringify({ __type: 'InvalidArgumentException', message: `unsupported ${target}` }));
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { DeliveryStreamName: string; Records: Array<{ Data: string }> };
      calls.push({ stream: body.DeliveryStreamName, records: body.Records.length });
      const kept = delivered.get(body.DeliveryStreamName) ?? [];
      delivered.set(body.DeliveryStreamName, kept);
      let failed = 0;
      const responses = body.Records.map((r, i) => {
        if (failures > 0) {
          failures--;
          failed++;
          return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' };
        }
        kept.push(Buffer.from(r.Data, 'base64').toString('utf8'));
        return { RecordId: `${calls.length}-${i}` };
      });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ FailedPutCount: failed, Encrypted: true, RequestResponses: responses }));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    delivered,
    calls,
    failNext: (n) => {
      failures = n;
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
