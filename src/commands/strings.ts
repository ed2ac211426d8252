/**
 * String commands, after Redis's t_string.c: one generic SET serves SET,
 * SETNX, SETEX, PSETEX and GETSET. The counters (INCR, DECR, INCRBY,
 * DECRBY, INCRBYFLOAT) are in ./counters.ts.
 *
 * Effects logged (docs/FORMAT.md, "Effects"): relative TTLs become
 * `PXAT <absolute ms>`, so replay needs no clock.
 *
 * Reference: https://redis.io/docs/latest/commands/?group=string
 */
import { NOTIFY_GENERIC, NOTIFY_NEW, NOTIFY_STRING } from '../config/keyspace-events.js';
import { EntryType } from '../store/arena.js';
import type { Db } from '../store/db.js';
import type { CommandContext, CommandSpec, KeySpecFlag } from './context.js';
import { keyMiss } from './notify.js';
import { command, keyAt } from './table.js';
import { ERR, INT64_MAX, invalidExpire, isWord, longOrReply, parseInt64 } from './util.js';

const PXAT = 'PXAT';

/**
 * Looks `key` up for a command that needs a string: replies WRONGTYPE and
 * returns -2 when it holds another type.
 *
 * @returns the slot, -1 when absent, -2 after replying WRONGTYPE
 */
export function lookupStringOrReply(c: CommandContext, db: Db, key: Buffer): number {
  const slot = db.lookup(key);
  if (slot >= 0 && db.type(slot) !== EntryType.String) {
    c.reply.error(ERR.wrongType);
    return -2;
  }
  return slot;
}

/**
 * Replies `ERR string exceeds maximum allowed size (proto-max-bulk-len)` when
 * a string would grow past the limit (t_string.c `checkStringLength`). WAL
 * replay is exempt, as Redis exempts its AOF loader: the limit may have been
 * lowered since the write was acknowledged.
 *
 * @returns whether it replied
 */
function tooLongOrReply(c: CommandContext, length: number): boolean {
  if (length <= c.server.config.get('proto-max-bulk-len') || c.server.replaying) return false;
  c.reply.error(ERR.stringTooLong);
  return true;
}

/** The string at `key`, counting a keyspace hit or miss (GET-like reads). */
export function getForRead(c: CommandContext, key: Buffer): number {
  const slot = lookupStringOrReply(c, c.db, key);
  if (slot === -1) keyMiss(c, key);
  else c.server.stats.keyspaceHits++;
  return slot;
}

// SET and GETEX option flags (t_string.c OBJ_*).
const F_NX = 1;
const F_XX = 2;
const F_GET = 4;
const F_KEEPTTL = 8;
const F_EX = 16;
const F_PX = 32;
const F_EXAT = 64;
const F_PXAT = 128;
const F_PERSIST = 256;
const F_EXPIRE = F_EX | F_PX | F_EXAT | F_PXAT;

/** Parsed options of SET or GETEX. */
interface StringOptions {
  flags: number;
  /** The expire argument, when one of EX PX EXAT PXAT was given. */
  expire: Buffer | null;
}

/**
 * Parses SET or GETEX options as Redis's `parseExtendedStringArgumentsOrReply`
 * does: each option excludes the options it conflicts with, and a repeated
 * option (`EX 10 EX 20`) overrides the earlier one.
 *
 * @returns the options, or null after replying `ERR syntax error`
 */
function stringOptionsOrReply(c: CommandContext, argv: Buffer[], from: number, forSet: boolean): StringOptions | null {
  let flags = 0;
  let expire: Buffer | null = null;
  for (let j = from; j < argv.length; j++) {
    const a = argv[j]!;
    const next = j + 1 < argv.length;
    const expireSet = (flag: number): boolean => {
      if (!next || flags & (F_KEEPTTL | F_PERSIST | (F_EXPIRE & ~flag))) return false;
      flags |= flag;
      expire = argv[++j]!;
      return true;
    };
    if (forSet && isWord(a, 'NX') && !(flags & F_XX)) flags |= F_NX;
    else if (forSet && isWord(a, 'XX') && !(flags & F_NX)) flags |= F_XX;
    else if (forSet && isWord(a, 'GET')) flags |= F_GET;
    else if (forSet && isWord(a, 'KEEPTTL') && !(flags & (F_PERSIST | F_EXPIRE))) flags |= F_KEEPTTL;
    else if (!forSet && isWord(a, 'PERSIST') && !(flags & (F_EXPIRE | F_KEEPTTL))) flags |= F_PERSIST;
    else {
      const unit = isWord(a, 'EX')
        ? F_EX
        : isWord(a, 'PX')
          ? F_PX
          : isWord(a, 'EXAT')
            ? F_EXAT
            : isWord(a, 'PXAT')
              ? F_PXAT
              : 0;
      if (unit === 0 || !expireSet(unit)) {
        c.reply.error(ERR.syntax);
        return null;
      }
    }
  }
  return { flags, expire };
}

