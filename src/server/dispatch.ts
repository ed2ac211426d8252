/**
 * Running one command for a connection, through the gates of Redis's
 * `processCommand` (server.c) in its order: unknown command, subcommand,
 * arity, NOAUTH, the WAL record size, MISCONF while the WAL cannot be
 * written, OOM at `maxmemory`, then the handler, then the clients blocked on
 * the keys it wrote (`handleClientsBlockedOnKeys`).
 */
import type { BlockingRegistry } from '../commands/blocking.js';
import type { ClusterService, CommandContext, CommandSpec, Stats } from '../commands/context.js';
import { READONLY_ERROR } from '../commands/repl-service.js';
import type { Monitors } from '../commands/monitor.js';
import type { Tracking } from '../commands/tracking.js';
import type { Watches } from '../commands/watch.js';
import { arityOk, type CommandTable } from '../commands/table.js';
import type { Config } from '../config/config.js';
import { MAX_RECORD_PAYLOAD } from '../persistence/format.js';
import type { Wal } from '../persistence/wal/writer.js';
import { SHARED } from '../protocol/encoder.js';
import { EvictResult, type Evictor } from '../store/eviction.js';
import type { Client } from './client.js';
import type { Logger } from './logger.js';
import type { Replication } from '../replication/service.js';
import type { ClientPauses } from './pause.js';
import type { ReplyRelease } from './release.js';
import type { CommandTiming } from './timing.js';

/** Redis's reply to a write that would grow memory past `maxmemory` (server.c `shared.oomerr`). */
export const OOM_ERROR = "OOM command not allowed when used memory > 'maxmemory'.";

/**
 * Commands that run even after MULTI instead of being queued (server.c
 * `processCommand`): they control the transaction or the connection.
 */
const RUN_IN_MULTI = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** What a RESP2 connection subscribed to channels may run (server.c `processCommand`). */
const SUBSCRIBER_COMMANDS = new Set([
  'ping',
  'subscribe',
  'ssubscribe',
  'unsubscribe',
  'sunsubscribe',
  'psubscribe',
  'punsubscribe',
  'quit',
  'reset',
]);

/** Largest total argument size of a write: its effect must fit one WAL record, with room for framing. */
const MAX_EFFECT_BYTES = MAX_RECORD_PAYLOAD - 64 * 1024;

/** What the dispatcher runs commands against. */
export interface DispatchDeps {
  /** The commands clients call, after `rename-command`. */
  commands: CommandTable;
  stats: Stats;
  config: Config;
  wal: Wal;
  evictor: Evictor;
  blocking: BlockingRegistry;
  watches: Watches;
  monitors: Monitors;
  pause: ClientPauses;
  release: ReplyRelease;
  /** Replication: a replica refuses writes (READONLY) and, with its link down, maybe reads (MASTERDOWN). */
  replication: Replication;
  /** Client-side caching: the keys read-only commands of tracking connections read. */
  tracking: Tracking;
  log: Logger;
  /** Per-command statistics, slow log, latency events. */
  timing: CommandTiming;
  /** Continues eviction in the background once a command's own time ran out. */
  evictInBackground(): void;
  /** Sends the keyspace events and invalidations held so far (src/commands/notify.ts `Outbox`). */
  flushOutbox(): void;
  /** Cluster mode's redirections (src/cluster); undefined when `cluster-enabled` is off. */
  cluster?: ClusterService | undefined;
}

/** Runs commands for connections. */
export class Dispatcher {
  constructor(private readonly d: DispatchDeps) {}

  /**
   * Runs one command for `c`, or queues it after MULTI. Replies go to
   * `c.reply`; nothing is sent here.
   *
   * @param argv the command, name first; views into the read buffer
   */
  execute(c: Client, argv: Buffer[]): void {
    this.executeOne(c, argv);
    // A command held by a pause runs again later, routed then: its ASKING is kept for it, as Redis does.
    if (this.d.cluster !== undefined && !c.isBlocked) this.d.cluster.commandDone(c, c.lastCommand);
  }

