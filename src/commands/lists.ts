/**
 * List commands, after Redis 7.0's t_list.c, including the blocking pops
 * (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH) served through ./blocking.ts.
 *
 * Effects logged (docs/FORMAT.md, "Effects"): every list command is
 * deterministic, so a change is logged as the command itself, and only when
 * something changed (LPUSHX on a missing key, LREM removing nothing, LTRIM
 * keeping everything log nothing). A pop with a count is logged with the
 * number of elements it took. A blocking pop is logged as the non-blocking
 * command that happened when it is served (BLPOP → `LPOP key`, BLMOVE →
 * `LMOVE src dst LEFT RIGHT`, BRPOPLPUSH → `RPOPLPUSH src dst`); a timeout
 * logs nothing.
 *
 * Reference: https://redis.io/docs/latest/commands/?group=list
 */
import { EntryType } from '../store/arena.js';
import { ListValue } from '../store/collections.js';
import type { BlockedCommand, CommandContext, CommandSpec } from './context.js';
import { command, keyAt } from './table.js';
import { ERR, isWord, longOrReply, parseInt64, parseLong } from './util.js';
import { deleteIfEmpty, el, lookupCollection, readCollection, storeCollection, WRONG } from './collection.js';
import { parseLongDouble, type LongDouble } from './longdouble.js';

const LLONG_MIN = -(2 ** 63);

/** The list at `key` of the client's database for a write: the list, null when absent, or WRONG after replying WRONGTYPE. */
function listForWrite(c: CommandContext, key: Buffer): ListValue | null | typeof WRONG {
  return lookupCollection<ListValue>(c, c.db, key, EntryType.List);
}

/** The list at `key` for a read, counting a keyspace hit or miss. */
function listForRead(c: CommandContext, key: Buffer): ListValue | null | typeof WRONG {
  return readCollection<ListValue>(c, key, EntryType.List);
}

/** The list at `key` of the client's database, or null when absent or of another type (no reply: blocked clients being served). */
function listOrNull(c: CommandContext, key: Buffer): ListValue | null {
  const slot = c.db.lookup(key);
  if (slot < 0 || c.db.type(slot) !== EntryType.List) return null;
  return c.db.collection(slot) as ListValue;
}

/** Parses LEFT or RIGHT (LMOVE, BLMOVE): true for LEFT, false for RIGHT, null after replying `ERR syntax error`. */
function sideOrReply(c: CommandContext, arg: Buffer): boolean | null {
  if (isWord(arg, 'LEFT')) return true;
  if (isWord(arg, 'RIGHT')) return false;
  c.reply.error(ERR.syntax);
  return null;
}

// ---------------------------------------------------------------- pushes

/**
 * LPUSH / RPUSH / LPUSHX / RPUSHX key element [element ...] (t_list.c
 * `pushGenericCommand`). Replies the list's length after the pushes; the X
 * forms reply 0 and change nothing when the key is absent.
 */
function pushGeneric(left: boolean, onlyIfExists: boolean) {
  const name = left ? 'LPUSH' : 'RPUSH';
  return (c: CommandContext, argv: Buffer[]): void => {
    const key = argv[1]!;
    let list = listForWrite(c, key);
    if (list === WRONG) return;
    const created = list === null;
    if (list === null) {
      if (onlyIfExists) return c.reply.int(0);
      list = new ListValue();
    }
    for (let j = 2; j < argv.length; j++) {
      if (left) list.pushLeft(el(argv[j]!));
      else list.pushRight(el(argv[j]!));
    }
    if (created) storeCollection(c.db, key, list);
    c.server.propagate(c.dbIndex, [name, ...argv.slice(1)]);
    c.reply.int(list.size);
  };
}

/**
 * Pushes `value` onto `dstKey` (created when absent; `dst` is its list, or
 * null), as Redis's `lmoveHandlePush`.
 */
function pushTo(c: CommandContext, dstKey: Buffer, dst: ListValue | null, value: string, left: boolean): void {
  const list = dst ?? new ListValue();
  if (left) list.pushLeft(value);
  else list.pushRight(value);
  if (dst === null) storeCollection(c.db, dstKey, list);
}