/**
 * Resolves an expire argument to absolute Unix ms, or replies
 * `ERR invalid expire time in '<cmd>' command` (t_string.c
 * `getExpireMillisecondsOrReply`: the value must be positive and the result
 * must fit a signed 64-bit integer).
 *
 * @param flags the parsed flags; their expire unit decides the arithmetic
 * @returns the absolute time, or null after replying
 */
function expireAtOrReply(c: CommandContext, arg: Buffer, flags: number, cmdName: string): number | null {
  const v = parseInt64(arg);
  if (v === null) {
    c.reply.error(ERR.notInteger);
    return null;
  }
  const seconds = (flags & (F_EX | F_EXAT)) !== 0;
  if (v <= 0n || (seconds && v > INT64_MAX / 1000n)) {
    c.reply.error(invalidExpire(cmdName));
    return null;
  }
  let ms = seconds ? v * 1000n : v;
  if (flags & (F_EX | F_PX)) ms += BigInt(Date.now());
  if (ms > INT64_MAX) {
    c.reply.error(invalidExpire(cmdName));
    return null;
  }
  return Number(ms);
}

/**
 * The generic SET (t_string.c `setGenericCommand`).
 *
 * @param expireAt absolute Unix ms, 0 for none
 * @param okReply true: `+OK`; false: `:1`/`:0` (SETNX)
 * @returns whether the value was stored
 */
function setGeneric(
  c: CommandContext,
  flags: number,
  key: Buffer,
  value: Buffer,
  expireAt: number,
  okReply: boolean,
): boolean {
  const db = c.db;
  if (tooLongOrReply(c, value.length)) return false;
  const slot = db.lookup(key);
  if (flags & F_GET) {
    if (slot >= 0) {
      if (db.type(slot) !== EntryType.String) {
        c.reply.error(ERR.wrongType);
        return false;
      }
      c.reply.bulk(db.value(slot));
    } else {
      keyMiss(c, key);
      c.reply.nullBulk();
    }
  }
  if ((flags & F_NX && slot >= 0) || (flags & F_XX && slot < 0)) {
    if (!(flags & F_GET)) {
      if (okReply) c.reply.nullBulk();
      else c.reply.int(0);
    }
    return false;
  }
  const keepTtl = (flags & F_KEEPTTL) !== 0 && slot >= 0;
  const at = keepTtl ? db.expireAt(slot) : expireAt;
  db.setString(key, value, at, slot);
  if (at > 0) c.server.propagate(c.dbIndex, ['SET', key, value, PXAT, String(at)]);
  else c.server.propagate(c.dbIndex, ['SET', key, value]);
  if (slot < 0) c.server.notify(NOTIFY_NEW, 'new', key, c.dbIndex);
  c.server.notify(NOTIFY_STRING, 'set', key, c.dbIndex);
  if (expireAt > 0) c.server.notify(NOTIFY_GENERIC, 'expire', key, c.dbIndex);
  if (!(flags & F_GET)) {
    if (okReply) c.reply.ok();
    else c.reply.int(1);
  }
  return true;
}

/** SET key value [NX | XX] [GET] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL] */
function setCommand(c: CommandContext, argv: Buffer[]): void {
  const opts = stringOptionsOrReply(c, argv, 3, true);
  if (opts === null) return;
  let at = 0;
  if (opts.expire !== null) {
    const r = expireAtOrReply(c, opts.expire, opts.flags, 'set');
    if (r === null) return;
    at = r;
  }
  setGeneric(c, opts.flags, argv[1]!, argv[2]!, at, true);
}

/** SETNX key value */
function setnxCommand(c: CommandContext, argv: Buffer[]): void {
  setGeneric(c, F_NX, argv[1]!, argv[2]!, 0, false);
}

