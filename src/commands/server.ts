/**
 * Server commands: INFO, DBSIZE, FLUSHDB, FLUSHALL, TIME, CONFIG, SHUTDOWN,
 * COMMAND.
 *
 * Reference: https://redis.io/docs/latest/commands/?group=server
 */
import type { Client } from '../server/client.js';
import { infoText } from '../server/info.js';
import { cmd, container, keyPositions, arityOk, type CommandSpec } from './table.js';
import { ERR, isWord, word } from './util.js';

/** INFO [section [section ...]] */
function infoCommand(c: Client, argv: Buffer[]): void {
  const sections = argv.slice(1).map((a) => a.toString('latin1').toLowerCase());
  c.reply.bulkString(infoText(c.server, sections));
}

/** DBSIZE */
function dbsizeCommand(c: Client): void {
  c.reply.int(c.db.size);
}

/** Parses the optional ASYNC|SYNC of FLUSHDB/FLUSHALL; both flush at once here. */
function flushModeOk(c: Client, argv: Buffer[]): boolean {
  if (argv.length === 1) return true;
  if (argv.length === 2 && (isWord(argv[1]!, 'ASYNC') || isWord(argv[1]!, 'SYNC'))) return true;
  c.reply.error(ERR.syntax);
  return false;
}

/** FLUSHDB [ASYNC | SYNC] */
function flushdbCommand(c: Client, argv: Buffer[]): void {
  if (!flushModeOk(c, argv)) return;
  c.db.clear();
  c.server.propagate(c.dbIndex, ['FLUSHDB']);
  c.reply.ok();
}

/** FLUSHALL [ASYNC | SYNC] */
function flushallCommand(c: Client, argv: Buffer[]): void {
  if (!flushModeOk(c, argv)) return;
  c.server.keyspace.clear();
  c.server.propagate(0, ['FLUSHALL']);
  c.reply.ok();
}

/** TIME: [unix seconds, microseconds] as bulk strings. */
function timeCommand(c: Client): void {
  const us = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
  c.reply.arrayLen(2);
  c.reply.bulkAscii(String(us / 1_000_000n));
  c.reply.bulkAscii(String(us % 1_000_000n));
}

/** CONFIG GET parameter [parameter ...] */
function configGetCommand(c: Client, argv: Buffer[]): void {
  const pairs = c.server.config.match(argv.slice(2).map((a) => a.toString('utf8')));
  c.reply.arrayLen(pairs.length * 2);
  for (const [k, v] of pairs) {
    c.reply.bulkString(k);
    c.reply.bulkString(v);
  }
}

/** CONFIG SET parameter value [parameter value ...] */
function configSetCommand(c: Client, argv: Buffer[]): void {
  if (argv.length % 2 !== 0) return c.reply.error(ERR.syntax);
  const pairs: [string, string][] = [];
  for (let j = 2; j < argv.length; j += 2) pairs.push([argv[j]!.toString('utf8'), argv[j + 1]!.toString('utf8')]);
  const err = c.server.config.set(pairs);
  if (err !== null) c.reply.error(err);
  else c.reply.ok();
}

/** CONFIG RESETSTAT */
function configResetstatCommand(c: Client): void {
  c.server.resetStats();
  c.reply.ok();
}

function configHelpCommand(c: Client): void {
  c.reply.bulkArray(
    [
      'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'GET <pattern>',
      '    Return parameters matching the glob-like <pattern> and their values.',
      'SET <directive> <value>',
      '    Set the configuration <directive> to <value>.',
      'RESETSTAT',
      '    Reset statistics reported by the INFO command.',
      'HELP',
      '    Print this help.',
    ].map((s) => Buffer.from(s)),
  );
}

/**
 * SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]: stops accepting, makes the
 * WAL durable and exits. On success the connection closes without a reply, as
 * in Redis.
 */
function shutdownCommand(c: Client, argv: Buffer[]): void {
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
  c.closeAfterReply = true;
  c.server.requestShutdown('SHUTDOWN command', save);
}

/**
 * SAVE: takes a snapshot and replies once it is durable. Unlike Redis, the
 * server keeps serving other clients meanwhile; only this client waits.
 */
function saveCommand(c: Client): void {
  const snaps = c.server.snapshots;
  if (snaps.inProgress) return c.reply.error('ERR Background save already in progress');
  c.block();
  snaps.take('SAVE').then(
    () => c.reply.ok(),
    (err: Error) => c.reply.error(`ERR snapshot failed: ${err.message}`),
  ).finally(() => c.unblock());
}

/** BGSAVE [SCHEDULE] */
function bgsaveCommand(c: Client, argv: Buffer[]): void {
  const schedule = argv.length === 2 && isWord(argv[1]!, 'SCHEDULE');
  if (argv.length > 2 || (argv.length === 2 && !schedule)) return c.reply.error(ERR.syntax);
  const snaps = c.server.snapshots;
  if (snaps.inProgress) {
    if (!schedule) return c.reply.error('ERR Background save already in progress');
    void snaps.take('BGSAVE').catch(() => {}).finally(() => snaps.take('BGSAVE SCHEDULE').catch(() => {}));
    return c.reply.simple('Background saving scheduled');
  }
  snaps.take('BGSAVE').catch(() => {});
  c.reply.simple('Background saving started');
}