// ---------------------------------------------------------------- pops

/**
 * LPOP / RPOP key [count] (t_list.c `popGenericCommand`). Without a count:
 * the element, or a null bulk. With one: an array (RPOP's from the tail
 * first), a null array when the key is absent, an empty array for count 0.
 * Errors: `ERR value is out of range, must be positive` for a bad count.
 */
function popGeneric(left: boolean) {
  const name = left ? 'LPOP' : 'RPOP';
  return (c: CommandContext, argv: Buffer[]): void => {
    if (argv.length > 3) return c.reply.error(`ERR wrong number of arguments for '${name.toLowerCase()}' command`);
    const hasCount = argv.length === 3;
    let count = 0;
    if (hasCount) {
      const v = parseLong(argv[2]!);
      if (v === null || v < 0) return c.reply.error('ERR value is out of range, must be positive');
      count = v;
    }
    const key = argv[1]!;
    const list = listForWrite(c, key);
    if (list === WRONG) return;
    if (list === null) return hasCount ? c.reply.nullArray() : c.reply.nullBulk();
    if (hasCount && count === 0) return c.reply.arrayLen(0);
    if (!hasCount) {
      const v = left ? list.popLeft()! : list.popRight()!;
      deleteIfEmpty(c.db, key, list);
      c.server.propagate(c.dbIndex, [name, key]);
      return c.reply.bulkLatin1(v);
    }
    const n = Math.min(count, list.size);
    c.reply.arrayLen(n);
    for (let i = 0; i < n; i++) c.reply.bulkLatin1(left ? list.popLeft()! : list.popRight()!);
    deleteIfEmpty(c.db, key, list);
    c.server.propagate(c.dbIndex, [name, key, String(n)]);
  };
}

/**
 * Moves one element from `src` to `dst` (LMOVE's core, t_list.c
 * `lmoveGenericCommand`): replies the element, a null bulk when `src` is
 * absent, or WRONGTYPE when either key holds another type. `src` and `dst`
 * may be the same key (rotation).
 *
 * @param effect the effect to log when an element moved
 */
function moveGeneric(
  c: CommandContext,
  srcKey: Buffer,
  dstKey: Buffer,
  fromLeft: boolean,
  toLeft: boolean,
  effect: (string | Buffer)[],
): void {
  const src = listForWrite(c, srcKey);
  if (src === WRONG) return;
  if (src === null || src.size === 0) return c.reply.nullBulk();
  const dst = listForWrite(c, dstKey);
  if (dst === WRONG) return;
  const value = fromLeft ? src.popLeft()! : src.popRight()!;
  pushTo(c, dstKey, dst, value, toLeft);
  deleteIfEmpty(c.db, srcKey, src);
  c.server.propagate(c.dbIndex, effect);
  c.reply.bulkLatin1(value);
}

/** LMOVE source destination LEFT|RIGHT LEFT|RIGHT. */
function lmoveCommand(c: CommandContext, argv: Buffer[]): void {
  const from = sideOrReply(c, argv[3]!);
  if (from === null) return;
  const to = sideOrReply(c, argv[4]!);
  if (to === null) return;
  moveGeneric(c, argv[1]!, argv[2]!, from, to, lmoveEffect(argv[1]!, argv[2]!, from, to));
}

/** RPOPLPUSH source destination: LMOVE source destination RIGHT LEFT. */
function rpoplpushCommand(c: CommandContext, argv: Buffer[]): void {
  moveGeneric(c, argv[1]!, argv[2]!, false, true, ['RPOPLPUSH', argv[1]!, argv[2]!]);
}

function lmoveEffect(src: Buffer, dst: Buffer, fromLeft: boolean, toLeft: boolean): (string | Buffer)[] {
  return ['LMOVE', src, dst, fromLeft ? 'LEFT' : 'RIGHT', toLeft ? 'LEFT' : 'RIGHT'];
}

// ---------------------------------------------------------------- reads

