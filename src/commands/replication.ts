/**
 * Replication commands (Redis's replication.c): REPLICAOF and SLAVEOF, ROLE,
 * REPLCONF, WAIT, WAITAOF (Redis 7.2), and PSYNC and SYNC, which a FlashCache replica uses with its
 * own capability and which a Redis replica is refused. The state they read
 * and change is src/replication's, behind ReplicationService (./repl-service.ts); the wire
 * protocol is docs/REPLICATION.md.
 */
import type { CommandContext, CommandSpec } from './context.js';
import { command } from './table.js';
import { ERR, isWord, parseLong } from './util.js';

/** REPLICAOF host port | NO ONE (replication.c `replicaofCommand`), and SLAVEOF. */
function replicaofCommand(c: CommandContext, argv: Buffer[]): void {
  const repl = c.server.replication;
  if (isWord(argv[1]!, 'NO') && isWord(argv[2]!, 'ONE')) {
    repl.replicaOf(null, 0, c.session.addr);
    return c.reply.ok();
  }
  const port = parseLong(argv[2]!);
  if (port === null || port < 0 || port > 65535) return c.reply.error('ERR Invalid master port');
  if (repl.replicaOf(argv[1]!.toString(), port, c.session.addr) === 'already') {
    return c.reply.simple('OK Already connected to specified master');
  }
  c.reply.ok();
}

/** ROLE (replication.c `roleCommand`). */
function roleCommand(c: CommandContext): void {
  const r = c.server.replication.role();
  if (r.role === 'master') {
    c.reply.arrayLen(3);
    c.reply.bulkAscii('master');
    c.reply.int(r.offset);
    c.reply.arrayLen(r.replicas.length);
    for (const s of r.replicas) {
      c.reply.arrayLen(3);
      c.reply.bulkAscii(s.ip);
      c.reply.bulkAscii(String(s.port));
      c.reply.bulkAscii(String(s.ackLsn));
    }
    return;
  }
  c.reply.arrayLen(5);
  c.reply.bulkAscii('slave');
  c.reply.bulkAscii(r.host);
  c.reply.int(r.port);
  c.reply.bulkAscii(r.state);
  c.reply.int(r.offset);
}

/** REPLCONF option value ... (replication.c `replconfCommand`). */
function replconfCommand(c: CommandContext, argv: Buffer[]): void {
  if (argv.length % 2 === 0) return c.reply.error(ERR.syntax);
  for (let j = 1; j < argv.length; j += 2) {
    const option = argv[j]!.toString().toLowerCase();
    // ACK <lsn> FACK <lsn> (replication.c, Redis 7.2): the durable LSN travels with the applied one.
    const fack = option === 'ack' && argv.length > j + 3 && isWord(argv[j + 2]!, 'FACK') ? argv[j + 3] : undefined;
    const r = c.server.replication.replconf(c.session.id, option, argv[j + 1]!, fack);
    if (r === 'silent') return;
    if (r !== null) return c.reply.error(r);
  }
  c.reply.ok();
}

/**
 * PSYNC replid offset: a FlashCache replica's sync (docs/REPLICATION.md); a
 * Redis replica is told that RDB replication is not supported.
 */
function psyncCommand(c: CommandContext, argv: Buffer[]): void {
  const err = c.server.replication.psync(c.session.id, argv);
  if (err !== null) c.reply.error(err);
}

/** SYNC: refused, FlashCache ships WAL records, not an RDB. */
function syncCommand(c: CommandContext): void {
  c.reply.error(
    'ERR SYNC is not supported: FlashCache replicas sync WAL records, not an RDB file ' +
      "(a FlashCache replica sends 'REPLCONF capa flashcache' and PSYNC)",
  );
}

/**
 * WAIT numreplicas timeout (replication.c `waitCommand`): the replicas whose
 * acknowledged (applied) LSN reached the client's last write; at once when
 * enough did, inside MULTI or a script, else after the timeout in ms (0: no
 * limit).
 */
function waitCommand(c: CommandContext, argv: Buffer[]): void {
  const repl = c.server.replication;
  if (repl.isReplica) {
    return c.reply.error(
      'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is ' +
        'configured to be writable (which is not the default) writes to replicas are just local and are not ' +
        'propagated.',
    );
  }
  const count = parseLong(argv[1]!);
  if (count === null) return c.reply.error(ERR.notInteger);
  const timeout = parseLong(argv[2]!);
  if (timeout === null) return c.reply.error('ERR timeout is not an integer or out of range');
  if (timeout < 0) return c.reply.error('ERR timeout is negative');
  const lsn = c.session.lastWriteLsn;
  const acked = repl.countAcks(lsn);
  if (acked >= count || c.multi !== null || !c.canBlock) return c.reply.int(acked);
  c.block(false);
  repl.waitAcks(lsn, count, timeout, (n) => {
    c.reply.int(n);
    c.unblock();
  });
}

