/**
 * Sorted-set members taken or picked by position, after Redis 7.0's
 * t_zset.c: the pops from either end (ZPOPMIN, ZPOPMAX, ZMPOP:
 * `genericZpopCommand`, `zmpopGenericCommand`) and random picks
 * (ZRANDMEMBER: `zrandmemberWithCountCommand`). A pop is logged as
 * `ZREM key <popped members>` (docs/FORMAT.md, "Effects"), and only when it
 * popped something; ZRANDMEMBER logs nothing.
 *
 * Reference: https://redis.io/docs/latest/commands/zpopmin/,
 * https://redis.io/docs/latest/commands/zrandmember/
 */
import { NOTIFY_GENERIC, NOTIFY_ZSET } from '../config/keyspace-events.js';
import type { ZSetValue } from '../store/collections.js';
import type { ZNode } from '../store/skiplist.js';
import type { CommandContext } from './context.js';
import {
  WRONG,
  bytes,
  deleteIfEmpty,
  randomCountOrReply,
  randomIndex,
  replyPairStart,
  replyPairsLen,
  sampleIndexes,
} from './collection.js';
import { ERR, INT64_MAX, isWord, positiveLongOrReply, rangeLongOrReply } from './util.js';
import { replyScore, zsetForRead, zsetForWrite } from './zsetcommon.js';

/**
 * Pops up to `count` members from the low (or high) end of `z`, appending
 * `member, score` pairs to the reply (the caller wrote the header), each pair
 * an array of its own when `nested` (t_zset.c `genericZpopCommand`'s
 * `use_nested_array`: ZMPOP always, ZPOPMIN and ZPOPMAX with a count in
 * RESP3); deletes the key when emptied, and logs `ZREM key members...`.
 */
export function popInto(
  c: CommandContext,
  key: Buffer,
  z: ZSetValue,
  count: number,
  max: boolean,
  nested: boolean,
): void {
  const popped: Buffer[] = [];
  for (let k = 0; k < count; k++) {
    const n = max ? z.list.tail : z.list.first;
    if (n === null) break;
    if (nested) c.reply.arrayLen(2);
    c.reply.bulkLatin1(n.member);
    replyScore(c, n.score);
    popped.push(bytes(n.member));
    z.delete(n.member);
  }
  const deleted = deleteIfEmpty(c.db, key, z);
  if (popped.length > 0) {
    c.server.propagate(c.dbIndex, ['ZREM', key, ...popped]);
    c.server.notify(NOTIFY_ZSET, max ? 'zpopmax' : 'zpopmin', key, c.dbIndex);
  }
  if (deleted) c.server.notify(NOTIFY_GENERIC, 'del', key, c.dbIndex);
}

/**
 * ZPOPMIN / ZPOPMAX key [count]: member, score pairs; a flat array, except
 * in RESP3 with a count, where each pair is an array of its own (t_zset.c
 * `zpopMinMaxCommand`'s `use_nested_array`).
 */
export function zpopGeneric(max: boolean) {
  return (c: CommandContext, argv: Buffer[]): void => {
    if (argv.length > 3) return c.reply.error(ERR.syntax);
    let count = 1;
    if (argv.length === 3) {
      const n = positiveLongOrReply(c, argv[2]!);
      if (n === null) return;
      count = n;
    }
    const key = argv[1]!;
    const z = zsetForWrite(c, key);
    if (z === WRONG) return;
    if (z === null || count === 0) return c.reply.arrayLen(0);
    const n = Math.min(count, z.size);
    const nested = argv.length === 3 && c.reply.resp !== 2;
    c.reply.arrayLen(nested ? n : n * 2);
    popInto(c, key, z, n, max, nested);
  };
}

/** ZMPOP's and BZMPOP's arguments after the timeout: the keys, the end to pop from and the count. */
export interface ZmpopArgs {
  /** Argument indexes [first, end) of the keys. */
  readonly first: number;
  readonly end: number;
  readonly max: boolean;
  readonly count: number;
}

/**
 * Parses `numkeys key [key ...] MIN | MAX [COUNT count]` from argument
 * `numkeysIdx` (t_zset.c `zmpopGenericCommand`). Errors: `ERR numkeys should
 * be greater than 0`, `ERR count should be greater than 0`, `ERR syntax error`.
 *
 * @returns the arguments, or null after replying
 */