/** LLEN key: the length, 0 when absent. */
function llenCommand(c: CommandContext, argv: Buffer[]): void {
  const list = listForRead(c, argv[1]!);
  if (list === WRONG) return;
  c.reply.int(list === null ? 0 : list.size);
}

/**
 * Clamps Redis's inclusive `start..end` (negative counts from the tail) to a
 * list of `len` elements.
 *
 * @returns the 0-based inclusive range, or null when it is empty
 */
function clampRange(start: number, end: number, len: number): [number, number] | null {
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) return null;
  if (end >= len) end = len - 1;
  return [start, end];
}

/** LRANGE key start stop: the elements in the inclusive range, an empty array when absent. */
function lrangeCommand(c: CommandContext, argv: Buffer[]): void {
  const start = longOrReply(c, argv[2]!);
  if (start === null) return;
  const end = longOrReply(c, argv[3]!);
  if (end === null) return;
  const list = listForRead(c, argv[1]!);
  if (list === WRONG) return;
  const range = list === null ? null : clampRange(start, end, list.size);
  if (range === null) return c.reply.arrayLen(0);
  c.reply.arrayLen(range[1] - range[0] + 1);
  for (let i = range[0]; i <= range[1]; i++) c.reply.bulkLatin1(list!.at(i));
}

/** LINDEX key index: the element, or a null bulk when absent or out of range. */
function lindexCommand(c: CommandContext, argv: Buffer[]): void {
  const list = listForRead(c, argv[1]!);
  if (list === WRONG) return;
  if (list === null) return c.reply.nullBulk();
  let index = longOrReply(c, argv[2]!);
  if (index === null) return;
  if (index < 0) index += list.size;
  if (index < 0 || index >= list.size) return c.reply.nullBulk();
  c.reply.bulkLatin1(list.at(index));
}

/**
 * LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] (t_list.c
 * `lposCommand`): the index of the rank-th match (negative rank: from the
 * tail), or with COUNT an array of up to that many indexes (0: all).
 * Errors: RANK 0, negative COUNT or MAXLEN, `ERR syntax error`.
 */
function lposCommand(c: CommandContext, argv: Buffer[]): void {
  let rank = 1;
  let count = -1; // -1: no COUNT option
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const more = j + 1 < argv.length;
    const opt = argv[j]!;
    if (isWord(opt, 'RANK') && more) {
      const big = parseInt64(argv[++j]!);
      if (big === null) return c.reply.error(ERR.notInteger);
      const v = Number(big);
      if (v === 0) {
        return c.reply.error(
          "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
        );
      }
      // Redis 7.0 negates LLONG_MIN into itself, which then matches from the
      // first match at the tail: RANK -1. (Later versions reply an error.)
      rank = big === -(2n ** 63n) ? -1 : v;
    } else if (isWord(opt, 'COUNT') && more) {
      const v = parseLong(argv[++j]!);
      if (v === null || v < 0) return c.reply.error("ERR COUNT can't be negative");
      count = v;
    } else if (isWord(opt, 'MAXLEN') && more) {
      const v = parseLong(argv[++j]!);
      if (v === null || v < 0) return c.reply.error("ERR MAXLEN can't be negative");
      maxlen = v;
    } else {
      return c.reply.error(ERR.syntax);
    }
  }
  const fromTail = rank < 0;
  if (fromTail) rank = -rank;
  const list = listForRead(c, argv[1]!);
  if (list === WRONG) return;
  if (list === null) return count !== -1 ? c.reply.arrayLen(0) : c.reply.nullBulk();
  const target = el(argv[2]!);
  const len = list.size;
  const limit = maxlen === 0 ? len : Math.min(maxlen, len);
  const found: number[] = [];
  let matches = 0;
  for (let k = 0; k < limit; k++) {
    const i = fromTail ? len - 1 - k : k;
    if (list.at(i) !== target) continue;
    matches++;
    if (matches < rank) continue;
    found.push(i);
    if (count === -1 || (count !== 0 && found.length >= count)) break;
  }
  if (count === -1) return found.length > 0 ? c.reply.int(found[0]!) : c.reply.nullBulk();
  c.reply.arrayLen(found.length);
  for (const i of found) c.reply.int(i);
}

