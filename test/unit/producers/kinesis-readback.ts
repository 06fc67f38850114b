import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';

/** Test support (not a test): every record in a stream, read back over all shards from the trim horizon. */
export interface ReadBack {
  data: string;
  partitionKey: string;
  shardId: string;
}

export async function readAllRecords(client: KinesisClient, streamName: string): Promise<ReadBack[]> {
  const shards = (await client.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  const out: ReadBack[] = [];
  for (const shard of shards) {
    let iterator = (
      await client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))
    ).ShardIterator;
    // An open shard always hands out a next iterator: stop at the first empty page once caught up.
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10000 }));
      for (const r of page.Records ?? [])
        out.push({ data: Buffer.from(r.Data!).toString('utf8'), partitionKey: r.PartitionKey!, shardId: shard.ShardId! });
      if (!page.Records?.length && (page.MillisBehindLatest ?? 0) === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

/** Multiset of "partitionKey␟data", for exactly-once comparisons. */
export function tally(items: Array<{ data: string; partitionKey: string }>): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) {
    const k = `${i.partitionKey}\u241f${i.data}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}