  /** {@link execute} but cluster mode's end of command. */
  private executeOne(c: Client, argv: Buffer[]): void {
    const d = this.d;
    const nameBuf = argv[0]!;
    let spec = c.sameCommand(nameBuf);
    if (spec === undefined) {
      spec = d.commands.get(nameBuf.latin1Slice(0, nameBuf.length));
      if (spec !== undefined) c.rememberCommand(nameBuf, spec);
    }
    // CLIENT LIST's `cmd` is what the lookup found, NULL for an unknown command or subcommand (server.c).
    if (spec === undefined) {
      c.lastCommand = 'NULL';
      return this.reject(c, undefined, unknownCommand(argv));
    }
    // A container runs alone only when its arity allows it (COMMAND).
    if (spec.subcommands !== undefined && (argv.length > 1 || spec.arity !== -1)) {
      if (argv.length < 2) return this.reject(c, spec, `ERR wrong number of arguments for '${spec.name}' command`);
      const sub = spec.subcommands.get(argv[1]!.toString('latin1').toLowerCase());
      if (sub === undefined) {
        c.lastCommand = 'NULL';
        const name = argv[1]!.toString('latin1').slice(0, 128);
        return this.reject(c, spec, `ERR unknown subcommand '${name}'. Try ${spec.name.toUpperCase()} HELP.`);
      }
      spec = sub;
    }
    c.lastCommand = spec.name;
    if (!arityOk(spec.arity, argv.length)) {
      return this.reject(c, spec, `ERR wrong number of arguments for '${spec.name}' command`, argv);
    }
    // Redis's processCommand: unknown command and arity errors come before NOAUTH.
    if (!c.authenticated && !spec.flags.includes('no_auth') && d.config.get('requirepass') !== '') {
      return this.reject(c, spec, 'NOAUTH Authentication required.', argv);
    }
    const tx = c.multi;
    if (tx !== null && spec.flags.includes('no_multi')) {
      return this.reject(c, spec, 'ERR Command not allowed inside a transaction');
    }
    // Cluster mode (processCommand): MOVED, ASK, CROSSSLOT... A refused EXEC discards its transaction (cluster.c).
    const refusal = d.cluster === undefined ? null : d.cluster.route(c, spec, argv);
    if (refusal !== null) {
      if (spec.name === 'exec' && tx !== null) this.discard(c);
      return this.reject(c, spec.name === 'exec' ? undefined : spec, refusal);
    }
    if (spec.isWrite && argvBytes(argv) > MAX_EFFECT_BYTES) {
      return this.reject(
        c,
        spec,
        `ERR command arguments exceed the ${MAX_EFFECT_BYTES} bytes one WAL record can hold`,
        argv,
      );
    }
    // RESP2 subscriber mode (processCommand): only the subscribe commands, PING, QUIT and RESET.
    if (c.reply.resp === 2 && c.subscribed && !SUBSCRIBER_COMMANDS.has(spec.name)) {
      return this.reject(
        c,
        spec,
        `ERR Can't execute '${spec.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET ` +
          'are allowed in this context',
        argv,
      );
    }
    const queueing = tx !== null && !RUN_IN_MULTI.has(spec.name);
    const exec = tx !== null && spec.name === 'exec';
    // The gates that refuse writes judge an EXEC by the writes it would run, as Redis's processCommand does.
    const writes = exec ? tx.queue.some((q) => q.spec.isWrite) : spec.isWrite;
    const failure = d.wal.failure;
    if (failure !== null && writes) return this.reject(c, spec, misconfMessage(failure), argv);
    // min-replicas-to-write (processCommand's checkGoodReplicasStatus), and min-replicas-sync's policy refuse.
    if (writes && d.replication.gatesWrites) {
      const refusal = d.replication.writeRefusal();
      if (refusal !== null) return this.reject(c, spec, refusal, argv);
    }
    // A replica (processCommand): READONLY for writes, MASTERDOWN while its link is down and stale data is not served.
    if (d.replication.isReplica) {
      if (writes && d.replication.readOnly) return this.reject(c, spec, READONLY_ERROR, argv);
      if (d.replication.staleRefused && !spec.flags.includes('stale')) {
        const text = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
        return this.reject(c, spec, text, argv);
      }
    }
    // A monitor is a replica to Redis (processCommand): it may not read or write keys any more.
    if (d.monitors.size > 0 && d.monitors.has(c) && touchesKeyspace(c, spec)) {
      return this.reject(c, spec, "ERR Replica can't interact with the keyspace", argv);
    }
    // CLIENT PAUSE (processCommand): a command it holds waits, unrun, for its end (./pause.ts).
    if (d.pause.active && d.pause.holds(c, spec)) return d.pause.postpone(c, argv);
    if (failure !== null && !queueing) {
      this.executeWhileFailing(c, spec, argv);
      return;
    }
    // maxmemory (Redis's processCommand): make room before every command, reads included, and refuse
    // one that can grow memory (or anything to be queued) when nothing more can be evicted.
    if (d.evictor.settings.maxmemory > 0) {
      const result = d.evictor.evict();
      // Invalidations of evicted keys go before this command's reply (server.c processCommand).
      d.flushOutbox();
      const denyOom = exec ? tx.queue.some((q) => q.spec.isDenyOom) : spec.isDenyOom || queueing;
      if (result === EvictResult.Fail && denyOom) return this.reject(c, spec, OOM_ERROR, argv);
      if (result === EvictResult.Running) d.evictInBackground();
    }
    if (queueing) {
      // Queued after a failed check of the transaction, or once a watched key was touched, it could
      // never run: not kept (multi.c `queueMultiCommand`).
      if (!tx.aborted && !d.watches.isDirty(c)) tx.queue.push({ spec, argv: argv.map((a) => Buffer.from(a)) });
      if (failure === null && !d.release.waitsForReplicas) {
        c.reply.raw(SHARED.queued);
        return;
      }
      // QUEUED says nothing about the data: while the WAL fails, released at once, not with the undurable
      // tail; under min-replicas-sync, not held for replicas.
      c.seal(d.release.replyTag());
      c.reply.raw(SHARED.queued);
      c.seal(failure === null ? 0 : d.wal.releasableLsn);
      return;
    }
    d.stats.totalCommands++;
    const errors = c.reply.errors;
    const start = d.timing.now();
    const lsn = d.wal.lastLsn;
    // min-replicas-sync with policy refuse: a write's reply is a piece of its own, so that it can become an error.
    const sealWrite = d.release.sealsWrites && !c.replyOff && !c.replySkip;
    if (sealWrite) c.seal(d.release.replyTag());
    // min-replicas-sync holds replies until replicas have what they may show; a reply that shows no data
    // (PING, INFO, ROLE, REPLICAOF, CONFIG, PUBLISH, an EXEC of such) is not held, so that Sentinel's PINGs
    // and its failover transaction are answered while replicas lag, as on a primary just promoted.
    const showsNoData = d.release.waitsForReplicas && !showsData(c, spec);
    if (showsNoData) c.seal(d.release.replyTag());
    this.run(c, spec, argv);
    d.timing.done(c, spec, argv, start, errors, false);
    if (showsNoData) c.seal(d.wal.lastLsn === lsn ? 0 : d.release.replyTag());
    // Redis's call(): the client's replication offset after its last command that propagated (WAIT).
    if (d.wal.lastLsn !== lsn) {
      c.lastWriteLsn = d.wal.lastLsn;
      if (sealWrite) c.sealWrite(c.lastWriteLsn);
    }
    // Serve clients blocked on keys this write may have filled (Redis calls
    // handleClientsBlockedOnKeys after each command). Free while none is blocked.
    if (spec.isWrite && d.blocking.size > 0) d.blocking.afterWrite(c, spec, argv);
  }

