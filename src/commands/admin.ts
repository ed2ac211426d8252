/**
 * Server administration commands: INFO, DBSIZE, FLUSHDB, FLUSHALL, TIME,
 * CONFIG, SHUTDOWN, SAVE, BGSAVE, LASTSAVE. (COMMAND, of the same Redis
 * group, is in ./introspection.ts.)
 *
 * Reference: https://redis.io/docs/latest/commands/?group=server
 */
import type { CommandContext, CommandSpec } from './context.js';
import { command, container } from './table.js';
import { REDIS_COMPAT_VERSION } from '../version.js';
import { ERR, isWord, parseLong, replyHelp, word } from './util.js';

/** INFO [section [section ...]]: a verbatim string (RESP2: a bulk string), as server.c `infoCommand`. */
function infoCommand(c: CommandContext, argv: Buffer[]): void {
  const sections = argv.slice(1).map((a) => a.toString('latin1').toLowerCase());
  c.reply.verbatim(c.server.info(sections));
}

/** DBSIZE */
function dbsizeCommand(c: CommandContext): void {
  c.reply.int(c.db.size);
}

/** Parses the optional ASYNC|SYNC of FLUSHDB/FLUSHALL; both flush at once here. */
function flushModeOk(c: CommandContext, argv: Buffer[]): boolean {
  if (argv.length === 1) return true;
  if (argv.length === 2 && (isWord(argv[1]!, 'ASYNC') || isWord(argv[1]!, 'SYNC'))) return true;
  c.reply.error(ERR.syntax);
  return false;
}

/** FLUSHDB [ASYNC | SYNC] */
function flushdbCommand(c: CommandContext, argv: Buffer[]): void {
  if (!flushModeOk(c, argv)) return;
  c.server.watches.touchDb(c.dbIndex);
  c.db.clear();
  // Blocked XREADGROUP clients learn that their stream is gone (Redis's `signalFlushedDb`).
  c.server.blocking.signalDb(c.dbIndex);
  c.server.propagate(c.dbIndex, ['FLUSHDB']);
  c.reply.ok();
}

/** FLUSHALL [ASYNC | SYNC] */
function flushallCommand(c: CommandContext, argv: Buffer[]): void {
  if (!flushModeOk(c, argv)) return;
  for (let db = 0; db < c.server.keyspace.dbs.length; db++) c.server.watches.touchDb(db);
  c.server.keyspace.clear();
  for (let db = 0; db < c.server.keyspace.dbs.length; db++) c.server.blocking.signalDb(db);
  c.server.propagate(0, ['FLUSHALL']);
  c.reply.ok();
}

/** TIME: [unix seconds, microseconds] as bulk strings. */
function timeCommand(c: CommandContext): void {
  const us = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
  c.reply.arrayLen(2);
  c.reply.bulkAscii(String(us / 1_000_000n));
  c.reply.bulkAscii(String(us % 1_000_000n));
}

/** CONFIG GET parameter [parameter ...]: a map of name to value (RESP2: a flat array), as config.c's. */
function configGetCommand(c: CommandContext, argv: Buffer[]): void {
  const pairs = c.server.config.match(argv.slice(2).map((a) => a.toString('utf8')));
  c.reply.mapLen(pairs.length);
  for (const [k, v] of pairs) {
    c.reply.bulkString(k);
    c.reply.bulkString(v);
  }
}

/** CONFIG SET parameter value [parameter value ...] */
function configSetCommand(c: CommandContext, argv: Buffer[]): void {
  if (argv.length % 2 !== 0) return c.reply.error(ERR.syntax);
  const pairs: [string, string][] = [];
  for (let j = 2; j < argv.length; j += 2) pairs.push([argv[j]!.toString('utf8'), argv[j + 1]!.toString('utf8')]);
  const err = c.server.config.set(pairs);
  if (err !== null) c.reply.error(err);
  else c.reply.ok();
}

/** CONFIG REWRITE: the settings in force, into the config file the server started with (src/config/rewrite.ts). */
function configRewriteCommand(c: CommandContext): void {
  const err = c.server.config.rewrite();
  if (err !== null) c.reply.error(err);
  else c.reply.ok();
}

/** CONFIG RESETSTAT */
function configResetstatCommand(c: CommandContext): void {
  c.server.resetStats();
  c.reply.ok();
}

function configHelpCommand(c: CommandContext): void {
  replyHelp(c, 'CONFIG', [
    'GET <pattern>',
    '    Return parameters matching the glob-like <pattern> and their values.',
    'SET <directive> <value>',
    '    Set the configuration <directive> to <value>.',
    'RESETSTAT',
    '    Reset statistics reported by the INFO command.',
    'REWRITE',
    '    Rewrite the configuration file.',
  ]);
}

/**
 * SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]: stops accepting, makes the
 * WAL durable and exits. On success the connection closes without a reply, as
 * in Redis.
 */
