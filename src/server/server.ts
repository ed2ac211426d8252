/**
 * The server: lifecycle (lock, recover, listen, shut down), command dispatch,
 * the end-of-turn hook that starts the WAL's group commit, and reply release
 * when the WAL reports a durable LSN.
 *
 * One event-loop turn (docs/ARCHITECTURE.md, "One turn"):
 * 1. sockets deliver bytes; each connection runs its complete commands;
 * 2. write handlers change the keyspace and append effect records;
 * 3. each connection seals its replies, tagged with the WAL's tail LSN;
 * 4. `setImmediate` (after all reads of this turn) calls {@link Server.endOfTurn}:
 *    the WAL starts writing the batch, and replies that need nothing are sent;
 * 5. when the batch is durable, the waiting replies are sent.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { DEFAULT_LIMITS, type DecoderLimits } from '../protocol/decoder.js';
import { Keyspace } from '../store/keyspace.js';
import { accessModeOf, Evictor, EvictResult, evictionTimeLimitUs, type EvictionPolicy } from '../store/eviction.js';
import { Wal, type EffectArg, decodePayload } from '../persistence/wal.js';
import { replayWal, WalCorruptionError, type ReplayResult, type WalRecoveryPolicy } from '../persistence/recovery.js';
import { loadSnapshot, type LoadResult } from '../persistence/loader.js';
import { Snapshotter } from '../persistence/snapshot.js';
import { readIndexFile, writeIndexFile } from '../persistence/indexfile.js';
import { MAX_RECORD_PAYLOAD } from '../persistence/format.js';
import { lockDataDir, type DirLock } from '../persistence/lock.js';
import { arityOk, keyPositions, type CommandSpec, CommandTable } from '../commands/table.js';
import { allCommands } from '../commands/index.js';
import { BlockingRegistry } from './blocking.js';
import { Client } from './client.js';
import { ConfigError, parseOutputBufferLimits, parseRenames, type Config, type OutputBufferLimit } from './config.js';
import type { Logger } from './logger.js';

/** Counters reported by INFO stats. */
export interface Stats {
  totalConnections: number;
  totalCommands: number;
  rejectedConnections: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  netInputBytes: number;
  netOutputBytes: number;
  errorReplies: number;
  /** Clients closed for passing client-output-buffer-limit or client-query-buffer-limit. */
  bufferLimitDisconnections: number;
  /** Failed AUTH and HELLO AUTH (INFO `acl_access_denied_auth`). */
  authFailures: number;
}

function freshStats(): Stats {
  return {
    totalConnections: 0,
    totalCommands: 0,
    rejectedConnections: 0,
    keyspaceHits: 0,
    keyspaceMisses: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    errorReplies: 0,
    bufferLimitDisconnections: 0,
    authFailures: 0,
  };
}

/** Redis's MISCONF wording for a log that cannot be written (aof.c). */
function misconfMessage(err: NodeJS.ErrnoException): string {
  const what = err.code === 'ENOSPC' ? 'No space left on device' : err.message;
  return `MISCONF Errors writing to the AOF file: ${what}`;
}

/** Redis's reply to a write that would grow memory past `maxmemory` (server.c `shared.oomerr`). */
export const OOM_ERROR = "OOM command not allowed when used memory > 'maxmemory'.";

/** Sampling period of the event-loop delay histogram, ms. */
export const LOOP_DELAY_RESOLUTION_MS = 2;

/** Start-up cannot rebuild the data; the message says why and what to do. */
export class RecoveryError extends Error {
  override readonly name = 'RecoveryError';
}

/** Removes `*.tmp` files left by a crash while a manifest or segment was being written. */
function removeTemporaryFiles(dir: string): void {
  for (const name of readdirSync(dir)) if (name.endsWith('.tmp')) rmSync(join(dir, name), { force: true });
}

/** A running FlashCache server. */
export class Server {
  readonly keyspace: Keyspace;
  /** Removes keys by `maxmemory-policy` when the data outgrows `maxmemory`. */
  readonly evictor: Evictor;
  /** The commands clients call, after `rename-command`. */
  readonly commands = new CommandTable();
  /**
   * Every command under its own name, for replaying effects from the WAL:
   * they are logged under their real names whatever clients call them.
   */
  private readonly effects = new CommandTable();
  readonly stats: Stats = freshStats();
  readonly clients = new Map<number, Client>();
  /** Clients blocked on keys (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH). */
  readonly blocking = new BlockingRegistry(this);
  /** Next CLIENT ID. */
  nextClientId = 1;
  /** Unix ms at start. */
  readonly startedAt = Date.now();
  /** True while the WAL is being replayed: no effects are logged, no clock applies. */
  replaying = false;
  /** What start-up recovery did. */
  recovery: ReplayResult | null = null;
  /** Seconds start-up recovery took. */
  recoverySeconds = 0;
  /** Port actually listened on. */
  port = 0;
  /** TLS port actually listened on; 0 when TLS is off. */
  tlsPort = 0;
  wal!: Wal;
  snapshots!: Snapshotter;
  /** The snapshot start-up loaded, if any. */
  loadedSnapshot: { seq: number; pages: number; coveredLsn: number; index: 'saved' | 'rebuilt' } | null = null;
  readonly dir: string;
  readonly limits: DecoderLimits;

