/**
 * The blocking sorted-set pops, after Redis 7.0's t_zset.c
 * (`blockingGenericZpopCommand`, `zmpopGenericCommand`) and blocking.c
 * (`serveClientsBlockedOnSortedSetKey`): BZPOPMIN, BZPOPMAX and BZMPOP. With
 * something to take they act as ZPOPMIN, ZPOPMAX and ZMPOP, with the key in
 * the reply; otherwise the client waits in the registry of ./blocking.ts
 * until a write fills one of its keys or its timeout passes (null array).
 *
 * Effects logged (docs/FORMAT.md, "Effects"): a pop, immediate or served, is
 * logged as `ZREM key <the members it popped>`; a timeout logs nothing.
 *
 * Reference: https://redis.io/docs/latest/commands/bzpopmin/,
 * https://redis.io/docs/latest/commands/bzmpop/
 */
import { EntryType } from '../store/arena.js';
import type { ZSetValue } from '../store/collections.js';
import type { BlockedCommand, CommandContext, CommandSpec } from './context.js';
import { WRONG } from './collection.js';
import { deadlineOrReply } from './listblocking.js';
import { command, keyAt, keysCounted } from './table.js';
import { zsetForWrite } from './zsetcommon.js';
import { popInto, zmpopArgsOrReply, zmpopReply } from './zsetpick.js';

/** The non-empty sorted set at `key`, or null (a blocked client being served: no reply). */
function zsetOrNull(c: CommandContext, key: Buffer): ZSetValue | null {
  const slot = c.db.lookup(key);
  if (slot < 0 || c.db.type(slot) !== EntryType.ZSet) return null;
  const z = c.db.collection(slot) as ZSetValue;
  return z.size > 0 ? z : null;
}

/**
 * Blocks `c` on `keys` (copied) until `take` serves one of them, or replies
 * a null array where it may not block (a transaction, a script).
 */
function blockOn(c: CommandContext, keys: Buffer[], deadline: number, take: (key: Buffer, z: ZSetValue) => void): void {
  if (!c.canBlock) return c.reply.nullArray();
  const blocked: BlockedCommand = {
    keys: keys.map((k) => Buffer.from(k)),
    deadline,
    serve: (key) => {
      const z = zsetOrNull(c, key);
      if (z === null) return false;
      take(key, z);
      return true;
    },
    timedOut: () => c.reply.nullArray(),
  };
  c.server.blocking.block(c, blocked);
}

/** Replies `[key, member, score]` for one member popped from `z` (BZPOPMIN and BZPOPMAX's flat shape). */
function bzpopReply(c: CommandContext, key: Buffer, z: ZSetValue, max: boolean): void {
  c.reply.arrayLen(3);
  c.reply.bulk(key);
  popInto(c, key, z, 1, max, false);
}

/**
 * BZPOPMIN / BZPOPMAX key [key ...] timeout: pops one member from the first
 * non-empty key in argument order, else blocks on every key. Replies
 * `[key, member, score]`, or a null array on timeout. Errors: the timeout's,
 * WRONGTYPE at the first key of another type.
 */
function bzpopGeneric(max: boolean) {
  return (c: CommandContext, argv: Buffer[]): void => {
    const deadline = deadlineOrReply(c, argv[argv.length - 1]!);
    if (deadline === null) return;
    for (let j = 1; j < argv.length - 1; j++) {
      const z = zsetForWrite(c, argv[j]!);
      if (z === WRONG) return;
      if (z !== null && z.size > 0) return bzpopReply(c, argv[j]!, z, max);
    }
    blockOn(c, argv.slice(1, -1), deadline, (key, z) => bzpopReply(c, key, z, max));
  };
}

/**
 * BZMPOP timeout numkeys key [key ...] MIN | MAX [COUNT count]: ZMPOP when
 * one of the keys has members, else blocks on them all. The arguments are
 * checked before the timeout, as Redis does.
 */
function bzmpopCommand(c: CommandContext, argv: Buffer[]): void {
  const args = zmpopArgsOrReply(c, argv, 2);
  if (args === null) return;
  const deadline = deadlineOrReply(c, argv[1]!);
  if (deadline === null) return;
  for (let j = args.first; j < args.end; j++) {
    const z = zsetForWrite(c, argv[j]!);
    if (z === WRONG) return;
    if (z !== null && z.size > 0) return zmpopReply(c, argv[j]!, z, args.count, args.max);
  }
  blockOn(c, argv.slice(args.first, args.end), deadline, (key, z) => zmpopReply(c, key, z, args.count, args.max));
}

/** The blocking sorted-set commands' table entries. */
export const blockingZsetCommands: CommandSpec[] = [
  command({
    name: 'bzpopmin',
    arity: -3,
    flags: ['write', 'noscript', 'blocking', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'delete'], -2)],
    group: 'sorted-set',
    since: '5.0.0',
    complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
    summary:
      'Remove and return the member with the lowest score from one or more sorted sets, ' +
      'or block until one is available',
    handler: bzpopGeneric(false),
  }),
  command({
    name: 'bzpopmax',
    arity: -3,
    flags: ['write', 'noscript', 'blocking', 'fast'],
    keys: [keyAt(1, ['RW', 'access', 'delete'], -2)],
    group: 'sorted-set',
    since: '5.0.0',
    complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
    summary:
      'Remove and return the member with the highest score from one or more sorted sets, ' +
      'or block until one is available',
    handler: bzpopGeneric(true),
  }),
  command({
    name: 'bzmpop',
    arity: -5,
    flags: ['write', 'blocking'],
    keys: [keysCounted(2, ['RW', 'access', 'delete'])],
    group: 'sorted-set',
    since: '7.0.0',
    complexity:
      'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted ' +
      'set, and M being the number of elements popped.',
    summary: 'Remove and return members with scores in a sorted set or block until one is available',
    handler: bzmpopCommand,
  }),
];
