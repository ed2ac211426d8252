/**
 * The `flashcache` command line: `[config-file] [--name value ...]`, every
 * setting of src/config/settings.ts (except the hidden ones) as a flag,
 * parsed by commander, which also gives `--help`, `--version` and the
 * errors for an unknown option or a missing value.
 */
import type { Command } from 'commander';
import { ALL_SETTINGS, envName } from './config/settings.js';
import { FLASHCACHE_VERSION } from './version.js';

/** What a command line asks for. */
export interface StartArgs {
  /** Each setting's flag value as given (repeated values of a `multi` setting joined by newlines), else undefined. */
  flags: Record<string, string | undefined>;
  /** The config file: `--config`, else the positional argument, else undefined. */
  file: string | undefined;
}

/** `--tls-port` → `tlsPort`: the key commander files an option's value under. */
function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());
}

/** Commander's program for the command line: every flag, `--help` fitted to the terminal, `--version`. */
export async function flashcacheProgram(): Promise<Command> {
  const [{ Command, Option }, { narrowHelp }] = await Promise.all([import('commander'), import('./help-width.js')]);
  const program = new Command('flashcache')
    .configureHelp(narrowHelp())
    .description('FlashCache: a Redis-compatible cache server whose data survives crashes.')
    .version(FLASHCACHE_VERSION)
    .argument('[config-file]', 'redis.conf-style configuration file (same as --config)')
    .option('--config <file>', 'redis.conf-style configuration file: one "name value" per line');

  for (const def of ALL_SETTINGS) {
    if (def.hidden) continue;
    // A long list of values would not fit an 80-column term: it goes into the description instead.
    const values = def.values?.join('|') ?? '';
    const long = values.length > 30;
    const valueName =
      def.type === 'enum' ? (long ? 'value' : values) : def.type === 'bool' ? 'yes|no' : (def.unit ?? def.type);
    const unit = def.type === 'bytes' ? ', bytes; suffixes k kb m mb g gb' : def.unit ? `, ${def.unit}` : '';
    const opt = new Option(
      `--${def.name} <${valueName}>`,
      `${def.description}${long ? ` (one of ${def.values!.join(', ')})` : ''} ` +
        `(default: ${def.default === '' ? '""' : def.default}${unit}; env ${envName(def.name)})`,
    );
    // A repeatable setting collects every occurrence, one per line.
    if (def.multi === true)
      opt.argParser((v: string, prev: string | undefined) => (prev === undefined ? v : `${prev}\n${v}`));
    program.addOption(opt);
  }
  program.addHelpText(
    'after',
    `
Precedence: flag, then config file, then FLASHCACHE_* environment variable,
then default. Settings marked "yes" under CONFIG SET in README.md can also be
changed at run time.

Example:
  flashcache --port 6380 --dir /var/lib/flashcache --appendfsync always`,
  );
  return program;
}

/** What commander makes of `argv` (the arguments after the script) with {@link flashcacheProgram}. */
export function commanderArgs(program: Command, argv: readonly string[]): StartArgs {
  program.parse([...argv], { from: 'user' });
  const opts = program.opts<Record<string, string | undefined>>();
  const flags: Record<string, string | undefined> = {};
  for (const def of ALL_SETTINGS) flags[def.name] = opts[camel(def.name)];
  return { flags, file: opts['config'] ?? program.args[0] };
}

/**
 * The command line of this process, read by commander (which prints help,
 * the version or an error and exits for those).
 */
export async function parseStartArgs(argv: readonly string[] = process.argv.slice(2)): Promise<StartArgs> {
  return commanderArgs(await flashcacheProgram(), argv);
}