  private net: NetServer[] = [];
  private lock: DirLock | null = null;
  private readonly pendingRelease = new Set<Client>();
  private readonly waiting = new Set<Client>();
  private turnScheduled = false;
  /**
   * Connections served at once: `maxclients`, lowered at start when the
   * process may not open that many files (as Redis's `adjustOpenFilesLimit`).
   */
  maxClients: number;
  /** `client-output-buffer-limit` for normal clients. */
  outputLimit: OutputBufferLimit = { hard: 0, soft: 0, softSeconds: 0 };
  /** The open-files limit the process runs with (INFO `open_files_limit`). */
  openFilesLimit = 0;
  /** Highest `used_memory` seen by INFO or the cron, bytes. */
  usedMemoryPeak = 0;
  /** True while keys are evicted in the background (after a command's time limit ran out, or maxmemory was lowered). */
  private evicting = false;
  private cron: NodeJS.Timeout | null = null;
  private shuttingDown: Promise<void> | null = null;
  /** Keys a read could see that are not durable, while the WAL is failing: `db:hex(key)`. */
  private tainted: Set<string> | null = null;
  private taintedDbs: Set<number> | null = null;
  private opsSamples: number[] = [];
  /**
   * Event-loop delay since start or CONFIG RESETSTAT (perf_hooks, sampled by
   * a timer every {@link LOOP_DELAY_RESOLUTION_MS}): the stall figures INFO
   * stats reports. Each sample is the time between two timer callbacks.
   */
  readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  private lastOpsSample = { at: performance.now(), commands: 0 };
  private readonly replayClient: Client;
  private resolveStopped: (code: number) => void = () => {};
  /** Resolves with the process exit code once the server has shut down. */
  readonly stopped: Promise<number> = new Promise((r) => (this.resolveStopped = r));

  /**
   * @param config resolved settings
   * @param log lifecycle logger
   */
  constructor(
    readonly config: Config,
    readonly log: Logger,
  ) {
    this.dir = resolve(config.get('dir'));
    this.limits = { ...DEFAULT_LIMITS, maxBulkLen: config.get('proto-max-bulk-len') };
    this.keyspace = new Keyspace(config.get('databases'), {
      onExpired: (db, key) => {
        if (!this.replaying) this.wal.append(db, ['DEL', key]);
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
          this.wal.append(db, ['DEL', key]);
        },
      },
    );
    this.maxClients = config.get('maxclients');
    const applyOutputLimit = (text: string): void => {
      const normal = parseOutputBufferLimits(text)?.get('normal');
      if (normal !== undefined) this.outputLimit = normal;
    };
    applyOutputLimit(config.get('client-output-buffer-limit'));
    config.onChange('client-output-buffer-limit', (v) => applyOutputLimit(v as string));
    this.applyPolicy(config.get('maxmemory-policy'));
    this.keyspace.lfuLogFactor = config.get('lfu-log-factor');
    this.keyspace.lfuDecayTime = config.get('lfu-decay-time');
    this.commands.add(allCommands());
    this.effects.add(allCommands());
    for (const [from, to] of parseRenames(config.get('rename-command')) ?? []) {
      if (to !== '' && this.commands.get(to) !== undefined) throw new ConfigError(`invalid rename-command '${from}' '${to}': Target command name already exists`);
      const ok = to === '' ? this.commands.delete(from) : this.commands.rename(from, to);
      if (!ok) throw new ConfigError(`invalid rename-command '${from}': no such command`);
    }
    this.replayClient = new Client(this, null, this.limits);
    config.onChange('appendfsync', (v) => this.wal.setAppendfsync(v as 'always' | 'everysec' | 'no'));
    config.onChange('wal-segment-size', (v) => (this.wal.segmentSize = v as number));
    config.onChange('log-level', (v) => (this.log.level = v as string));
    config.onChange('proto-max-bulk-len', (v) => (this.limits.maxBulkLen = v as number));
    config.onChange('maxmemory', (v) => {
      this.evictor.settings.maxmemory = v as number;
      if (this.evictor.excess > 0) {
        this.log.warn(
          { maxmemory: v, used: this.keyspace.dataBytes, policy: this.evictor.settings.policy },
          'the new maxmemory is below the memory in use: keys will be evicted, or writes refused under noeviction',
        );
        this.evictInBackground();
      }
    });
    config.onChange('maxmemory-policy', (v) => {
      this.applyPolicy(v as EvictionPolicy);
      this.evictInBackground();
    });
    config.onChange('maxclients', (v) => (this.maxClients = v as number));
    config.onChange('maxmemory-samples', (v) => (this.evictor.settings.samples = v as number));
    config.onChange('maxmemory-eviction-tenacity', (v) => (this.evictor.settings.timeLimitUs = evictionTimeLimitUs(v as number)));
    config.onChange('lfu-log-factor', (v) => (this.keyspace.lfuLogFactor = v as number));
    config.onChange('lfu-decay-time', (v) => (this.keyspace.lfuDecayTime = v as number));
  }

