import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { startCommand } from '../../../cli/commands/start';
import { recoverNpmOptions } from '../../../cli/npm-args';
import { CliOptionError } from '../../../cli/options';

const ROOT = resolve(__dirname, '../../..');
const npmEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
  npm_lifecycle_event: 'start',
  npm_lifecycle_script: 'node bin/stream-sentinel.js start',
  ...extra,
});
const program = () => {
  const p = new Command('stream-sentinel');
  startCommand(p);
  return p;
};
const argv = (...rest: string[]) => ['node', 'bin/stream-sentinel.js', 'start', ...rest];

describe('options typed after `npm start` without --', () => {
  it('are left alone when the program is not run by one of our npm scripts', () => {
    expect(recoverNpmOptions(program(), argv(), { npm_config_keep_open: 'true' })).toEqual({ argv: argv() });
  });

  it('honours flags and --x=value that npm kept, saying how to type them next time', () => {
    const result = recoverNpmOptions(
      program(),
      argv(),
      npmEnv({ npm_config_keep_open: 'true', npm_config_duration: '5m', npm_config_dashboard: '' }),
    );
    expect(result.argv).toEqual(argv('--duration=5m', '--no-dashboard', '--keep-open'));
    expect(result.note).toContain('Next time type: npm start -- --duration=5m --no-dashboard --keep-open');
  });

  it('stops with the exact command when npm separated an option from its value', () => {
    const run = () => recoverNpmOptions(program(), argv('nope'), npmEnv({ npm_config_scenario: 'true' }));
    expect(run).toThrow(CliOptionError);
    expect(run).toThrow('npm start -- --scenario nope');
  });

  it('says the value was dropped (npm start --duration -5) and shows where it goes', () => {
    expect(() => recoverNpmOptions(program(), argv(), npmEnv({ npm_config_duration: 'true' }))).toThrow(
      /dropped its value[\s\S]*npm start -- --duration <value>/,
    );
  });

  it('ignores npm settings that are not options of the command', () => {
    expect(recoverNpmOptions(program(), argv(), npmEnv({ npm_config_cache: '/tmp/x', npm_config_loglevel: 'warn' })).argv).toEqual(argv());
  });

  it('through npm itself: `npm start --scenario nope` ends with the command to type, before anything starts', () => {
    const run = spawnSync('npm', ['start', '--scenario', 'nope'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('npm start -- --scenario nope');
  });
});