/** SETEX key seconds value / PSETEX key milliseconds value */
function setexGeneric(unit: number, name: string) {
  return (c: CommandContext, argv: Buffer[]): void => {
    const at = expireAtOrReply(c, argv[2]!, unit, name);
    if (at === null) return;
    setGeneric(c, 0, argv[1]!, argv[3]!, at, true);
  };
}

/** GETSET key value */
function getsetCommand(c: CommandContext, argv: Buffer[]): void {
  setGeneric(c, F_GET, argv[1]!, argv[2]!, 0, true);
}

/** GET key */
function getCommand(c: CommandContext, argv: Buffer[]): void {
  const slot = getForRead(c, argv[1]!);
  if (slot === -1) c.reply.nullBulk();
  else if (slot >= 0) c.reply.bulk(c.db.value(slot));
}

/** GETDEL key */
function getdelCommand(c: CommandContext, argv: Buffer[]): void {
  const key = argv[1]!;
  const slot = getForRead(c, key);
  if (slot === -1) return c.reply.nullBulk();
  if (slot < 0) return;
  c.reply.bulk(c.db.value(slot));
  c.db.deleteSlot(slot);
  c.server.propagate(c.dbIndex, ['DEL', key]);
  c.server.notify(NOTIFY_GENERIC, 'del', key, c.dbIndex);
}

/**
 * GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST]. As in Redis, the
 * key is looked up before the expire argument is checked: a missing key is
 * nil whatever the argument.
 */
function getexCommand(c: CommandContext, argv: Buffer[]): void {
  const opts = stringOptionsOrReply(c, argv, 2, false);
  if (opts === null) return;
  const key = argv[1]!;
  const slot = getForRead(c, key);
  if (slot === -1) return c.reply.nullBulk();
  if (slot < 0) return;
  let at = 0;
  if (opts.expire !== null) {
    const r = expireAtOrReply(c, opts.expire, opts.flags, 'getex');
    if (r === null) return;
    at = r;
  }
  const db = c.db;
  c.reply.bulk(db.value(slot));
  if (opts.expire !== null && opts.flags & (F_EXAT | F_PXAT) && at <= Date.now()) {
    db.deleteSlot(slot);
    c.server.propagate(c.dbIndex, ['DEL', key]);
    c.server.notify(NOTIFY_GENERIC, 'del', key, c.dbIndex);
  } else if (opts.expire !== null) {
    db.setExpireAt(slot, at);
    c.server.propagate(c.dbIndex, ['PEXPIREAT', key, String(at)]);
    c.server.notify(NOTIFY_GENERIC, 'expire', key, c.dbIndex);
  } else if (opts.flags & F_PERSIST && db.expireAt(slot) > 0) {
    db.setExpireAt(slot, 0);
    c.server.propagate(c.dbIndex, ['PERSIST', key]);
    c.server.notify(NOTIFY_GENERIC, 'persist', key, c.dbIndex);
  }
}

/** MGET key [key ...] */
function mgetCommand(c: CommandContext, argv: Buffer[]): void {
  const db = c.db;
  c.reply.arrayLen(argv.length - 1);
  for (let j = 1; j < argv.length; j++) {
    const slot = db.lookup(argv[j]!);
    if (slot < 0) {
      keyMiss(c, argv[j]!);
      c.reply.nullBulk();
    } else if (db.type(slot) !== EntryType.String) {
      c.server.stats.keyspaceHits++;
      c.reply.nullBulk();
    } else {
      c.server.stats.keyspaceHits++;
      c.reply.bulk(db.value(slot));
    }
  }
}

/** MSET key value [key value ...] / MSETNX */
function msetGeneric(nx: boolean) {
  return (c: CommandContext, argv: Buffer[]): void => {
    if (argv.length % 2 === 0) {
      c.reply.error(`ERR wrong number of arguments for '${nx ? 'msetnx' : 'mset'}' command`);
      return;
    }
    const db = c.db;
    if (nx) {
      for (let j = 1; j < argv.length; j += 2) {
        if (db.lookup(argv[j]!) >= 0) return c.reply.int(0);
      }
    }
    for (let j = 2; j < argv.length; j += 2) {
      if (tooLongOrReply(c, argv[j]!.length)) return;
    }
    const added: boolean[] = [];
    for (let j = 1; j < argv.length; j += 2) {
      const slot = db.lookup(argv[j]!);
      added.push(slot < 0);
      db.setString(argv[j]!, argv[j + 1]!, 0, slot);
    }
    c.server.propagate(c.dbIndex, ['MSET', ...argv.slice(1)]);
    for (let j = 1; j < argv.length; j += 2) {
      if (added[(j - 1) / 2]) c.server.notify(NOTIFY_NEW, 'new', argv[j]!, c.dbIndex);
      c.server.notify(NOTIFY_STRING, 'set', argv[j]!, c.dbIndex);
    }
    if (nx) c.reply.int(1);
    else c.reply.ok();
  };
}

