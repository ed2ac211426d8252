/**
 * The `flashcache` command line: `[config-file] [--name value ...]`, every
 * setting of src/config/settings.ts (except the hidden ones) as a flag,
 * parsed by commander, which also gives `--help`, `--version` and the
 * errors for an unknown option or a missing value.
 *
 * The common shape of a start, an optional config file and then only
 * `--name value` pairs of known settings, is read by {@link quickArgs}
 * without commander: building commander's ~200 options and loading it is
 * some 10 ms of a start (bench/RESULTS.md, "Start-up"). It gives what
 * commander gives for such a line (test/unit/cli-args.test.ts compares the
 * two); anything else goes to commander.
 */
import type { Command } from 'commander';
import { ALL_SETTINGS, envName, type SettingDef } from './config/settings.js';
import { FLASHCACHE_VERSION } from './version.js';

/** What a command line asks for. */
export interface StartArgs {
  /** Each setting's flag value as given (repeated values of a `multi` setting joined by newlines), else undefined. */
  flags: Record<string, string | undefined>;
  /** The config file: `--config`, else the positional argument, else undefined. */
  file: string | undefined;
}

const FLAG_SETTINGS = new Map<string, SettingDef>(
  ALL_SETTINGS.filter((d) => d.hidden !== true).map((d) => [d.name, d]),
);

/**
 * Reads `[config-file] --name value ...` of known settings (and `--config`)
 * without commander.
 *
 * @param argv the arguments after the script
 * @returns what commander would make of them, or null for any other shape (help, version, `--name=value`,
 *   short or unknown options, a missing value, `--`, a positional argument after an option)
 */
export function quickArgs(argv: readonly string[]): StartArgs | null {
  const flags: Record<string, string | undefined> = {};
  for (const def of ALL_SETTINGS) flags[def.name] = undefined;
  let positional: string | undefined;
  let config: string | undefined;
  let i = 0;
  if (argv.length > 0 && !argv[0]!.startsWith('-')) positional = argv[i++];
  for (; i < argv.length; i += 2) {
    const arg = argv[i]!;
    const value = argv[i + 1];
    if (!arg.startsWith('--') || value === undefined || arg === '--' || value === '--') return null;
    const name = arg.slice(2);
    if (name === 'config') {
      config = value;
      continue;
    }
    const def = FLAG_SETTINGS.get(name);
    if (def === undefined) return null;
    const prev = flags[name];
    flags[name] = def.multi === true && prev !== undefined ? `${prev}\n${value}` : value;
  }
  return { flags, file: config ?? positional };
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
 * The command line of this process: {@link quickArgs} when it can, else
 * commander (which prints help, the version or an error and exits for those).
 */
export async function parseStartArgs(argv: readonly string[] = process.argv.slice(2)): Promise<StartArgs> {
  return quickArgs(argv) ?? commanderArgs(await flashcacheProgram(), argv);
}