function shutdownCommand(c: CommandContext, argv: Buffer[]): void {
  let abort = false;
  let save = true;
  let nosave = false;
  for (let j = 1; j < argv.length; j++) {
    const w = word(argv[j]!);
    if (w === 'ABORT') abort = true;
    else if (w === 'NOSAVE') nosave = true;
    else if (w !== 'SAVE' && w !== 'NOW' && w !== 'FORCE') return c.reply.error(ERR.syntax);
  }
  if (nosave && argv.some((a) => isWord(a, 'SAVE'))) return c.reply.error(ERR.syntax);
  if (abort) {
    if (argv.length > 2) return c.reply.error(ERR.syntax);
    return c.reply.error('ERR No shutdown in progress.');
  }
  if (nosave) save = false;
  c.session.closeAfterReply = true;
  c.server.requestShutdown('SHUTDOWN command', save);
}

/**
 * SAVE: takes a snapshot and replies once it is durable. Unlike Redis, the
 * server keeps serving other clients meanwhile; only this client waits.
 */
function saveCommand(c: CommandContext): void {
  const snaps = c.server.snapshots;
  if (snaps.inProgress) return c.reply.error('ERR Background save already in progress');
  c.block();
  snaps
    .take('SAVE')
    .then(
      () => c.reply.ok(),
      (err: Error) => c.reply.error(`ERR snapshot failed: ${err.message}`),
    )
    .finally(() => c.unblock());
}

/**
 * BGSAVE [SCHEDULE]. Inside EXEC the snapshot is scheduled for after the
 * transaction, as Redis's `bgsaveCommand` does: frozen halfway, it would hold
 * part of a transaction its WAL record has not yet covered.
 */
function bgsaveCommand(c: CommandContext, argv: Buffer[]): void {
  const schedule = argv.length === 2 && isWord(argv[1]!, 'SCHEDULE');
  if (argv.length > 2 || (argv.length === 2 && !schedule)) return c.reply.error(ERR.syntax);
  const snaps = c.server.snapshots;
  if (c.server.inExec && !snaps.inProgress) {
    setImmediate(() => snaps.take('BGSAVE').catch(() => {}));
    return c.reply.simple('Background saving scheduled');
  }
  if (snaps.inProgress) {
    if (!schedule) return c.reply.error('ERR Background save already in progress');
    void snaps
      .take('BGSAVE')
      .catch(() => {})
      .finally(() => snaps.take('BGSAVE SCHEDULE').catch(() => {}));
    return c.reply.simple('Background saving scheduled');
  }
  snaps.take('BGSAVE').catch(() => {});
  c.reply.simple('Background saving started');
}

/** A database index argument of SWAPDB, as `getIntFromObjectOrReply` reads it, or null after replying. */
function dbIndexOrReply(c: CommandContext, arg: Buffer, which: string): number | null {
  const n = parseLong(arg);
  if (n === null || n < -(2 ** 31) || n >= 2 ** 31) {
    c.reply.error(`ERR invalid ${which} DB index`);
    return null;
  }
  return n;
}

/** The two databases a SWAPDB call names, when both are valid numbers. */
function swapdbDatabases(argv: readonly Buffer[]): number[] {
  const a = parseLong(argv[1]!);
  const b = parseLong(argv[2]!);
  return a === null || b === null ? [] : [a, b];
}

/**
 * SWAPDB index1 index2 (db.c `swapdbCommand`): the two databases exchange
 * their keys at once (src/store/keyspace.ts `swapDbs`, no data copied).
 * Clients WATCHing keys of either are touched as multi.c does, clients
 * blocked on keys of either look again, and the swap is one WAL effect,
 * `SWAPDB a b`, replayed in order with every other (docs/FORMAT.md, "Effects").
 */
function swapdbCommand(c: CommandContext, argv: Buffer[]): void {
  const a = dbIndexOrReply(c, argv[1]!, 'first');
  if (a === null) return;
  const b = dbIndexOrReply(c, argv[2]!, 'second');
  if (b === null) return;
  const n = c.server.keyspace.dbs.length;
  if (a < 0 || a >= n || b < 0 || b >= n) return c.reply.error('ERR DB index is out of range');
  if (a !== b) {
    c.server.watches.touchSwap(a, b);
    c.server.keyspace.swapDbs(a, b);
    c.server.blocking.signalDb(a);
    c.server.blocking.signalDb(b);
    c.server.propagate(c.dbIndex, ['SWAPDB', String(a), String(b)]);
  }
  c.reply.ok();
}

/**
 * LOLWUT [VERSION version]: Redis 7.0 answers every version but 5 and 6
 * with its version line (lolwut.c `lolwutUnstableCommand`); so does
 * FlashCache, for those too (their generative art is random).
 */
function lolwutCommand(c: CommandContext, argv: Buffer[]): void {
  if (argv.length >= 3 && isWord(argv[1]!, 'VERSION') && parseLong(argv[2]!) === null) {
    return c.reply.error(ERR.notInteger);
  }
  c.reply.verbatim(`Redis ver. ${REDIS_COMPAT_VERSION}\n`);
}