  /**
   * Runs one queued command of a transaction (EXEC): the handler, counted in
   * the statistics; the keys it writes are signalled to blocked clients, who
   * are served once the transaction ends.
   */
  call(c: CommandContext, spec: CommandSpec, argv: Buffer[]): void {
    const d = this.d;
    d.stats.totalCommands++;
    const errors = c.reply.errors;
    const start = d.timing.now();
    this.run(c, spec, argv);
    d.timing.done(c, spec, argv, start, errors, true);
    if (spec.isWrite && d.blocking.size > 0) d.blocking.signalWrite(c, spec, argv);
  }

  /**
   * Refuses a command with `message` (Redis's `rejectCommand`): counted as an
   * error reply, it marks a transaction being queued as failed, and refusing
   * EXEC, inside a transaction or not, discards it with `-EXECABORT` and
   * shows the EXEC to monitors (multi.c `execCommandAbort`).
   *
   * @param spec the command, when it was found
   * @param argv the command (for monitors, when it may be EXEC)
   */
  private reject(c: Client, spec: CommandSpec | undefined, message: string, argv?: Buffer[]): void {
    if (spec !== undefined) spec.stats.rejected++;
    const tx = c.multi;
    if (spec?.name === 'exec') {
      c.multi = null;
      this.d.watches.unwatch(c);
      // Redis's execCommandAbort names an error with its code (MISCONF, OOM, NOAUTH), or bare where the code is ERR.
      const cause = message.startsWith('ERR ') ? message.slice(4) : message;
      this.replyError(c, `EXECABORT Transaction discarded because of: ${cause}`);
      if (argv !== undefined && this.d.monitors.size > 0) {
        this.d.monitors.feed(c, spec, argv, this.d.release.replyTag(), true);
      }
      return;
    }
    if (tx !== null) tx.aborted = true;
    this.replyError(c, message);
  }

  /** Ends `c`'s transaction unrun (multi.c `discardTransaction`). */
  private discard(c: Client): void {
    c.multi = null;
    this.d.watches.unwatch(c);
  }

