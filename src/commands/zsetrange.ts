/**
 * The sorted-set range family, after Redis 7.0's t_zset.c: one generic range
 * (`zrangeGenericCommand`) serves ZRANGE, ZREVRANGE, ZRANGEBYSCORE,
 * ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX and ZRANGESTORE; beside it
 * are ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX, ZCOUNT, ZLEXCOUNT
 * and the parsing of the score and lexicographic intervals they share.
 *
 * Ranks and ranges go through the skip list in O(log n + m); a LIMIT offset
 * is skipped by rank (O(log n)) where Redis walks it.
 *
 * Reference: https://redis.io/docs/latest/commands/zrange/
 */
import { NOTIFY_GENERIC, NOTIFY_NEW, NOTIFY_ZSET } from '../config/keyspace-events.js';
import { ZSetValue } from '../store/collections.js';
import {
  gteMin,
  lexGteMin,
  lexLteMax,
  lexRangeEmpty,
  lteMax,
  type LexBound,
  type LexRange,
  type ScoreRange,
  type ZNode,
} from '../store/skiplist.js';
import type { CommandContext } from './context.js';
import { WRONG, deleteIfEmpty, logSelf, storeCollection } from './collection.js';
import { ERR, isWord, longOrReply } from './util.js';
import { parseScoreBound } from './numbers.js';
import { replyNodes, zsetForRead, zsetForWrite } from './zsetcommon.js';

// ---------------------------------------------------------------------------
// Intervals
// ---------------------------------------------------------------------------

/**
 * Parses `min max` of a score interval (t_zset.c `zslParseRange`, each end
 * read by {@link parseScoreBound}).
 *
 * @returns the interval, or null after replying `ERR min or max is not a float`
 */
function scoreRangeOrReply(c: CommandContext, min: Buffer, max: Buffer): ScoreRange | null {
  const a = parseScoreBound(min);
  const b = a === null ? null : parseScoreBound(max);
  if (a === null || b === null) {
    c.reply.error('ERR min or max is not a float');
    return null;
  }
  return { min: a.value, minex: a.ex, max: b.value, maxex: b.ex };
}

/**
 * Parses one end of a lexicographic interval as Redis's
 * `zslParseLexRangeItem` (t_zset.c): `-` and `+` (alone, or followed by a
 * NUL byte) are the extremes, `[v` inclusive, `(v` exclusive; the member
 * bytes are kept as a latin1 string.
 *
 * @returns the bound, or null when it is none of these (the caller replies
 *   `ERR min or max not valid string range item`)
 */
export function parseLexBound(arg: Buffer): LexBound | null {
  if (arg.length === 0) return null;
  switch (arg[0]) {
    case 43: // +
    case 45: // -
      if (arg.length > 1 && arg[1] !== 0) return null;
      return { v: '', inf: arg[0] === 43 ? 1 : -1, ex: true };
    case 40: // (
      return { v: arg.toString('latin1', 1), inf: 0, ex: true };
    case 91: // [
      return { v: arg.toString('latin1', 1), inf: 0, ex: false };
    default:
      return null;
  }
}

/**
 * Parses `min max` of a lexicographic interval (t_zset.c `zslParseLexRange`).
 *
 * @returns the interval, or null after replying `ERR min or max not valid string range item`
 */
function lexRangeOrReply(c: CommandContext, min: Buffer, max: Buffer): LexRange | null {
  const a = parseLexBound(min);
  const b = a === null ? null : parseLexBound(max);
  if (a === null || b === null) {
    c.reply.error('ERR min or max not valid string range item');
    return null;
  }
  return { min: a, max: b };
}

/**
 * First node of a lexicographic range. A compact set is scanned from the
 * head, as Redis scans a listpack; with members of different scores that
 * can differ from the skip-list descent (Redis leaves that case unspecified).
 */
function firstInLex(z: ZSetValue, r: LexRange): ZNode | null {
  if (!z.compact) return z.list.firstInLex(r);
  const head = z.list.first;
  const tail = z.list.tail;
  if (
    lexRangeEmpty(r) ||
    head === null ||
    tail === null ||
    !lexGteMin(tail.member, r.min) ||
    !lexLteMax(head.member, r.max)
  )
    return null;
  for (let n: ZNode | null = head; n !== null; n = n.next[0]!) {
    if (lexGteMin(n.member, r.min)) return lexLteMax(n.member, r.max) ? n : null;
  }
  return null;
}

