/**
 * What the stream commands share, after Redis 7.0's t_stream.c: parsing IDs
 * (`streamGenericParseIDOrReply`) and the trimming options of XADD and XTRIM
 * (`streamParseAddOrTrimArgsOrReply`), typed lookups, the reply of entries
 * (`streamReplyWithRange`), and the effect a trim is logged with.
 *
 * Reference: https://redis.io/docs/latest/develop/data-types/streams/
 */
import { EntryType } from '../store/arena.js';
import { idText, MAX_ID, makeId, type StreamValue, type TrimArgs } from '../store/stream-value.js';
import type { CommandContext } from './context.js';
import { lookupCollection, readCollection, type WRONG } from './collection.js';
import { ERR, isWord, parseInt64 } from './util.js';

/** The error of an ID that does not parse. */
export const INVALID_ID = 'ERR Invalid stream ID specified as stream command argument';

/** 2^64 - 1. */
const U64_MAX = (1n << 64n) - 1n;

/**
 * Redis's `string2ull` (util.c): a canonical int64 that is not negative, or
 * what `strtoull` accepts whole (leading white space, a sign, digits; a
 * minus negates modulo 2^64), without overflow.
 *
 * @returns the value, or null
 */
export function parseU64(s: string): bigint | null {
  const ll = parseInt64(Buffer.from(s, 'latin1'));
  if (ll !== null) return ll < 0n ? null : ll;
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/.exec(s);
  if (m === null) return null;
  const v = BigInt(m[2]!);
  if (v > U64_MAX) return null;
  return m[1] === '-' ? (U64_MAX + 1n - v) & U64_MAX : v;
}

/** A parsed ID and whether its sequence was given (XADD's `<ms>-*` leaves it out). */
export interface ParsedId {
  id: bigint;
  seqGiven: boolean;
}

/**
 * Parses a stream ID as t_stream.c `streamGenericParseIDOrReply`: `-` and
 * `+` (not when `strict`), `<ms>`, `<ms>-<seq>`, and with `allowSeqStar`
 * `<ms>-*`. A missing sequence is `missingSeq`. Replies
 * `ERR Invalid stream ID specified as stream command argument` on failure.
 *
 * @returns the ID, or null after replying
 */
export function parseIdOrReply(
  c: CommandContext,
  arg: Buffer,
  missingSeq: bigint,
  strict: boolean,
  allowSeqStar = false,
): ParsedId | null {
  const s = arg.toString('latin1');
  const fail = (): null => {
    c.reply.error(INVALID_ID);
    return null;
  };
  if (s.length > 127) return fail();
  if (s === '-' || s === '+') {
    if (strict) return fail();
    return { id: s === '-' ? 0n : MAX_ID, seqGiven: true };
  }
  const dash = s.indexOf('-');
  const ms = parseU64(dash < 0 ? s : s.slice(0, dash));
  if (ms === null) return fail();
  if (dash < 0) return { id: makeId(ms, missingSeq), seqGiven: true };
  const rest = s.slice(dash + 1);
  if (allowSeqStar && rest === '*') return { id: makeId(ms, 0n), seqGiven: false };
  const seq = parseU64(rest);
  if (seq === null) return fail();
  return { id: makeId(ms, seq), seqGiven: true };
}

/**
 * Parses one end of an XRANGE interval (`streamParseIntervalIDOrReply`):
 * `(` makes it exclusive (then strict), which moves it by one ID; errors
 * `ERR invalid start ID for the interval` / `ERR invalid end ID for the interval`
 * when it cannot move.
 *
 * @returns the inclusive bound, or null after replying
 */
export function intervalOrReply(c: CommandContext, arg: Buffer, end: boolean): bigint | null {
  const exclusive = arg.length > 1 && arg[0] === 0x28;
  const p = parseIdOrReply(c, exclusive ? arg.subarray(1) : arg, end ? U64_MAX : 0n, exclusive);
  if (p === null) return null;
  if (!exclusive) return p.id;
  if (end ? p.id === 0n : p.id === MAX_ID) {
    c.reply.error(end ? 'ERR invalid end ID for the interval' : 'ERR invalid start ID for the interval');
    return null;
  }
  return end ? p.id - 1n : p.id + 1n;
}

/** The stream at `key` for a write, null when absent, or WRONG after replying WRONGTYPE. */
export function streamForWrite(c: CommandContext, key: Buffer): StreamValue | null | typeof WRONG {
  return lookupCollection<StreamValue>(c, c.db, key, EntryType.Stream);
}

/** The stream at `key` for a read (counts a hit or miss), null when absent, or WRONG after replying. */
export function streamForRead(c: CommandContext, key: Buffer): StreamValue | null | typeof WRONG {
  return readCollection<StreamValue>(c, key, EntryType.Stream);
}

/** One entry: `[id, [field, value, ...]]`. */
export function replyEntry(c: CommandContext, id: bigint, fv: string[]): void {
  c.reply.arrayLen(2);
  c.reply.bulkAscii(idText(id));
  c.reply.arrayLen(fv.length);
  for (const s of fv) c.reply.bulkLatin1(s);
}

/**
 * Replies the entries of `s` between `start` and `end` (inclusive), at most
 * `count` (0: all), ascending or with `rev` descending, as an array.
 *
 * @returns the number replied
 */
