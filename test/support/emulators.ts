import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { CreateTableCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { dynamoClient, kinesisClient } from '../../shared/aws/clients';
import { tableDefinition } from '../../local/definitions';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (opts: Record<string, unknown>) => Server;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kinesalite = require('kinesalite') as (opts: Record<string, unknown>) => Server;

export interface Emulator {
  endpoint: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<Emulator> {
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** An in-memory dynalite on a free loopback port. */
export const startDynalite = (): Promise<Emulator> => listen(dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }));

/** An in-memory kinesalite on a free loopback port. */
export const startKinesalite = (): Promise<Emulator> =>
  listen(kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 }));

/** Creates the stack's DataTable (from resources/tables.yml) in the emulator and waits for it. */
export async function createDataTable(
  endpoint: string,
  tableName = `test-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
): Promise<string> {
  const client = dynamoClient({ endpoint });
  await client.send(new CreateTableCommand(tableDefinition(tableName)));
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
  client.destroy();
  return tableName;
}

/** Creates a Kinesis stream in the emulator and waits for it to be active. */
export async function createStream(endpoint: string, streamName: string, shardCount = 1): Promise<string> {
  const client = kinesisClient({ endpoint });
  await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  await waitUntilStreamExists({ client, maxWaitTime: 30 }, { StreamName: streamName });
  client.destroy();
  return streamName;
}
