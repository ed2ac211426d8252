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
import { narrowHelp } from './help-width.js';
import { REDIS_LOG_LEVELS } from './config/process-settings.js';
import { ALL_SETTINGS, ConfigError, envName } from './config/settings.js';
import { daemonize, notifyReady, reportToParent, shouldDaemonize, writePidfile } from './server/daemon.js';
import { createLogger, type Logger } from './server/logger.js';
import { DataDirError, describeDataDirError } from './server/preflight.js';
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

program.parse();
const opts = program.opts<Record<string, string | undefined>>();
const flags: Record<string, string | undefined> = {};
for (const def of ALL_SETTINGS) flags[def.name] = opts[camel(def.name)];
const file = opts['config'] ?? program.args[0];

/** Starts the server with the settings parsed above and exits with its code when it stops. */
async function main(): Promise<never> {
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

  if (shouldDaemonize(config)) process.exit(await daemonize(config, process.argv.slice(2)));

  /** Stops start-up with one line on stderr (and tells a waiting `daemonize` parent). */
  function refuse(message: string): never {
    reportToParent({ ready: false, error: message });
    process.stderr.write(`flashcache: ${message}\n`);
    process.exit(1);
  }

  // log-level wins; Redis's loglevel counts when only it was given.
  const redisLevel = REDIS_LOG_LEVELS[config.get('loglevel')]!;
  const useRedisLevel = config.sourceOf('log-level') === 'default' && config.sourceOf('loglevel') !== 'default';
  let log: Logger;
  try {
    log = createLogger(useRedisLevel ? redisLevel : config.get('log-level'), config.get('logfile'));
  } catch (err) {
    refuse(`cannot open logfile ${config.get('logfile')}: ${(err as Error).message}`);
  }
  if (config.ignored.length > 0) {
    log.warn({ ignored: config.ignored }, `accepted but ignored, no effect in FlashCache: ${config.ignored.join(' ')}`);
  }
  let server: Server;
  try {
    server = new Server(config, log);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    refuse(err.message);
  }
  config.onChange('loglevel', (v) => (log.level = REDIS_LOG_LEVELS[v]!));
  const removePidfile = writePidfile(config, log);
  try {
    await server.start();
  } catch (err) {
    removePidfile();
    if (err instanceof ConfigError || err instanceof DataDirError) refuse(err.message);
    const plain = describeDataDirError(server.dir, err);
    if (plain !== null) refuse(plain);
    reportToParent({ ready: false, error: `cannot start: ${(err as Error).message}` });
    log.fatal({ err: (err as Error).message, kind: (err as Error).name }, `cannot start: ${(err as Error).message}`);
    process.exit(1);
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => server.requestShutdown(signal));
  }
  reportToParent({ ready: true, port: server.port });
  await notifyReady(config, log);

  const code = await server.stopped;
  removePidfile();
  process.exit(code);
}

// An error thrown here ends the process as an uncaught exception does (exit code 1, the stack on stderr).
void main();