/**
 * WAITAOF numlocal numreplicas timeout (Redis 7.2, replication.c
 * `waitaofCommand`): `[numlocal, numreplicas]` reached for the client's last
 * write, where numlocal is 1 once it is on this server's disk (the WAL is
 * always on, so numlocal 1 is never refused) and numreplicas counts the
 * replicas that acknowledged it on theirs (`REPLCONF ACK ... FACK`).
 */
function waitaofCommand(c: CommandContext, argv: Buffer[]): void {
  const repl = c.server.replication;
  const numlocal = parseLong(argv[1]!);
  if (numlocal === null) return c.reply.error(ERR.notInteger);
  if (numlocal < 0 || numlocal > 1) return c.reply.error('ERR value is out of range, value must between 0 and 1');
  const count = parseLong(argv[2]!);
  if (count === null) return c.reply.error(ERR.notInteger);
  if (count < 0) return c.reply.error('ERR value is out of range, must be positive');
  const timeout = parseLong(argv[3]!);
  if (timeout === null) return c.reply.error('ERR timeout is not an integer or out of range');
  if (timeout < 0) return c.reply.error('ERR timeout is negative');
  if (repl.isReplica) {
    return c.reply.error(
      'ERR WAITAOF cannot be used with replica instances. Please also note that writes to replicas are just local ' +
        'and are not propagated.',
    );
  }
  const lsn = c.session.lastWriteLsn;
  const local = repl.syncedLsn >= lsn ? 1 : 0;
  const acked = repl.countAcks(lsn, true);
  const answer = (l: number, n: number): void => {
    c.reply.arrayLen(2);
    c.reply.int(l);
    c.reply.int(n);
  };
  if ((acked >= count && local >= numlocal) || c.multi !== null || !c.canBlock) return answer(local, acked);
  c.block(false);
  repl.waitAof(lsn, numlocal, count, timeout, (l, n) => {
    answer(l, n);
    c.unblock();
  });
}

const REPLICAOF_DOC = {
  arity: 3,
  flags: ['admin', 'noscript', 'stale', 'no_async_loading'],
  group: 'server',
  complexity: 'O(1)',
  summary: 'Make the server a replica of another instance, or promote it as master.',
  handler: replicaofCommand,
} as const;

/** The replication family's table entries (flags and docs from redis-server 7.0.15's COMMAND INFO and DOCS). */
export const replicationCommands: CommandSpec[] = [
  command({ name: 'replicaof', since: '5.0.0', ...REPLICAOF_DOC }),
  command({ name: 'slaveof', since: '1.0.0', ...REPLICAOF_DOC }),
  command({
    name: 'role',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast'],
    group: 'server',
    since: '2.8.12',
    complexity: 'O(1)',
    summary: 'Return the role of the instance in the context of replication',
    handler: roleCommand,
  }),
  command({
    name: 'replconf',
    arity: -1,
    flags: ['admin', 'noscript', 'loading', 'stale', 'allow_busy'],
    group: 'server',
    since: '3.0.0',
    complexity: 'O(1)',
    summary: 'An internal command for configuring the replication stream',
    handler: replconfCommand,
  }),
  command({
    name: 'psync',
    arity: -3,
    flags: ['admin', 'noscript', 'no_async_loading', 'no_multi'],
    group: 'server',
    since: '2.8.0',
    complexity: '',
    summary: 'Internal command used for replication',
    handler: psyncCommand,
  }),
  command({
    name: 'sync',
    arity: 1,
    flags: ['admin', 'noscript', 'no_async_loading', 'no_multi'],
    group: 'server',
    since: '1.0.0',
    complexity: '',
    summary: 'Internal command used for replication',
    handler: syncCommand,
  }),
  command({
    name: 'wait',
    arity: 3,
    flags: ['noscript'],
    group: 'generic',
    since: '3.0.0',
    complexity: 'O(1)',
    summary:
      'Wait for the synchronous replication of all the write commands sent in the context of the current connection',
    handler: waitCommand,
  }),
  command({
    name: 'waitaof',
    arity: 4,
    flags: ['noscript'],
    group: 'generic',
    since: '7.2.0',
    complexity: 'O(1)',
    summary:
      'Blocks until all of the preceding write commands sent by the connection are written to the append-only ' +
      'file of the master and/or replicas.',
    handler: waitaofCommand,
  }),
];
