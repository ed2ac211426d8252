/**
 * List commands, after Redis 7.0's t_list.c. The blocking pops (BLPOP,
 * BRPOP, BLMOVE, BRPOPLPUSH) are in ./listblocking.ts.
 *
 * Effects logged (docs/FORMAT.md, "Effects"): every list command is
 * deterministic, so a change is logged as the command itself, and only when
 * something changed (LPUSHX on a missing key, LREM removing nothing, LTRIM
 * keeping everything log nothing). A pop with a count is logged with the
 * number of elements it took.
 *
 * Reference: https://redis.io/docs/latest/commands/?group=list
 */
import { NOTIFY_GENERIC, NOTIFY_LIST, NOTIFY_NEW } from '../config/keyspace-events.js';
import { EntryType } from '../store/arena.js';
import { ListValue } from '../store/collections.js';
import type { CommandContext, CommandSpec } from './context.js';
import { command, keyAt } from './table.js';
import { ERR, isWord, longOrReply, parseInt64, parseLong } from './util.js';
import { deleteIfEmpty, el, lookupCollection, readCollection, storeCollection, WRONG } from './collection.js';

/**
 * The list at `key` of the client's database for a write: the list, null when absent, or WRONG after replying
 * WRONGTYPE.
 */
export function listForWrite(c: CommandContext, key: Buffer): ListValue | null | typeof WRONG {
  return lookupCollection<ListValue>(c, c.db, key, EntryType.List);
}

/** The list at `key` for a read, counting a keyspace hit or miss. */
function listForRead(c: CommandContext, key: Buffer): ListValue | null | typeof WRONG {
  return readCollection<ListValue>(c, key, EntryType.List);
}

/**
 * The list at `key` of the client's database, or null when absent or of another type (no reply: blocked clients being
 * served).
 */
export function listOrNull(c: CommandContext, key: Buffer): ListValue | null {
  const slot = c.db.lookup(key);
  if (slot < 0 || c.db.type(slot) !== EntryType.List) return null;
  return c.db.collection(slot) as ListValue;
}

/** Parses LEFT or RIGHT (LMOVE, BLMOVE): true for LEFT, false for RIGHT, null after replying `ERR syntax error`. */
export function sideOrReply(c: CommandContext, arg: Buffer): boolean | null {
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
    if (created) c.server.notify(NOTIFY_NEW, 'new', key, c.dbIndex);
    c.server.notify(NOTIFY_LIST, left ? 'lpush' : 'rpush', key, c.dbIndex);
    c.reply.int(list.size);
  };
}

/**
 * Pushes `value` onto `dstKey` (created when absent; `dst` is its list, or
 * null), as Redis's `lmoveHandlePush`, with its `new` and `lpush`/`rpush` events.
 */
export function pushTo(c: CommandContext, dstKey: Buffer, dst: ListValue | null, value: string, left: boolean): void {
  const list = dst ?? new ListValue();
  if (left) list.pushLeft(value);
  else list.pushRight(value);
  if (dst === null) {
    storeCollection(c.db, dstKey, list);
    c.server.notify(NOTIFY_NEW, 'new', dstKey, c.dbIndex);
  }
  c.server.notify(NOTIFY_LIST, left ? 'lpush' : 'rpush', dstKey, c.dbIndex);
}

/**
 * The events of elements popped from the list at `key`: `lpop` or `rpop`,
 * then `del` when the list emptied and went (t_list.c `listElementsRemoved`).
 */
export function notifyPopped(c: CommandContext, key: Buffer, left: boolean, deleted: boolean): void {
  c.server.notify(NOTIFY_LIST, left ? 'lpop' : 'rpop', key, c.dbIndex);
  if (deleted) c.server.notify(NOTIFY_GENERIC, 'del', key, c.dbIndex);
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
      const deleted = deleteIfEmpty(c.db, key, list);
      c.server.propagate(c.dbIndex, [name, key]);
      notifyPopped(c, key, left, deleted);
      return c.reply.bulkLatin1(v);
    }
    const n = Math.min(count, list.size);
    c.reply.arrayLen(n);
    for (let i = 0; i < n; i++) c.reply.bulkLatin1(left ? list.popLeft()! : list.popRight()!);
    const deleted = deleteIfEmpty(c.db, key, list);
    c.server.propagate(c.dbIndex, [name, key, String(n)]);
    notifyPopped(c, key, left, deleted);
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
export function moveGeneric(
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
  const deleted = deleteIfEmpty(c.db, srcKey, src);
  c.server.propagate(c.dbIndex, effect);
  notifyPopped(c, srcKey, fromLeft, deleted);
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

export function lmoveEffect(src: Buffer, dst: Buffer, fromLeft: boolean, toLeft: boolean): (string | Buffer)[] {
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
          "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to " +
            'start from the end of the list',
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
  c.server.notify(NOTIFY_LIST, 'lset', argv[1]!, c.dbIndex);
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
  c.server.notify(NOTIFY_LIST, 'linsert', argv[1]!, c.dbIndex);
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
    const deleted = deleteIfEmpty(c.db, key, list);
    c.server.propagate(c.dbIndex, ['LREM', key, argv[2]!, argv[3]!]);
    c.server.notify(NOTIFY_LIST, 'lrem', key, c.dbIndex);
    if (deleted) c.server.notify(NOTIFY_GENERIC, 'del', key, c.dbIndex);
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
  let deleted = false;
  if (list.size !== len) {
    deleted = deleteIfEmpty(c.db, key, list);
    c.server.propagate(c.dbIndex, ['LTRIM', key, argv[2]!, argv[3]!]);
  } else c.server.signalModifiedKey(c.dbIndex, key);
  c.server.notify(NOTIFY_LIST, 'ltrim', key, c.dbIndex);
  if (deleted) c.server.notify(NOTIFY_GENERIC, 'del', key, c.dbIndex);
  c.reply.ok();
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
      'O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) ' +
      'for large lists; and N is the number of elements in the specified range.',
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
      'O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for ' +
      'the first or the last element of the list O(1).',
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
      'O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting ' +
      'somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right ' +
      'end (tail) is O(N).',
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
      'O(N) where N is the number of elements in the list, for the average case. When searching for elements near ' +
      'the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant ' +
      'time.',
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
];
