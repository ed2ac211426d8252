/**
 * The contract between the command layer and whatever runs commands: what a
 * handler may use (a {@link CommandContext}: the reply builder, the selected
 * database, the connection's session state, and the {@link ServerServices}),
 * and the shape of the command table's entries.
 *
 * Handlers depend on these interfaces, never on a socket or on the server, so
 * the same handler runs for a network client, for WAL replay, and for the
 * queued commands of a transaction, a script or a replication stream
 * (Dragonfly's `facade/service_interface.h` is the model of this seam). The
 * server implements the interfaces (src/server/); the command layer imports
 * nothing from there.
 */
import type { ReplyBuffer } from '../protocol/encoder.js';
import type { Config } from '../config/config.js';
import type { EffectArg } from '../persistence/wal/codec.js';
import type { Db } from '../store/db.js';
import type { Keyspace } from '../store/keyspace.js';
import type { LatencyMonitor, SlowLog } from './monitoring.js';
import type { ReplicationService } from './repl-service.js';

import type { CommandFlag, CommandGroup, KeySpec, KeySpecFlag, KeysFunction } from './declarations.js';

export type {
  BeginSearch,
  CommandFlag,
  CommandGroup,
  FindKeys,
  KeyRef,
  KeySpec,
  KeySpecFlag,
  KeysFunction,
} from './declarations.js';

/**
 * A command handler. It replies through `c.reply` exactly once per call (a
 * multi-element reply counts as one) and logs every change it makes through
 * `c.server.propagate`.
 *
 * @param c what the handler may use: reply builder, selected database, services (./context.ts)
 * @param argv the arguments, name first; views into the read buffer, valid during the call only
 */
export type Handler = (c: CommandContext, argv: Buffer[]) => void;

/** A key written in a database other than the selected one (MOVE's destination). */
export interface OtherDbKey {
  db: number;
  key: Buffer;
}

/** What a command family declares for one command (or subcommand of a container command). */
export interface CommandDef {
  /** Lower-case name; `container|sub` for subcommands. */
  readonly name: string;
  /** Redis arity convention; for a subcommand it counts the container name too. */
  readonly arity: number;
  readonly flags: readonly CommandFlag[];
  /** Where the command's keys are in its arguments; none when it takes no keys. */
  readonly keys?: readonly KeySpec[];
  /** Finds the keys when a key spec is `unknown` (Redis's `get_keys_function`: SORT's STORE key). */
  readonly getKeys?: KeysFunction;
  /**
   * Keys the command writes in other databases than the selected one, which
   * key specs cannot describe (MOVE key db, COPY ... DB db). Invalid
   * arguments yield none.
   */
  readonly otherDbKeys?: (argv: readonly Buffer[]) => OtherDbKey[];
  /**
   * The flags of this call's keys where its key specs say `variable_flags`
   * (SET: `RW access update` with GET, `OW update` without; t_string.c `setGetKeys`).
   */
  readonly keyFlags?: (argv: readonly Buffer[]) => readonly KeySpecFlag[];
  /** Changes every database (FLUSHALL): a reader of any key could see the change. */
  readonly allDatabases?: boolean;
  /**
   * The arguments MONITOR shows as `(redacted)`, by index (the name is 0):
   * secrets such as AUTH's password, as the handler of Redis's command hides
   * them (networking.c `redactClientCommandArgument`).
   */
  readonly redact?: (argv: readonly Buffer[]) => readonly number[];
  /**
   * Databases a call changes as a whole, beyond its keys (SWAPDB's two): a
   * reader of any key of them could see the change. Invalid arguments yield none.
   */
  readonly wholeDbs?: (argv: readonly Buffer[]) => number[];
  readonly group: CommandGroup;
  /** Redis version that introduced it. */
  readonly since: string;
  /** Time complexity, as documented by Redis. */
  readonly complexity: string;
  /** One line, as COMMAND DOCS reports. */
  readonly summary: string;
  readonly handler: Handler;
}

