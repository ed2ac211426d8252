/**
 * What the hash, list, set and sorted-set commands share: typed lookups that
 * reply WRONGTYPE, creation of a collection's key, and removal of a key whose
 * collection became empty (Redis deletes it, as every collection command's
 * page says: "when the last element is removed, the key is deleted"); the
 * generic HDEL and SREM; a write's effect logged as sent; the random picks of
 * HRANDFIELD, SRANDMEMBER, SPOP and ZRANDMEMBER; replies of pairs, flat in
 * RESP2 and nested in RESP3; the options and replies of HSCAN, SSCAN and ZSCAN.
 *
 * Reference: https://redis.io/docs/latest/commands/scan/ (the *SCAN family),
 * https://redis.io/docs/latest/commands/hrandfield/
 */
import { NOTIFY_GENERIC, NOTIFY_HASH, NOTIFY_SET } from '../config/keyspace-events.js';
import { EntryType } from '../store/arena.js';
import type { Collection, HashValue, SetValue } from '../store/collections.js';
import { globMatch, matchesAll } from '../store/glob.js';
import type { Db } from '../store/db.js';
import type { CommandContext } from './context.js';
import { keyMiss } from './notify.js';
import { ERR, INT64_MAX, isWord, longOrReply, rangeInt64OrReply } from './util.js';

/** The marker {@link lookupCollection} returns after replying WRONGTYPE. */
export const WRONG = Symbol('wrongtype');

/**
 * Looks `key` up in `db` for a command on collections of `type`.
 *
 * @returns the collection, null when the key is absent, or {@link WRONG} after replying WRONGTYPE
 */
export function lookupCollection<T extends Collection>(
  c: CommandContext,
  db: Db,
  key: Buffer,
  type: EntryType,
): T | null | typeof WRONG {
  const slot = db.lookup(key);
  if (slot < 0) return null;
  if (db.type(slot) !== type) {
    c.reply.error(ERR.wrongType);
    return WRONG;
  }
  return db.collection(slot) as T;
}

/**
 * Like {@link lookupCollection}, counting a keyspace hit or miss (the
 * collection reads that Redis counts: HGET, LRANGE, SMEMBERS, ZRANGE...).
 */
export function readCollection<T extends Collection>(
  c: CommandContext,
  key: Buffer,
  type: EntryType,
): T | null | typeof WRONG {
  const v = lookupCollection<T>(c, c.db, key, type);
  if (v === null) keyMiss(c, key);
  else c.server.stats.keyspaceHits++;
  return v;
}

/**
 * Stores a new collection under `key` (absent, or holding a value to replace)
 * with no expiry. The collection must already hold its elements.
 */
export function storeCollection(db: Db, key: Buffer, coll: Collection): void {
  db.setCollection(key, coll, 0, db.findSlot(key));
}

/** Deletes `key` when its collection has no elements left; returns whether it did. */
export function deleteIfEmpty(db: Db, key: Buffer, coll: Collection): boolean {
  if (coll.size > 0) return false;
  db.delete(key);
  return true;
}

/**
 * The generic HDEL and SREM (t_hash.c `hdelCommand`, t_set.c `sremCommand`):
 * removes the elements `argv[2..]` from the hash or set at `argv[1]` and
 * replies how many went (0 for a missing key, WRONGTYPE for another type);
 * the key goes when its collection empties. Logged, when something went, as
 * `<name> key <the elements removed>`.
 */
export function removeElements(
  c: CommandContext,
  argv: Buffer[],
  type: EntryType.Hash | EntryType.Set,
  name: 'HDEL' | 'SREM',
): void {
  const key = argv[1]!;
  const db = c.db;
  const coll = lookupCollection<HashValue | SetValue>(c, db, key, type);
  if (coll === WRONG) return;
  if (coll === null) return c.reply.int(0);
  const removed: Buffer[] = [];
  for (let j = 2; j < argv.length; j++) {
    if (coll.delete(el(argv[j]!))) {
      removed.push(argv[j]!);
      if (coll.size === 0) break;
    }
  }
  if (removed.length > 0) {
    const deleted = deleteIfEmpty(db, key, coll);
    c.server.propagate(c.dbIndex, [name, key, ...removed]);
    c.server.notify(
      type === EntryType.Hash ? NOTIFY_HASH : NOTIFY_SET,
      name === 'HDEL' ? 'hdel' : 'srem',
      key,
      c.dbIndex,
    );
    if (deleted) c.server.notify(NOTIFY_GENERIC, 'del', key, c.dbIndex);
  }
  c.reply.int(removed.length);
}

/**
 * Logs a command as sent (its own arguments, under `name`, its canonical
 * upper-case name) as the effect of a deterministic write: docs/FORMAT.md,
 * "Effects".
 */
export function logSelf(c: CommandContext, name: string, argv: readonly Buffer[]): void {
  c.server.propagate(c.dbIndex, [name, ...argv.slice(1)]);
}

/** An element as stored: the argument's bytes as a latin1 string. */
export function el(arg: Buffer): string {
  return arg.toString('latin1');
}