export function zmpopArgsOrReply(c: CommandContext, argv: Buffer[], numkeysIdx: number): ZmpopArgs | null {
  const numkeys = rangeLongOrReply(c, argv[numkeysIdx]!, 1n, INT64_MAX, 'numkeys should be greater than 0');
  if (numkeys === null) return null;
  const whereIdx = numkeysIdx + 1 + numkeys;
  if (whereIdx >= argv.length) return syntaxOrNull(c);
  let max: boolean;
  if (isWord(argv[whereIdx]!, 'MIN')) max = false;
  else if (isWord(argv[whereIdx]!, 'MAX')) max = true;
  else return syntaxOrNull(c);
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    if (count === -1 && isWord(argv[j]!, 'COUNT') && j + 1 < argv.length) {
      const n = rangeLongOrReply(c, argv[++j]!, 1n, INT64_MAX, 'count should be greater than 0');
      if (n === null) return null;
      count = n;
    } else {
      return syntaxOrNull(c);
    }
  }
  return { first: numkeysIdx + 1, end: whereIdx, max, count: count === -1 ? 1 : count };
}

function syntaxOrNull(c: CommandContext): null {
  c.reply.error(ERR.syntax);
  return null;
}

/**
 * Pops up to `count` members of the non-empty set `z` at `key` and replies
 * `[key, [[member, score], ...]]` (ZMPOP and BZMPOP's shape).
 */
export function zmpopReply(c: CommandContext, key: Buffer, z: ZSetValue, count: number, max: boolean): void {
  const n = Math.min(count, z.size);
  c.reply.arrayLen(2);
  c.reply.bulk(key);
  c.reply.arrayLen(n);
  popInto(c, key, z, n, max, true);
}

/**
 * ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]: pops from the first
 * non-empty key; replies `[key, [[member, score], ...]]`, or a null array.
 */
export function zmpopCommand(c: CommandContext, argv: Buffer[]): void {
  const args = zmpopArgsOrReply(c, argv, 1);
  if (args === null) return;
  for (let j = args.first; j < args.end; j++) {
    const key = argv[j]!;
    const z = zsetForWrite(c, key);
    if (z === WRONG) return;
    if (z === null) continue;
    return zmpopReply(c, key, z, args.count, args.max);
  }
  c.reply.nullArray();
}

/**
 * ZRANDMEMBER key [count [WITHSCORES]] (t_zset.c `zrandmemberWithCountCommand`):
 * no count, one member or nil; a positive count, distinct members (the whole
 * set, highest first, when it has no more than `count`); a negative count,
 * |count| picks with repetition. Picks are O(1) from the dense node array.
 * Read-only: nothing is logged.
 */
export function zrandmemberCommand(c: CommandContext, argv: Buffer[]): void {
  if (argv.length === 2) {
    const z = zsetForRead(c, argv[1]!);
    if (z === WRONG) return;
    if (z === null) return c.reply.nullBulk();
    return c.reply.bulkLatin1(z.dense[randomIndex(z.dense.length)]!.member);
  }
  const count64 = randomCountOrReply(c, argv, 'WITHSCORES');
  if (count64 === null) return;
  const l = Number(count64);
  const withscores = argv.length === 4;
  const z = zsetForRead(c, argv[1]!);
  if (z === WRONG) return;
  if (z === null || l === 0) return c.reply.arrayLen(0);
  const size = z.size;
  const nodes = z.dense;
  const emit = (n: ZNode): void => {
    replyPairStart(c, withscores);
    c.reply.bulkLatin1(n.member);
    if (withscores) replyScore(c, n.score);
  };
  if (l < 0 || l === 1) {
    const count = Math.abs(l);
    replyPairsLen(c, count, withscores);
    for (let k = 0; k < count; k++) emit(nodes[randomIndex(size)]!);
    return;
  }
  const count = Math.min(l, size);
  replyPairsLen(c, count, withscores);
  if (l >= size) {
    // Redis iterates the whole set from its tail.
    for (let n = z.list.tail; n !== null; n = n.backward) emit(n);
    return;
  }
  if (z.compact) {
    // A listpack's unique sample comes out in set order (selection sampling).
    let need = count;
    let left = size;
    for (let n = z.list.first; n !== null && need > 0; n = n.next[0]!, left--) {
      if (Math.random() * left < need) {
        emit(n);
        need--;
      }
    }
    return;
  }
  for (const i of sampleIndexes(size, count)) emit(nodes[i]!);
}