/**
 * A command's statistics since start or CONFIG RESETSTAT (INFO
 * commandstats and latencystats, LATENCY HISTOGRAM), as Redis keeps them on
 * its `redisCommand`.
 */
export interface CommandStats {
  /** Times its handler ran. */
  calls: number;
  /** Microseconds its handler ran, in total. */
  usec: number;
  /** Times it was refused before running (arity, NOAUTH, MISCONF, OOM...). */
  rejected: number;
  /** Times it ran and replied an error. */
  failed: number;
  /** Calls per latency bucket (./monitoring.ts); null until its first call. */
  histogram: Float64Array | null;
}

/** A table entry: the declaration plus what is derived from it once, at start. */
export interface CommandSpec extends CommandDef {
  /** What it has done since start or CONFIG RESETSTAT; shared by a renamed command's two names. */
  readonly stats: CommandStats;
  readonly keys: readonly KeySpec[];
  /** Legacy key range (COMMAND INFO's first key, last key and step), derived from the key specs; 0s when none. */
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  /** The legacy range does not find every key (Redis's `movablekeys` flag). */
  readonly movableKeys: boolean;
  /** Has the `write` flag. */
  readonly isWrite: boolean;
  /** Has the `denyoom` flag (may grow memory: refused with -OOM at maxmemory when nothing can be evicted). */
  readonly isDenyOom: boolean;
  /** Subcommands of a container command, by lower-case subcommand name. */
  readonly subcommands?: ReadonlyMap<string, CommandSpec>;
}

/** Counters reported by INFO stats, kept by the server and the commands. */
export interface Stats {
  totalConnections: number;
  totalCommands: number;
  rejectedConnections: number;
  /** Reads that found their key (GET family and collection reads), as Redis counts them. */
  keyspaceHits: number;
  /** Reads that did not. */
  keyspaceMisses: number;
  /** Bytes received from clients. */
  netInputBytes: number;
  /** Bytes sent to clients. */
  netOutputBytes: number;
  errorReplies: number;
  /** Clients closed for passing client-output-buffer-limit or client-query-buffer-limit. */
  bufferLimitDisconnections: number;
  /** Failed AUTH and HELLO AUTH (INFO `acl_access_denied_auth`). */
  authFailures: number;
  /** Reads from client sockets (INFO `total_reads_processed`). */
  readsProcessed: number;
  /** Writes to client sockets (INFO `total_writes_processed`). */
  writesProcessed: number;
}

/**
 * A connection's state as commands see it (CLIENT, AUTH, HELLO, QUIT), and
 * as CLIENT LIST reports other connections (networking.c
 * `catClientInfoString`). Contexts without a connection have a detached one.
 */