/** An element's bytes back as a Buffer (for effects logged to the WAL). */
export function bytes(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

// ---------------------------------------------------------------------------
// Pairs in replies
// ---------------------------------------------------------------------------

/**
 * Appends the header of a reply of `n` elements that are pairs when `pairs`
 * (field and value, member and score): in RESP2 one flat array of 2n
 * elements, in RESP3 an array of `n` two-element arrays, each opened with
 * {@link replyPairStart}. Without `pairs`, an array of `n`. This is what
 * Redis 7.0 writes inline for HRANDFIELD ... WITHVALUES (t_hash.c
 * `hrandfieldWithCountCommand`), ZRANGE ... WITHSCORES (t_zset.c
 * `zrangeResultBeginClient`), ZRANDMEMBER, ZUNION, ZINTER, ZDIFF and the
 * counted ZPOPMIN/ZPOPMAX: "a single array in RESP2, and nested arrays in
 * RESP3"; not a map, because the order matters.
 */
export function replyPairsLen(c: CommandContext, n: number, pairs: boolean): void {
  c.reply.arrayLen(pairs && c.reply.resp === 2 ? n * 2 : n);
}

/** Opens one pair of a reply begun with {@link replyPairsLen}: `*2` in RESP3 when `pairs`, nothing otherwise. */
export function replyPairStart(c: CommandContext, pairs: boolean): void {
  if (pairs && c.reply.resp !== 2) c.reply.arrayLen(2);
}

// ---------------------------------------------------------------------------
// Random picks
// ---------------------------------------------------------------------------

/** A uniformly random index in `0..n-1` (n ≥ 1). */
export function randomIndex(n: number): number {
  return Math.floor(Math.random() * n);
}

/**
 * `k` distinct indexes drawn uniformly from `0..n-1` (0 ≤ k ≤ n), in random
 * order: a partial Fisher-Yates shuffle over a sparse permutation, O(k) time
 * and space whatever `n` is. Used by HRANDFIELD, SRANDMEMBER and ZRANDMEMBER
 * with a positive count.
 */
export function sampleIndexes(n: number, k: number): number[] {
  const moved = new Map<number, number>();
  const out = new Array<number>(k);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(Math.random() * (n - i));
    const atJ = moved.get(j) ?? j;
    moved.set(j, moved.get(i) ?? i);
    out[i] = atJ;
  }
  return out;
}

/** Redis's `LONG_MAX / 2`: the largest |count| HRANDFIELD ... WITHVALUES and ZRANDMEMBER ... WITHSCORES accept. */
const HALF_LONG_MAX = INT64_MAX / 2n;

/**
 * Parses `count [WITHVALUES | WITHSCORES]` from `argv[2]` on, as
 * HRANDFIELD, ZRANDMEMBER and SRANDMEMBER do (t_hash.c `hrandfieldCommand`,
 * t_zset.c `zrandmemberCommand`, t_set.c `srandmemberCommand`): the count as
 * `getRangeLongFromObjectOrReply(c, arg, -LONG_MAX, LONG_MAX, NULL)`, then at
 * most the word `pairs` (null: nothing may follow the count), with which
 * |count| may not exceed LONG_MAX/2.
 *
 * Errors: `ERR value is not an integer or out of range`; for LLONG_MIN
 * `ERR value is out of range, value must between -9223372036854775807 and
 * 9223372036854775807`; `ERR syntax error`; `ERR value is out of range`.
 *
 * @returns the count (negative: |count| picks with repetition), or null after replying
 */
export function randomCountOrReply(c: CommandContext, argv: Buffer[], pairs: string | null): bigint | null {
  const l = rangeInt64OrReply(c, argv[2]!, -INT64_MAX, INT64_MAX);
  if (l === null || argv.length === 3) return l;
  if (pairs === null || argv.length > 4 || !isWord(argv[3]!, pairs)) {
    c.reply.error(ERR.syntax);
    return null;
  }
  if (l < -HALF_LONG_MAX || l > HALF_LONG_MAX) {
    c.reply.error('ERR value is out of range');
    return null;
  }
  return l;
}

// ---------------------------------------------------------------------------
// HSCAN, SSCAN, ZSCAN
// ---------------------------------------------------------------------------

/** Options of HSCAN, SSCAN and ZSCAN. */
export interface ScanOptions {
  /** COUNT: elements to visit per call, ≥ 1. */
  count: number;
  /** MATCH pattern bytes, or null when absent or `*`. */
  match: Buffer | null;
}

/**
 * Parses `[MATCH pattern] [COUNT count]` from `argv[from]` on, as Redis's
 * `scanGenericCommand` (db.c) does for a key's collection: COUNT must be an
 * integer (`ERR value is not an integer or out of range`) of at least 1, and
 * anything else (TYPE included) is `ERR syntax error`. A repeated option
 * overrides.
 *
 * @returns the options, or null after replying
 */
export function scanOptionsOrReply(c: CommandContext, argv: Buffer[], from: number): ScanOptions | null {
  let count = 10;
  let match: Buffer | null = null;
  for (let j = from; j < argv.length; j++) {
    const more = j + 1 < argv.length;
    if (more && isWord(argv[j]!, 'COUNT')) {
      const n = longOrReply(c, argv[++j]!);
      if (n === null) return null;
      if (n < 1) {
        c.reply.error(ERR.syntax);
        return null;
      }
      count = n;
    } else if (more && isWord(argv[j]!, 'MATCH')) {
      const p = argv[++j]!;
      match = matchesAll(p) ? null : p;
    } else {
      c.reply.error(ERR.syntax);
      return null;
    }
  }
  return { count, match };
}

/** The reply to a *SCAN of a missing key: cursor 0, no elements. */
export function replyEmptyScan(c: CommandContext): void {
  c.reply.arrayLen(2);
  c.reply.bulkAscii('0');
  c.reply.arrayLen(0);
}

/** Whether element `s` (latin1) matches a MATCH pattern; null matches everything. */
export function elementMatches(match: Buffer | null, s: string): boolean {
  return match === null || globMatch(match, bytes(s));
}
