#!/usr/bin/env node
/**
 * `flashcache`: starts the server.
 *
 *   flashcache [config-file] [--name value ...]
 *
 * Every setting in src/config/settings.ts is a flag, a config-file line and a
 * `FLASHCACHE_*` environment variable; flags win over the file, the file over
 * the environment. Exit codes: 0 after a clean shutdown, 1 when start-up or
 * shutdown failed (the reason is logged).
 */
import { Command, Option } from 'commander';
import { Config, ConfigFileError } from './config/config.js';
import { ALL_SETTINGS, ConfigError, envName } from './config/settings.js';
import { createLogger } from './server/logger.js';
import { Server } from './server/server.js';
import { FLASHCACHE_VERSION } from './version.js';

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());
}

// The WAL keeps up to four synced writes in flight on libuv's thread pool
// (src/persistence/wal/writer.ts); leave threads beside them for preallocation and
// snapshot I/O. Read when the pool first starts, which is later than this;
// an operator's own setting wins.
process.env['UV_THREADPOOL_SIZE'] ??= '8';

const program = new Command('flashcache')
  .description('FlashCache: a Redis-compatible cache server whose data survives crashes.')
  .version(FLASHCACHE_VERSION)
  .argument('[config-file]', 'redis.conf-style configuration file (same as --config)')
  .option('--config <file>', 'redis.conf-style configuration file: one "name value" per line');

for (const def of ALL_SETTINGS) {
  if (def.hidden) continue;
  const valueName =
    def.type === 'enum' ? def.values!.join('|') : def.type === 'bool' ? 'yes|no' : (def.unit ?? def.type);
  const unit = def.type === 'bytes' ? ', bytes; suffixes k kb m mb g gb' : def.unit ? `, ${def.unit}` : '';
  const opt = new Option(
    `--${def.name} <${valueName}>`,
    `${def.description} (default: ${def.default === '' ? '""' : def.default}${unit}; env ${envName(def.name)})`,
  );
  // A repeatable setting collects every occurrence, one per line.
  if (def.multi === true)
    opt.argParser((v: string, prev: string | undefined) => (prev === undefined ? v : `${prev}\n${v}`));
  program.addOption(opt);
}
program.addHelpText(
  'after',
  `
Precedence: flag, then config file, then FLASHCACHE_* environment variable, then default.
Settings marked "yes" under CONFIG SET in README.md can also be changed at run time.

Example:
  flashcache --port 6380 --dir /var/lib/flashcache --appendfsync always`,
);

program.parse();
const opts = program.opts<Record<string, string | undefined>>();
const flags: Record<string, string | undefined> = {};
for (const def of ALL_SETTINGS) flags[def.name] = opts[camel(def.name)];
const file = opts['config'] ?? program.args[0];

let config: Config;
try {
  config = new Config(flags, file);
} catch (err) {
  if (err instanceof ConfigError || err instanceof ConfigFileError) {
    process.stderr.write(`flashcache: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

const log = createLogger(config.get('log-level'));
let server: Server;
try {
  server = new Server(config, log);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`flashcache: ${err.message}\n`);
  process.exit(1);
}
try {
  await server.start();
} catch (err) {
  log.fatal({ err: (err as Error).message, kind: (err as Error).name }, `cannot start: ${(err as Error).message}`);
  process.exit(1);
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => server.requestShutdown(signal));
}

process.exit(await server.stopped);
