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
import * as compare from './commands/compare';
import * as learn from './commands/learn';
import { recoverNpmOptions } from './npm-args';

// Each command lives in cli/commands/<name>.ts and exports `register(program)`. Commands load their
// heavy modules (AWS SDK, emulators) inside their action, so `--help` and `score` start fast.
const program = new Command('stream-sentinel')
  .description('Windowed counts, Random Cut Forest scores, hotspots and alerts for Kinesis streams — the KDA for SQL pipeline, rebuilt.')
  .version((JSON.parse(readFileSync(join(__dirname, '../package.json'), 'utf8')) as { version: string }).version)
  .showHelpAfterError('(see --help for every option)')
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
  compare,
  learn,
];
for (const command of commands) command.register(program);

// `produce --print | head`: the reader went away, which ends the output, not the program with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

let argv = process.argv;
try {
  const recovered = recoverNpmOptions(program, process.argv);
  if (recovered.note) console.error(recovered.note);
  argv = recovered.argv;
} catch (error) {
  console.error(`stream-sentinel: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}

program.parseAsync(argv).catch((error: unknown) => {
  console.error(`stream-sentinel: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