/** LASTSAVE: Unix time of the last successful snapshot (the start time before the first). */
function lastsaveCommand(c: Client): void {
  const t = c.server.snapshots.stats.lastTime;
  c.reply.int(t > 0 ? t : Math.floor(c.server.startedAt / 1000));
}

/** ACL categories COMMAND reports, derived from the table entry. */
function aclCategories(spec: CommandSpec): string[] {
  const cats: string[] = [];
  if (spec.flags.includes('write')) cats.push('@write');
  if (spec.flags.includes('readonly')) cats.push('@read');
  const group = spec.group === 'generic' ? 'keyspace' : spec.group;
  cats.push(`@${group}`);
  cats.push(spec.flags.includes('fast') ? '@fast' : '@slow');
  if (spec.flags.includes('admin')) cats.push('@admin', '@dangerous');
  return cats;
}

/** One COMMAND INFO entry (RESP2 shape of Redis 7: 10 elements). */
function commandInfo(c: Client, spec: CommandSpec): void {
  const r = c.reply;
  r.arrayLen(10);
  r.bulkString(spec.name);
  r.int(spec.arity);
  r.arrayLen(spec.flags.length);
  for (const f of spec.flags) r.simple(f);
  r.int(spec.firstKey);
  r.int(spec.lastKey);
  r.int(spec.keyStep);
  const cats = aclCategories(spec);
  r.arrayLen(cats.length);
  for (const cat of cats) r.simple(cat);
  r.arrayLen(0);
  if (spec.firstKey > 0) {
    r.arrayLen(1);
    r.arrayLen(6);
    r.bulkAscii('flags');
    r.arrayLen(1);
    r.simple(spec.flags.includes('write') ? 'RW' : 'RO');
    r.bulkAscii('begin_search');
    r.arrayLen(4);
    r.bulkAscii('type');
    r.bulkAscii('index');
    r.bulkAscii('spec');
    r.arrayLen(2);
    r.bulkAscii('index');
    r.int(spec.firstKey);
    r.bulkAscii('find_keys');
    r.arrayLen(4);
    r.bulkAscii('type');
    r.bulkAscii('range');
    r.bulkAscii('spec');
    r.arrayLen(6);
    r.bulkAscii('lastkey');
    r.int(spec.lastKey < 0 ? spec.lastKey : spec.lastKey - spec.firstKey);
    r.bulkAscii('keystep');
    r.int(spec.keyStep);
    r.bulkAscii('limit');
    r.int(0);
  } else {
    r.arrayLen(0);
  }
  const subs = spec.subcommands ? [...spec.subcommands.values()] : [];
  r.arrayLen(subs.length);
  for (const s of subs) commandInfo(c, s);
}

/** One COMMAND DOCS entry: name, then a flat map of summary, since, group, complexity. */
function commandDocs(c: Client, spec: CommandSpec): void {
  const r = c.reply;
  r.bulkString(spec.name);
  const subs = spec.subcommands ? [...spec.subcommands.values()] : [];
  r.arrayLen(subs.length > 0 ? 10 : 8);
  r.bulkAscii('summary');
  r.bulkString(spec.summary);
  r.bulkAscii('since');
  r.bulkAscii(spec.since);
  r.bulkAscii('group');
  r.bulkAscii(spec.group);
  r.bulkAscii('complexity');
  r.bulkString(spec.complexity);
  if (subs.length > 0) {
    r.bulkAscii('subcommands');
    r.arrayLen(subs.length * 2);
    for (const s of subs) commandDocs(c, s);
  }
}

