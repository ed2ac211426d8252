/**
 * Sorted-set operations, after Redis 7.0's t_zset.c
 * `zunionInterDiffGenericCommand`: one generic serves ZUNION, ZINTER, ZDIFF,
 * ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE and ZINTERCARD, with WEIGHTS and
 * AGGREGATE SUM | MIN | MAX.
 *
 * Reference: https://redis.io/docs/latest/commands/zunionstore/
 */
import { NOTIFY_GENERIC, NOTIFY_NEW, NOTIFY_ZSET } from '../config/keyspace-events.js';
import { keyMiss } from './notify.js';
import { EntryType } from '../store/arena.js';
import { type SetValue, ZSetValue } from '../store/collections.js';
import type { CommandContext } from './context.js';
import { logSelf, replyPairStart, replyPairsLen, storeCollection } from './collection.js';
import { ERR, isWord, longOrReply, positiveLongOrReply } from './util.js';
import { parseDouble } from './numbers.js';
import { replyScore } from './zsetcommon.js';

/** Which set operation {@link zsetOpGeneric} performs. */
export const enum SetOp {
  Union,
  Inter,
  Diff,
}

const enum Aggregate {
  Sum,
  Min,
  Max,
}

/** One input of a set operation: a sorted set, a set (every score 1), or nothing. */
interface OpSource {
  z: ZSetValue | null;
  s: SetValue | null;
  weight: number;
  /** Position among the arguments (a stable tie-break for the size order). */
  pos: number;
}

function sourceSize(src: OpSource): number {
  return src.z !== null ? src.z.size : src.s !== null ? src.s.size : 0;
}

/** Calls `fn(member, score)` for every element of `src`. */
function eachOf(src: OpSource, fn: (member: string, score: number) => void): void {
  if (src.z !== null) for (let n = src.z.list.first; n !== null; n = n.next[0]!) fn(n.member, n.score);
  else if (src.s !== null) for (const m of src.s.members) fn(m, 1);
}

/** The score of `member` in `src`, or undefined. */
function scoreIn(src: OpSource, member: string): number | undefined {
  if (src.z !== null) return src.z.score(member);
  if (src.s !== null) return src.s.has(member) ? 1 : undefined;
  return undefined;
}

/** Redis `zunionInterAggregate`: SUM turns inf + -inf into 0. */
function aggregate(target: number, val: number, how: Aggregate): number {
  if (how === Aggregate.Sum) {
    const r = target + val;
    return Number.isNaN(r) ? 0 : r;
  }
  // Redis's comparisons, not Math.min/max: those return NaN for a NaN operand and order -0 below 0.
  // biome-ignore lint/complexity/useMathMinMax: the comparison is Redis's, NaN and -0 included
  if (how === Aggregate.Min) return val < target ? val : target;
  // biome-ignore lint/complexity/useMathMinMax: the comparison is Redis's, NaN and -0 included
  return val > target ? val : target;
}