  /**
   * Answers `c` with an error found before any data was read (unknown
   * command, wrong arity, NOAUTH, a protocol error). While the WAL fails the
   * reply is sealed on its own and released at once: sealed with the rest of
   * the read, it would carry the WAL's tail, which stays undurable until the
   * disk recovers, and hold every later reply of the connection with it.
   */
  replyError(c: Client, message: string): void {
    const { wal, release } = this.d;
    this.d.timing.countError(message);
    if (wal.failure === null) {
      c.reply.error(message);
      return;
    }
    c.seal(release.replyTag());
    c.reply.error(message);
    c.seal(wal.releasableLsn);
  }

  /**
   * Runs a handler; a bug in one answers an error to that client and never
   * takes the server down. Then MONITOR sees the command (server.c `call`).
   */
  private run(c: CommandContext, spec: CommandSpec, argv: Buffer[]): void {
    try {
      spec.handler(c, argv);
    } catch (err) {
      this.d.log.error({ err, command: spec.name }, 'command handler failed');
      c.reply.error(`ERR internal error in '${spec.name}': ${(err as Error).message}`);
    }
    if (this.d.monitors.size > 0) this.d.monitors.feed(c, spec, argv, this.d.release.replyTag());
    // Client-side caching remembers what a tracking connection read (server.c `call`).
    const session = c.session;
    if (session.tracking !== null && spec.flags.includes('readonly')) this.d.tracking.rememberKeys(session, spec, argv);
  }

  /**
   * A read while the WAL cannot be written (writes were refused with
   * MISCONF): it runs and is released at once unless it could see a change
   * that is not yet durable (then it waits with everything else).
   */
  private executeWhileFailing(c: Client, spec: CommandSpec, argv: Buffer[]): void {
    const { wal, release } = this.d;
    c.seal(release.replyTag());
    // An EXEC that runs its queue: its reads are not looked at one by one, its reply waits as any could.
    // Without MULTI, or after an error while queueing (EXECABORT), its reply depends on no data.
    const execRuns = spec.name === 'exec' && c.multi !== null && !c.multi.aborted;
    this.d.stats.totalCommands++;
    const errors = c.reply.errors;
    const start = this.d.timing.now();
    this.run(c, spec, argv);
    this.d.timing.done(c, spec, argv, start, errors, false);
    const mayWait = execRuns || (spec.name !== 'exec' && release.couldSeeUndurable(c, spec, argv));
    c.seal(mayWait ? wal.lastLsn : wal.releasableLsn);
  }
}

/**
 * Whether `spec` reads or writes keys, or may replicate (server.c
 * `processCommand`'s read, write and may-replicate tests; an EXEC by what it
 * queued): what a replica, and so a monitor, may not run.
 */
function touchesKeyspace(c: Client, spec: CommandSpec): boolean {
  return orQueued(c, spec, (s) => s.isWrite || s.flags.includes('readonly') || s.flags.includes('may_replicate'));
}

/**
 * Whether the reply of `spec` may show keyspace data, so that it waits for
 * `min-replicas-sync`: it reads or writes keys, runs a script or function
 * (`may_replicate`, PUBLISH and SPUBLISH apart), or is an EXEC that runs
 * such a command. docs/REPLICATION.md, "Synchronous replication".
 */
function showsData(c: Client, spec: CommandSpec): boolean {
  return orQueued(
    c,
    spec,
    (s) =>
      s.isWrite || s.flags.includes('readonly') || (s.flags.includes('may_replicate') && !s.flags.includes('pubsub')),
  );
}

/** Whether `test` holds for `spec`, or, for an EXEC, for a command `c` queued. */
function orQueued(c: Client, spec: CommandSpec, test: (s: CommandSpec) => boolean): boolean {
  if (test(spec)) return true;
  return spec.name === 'exec' && c.multi !== null && c.multi.queue.some((q) => test(q.spec));
}

/** Redis's MISCONF wording for a log that cannot be written (aof.c). */
function misconfMessage(err: NodeJS.ErrnoException): string {
  const what = err.code === 'ENOSPC' ? 'No space left on device' : err.message;
  return `MISCONF Errors writing to the AOF file: ${what}`;
}

/** Total bytes of a command's arguments. */
function argvBytes(argv: Buffer[]): number {
  let n = 0;
  for (const a of argv) n += a.length;
  return n;
}

/** Redis's reply to an unknown command (server.c, `processCommand`). */
function unknownCommand(argv: Buffer[]): string {
  let args = '';
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${argv[i]!.toString('latin1').slice(0, 128 - args.length)}' `;
  }
  return `ERR unknown command '${argv[0]!.toString('latin1').slice(0, 128)}', with args beginning with: ${args}`;
}
