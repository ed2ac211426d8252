/**
 * Sorted-set commands, after Redis 7.0's t_zset.c: one generic ZADD serves
 * ZADD and ZINCRBY, one generic range serves ZRANGE, ZREVRANGE,
 * ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX and
 * ZRANGESTORE, one generic set operation serves ZUNION, ZINTER, ZDIFF, their
 * STORE forms and ZINTERCARD.
 *
 * Ranks and ranges go through the skip list in O(log n + m); a LIMIT offset
 * is skipped by rank (O(log n)) where Redis walks it.
 *
 * Replies follow redis-server 7.0 byte for byte: scores are printed with C's
 * `%.17g` ({@link formatDouble}); a score of -0 stored while the set is small
 * (Redis's listpack encoding) reads back as 0 (see ZSetValue); parsing
 * follows `strtod` ({@link parseDouble}, {@link parseScoreBound}).
 *
 * Effects logged (docs/FORMAT.md, "Effects"): ZADD, ZREM, the ZREMRANGEBY*
 * commands and the STORE commands are deterministic and logged as
 * themselves; ZADD INCR and ZINCRBY as `ZADD key <resulting score> member`;
 * ZPOPMIN, ZPOPMAX and ZMPOP as `ZREM key <popped members>`. Nothing is
 * logged when nothing changed.
 *
 * Reference: https://redis.io/docs/latest/commands/?group=sorted-set
 */
import { EntryType } from '../store/arena.js';
import { SetValue, ZSetValue, scanStep } from '../store/collections.js';
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
import type { Client } from '../server/client.js';
import {
  WRONG,
  bytes,
  deleteIfEmpty,
  el,
  elementMatches,
  logSelf,
  lookupCollection,
  randomCountOrReply,
  randomIndex,
  readCollection,
  replyEmptyScan,
  sampleIndexes,
  scanOptionsOrReply,
  storeCollection,
} from './collection.js';
import { cursorOrReply } from './keys.js';
import { cmd, type CommandSpec } from './table.js';
import { ERR, INT64_MAX, isWord, longOrReply, positiveLongOrReply, rangeLongOrReply } from './util.js';
import { formatDouble, parseDouble, parseScoreBound } from './numbers.js';

// ---------------------------------------------------------------------------
// Argument parsing
// ---------------------------------------------------------------------------

