import type { Command, Option } from 'commander';
import { CliOptionError } from './options';

/**
 * Options typed after `npm start` / `npm run stack` without `--` never reach the program: npm takes
 * `--keep-open` as its own configuration (`npm_config_keep_open=true` in the script's environment), and for
 * `--scenario nope` it keeps `--scenario` and passes `nope` on as a stray argument. This module reads what npm
 * left in the environment for the command's own options: a flag (or `--x=value`) is honoured, with a note on
 * how to type it next time; an option whose value npm separated from it (or dropped: `--duration -5`) stops
 * the program with the exact command to type instead, before anything starts.
 */

export interface NpmArgsResult {
  /** The argv to parse: the original, plus the options recovered from npm's environment. */
  argv: string[];
  /** Said on stderr when something was recovered. */
  note?: string;
}

const envKey = (name: string) => `npm_config_${name.replace(/-/g, '_')}`;
const takesValue = (o: Option) => o.required || o.optional;

/** True when this process is one of our package.json scripts run by npm. */
export function runByNpmScript(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.npm_lifecycle_event) && /stream-sentinel\.js\b/.test(env.npm_lifecycle_script ?? '');
}

export function recoverNpmOptions(program: Command, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): NpmArgsResult {
  const result: NpmArgsResult = { argv: [...argv] };
  if (!runByNpmScript(env)) return result;
  const name = argv[2];
  const command = program.commands.find((c) => c.name() === name);
  if (!command) return result;

  const script = `npm ${env.npm_lifecycle_event === 'start' ? 'start' : `run ${env.npm_lifecycle_event}`}`;
  const recovered: string[] = [];
  const separated: string[] = [];
  for (const option of command.options) {
    if (!option.long) continue;
    const bare = option.long.slice(2);
    // npm turns `--no-dashboard` into dashboard="" (false); our option is the negated one.
    const value = option.negate ? env[envKey(bare.replace(/^no-/, ''))] : env[envKey(bare)];
    if (value === undefined) continue;
    if (option.negate) {
      if (value === '' || value === 'false') recovered.push(option.long);
    } else if (!takesValue(option)) {
      if (value === 'true') recovered.push(option.long);
    } else if (value === 'true' || value === '') {
      // `--scenario nope`: npm kept the name and passed the value on (or dropped it, for `-5`).
      separated.push(option.long);
    } else {
      recovered.push(`${option.long}=${value}`);
    }
  }
  if (!recovered.length && !separated.length) return result;

  const typed = argv.slice(3);
  if (separated.length) {
    // The stray values are in typed order but npm's environment does not keep the options' order: only a
    // single separated option can be paired with its value for certain.
    const parts = [...recovered];
    if (separated.length === 1 && typed.length <= 1) parts.push(`${separated[0]} ${typed[0] ?? '<value>'}`, ...typed.slice(1));
    else parts.push(...separated.map((o) => `${o} <value>`));
    const lost = separated.length === 1 && typed.length === 0;
    throw new CliOptionError(
      [
        `npm kept ${separated.join(', ')} for itself instead of passing ${separated.length > 1 ? 'them' : 'it'} on` +
          (lost
            ? ' (and dropped its value)'
            : typed.length
              ? ` (and passed on ${typed.map((t) => JSON.stringify(t)).join(' ')} alone)`
              : '') +
          '. Options after `' +
          script +
          '` need `--` before them; type:',
        `  ${script} -- ${parts.join(' ')}`,
      ].join('\n'),
    );
  }
  result.argv = [...argv.slice(0, 3), ...recovered, ...typed];
  result.note = `(npm kept ${recovered.join(' ')} for itself; read from npm's environment. Next time type: ${script} -- ${recovered.join(' ')})`;
  return result;
}