/** Last node of a lexicographic range (see {@link firstInLex}). */
function lastInLex(z: ZSetValue, r: LexRange): ZNode | null {
  if (!z.compact) return z.list.lastInLex(r);
  const head = z.list.first;
  const tail = z.list.tail;
  if (
    lexRangeEmpty(r) ||
    head === null ||
    tail === null ||
    !lexGteMin(tail.member, r.min) ||
    !lexLteMax(head.member, r.max)
  )
    return null;
  for (let n: ZNode | null = tail; n !== null; n = n.backward) {
    if (lexLteMax(n.member, r.max)) return lexGteMin(n.member, r.min) ? n : null;
  }
  return null;
}

// ---------------------------------------------------------------------------
// ZCOUNT, ZLEXCOUNT
// ---------------------------------------------------------------------------

/**
 * ZCOUNT key min max (t_zset.c `zcountCommand`): the number of members with
 * a score in the interval, by rank arithmetic in O(log n); 0 for a missing
 * key. Errors: `ERR min or max is not a float`, WRONGTYPE.
 */
export function zcountCommand(c: CommandContext, argv: Buffer[]): void {
  const range = scoreRangeOrReply(c, argv[2]!, argv[3]!);
  if (range === null) return;
  const z = zsetForRead(c, argv[1]!);
  if (z === WRONG) return;
  if (z === null) return c.reply.int(0);
  const first = z.list.firstInScore(range);
  if (first === null) return c.reply.int(0);
  const last = z.list.lastInScore(range)!;
  c.reply.int(z.list.rank(last.score, last.member) - z.list.rank(first.score, first.member) + 1);
}

/**
 * ZLEXCOUNT key min max (t_zset.c `zlexcountCommand`): the number of
 * members in the lexicographic interval; 0 for a missing key. Errors:
 * `ERR min or max not valid string range item`, WRONGTYPE.
 */
export function zlexcountCommand(c: CommandContext, argv: Buffer[]): void {
  const range = lexRangeOrReply(c, argv[2]!, argv[3]!);
  if (range === null) return;
  const z = zsetForRead(c, argv[1]!);
  if (z === WRONG) return;
  if (z === null) return c.reply.int(0);
  const first = firstInLex(z, range);
  if (first === null) return c.reply.int(0);
  if (z.compact) {
    let n = 0;
    for (let x: ZNode | null = first; x !== null && lexLteMax(x.member, range.max); x = x.next[0]!) n++;
    return c.reply.int(n);
  }
  const rank = z.list.rank(first.score, first.member);
  let count = z.size - (rank - 1);
  const last = lastInLex(z, range);
  if (last !== null) count -= z.size - z.list.rank(last.score, last.member);
  c.reply.int(count);
}

// ---------------------------------------------------------------------------
// ZRANGE and its older forms, ZRANGESTORE
// ---------------------------------------------------------------------------

/**
 * What a range request selects by: ranks, a score interval or a
 * lexicographic interval. `Auto` (ZRANGE, ZRANGESTORE) is ranks unless
 * BYSCORE or BYLEX says otherwise; the older commands fix it.
 */
export const enum RangeType {
  Auto,
  Rank,
  Score,
  Lex,
}

/** The order of a range request's reply; `Auto` (ZRANGE, ZRANGESTORE) is forward unless REV says otherwise. */
export const enum Direction {
  Auto,
  Forward,
  Reverse,
}

/** A parsed range request. */
interface RangeRequest {
  type: RangeType.Rank | RangeType.Score | RangeType.Lex;
  reverse: boolean;
  start: number;
  end: number;
  score: ScoreRange | null;
  lex: LexRange | null;
  offset: number;
  /** -1 (any negative) for no limit. */
  limit: number;
  withscores: boolean;
}

/**
 * Parses `<min> <max> [BYSCORE | BYLEX] [REV] [WITHSCORES] [LIMIT offset count]`
 * from `argv[from]` (t_zset.c `zrangeGenericCommand`, steps 1 and 2): the
 * older commands fix the type or direction, and then reject the keyword.
 *
 * @returns the request, or null after replying an error
 */