// ---------------------------------------------------------------- in-place writes

/** LSET key index element: `ERR no such key`, `ERR index out of range`. */
function lsetCommand(c: CommandContext, argv: Buffer[]): void {
  const list = listForWrite(c, argv[1]!);
  if (list === WRONG) return;
  if (list === null) return c.reply.error(ERR.noSuchKey);
  let index = longOrReply(c, argv[2]!);
  if (index === null) return;
  if (index < 0) index += list.size;
  if (index < 0 || index >= list.size) return c.reply.error('ERR index out of range');
  list.setAt(index, el(argv[3]!));
  c.server.propagate(c.dbIndex, ['LSET', argv[1]!, argv[2]!, argv[3]!]);
  c.reply.ok();
}

/**
 * LINSERT key BEFORE|AFTER pivot element: the new length, -1 when the pivot
 * is not found, 0 when the key is absent.
 */
function linsertCommand(c: CommandContext, argv: Buffer[]): void {
  let after: boolean;
  if (isWord(argv[2]!, 'AFTER')) after = true;
  else if (isWord(argv[2]!, 'BEFORE')) after = false;
  else return c.reply.error(ERR.syntax);
  const list = listForWrite(c, argv[1]!);
  if (list === WRONG) return;
  if (list === null) return c.reply.int(0);
  const pivot = el(argv[3]!);
  const len = list.size;
  let i = 0;
  while (i < len && list.at(i) !== pivot) i++;
  if (i === len) return c.reply.int(-1);
  list.insertAt(after ? i + 1 : i, el(argv[4]!));
  c.server.propagate(c.dbIndex, ['LINSERT', argv[1]!, after ? 'AFTER' : 'BEFORE', argv[3]!, argv[4]!]);
  c.reply.int(list.size);
}

/**
 * LREM key count element: removes the first `count` matches from the head
 * (count > 0), from the tail (count < 0), or all (0); replies how many.
 */
function lremCommand(c: CommandContext, argv: Buffer[]): void {
  const count = longOrReply(c, argv[2]!);
  if (count === null) return;
  const key = argv[1]!;
  const list = listForWrite(c, key);
  if (list === WRONG) return;
  if (list === null) return c.reply.int(0);
  const removed = list.removeEqual(el(argv[3]!), Math.abs(count), count < 0);
  if (removed > 0) {
    deleteIfEmpty(c.db, key, list);
    c.server.propagate(c.dbIndex, ['LREM', key, argv[2]!, argv[3]!]);
  }
  c.reply.int(removed);
}

/** LTRIM key start stop: keeps the inclusive range (an empty one deletes the key); replies OK. */
function ltrimCommand(c: CommandContext, argv: Buffer[]): void {
  const start = longOrReply(c, argv[2]!);
  if (start === null) return;
  const end = longOrReply(c, argv[3]!);
  if (end === null) return;
  const key = argv[1]!;
  const list = listForWrite(c, key);
  if (list === WRONG) return;
  if (list === null) return c.reply.ok();
  const len = list.size;
  const range = clampRange(start, end, len);
  if (range === null) list.trim(1, 0);
  else list.trim(range[0], range[1]);
  if (list.size !== len) {
    deleteIfEmpty(c.db, key, list);
    c.server.propagate(c.dbIndex, ['LTRIM', key, argv[2]!, argv[3]!]);
  }
  c.reply.ok();
}

// ---------------------------------------------------------------- blocking

/**
 * `ceill(seconds * 1000.0)` cast to `long long` as Redis 7.0 computes a
 * blocking timeout (timeout.c `getTimeoutFromObjectOrReply`): the product is
 * rounded to the x87 64-bit significand, then rounded up; an infinity or a
 * value past the `long long` range becomes LLONG_MIN, as the x86 conversion
 * does.
 *
 * @returns milliseconds (negative for LLONG_MIN)
 */
