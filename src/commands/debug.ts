/**
 * DEBUG: the subset of Redis 7.0's debug.c that means something here, gated
 * by `enable-debug-command` (no, yes, or local: loopback connections only,
 * as server.c `allowProtectedAction`). Subcommands that would crash the
 * server, leak memory or poke at Redis's allocator are not offered; one not
 * offered gets Redis's "unknown subcommand" error.
 *
 * Reference: https://redis.io/docs/latest/commands/debug/ and debug.c `debugCommand`
 */
import { EntryType } from '../store/arena.js';
import type { Db } from '../store/db.js';
import type { CommandContext, CommandSpec } from './context.js';
import { command } from './table.js';
import { ERR, isWord, parseInt64, parseLong, replyHelp, word } from './util.js';

/** Whether a peer address is loopback (networking.c `islocalClient`). */
function isLocal(addr: string): boolean {
  return addr.startsWith('127.') || addr.startsWith('::1:') || addr.startsWith('::ffff:127.') || addr === '';
}

/** Blocks the whole process for `ms`, as Redis's DEBUG SLEEP stops its event loop. */
function sleepBlocking(ms: number): void {
  if (ms <= 0) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The encoding OBJECT ENCODING reports for the value at `slot`. */
function encodingOf(db: Db, slot: number): string {
  if (db.type(slot) !== EntryType.String) return db.collection(slot).encoding;
  const v = db.value(slot);
  const n = v.length <= 20 ? parseInt64(v) : null;
  if (n !== null && String(n) === v.toString('latin1')) return 'int';
  return v.length <= 44 ? 'embstr' : 'raw';
}

const HELP = [
  'CHANGE-REPL-ID',
  '    Change the replication IDs of the instance.',
  '    Dangerous: should be used only for testing the replication subsystem.',
  'CONFIG-REWRITE-FORCE-ALL',
  '    Like CONFIG REWRITE but writes all configuration options, including',
  '    keywords not listed in original configuration file or default values.',
  'LOG <message>',
  '    Write <message> to the server log.',
  'OBJECT <key>',
  '    Show low level info about `key` and associated value.',
  'PAUSE-CRON <0|1>',
  '    Stop periodic cron job processing.',
  'POPULATE <count> [<prefix>] [<size>]',
  "    Create <count> string keys named key:<num>. If <prefix> is specified then it is used instead of the 'key'",
  '    prefix. Each is logged to the WAL as any write.',
  'PROTOCOL <type>',
  '    Reply with a test value of the specified type. <type> can be: string,',
  '    integer, double, bignum, null, array, set, map, attrib, push, verbatim,',
  '    true, false.',
  'RELOAD',
  '    Take a snapshot, load the data directory back into a scratch keyspace as a restart',
  '    would, and compare it with the live data.',
  'SET-ACTIVE-EXPIRE <0|1>',
  '    Setting it to 0 disables expiring keys in background when they are not',
  '    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the',
  '    default.',
  'QUICKLIST-PACKED-THRESHOLD <size>',
  '    Accepted for compatibility: lists here have no packed or plain nodes.',
  'LISTPACK <key>',
  '    Show the listpack-like encoding Redis would use for <key>.',
  'SLEEP <seconds>',
  '    Stop the server for <seconds>. Decimals allowed.',
];

/** DEBUG PROTOCOL type: one reply of each RESP type, as debug.c sends them. */
function protocol(c: CommandContext, type: string): void {
  const r = c.reply;
  switch (type) {
    case 'STRING':
      return r.bulkString('Hello World');
    case 'INTEGER':
      return r.int(12345);
    case 'DOUBLE':
      return r.double('3.141');
    case 'BIGNUM':
      return r.bigNumber('1234567999999999999999999999999999999');
    case 'NULL':
      return r.nullBulk();
    case 'ARRAY':
    case 'SET':
      if (type === 'ARRAY') r.arrayLen(3);
      else r.setLen(3);
      for (let j = 0; j < 3; j++) r.int(j);
      return;
    case 'MAP':
      r.mapLen(3);
      for (let j = 0; j < 3; j++) {
        r.int(j);
        r.bool(j === 1);
      }
      return;
    case 'ATTRIB':
      if (r.attributeLen(1)) {
        r.bulkString('key-popularity');
        r.arrayLen(2);
        r.bulkString('key:123');
        r.int(90);
      }
      return r.bulkString('Some real reply following the attribute');
    case 'PUSH':
      if (r.resp < 3) return r.error('ERR RESP2 is not supported by this command');
      r.pushLen(2);
      r.bulkString('server-cpu-usage');
      r.int(42);
      return r.bulkString('Some real reply following the push reply');
    case 'TRUE':
    case 'FALSE':
      return r.bool(type === 'TRUE');
    case 'VERBATIM':
      return r.verbatim('This is a verbatim\nstring');
    default:
      return r.error(
        'ERR Wrong protocol type name. Please use one of the following: ' +
          'string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false',
      );
  }
}

/** DEBUG POPULATE count [prefix] [size]: string keys `prefix:n` holding `value:n` (padded to size), as debug.c. */
function populate(c: CommandContext, argv: Buffer[]): void {
  const count = parseLong(argv[2]!);
  if (count === null || count < 0) return c.reply.error('ERR count should be greater than or equal to 0');
  const prefix = argv.length > 3 ? argv[3]!.toString('latin1') : 'key';
  let size = -1;
  if (argv.length > 4) {
    const s = parseLong(argv[4]!);
    if (s === null || s < 0) return c.reply.error('ERR value is out of range');
    size = s;
  }
  for (let j = 0; j < count; j++) {
    const key = Buffer.from(`${prefix}:${j}`, 'latin1');
    if (c.db.peek(key) >= 0) continue;
    let value = Buffer.from(`value:${j}`, 'latin1');
    if (size >= 0) {
      const padded = Buffer.alloc(size);
      value.copy(padded, 0, 0, Math.min(size, value.length));
      value = padded;
    }
    c.db.setString(key, value, 0);
    c.server.propagate(c.dbIndex, ['SET', key, value]);
  }
  c.reply.ok();
}

/** DEBUG subcommand [arg ...] */
function debugCommand(c: CommandContext, argv: Buffer[]): void {
  const allowed = c.server.config.get('enable-debug-command');
  if (allowed === 'no' || (allowed === 'local' && !isLocal(c.session.addr))) {
    return c.reply.error(
      'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it ' +
        'from a local connection, otherwise you need to set this option in the configuration file, and then ' +
        'restart the server.',
    );
  }
  const sub = word(argv[1]!);
  const argc = argv.length;
  const hooks = c.server.debug;
  if (sub === 'HELP' && argc === 2) return replyHelp(c, 'DEBUG', HELP);
  if (sub === 'SLEEP' && argc === 3) {
    const secs = Number.parseFloat(argv[2]!.toString('latin1'));
    sleepBlocking(Number.isFinite(secs) ? secs * 1000 : 0);
    return c.reply.ok();
  }
  if (sub === 'SET-ACTIVE-EXPIRE' && argc === 3) {
    hooks.activeExpire = parseLong(argv[2]!) !== 0;
    return c.reply.ok();
  }
  if (sub === 'PAUSE-CRON' && argc === 3) {
    hooks.cronPaused = parseLong(argv[2]!) !== 0;
    return c.reply.ok();
  }
  if ((sub === 'QUICKLIST-PACKED-THRESHOLD' && argc === 3) || (sub === 'CHANGE-REPL-ID' && argc === 2)) {
    return c.reply.ok();
  }
  if (sub === 'LOG' && argc === 3) return c.reply.ok();
  if (sub === 'CONFIG-REWRITE-FORCE-ALL' && argc === 2) {
    const err = c.server.config.rewrite(true);
    return err === null
      ? c.reply.ok()
      : c.reply.error(err.replace(/^ERR Rewriting config file: /, 'ERR CONFIG-REWRITE-FORCE-ALL failed: '));
  }
  if (sub === 'PROTOCOL' && argc === 3) return protocol(c, word(argv[2]!));
  if (sub === 'POPULATE' && argc >= 3 && argc <= 5) return populate(c, argv);
  if ((sub === 'OBJECT' || sub === 'LISTPACK') && argc === 3) {
    const slot = c.db.peek(argv[2]!);
    if (slot < 0) return c.reply.error(ERR.noSuchKey);
    const enc = encodingOf(c.db, slot);
    if (sub === 'LISTPACK') {
      if (enc !== 'listpack')
        return c.reply.error('ERR The value stored at the specified key is not represented using an listpack');
      return c.reply.simple(`Listpack encoding of ${argv[2]!.toString('latin1')}`);
    }
    const lru = c.db.accessWord(slot) & 0xffffff;
    return c.reply.simple(
      `Value at:0x0 refcount:1 encoding:${enc} serializedlength:${c.db.valueLength(slot)} lru:${lru} ` +
        'lru_seconds_idle:0',
    );
  }
  if (
    sub === 'RELOAD' &&
    argv.slice(2).every((a) => isWord(a, 'MERGE') || isWord(a, 'NOFLUSH') || isWord(a, 'NOSAVE'))
  ) {
    // A snapshot frozen halfway through EXEC would hold part of a transaction its WAL record does not cover.
    if (c.server.inExec) return c.reply.error('ERR DEBUG RELOAD is not allowed inside a transaction');
    c.block();
    hooks
      .reload()
      .then(
        (diff) => (diff === null ? c.reply.ok() : c.reply.error(`ERR DEBUG RELOAD found different data: ${diff}`)),
        (err: Error) => c.reply.error(`ERR Error trying to load the data: ${err.message}`),
      )
      .finally(() => c.unblock());
    return;
  }
  c.reply.error(
    `ERR unknown subcommand or wrong number of arguments for '${argv[1]!.toString('latin1').slice(0, 128)}'. ` +
      'Try DEBUG HELP.',
  );
}

/** The DEBUG command's table entry. */
export const debugCommands: CommandSpec[] = [
  command({
    name: 'debug',
    arity: -2,
    flags: ['admin', 'noscript', 'loading', 'stale'],
    group: 'server',
    since: '1.0.0',
    complexity: 'Depends on subcommand.',
    summary: 'A container for debugging commands',
    handler: debugCommand,
  }),
];