function rangeRequestOrReply(
  c: CommandContext,
  argv: Buffer[],
  from: number,
  store: boolean,
  type: RangeType,
  dir: Direction,
): RangeRequest | null {
  let withscores = false;
  let offset = 0;
  let limit = -1;
  for (let j = from + 2; j < argv.length; j++) {
    const a = argv[j]!;
    const left = argv.length - j - 1;
    if (!store && isWord(a, 'WITHSCORES')) withscores = true;
    else if (isWord(a, 'LIMIT') && left >= 2) {
      const o = longOrReply(c, argv[j + 1]!);
      if (o === null) return null;
      const l = longOrReply(c, argv[j + 2]!);
      if (l === null) return null;
      offset = o;
      limit = l;
      j += 2;
    } else if (dir === Direction.Auto && isWord(a, 'REV')) dir = Direction.Reverse;
    else if (type === RangeType.Auto && isWord(a, 'BYLEX')) type = RangeType.Lex;
    else if (type === RangeType.Auto && isWord(a, 'BYSCORE')) type = RangeType.Score;
    else {
      c.reply.error(ERR.syntax);
      return null;
    }
  }
  const reverse = dir === Direction.Reverse;
  const t = type === RangeType.Auto ? RangeType.Rank : type;
  if (limit !== -1 && t === RangeType.Rank) {
    c.reply.error('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
    return null;
  }
  if (withscores && t === RangeType.Lex) {
    c.reply.error('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
    return null;
  }
  // REV with BYSCORE or BYLEX takes the interval as max, min.
  const swap = reverse && t !== RangeType.Rank;
  const minArg = argv[swap ? from + 1 : from]!;
  const maxArg = argv[swap ? from : from + 1]!;
  const req: RangeRequest = { type: t, reverse, start: 0, end: 0, score: null, lex: null, offset, limit, withscores };
  if (t === RangeType.Rank) {
    const s = longOrReply(c, minArg);
    if (s === null) return null;
    const e = longOrReply(c, maxArg);
    if (e === null) return null;
    req.start = s;
    req.end = e;
  } else if (t === RangeType.Score) {
    req.score = scoreRangeOrReply(c, minArg, maxArg);
    if (req.score === null) return null;
  } else {
    req.lex = lexRangeOrReply(c, minArg, maxArg);
    if (req.lex === null) return null;
  }
  return req;
}

/** The node `offset` steps after (or before, reversed) `n`, by rank in O(log n); null past the end. */
function skip(z: ZSetValue, n: ZNode, offset: number, reverse: boolean): ZNode | null {
  if (offset === 0) return n;
  if (offset < 0) return null; // Redis walks a negative offset off the end
  const r = z.list.rank(n.score, n.member);
  const t = reverse ? r - offset : r + offset;
  return t >= 1 && t <= z.size ? z.list.byRank(t) : null;
}

/** The nodes a range request selects, in reply order: O(log n + m). */
function collectRange(z: ZSetValue, q: RangeRequest): ZNode[] {
  const out: ZNode[] = [];
  const list = z.list;
  const rev = q.reverse;
  if (q.type === RangeType.Rank) {
    const llen = z.size;
    let start = q.start;
    let end = q.end;
    if (start < 0) start += llen;
    if (end < 0) end += llen;
    if (start < 0) start = 0;
    if (start > end || start >= llen) return out;
    if (end >= llen) end = llen - 1;
    let n = rev ? list.byRank(llen - start) : list.byRank(start + 1);
    for (let k = end - start + 1; k > 0 && n !== null; k--) {
      out.push(n);
      n = rev ? n.backward : n.next[0]!;
    }
    return out;
  }
  let limit = q.limit;
  if (q.type === RangeType.Score) {
    const r = q.score!;
    if (q.offset > 0 && q.offset >= z.size) return out;
    let n = rev ? list.lastInScore(r) : list.firstInScore(r);
    if (n !== null) n = skip(z, n, q.offset, rev);
    while (n !== null && limit-- !== 0) {
      if (rev ? !gteMin(n.score, r) : !lteMax(n.score, r)) break;
      out.push(n);
      n = rev ? n.backward : n.next[0]!;
    }
    return out;
  }
  const r = q.lex!;
  let n = rev ? lastInLex(z, r) : firstInLex(z, r);
  if (n !== null) n = skip(z, n, q.offset, rev);
  while (n !== null && limit-- !== 0) {
    if (rev ? !lexGteMin(n.member, r.min) : !lexLteMax(n.member, r.max)) break;
    out.push(n);
    n = rev ? n.backward : n.next[0]!;
  }
  return out;
}

/**
 * The range commands (t_zset.c `zrangeGenericCommand`): ZRANGE key min max
 * [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES] with `type` and
 * `dir` Auto, and ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX,
 * ZREVRANGEBYLEX with them fixed. Parses, then looks the key up (so a bad
 * range is reported before WRONGTYPE), then replies the members (with
 * WITHSCORES, each followed by its score); an empty array for a missing key.
 *
 * Errors: `ERR syntax error`, `ERR syntax error, LIMIT is only supported in
 * combination with either BYSCORE or BYLEX`, `ERR syntax error, WITHSCORES
 * not supported in combination with BYLEX`, `ERR value is not an integer or
 * out of range`, `ERR min or max is not a float`, `ERR min or max not valid
 * string range item`, WRONGTYPE.
 */
export function zrangeGeneric(type: RangeType, dir: Direction) {
  return (c: CommandContext, argv: Buffer[]): void => {
    const q = rangeRequestOrReply(c, argv, 2, false, type, dir);
    if (q === null) return;
    const z = zsetForRead(c, argv[1]!);
    if (z === WRONG) return;
    if (z === null) return c.reply.arrayLen(0);
    replyNodes(c, collectRange(z, q), q.withscores);
  };
}

/**
 * ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]:
 * stores the range (replacing dst, whatever its type) and replies its size;
 * an empty range deletes dst. Logged as sent. Errors as {@link zrangeGeneric}
 * (WITHSCORES is a syntax error here).
 */
export function zrangestoreCommand(c: CommandContext, argv: Buffer[]): void {
  const q = rangeRequestOrReply(c, argv, 3, true, RangeType.Auto, Direction.Auto);
  if (q === null) return;
  const dst = argv[1]!;
  const z = zsetForRead(c, argv[2]!);
  if (z === WRONG) return;
  const nodes = z === null ? [] : collectRange(z, q);
  if (nodes.length === 0) {
    if (c.db.delete(dst)) {
      logSelf(c, 'ZRANGESTORE', argv);
      c.server.notify(NOTIFY_GENERIC, 'del', dst, c.dbIndex);
    }
    return c.reply.int(0);
  }
  // Redis starts a listpack and adds in range order, converting when it outgrows it.
  const out = new ZSetValue();
  for (const n of nodes) out.set(n.member, n.score);
  const existed = c.db.findSlot(dst) >= 0;
  storeCollection(c.db, dst, out);
  logSelf(c, 'ZRANGESTORE', argv);
  if (!existed) c.server.notify(NOTIFY_NEW, 'new', dst, c.dbIndex);
  c.server.notify(NOTIFY_ZSET, 'zrangestore', dst, c.dbIndex);
  c.reply.int(out.size);
}

// ---------------------------------------------------------------------------
// ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX
// ---------------------------------------------------------------------------

/**
 * ZREMRANGEBYRANK / ZREMRANGEBYSCORE / ZREMRANGEBYLEX key a b (t_zset.c
 * `zremrangeGenericCommand`): removes the range in O(log n + m) and replies
 * how many went; the key goes when emptied. Logged as sent under `name`
 * when something was removed. Errors: `ERR value is not an integer or out
 * of range`, `ERR min or max is not a float`, `ERR min or max not valid
 * string range item`, WRONGTYPE.
 */
export function zremrangeGeneric(name: string, type: RangeType.Rank | RangeType.Score | RangeType.Lex) {
  return (c: CommandContext, argv: Buffer[]): void => {
    const key = argv[1]!;
    let start = 0;
    let end = 0;
    let score: ScoreRange | null = null;
    let lex: LexRange | null = null;
    if (type === RangeType.Rank) {
      const s = longOrReply(c, argv[2]!);
      if (s === null) return;
      const e = longOrReply(c, argv[3]!);
      if (e === null) return;
      start = s;
      end = e;
    } else if (type === RangeType.Score) {
      score = scoreRangeOrReply(c, argv[2]!, argv[3]!);
      if (score === null) return;
    } else {
      lex = lexRangeOrReply(c, argv[2]!, argv[3]!);
      if (lex === null) return;
    }
    const z = zsetForWrite(c, key);
    if (z === WRONG) return;
    if (z === null) return c.reply.int(0);
    let removed = 0;
    if (type === RangeType.Rank) {
      const llen = z.size;
      if (start < 0) start += llen;
      if (end < 0) end += llen;
      if (start < 0) start = 0;
      if (start > end || start >= llen) return c.reply.int(0);
      if (end >= llen) end = llen - 1;
      removed = z.list.deleteByRank(start + 1, end + 1, z.forget);
    } else if (type === RangeType.Score) {
      const r = score!;
      const first = z.list.firstInScore(r);
      if (first !== null) removed = z.list.deleteWhile(first, (n) => lteMax(n.score, r), z.forget);
    } else {
      const r = lex!;
      const first = firstInLex(z, r);
      if (first !== null) removed = z.list.deleteWhile(first, (n) => lexLteMax(n.member, r.max), z.forget);
    }
    if (removed > 0) {
      const deleted = deleteIfEmpty(c.db, key, z);
      logSelf(c, name, argv);
      c.server.notify(NOTIFY_ZSET, name.toLowerCase(), key, c.dbIndex);
      if (deleted) c.server.notify(NOTIFY_GENERIC, 'del', key, c.dbIndex);
    }
    c.reply.int(removed);
  };
}