function timeoutMillis(v: LongDouble): number {
  if (v.inf) return LLONG_MIN;
  if (v.mant === 0n) return 0;
  let m = v.mant * 1000n;
  let e = v.exp;
  const bits = m.toString(2).length;
  if (bits > 64) {
    const s = BigInt(bits - 64);
    const rem = m & ((1n << s) - 1n);
    const half = 1n << (s - 1n);
    m >>= s;
    if (rem > half || (rem === half && (m & 1n) === 1n)) m++;
    e += bits - 64;
    if (m === 1n << 64n) {
      m >>= 1n;
      e++;
    }
  }
  let int: bigint;
  if (e >= 0) {
    if (e > 64) return LLONG_MIN;
    int = m << BigInt(e);
  } else {
    const s = BigInt(-e);
    int = m >> s;
    if (!v.neg && (m & ((1n << s) - 1n)) !== 0n) int++; // round up; a negative value rounds toward zero
  }
  if (v.neg) int = -int;
  if (int >= 1n << 63n || int < -(1n << 63n)) return LLONG_MIN;
  return Number(int);
}

/**
 * Parses a blocking command's timeout in seconds (a double; 0 waits for
 * ever). Errors: `ERR timeout is not a float or out of range`,
 * `ERR timeout is negative`.
 *
 * @returns the absolute deadline in Unix ms (0: none), or null after replying
 */
function deadlineOrReply(c: CommandContext, arg: Buffer): number | null {
  const v = parseLongDouble(arg.toString('latin1'));
  if (v === null) {
    c.reply.error('ERR timeout is not a float or out of range');
    return null;
  }
  const ms = timeoutMillis(v);
  if (ms < 0) {
    c.reply.error('ERR timeout is negative');
    return null;
  }
  return ms === 0 ? 0 : Date.now() + ms;
}

/** Pops one element of a non-empty list for BLPOP/BRPOP, logs `LPOP key` / `RPOP key`, replies `[key, element]`. */
function servePop(c: CommandContext, key: Buffer, list: ListValue, left: boolean): void {
  const v = left ? list.popLeft()! : list.popRight()!;
  deleteIfEmpty(c.db, key, list);
  c.server.propagate(c.dbIndex, [left ? 'LPOP' : 'RPOP', key]);
  c.reply.arrayLen(2);
  c.reply.bulk(key);
  c.reply.bulkLatin1(v);
}

/**
 * BLPOP / BRPOP key [key ...] timeout (t_list.c `blockingPopGenericCommand`):
 * pops from the first non-empty key in argument order, else blocks on every
 * key. Replies `[key, element]`, or a null array on timeout.
 */
function bpopGeneric(left: boolean) {
  return (c: CommandContext, argv: Buffer[]): void => {
    const deadline = deadlineOrReply(c, argv[argv.length - 1]!);
    if (deadline === null) return;
    for (let j = 1; j < argv.length - 1; j++) {
      const list = listForWrite(c, argv[j]!);
      if (list === WRONG) return;
      if (list !== null && list.size > 0) return servePop(c, argv[j]!, list, left);
    }
    if (!c.canBlock) return c.reply.nullArray();
    const blocked: BlockedCommand = {
      keys: argv.slice(1, -1).map((k) => Buffer.from(k)),
      deadline,
      serve: (key) => {
        const list = listOrNull(c, key);
        if (list === null || list.size === 0) return false;
        servePop(c, key, list, left);
        return true;
      },
      timedOut: () => c.reply.nullArray(),
    };
    c.server.blocking.block(c, blocked);
  };
}

/**
 * BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout, and BRPOPLPUSH
 * source destination timeout (t_list.c `blmoveGenericCommand`): LMOVE when
 * `source` has elements, else blocks on `source`. Replies the element, or a
 * null bulk on timeout. Served while blocked, a destination of another type
 * ends the wait with WRONGTYPE and moves nothing (Redis 7.0).
 */