/** Parses `min max` of a score interval, or replies `ERR min or max is not a float`. */
function scoreRangeOrReply(c: Client, min: Buffer, max: Buffer): ScoreRange | null {
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
 * `zslParseLexRangeItem`: `-` and `+` (alone, or followed by a NUL byte)
 * are the extremes, `[v` inclusive, `(v` exclusive.
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

/** Parses `min max` of a lexicographic interval, or replies `ERR min or max not valid string range item`. */
function lexRangeOrReply(c: Client, min: Buffer, max: Buffer): LexRange | null {
  const a = parseLexBound(min);
  const b = a === null ? null : parseLexBound(max);
  if (a === null || b === null) {
    c.reply.error('ERR min or max not valid string range item');
    return null;
  }
  return { min: a, max: b };
}

// ---------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------

/** Appends a score as a bulk string. */
function replyScore(c: Client, d: number): void {
  c.reply.bulkAscii(formatDouble(d));
}

/** Replies an array of nodes: members, each followed by its score when `withscores`. */
function replyNodes(c: Client, nodes: readonly ZNode[], withscores: boolean): void {
  c.reply.arrayLen(withscores ? nodes.length * 2 : nodes.length);
  for (const n of nodes) {
    c.reply.bulkLatin1(n.member);
    if (withscores) replyScore(c, n.score);
  }
}

// ---------------------------------------------------------------------------
// Lookups
// ---------------------------------------------------------------------------

/** The sorted set at `key` for a write (no keyspace hit/miss counted); null when absent, WRONG after replying. */
function zsetForWrite(c: Client, key: Buffer): ZSetValue | null | typeof WRONG {
  return lookupCollection<ZSetValue>(c, c.db, key, EntryType.ZSet);
}

/** The sorted set at `key` for a read (counts a hit or miss); null when absent, WRONG after replying. */
function zsetForRead(c: Client, key: Buffer): ZSetValue | null | typeof WRONG {
  return readCollection<ZSetValue>(c, key, EntryType.ZSet);
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
  if (lexRangeEmpty(r) || head === null || tail === null || !lexGteMin(tail.member, r.min) || !lexLteMax(head.member, r.max)) return null;
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
  if (lexRangeEmpty(r) || head === null || tail === null || !lexGteMin(tail.member, r.min) || !lexLteMax(head.member, r.max)) return null;
  for (let n: ZNode | null = tail; n !== null; n = n.backward) {
    if (lexLteMax(n.member, r.max)) return lexGteMin(n.member, r.min) ? n : null;
  }
  return null;
}

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
function zaddGeneric(c: Client, argv: Buffer[], flags: number): void {
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
  if ((gt && nx) || (lt && nx) || (gt && lt)) return c.reply.error('ERR GT, LT, and/or NX options at the same time are not compatible');
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
  if (found === null && z.size > 0) storeCollection(c.db, key, z);
  if (added + updated > 0) {
    if (incr) c.server.propagate(c.dbIndex, ['ZADD', key, formatDouble(result), argv[idx + 1]!]);
    else logSelf(c, 'ZADD', argv);
  }
  if (incr) {
    if (processed > 0) replyScore(c, result);
    else c.reply.nullBulk();
  } else {
    c.reply.int(ch ? added + updated : added);
  }
}

/** ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...] */
function zaddCommand(c: Client, argv: Buffer[]): void {
  zaddGeneric(c, argv, 0);
}

/** ZINCRBY key increment member: ZADD with INCR (so `ZINCRBY k nx m` is a syntax error, as in Redis). */
function zincrbyCommand(c: Client, argv: Buffer[]): void {
  zaddGeneric(c, argv, Z_INCR);
}

// ---------------------------------------------------------------------------
// ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZCOUNT, ZLEXCOUNT
// ---------------------------------------------------------------------------

/** ZREM key member [member ...]: replies how many were removed; the key goes when emptied. */
function zremCommand(c: Client, argv: Buffer[]): void {
  const key = argv[1]!;
  const z = zsetForWrite(c, key);
  if (z === WRONG) return;
  if (z === null) return c.reply.int(0);
  let removed = 0;
  for (let j = 2; j < argv.length; j++) {
    if (z.delete(el(argv[j]!))) removed++;
    if (z.size === 0) break;
  }
  deleteIfEmpty(c.db, key, z);
  if (removed > 0) logSelf(c, 'ZREM', argv);
  c.reply.int(removed);
}

/** ZCARD key */
function zcardCommand(c: Client, argv: Buffer[]): void {
  const z = zsetForRead(c, argv[1]!);
  if (z === WRONG) return;
  c.reply.int(z === null ? 0 : z.size);
}

/** ZSCORE key member: the score, or nil. */
function zscoreCommand(c: Client, argv: Buffer[]): void {
  const z = zsetForRead(c, argv[1]!);
  if (z === WRONG) return;
  const s = z === null ? undefined : z.score(el(argv[2]!));
  if (s === undefined) c.reply.nullBulk();
  else replyScore(c, s);
}

/** ZMSCORE key member [member ...]: a score or nil per member (all nil for a missing key). */
function zmscoreCommand(c: Client, argv: Buffer[]): void {
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
  return (c: Client, argv: Buffer[]): void => {
    const z = zsetForRead(c, argv[1]!);
    if (z === WRONG) return;
    const member = el(argv[2]!);
    const s = z === null ? undefined : z.score(member);
    if (z === null || s === undefined) return c.reply.nullBulk();
    const r = z.list.rank(s, member);
    c.reply.int(reverse ? z.size - r : r - 1);
  };
}

/** ZCOUNT key min max: members with a score in the interval, by rank arithmetic in O(log n). */
function zcountCommand(c: Client, argv: Buffer[]): void {
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

/** ZLEXCOUNT key min max */
function zlexcountCommand(c: Client, argv: Buffer[]): void {
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
// The range family
// ---------------------------------------------------------------------------

const enum RangeType {
  Auto,
  Rank,
  Score,
  Lex,
}

const enum Direction {
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
function rangeRequestOrReply(c: Client, argv: Buffer[], from: number, store: boolean, type: RangeType, dir: Direction): RangeRequest | null {
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
 * The range commands (t_zset.c `zrangeGenericCommand`): parse, then look
 * the key up (so a bad range is reported before WRONGTYPE), then reply.
 */
function zrangeGeneric(type: RangeType, dir: Direction) {
  return (c: Client, argv: Buffer[]): void => {
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
 * an empty range deletes dst.
 */
function zrangestoreCommand(c: Client, argv: Buffer[]): void {
  const q = rangeRequestOrReply(c, argv, 3, true, RangeType.Auto, Direction.Auto);
  if (q === null) return;
  const dst = argv[1]!;
  const z = zsetForRead(c, argv[2]!);
  if (z === WRONG) return;
  const nodes = z === null ? [] : collectRange(z, q);
  if (nodes.length === 0) {
    if (c.db.delete(dst)) logSelf(c, 'ZRANGESTORE', argv);
    return c.reply.int(0);
  }
  // Redis starts a listpack and adds in range order, converting when it outgrows it.
  const out = new ZSetValue();
  for (const n of nodes) out.set(n.member, n.score);
  storeCollection(c.db, dst, out);
  logSelf(c, 'ZRANGESTORE', argv);
  c.reply.int(out.size);
}

// ---------------------------------------------------------------------------
// Removal by range, pops
// ---------------------------------------------------------------------------

/**
 * ZREMRANGEBYRANK / ZREMRANGEBYSCORE / ZREMRANGEBYLEX key a b: removes the
 * range in O(log n + m) and replies how many went; the key goes when emptied.
 */
function zremrangeGeneric(name: string, type: RangeType.Rank | RangeType.Score | RangeType.Lex) {
  return (c: Client, argv: Buffer[]): void => {
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
      deleteIfEmpty(c.db, key, z);
      logSelf(c, name, argv);
    }
    c.reply.int(removed);
  };
}

/**
 * Pops up to `count` members from the low (or high) end of `z`, appending
 * `member, score` pairs to the reply (the caller wrote the header), deletes
 * the key when emptied, and logs `ZREM key members...`.
 */
function popInto(c: Client, key: Buffer, z: ZSetValue, count: number, max: boolean): void {
  const popped: Buffer[] = [];
  for (let k = 0; k < count; k++) {
    const n = max ? z.list.tail : z.list.first;
    if (n === null) break;
    c.reply.bulkLatin1(n.member);
    replyScore(c, n.score);
    popped.push(bytes(n.member));
    z.delete(n.member);
  }
  deleteIfEmpty(c.db, key, z);
  if (popped.length > 0) c.server.propagate(c.dbIndex, ['ZREM', key, ...popped]);
}

/** ZPOPMIN / ZPOPMAX key [count]: a flat array of member, score pairs. */
function zpopGeneric(max: boolean) {
  return (c: Client, argv: Buffer[]): void => {
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
    c.reply.arrayLen(n * 2);
    popInto(c, key, z, n, max);
  };
}

/**
 * ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]: pops from the first
 * non-empty key; replies `[key, [[member, score], ...]]`, or a null array.
 */
function zmpopCommand(c: Client, argv: Buffer[]): void {
  const numkeys = rangeLongOrReply(c, argv[1]!, 1n, INT64_MAX, 'numkeys should be greater than 0');
  if (numkeys === null) return;
  const whereIdx = 2 + numkeys;
  if (whereIdx >= argv.length) return c.reply.error(ERR.syntax);
  let max: boolean;
  if (isWord(argv[whereIdx]!, 'MIN')) max = false;
  else if (isWord(argv[whereIdx]!, 'MAX')) max = true;
  else return c.reply.error(ERR.syntax);
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    if (count === -1 && isWord(argv[j]!, 'COUNT') && j + 1 < argv.length) {
      const n = rangeLongOrReply(c, argv[++j]!, 1n, INT64_MAX, 'count should be greater than 0');
      if (n === null) return;
      count = n;
    } else {
      return c.reply.error(ERR.syntax);
    }
  }
  if (count === -1) count = 1;
  for (let j = 2; j < whereIdx; j++) {
    const key = argv[j]!;
    const z = zsetForWrite(c, key);
    if (z === WRONG) return;
    if (z === null) continue;
    const n = Math.min(count, z.size);
    c.reply.arrayLen(2);
    c.reply.bulk(key);
    c.reply.arrayLen(n);
    const popped: Buffer[] = [];
    for (let k = 0; k < n; k++) {
      const node = (max ? z.list.tail : z.list.first)!;
      c.reply.arrayLen(2);
      c.reply.bulkLatin1(node.member);
      replyScore(c, node.score);
      popped.push(bytes(node.member));
      z.delete(node.member);
    }
    deleteIfEmpty(c.db, key, z);
    c.server.propagate(c.dbIndex, ['ZREM', key, ...popped]);
    return;
  }
  c.reply.nullArray();
}

// ---------------------------------------------------------------------------
// ZRANDMEMBER, ZSCAN
// ---------------------------------------------------------------------------

/**
 * ZRANDMEMBER key [count [WITHSCORES]] (t_zset.c `zrandmemberWithCountCommand`):
 * no count, one member or nil; a positive count, distinct members (the whole
 * set, highest first, when it has no more than `count`); a negative count,
 * |count| picks with repetition. Picks are O(1) from the dense node array.
 * Read-only: nothing is logged.
 */
function zrandmemberCommand(c: Client, argv: Buffer[]): void {
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
    c.reply.bulkLatin1(n.member);
    if (withscores) replyScore(c, n.score);
  };
  if (l < 0 || l === 1) {
    const count = Math.abs(l);
    c.reply.arrayLen(withscores ? count * 2 : count);
    for (let k = 0; k < count; k++) emit(nodes[randomIndex(size)]!);
    return;
  }
  const count = Math.min(l, size);
  c.reply.arrayLen(withscores ? count * 2 : count);
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

/**
 * ZSCAN key cursor [MATCH pattern] [COUNT count]: a compact set comes back
 * whole in one call with cursor 0, as Redis returns a listpack; a larger one
 * is walked through its dense node array with {@link scanStep}, so every
 * member present for the whole iteration is returned at least once.
 * MATCH applies to members. Options are checked after the key, as Redis does.
 */
function zscanCommand(c: Client, argv: Buffer[]): void {
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
  replyNodes(c, picked, true);
}

// ---------------------------------------------------------------------------
// Set operations
// ---------------------------------------------------------------------------

const enum SetOp {
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
  if (how === Aggregate.Min) return val < target ? val : target;
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
function zsetOpGeneric(name: string, op: SetOp, store: boolean, card: boolean) {
  return (c: Client, argv: Buffer[]): void => {
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
        c.server.stats.keyspaceMisses++;
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
      c.reply.arrayLen(withscores ? result.length * 2 : result.length);
      for (const [m, s] of result) {
        c.reply.bulkLatin1(m);
        if (withscores) replyScore(c, s);
      }
      return;
    }
    const dst = argv[1]!;
    if (result.length === 0) {
      if (db.delete(dst)) logSelf(c, name.toUpperCase(), argv);
      return c.reply.int(0);
    }
    const out = new ZSetValue();
    let maxLen = 0;
    for (const [m] of result) if (m.length > maxLen) maxLen = m.length;
    if (result.length > 128 || maxLen > 64) out.toSkiplist();
    for (const [m, s] of result) out.set(m, s);
    storeCollection(db, dst, out);
    logSelf(c, name.toUpperCase(), argv);
    c.reply.int(out.size);
  };
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

const G = 'sorted-set';
const K1: [number, number, number] = [1, 1, 1];

/** The sorted-set family's table entries (arity and flags as redis-server 7.0's COMMAND INFO). */
export const zsetCommands: CommandSpec[] = [
  cmd('zadd', -4, ['write', 'denyoom', 'fast'], K1, G, '1.2.0', 'O(log(N)) for each item added, where N is the number of elements in the sorted set.', 'Add one or more members to a sorted set, or update its score if it already exists', zaddCommand),
  cmd('zincrby', 4, ['write', 'denyoom', 'fast'], K1, G, '1.2.0', 'O(log(N)) where N is the number of elements in the sorted set.', 'Increment the score of a member in a sorted set', zincrbyCommand),
  cmd('zrem', -3, ['write', 'fast'], K1, G, '1.2.0', 'O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.', 'Remove one or more members from a sorted set', zremCommand),
  cmd('zcard', 2, ['readonly', 'fast'], K1, G, '1.2.0', 'O(1)', 'Get the number of members in a sorted set', zcardCommand),
  cmd('zscore', 3, ['readonly', 'fast'], K1, G, '1.2.0', 'O(1)', 'Get the score associated with the given member in a sorted set', zscoreCommand),
  cmd('zmscore', -3, ['readonly', 'fast'], K1, G, '6.2.0', 'O(N) where N is the number of members being requested.', 'Get the score associated with the given members in a sorted set', zmscoreCommand),
  cmd('zrank', 3, ['readonly', 'fast'], K1, G, '2.0.0', 'O(log(N))', 'Determine the index of a member in a sorted set', zrankGeneric(false)),
  cmd('zrevrank', 3, ['readonly', 'fast'], K1, G, '2.0.0', 'O(log(N))', 'Determine the index of a member in a sorted set, with scores ordered from high to low', zrankGeneric(true)),
  cmd('zcount', 4, ['readonly', 'fast'], K1, G, '2.0.0', 'O(log(N)) with N being the number of elements in the sorted set.', 'Count the members in a sorted set with scores within the given values', zcountCommand),
  cmd('zlexcount', 4, ['readonly', 'fast'], K1, G, '2.8.9', 'O(log(N)) with N being the number of elements in the sorted set.', 'Count the number of members in a sorted set between a given lexicographical range', zlexcountCommand),
  cmd('zrange', -4, ['readonly'], K1, G, '1.2.0', 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.', 'Return a range of members in a sorted set', zrangeGeneric(RangeType.Auto, Direction.Auto)),
  cmd('zrangestore', -5, ['write', 'denyoom'], [1, 2, 1], G, '6.2.0', 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.', 'Store a range of members from sorted set into another key', zrangestoreCommand),
  cmd('zrevrange', -4, ['readonly'], K1, G, '1.2.0', 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.', 'Return a range of members in a sorted set, by index, with scores ordered from high to low', zrangeGeneric(RangeType.Rank, Direction.Reverse)),
  cmd('zrangebyscore', -4, ['readonly'], K1, G, '1.0.5', 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).', 'Return a range of members in a sorted set, by score', zrangeGeneric(RangeType.Score, Direction.Forward)),
  cmd('zrevrangebyscore', -4, ['readonly'], K1, G, '2.2.0', 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).', 'Return a range of members in a sorted set, by score, with scores ordered from high to low', zrangeGeneric(RangeType.Score, Direction.Reverse)),
  cmd('zrangebylex', -4, ['readonly'], K1, G, '2.8.9', 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).', 'Return a range of members in a sorted set, by lexicographical range', zrangeGeneric(RangeType.Lex, Direction.Forward)),
  cmd('zrevrangebylex', -4, ['readonly'], K1, G, '2.8.9', 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).', 'Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.', zrangeGeneric(RangeType.Lex, Direction.Reverse)),
  cmd('zremrangebyrank', 4, ['write'], K1, G, '2.0.0', 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.', 'Remove all members in a sorted set within the given indexes', zremrangeGeneric('ZREMRANGEBYRANK', RangeType.Rank)),
  cmd('zremrangebyscore', 4, ['write'], K1, G, '1.2.0', 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.', 'Remove all members in a sorted set within the given scores', zremrangeGeneric('ZREMRANGEBYSCORE', RangeType.Score)),
  cmd('zremrangebylex', 4, ['write'], K1, G, '2.8.9', 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.', 'Remove all members in a sorted set between the given lexicographical range', zremrangeGeneric('ZREMRANGEBYLEX', RangeType.Lex)),
  cmd('zpopmin', -2, ['write', 'fast'], K1, G, '5.0.0', 'O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.', 'Remove and return members with the lowest scores in a sorted set', zpopGeneric(false)),
  cmd('zpopmax', -2, ['write', 'fast'], K1, G, '5.0.0', 'O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.', 'Remove and return members with the highest scores in a sorted set', zpopGeneric(true)),
  cmd('zmpop', -4, ['write'], null, G, '7.0.0', 'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.', 'Remove and return members with scores in a sorted set', zmpopCommand),
  cmd('zrandmember', -2, ['readonly'], K1, G, '6.2.0', 'O(N) where N is the number of elements returned', 'Get one or multiple random elements from a sorted set', zrandmemberCommand),
  cmd('zscan', -3, ['readonly'], K1, G, '2.8.0', 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.', 'Incrementally iterate sorted sets elements and associated scores', zscanCommand),
  cmd('zunionstore', -4, ['write', 'denyoom'], K1, G, '2.0.0', 'O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.', 'Add multiple sorted sets and store the resulting sorted set in a new key', zsetOpGeneric('zunionstore', SetOp.Union, true, false)),
  cmd('zinterstore', -4, ['write', 'denyoom'], K1, G, '2.0.0', 'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.', 'Intersect multiple sorted sets and store the resulting sorted set in a new key', zsetOpGeneric('zinterstore', SetOp.Inter, true, false)),
  cmd('zdiffstore', -4, ['write', 'denyoom'], K1, G, '6.2.0', 'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.', 'Subtract multiple sorted sets and store the resulting sorted set in a new key', zsetOpGeneric('zdiffstore', SetOp.Diff, true, false)),
  cmd('zunion', -3, ['readonly'], null, G, '6.2.0', 'O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.', 'Add multiple sorted sets', zsetOpGeneric('zunion', SetOp.Union, false, false)),
  cmd('zinter', -3, ['readonly'], null, G, '6.2.0', 'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.', 'Intersect multiple sorted sets', zsetOpGeneric('zinter', SetOp.Inter, false, false)),
  cmd('zdiff', -3, ['readonly'], null, G, '6.2.0', 'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.', 'Subtract multiple sorted sets', zsetOpGeneric('zdiff', SetOp.Diff, false, false)),
  cmd('zintercard', -3, ['readonly'], null, G, '7.0.0', 'O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.', 'Intersect multiple sorted sets and return the cardinality of the result', zsetOpGeneric('zintercard', SetOp.Inter, false, true)),
];
