/**
 * The server: the composition root and the lifecycle. It builds the
 * keyspace, the evictor and the command tables from the settings, and at
 * start locks the data directory, recovers (./recover.ts), opens the WAL and
 * the snapshots, and listens (./listener.ts). Accepted connections
 * (./client.ts) run their commands through the dispatcher (./dispatch.ts);
 * their replies leave through the reply release (./release.ts). The server
 * cron expires keys, compacts the arena, drains index resizes, closes idle
 * clients and triggers snapshots. One event-loop turn, end to end:
 * docs/ARCHITECTURE.md, "One turn".
 *
 * `Server` implements what the commands use (`ServerServices`,
 * src/commands/context.ts) and what the pieces above need of it; nothing
 * outside src/server imports this file but src/cli.ts.
 */
import { readdirSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { BlockingRegistry } from '../commands/blocking.js';
import type { CommandContext, CommandSpec, DebugHooks, ServerServices, Stats } from '../commands/context.js';
import { allCommands } from '../commands/index.js';
import { CommandTable, keyPositions } from '../commands/table.js';
import { Monitors } from '../commands/monitor.js';
import { KeyspaceEvents, Outbox } from '../commands/notify.js';
import { PubSub } from '../commands/pubsub.js';
import { Tracking } from '../commands/tracking.js';
import { Watches } from '../commands/watch.js';
import { LatencyMonitor, SlowLog } from '../commands/monitoring.js';
import type { Config } from '../config/config.js';
import { NOTIFY_EVICTED, NOTIFY_EXPIRED, parseKeyspaceEvents } from '../config/keyspace-events.js';
import { parseOutputBufferLimits, parseRenames, type OutputBufferLimit } from '../config/values.js';
import { writeIndexFile } from '../persistence/snapshot/indexfile.js';
import { ensureDir } from '../persistence/fsutil.js';
import { lockDataDir, type DirLock } from '../persistence/lock.js';
import type { ReplayResult } from '../persistence/wal/replay.js';
import { Snapshotter } from '../persistence/snapshot/snapshotter.js';
import { encodePayload, type EffectArg, type TransactionEffect } from '../persistence/wal/codec.js';
import { Wal } from '../persistence/wal/writer.js';
import { DEFAULT_LIMITS, type DecoderLimits } from '../protocol/decoder.js';
import { Evictor, EvictResult, evictionTimeLimitUs } from '../store/eviction.js';
import { Keyspace } from '../store/keyspace.js';
import { Client, type ClientHost } from './client.js';
import { Dispatcher } from './dispatch.js';
import { ClientPauses } from './pause.js';
import { infoText, LOOP_DELAY_RESOLUTION_MS, type InfoSource } from './info.js';
import { fitOpenFilesLimit, Listener, tlsOptions, type ListenerHost } from './listener.js';
import type { Logger } from './logger.js';
import { followMaxmemorySettings } from './maxmemory.js';
import { checkBinds, checkDataDir } from './preflight.js';
import { logRecovered, recover, reloadCheck, type LoadedSnapshot } from './recover.js';
import { importConfiguredRdb } from './import-rdb.js';
import { HttpListener } from './http.js';
import { createReplication } from './replication.js';
import { startCluster } from './cluster.js';
import type { Replication } from '../replication/service.js';
import { ReplyRelease } from './release.js';
import { followSyncReplication } from './sync-replication.js';
import { freshStats, RateMeters } from './stats.js';
import { CommandTiming } from './timing.js';

/** Removes `*.tmp` files left by a crash while a manifest or segment was being written. */
function removeTemporaryFiles(dir: string): void {
  for (const name of readdirSync(dir)) if (name.endsWith('.tmp')) rmSync(join(dir, name), { force: true });
}

/** A running FlashCache server. */
export class Server implements ServerServices, ClientHost, ListenerHost, InfoSource {
  readonly keyspace: Keyspace;
  /** Removes keys by `maxmemory-policy` when the data outgrows `maxmemory`. */
  readonly evictor: Evictor;
  /** The commands clients call, after `rename-command`. */
  readonly commands = new CommandTable();
  /**
   * Every command under its own name, for replaying effects from the WAL and
   * reading their keys: they are logged under their real names whatever
   * clients call them.
   */
  readonly effects = new CommandTable();
  readonly stats: Stats = freshStats();
  readonly clients = new Map<number, Client>();
  /** Clients blocked on keys (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH). */
  readonly blocking: BlockingRegistry;
  /** Keys clients WATCH. */
  readonly watches: Watches;
  /** Pub/sub channels, patterns and their subscribers. */
  readonly pubsub = new PubSub();
  /** Connections in MONITOR mode. */
  readonly monitors = new Monitors();
  /** CLIENT PAUSE and the clients it holds. */
  readonly pause: ClientPauses;
  /** SLOWLOG's entries. */
  readonly slowlog: SlowLog;
  /** LATENCY's event time series. */
  readonly latency: LatencyMonitor;
  /** Per-command statistics, the slow log and latency events, fed by the dispatcher. */
  readonly timing: CommandTiming;
  /** Records an event's duration in the latency monitor when it reaches `latency-monitor-threshold`. */
  private readonly latencySample = (event: string, ms: number): void => this.latency.addIfNeeded(event, ms);
  /** What DEBUG changes: active expiry and the cron on or off, and RELOAD. */
  readonly debug: DebugHooks = {
    activeExpire: true,
    cronPaused: false,
    reload: () =>
      reloadCheck(this.snapshots, this.wal, {
        dir: this.dir,
        keyspace: this.keyspace,
        effects: this.effects,
        config: this.config,
        log: this.log,
      }),
  };
  /** Keyspace events and invalidations waiting for their command's effects to be logged. */
  readonly outbox = new Outbox(() => this.release?.replyTag() ?? 0);
  /** Keyspace notifications (`notify-keyspace-events`). */
  readonly keyspaceEvents = new KeyspaceEvents(this.pubsub, this.outbox);
  /** Client-side caching. */
  readonly tracking = new Tracking(this.clients, this.outbox);
  /** Effects run for clients: never a replay (that is ./recover.ts, on services of its own). */
  readonly replaying = false;
  /** Unix ms at start. */
  readonly startedAt = Date.now();
  /** Replication: this server's replicas, and its primary when it is a replica. */
  readonly replication: Replication;
  /** True while a replica applies a record: its effects are not logged again. */
  applyingRecord = false;
  /** What start-up recovery replayed. */
  recovery: ReplayResult | null = null;
  /** The snapshot start-up loaded, if any. */
  loadedSnapshot: LoadedSnapshot | null = null;
  /** Seconds start-up recovery took. */
  recoverySeconds = 0;
  /** Keys once start-up recovery finished (INFO `rdb_last_load_keys_loaded`). */
  loadedKeys = 0;
  wal!: Wal;
  snapshots!: Snapshotter;
  /** The data directory, absolute. */
  readonly dir: string;
  readonly limits: DecoderLimits;
  /**
   * Connections served at once: `maxclients`, lowered at start when the
   * process may not open that many files (as Redis's `adjustOpenFilesLimit`).
   */
  maxClients: number;
  /** `client-output-buffer-limit` for normal clients. */
  outputLimit: OutputBufferLimit = { hard: 0, soft: 0, softSeconds: 0 };
  /** `client-output-buffer-limit` for subscribers (Redis's default, 32mb 8mb 60, unless set). */
  pubsubOutputLimit: OutputBufferLimit = { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 };
  /** The open-files limit the process runs with (INFO `open_files_limit`). */
  openFilesLimit = 0;
  /** Highest `used_memory` seen by INFO or the cron, bytes. */
  usedMemoryPeak = 0;
  /**
   * Event-loop delay since start or CONFIG RESETSTAT (perf_hooks, sampled by
   * a timer every {@link LOOP_DELAY_RESOLUTION_MS}): the stall figures INFO
   * stats reports. Each sample is the time between two timer callbacks.
   */
  readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });

  private readonly listener: Listener;
  /** `metrics-port`: /metrics and the dashboard (./http.ts). */
  private readonly http = new HttpListener(this);
  private release: ReplyRelease | undefined;
  private dispatcher!: Dispatcher;
  private lock: DirLock | null = null;
  private nextId = 1;
  /** True while keys are evicted in the background (a command's time limit ran out, or maxmemory was lowered). */
  private evicting = false;
  private cron: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;
  /** Commands and network bytes per second (INFO stats `instantaneous_*`). */
  readonly rates = new RateMeters();
  /** The effects of the EXEC running, logged as one record when it ends; null outside EXEC. */
  private execEffects: TransactionEffect[] | null = null;
  private resolveStopped: (code: number) => void = () => {};
  /** Resolves with the process exit code once the server has shut down. */
  readonly stopped: Promise<number> = new Promise((r) => (this.resolveStopped = r));

  /**
   * @param config resolved settings
   * @param log lifecycle logger
   * @throws ConfigError for a `rename-command` that names no command or an existing one
   */
  constructor(
    readonly config: Config,
    readonly log: Logger,
  ) {
    this.dir = resolve(config.get('dir'));
    this.limits = { ...DEFAULT_LIMITS, maxBulkLen: config.get('proto-max-bulk-len') };
    this.keyspace = new Keyspace(config.get('databases'), {
      onExpired: (db, key) => {
        this.notify(NOTIFY_EXPIRED, 'expired', key, db);
        this.propagate(db, ['DEL', key]);
      },
    });
    this.evictor = new Evictor(
      this.keyspace,
      {
        maxmemory: config.get('maxmemory'),
        policy: config.get('maxmemory-policy'),
        samples: config.get('maxmemory-samples'),
        timeLimitUs: evictionTimeLimitUs(config.get('maxmemory-eviction-tenacity')),
      },
      {
        onEvicted: (db, key) => {
          this.notify(NOTIFY_EVICTED, 'evicted', key, db);
          this.propagate(db, ['DEL', key]);
        },
      },
    );
    this.watches = new Watches(this.keyspace);
    this.pause = new ClientPauses(this.keyspace, this.evictor, this.monitors);
    const onServeError = (err: unknown, c: CommandContext): void =>
      this.log.error({ err, client: c.session.addr }, 'serving a blocked client failed');
    this.blocking = new BlockingRegistry(onServeError, (c, ms, errs) => this.timing.unblocked(c, ms, errs));
    this.maxClients = config.get('maxclients');
    this.slowlog = new SlowLog(config.get('slowlog-max-len'));
    this.latency = new LatencyMonitor(config.get('latency-monitor-threshold'));
    this.timing = new CommandTiming(
      this.stats,
      this.slowlog,
      this.latency,
      config.get('slowlog-log-slower-than'),
      config.get('latency-tracking'),
    );
    config.onChange('slowlog-log-slower-than', (v) => (this.timing.slowerThan = v));
    config.onChange('slowlog-max-len', (v) => (this.slowlog.maxLen = v));
    config.onChange('latency-monitor-threshold', (v) => {
      this.latency.threshold = v;
      this.evictor.latency = v > 0 ? this.latencySample : null;
    });
    config.onChange('latency-tracking', (v) => (this.timing.tracking = v));
    if (this.latency.threshold > 0) this.evictor.latency = this.latencySample;
    this.applyOutputLimit(config.get('client-output-buffer-limit'));
    followMaxmemorySettings(config, this.evictor, this.keyspace, this.log, () => this.evictInBackground());
    this.commands.add(allCommands());
    this.effects.add(allCommands());
    this.commands.applyRenames(parseRenames(config.get('rename-command')) ?? []);
    this.listener = new Listener(this);
    config.onChange('client-output-buffer-limit', (v) => this.applyOutputLimit(v));
    config.onChange('log-level', (v) => (this.log.level = v));
    config.onChange('proto-max-bulk-len', (v) => (this.limits.maxBulkLen = v));
    config.onChange('maxclients', (v) => (this.maxClients = v));
    this.keyspaceEvents.setClasses(parseKeyspaceEvents(config.get('notify-keyspace-events')) ?? 0);
    config.onChange('notify-keyspace-events', (v) => this.keyspaceEvents.setClasses(parseKeyspaceEvents(v) ?? 0));
    this.tracking.maxKeys = config.get('tracking-table-max-keys');
    config.onChange('tracking-table-max-keys', (v) => (this.tracking.maxKeys = v));
    this.replication = createReplication(this, () => this.release?.release(Number.MAX_SAFE_INTEGER));
  }

  /** Applies `client-output-buffer-limit` (all classes): `normal` and `pubsub`; `slave` waits for replicas. */
  private applyOutputLimit(text: string): void {
    const limits = parseOutputBufferLimits(text);
    if (typeof limits === 'string') return;
    this.outputLimit = limits.get('normal') ?? this.outputLimit;
    this.pubsubOutputLimit = limits.get('pubsub') ?? this.pubsubOutputLimit;
  }

  /**
   * Evicts in steps of the tenacity's time limit, one per event-loop
   * iteration, until the data fits `maxmemory` (Redis's
   * `evictionTimeProc`): after CONFIG SET lowered the limit, or when a
   * command's own eviction ran out of time. Each step's DELs are written at
   * once, since no reply may be waiting to start the group commit.
   */
  evictInBackground(): void {
    // A replica removes keys only through its primary's DELs.
    if (this.evicting || this.evictor.excess <= 0 || this.stopping || this.keyspace.replica) return;
    this.evicting = true;
    const step = (): void => {
      if (this.stopping || this.wal.failure !== null) {
        this.evicting = false;
        return;
      }
      const result = this.evictor.evict(Math.max(this.evictor.settings.timeLimitUs, 1000));
      this.wal.flush();
      this.outbox.flush();
      if (result === EvictResult.Running) setImmediate(step);
      else this.evicting = false;
    };
    setImmediate(step);
  }

  /**
   * Locks the data directory, loads the newest usable snapshot, replays the
   * WAL after it, opens the WAL for appending and starts listening.
   *
   * @throws ConfigError (TLS files, `bind`), DataDirError, DirectoryLockedError, WalCorruptionError,
   *   RecoveryError, or a listen error
   */
  async start(): Promise<void> {
    const t0 = performance.now();
    const config = this.config;
    // TLS files first: a bad certificate should stop start-up before a long recovery, not after.
    const tls = config.get('tls-port') !== 0 ? tlsOptions(config) : null;
    const binds = await checkBinds(config.get('bind'), config.get('port'));
    checkDataDir(this.dir);
    this.lock = lockDataDir(this.dir);
    const snapDir = join(this.dir, 'snapshot');
    await ensureDir(snapDir);
    removeTemporaryFiles(snapDir);
    await this.replication.beforeRecovery();
    const recovered = recover({
      dir: this.dir,
      keyspace: this.keyspace,
      effects: this.effects,
      config,
      log: this.log,
      readOnly: false,
      policy: config.get('wal-recovery'),
    });
    const { loaded, fromLsn, replayed } = recovered;
    this.recovery = replayed;
    this.loadedSnapshot = recovered.snapshot;
    this.wal = await Wal.open({
      dir: join(this.dir, 'wal'),
      segmentSize: config.get('wal-segment-size'),
      appendfsync: config.get('appendfsync'),
      nextLsn: Math.max(fromLsn, replayed.lastLsn) + 1,
    });
    const release = new ReplyRelease(this.wal, this.effects, this.log);
    this.release = release;
    this.wal.onReleasable = (lsn) => {
      release.release(lsn);
      this.replication.walAdvanced();
    };
    this.wal.onFailure = (err) => release.walFailureChanged(err);
    this.replication.primary.onAck = () => release.acknowledged();
    followSyncReplication(config, this.replication, release, this.log);
    this.wal.onSyncTime = this.http.syncObserver(this.latencySample);
    config.onChange('appendfsync', (v) => this.wal.setAppendfsync(v));
    config.onChange('wal-segment-size', (v) => (this.wal.segmentSize = v));
    this.dispatcher = new Dispatcher({
      commands: this.commands,
      stats: this.stats,
      config,
      wal: this.wal,
      evictor: this.evictor,
      blocking: this.blocking,
      watches: this.watches,
      monitors: this.monitors,
      pause: this.pause,
      release,
      replication: this.replication,
      tracking: this.tracking,
      log: this.log,
      timing: this.timing,
      evictInBackground: () => this.evictInBackground(),
      flushOutbox: () => this.outbox.flush(),
      cluster: await startCluster(this),
    });
    this.snapshots = await Snapshotter.open(snapDir, this.keyspace.arena, this.wal, this.log, loaded.retained);
    this.snapshots.onLatency = this.latencySample;
    // A snapshot's pages must say where each key lives (after SWAPDB) and hold every collection's image.
    this.snapshots.prepare = () => {
      this.keyspace.renumberEntries();
      return this.keyspace.writeImages();
    };
    this.snapshots.encodeAhead = (deadline) => this.keyspace.writeChunksAhead(deadline);
    const empty = recovered.loaded.manifest === null && replayed.lastLsn === 0;
    await importConfiguredRdb(config, { keyspace: this.keyspace, snapshots: this.snapshots, log: this.log, empty });
    // Keys that expired while the server was down go now, each logged as a delete.
    this.keyspace.activeExpire(Number.POSITIVE_INFINITY);
    this.wal.flush();
    this.outbox.flush();
    this.recoverySeconds = (performance.now() - t0) / 1000;
    this.loadedKeys = this.keyspace.keyCount;
    logRecovered(this.log, this.keyspace, recovered, this.wal.lastLsn, this.recoverySeconds);
    const fit = fitOpenFilesLimit(this.maxClients, this.log);
    this.openFilesLimit = fit.openFilesLimit;
    this.maxClients = fit.maxClients;
    await this.listener.listen(tls, binds);
    await this.http.listen(binds);
    this.loopDelay.enable();
    this.cron = setInterval(() => this.serverCron(), 100);
    this.cron.unref();
    this.replication.start(Math.max(fromLsn, replayed.lastLsn));
  }

  /** Port listened on. */
  get port(): number {
    return this.listener.port;
  }

  /** TLS port listened on; 0 when TLS is off. */
  get tlsPort(): number {
    return this.listener.tlsPort;
  }

  // ---------------------------------------------------------------- connections (ListenerHost, ClientHost)

  /** What commands see as `c.server`: the server itself. */
  get services(): ServerServices {
    return this;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  get shuttingDown(): boolean {
    return this.stopping !== null;
  }

  /** Serves an admitted socket. */
  serve(socket: Socket): void {
    const c = new Client(this, socket, this.limits);
    this.clients.set(c.id, c);
    socket.on('data', (chunk: Buffer) => {
      this.stats.netInputBytes += chunk.length;
      this.stats.readsProcessed++;
      c.onData(chunk);
    });
    socket.on('error', () => c.destroy());
    socket.on('close', () => c.destroy());
  }

  nextClientId(): number {
    return this.nextId++;
  }

  /**
   * Runs one command for `c`; then sends the keyspace events and
   * invalidations it caused, tagged to wait for its effects (the tracking
   * table is first kept within its limit, as Redis's processCommand does).
   */
  execute(c: Client, argv: Buffer[]): void {
    const tracking = this.tracking;
    if (tracking.clientCount > 0) {
      tracking.current = c;
      tracking.limitUsedSlots();
      this.outbox.flush();
    }
    this.dispatcher.execute(c, argv);
    if (this.outbox.size > 0) this.outbox.flush();
    if (c.tracking !== null) tracking.afterCommand(c);
    tracking.current = null;
  }

  replyError(c: Client, message: string): void {
    this.dispatcher.replyError(c, message);
  }

  replyTag(): number {
    return this.release!.replyTag();
  }

  readonly hold = (send: (tag: number) => void): void => this.outbox.add(send);

  needsRelease(c: Client): void {
    this.release!.needsRelease(c);
  }

  isBlockedOnKeys(c: Client): boolean {
    return this.blocking.has(c);
  }

  forget(c: Client): void {
    this.clients.delete(c.id);
    this.release!.forget(c);
    if (c.tracking !== null) this.tracking.disable(c);
    this.blocking.forget(c);
    this.watches.unwatch(c);
    this.pubsub.unsubscribeAll(c);
    this.monitors.delete(c);
    this.pause.forget(c);
    this.replication.forget(c.id);
  }

  // ---------------------------------------------------------------- ServerServices, InfoSource

  /**
   * Logs an effect to the WAL (inside EXEC: collects it for the
   * transaction's record) after touching the watched keys it writes.
   */
  propagate(db: number, args: readonly EffectArg[]): number {
    if (this.watches.active || this.tracking.active) this.touchKeys(db, args);
    if (this.applyingRecord) return this.wal.lastLsn;
    if (this.execEffects !== null) {
      this.execEffects.push({ db, payload: encodePayload(args) });
      return 0;
    }
    return this.wal.append(db, args);
  }

  /**
   * Touches the watched keys effect `args` writes in database `db`
   * (src/commands/watch.ts), and invalidates for client-side caching the
   * keys it may change, or every key for an effect without keys (FLUSHDB,
   * FLUSHALL), by its key specs (src/commands/tracking.ts).
   */
  private touchKeys(db: number, args: readonly EffectArg[]): void {
    const argv = args.map((a) => (typeof a === 'string' ? Buffer.from(a, 'latin1') : a));
    const spec = this.effects.lookup(argv);
    if (spec === undefined) return;
    const written = keyPositions(spec, argv, true) ?? [];
    const others = spec.otherDbKeys?.(argv) ?? [];
    if (this.watches.active) {
      for (const i of written) this.watches.touchKey(db, argv[i]!);
      for (const k of others) this.watches.touchKey(k.db, k.key);
    }
    const tracking = this.tracking;
    if (!tracking.active) return;
    if (spec.keys.length === 0) return tracking.invalidateAll();
    for (const i of written) tracking.invalidateKey(argv[i]!);
    for (const k of others) tracking.invalidateKey(k.key);
  }

  signalModifiedKey(db: number, key: Uint8Array): void {
    if (this.watches.active) this.watches.touchKey(db, key);
    if (this.tracking.active) this.tracking.invalidateKey(key);
  }

  notify(type: number, event: string, key: Uint8Array, db: number): void {
    if ((this.keyspaceEvents.flags & type) !== 0) this.keyspaceEvents.fire(event, key, db);
  }

  call(c: CommandContext, spec: CommandSpec, argv: Buffer[]): void {
    this.dispatcher.call(c, spec, argv);
  }

  beginExec(): void {
    this.execEffects = [];
    this.pause.execRunning(true);
  }

  get inExec(): boolean {
    return this.execEffects !== null;
  }

  endExec(db: number): number {
    const effects = this.execEffects;
    this.execEffects = null;
    const lsn = effects !== null && effects.length > 0 ? this.wal.appendTransaction(db, effects) : 0;
    if (this.blocking.size > 0) this.blocking.handleReady();
    this.pause.execRunning(false);
    return lsn;
  }

  info(sections: readonly string[]): string {
    return infoText(this, sections);
  }

  get configFile(): string {
    return this.config.file;
  }

  get latencyPercentiles(): string {
    return this.config.get('latency-tracking-info-percentiles');
  }

  /** INFO `blocked_clients`: waiting on keys, or held by CLIENT PAUSE (Redis counts both). */
  get blockedClients(): number {
    return this.blocking.size + this.pause.heldCount;
  }

  /** INFO `instantaneous_ops_per_sec`: mean over the last 1.6 s. */
  get opsPerSec(): number {
    return this.rates.opsPerSec;
  }

  /** Raises {@link usedMemoryPeak} to `used` when higher. */
  notePeak(used: number): void {
    if (used > this.usedMemoryPeak) this.usedMemoryPeak = used;
  }

  /** CONFIG RESETSTAT. */
  resetStats(): void {
    Object.assign(this.stats, freshStats());
    this.rates.reset();
    this.loopDelay.reset();
    this.keyspace.expiredKeys = 0;
    this.evictor.evictedKeys = 0;
    this.timing.reset(this.commands.all());
  }

  // ---------------------------------------------------------------- cron

  private serverCron(): void {
    if (this.stopping || this.debug.cronPaused) return;
    const t0 = this.latency.threshold > 0 ? performance.now() : 0;
    const expired = this.debug.activeExpire ? this.keyspace.activeExpire(5) : 0;
    if (t0 > 0) this.latency.addIfNeeded('expire-cycle', performance.now() - t0);
    if (this.tracking.clientCount > 0) this.tracking.limitUsedSlots();
    this.outbox.flush();
    this.keyspace.compact(2 * 1024 * 1024);
    this.keyspace.rehashMilliseconds(2);
    for (const db of this.keyspace.dbs) db.maybeShrink();
    if (expired > 0) this.wal.flush();
    this.notePeak(this.keyspace.dataBytes);
    this.closeIdleClients();
    // Over maxmemory with no write to make room (data restored from disk, a
    // snapshot writing collection images): evict in the background.
    if (this.evictor.excess > 0) this.evictInBackground();
    this.maybeSnapshot();
    this.rates.sample(this.stats);
  }

  /** Starts a background snapshot when `snapshot-interval` or `snapshot-wal-bytes` says so. */
  private maybeSnapshot(): void {
    const snap = this.snapshots;
    if (snap.inProgress || this.wal.failure !== null) return;
    const changed = this.wal.lastLsn > (snap.newest?.coveredLsn ?? 0);
    if (!changed) return;
    const walBytes = this.config.get('snapshot-wal-bytes');
    const interval = this.config.get('snapshot-interval');
    let reason: string | null = null;
    if (walBytes > 0 && this.wal.bytesWritten - snap.walBytesAtFreeze >= walBytes) reason = 'snapshot-wal-bytes';
    else if (interval > 0 && Date.now() - snap.lastFreezeAt >= interval * 1000) reason = 'snapshot-interval';
    if (reason !== null) this.snapshots.take(reason).catch(() => {});
  }

  /**
   * `timeout`: closes clients idle longer than that many seconds (Redis's
   * `clientsCronHandleTimeout`). Blocked clients wait for their own timeout.
   */
  private closeIdleClients(): void {
    const timeout = this.config.get('timeout');
    if (timeout === 0) return;
    const cutoff = Date.now() - timeout * 1000;
    for (const c of this.clients.values()) {
      if (c.lastInteraction < cutoff && !c.isBlocked && c.unsentBytes === 0) {
        this.log.debug({ id: c.id, addr: c.addr }, 'closing idle client');
        c.destroy();
      }
    }
  }

  // ---------------------------------------------------------------- shutdown

  /**
   * Shuts down in the background and resolves {@link stopped} with the exit code (0: clean).
   *
   * @param save take a snapshot first (false for SHUTDOWN NOSAVE)
   */
  requestShutdown(reason: string, save = true): void {
    this.shutdown(reason, save).then(
      () => this.resolveStopped(0),
      () => this.resolveStopped(1),
    );
  }

  /**
   * Stops accepting and reading, takes a snapshot (so the next start has
   * little WAL to replay), makes every appended record durable, closes
   * connections and releases the lock (SHUTDOWN, SIGTERM, SIGINT).
   *
   * @param save take a snapshot first
   * @throws the WAL error when pending records could not be written
   */
  shutdown(reason: string, save = true): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      this.log.info({ reason, save }, 'shutting down');
      if (this.cron) clearInterval(this.cron);
      this.replication.stop();
      // Stop accepting and reading; open connections close below, once their replies are out.
      this.listener.close();
      this.http.close();
      for (const c of this.clients.values()) c.socket.pause();
      let error: unknown = null;
      if (save && this.wal.failure === null) await this.finalSnapshot();
      try {
        await this.snapshots.close();
        await this.wal.close();
        this.release!.release(this.wal.releasableLsn);
      } catch (err) {
        error = err;
        this.log.error(
          { err: (err as Error).message },
          'WAL could not be flushed at shutdown; unacknowledged writes are lost',
        );
      }
      for (const c of this.clients.values()) c.destroy();
      this.lock?.release();
      this.lock = null;
      if (error) throw error;
      this.log.info({ lastLsn: this.wal.lastLsn }, 'FlashCache is now ready to exit, bye bye');
    })();
    return this.stopping;
  }

  /**
   * The shutdown snapshot and, when nothing changed after it, the index
   * saved beside it so that the next start need not rebuild the index.
   * A failure is logged; the WAL still holds everything.
   */
  private async finalSnapshot(): Promise<void> {
    try {
      const m = await this.snapshots.take('shutdown');
      if (m.coveredLsn === this.wal.lastLsn && !this.keyspace.arena.dirty.includes(1)) {
        const dbs = this.keyspace.dbs.map((db) => db.indexForSave());
        await writeIndexFile(join(this.dir, 'snapshot'), m.seq, { seed: this.keyspace.seed, dbs });
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'no snapshot or index at shutdown');
    }
  }
}
