/**
 * The blocking and multi-key list pops, after Redis 7.0's t_list.c and
 * blocking.c: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, LMPOP, BLMPOP. With something
 * to take they act as LPOP, RPOP, LMOVE, RPOPLPUSH and LPOP/RPOP with a
 * count; otherwise the client waits in the registry of ./blocking.ts until a
 * write fills one of its keys or its timeout passes.
 *
 * Effects logged (docs/FORMAT.md, "Effects"): a blocking pop is logged as the
 * non-blocking command that happened when it is served (BLPOP → `LPOP key`,
 * BLMOVE → `LMOVE src dst LEFT RIGHT`, BRPOPLPUSH → `RPOPLPUSH src dst`);
 * LMPOP and BLMPOP as `LPOP key n` / `RPOP key n` with the number of elements
 * taken; a timeout logs nothing.
 *
 * Reference: https://redis.io/docs/latest/commands/blpop/
 */
import type { ListValue } from '../store/collections.js';
import type { BlockedCommand, CommandContext, CommandSpec } from './context.js';
import { command, keyAt, keysCounted } from './table.js';
import { deleteIfEmpty, WRONG } from './collection.js';
import { parseLongDouble, type LongDouble } from './longdouble.js';
import { ERR, INT64_MAX, INT64_MIN, isWord, rangeLongOrReply } from './util.js';
import { listForWrite, listOrNull, sideOrReply, moveGeneric, pushTo, lmoveEffect, notifyPopped } from './lists.js';

/** `LLONG_MIN` as a double: what the x86 conversion gives for an infinity or an out-of-range value. */
const LLONG_MIN = Number(INT64_MIN);

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
export function deadlineOrReply(c: CommandContext, arg: Buffer): number | null {
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
  const deleted = deleteIfEmpty(c.db, key, list);
  c.server.propagate(c.dbIndex, [left ? 'LPOP' : 'RPOP', key]);
  notifyPopped(c, key, left, deleted);
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
 * `source` has elements, else blocks on `source`. Replies the element; a
 * null array on timeout, a null bulk where it may not block (in a
 * transaction). Served while blocked, a destination of another type
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
      const deleted = deleteIfEmpty(c.db, key, list);
      c.server.propagate(c.dbIndex, effect(key, dstCopy));
      notifyPopped(c, key, fromLeft, deleted);
      c.reply.bulkLatin1(value);
      // The push may serve clients blocked on the destination in turn.
      c.server.blocking.signal(c.dbIndex, dstCopy);
      return true;
    },
    // Every list wait that times out gets a null array (blocked.c `replyToBlockedClientTimedOut`).
    timedOut: () => c.reply.nullArray(),
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

/** LMPOP's and BLMPOP's arguments after the timeout. */
interface MpopArgs {
  /** Argument indexes [first, end) of the keys. */
  readonly first: number;
  readonly end: number;
  readonly left: boolean;
  readonly count: number;
}

/**
 * Parses `numkeys key [key ...] LEFT | RIGHT [COUNT count]` from argument
 * `numkeysIdx` (t_list.c `lmpopGenericCommand`). Errors: `ERR numkeys should
 * be greater than 0`, `ERR count should be greater than 0`, `ERR syntax error`.
 *
 * @returns the arguments, or null after replying
 */
function mpopArgsOrReply(c: CommandContext, argv: Buffer[], numkeysIdx: number): MpopArgs | null {
  const numkeys = rangeLongOrReply(c, argv[numkeysIdx]!, 1n, INT64_MAX, 'numkeys should be greater than 0');
  if (numkeys === null) return null;
  const whereIdx = numkeysIdx + 1 + numkeys;
  const left = whereIdx < argv.length ? sideOrReply(c, argv[whereIdx]!) : null;
  if (left === null) {
    if (whereIdx >= argv.length) c.reply.error(ERR.syntax);
    return null;
  }
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    if (count === -1 && isWord(argv[j]!, 'COUNT') && j + 1 < argv.length) {
      const n = rangeLongOrReply(c, argv[++j]!, 1n, INT64_MAX, 'count should be greater than 0');
      if (n === null) return null;
      count = n;
    } else {
      c.reply.error(ERR.syntax);
      return null;
    }
  }
  return { first: numkeysIdx + 1, end: whereIdx, left, count: count === -1 ? 1 : count };
}

