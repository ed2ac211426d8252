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
import { parseStartArgs } from './cli-args.js';
import { Config, ConfigFileError } from './config/config.js';
import { REDIS_LOG_LEVELS } from './config/process-settings.js';
import { ConfigError } from './config/settings.js';
import { daemonize, notifyReady, reportToParent, shouldDaemonize, writePidfile } from './server/daemon.js';
import { createLogger, type Logger } from './server/logger.js';
import { DataDirError, describeDataDirError } from './server/preflight.js';
import { Server } from './server/server.js';

// The WAL keeps up to four synced writes in flight on libuv's thread pool
// (src/persistence/wal/writer.ts); leave threads beside them for preallocation and
// snapshot I/O. Read when the pool first starts, which is later than this;
// an operator's own setting wins.
process.env['UV_THREADPOOL_SIZE'] ??= '8';

/** Starts the server with the command line's settings and exits with its code when it stops. */
async function main(): Promise<never> {
  const { flags, file } = await parseStartArgs();
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