export function replyRange(
  c: CommandContext,
  s: StreamValue,
  start: bigint,
  end: bigint,
  count: number,
  rev: boolean,
): number {
  const out: [bigint, string[]][] = [];
  s.forRange(start, end, rev, (id, fv) => {
    out.push([id, fv]);
    return count === 0 || out.length < count;
  });
  c.reply.arrayLen(out.length);
  for (const [id, fv] of out) replyEntry(c, id, fv);
  return out.length;
}

/** The trimming options of an XADD or XTRIM call. */
export interface AddTrimArgs {
  trim: TrimArgs | null;
  /** Argument index of the `~` / `=` / value of the strategy: the value's. */
  trimArgAt: number;
  /** XADD: NOMKSTREAM. */
  noMkStream: boolean;
  /** XADD: the ID argument's index. */
  idAt: number;
  /** XADD: the ID given, null for `*`. */
  id: ParsedId | null;
}

/**
 * Parses `[MAXLEN|MINID [=|~] threshold [LIMIT count]]` (and for XADD
 * `[NOMKSTREAM]` then the ID) from argument 2, as t_stream.c
 * `streamParseAddOrTrimArgsOrReply` does, with its error texts. `~` without
 * LIMIT limits the work to 100 × stream-node-max-entries entries.
 *
 * @returns the options, or null after replying
 */
export function addTrimArgsOrReply(c: CommandContext, argv: Buffer[], xadd: boolean): AddTrimArgs | null {
  const out: AddTrimArgs = { trim: null, trimArgAt: 0, noMkStream: false, idAt: argv.length, id: null };
  let limit = 0;
  let limitGiven = false;
  let i = 2;
  const fail = (msg: string): null => {
    c.reply.error(msg);
    return null;
  };
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const a = argv[i]!;
    if (xadd && a.length === 1 && a[0] === 0x2a) break;
    const maxlen = isWord(a, 'MAXLEN');
    if ((maxlen || isWord(a, 'MINID')) && more > 0) {
      if (out.trim !== null) {
        return fail('ERR syntax error, MAXLEN and MINID options at the same time are not compatible');
      }
      const next = argv[i + 1]!;
      let approx = false;
      if (more >= 2 && next.length === 1 && (next[0] === 0x7e || next[0] === 0x3d)) {
        approx = next[0] === 0x7e;
        i++;
      }
      const t: TrimArgs = { strategy: maxlen ? 'maxlen' : 'minid', maxlen: 0, minid: 0n, approx, limit: 0 };
      if (maxlen) {
        const n = parseInt64(argv[i + 1]!);
        if (n === null) return fail(ERR.notInteger);
        if (n < 0n) return fail('ERR The MAXLEN argument must be >= 0.');
        t.maxlen = Number(n);
      } else {
        const p = parseIdOrReply(c, argv[i + 1]!, 0n, true);
        if (p === null) return null;
        t.minid = p.id;
      }
      i++;
      out.trim = t;
      out.trimArgAt = i;
    } else if (isWord(a, 'LIMIT') && more > 0) {
      const n = parseInt64(argv[i + 1]!);
      if (n === null) return fail(ERR.notInteger);
      if (n < 0n) return fail('ERR The LIMIT argument must be >= 0.');
      limit = Number(n);
      limitGiven = true;
      i++;
    } else if (xadd && isWord(a, 'NOMKSTREAM')) {
      out.noMkStream = true;
    } else if (xadd) {
      const p = parseIdOrReply(c, a, 0n, true, true);
      if (p === null) return null;
      out.id = p;
      break;
    } else {
      return fail(ERR.syntax);
    }
  }
  out.idAt = i;
  if (limit !== 0 && out.trim === null) {
    return fail('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy');
  }
  if (!xadd && out.trim === null) return fail('ERR syntax error, XTRIM must be called with a trimming strategy');
  if (out.trim !== null) {
    if (limitGiven) {
      if (!out.trim.approx) return fail('ERR syntax error, LIMIT cannot be used without the special ~ option');
      out.trim.limit = limit;
    } else if (out.trim.approx) {
      // At most 100 nodes' worth, within 10000 and 1000000 as t_stream.c caps it.
      const l = 100 * c.server.config.get('stream-node-max-entries');
      out.trim.limit = l <= 0 ? 10000 : Math.min(l, 1000000);
    }
  }
  return out;
}

/**
 * The trim options to log for a trim that ran (docs/FORMAT.md, "Effects"):
 * an exact one as given; an approximate one (which took whole nodes) as the
 * exact trim to its result, as Redis rewrites it (`streamRewriteTrimArgument`):
 * `MAXLEN = <length after>`, or `MINID = <first entry left>` (the largest
 * ID when none is left).
 */
export function trimEffect(s: StreamValue, t: TrimArgs): Buffer[] {
  if (t.strategy === 'maxlen') {
    return [Buffer.from('MAXLEN'), Buffer.from('='), Buffer.from(String(t.approx ? s.length : t.maxlen))];
  }
  const id = t.approx ? (s.length > 0 ? s.firstId : MAX_ID) : t.minid;
  return [Buffer.from('MINID'), Buffer.from('='), Buffer.from(idText(id))];
}
