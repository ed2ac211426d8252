/**
 * What the sorted-set command files (zsets.ts, zsetrange.ts, zsetops.ts)
 * share: the typed lookups of a key's sorted set and the replies of scores
 * and of (member, score) nodes.
 *
 * Reference: https://redis.io/docs/latest/commands/?group=sorted-set
 */
import { EntryType } from '../store/arena.js';
import type { ZSetValue } from '../store/collections.js';
import type { ZNode } from '../store/skiplist.js';
import type { CommandContext } from './context.js';
import { type WRONG, lookupCollection, readCollection } from './collection.js';
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
 * Appends a score as a bulk string, printed as redis-server 7.0 prints it
 * (networking.c `addReplyDouble`, C's `%.17g`: see {@link formatDouble}).
 */
export function replyScore(c: CommandContext, d: number): void {
  c.reply.bulkAscii(formatDouble(d));
}

/**
 * Replies an array of nodes in the order given: each member as a bulk
 * string, followed by its score when `withscores` (a flat array of 2 × n
 * elements, as Redis replies ZRANGE ... WITHSCORES and ZSCAN in RESP2).
 */
export function replyNodes(c: CommandContext, nodes: readonly ZNode[], withscores: boolean): void {
  c.reply.arrayLen(withscores ? nodes.length * 2 : nodes.length);
  for (const n of nodes) {
    c.reply.bulkLatin1(n.member);
    if (withscores) replyScore(c, n.score);
  }
}
