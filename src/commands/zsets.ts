/**
 * Sorted-set commands, after Redis 7.0's t_zset.c, and the family's table.
 * Here: one generic ZADD serving ZADD and ZINCRBY, ZREM, ZCARD, ZSCORE,
 * ZMSCORE, ZRANK, ZREVRANK and ZSCAN. The range family (ZRANGE and its
 * forms, ZREMRANGEBY*, ZCOUNT, ZLEXCOUNT) is in zsetrange.ts, the set
 * operations (ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD) in
 * zsetops.ts, the pops (ZPOPMIN, ZPOPMAX, ZMPOP) and ZRANDMEMBER in
 * zsetpick.ts, the lookups and replies they share in zsetcommon.ts.
 *
 * Replies follow redis-server 7.0 byte for byte: scores are printed with C's
 * `%.17g` ({@link formatDouble}); a score of -0 stored while the set is small
 * (Redis's listpack encoding) reads back as 0 (see ZSetValue); parsing
 * follows `strtod` ({@link parseDouble}; numbers.ts also reads the ends of score
 * intervals).
 *
 * Effects logged (docs/FORMAT.md, "Effects"): ZADD, ZREM, the ZREMRANGEBY*
 * commands and the STORE commands are deterministic and logged as
 * themselves; ZADD INCR and ZINCRBY as `ZADD key <resulting score> member`;
 * ZPOPMIN, ZPOPMAX and ZMPOP as `ZREM key <popped members>`. Nothing is
 * logged when nothing changed.
 *
 * Reference: https://redis.io/docs/latest/commands/?group=sorted-set
 */
import { NOTIFY_GENERIC, NOTIFY_NEW, NOTIFY_ZSET } from '../config/keyspace-events.js';
import { ZSetValue, scanStep } from '../store/collections.js';
import type { ZNode } from '../store/skiplist.js';
import type { CommandContext, CommandSpec } from './context.js';
import {
  WRONG,
  deleteIfEmpty,
  el,
  elementMatches,
  logSelf,
  replyEmptyScan,
  scanOptionsOrReply,
  storeCollection,
} from './collection.js';
import { cursorOrReply } from './keys.js';
import { command, keyAt, keysCounted } from './table.js';
import { ERR, isWord } from './util.js';
import { formatDouble, parseDouble } from './numbers.js';
import { replyScanNodes, replyScore, zsetForRead, zsetForWrite } from './zsetcommon.js';
import {
  Direction,
  RangeType,
  zcountCommand,
  zlexcountCommand,
  zrangeGeneric,
  zrangestoreCommand,
  zremrangeGeneric,
} from './zsetrange.js';
import { SetOp, zsetOpGeneric } from './zsetops.js';
import { zmpopCommand, zpopGeneric, zrandmemberCommand } from './zsetpick.js';

// ---------------------------------------------------------------------------
// ZADD, ZINCRBY
// ---------------------------------------------------------------------------

const Z_NX = 1;
const Z_XX = 2;
const Z_GT = 4;
const Z_LT = 8;
const Z_INCR = 16;

const NAN_SCORE = 'ERR resulting score is not a number (NaN)';

/**
 * The generic ZADD (t_zset.c `zaddGenericCommand`): options NX XX GT LT CH
 * INCR, then score-member pairs. Every score is parsed before anything
 * changes. Replies the number added (or added and updated with CH), or with
 * INCR the new score, nil when a condition blocked it.
 *
 * Errors: `ERR syntax error`, `ERR XX and NX options at the same time are
 * not compatible`, `ERR GT, LT, and/or NX options at the same time are not
 * compatible`, `ERR INCR option supports a single increment-element pair`,
 * `ERR value is not a valid float`, WRONGTYPE, `ERR resulting score is not a
 * number (NaN)`.
 */