/**
 * Pops up to `count` elements of the non-empty list at `key` and replies
 * `[key, [elements...]]` in the order taken (t_list.c
 * `listPopRangeAndReplyWithKey`); logs `LPOP key n` / `RPOP key n`.
 */
function mpopReply(c: CommandContext, key: Buffer, list: ListValue, left: boolean, count: number): void {
  const n = Math.min(count, list.size);
  c.reply.arrayLen(2);
  c.reply.bulk(key);
  c.reply.arrayLen(n);
  for (let i = 0; i < n; i++) c.reply.bulkLatin1(left ? list.popLeft()! : list.popRight()!);
  const deleted = deleteIfEmpty(c.db, key, list);
  c.server.propagate(c.dbIndex, [left ? 'LPOP' : 'RPOP', key, String(n)]);
  notifyPopped(c, key, left, deleted);
}

/**
 * LMPOP numkeys key [key ...] LEFT | RIGHT [COUNT count] (t_list.c
 * `mpopGenericCommand`): pops from the first non-empty key; a null array when
 * every key is absent, WRONGTYPE at the first key of another type.
 */
function lmpopCommand(c: CommandContext, argv: Buffer[]): void {
  const args = mpopArgsOrReply(c, argv, 1);
  if (args === null) return;
  for (let j = args.first; j < args.end; j++) {
    const list = listForWrite(c, argv[j]!);
    if (list === WRONG) return;
    if (list !== null && list.size > 0) return mpopReply(c, argv[j]!, list, args.left, args.count);
  }
  c.reply.nullArray();
}

/**
 * BLMPOP timeout numkeys key [key ...] LEFT | RIGHT [COUNT count]: LMPOP when
 * a key has elements, else blocks on them all (t_list.c
 * `blockingPopGenericCommand`; the timeout is read after the other arguments).
 */
function blmpopCommand(c: CommandContext, argv: Buffer[]): void {
  const args = mpopArgsOrReply(c, argv, 2);
  if (args === null) return;
  const deadline = deadlineOrReply(c, argv[1]!);
  if (deadline === null) return;
  for (let j = args.first; j < args.end; j++) {
    const list = listForWrite(c, argv[j]!);
    if (list === WRONG) return;
    if (list !== null && list.size > 0) return mpopReply(c, argv[j]!, list, args.left, args.count);
  }
  if (!c.canBlock) return c.reply.nullArray();
  const blocked: BlockedCommand = {
    keys: argv.slice(args.first, args.end).map((k) => Buffer.from(k)),
    deadline,
    serve: (key) => {
      const list = listOrNull(c, key);
      if (list === null || list.size === 0) return false;
      mpopReply(c, key, list, args.left, args.count);
      return true;
    },
    timedOut: () => c.reply.nullArray(),
  };
  c.server.blocking.block(c, blocked);
}

/** The blocking list commands' table entries. */
export const blockingListCommands: CommandSpec[] = [
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
  command({
    name: 'lmpop',
    arity: -4,
    flags: ['write'],
    keys: [keysCounted(1, ['RW', 'access', 'delete'])],
    group: 'list',
    since: '7.0.0',
    complexity: 'O(N+M) where N is the number of provided keys and M is the number of elements returned.',
    summary: 'Pop elements from a list',
    handler: lmpopCommand,
  }),
  command({
    name: 'blmpop',
    arity: -5,
    flags: ['write', 'blocking'],
    keys: [keysCounted(2, ['RW', 'access', 'delete'])],
    group: 'list',
    since: '7.0.0',
    complexity: 'O(N+M) where N is the number of provided keys and M is the number of elements returned.',
    summary: 'Pop elements from a list, or block until one is available',
    handler: blmpopCommand,
  }),
];