  /** Switches the eviction policy (and what keys' access words mean: Keyspace.setAccessMode). */
  private applyPolicy(policy: EvictionPolicy): void {
    this.evictor.settings.policy = policy;
    this.keyspace.setAccessMode(accessModeOf(policy));
    this.evictor.reset();
  }

  /**
   * Evicts in steps of the tenacity's time limit, one per event-loop
   * iteration, until the data fits `maxmemory` (Redis's
   * `evictionTimeProc`): after CONFIG SET lowered the limit, or when a
   * command's own eviction ran out of time. Each step's DELs are written at
   * once, since no reply may be waiting to start the group commit.
   */
  evictInBackground(): void {
    if (this.evicting || this.evictor.excess <= 0 || this.shuttingDown || this.replaying) return;
    this.evicting = true;
    const step = (): void => {
      if (this.shuttingDown || this.wal.failure !== null) {
        this.evicting = false;
        return;
      }
      const result = this.evictor.evict(Math.max(this.evictor.settings.timeLimitUs, 1000));
      this.wal.flush();
      if (result === EvictResult.Running) setImmediate(step);
      else this.evicting = false;
    };
    setImmediate(step);
  }

  /**
   * Locks the data directory, loads the newest usable snapshot, replays the
   * WAL after it, opens the WAL for appending and starts listening.
   *
   * @throws DirectoryLockedError, WalCorruptionError, RecoveryError, or a listen error
   */
  async start(): Promise<void> {
    const t0 = performance.now();
    // TLS files first: a bad certificate should stop start-up before a long recovery, not after.
    const tls = this.config.get('tls-port') !== 0 ? this.tlsOptions() : null;
    this.lock = lockDataDir(this.dir);
    const snapDir = join(this.dir, 'snapshot');
    mkdirSync(snapDir, { recursive: true });
    removeTemporaryFiles(snapDir);
    const { loaded, fromLsn, replayed } = this.recover({ readOnly: false, policy: this.config.get('wal-recovery') });
    this.wal = await Wal.open({
      dir: join(this.dir, 'wal'),
      segmentSize: this.config.get('wal-segment-size'),
      appendfsync: this.config.get('appendfsync'),
      nextLsn: Math.max(fromLsn, replayed.lastLsn) + 1,
    });
    this.wal.onDurable = (lsn) => this.releaseWaiting(lsn);
    this.wal.onFailure = (err) => this.walFailureChanged(err);
    this.snapshots = await Snapshotter.open(snapDir, this.keyspace.arena, this.wal, this.log, loaded.retained);
    this.snapshots.prepare = () => this.keyspace.writeImages();
    // Keys that expired while the server was down go now, each logged as a delete.
    this.keyspace.activeExpire(Number.POSITIVE_INFINITY);
    this.wal.flush();
    this.recoverySeconds = (performance.now() - t0) / 1000;
    this.log.info(
      {
        keys: this.keyspace.keyCount,
        pages: this.keyspace.arena.pageCount,
        snapshot: loaded.manifest?.seq ?? null,
        index: this.loadedSnapshot?.index ?? 'rebuilt',
        coveredLsn: fromLsn,
        records: replayed.records,
        segments: replayed.segments,
        lastLsn: this.wal.lastLsn,
        seconds: Number(this.recoverySeconds.toFixed(3)),
      },
      `recovered ${this.keyspace.keyCount} keys in ${this.keyspace.arena.pageCount} pages` +
        (loaded.manifest ? ` from snapshot ${loaded.manifest.seq}` : '') +
        ` and ${replayed.records} WAL records in ${this.recoverySeconds.toFixed(3)} s`,
    );
    this.adjustOpenFilesLimit();
    await this.listen(tls);
    this.loopDelay.enable();
    this.cron = setInterval(() => this.serverCron(), 100);
    this.cron.unref();
  }