export interface Session {
  /** CLIENT ID. */
  readonly id: number;
  /** CLIENT SETNAME. */
  name: string;
  /** CLIENT SETINFO lib-name / lib-ver. */
  libName: string;
  libVer: string;
  /**
   * Whether the connection may run commands other than AUTH, HELLO and QUIT
   * (set by a successful AUTH; true from the start when no `requirepass` is set).
   */
  authenticated: boolean;
  /** Whether it must still authenticate: it has not, and a password is set now (Redis's `authRequired`). */
  readonly authRequired: boolean;
  /** Remote and local address, `ip:port` ('' without a connection). */
  readonly addr: string;
  readonly laddr: string;
  /** The socket's file descriptor, -1 when unknown. */
  readonly fd: number;
  /** Unix ms when the connection was accepted, and of its last command or reply sent. */
  readonly createdAt: number;
  readonly lastInteraction: number;
  /** Name of the last command run. */
  readonly lastCommand: string;
  /**
   * LSN of the last WAL record its commands logged, 0 before its first write
   * (Redis's `c->woff`): what WAIT and WAITAOF wait for.
   */
  lastWriteLsn: number;
  /** Selected database index. */
  readonly dbIndex: number;
  /** The protocol its replies use: 2, or 3 after `HELLO 3`. */
  readonly resp: 2 | 3;
  /** Commands queued after MULTI, or -1 outside a transaction (CLIENT LIST `multi`). */
  readonly queued: number;
  /** Bytes received and not yet parsed into commands. */
  readonly queryBufferBytes: number;
  /** What CLIENT LIST reports of its buffers. */
  buffers(): ClientBuffers;
  /** Bytes of replies waiting to be sent. */
  readonly outputBytes: number;
  /** Whether it waits in a blocking command (BLPOP...): CLIENT LIST flag `b`. */
  readonly blockedOnKeys: boolean;
  /** Whether its command waits, unrun, for a CLIENT PAUSE to end: CLIENT LIST flag `b` too. */
  readonly postponed: boolean;
  /** Whether a key it watches was touched, so that its EXEC will fail: CLIENT LIST flag `d`. */
  readonly dirtyCas: boolean;
  /** CLIENT REPLY OFF: no reply is sent until CLIENT REPLY ON (networking.c `CLIENT_REPLY_OFF`). */
  replyOff: boolean;
  /** CLIENT REPLY SKIP ran in the command running: the next command's reply is not sent (`CLIENT_REPLY_SKIP_NEXT`). */
  replySkipNext: boolean;
  /** The reply of the command running is not sent, nor anything else until it runs (`CLIENT_REPLY_SKIP`). */
  replySkip: boolean;
  /** CLIENT NO-EVICT ON: CLIENT LIST flag `e` (no client is ever evicted here: there is no `maxmemory-clients`). */
  noEvict: boolean;
  /** Whether the connection is a replica's link, taken over by PSYNC (CLIENT LIST flag `S`, type `replica`). */
  replicaLink: boolean;
  /** Set by QUIT, SHUTDOWN or a CLIENT KILL of itself: no more input is read; it closes once its replies are out. */
  closeAfterReply: boolean;
  /** What it is subscribed to (./pubsub.ts). */
  readonly subscriptions: Subscriptions;
  /** Its client-side caching state after CLIENT TRACKING ON, else null (./tracking.ts). */
  tracking: ClientTracking | null;
  /**
   * Appends an out-of-band message (a pub/sub message, an invalidation) to
   * its replies and schedules them to leave once WAL record `tag` is
   * releasable (0: at the end of the turn), in order with its other replies.
   *
   * @param write appends the message with the connection's protocol
   */
  deliver(write: (reply: ReplyBuffer) => void, tag: number): void;
  /** Drops the connection at once (CLIENT KILL of another connection). */
  destroy(): void;
}

/**
 * A connection's buffers as CLIENT LIST reports them (networking.c
 * `catClientInfoString`), bytes.
 */
export interface ClientBuffers {
  /** `qbuf`: the query buffer, the bytes of the commands of the read being run included. */
  readonly qbuf: number;
  /** `argv-mem`: the arguments of the command running, waiting or partly received. */
  readonly argvMem: number;
  /** `multi-mem`: the queued commands' arguments, 8 bytes per argument besides. */
  readonly multiMem: number;
  /** `rbs` and `rbp`: the reply chunk's size, and the largest reply piece sealed in the last 5 seconds. */
  readonly rbs: number;
  readonly rbp: number;
  /** `obl`: replies being built; `oll` and `omem`: pieces sealed and not yet taken by the socket. */
  readonly obl: number;
  readonly oll: number;
  readonly omem: number;
  /** `events`: `r` while its socket is read, `w` while bytes wait to be written. */
  readonly events: string;
}