/** LASTSAVE: Unix time of the last successful snapshot (the start time before the first). */
function lastsaveCommand(c: CommandContext): void {
  const t = c.server.snapshots.stats.lastTime;
  c.reply.int(t > 0 ? t : Math.floor(c.server.startedAt / 1000));
}

const configSub = (
  name: string,
  arity: number,
  flags: CommandSpec['flags'],
  summary: string,
  handler: CommandSpec['handler'],
): CommandSpec =>
  command({
    name: `config|${name}`,
    arity: arity,
    flags: flags,
    group: 'server',
    since: '2.0.0',
    complexity: 'O(N) when N is the number of configuration parameters provided',
    summary: summary,
    handler: handler,
  });

/** The administration commands' table entries. */
export const adminCommands: CommandSpec[] = [
  command({
    name: 'info',
    arity: -1,
    flags: ['loading', 'stale'],
    group: 'server',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: 'Returns information and statistics about the server.',
    handler: infoCommand,
  }),
  command({
    name: 'dbsize',
    arity: 1,
    flags: ['readonly', 'fast'],
    group: 'server',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: 'Returns the number of keys in the database.',
    handler: dbsizeCommand,
  }),
  command({
    name: 'flushdb',
    arity: -1,
    flags: ['write'],
    group: 'server',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of keys in the selected database',
    summary: 'Removes all keys from the current database.',
    handler: flushdbCommand,
  }),
  command({
    name: 'flushall',
    arity: -1,
    flags: ['write'],
    allDatabases: true,
    group: 'server',
    since: '1.0.0',
    complexity: 'O(N) where N is the total number of keys in all databases',
    summary: 'Removes all keys from all databases.',
    handler: flushallCommand,
  }),
  command({
    name: 'time',
    arity: 1,
    flags: ['loading', 'stale', 'fast'],
    group: 'server',
    since: '2.6.0',
    complexity: 'O(1)',
    summary: 'Returns the server time.',
    handler: timeCommand,
  }),
  command({
    name: 'shutdown',
    arity: -1,
    flags: ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'sentinel', 'allow_busy'],
    group: 'server',
    since: '1.0.0',
    complexity:
      'O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)',
    summary: 'Synchronously saves the database(s) to disk and shuts down the Redis server.',
    handler: shutdownCommand,
  }),
  command({
    name: 'save',
    arity: 1,
    flags: ['admin', 'noscript', 'no_async_loading', 'no_multi'],
    group: 'server',
    since: '1.0.0',
    complexity: 'O(N) where N is the total number of keys in all databases',
    summary: 'Synchronously saves the database(s) to disk.',
    handler: saveCommand,
  }),
  command({
    name: 'bgsave',
    arity: -1,
    flags: ['admin', 'noscript', 'no_async_loading'],
    group: 'server',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: 'Asynchronously saves the database(s) to disk.',
    handler: bgsaveCommand,
  }),
  command({
    name: 'lastsave',
    arity: 1,
    flags: ['loading', 'stale', 'fast'],
    group: 'server',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: 'Returns the Unix timestamp of the last successful save to disk.',
    handler: lastsaveCommand,
  }),
  command({
    name: 'swapdb',
    arity: 3,
    flags: ['write', 'fast'],
    wholeDbs: swapdbDatabases,
    group: 'server',
    since: '4.0.0',
    complexity: 'O(N) where N is the count of clients watching or blocking on keys from both databases.',
    summary: 'Swaps two Redis databases',
    handler: swapdbCommand,
  }),
  command({
    name: 'lolwut',
    arity: -1,
    flags: ['readonly', 'fast'],
    group: 'server',
    since: '5.0.0',
    complexity: '',
    summary: 'Display some computer art and the Redis version',
    handler: lolwutCommand,
  }),
  container('config', 'server', '2.0.0', 'A container for server configuration commands.', [
    configSub(
      'get',
      -3,
      ['admin', 'noscript', 'loading', 'stale'],
      'Returns the effective values of configuration parameters.',
      configGetCommand,
    ),
    configSub(
      'set',
      -4,
      ['admin', 'noscript', 'loading', 'stale'],
      'Sets configuration parameters in-flight.',
      configSetCommand,
    ),
    configSub(
      'resetstat',
      2,
      ['admin', 'noscript', 'loading', 'stale'],
      "Resets the server's statistics.",
      configResetstatCommand,
    ),
    configSub(
      'rewrite',
      2,
      ['admin', 'noscript', 'loading', 'stale'],
      'Rewrite the configuration file with the in memory configuration',
      configRewriteCommand,
    ),
    configSub(
      'help',
      2,
      ['loading', 'stale'],
      'Returns helpful text about the different subcommands.',
      configHelpCommand,
    ),
  ]),
];