  /**
   * Rebuilds the keyspace from the data directory: the newest usable
   * snapshot, then the WAL after it. Start-up uses it, and so does cache-dump
   * (`keys`, `export`) with `readOnly`, which leaves every file as it is:
   * nothing renamed, truncated or synced, no lock taken.
   *
   * @throws WalCorruptionError or RecoveryError when the data cannot be rebuilt under `policy`
   */
  recover(opts: { readOnly: boolean; policy: WalRecoveryPolicy }): { loaded: LoadResult; fromLsn: number; replayed: ReplayResult } {
    const snapDir = join(this.dir, 'snapshot');
    const loaded = loadSnapshot(snapDir, this.log, opts.readOnly);
    const fromLsn = loaded.manifest?.coveredLsn ?? 0;
    if (loaded.manifest !== null) {
      const index = readIndexFile(snapDir, loaded.manifest.seq, this.keyspace.dbs.length);
      if (typeof index === 'string') this.log.warn({ seq: loaded.manifest.seq, reason: index }, 'saved index unusable; rebuilding it from the snapshot');
      const adopted = this.keyspace.install(loaded.pages, loaded.manifest.headPage, index !== null && typeof index === 'object' ? index : undefined);
      this.loadedSnapshot = { seq: loaded.manifest.seq, pages: loaded.pages.length, coveredLsn: fromLsn, index: adopted ? 'saved' : 'rebuilt' };
    } else if (loaded.damaged.length > 0) {
      this.log.warn({ damaged: loaded.damaged }, 'no usable snapshot: falling back to the WAL alone');
    }
    let replayed: ReplayResult;
    try {
      replayed = this.replay(join(this.dir, 'wal'), fromLsn, opts);
      this.recovery = replayed;
    } catch (err) {
      if (err instanceof WalCorruptionError && err.problem === null && loaded.manifest === null && loaded.damaged.length > 0) {
        throw new RecoveryError(
          `no usable snapshot (${loaded.damaged.map((d) => `MANIFEST-${d.seq}: ${d.reason}`).join('; ')}) and the WAL no longer reaches back to LSN 1, ` +
            `so the data cannot be rebuilt.` +
            (opts.readOnly ? '' : ` The damaged manifests were renamed *.damaged in ${snapDir}; inspect them with 'cache-dump snapshot verify ${this.dir}'.`),
        );
      }
      throw err;
    }
    return { loaded, fromLsn, replayed };
  }

  private replay(walDir: string, fromLsn: number, opts: { readOnly: boolean; policy: WalRecoveryPolicy }): ReplayResult {
    this.replaying = true;
    this.keyspace.expiryEnabled = false;
    const c = this.replayClient;
    try {
      return replayWal({
        dir: walDir,
        policy: opts.policy,
        readOnly: opts.readOnly,
        fromLsn,
        warn: (msg, fields) => this.log.warn(fields, msg),
        apply: (rec) => {
          const args = decodePayload(rec.payload);
          const argv = args.map((a) => (typeof a === 'string' ? Buffer.from(a, 'latin1') : a));
          if (rec.db >= this.keyspace.dbs.length) {
            throw new Error(`WAL record LSN ${rec.lsn} is for database ${rec.db}, but 'databases' is ${this.keyspace.dbs.length}`);
          }
          c.select(rec.db);
          const spec = this.effects.get(String(args[0]));
          if (spec === undefined) throw new RecoveryError(`WAL record LSN ${rec.lsn} holds unknown effect ${String(args[0])}`);
          const errors = c.reply.errors;
          spec.handler(c, argv);
          c.reply.discard();
          if (c.reply.errors !== errors) {
            // An effect that fails on replay means the rebuilt state would differ
            // from the acknowledged one: stop, as Redis stops loading a bad AOF.
            throw new RecoveryError(
              `WAL record LSN ${rec.lsn} (db ${rec.db}, ${String(args[0])}) failed on replay: ${c.reply.lastError}. ` +
                `Inspect the log with 'cache-dump wal cat ${join(this.dir, 'wal')} --from-lsn ${rec.lsn} --to-lsn ${rec.lsn}'.`,
            );
          }
        },
      });
    } finally {
      this.replaying = false;
      this.keyspace.expiryEnabled = true;
    }
  }

