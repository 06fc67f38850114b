import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The event source's checkpoint per shard: the last sequence number it is done with (delivered or sent to
 * the on-failure destination). In memory by default; in a JSON file so a restarted event source resumes
 * after what it already handled.
 */

export interface CheckpointStore {
  get(shardId: string): string | undefined;
  set(shardId: string, sequenceNumber: string): void;
}

export class MemoryCheckpoints implements CheckpointStore {
  readonly values = new Map<string, string>();
  get(shardId: string): string | undefined {
    return this.values.get(shardId);
  }
  set(shardId: string, sequenceNumber: string): void {
    this.values.set(shardId, sequenceNumber);
  }
}

export class FileCheckpoints implements CheckpointStore {
  private readonly values: Record<string, string>;
  constructor(private readonly file: string) {
    try {
      this.values = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    } catch {
      // No file yet (first run) or a torn one: start from the stream's starting position.
      this.values = {};
    }
  }
  get(shardId: string): string | undefined {
    return this.values[shardId];
  }
  set(shardId: string, sequenceNumber: string): void {
    this.values[shardId] = sequenceNumber;
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(this.file, JSON.stringify(this.values, null, 2));
  }
}