function bmoveGeneric(c: CommandContext, argv: Buffer[], fromLeft: boolean, toLeft: boolean, rpoplpush: boolean): void {
  const deadline = deadlineOrReply(c, argv[argv.length - 1]!);
  if (deadline === null) return;
  const srcKey = argv[1]!;
  const dstKey = argv[2]!;
  const effect = (s: Buffer, d: Buffer): (string | Buffer)[] =>
    rpoplpush ? ['RPOPLPUSH', s, d] : lmoveEffect(s, d, fromLeft, toLeft);
  const src = listForWrite(c, srcKey);
  if (src === WRONG) return;
  if (src !== null) return moveGeneric(c, srcKey, dstKey, fromLeft, toLeft, effect(srcKey, dstKey));
  if (!c.canBlock) return c.reply.nullBulk();
  const dstCopy = Buffer.from(dstKey);
  const blocked: BlockedCommand = {
    keys: [Buffer.from(srcKey)],
    deadline,
    serve: (key) => {
      const list = listOrNull(c, key);
      if (list === null || list.size === 0) return false;
      const dst = listForWrite(c, dstCopy);
      if (dst === WRONG) return true; // replied WRONGTYPE: the wait ends, nothing moves
      const value = fromLeft ? list.popLeft()! : list.popRight()!;
      pushTo(c, dstCopy, dst, value, toLeft);
      deleteIfEmpty(c.db, key, list);
      c.server.propagate(c.dbIndex, effect(key, dstCopy));
      c.reply.bulkLatin1(value);
      // The push may serve clients blocked on the destination in turn.
      c.server.blocking.signal(c.dbIndex, dstCopy);
      return true;
    },
    timedOut: () => c.reply.nullBulk(),
  };
  c.server.blocking.block(c, blocked);
}

/** BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout. */
function blmoveCommand(c: CommandContext, argv: Buffer[]): void {
  const from = sideOrReply(c, argv[3]!);
  if (from === null) return;
  const to = sideOrReply(c, argv[4]!);
  if (to === null) return;
  bmoveGeneric(c, argv, from, to, false);
}

/** BRPOPLPUSH source destination timeout. */
function brpoplpushCommand(c: CommandContext, argv: Buffer[]): void {
  bmoveGeneric(c, argv, false, true, true);
}

const PUSH_COMPLEXITY =
  'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.';