  /**
   * Makes room for `maxclients` connections plus the server's own files (as
   * Redis's `adjustOpenFilesLimit`, with its 32 reserved descriptors). Node
   * already raises the soft open-files limit to the hard one at start; when
   * even that is too few, `maxclients` is lowered to fit, with a warning.
   */
  private adjustOpenFilesLimit(): void {
    const RESERVED = 32;
    const want = this.maxClients + RESERVED;
    let m: RegExpExecArray | null = null;
    try {
      m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    } catch {
      // Not Linux: nothing to read, nothing to adjust.
    }
    if (m === null) return;
    const soft = m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
    this.openFilesLimit = soft;
    if (soft < want) {
      const fit = Math.max(1, soft - RESERVED);
      this.log.warn(
        { maxclients: this.maxClients, openFilesLimit: soft, reducedTo: fit },
        `the open-files limit (${soft}) is too low for maxclients ${this.maxClients}; serving at most ${fit} clients. Raise it (ulimit -n) to serve more.`,
      );
      this.maxClients = fit;
    }
  }

  /** @param tls the TLS listeners' options, or null for no TLS port */
  private async listen(tls: import('node:tls').TlsOptions | null): Promise<void> {
    const binds = this.config.get('bind').split(/\s+/).filter(Boolean);
    const listenOn = async (srv: NetServer, host: string, port: number): Promise<number> => {
      await new Promise<void>((resolveListen, reject) => {
        srv.once('error', reject);
        srv.listen({ port, host, backlog: 511 }, () => {
          srv.off('error', reject);
          resolveListen();
        });
      });
      this.net.push(srv);
      const addr = srv.address();
      return addr !== null && typeof addr === 'object' ? addr.port : port;
    };
    let port = this.config.get('port');
    for (const host of binds) port = await listenOn(createServer({ noDelay: true }, (socket) => this.accept(socket)), host, port);
    this.port = port;
    if (tls !== null) {
      const optional = this.config.get('tls-auth-clients') === 'optional';
      let p = this.config.get('tls-port');
      for (const host of binds) {
        const srv = createTlsServer(tls, (socket: TLSSocket) => {
          // optional: no certificate is fine, a certificate that does not verify is not.
          if (optional && !socket.authorized && Object.keys(socket.getPeerCertificate()).length > 0) {
            this.log.debug({ err: String(socket.authorizationError), addr: socket.remoteAddress }, 'TLS client certificate rejected');
            socket.destroy();
            return;
          }
          this.accept(socket);
        });
        // A failed handshake (no or a bad client certificate) concerns that connection only.
        srv.on('tlsClientError', (err, socket) => {
          this.log.debug({ err: err.message, addr: socket.remoteAddress }, 'TLS handshake failed');
          socket.destroy();
        });
        p = await listenOn(srv, host, p);
      }
      this.tlsPort = p;
    }
    this.log.info(
      { port, tlsPort: this.tlsPort || undefined, bind: binds, dir: this.dir, appendfsync: this.config.get('appendfsync') },
      `ready to accept connections on ${binds.join(', ')} port ${port}` + (this.tlsPort ? ` and TLS port ${this.tlsPort}` : ''),
    );
  }

  /**
   * The TLS server options from `tls-cert-file`, `tls-key-file`,
   * `tls-ca-cert-file` and `tls-auth-clients` (Redis's TLS settings,
   * https://redis.io/docs/latest/operate/oss_and_stack/management/security/encryption/).
   *
   * @throws ConfigError naming a missing or unreadable file
   */
  private tlsOptions(): import('node:tls').TlsOptions {
    const read = (setting: 'tls-cert-file' | 'tls-key-file' | 'tls-ca-cert-file', required: boolean): Buffer | undefined => {
      const path = this.config.get(setting);
      if (path === '') {
        if (required) throw new ConfigError(`tls-port is set but ${setting} is not`);
        return undefined;
      }
      try {
        return readFileSync(path);
      } catch (err) {
        throw new ConfigError(`cannot read ${setting} ${path}: ${(err as Error).message}`);
      }
    };
    const auth = this.config.get('tls-auth-clients');
    const cert = read('tls-cert-file', true);
    const key = read('tls-key-file', true);
    return {
      cert,
      key,
      ca: read('tls-ca-cert-file', auth !== 'no'),
      requestCert: auth !== 'no',
      rejectUnauthorized: auth === 'yes',
    };
  }