/** What a blocked command waits for and how it is served (./blocking.ts). */
export interface BlockedCommand {
  /** Keys of the client's database it waits on (copies, not views into the read buffer). */
  readonly keys: readonly Buffer[];
  /** Absolute Unix ms when it times out; 0 waits forever. */
  readonly deadline: number;
  /**
   * Tries to serve the command from `key`, one of its keys that a write may
   * have filled: takes what it needs, logs the effect, appends the reply.
   *
   * @returns true once the command has its reply (served, or an error such as
   *   BLMOVE's WRONGTYPE destination); false when there is nothing to take
   *   (the key is empty or holds another type), so the client keeps waiting
   */
  serve(key: Buffer): boolean;
  /** Appends the reply for a timeout. */
  timedOut(): void;
}

/** The registry of clients blocked on keys, as commands use it (./blocking.ts). */
export interface Blocking {
  /** Blocks `c`, which has not replied yet, until `cmd.serve` succeeds or its deadline passes. */
  block(c: CommandContext, cmd: BlockedCommand): void;
  /** Marks `key` of database `db` as possibly filled (Redis's `signalKeyAsReady`). */
  signal(db: number, key: Uint8Array): void;
  /**
   * CLIENT UNBLOCK: ends the wait of the client with CLIENT ID `id`, with its
   * command's timeout reply, or with `error` as an error reply.
   *
   * @returns false when that client is not blocked on keys
   */
  unblock(id: number, error: string | null): boolean;
  /**
   * Marks every key clients wait on in database `db` as possibly filled
   * (SWAPDB; Redis's `scanDatabaseForReadyKeys`): each waiter looks again.
   */
  signalDb(db: number): void;
  /** Number of blocked clients. */
  readonly size: number;
  /** Each blocked client's CLIENT ID and the keys it waits on (cluster mode redirects those whose slot moved). */
  waiting?(): Iterable<readonly [number, readonly Buffer[]]>;
  /** Signals every key write command `spec` of `c` names, without serving them yet. */
  signalWrite(c: CommandContext, spec: CommandSpec, argv: Buffer[]): void;
  /** Serves the waiters of every signalled key (Redis's `handleClientsBlockedOnKeys`). */
  handleReady(): void;
}

/** Connections in MONITOR mode (./monitor.ts). */
export interface MonitorRegistry {
  /** Puts `s` in MONITOR mode. */
  add(s: Session): void;
  /** Takes `s` out of MONITOR mode (RESET, a closed connection). */
  delete(s: Session): void;
  has(s: Session): boolean;
  readonly size: number;
}

/** CLIENT PAUSE's modes (networking.c `pause_type`). */
export type PauseMode = 'write' | 'all';

/** CLIENT PAUSE and UNPAUSE, as commands use them (src/server/pause.ts). */
export interface ClientPause {
  /**
   * Pauses clients until Unix ms `end` (none when it has passed): every
   * command, or with `write` those that may write. A pause in progress
   * keeps the later end and the more restrictive mode (networking.c `pauseClients`).
   */
  pause(end: number, mode: PauseMode): void;
  /** Ends the pause; the commands it held run (CLIENT UNPAUSE). */
  unpause(): void;
}

/** The snapshots as commands use them (SAVE, BGSAVE, LASTSAVE). */
export interface Snapshots {
  /** Whether a snapshot is being taken. */
  readonly inProgress: boolean;
  /**
   * Takes a snapshot; resolves once it is durable.
   *
   * @param reason logged with it (`SAVE`, `BGSAVE`...)
   * @throws the error that stopped it
   */
  take(reason: string): Promise<unknown>;
  /** `lastTime`: Unix seconds when the last snapshot completed, 0 before the first. */
  readonly stats: { readonly lastTime: number };
}

/** A connection's pub/sub subscriptions: channel names and patterns as latin1 strings (binary-safe). */
export interface Subscriptions {
  readonly channels: Set<string>;
  readonly patterns: Set<string>;
  readonly shardChannels: Set<string>;
}

/** Channels (SUBSCRIBE, PUBLISH) or shard channels (SSUBSCRIBE, SPUBLISH): separate namespaces in Redis. */
export type ChannelKind = 'channel' | 'shard';

/** Holds `send` and calls it later with the WAL record its messages must wait for ({@link ServerServices.hold}). */
export type Hold = (send: (tag: number) => void) => void;