/** Orders (member, score) pairs as a sorted set does. */
function byScoreThenMember(a: [string, number], b: [string, number]): number {
  if (a[1] < b[1]) return -1;
  if (a[1] > b[1]) return 1;
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/**
 * The set operations (t_zset.c `zunionInterDiffGenericCommand`): ZUNION,
 * ZINTER, ZDIFF (`dst` null, replying the result, WITHSCORES allowed),
 * ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE (`dst` set: the result replaces dst,
 * an empty result deletes it) and ZINTERCARD (`card`). Sets count as sorted
 * sets with every score 1. As in Redis, the inputs are taken smallest first
 * (stable for equal sizes), which fixes the order of floating-point
 * aggregation; `weight × score` that is NaN counts as 0.
 *
 * Errors: `ERR value is not an integer or out of range`, `ERR at least 1
 * input key is needed for '<cmd>' command`, `ERR syntax error`, WRONGTYPE,
 * `ERR weight value is not a float`, `ERR LIMIT can't be negative`.
 */
export function zsetOpGeneric(name: string, op: SetOp, store: boolean, card: boolean) {
  return (c: CommandContext, argv: Buffer[]): void => {
    const numIdx = store ? 2 : 1;
    const setnum = longOrReply(c, argv[numIdx]!);
    if (setnum === null) return;
    if (setnum < 1) return c.reply.error(`ERR at least 1 input key is needed for '${name}' command`);
    if (setnum > argv.length - (numIdx + 1)) return c.reply.error(ERR.syntax);
    const srcs: OpSource[] = [];
    const db = c.db;
    let j = numIdx + 1;
    for (let i = 0; i < setnum; i++, j++) {
      const slot = db.lookup(argv[j]!);
      const src: OpSource = { z: null, s: null, weight: 1, pos: i };
      if (slot >= 0) {
        const t = db.type(slot);
        if (t === EntryType.ZSet) src.z = db.collection(slot) as ZSetValue;
        else if (t === EntryType.Set) src.s = db.collection(slot) as SetValue;
        else return c.reply.error(ERR.wrongType);
        c.server.stats.keyspaceHits++;
      } else {
        keyMiss(c, argv[j]!);
      }
      srcs.push(src);
    }
    let how = Aggregate.Sum;
    let withscores = false;
    let limit = 0;
    while (j < argv.length) {
      const remaining = argv.length - j;
      const a = argv[j]!;
      if (op !== SetOp.Diff && !card && remaining >= setnum + 1 && isWord(a, 'WEIGHTS')) {
        j++;
        for (let i = 0; i < setnum; i++, j++) {
          const w = parseDouble(argv[j]!);
          if (w === null) return c.reply.error('ERR weight value is not a float');
          srcs[i]!.weight = w;
        }
      } else if (op !== SetOp.Diff && !card && remaining >= 2 && isWord(a, 'AGGREGATE')) {
        const v = argv[j + 1]!;
        if (isWord(v, 'SUM')) how = Aggregate.Sum;
        else if (isWord(v, 'MIN')) how = Aggregate.Min;
        else if (isWord(v, 'MAX')) how = Aggregate.Max;
        else return c.reply.error(ERR.syntax);
        j += 2;
      } else if (!store && !card && isWord(a, 'WITHSCORES')) {
        withscores = true;
        j++;
      } else if (card && remaining >= 2 && isWord(a, 'LIMIT')) {
        const l = positiveLongOrReply(c, argv[j + 1]!, "LIMIT can't be negative");
        if (l === null) return;
        limit = l;
        j += 2;
      } else {
        return c.reply.error(ERR.syntax);
      }
    }
    if (op !== SetOp.Diff) srcs.sort((a, b) => sourceSize(a) - sourceSize(b) || a.pos - b.pos);

    const result: [string, number][] = [];
    if (op === SetOp.Inter) {
      const first = srcs[0]!;
      let cardinality = 0;
      if (sourceSize(first) > 0) {
        let stop = false;
        eachOf(first, (member, s0) => {
          if (stop) return;
          let score = first.weight * s0;
          if (Number.isNaN(score)) score = 0;
          for (let k = 1; k < srcs.length; k++) {
            const other = srcs[k]!;
            const v = scoreIn(other, member);
            if (v === undefined) return;
            score = aggregate(score, v * other.weight, how);
          }
          if (card) {
            cardinality++;
            if (limit > 0 && cardinality >= limit) stop = true;
          } else {
            result.push([member, score]);
          }
        });
      }
      if (card) return c.reply.int(cardinality);
    } else if (op === SetOp.Union) {
      const acc = new Map<string, number>();
      for (const src of srcs) {
        eachOf(src, (member, s) => {
          let score = src.weight * s;
          if (Number.isNaN(score)) score = 0;
          const cur = acc.get(member);
          acc.set(member, cur === undefined ? score : aggregate(cur, score, how));
        });
      }
      for (const e of acc) result.push(e);
    } else {
      const first = srcs[0]!;
      const same = srcs.some((s, k) => k > 0 && (s.z !== null ? s.z === first.z : s.s !== null && s.s === first.s));
      if (!same && sourceSize(first) > 0) {
        eachOf(first, (member, s) => {
          for (let k = 1; k < srcs.length; k++) if (scoreIn(srcs[k]!, member) !== undefined) return;
          result.push([member, s]);
        });
      }
    }
    result.sort(byScoreThenMember);

    if (!store) {
      // The reply comes from the skiplist Redis built, so -0 shows as -0.
      replyPairsLen(c, result.length, withscores);
      for (const [m, s] of result) {
        replyPairStart(c, withscores);
        c.reply.bulkLatin1(m);
        if (withscores) replyScore(c, s);
      }
      return;
    }
    const dst = argv[1]!;
    if (result.length === 0) {
      if (db.delete(dst)) {
        logSelf(c, name.toUpperCase(), argv);
        c.server.notify(NOTIFY_GENERIC, 'del', dst, c.dbIndex);
      }
      return c.reply.int(0);
    }
    const out = new ZSetValue();
    let maxLen = 0;
    for (const [m] of result) if (m.length > maxLen) maxLen = m.length;
    if (result.length > 128 || maxLen > 64) out.toSkiplist();
    for (const [m, s] of result) out.set(m, s);
    const existed = db.findSlot(dst) >= 0;
    storeCollection(db, dst, out);
    logSelf(c, name.toUpperCase(), argv);
    if (!existed) c.server.notify(NOTIFY_NEW, 'new', dst, c.dbIndex);
    c.server.notify(NOTIFY_ZSET, name.toLowerCase(), dst, c.dbIndex);
    c.reply.int(out.size);
  };
}
