import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as score from './commands/score';
import * as stack from './commands/stack';
import * as start from './commands/start';
import * as detectors from './commands/detectors';
import * as hotspots from './commands/hotspots';
import * as produce from './commands/produce';
import * as replay from './commands/replay';
import * as importSql from './commands/import-sql';

// Each command lives in cli/commands/<name>.ts and exports `register(program)`. Commands load their
// heavy modules (AWS SDK, emulators) inside their action, so `--help` and `score` start fast.
const program = new Command('stream-sentinel')
  .description('Windowed counts, Random Cut Forest scores, hotspots and alerts for Kinesis streams — the KDA for SQL pipeline, rebuilt.')
  .version((JSON.parse(readFileSync(join(__dirname, '../package.json'), 'utf8')) as { version: string }).version)
  .showHelpAfterError()
  .enablePositionalOptions();

const commands: Array<{ register(program: Command): void }> = [
  // command modules are listed here, one line each
  score,
  stack,
  start,
  detectors,
  hotspots,
  produce,
  replay,
  importSql,
];
for (const command of commands) command.register(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`stream-sentinel: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