/** The pub/sub registry as commands use it (./pubsub.ts). */
export interface PubSubRegistry {
  /** Subscribes `s` to `channel`; returns false when it already was. */
  subscribe(s: Session, kind: ChannelKind, channel: string): boolean;
  /** Unsubscribes `s` from `channel`; returns false when it was not subscribed. */
  unsubscribe(s: Session, kind: ChannelKind, channel: string): boolean;
  /** Subscribes `s` to channels matching glob `pattern`; returns false when it already was. */
  psubscribe(s: Session, pattern: string): boolean;
  /** Unsubscribes `s` from `pattern`; returns false when it was not subscribed. */
  punsubscribe(s: Session, pattern: string): boolean;
  /**
   * Sends `message` to the subscribers of `channel` (and, for channels, of
   * the patterns matching it).
   *
   * @param tag the WAL record the message must wait for, 0 for none (see
   *   {@link Session.deliver}); or {@link ServerServices.hold}, which sends
   *   it later, tagged then, to the subscribers of now
   * @returns how many subscriptions received it
   */
  publish(kind: ChannelKind, channel: Buffer, message: Buffer, tag: number | Hold): number;
  /** The channels with subscribers, those matching `pattern` when given. */
  channels(kind: ChannelKind, pattern: Buffer | null): string[];
  /** How many connections subscribe to `channel`. */
  subscribers(kind: ChannelKind, channel: string): number;
  /** How many patterns are subscribed to, counted once each. */
  readonly patternCount: number;
  /** Drops every subscription of `s` without telling it (RESET, a closed connection). */
  unsubscribeAll(s: Session): void;
  /** Unsubscribes all from the shard channels `test` accepts, with `sunsubscribe` pushes tagged `tag` (cluster.c). */
  removeShardChannels(test: (channel: string) => boolean, tag: number): void;
}

/**
 * A connection's client-side caching state (CLIENT TRACKING ON; tracking.c
 * and the `CLIENT_TRACKING_*` flags of server.h).
 */
export interface ClientTracking {
  /** REDIRECT: the CLIENT ID its invalidations go to, 0 for itself. */
  redirect: number;
  /** BCAST: invalidations for every key under its prefixes, whoever read them. */
  bcast: boolean;
  /** OPTIN: only keys read right after CLIENT CACHING YES are tracked. */
  optin: boolean;
  /** OPTOUT: keys read right after CLIENT CACHING NO are not tracked. */
  optout: boolean;
  /** NOLOOP: no invalidations for its own writes. */
  noloop: boolean;
  /** CLIENT CACHING YES (OPTIN) or NO (OPTOUT) was given for the next command or transaction. */
  caching: boolean;
  /** The client it redirects to has gone (CLIENT LIST flag `R`, TRACKINGINFO `broken_redirect`). */
  brokenRedirect: boolean;
  /** BCAST prefixes, as latin1 strings ('' when BCAST was given none). */
  readonly prefixes: Set<string>;
}

/** The options of CLIENT TRACKING ON, as parsed (networking.c `clientCommand`). */
export interface TrackingOptions {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** PREFIX arguments, latin1 strings. */
  prefixes: string[];
}

/** Client-side caching as commands use it (./tracking.ts). */
export interface TrackingRegistry {
  /** Turns tracking on for `s`, or changes its options (tracking.c `enableTracking`). */
  enable(s: Session, options: TrackingOptions): void;
  /** Turns tracking off for `s` (tracking.c `disableTracking`). */
  disable(s: Session): void;
  /**
   * Remembers that `s` read `keys`, as its tracking mode allows (a script that
   * ran a read command: its declared keys, server.c `call`).
   */
  rememberKeyList(s: Session, keys: readonly Buffer[]): void;
  /**
   * Sends `invalidate null` to every tracking connection and empties the
   * table (tracking.c `trackingInvalidateKeysOnFlush`). The server calls it
   * for every logged effect without keys (FLUSHDB, FLUSHALL, SWAPDB); a
   * command that empties databases without such an effect calls it itself.
   */
  invalidateAll(): void;
  /** Connections with tracking on (INFO `tracking_clients`). */
  readonly clientCount: number;
  /** Keys in the tracking table (INFO `tracking_total_keys`). */
  readonly keyCount: number;
  /** Client IDs stored across the table (INFO `tracking_total_items`). */
  readonly itemCount: number;
  /** BCAST prefixes with clients (INFO `tracking_total_prefixes`). */
  readonly prefixCount: number;
}

