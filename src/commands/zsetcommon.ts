/**
 * What the sorted-set command files (zsets.ts, zsetrange.ts, zsetops.ts)
 * share: the typed lookups of a key's sorted set and the replies of scores
 * and of (member, score) nodes, in RESP2's and RESP3's shapes.
 *
 * Reference: https://redis.io/docs/latest/commands/?group=sorted-set
 */
import { EntryType } from '../store/arena.js';
import type { ZSetValue } from '../store/collections.js';
import type { ZNode } from '../store/skiplist.js';
import type { CommandContext } from './context.js';
import { type WRONG, lookupCollection, readCollection, replyPairStart, replyPairsLen } from './collection.js';
import { formatDouble } from './numbers.js';

/**
 * The sorted set at `key` of the client's database for a write (Redis's
 * `lookupKeyWrite`: no keyspace hit or miss counted).
 *
 * @returns the set, null when the key is absent, or {@link WRONG} after replying WRONGTYPE
 */
export function zsetForWrite(c: CommandContext, key: Buffer): ZSetValue | null | typeof WRONG {
  return lookupCollection<ZSetValue>(c, c.db, key, EntryType.ZSet);
}

/**
 * The sorted set at `key` of the client's database for a read (Redis's
 * `lookupKeyRead`: counts a keyspace hit or miss).
 *
 * @returns the set, null when the key is absent, or {@link WRONG} after replying WRONGTYPE
 */
export function zsetForRead(c: CommandContext, key: Buffer): ZSetValue | null | typeof WRONG {
  return readCollection<ZSetValue>(c, key, EntryType.ZSet);
}

/**
 * Appends a score as redis-server 7.0 does (networking.c `addReplyDouble`):
 * a bulk string in RESP2, a double `,` in RESP3, printed with C's `%.17g`
 * (`inf`, `-inf`: see {@link formatDouble}).
 */
export function replyScore(c: CommandContext, d: number): void {
  c.reply.double(formatDouble(d));
}

/**
 * Replies an array of nodes in the order given: each member as a bulk
 * string, followed by its score when `withscores`: in RESP2 a flat array of
 * 2 × n elements, in RESP3 n [member, score] pairs (see {@link replyPairsLen}),
 * as Redis replies ZRANGE ... WITHSCORES.
 */
export function replyNodes(c: CommandContext, nodes: readonly ZNode[], withscores: boolean): void {
  replyPairsLen(c, nodes.length, withscores);
  for (const n of nodes) {
    replyPairStart(c, withscores);
    c.reply.bulkLatin1(n.member);
    if (withscores) replyScore(c, n.score);
  }
}

/**
 * Replies ZSCAN's elements: a flat array of member, score, member, score...
 * as bulk strings in both protocols (db.c `scanGenericCommand` turns the
 * scores into strings before replying).
 */
export function replyScanNodes(c: CommandContext, nodes: readonly ZNode[]): void {
  c.reply.arrayLen(nodes.length * 2);
  for (const n of nodes) {
    c.reply.bulkLatin1(n.member);
    c.reply.bulkAscii(formatDouble(n.score));
  }
}