export function zaddGeneric(c: CommandContext, argv: Buffer[], flags: number): void {
  const key = argv[1]!;
  let ch = false;
  let idx = 2;
  for (; idx < argv.length; idx++) {
    const a = argv[idx]!;
    if (isWord(a, 'NX')) flags |= Z_NX;
    else if (isWord(a, 'XX')) flags |= Z_XX;
    else if (isWord(a, 'CH')) ch = true;
    else if (isWord(a, 'INCR')) flags |= Z_INCR;
    else if (isWord(a, 'GT')) flags |= Z_GT;
    else if (isWord(a, 'LT')) flags |= Z_LT;
    else break;
  }
  const incr = (flags & Z_INCR) !== 0;
  const nx = (flags & Z_NX) !== 0;
  const xx = (flags & Z_XX) !== 0;
  const gt = (flags & Z_GT) !== 0;
  const lt = (flags & Z_LT) !== 0;
  const pairs = argv.length - idx;
  if (pairs === 0 || pairs % 2 !== 0) return c.reply.error(ERR.syntax);
  const elements = pairs / 2;
  if (nx && xx) return c.reply.error('ERR XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt))
    return c.reply.error('ERR GT, LT, and/or NX options at the same time are not compatible');
  if (incr && elements > 1) return c.reply.error('ERR INCR option supports a single increment-element pair');
  const scores = new Array<number>(elements);
  for (let j = 0; j < elements; j++) {
    const v = parseDouble(argv[idx + j * 2]!);
    if (v === null) return c.reply.error(ERR.notFloat);
    scores[j] = v;
  }
  const found = zsetForWrite(c, key);
  if (found === WRONG) return;
  if (found === null && xx) {
    if (incr) c.reply.nullBulk();
    else c.reply.int(0);
    return;
  }
  const z = found ?? new ZSetValue();
  let added = 0;
  let updated = 0;
  let processed = 0;
  let result = 0;
  for (let j = 0; j < elements; j++) {
    const member = el(argv[idx + 1 + j * 2]!);
    let score = scores[j]!;
    const cur = z.score(member);
    if (cur !== undefined) {
      if (nx) continue;
      if (incr) {
        score += cur;
        if (Number.isNaN(score)) {
          // Only INCR gets here, with one pair: nothing has changed.
          return c.reply.error(NAN_SCORE);
        }
      }
      if ((lt && score >= cur) || (gt && score <= cur)) continue;
      result = score;
      processed++;
      if (score !== cur) {
        z.set(member, score);
        updated++;
      }
    } else if (!xx) {
      z.set(member, score);
      result = score;
      added++;
      processed++;
    }
  }
  const created = found === null && z.size > 0;
  if (created) storeCollection(c.db, key, z);
  if (added + updated > 0) {
    if (incr) c.server.propagate(c.dbIndex, ['ZADD', key, formatDouble(result), argv[idx + 1]!]);
    else logSelf(c, 'ZADD', argv);
    if (created) c.server.notify(NOTIFY_NEW, 'new', key, c.dbIndex);
    c.server.notify(NOTIFY_ZSET, incr ? 'zincr' : 'zadd', key, c.dbIndex);
  }
  if (incr) {
    if (processed > 0) replyScore(c, result);
    else c.reply.nullBulk();
  } else {
    c.reply.int(ch ? added + updated : added);
  }
}

/** ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...] */
function zaddCommand(c: CommandContext, argv: Buffer[]): void {
  zaddGeneric(c, argv, 0);
}

/** ZINCRBY key increment member: ZADD with INCR (so `ZINCRBY k nx m` is a syntax error, as in Redis). */
function zincrbyCommand(c: CommandContext, argv: Buffer[]): void {
  zaddGeneric(c, argv, Z_INCR);
}

// ---------------------------------------------------------------------------
// ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK
// ---------------------------------------------------------------------------

/** ZREM key member [member ...]: replies how many were removed; the key goes when emptied. */
function zremCommand(c: CommandContext, argv: Buffer[]): void {
  const key = argv[1]!;
  const z = zsetForWrite(c, key);
  if (z === WRONG) return;
  if (z === null) return c.reply.int(0);
  let removed = 0;
  for (let j = 2; j < argv.length; j++) {
    if (z.delete(el(argv[j]!))) removed++;
    if (z.size === 0) break;
  }
  const deleted = deleteIfEmpty(c.db, key, z);
  if (removed > 0) {
    logSelf(c, 'ZREM', argv);
    c.server.notify(NOTIFY_ZSET, 'zrem', key, c.dbIndex);
    if (deleted) c.server.notify(NOTIFY_GENERIC, 'del', key, c.dbIndex);
  }
  c.reply.int(removed);
}

/** ZCARD key */
function zcardCommand(c: CommandContext, argv: Buffer[]): void {
  const z = zsetForRead(c, argv[1]!);
  if (z === WRONG) return;
  c.reply.int(z === null ? 0 : z.size);
}

/** ZSCORE key member: the score, or nil. */
function zscoreCommand(c: CommandContext, argv: Buffer[]): void {
  const z = zsetForRead(c, argv[1]!);
  if (z === WRONG) return;
  const s = z === null ? undefined : z.score(el(argv[2]!));
  if (s === undefined) c.reply.nullBulk();
  else replyScore(c, s);
}

/** ZMSCORE key member [member ...]: a score or nil per member (all nil for a missing key). */
function zmscoreCommand(c: CommandContext, argv: Buffer[]): void {
  const z = zsetForRead(c, argv[1]!);
  if (z === WRONG) return;
  c.reply.arrayLen(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const s = z === null ? undefined : z.score(el(argv[j]!));
    if (s === undefined) c.reply.nullBulk();
    else replyScore(c, s);
  }
}

/** ZRANK / ZREVRANK key member: the 0-based rank in O(log n), or nil. */
function zrankGeneric(reverse: boolean) {
  return (c: CommandContext, argv: Buffer[]): void => {
    const z = zsetForRead(c, argv[1]!);
    if (z === WRONG) return;
    const member = el(argv[2]!);
    const s = z === null ? undefined : z.score(member);
    if (z === null || s === undefined) return c.reply.nullBulk();
    const r = z.list.rank(s, member);
    c.reply.int(reverse ? z.size - r : r - 1);
  };
}

// ---------------------------------------------------------------------------
// ZSCAN
// ---------------------------------------------------------------------------

/**
 * ZSCAN key cursor [MATCH pattern] [COUNT count]: a compact set comes back
 * whole in one call with cursor 0, as Redis returns a listpack; a larger one
 * is walked through its dense node array with {@link scanStep}, so every
 * member present for the whole iteration is returned at least once.
 * MATCH applies to members. Options are checked after the key, as Redis does.
 */
function zscanCommand(c: CommandContext, argv: Buffer[]): void {
  const cursor = cursorOrReply(c, argv[2]!);
  if (cursor === null) return;
  const z = zsetForRead(c, argv[1]!);
  if (z === WRONG) return;
  if (z === null) return replyEmptyScan(c);
  const opts = scanOptionsOrReply(c, argv, 3);
  if (opts === null) return;
  const picked: ZNode[] = [];
  let next = 0;
  if (z.compact) {
    for (let n = z.list.first; n !== null; n = n.next[0]!) if (elementMatches(opts.match, n.member)) picked.push(n);
  } else {
    const step = scanStep(cursor, z.dense.length, opts.count);
    next = step.next;
    for (let i = step.to - 1; i >= step.from; i--) {
      const n = z.dense[i]!;
      if (elementMatches(opts.match, n.member)) picked.push(n);
    }
  }
  c.reply.arrayLen(2);
  c.reply.bulkAscii(String(next));
  replyScanNodes(c, picked);
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

const G = 'sorted-set';

/** The sorted-set family's table entries (arity and flags as redis-server 7.0's COMMAND INFO). */
export const zsetCommands: CommandSpec[] = [
  command({
    name: 'zadd',
    arity: -4,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'update'])],
    group: G,
    since: '1.2.0',
    complexity: 'O(log(N)) for each item added, where N is the number of elements in the sorted set.',
    summary: 'Add one or more members to a sorted set, or update its score if it already exists',
    handler: zaddCommand,
  }),
  command({
    name: 'zincrby',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'update'])],
    group: G,
    since: '1.2.0',
    complexity: 'O(log(N)) where N is the number of elements in the sorted set.',
    summary: 'Increment the score of a member in a sorted set',
    handler: zincrbyCommand,
  }),
  command({
    name: 'zrem',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'delete'])],
    group: G,
    since: '1.2.0',
    complexity:
      'O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.',
    summary: 'Remove one or more members from a sorted set',
    handler: zremCommand,
  }),
  command({
    name: 'zcard',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO'])],
    group: G,
    since: '1.2.0',
    complexity: 'O(1)',
    summary: 'Get the number of members in a sorted set',
    handler: zcardCommand,
  }),
  command({
    name: 'zscore',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: G,
    since: '1.2.0',
    complexity: 'O(1)',
    summary: 'Get the score associated with the given member in a sorted set',
    handler: zscoreCommand,
  }),
  command({
    name: 'zmscore',
    arity: -3,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: G,
    since: '6.2.0',
    complexity: 'O(N) where N is the number of members being requested.',
    summary: 'Get the score associated with the given members in a sorted set',
    handler: zmscoreCommand,
  }),
  command({
    name: 'zrank',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: G,
    since: '2.0.0',
    complexity: 'O(log(N))',
    summary: 'Determine the index of a member in a sorted set',
    handler: zrankGeneric(false),
  }),
  command({
    name: 'zrevrank',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: G,
    since: '2.0.0',
    complexity: 'O(log(N))',
    summary: 'Determine the index of a member in a sorted set, with scores ordered from high to low',
    handler: zrankGeneric(true),
  }),
  command({
    name: 'zcount',
    arity: 4,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: G,
    since: '2.0.0',
    complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
    summary: 'Count the members in a sorted set with scores within the given values',
    handler: zcountCommand,
  }),
  command({
    name: 'zlexcount',
    arity: 4,
    flags: ['readonly', 'fast'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: G,
    since: '2.8.9',
    complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
    summary: 'Count the number of members in a sorted set between a given lexicographical range',
    handler: zlexcountCommand,
  }),
  command({
    name: 'zrange',
    arity: -4,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: G,
    since: '1.2.0',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.',
    summary: 'Return a range of members in a sorted set',
    handler: zrangeGeneric(RangeType.Auto, Direction.Auto),
  }),
  command({
    name: 'zrangestore',
    arity: -5,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['OW', 'update']), keyAt(2, ['RO', 'access'])],
    group: G,
    since: '6.2.0',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into ' +
      'the destination key.',
    summary: 'Store a range of members from sorted set into another key',
    handler: zrangestoreCommand,
  }),
  command({
    name: 'zrevrange',
    arity: -4,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: G,
    since: '1.2.0',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.',
    summary: 'Return a range of members in a sorted set, by index, with scores ordered from high to low',
    handler: zrangeGeneric(RangeType.Rank, Direction.Reverse),
  }),
  command({
    name: 'zrangebyscore',
    arity: -4,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: G,
    since: '1.0.5',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being ' +
      'returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it ' +
      'O(log(N)).',
    summary: 'Return a range of members in a sorted set, by score',
    handler: zrangeGeneric(RangeType.Score, Direction.Forward),
  }),
  command({
    name: 'zrevrangebyscore',
    arity: -4,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: G,
    since: '2.2.0',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being ' +
      'returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it ' +
      'O(log(N)).',
    summary: 'Return a range of members in a sorted set, by score, with scores ordered from high to low',
    handler: zrangeGeneric(RangeType.Score, Direction.Reverse),
  }),
  command({
    name: 'zrangebylex',
    arity: -4,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: G,
    since: '2.8.9',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being ' +
      'returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it ' +
      'O(log(N)).',
    summary: 'Return a range of members in a sorted set, by lexicographical range',
    handler: zrangeGeneric(RangeType.Lex, Direction.Forward),
  }),
  command({
    name: 'zrevrangebylex',
    arity: -4,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: G,
    since: '2.8.9',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being ' +
      'returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it ' +
      'O(log(N)).',
    summary:
      'Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.',
    handler: zrangeGeneric(RangeType.Lex, Direction.Reverse),
  }),
  command({
    name: 'zremrangebyrank',
    arity: 4,
    flags: ['write'],
    keys: [keyAt(1, ['RW', 'delete'])],
    group: G,
    since: '2.0.0',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by ' +
      'the operation.',
    summary: 'Remove all members in a sorted set within the given indexes',
    handler: zremrangeGeneric('ZREMRANGEBYRANK', RangeType.Rank),
  }),
  command({
    name: 'zremrangebyscore',
    arity: 4,
    flags: ['write'],
    keys: [keyAt(1, ['RW', 'delete'])],
    group: G,
    since: '1.2.0',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by ' +
      'the operation.',
    summary: 'Remove all members in a sorted set within the given scores',
    handler: zremrangeGeneric('ZREMRANGEBYSCORE', RangeType.Score),
  }),
  command({
    name: 'zremrangebylex',
    arity: 4,
    flags: ['write'],
    keys: [keyAt(1, ['RW', 'delete'])],
    group: G,
    since: '2.8.9',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by ' +
      'the operation.',
    summary: 'Remove all members in a sorted set between the given lexicographical range',
    handler: zremrangeGeneric('ZREMRANGEBYLEX', RangeType.Lex),
  }),
  command({
    name: 'zpopmin',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'delete'])],
    group: G,
    since: '5.0.0',
    complexity:
      'O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.',
    summary: 'Remove and return members with the lowest scores in a sorted set',
    handler: zpopGeneric(false),
  }),
  command({
    name: 'zpopmax',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'delete'])],
    group: G,
    since: '5.0.0',
    complexity:
      'O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.',
    summary: 'Remove and return members with the highest scores in a sorted set',
    handler: zpopGeneric(true),
  }),
  command({
    name: 'zmpop',
    arity: -4,
    flags: ['write'],
    keys: [keysCounted(1, ['RW', 'access', 'delete'])],
    group: G,
    since: '7.0.0',
    complexity:
      'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted ' +
      'set, and M being the number of elements popped.',
    summary: 'Remove and return members with scores in a sorted set',
    handler: zmpopCommand,
  }),
  command({
    name: 'zrandmember',
    arity: -2,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: G,
    since: '6.2.0',
    complexity: 'O(N) where N is the number of elements returned',
    summary: 'Get one or multiple random elements from a sorted set',
    handler: zrandmemberCommand,
  }),
  command({
    name: 'zscan',
    arity: -3,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access'])],
    group: G,
    since: '2.8.0',
    complexity:
      'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return ' +
      'back to 0. N is the number of elements inside the collection.',
    summary: 'Incrementally iterate sorted sets elements and associated scores',
    handler: zscanCommand,
  }),
  command({
    name: 'zunionstore',
    arity: -4,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['OW', 'update']), keysCounted(2, ['RO', 'access'])],
    group: G,
    since: '2.0.0',
    complexity:
      'O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of ' +
      'elements in the resulting sorted set.',
    summary: 'Add multiple sorted sets and store the resulting sorted set in a new key',
    handler: zsetOpGeneric('zunionstore', SetOp.Union, true, false),
  }),
  command({
    name: 'zinterstore',
    arity: -4,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['OW', 'update']), keysCounted(2, ['RO', 'access'])],
    group: G,
    since: '2.0.0',
    complexity:
      'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input ' +
      'sorted sets and M being the number of elements in the resulting sorted set.',
    summary: 'Intersect multiple sorted sets and store the resulting sorted set in a new key',
    handler: zsetOpGeneric('zinterstore', SetOp.Inter, true, false),
  }),
  command({
    name: 'zdiffstore',
    arity: -4,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['OW', 'update']), keysCounted(2, ['RO', 'access'])],
    group: G,
    since: '6.2.0',
    complexity:
      'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the ' +
      'first set, and K is the size of the result set.',
    summary: 'Subtract multiple sorted sets and store the resulting sorted set in a new key',
    handler: zsetOpGeneric('zdiffstore', SetOp.Diff, true, false),
  }),
  command({
    name: 'zunion',
    arity: -3,
    flags: ['readonly'],
    keys: [keysCounted(1, ['RO', 'access'])],
    group: G,
    since: '6.2.0',
    complexity:
      'O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of ' +
      'elements in the resulting sorted set.',
    summary: 'Add multiple sorted sets',
    handler: zsetOpGeneric('zunion', SetOp.Union, false, false),
  }),
  command({
    name: 'zinter',
    arity: -3,
    flags: ['readonly'],
    keys: [keysCounted(1, ['RO', 'access'])],
    group: G,
    since: '6.2.0',
    complexity:
      'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input ' +
      'sorted sets and M being the number of elements in the resulting sorted set.',
    summary: 'Intersect multiple sorted sets',
    handler: zsetOpGeneric('zinter', SetOp.Inter, false, false),
  }),
  command({
    name: 'zdiff',
    arity: -3,
    flags: ['readonly'],
    keys: [keysCounted(1, ['RO', 'access'])],
    group: G,
    since: '6.2.0',
    complexity:
      'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the ' +
      'first set, and K is the size of the result set.',
    summary: 'Subtract multiple sorted sets',
    handler: zsetOpGeneric('zdiff', SetOp.Diff, false, false),
  }),
  command({
    name: 'zintercard',
    arity: -3,
    flags: ['readonly'],
    keys: [keysCounted(1, ['RO', 'access'])],
    group: G,
    since: '7.0.0',
    complexity:
      'O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.',
    summary: 'Intersect multiple sorted sets and return the cardinality of the result',
    handler: zsetOpGeneric('zintercard', SetOp.Inter, false, true),
  }),
];