/** A command queued after MULTI, with copies of its arguments. */
export interface QueuedCommand {
  readonly spec: CommandSpec;
  readonly argv: Buffer[];
}

/** A transaction being queued (multi.c's `multiState`). */
export interface Transaction {
  readonly queue: QueuedCommand[];
  /** An error while queueing: EXEC answers EXECABORT (Redis's `CLIENT_DIRTY_EXEC`). */
  aborted: boolean;
}

/** The keys clients WATCH, as commands use them (./watch.ts). */
export interface WatchRegistry {
  /** Watches `key` of database `db` for `c` (WATCH). */
  watch(c: CommandContext, db: number, key: Buffer): void;
  /** Forgets every key `c` watches, and whether one was touched (UNWATCH, DISCARD, EXEC). */
  unwatch(c: CommandContext): void;
  /**
   * Whether a key `c` watches was changed since it was watched (Redis's
   * `CLIENT_DIRTY_CAS`: CLIENT LIST flag `d`; nothing more is queued).
   */
  isDirty(c: CommandContext): boolean;
  /** Whether a key `c` watches was changed, or expired, since it was watched: EXEC must fail. */
  touched(c: CommandContext): boolean;
  /**
   * Touches the watched keys of database `db` that exist now, before the
   * database is emptied (FLUSHDB; FLUSHALL calls it for each database).
   */
  touchDb(db: number): void;
  /**
   * Before databases `a` and `b` exchange their keys (SWAPDB): touches, in
   * each, the watched keys that exist in it or in the other, as multi.c's
   * `touchAllWatchedKeysInDb(emptied, replaced_with)` (an expired key
   * replaced by nothing or by another expired key is no change).
   */
  touchSwap(a: number, b: number): void;
}

/** The command table as commands see it (COMMAND; renamed commands under their new names). */
export interface CommandLookup {
  /** The command named `name` (any case), or undefined. */
  get(name: string): CommandSpec | undefined;
  /** The command or subcommand a call names (`CONFIG GET` finds `config|get`). */
  lookup(argv: readonly Uint8Array[]): CommandSpec | undefined;
  /** Every command, in registration order. */
  all(): CommandSpec[];
  /** Number of top-level commands. */
  readonly size: number;
}

/** What DEBUG changes or asks of the server (./debug.ts). */
export interface DebugHooks {
  /** Whether the cron expires keys (DEBUG SET-ACTIVE-EXPIRE). */
  activeExpire: boolean;
  /** Whether the cron is paused (DEBUG PAUSE-CRON). */
  cronPaused: boolean;
  /**
   * DEBUG RELOAD: takes a snapshot, then loads the data directory into a
   * scratch keyspace exactly as a restart would, and compares it with the
   * live one, database by database.
   *
   * @returns null when they hold the same keys, else what differs
   * @throws the error that stopped the snapshot or the load
   */
  reload(): Promise<string | null>;
}

