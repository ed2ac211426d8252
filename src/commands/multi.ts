/**
 * Transactions, after Redis's multi.c: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
 *
 * After MULTI the dispatcher queues a connection's commands (src/server/
 * dispatch.ts) instead of running them, answering `+QUEUED`; an error while
 * queueing (an unknown command, a wrong arity, a command not allowed in a
 * transaction, OOM) makes EXEC fail with `-EXECABORT`. EXEC runs the queue
 * with nothing in between, answers an array of their replies, and fails with
 * a null array when a WATCHed key was touched (./watch.ts). A failing command
 * inside does not stop the others, as in Redis.
 *
 * Durability: the effects of the commands EXEC runs are logged as one WAL
 * record (docs/FORMAT.md, "Transaction payload"), so that after a crash
 * recovery applies all of them or none; EXEC's reply, like every reply,
 * leaves once that record is durable.
 *
 * Reference: https://redis.io/docs/latest/develop/interact/transactions/
 */
import type { CommandContext, CommandSpec } from './context.js';
import { command, keyAt } from './table.js';

/** Redis's reply to EXEC after an error while queueing (server.c `shared.execaborterr`). */
export const EXECABORT = 'EXECABORT Transaction discarded because of previous errors.';

/** MULTI: starts queueing. */
function multiCommand(c: CommandContext): void {
  if (c.multi !== null) return c.reply.error('ERR MULTI calls can not be nested');
  c.multi = { queue: [], aborted: false };
  c.reply.ok();
}

/** DISCARD: drops the queue and every WATCH. */
function discardCommand(c: CommandContext): void {
  if (c.multi === null) return c.reply.error('ERR DISCARD without MULTI');
  c.multi = null;
  c.server.watches.unwatch(c);
  c.reply.ok();
}

/**
 * EXEC (multi.c `execCommand`): the queued commands' replies as an array, a
 * null array when a watched key was touched, `-EXECABORT` after an error while
 * queueing.
 */
function execCommand(c: CommandContext): void {
  const tx = c.multi;
  if (tx === null) return c.reply.error('ERR EXEC without MULTI');
  const services = c.server;
  const touched = services.watches.touched(c);
  services.watches.unwatch(c);
  if (tx.aborted || touched) {
    c.multi = null;
    return tx.aborted ? c.reply.error(EXECABORT) : c.reply.nullArray();
  }
  c.reply.arrayLen(tx.queue.length);
  // Nothing inside a transaction waits: BLPOP and the like answer at once. The
  // transaction stays open while its commands run (Redis's CLIENT_MULTI), then ends.
  const couldBlock = c.canBlock;
  c.canBlock = false;
  services.beginExec();
  try {
    for (const q of tx.queue) services.call(c, q.spec, q.argv);
  } finally {
    c.canBlock = couldBlock;
    c.multi = null;
    services.endExec(c.dbIndex);
  }
}

/** WATCH key [key ...]: EXEC will fail if one of them changes first. */
function watchCommand(c: CommandContext, argv: Buffer[]): void {
  if (c.multi !== null) return c.reply.error('ERR WATCH inside MULTI is not allowed');
  for (let j = 1; j < argv.length; j++) c.server.watches.watch(c, c.dbIndex, argv[j]!);
  c.reply.ok();
}

/** UNWATCH: forgets every watched key. */
function unwatchCommand(c: CommandContext): void {
  c.server.watches.unwatch(c);
  c.reply.ok();
}

/** The transaction commands' table entries (flags as redis-server 7.0's COMMAND INFO). */
export const multiCommands: CommandSpec[] = [
  command({
    name: 'multi',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    group: 'transactions',
    since: '1.2.0',
    complexity: 'O(1)',
    summary: 'Mark the start of a transaction block',
    handler: multiCommand,
  }),
  command({
    name: 'exec',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'skip_slowlog'],
    group: 'transactions',
    since: '1.2.0',
    complexity: 'Depends on commands in the transaction',
    summary: 'Execute all commands issued after MULTI',
    handler: execCommand,
  }),
  command({
    name: 'discard',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    group: 'transactions',
    since: '2.0.0',
    complexity: 'O(N), when N is the number of queued commands',
    summary: 'Discard all commands issued after MULTI',
    handler: discardCommand,
  }),
  command({
    name: 'watch',
    arity: -2,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    keys: [keyAt(1, ['RO'], -1)],
    group: 'transactions',
    since: '2.2.0',
    complexity: 'O(1) for every key.',
    summary: 'Watch the given keys to determine execution of the MULTI/EXEC block',
    handler: watchCommand,
  }),
  command({
    name: 'unwatch',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    group: 'transactions',
    since: '2.2.0',
    complexity: 'O(1)',
    summary: 'Forget about all watched keys',
    handler: unwatchCommand,
  }),
];