/** The list family's table entries (arity, flags and key positions as Redis 7.0's COMMAND INFO). */
export const listCommands: CommandSpec[] = [
  command({
    name: 'lpush',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'insert'])],
    group: 'list',
    since: '1.0.0',
    complexity: PUSH_COMPLEXITY,
    summary: 'Prepend one or multiple elements to a list',
    handler: pushGeneric(true, false),
  }),
  command({
    name: 'rpush',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'insert'])],
    group: 'list',
    since: '1.0.0',
    complexity: PUSH_COMPLEXITY,
    summary: 'Append one or multiple elements to a list',
    handler: pushGeneric(false, false),
  }),
  command({
    name: 'lpushx',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'insert'])],
    group: 'list',
    since: '2.2.0',
    complexity: PUSH_COMPLEXITY,
    summary: 'Prepend an element to a list, only if the list exists',
    handler: pushGeneric(true, true),
  }),
  command({
    name: 'rpushx',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'insert'])],
    group: 'list',
    since: '2.2.0',
    complexity: PUSH_COMPLEXITY,
    summary: 'Append an element to a list, only if the list exists',
    handler: pushGeneric(false, true),
  }),
  command({
    name: 'lpop',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'delete'])],
    group: 'list',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of elements returned',
    summary: 'Remove and get the first elements in a list',
    handler: popGeneric(true),
  }),
  command({
    name: 'rpop',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'delete'])],
    group: 'list',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of elements returned',
    summary: 'Remove and get the last elements in a list',
    handler: popGeneric(false),
  }),
  command({
    name: 'llen',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO'])],
    group: 'list',
    since: '1.0.0',
    complexity: 'O(1)',
    summary: 'Get the length of a list',
    handler: llenCommand,
  }),
  command({
    name: 'lrange',
    arity: 4,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'list',
    since: '1.0.0',
    complexity:
      'O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.',
    summary: 'Get a range of elements from a list',
    handler: lrangeCommand,
  }),
  command({
    name: 'lindex',
    arity: 3,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'list',
    since: '1.0.0',
    complexity:
      'O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).',
    summary: 'Get an element from a list by its index',
    handler: lindexCommand,
  }),
  command({
    name: 'lset',
    arity: 4,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['RW', 'update'])],
    group: 'list',
    since: '1.0.0',
    complexity:
      'O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).',
    summary: 'Set the value of an element in a list by its index',
    handler: lsetCommand,
  }),
  command({
    name: 'linsert',
    arity: 5,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['RW', 'insert'])],
    group: 'list',
    since: '2.2.0',
    complexity:
      'O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).',
    summary: 'Insert an element before or after another element in a list',
    handler: linsertCommand,
  }),
  command({
    name: 'lrem',
    arity: 4,
    flags: ['write'],
    keys: [keyAt(1, ['RW', 'delete'])],
    group: 'list',
    since: '1.0.0',
    complexity: 'O(N+M) where N is the length of the list and M is the number of elements removed.',
    summary: 'Remove elements from a list',
    handler: lremCommand,
  }),
  command({
    name: 'ltrim',
    arity: 4,
    flags: ['write'],
    keys: [keyAt(1, ['RW', 'delete'])],
    group: 'list',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of elements to be removed by the operation.',
    summary: 'Trim a list to the specified range',
    handler: ltrimCommand,
  }),
  command({
    name: 'lpos',
    arity: -3,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: 'list',
    since: '6.0.6',
    complexity:
      'O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.',
    summary: 'Return the index of matching elements on a list',
    handler: lposCommand,
  }),
  command({
    name: 'lmove',
    arity: 5,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['RW', 'access', 'delete']), keyAt(2, ['RW', 'insert'])],
    group: 'list',
    since: '6.2.0',
    complexity: 'O(1)',
    summary: 'Pop an element from a list, push it to another list and return it',
    handler: lmoveCommand,
  }),
  command({
    name: 'rpoplpush',
    arity: 3,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['RW', 'access', 'delete']), keyAt(2, ['RW', 'insert'])],
    group: 'list',
    since: '1.2.0',
    complexity: 'O(1)',
    summary: 'Remove the last element in a list, prepend it to another list and return it',
    handler: rpoplpushCommand,
  }),
  command({
    name: 'blpop',
    arity: -3,
    flags: ['write', 'noscript', 'blocking'],
    keys: [keyAt(1, ['RW', 'access', 'delete'], -2)],
    group: 'list',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of provided keys.',
    summary: 'Remove and get the first element in a list, or block until one is available',
    handler: bpopGeneric(true),
  }),
  command({
    name: 'brpop',
    arity: -3,
    flags: ['write', 'noscript', 'blocking'],
    keys: [keyAt(1, ['RW', 'access', 'delete'], -2)],
    group: 'list',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of provided keys.',
    summary: 'Remove and get the last element in a list, or block until one is available',
    handler: bpopGeneric(false),
  }),
  command({
    name: 'blmove',
    arity: 6,
    flags: ['write', 'denyoom', 'noscript', 'blocking'],
    keys: [keyAt(1, ['RW', 'access', 'delete']), keyAt(2, ['RW', 'insert'])],
    group: 'list',
    since: '6.2.0',
    complexity: 'O(1)',
    summary: 'Pop an element from a list, push it to another list and return it; or block until one is available',
    handler: blmoveCommand,
  }),
  command({
    name: 'brpoplpush',
    arity: 4,
    flags: ['write', 'denyoom', 'noscript', 'blocking'],
    keys: [keyAt(1, ['RW', 'access', 'delete']), keyAt(2, ['RW', 'insert'])],
    group: 'list',
    since: '2.2.0',
    complexity: 'O(1)',
    summary: 'Pop an element from a list, push it to another list and return it; or block until one is available',
    handler: brpoplpushCommand,
  }),
];