/** What the server provides to commands. `Server` implements it; so does the replay of start-up recovery. */
export interface ServerServices {
  readonly keyspace: Keyspace;
  readonly config: Config;
  readonly stats: Stats;
  readonly commands: CommandLookup;
  readonly blocking: Blocking;
  /** Open connections by CLIENT ID. */
  readonly clients: ReadonlyMap<number, Session>;
  /** True while the WAL is being replayed: nothing is logged, no clock applies, nothing blocks. */
  readonly replaying: boolean;
  /** Unix ms when the server started. */
  readonly startedAt: number;
  readonly snapshots: Snapshots;
  /**
   * The WAL record a reply sealed now waits for (the last one logged under
   * `appendfsync always`, else 0): what an out-of-band message must wait for
   * so that it never shows a write before the write is durable, as Redis
   * sends nothing before `beforeSleep` has synced the AOF. Inside EXEC the
   * transaction's own writes are not logged yet: see {@link hold}.
   */
  replyTag(): number;
  /**
   * Holds out-of-band messages until the command (inside EXEC, the
   * transaction) has run and its effects are logged, then calls `send` with
   * the reply tag of that moment (./notify.ts `Outbox`).
   */
  readonly hold: Hold;
  /** Commands that ran longer than `slowlog-log-slower-than` (./slowlog.ts). */
  readonly slowlog: SlowLog;
  /** Events slower than `latency-monitor-threshold` (./latency.ts). */
  readonly latency: LatencyMonitor;
  /** Highest `used_memory` seen, bytes (MEMORY STATS `peak.allocated`). */
  readonly usedMemoryPeak: number;
  /** Path of the config file the server started with, '' when none (CONFIG REWRITE). */
  readonly configFile: string;
  /** What DEBUG changes (./debug.ts). */
  readonly debug: DebugHooks;
  /** Keys clients WATCH (./watch.ts); every change the WAL logs touches them. */
  readonly watches: WatchRegistry;
  /** Channels, patterns and their subscribers (./pubsub.ts). */
  readonly pubsub: PubSubRegistry;
  /** Connections in MONITOR mode (./monitor.ts). */
  readonly monitors: MonitorRegistry;
  /** CLIENT PAUSE. */
  readonly pause: ClientPause;
  /** Client-side caching (./tracking.ts); every change the WAL logs invalidates the keys it writes. */
  readonly tracking: TrackingRegistry;
  /** Replication: role, replicas, REPLICAOF (src/replication). */
  readonly replication: ReplicationService;
  /** Cluster mode (src/cluster), when `cluster-enabled` is on; CLUSTER answers that it is off otherwise. */
  readonly cluster?: ClusterService;
  /**
   * Fires keyspace event `event` of class `type` for `key` of database `db`
   * (notify.c `notifyKeyspaceEvent`): published on `__keyspace@<db>__:<key>`
   * and `__keyevent@<db>__:<event>` as `notify-keyspace-events` selects,
   * once the command has run and its effects are logged, tagged to wait for
   * them (./notify.ts). Costs one integer test when the class is not selected.
   *
   * @param type a class bit of src/config/keyspace-events.ts (`NOTIFY_STRING`...)
   * @param event the event name, as Redis names it (`set`, `lpush`, `expired`...)
   * @param key the key's bytes (copied when the event is kept)
   */
  notify(type: number, event: string, key: Uint8Array, db: number): void;
  /**
   * Counts a write that changed nothing, and so logs no effect, as a change
   * of `key` in database `db` all the same: WATCH sees it touched and
   * tracking connections are sent an invalidation, as Redis's
   * `signalModifiedKey` after APPEND of an empty string, an LTRIM that keeps
   * every element, an HSET of the values fields already have.
   */
  signalModifiedKey(db: number, key: Uint8Array): void;
  /**
   * Runs one queued command of a transaction for `c` as the dispatcher runs
   * any command (the handler, its statistics, the blocked clients its keys
   * may serve), appending its reply to `c.reply`.
   */
  call(c: CommandContext, spec: CommandSpec, argv: Buffer[]): void;
  /**
   * Starts collecting the effects of the commands run until {@link endExec}
   * into one WAL record, so that recovery applies all of them or none (EXEC).
   */
  beginExec(): void;
  /** True between {@link beginExec} and {@link endExec}: a transaction is running. */
  readonly inExec: boolean;
  /**
   * Logs the effects collected since {@link beginExec} as one transaction
   * record (nothing when none), then serves the clients blocked on the keys
   * the transaction wrote.
   *
   * @param db the database the EXEC ran in
   * @returns the record's LSN, or 0 when nothing changed
   */
  endExec(db: number): number;
  /**
   * Logs the effect of a change to the WAL (a no-op while replaying). Every
   * write handler ends by calling this for what it changed.
   *
   * @param db database index
   * @param args the effect: command name then arguments (docs/FORMAT.md, "Payload")
   * @returns the record's LSN, or 0 while replaying
   */
  propagate(db: number, args: readonly EffectArg[]): number;
  /**
   * The INFO text of the requested sections (https://redis.io/docs/latest/commands/info/).
   *
   * @param sections lower-case names; none, `default`, `all` or `everything` for every section
   */
  info(sections: readonly string[]): string;
  /** CONFIG RESETSTAT. */
  resetStats(): void;
  /**
   * Shuts the server down in the background (SHUTDOWN).
   *
   * @param save take a snapshot first (false for SHUTDOWN NOSAVE)
   */
  requestShutdown(reason: string, save: boolean): void;
}