/** APPEND key value */
function appendCommand(c: CommandContext, argv: Buffer[]): void {
  const key = argv[1]!;
  const add = argv[2]!;
  const db = c.db;
  const slot = lookupStringOrReply(c, db, key);
  if (slot === -2) return;
  if (slot === -1) {
    if (tooLongOrReply(c, add.length)) return;
    db.setString(key, add, 0, -1);
    c.server.propagate(c.dbIndex, ['APPEND', key, add]);
    c.server.notify(NOTIFY_NEW, 'new', key, c.dbIndex);
    c.server.notify(NOTIFY_STRING, 'append', key, c.dbIndex);
    return c.reply.int(add.length);
  }
  const oldLen = db.valueLength(slot);
  const newLen = oldLen + add.length;
  if (tooLongOrReply(c, newLen)) return;
  if (add.length > 0) {
    const view = db.resizeString(slot, newLen);
    view.set(add, oldLen);
    c.server.propagate(c.dbIndex, ['APPEND', key, add]);
  } else c.server.signalModifiedKey(c.dbIndex, key);
  c.server.notify(NOTIFY_STRING, 'append', key, c.dbIndex);
  c.reply.int(newLen);
}

/** STRLEN key */
function strlenCommand(c: CommandContext, argv: Buffer[]): void {
  const slot = getForRead(c, argv[1]!);
  if (slot === -2) return;
  c.reply.int(slot < 0 ? 0 : c.db.valueLength(slot));
}

/** GETRANGE key start end (t_string.c `getrangeCommand`) */
function getrangeCommand(c: CommandContext, argv: Buffer[]): void {
  const start0 = longOrReply(c, argv[2]!);
  if (start0 === null) return;
  const end0 = longOrReply(c, argv[3]!);
  if (end0 === null) return;
  const slot = getForRead(c, argv[1]!);
  if (slot === -2) return;
  if (slot === -1) return c.reply.bulk(EMPTY);
  const value = c.db.value(slot);
  const len = value.length;
  let start = start0;
  let end = end0;
  if (start < 0 && end < 0 && start > end) return c.reply.bulk(EMPTY);
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return c.reply.bulk(EMPTY);
  c.reply.bulk(value.subarray(start, end + 1));
}

const EMPTY = Buffer.alloc(0);

/** SETRANGE key offset value */
function setrangeCommand(c: CommandContext, argv: Buffer[]): void {
  const key = argv[1]!;
  const value = argv[3]!;
  const offset = longOrReply(c, argv[2]!);
  if (offset === null) return;
  if (offset < 0) return c.reply.error('ERR offset is out of range');
  const db = c.db;
  const slot = lookupStringOrReply(c, db, key);
  if (slot === -2) return;
  if (slot === -1) {
    if (value.length === 0) return c.reply.int(0);
    if (tooLongOrReply(c, offset + value.length)) return;
    db.setString(key, EMPTY, 0, -1);
  } else {
    const len = db.valueLength(slot);
    if (value.length === 0) return c.reply.int(len);
    if (tooLongOrReply(c, offset + value.length)) return;
  }
  const s = db.findSlot(key);
  const len = db.valueLength(s);
  const view = db.resizeString(s, Math.max(len, offset + value.length));
  view.set(value, offset);
  c.server.propagate(c.dbIndex, ['SETRANGE', key, argv[2]!, value]);
  if (slot === -1) c.server.notify(NOTIFY_NEW, 'new', key, c.dbIndex);
  c.server.notify(NOTIFY_STRING, 'setrange', key, c.dbIndex);
  c.reply.int(view.length);
}

/** SET's key flags for one call: it reads the old value with GET, else only overwrites (t_string.c `setGetKeys`). */
function setKeyFlags(argv: readonly Buffer[]): readonly KeySpecFlag[] {
  for (let j = 3; j < argv.length; j++) if (isWord(argv[j]!, 'GET')) return ['RW', 'access', 'update'];
  return ['OW', 'update'];
}