/** COMMAND [COUNT | INFO name... | DOCS name... | LIST | GETKEYS cmd args... | HELP] */
function commandCommand(c: Client, argv: Buffer[]): void {
  const table = c.server.commands;
  if (argv.length === 1) {
    const all = table.all();
    c.reply.arrayLen(all.length);
    for (const spec of all) commandInfo(c, spec);
    return;
  }
  const subName = word(argv[1]!);
  const lookup = (name: Buffer): CommandSpec | undefined => {
    const text = name.toString('latin1').toLowerCase();
    const bar = text.indexOf('|');
    if (bar < 0) return table.get(text);
    return table.get(text.slice(0, bar))?.subcommands?.get(text.slice(bar + 1));
  };
  switch (subName) {
    case 'COUNT':
      if (argv.length !== 2) break;
      return c.reply.int(table.size);
    case 'LIST': {
      const names = table.all().map((s) => Buffer.from(s.name));
      return c.reply.bulkArray(names);
    }
    case 'INFO': {
      const specs = argv.length === 2 ? table.all() : argv.slice(2).map(lookup);
      c.reply.arrayLen(specs.length);
      for (const s of specs) {
        if (s === undefined) c.reply.nullArray();
        else commandInfo(c, s);
      }
      return;
    }
    case 'DOCS': {
      const specs = (argv.length === 2 ? table.all() : argv.slice(2).map(lookup)).filter((s): s is CommandSpec => s !== undefined);
      c.reply.arrayLen(specs.length * 2);
      for (const s of specs) commandDocs(c, s);
      return;
    }
    case 'GETKEYS': {
      if (argv.length < 3) break;
      let spec = lookup(argv[2]!);
      const args = argv.slice(2);
      if (spec?.subcommands && args.length > 1) spec = spec.subcommands.get(args[1]!.toString('latin1').toLowerCase());
      if (spec === undefined) return c.reply.error('ERR Invalid command specified');
      if (!arityOk(spec.arity, args.length)) return c.reply.error('ERR Invalid number of arguments specified for command');
      const keys = keyPositions(spec, args.length).map((i) => args[i]!);
      if (keys.length === 0) return c.reply.error('ERR The command has no key arguments');
      return c.reply.bulkArray(keys);
    }
    case 'HELP':
      return c.reply.bulkArray(
        [
          'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
          '(no subcommand)',
          '    Return details about all commands.',
          'COUNT',
          '    Return the total number of commands in this server.',
          'LIST',
          '    Return a list of all commands in this server.',
          'INFO [<command-name> ...]',
          '    Return details about multiple commands.',
          'DOCS [<command-name> ...]',
          '    Return documentation details about multiple commands.',
          'GETKEYS <full-command>',
          '    Return the keys from a full command.',
          'HELP',
          '    Print this help.',
        ].map((s) => Buffer.from(s)),
      );
    default:
      return c.reply.error(`ERR unknown subcommand '${argv[1]!.toString('latin1').slice(0, 128)}'. Try COMMAND HELP.`);
  }
  c.reply.error(`ERR wrong number of arguments for 'command|${subName.toLowerCase()}' command`);
}

const configSub = (name: string, arity: number, flags: CommandSpec['flags'], summary: string, handler: CommandSpec['handler']): CommandSpec =>
  cmd(`config|${name}`, arity, flags, null, 'server', '2.0.0', 'O(N) when N is the number of configuration parameters provided', summary, handler);

/** The server family's table entries. */
export const serverCommands: CommandSpec[] = [
  cmd('info', -1, ['loading', 'stale'], null, 'server', '1.0.0', 'O(1)', 'Returns information and statistics about the server.', infoCommand),
  cmd('dbsize', 1, ['readonly', 'fast'], null, 'server', '1.0.0', 'O(1)', 'Returns the number of keys in the database.', dbsizeCommand),
  cmd('flushdb', -1, ['write'], null, 'server', '1.0.0', 'O(N) where N is the number of keys in the selected database', 'Removes all keys from the current database.', flushdbCommand),
  cmd('flushall', -1, ['write'], null, 'server', '1.0.0', 'O(N) where N is the total number of keys in all databases', 'Removes all keys from all databases.', flushallCommand),
  cmd('time', 1, ['loading', 'stale', 'fast'], null, 'server', '2.6.0', 'O(1)', 'Returns the server time.', timeCommand),
  cmd('shutdown', -1, ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'sentinel', 'allow_busy'], null, 'server', '1.0.0', 'O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)', 'Synchronously saves the database(s) to disk and shuts down the Redis server.', shutdownCommand),
  cmd('save', 1, ['admin', 'noscript', 'no_multi'], null, 'server', '1.0.0', 'O(N) where N is the total number of keys in all databases', 'Synchronously saves the database(s) to disk.', saveCommand),
  cmd('bgsave', -1, ['admin', 'noscript'], null, 'server', '1.0.0', 'O(1)', 'Asynchronously saves the database(s) to disk.', bgsaveCommand),
  cmd('lastsave', 1, ['loading', 'stale', 'fast'], null, 'server', '1.0.0', 'O(1)', 'Returns the Unix timestamp of the last successful save to disk.', lastsaveCommand),
  cmd('command', -1, ['loading', 'stale'], null, 'server', '2.8.13', 'O(N) where N is the total number of Redis commands', 'Returns detailed information about all commands.', commandCommand),
  container('config', 'server', '2.0.0', 'A container for server configuration commands.', [
    configSub('get', -3, ['admin', 'noscript', 'loading', 'stale'], 'Returns the effective values of configuration parameters.', configGetCommand),
    configSub('set', -4, ['admin', 'noscript', 'loading', 'stale'], 'Sets configuration parameters in-flight.', configSetCommand),
    configSub('resetstat', 2, ['admin', 'noscript', 'loading', 'stale'], 'Resets the server\'s statistics.', configResetstatCommand),
    configSub('help', 2, ['loading', 'stale'], 'Returns helpful text about the different subcommands.', configHelpCommand),
  ]),
];