  private accept(socket: Socket): void {
    if (this.shuttingDown) {
      socket.destroy();
      return;
    }
    // networking.c acceptCommonHandler: the client limit, then protected mode.
    if (this.clients.size >= this.maxClients) {
      this.refuse(socket, 'ERR max number of clients reached');
      return;
    }
    if (this.config.get('protected-mode') && this.config.get('requirepass') === '' && !isLoopback(socket.remoteAddress)) {
      this.refuse(socket, PROTECTED_MODE_DENIED);
      return;
    }
    const keepalive = this.config.get('tcp-keepalive');
    if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    this.stats.totalConnections++;
    const c = new Client(this, socket, this.limits);
    this.clients.set(c.id, c);
    socket.on('data', (chunk: Buffer) => {
      this.stats.netInputBytes += chunk.length;
      c.onData(chunk);
    });
    socket.on('error', () => c.destroy());
    socket.on('close', () => c.destroy());
  }

  /**
   * Answers a connection that will not be served with one error and closes
   * it: input is read and dropped so the peer's close is seen, and the socket
   * is destroyed after a second whatever the peer does, so refused
   * connections cannot pile up and use the descriptors up.
   */
  private refuse(socket: Socket, error: string): void {
    this.stats.rejectedConnections++;
    socket.on('error', () => {});
    socket.end(`-${error}\r\n`);
    socket.resume();
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  /** Forgets a closed connection. */
  forget(c: Client): void {
    this.clients.delete(c.id);
    this.pendingRelease.delete(c);
    this.waiting.delete(c);
    this.blocking.forget(c);
  }

  /**
   * Runs one command for `c`: table lookup, arity, MISCONF, handler.
   * Replies go to `c.reply`; nothing is sent here.
   */
  execute(c: Client, argv: Buffer[]): void {
    const nameBuf = argv[0]!;
    let spec = c.sameCommand(nameBuf);
    if (spec === undefined) {
      spec = this.commands.get(nameBuf.latin1Slice(0, nameBuf.length));
      if (spec !== undefined) c.rememberCommand(nameBuf, spec);
    }
    if (spec === undefined) {
      this.stats.errorReplies++;
      c.reply.error(unknownCommand(argv));
      return;
    }
    if (spec.subcommands !== undefined) {
      if (argv.length < 2) {
        c.reply.error(`ERR wrong number of arguments for '${spec.name}' command`);
        return;
      }
      const sub = spec.subcommands.get(argv[1]!.toString('latin1').toLowerCase());
      if (sub === undefined) {
        c.reply.error(`ERR unknown subcommand '${argv[1]!.toString('latin1').slice(0, 128)}'. Try ${spec.name.toUpperCase()} HELP.`);
        return;
      }
      spec = sub;
    }
    if (!arityOk(spec.arity, argv.length)) {
      this.stats.errorReplies++;
      c.reply.error(`ERR wrong number of arguments for '${spec.name}' command`);
      return;
    }
    // Redis's processCommand: unknown command and arity errors come before NOAUTH.
    if (!c.authenticated && !spec.flags.includes('no_auth') && this.config.get('requirepass') !== '') {
      this.stats.errorReplies++;
      c.reply.error('NOAUTH Authentication required.');
      return;
    }
    c.lastCommand = spec.name;
    this.stats.totalCommands++;
    if (spec.isWrite && argvBytes(argv) > MAX_EFFECT_BYTES) {
      this.stats.errorReplies++;
      c.reply.error(`ERR command arguments exceed the ${MAX_EFFECT_BYTES} bytes one WAL record can hold`);
      return;
    }
    const failure = this.wal.failure;
    if (failure !== null) {
      this.executeWhileFailing(c, spec, argv, failure);
      return;
    }
    // maxmemory (Redis's processCommand): make room before a write that can
    // grow memory; refuse it when nothing more can be evicted.
    if (spec.isDenyOom === true && this.evictor.settings.maxmemory > 0) {
      const result = this.evictor.evict();
      if (result === EvictResult.Fail) {
        this.stats.errorReplies++;
        c.reply.error(OOM_ERROR);
        return;
      }
      if (result === EvictResult.Running) this.evictInBackground();
    }
    this.run(c, spec, argv);
    // Serve clients blocked on keys this write may have filled (Redis calls
    // handleClientsBlockedOnKeys after each command). Free while none is blocked.
    if (spec.isWrite && this.blocking.size > 0) this.blocking.afterWrite(c, spec, argv);
  }

  /** Runs a handler; a bug in one answers an error to that client and never takes the server down. */
  private run(c: Client, spec: CommandSpec, argv: Buffer[]): void {
    try {
      spec.handler(c, argv);
    } catch (err) {
      this.stats.errorReplies++;
      this.log.error({ err, command: spec.name }, 'command handler failed');
      c.reply.error(`ERR internal error in '${spec.name}': ${(err as Error).message}`);
    }
  }

  /**
   * While the WAL cannot be written: writes are refused with MISCONF; reads run
   * and are released at once unless they could see a change that is not yet
   * durable (then they wait with everything else).
   */
  private executeWhileFailing(c: Client, spec: CommandSpec, argv: Buffer[], failure: NodeJS.ErrnoException): void {
    c.seal(this.replyTag());
    if (spec.isWrite) {
      this.stats.errorReplies++;
      c.reply.error(misconfMessage(failure));
      c.seal(this.wal.durableLsn);
      return;
    }
    this.run(c, spec, argv);
    c.seal(this.couldSeeUndurable(c, spec, argv) ? this.wal.lastLsn : this.wal.durableLsn);
  }

  private couldSeeUndurable(c: Client, spec: CommandSpec, argv: Buffer[]): boolean {
    if (this.tainted === null) return false;
    if (this.taintedDbs!.has(-1) || this.taintedDbs!.has(c.dbIndex)) return true;
    const positions = keyPositions(spec, argv.length);
    if (positions.length === 0) return spec.flags.includes('readonly') && this.tainted.size > 0;
    for (const i of positions) if (this.tainted.has(`${c.dbIndex}:${argv[i]!.toString('hex')}`)) return true;
    return false;
  }

  private walFailureChanged(err: NodeJS.ErrnoException | null): void {
    if (err === null) {
      this.tainted = null;
      this.taintedDbs = null;
      this.log.warn({ durableLsn: this.wal.durableLsn }, 'WAL writes work again; accepting writes');
      return;
    }
    this.log.error({ err: err.message, code: err.code }, 'WAL write failed: refusing writes (MISCONF) and retrying every second');
    const tainted = new Set<string>();
    const dbs = new Set<number>();
    this.wal.forEachUndurable((db, payload) => {
      const args = decodePayload(payload);
      const spec = this.effects.get(String(args[0]));
      if (spec === undefined || spec.firstKey === 0) {
        dbs.add(String(args[0]).toLowerCase() === 'flushall' ? -1 : db);
        return;
      }
      const hex = (k: EffectArg): string => (typeof k === 'string' ? Buffer.from(k, 'latin1') : k).toString('hex');
      for (const i of keyPositions(spec, args.length)) tainted.add(`${db}:${hex(args[i]!)}`);
      // Effects that write into another database name it in their arguments.
      const name = String(args[0]).toLowerCase();
      if (name === 'move') tainted.add(`${String(args[2])}:${hex(args[1]!)}`);
      if (name === 'copy') tainted.add(`${String(args[4])}:${hex(args[2]!)}`);
    });
    this.tainted = tainted;
    this.taintedDbs = dbs;
  }

  /**
   * Logs the effect of a change to the WAL (a no-op while replaying).
   * Every write handler ends by calling this for what it changed.
   *
   * @param db database index
   * @param args the effect: command name then arguments (docs/FORMAT.md, "Payload")
   * @returns the record's LSN, or 0 while replaying
   */
  propagate(db: number, args: readonly EffectArg[]): number {
    if (this.replaying) return 0;
    return this.wal.append(db, args);
  }

  /** The LSN a reply sealed now must wait for: the WAL's tail under `always`, else 0. */
  replyTag(): number {
    return this.wal.appendfsync === 'always' ? this.wal.lastLsn : 0;
  }

  /** Marks `c` as having sealed replies this turn, and schedules the end of the turn. */
  needsRelease(c: Client): void {
    this.pendingRelease.add(c);
    if (!this.turnScheduled) {
      this.turnScheduled = true;
      setImmediate(this.endOfTurn);
    }
  }

  /**
   * After every read of this turn: start the group commit of what the turn
   * appended, then send the replies that wait for nothing.
   */
  private readonly endOfTurn = (): void => {
    this.turnScheduled = false;
    this.wal.flush();
    const durable = this.wal.appendfsync === 'always' ? this.wal.durableLsn : Number.MAX_SAFE_INTEGER;
    for (const c of this.pendingRelease) {
      if (c.release(durable)) this.waiting.add(c);
    }
    this.pendingRelease.clear();
  };

  private releaseWaiting(lsn: number): void {
    for (const c of this.waiting) {
      if (!c.release(lsn)) this.waiting.delete(c);
    }
  }

  private serverCron(): void {
    if (this.shuttingDown) return;
    const expired = this.keyspace.activeExpire(5);
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
    const now = performance.now();
    const dt = now - this.lastOpsSample.at;
    const ops = ((this.stats.totalCommands - this.lastOpsSample.commands) * 1000) / dt;
    this.opsSamples.push(ops);
    if (this.opsSamples.length > 16) this.opsSamples.shift();
    this.lastOpsSample = { at: now, commands: this.stats.totalCommands };
  }

  /** Starts a background snapshot when `snapshot-interval` or `snapshot-wal-bytes` says so. */
  private maybeSnapshot(): void {
    const snap = this.snapshots;
    if (snap.inProgress || this.wal.failure !== null) return;
    const changed = this.wal.lastLsn > (snap.newest?.coveredLsn ?? 0);
    if (!changed) return;
    const walBytes = this.config.get('snapshot-wal-bytes') as number;
    const interval = this.config.get('snapshot-interval') as number;
    let reason: string | null = null;
    if (walBytes > 0 && this.wal.bytesWritten - snap.walBytesAtFreeze >= walBytes) reason = 'snapshot-wal-bytes';
    else if (interval > 0 && Date.now() - snap.lastFreezeAt >= interval * 1000) reason = 'snapshot-interval';
    if (reason !== null) this.snapshots.take(reason).catch(() => {});
  }

  /** Raises {@link usedMemoryPeak} to `used` when higher. */
  notePeak(used: number): void {
    if (used > this.usedMemoryPeak) this.usedMemoryPeak = used;
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

  /** INFO `instantaneous_ops_per_sec`: mean over the last 1.6 s. */
  get opsPerSec(): number {
    if (this.opsSamples.length === 0) return 0;
    return Math.round(this.opsSamples.reduce((a, b) => a + b, 0) / this.opsSamples.length);
  }

  /** CONFIG RESETSTAT. */
  resetStats(): void {
    Object.assign(this.stats, freshStats());
    // The ops/sec samples are differences of total_commands_processed: restart them with it.
    this.opsSamples = [];
    this.lastOpsSample = { at: performance.now(), commands: 0 };
    this.loopDelay.reset();
    this.keyspace.expiredKeys = 0;
    this.evictor.evictedKeys = 0;
  }

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
    if (this.shuttingDown) return this.shuttingDown;
    this.shuttingDown = (async () => {
      this.log.info({ reason, save }, 'shutting down');
      if (this.cron) clearInterval(this.cron);
      // Stop accepting and reading; open connections close below, once their replies are out.
      for (const s of this.net) s.close();
      for (const c of this.clients.values()) c.socket?.pause();
      let error: unknown = null;
      if (save && this.wal.failure === null) {
        try {
          const m = await this.snapshots.take('shutdown');
          // Nothing runs any more: save the index with the snapshot so the next start need not rebuild it.
          if (m.coveredLsn === this.wal.lastLsn && !this.keyspace.arena.dirty.includes(1)) {
            const dbs = this.keyspace.dbs.map((db) => db.indexForSave());
            await writeIndexFile(join(this.dir, 'snapshot'), m.seq, { seed: this.keyspace.seed, dbs });
          }
        } catch (err) {
          // A failed snapshot is logged by the snapshotter; the WAL still holds everything.
          this.log.warn({ err: (err as Error).message }, 'no snapshot or index at shutdown');
        }
      }
      try {
        await this.snapshots.close();
        await this.wal.close();
        this.releaseWaiting(this.wal.durableLsn);
      } catch (err) {
        error = err;
        this.log.error({ err: (err as Error).message }, 'WAL could not be flushed at shutdown; unacknowledged writes are lost');
      }
      for (const c of this.clients.values()) c.destroy();
      this.lock?.release();
      this.lock = null;
      if (error) throw error;
      this.log.info({ lastLsn: this.wal.lastLsn }, 'FlashCache is now ready to exit, bye bye');
    })();
    return this.shuttingDown;
  }
}

/**
 * Redis 7.0's reply to a remote client in protected mode (networking.c
 * `acceptCommonHandler`), word for word, typo included, since tools match it.
 */
export const PROTECTED_MODE_DENIED =
  "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.";

/** Whether a peer address is loopback (127.0.0.0/8, ::1, or IPv4-mapped 127.x). */
export function isLoopback(addr: string | undefined): boolean {
  if (addr === undefined) return false;
  const v4 = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  return v4.startsWith('127.') || addr === '::1';
}

/** Largest total argument size of a write: its effect must fit one WAL record, with room for framing. */
const MAX_EFFECT_BYTES = MAX_RECORD_PAYLOAD - 64 * 1024;

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
