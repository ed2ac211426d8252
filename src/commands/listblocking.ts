/**
 * The blocking list commands, after Redis 7.0's t_list.c and blocking.c:
 * BLPOP, BRPOP, BLMOVE, BRPOPLPUSH. With something to take they act as
 * LPOP, RPOP, LMOVE and RPOPLPUSH; otherwise the client waits in the
 * registry of ./blocking.ts until a write fills one of its keys or its
 * timeout passes.
 *
 * Effects logged (docs/FORMAT.md, "Effects"): a blocking pop is logged as the
 * non-blocking command that happened when it is served (BLPOP → `LPOP key`,
 * BLMOVE → `LMOVE src dst LEFT RIGHT`, BRPOPLPUSH → `RPOPLPUSH src dst`); a
 * timeout logs nothing.
 *
 * Reference: https://redis.io/docs/latest/commands/blpop/
 */
import type { ListValue } from '../store/collections.js';
import type { BlockedCommand, CommandContext, CommandSpec } from './context.js';
import { command, keyAt } from './table.js';
import { deleteIfEmpty, WRONG } from './collection.js';
import { parseLongDouble, type LongDouble } from './longdouble.js';
import { INT64_MIN } from './util.js';
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
];