/**
 * Cluster mode as the CLUSTER, ASKING, READONLY and READWRITE commands and
 * the dispatcher see it (src/cluster/service.ts implements it; docs/CLUSTER.md).
 */
export interface ClusterService {
  /** Runs `CLUSTER <sub> ...` (cluster.c `clusterCommand`); `sub` in lower case. */
  command(c: CommandContext, sub: string, argv: Buffer[]): void;
  /** ASKING, READONLY or READWRITE: sets the connection's flag and answers OK. */
  connectionFlag(c: CommandContext, flag: 'asking' | 'readonly' | 'readwrite'): void;
  /**
   * Whether this node serves `spec` with `argv` for `c` (queued commands of
   * an EXEC included): null when it does, else the error to answer, with its
   * code and without the `-`: `MOVED 3999 127.0.0.1:30001`, `ASK ...`,
   * `CROSSSLOT ...`, `TRYAGAIN ...`, `CLUSTERDOWN ...` (cluster.c
   * `getNodeByQuery`, `clusterRedirectClient`), or a refusal of what cluster
   * mode forbids (SELECT of another database).
   */
  route(c: CommandContext, spec: CommandSpec, argv: Buffer[]): string | null;
  /**
   * After each command `name` of `c`, run or refused: ASKING is cleared
   * unless `name` is `asking` or `c` is in MULTI (networking.c `resetClient`).
   */
  commandDone(c: CommandContext, name: string): void;
  /** Sends a PUBLISH to every other node, whose subscribers receive it too (cluster.c `clusterPropagatePublish`). */
  publish(channel: Buffer, message: Buffer): void;
}

/**
 * What a command handler may use. A network connection is one; WAL replay
 * runs handlers in another (./local.ts).
 */
export interface CommandContext {
  /** Replies are appended here; the caller decides when they leave. */
  readonly reply: ReplyBuffer;
  /** Selected database, and its index. */
  readonly db: Db;
  readonly dbIndex: number;
  /** Selects database `index`; the caller has range-checked it. */
  select(index: number): void;
  readonly server: ServerServices;
  readonly session: Session;
  /**
   * Whether a blocking command may wait here (a connection) or must answer
   * at once (replay; the commands of an EXEC, which sets it false while they run).
   */
  canBlock: boolean;
  /** The transaction being queued after MULTI, or null (./multi.ts). */
  multi: Transaction | null;
  /**
   * Stops running this context's further commands until {@link unblock}
   * (SAVE waiting for its snapshot, BLPOP for an element).
   *
   * @param pauseInput stop reading too (SAVE); BLPOP keeps reading so that a disconnect is noticed
   */
  block(pauseInput?: boolean): void;
  /** Resumes after {@link block}: the caller has appended the blocked command's reply. */
  unblock(): void;
}