/** The string family's table entries. */
export const stringCommands: CommandSpec[] = [
  command({
    name: 'get',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'string',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: 'Returns the string value of a key.',
    handler: getCommand,
  }),
  command({
    name: 'set',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [
      {
        ...keyAt(1, ['RW', 'access', 'update', 'variable_flags']),
        notes: 'RW and ACCESS due to the optional `GET` argument',
      },
    ],
    keyFlags: setKeyFlags,
    group: 'string',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
    handler: setCommand,
  }),
  command({
    name: 'setnx',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['OW', 'insert'])],
    group: 'string',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: "Set the string value of a key only when the key doesn't exist.",
    handler: setnxCommand,
  }),
  command({
    name: 'setex',
    arity: 4,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['OW', 'update'])],
    group: 'string',
    since: '2.0.0',
    complexity: 'O(1)',
    summary: "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.",
    handler: setexGeneric(F_EX, 'setex'),
  }),
  command({
    name: 'psetex',
    arity: 4,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['OW', 'update'])],
    group: 'string',
    since: '2.6.0',
    complexity: 'O(1)',
    summary:
      "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.",
    handler: setexGeneric(F_PX, 'psetex'),
  }),
  command({
    name: 'getset',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'update'])],
    group: 'string',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: 'Returns the previous string value of a key after setting it to a new value.',
    handler: getsetCommand,
  }),
  command({
    name: 'getdel',
    arity: 2,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'delete'])],
    group: 'string',
    since: '6.2.0',
    complexity: 'O(1)',
    summary: 'Returns the string value of a key after deleting the key.',
    handler: getdelCommand,
  }),
  command({
    name: 'getex',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [{ ...keyAt(1, ['RW', 'access', 'update']), notes: 'RW and UPDATE because it changes the TTL' }],
    group: 'string',
    since: '6.2.0',
    complexity: 'O(1)',
    summary: 'Returns the string value of a key after setting its expiration time.',
    handler: getexCommand,
  }),
  command({
    name: 'mget',
    arity: -2,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO', 'access'], -1)],
    group: 'string',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of keys to retrieve.',
    summary: 'Atomically returns the string values of one or more keys.',
    handler: mgetCommand,
  }),
  command({
    name: 'mset',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['OW', 'update'], -1, 2)],
    group: 'string',
    since: '1.0.1',
    complexity: 'O(N) where N is the number of keys to set.',
    summary: 'Atomically creates or modifies the string values of one or more keys.',
    handler: msetGeneric(false),
  }),
  command({
    name: 'msetnx',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['OW', 'insert'], -1, 2)],
    group: 'string',
    since: '1.0.1',
    complexity: 'O(N) where N is the number of keys to set.',
    summary: "Atomically modifies the string values of one or more keys only when all keys don't exist.",
    handler: msetGeneric(true),
  }),
  command({
    name: 'append',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'insert'])],
    group: 'string',
    since: '2.0.0',
    complexity:
      'O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present ' +
      'value is of any size, since the dynamic string library used by Redis will double the free space available ' +
      'on every reallocation.',
    summary: "Appends a string to the value of a key. Creates the key if it doesn't exist.",
    handler: appendCommand,
  }),
  command({
    name: 'strlen',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO'])],
    group: 'string',
    since: '2.2.0',
    complexity: 'O(1)',
    summary: 'Returns the length of a string value.',
    handler: strlenCommand,
  }),
  command({
    name: 'getrange',
    arity: 4,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'string',
    since: '2.4.0',
    complexity: 'O(N) where N is the length of the returned string.',
    summary: 'Returns a substring of the string stored at a key.',
    handler: getrangeCommand,
  }),
  command({
    name: 'substr',
    arity: 4,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'string',
    since: '1.0.0',
    complexity:
      'O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned ' +
      'length, but because creating a substring from an existing string is very cheap, it can be considered O(1) ' +
      'for small strings.',
    summary: 'Get a substring of the string stored at a key',
    handler: getrangeCommand,
  }),
  command({
    name: 'setrange',
    arity: 4,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['RW', 'update'])],
    group: 'string',
    since: '2.2.0',
    complexity: 'O(1), not counting the time taken to copy the new string in place.',
    summary: "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.",
    handler: setrangeCommand,
  }),
];
