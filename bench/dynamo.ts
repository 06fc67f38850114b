import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * What the DynamoDB benches share: dynalite in a child process (so its CPU is not the measured process's), and a
 * client middleware that sums the capacity units DynamoDB reports, writes and reads apart, and counts requests.
 */

const ROOT = resolve(__dirname, '..');

export async function startDynaliteProcess(): Promise<{ endpoint: string; child: ChildProcess }> {
  const script = `const s=require('dynalite')({createTableMs:0,deleteTableMs:0,updateTableMs:0});s.listen(0,'127.0.0.1',()=>console.log(s.address().port))`;
  const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((ok, fail) => {
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`dynalite exited with ${code}`)));
    child.stdout!.once('data', (d: Buffer) => ok(d.toString().trim()));
  });
  return { endpoint: `http://127.0.0.1:${port}`, child };
}

export interface CapacityUnits {
  write: number;
  read: number;
  requests: number;
}

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/**
 * Adds to `units` what each call consumed, by the low-level command's name (a BatchGetItem has RequestItems too, so
 * the input's shape cannot tell a read from a write); with `latencyMs`, sleeps that long before each call first.
 */
export function countCapacityUnits(client: DynamoDBDocumentClient, units: CapacityUnits, latencyMs = 0): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (latencyMs > 0) await sleep(latencyMs);
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = 'TOTAL';
      const out = await next(args);
      const used = (out.output as { ConsumedCapacity?: { CapacityUnits?: number } | Array<{ CapacityUnits?: number }> }).ConsumedCapacity;
      const sum = [used ?? []].flat().reduce((s, c) => s + (c.CapacityUnits ?? 0), 0);
      if (WRITES.has(context.commandName ?? '')) units.write += sum;
      else units.read += sum;
      units.requests++;
      return out;
    },
    { step: 'initialize', name: 'benchCapacityUnits' },
  );
}
