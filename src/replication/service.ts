/**
 * Replication as the server runs it: the history (./history.ts), the
 * replicas this server feeds (./primary.ts, also on a replica: chained
 * replicas), the link to its own primary when it is a replica
 * (./replica.ts), what the replication commands ask (ReplicationService,
 * src/commands/repl-service.ts) and INFO replication's fields in Redis 7.0's
 * order (server.c `genRedisInfoString`).
 */
import { readdirSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { CommandLookup, ServerServices } from '../commands/context.js';
import { RUN_ID, type PrimaryClient, type ReplicationService, type RoleState } from '../commands/repl-service.js';
import type { Config } from '../config/config.js';
import type { Log } from '../persistence/log.js';
import type { Snapshotter } from '../persistence/snapshot/snapshotter.js';
import type { Wal } from '../persistence/wal/writer.js';
import type { Keyspace } from '../store/keyspace.js';
import { isHistoryId, newHistoryId, NO_HISTORY, readHistory, writeHistory, type ReplHistory } from './history.js';
import { Primary } from './primary.js';
import { ReplicaLink } from './replica.js';

/** What replication needs of the server (src/server/replication.ts provides it). */
export interface ReplicationHost {
  /** The data directory. */
  readonly dir: string;
  readonly config: Config;
  readonly log: Log;
  readonly keyspace: Keyspace;
  /** Every command under its real name. */
  readonly effects: CommandLookup;
  readonly services: ServerServices;
  wal(): Wal;
  snapshots(): Snapshotter;
  /** The port this server listens on. */
  port(): number;
  /** The socket of client `id`, which replication takes over; null when it is gone. */
  takeOver(id: number): { socket: Socket; ip: string } | null;
  setApplying(on: boolean): void;
  releaseAll(): void;
  /** A new client id. */
  nextClientId(): number;
}

/** What a connection declared with REPLCONF before PSYNC. */
interface Greeting {
  port: number;
  ip: string;
  capa: Set<string>;
}

/** Replication of one server. See the module comment. */
export class Replication implements ReplicationService {
  readonly primary: Primary;
  private history: ReplHistory = { id: newHistoryId(), prevId: NO_HISTORY, forkLsn: -1, state: 'ok' };
  private link: ReplicaLink | null = null;
  /** Whether the data directory had a history when the server started (not a fresh or emptied one). */
  private restarted = false;
  private readonly greetings = new Map<number, Greeting>();
  /**
   * Whether writes go through {@link writeRefusal}: `min-replicas-to-write`
   * and `min-replicas-max-lag` are both set, or `min-replicas-sync` with
   * policy `refuse` is.
   */
  gatesWrites = false;

  constructor(private readonly h: ReplicationHost) {
    this.primary = new Primary({
      walDir: join(h.dir, 'wal'),
      wal: () => h.wal(),
      snapshots: () => h.snapshots(),
      log: h.log,
      backlogBytes: () => h.config.get('repl-backlog-size'),
    });
    h.keyspace.replica = h.config.get('replicaof') !== '';
    const gates = (): void => {
      const c = h.config;
      this.gatesWrites =
        (c.get('min-replicas-to-write') > 0 && c.get('min-replicas-max-lag') > 0) ||
        (c.get('min-replicas-sync') > 0 && c.get('min-replicas-sync-policy') === 'refuse');
    };
    gates();
    for (const name of [
      'min-replicas-to-write',
      'min-replicas-max-lag',
      'min-replicas-sync',
      'min-replicas-sync-policy',
    ] as const) {
      h.config.onChange(name, gates);
    }
  }

  /**
   * Replicas online whose last acknowledgement is at most
   * `min-replicas-max-lag` seconds old (replication.c `refreshGoodSlavesCount`).
   */
  goodReplicas(): number {
    const lag = this.h.config.get('min-replicas-max-lag');
    const now = Date.now();
    let good = 0;
    for (const l of this.primary.links.values()) {
      if (l.state === 'online' && Math.floor((now - l.lastAckMs) / 1000) <= lag) good++;
    }
    return good;
  }

  /**
   * Why a write is refused now, or null: fewer good replicas than
   * `min-replicas-to-write` (server.c `shared.noreplicaserr`), or, with
   * `min-replicas-sync` and policy `refuse`, fewer replicas online than it
   * needs. A replica refuses nothing here (replication.c `checkGoodReplicasStatus`).
   */
  writeRefusal(): string | null {
    if (this.link !== null) return null;
    const c = this.h.config;
    const toWrite = c.get('min-replicas-to-write');
    if (toWrite > 0 && c.get('min-replicas-max-lag') > 0 && this.goodReplicas() < toWrite) {
      return 'NOREPLICAS Not enough good replicas to write.';
    }
    const n = c.get('min-replicas-sync');
    if (n > 0 && c.get('min-replicas-sync-policy') === 'refuse' && this.primary.durableOn(n) < 0) {
      return `NOREPLICAS Fewer than ${n} replica(s) online for min-replicas-sync.`;
    }
    return null;
  }

  /** The highest LSN at least `n` online replicas have on disk, or -1 when fewer are online. */
  durableOn(n: number): number {
    return this.primary.durableOn(n);
  }

  /**
   * At start, before recovery: reads the history file. One left `syncing`
   * by a full sync that did not finish means the snapshot and WAL are
   * half-replaced: they are removed, for an empty, consistent start (the
   * replica syncs again).
   */
  async beforeRecovery(): Promise<void> {
    const found = readHistory(this.h.dir);
    if (found?.state === 'syncing') {
      this.h.log.warn(
        { dir: this.h.dir },
        'a full sync from the primary did not finish: starting empty, the replica syncs again',
      );
      for (const sub of ['wal', 'snapshot']) {
        let names: string[] = [];
        try {
          names = readdirSync(join(this.h.dir, sub));
        } catch {
          continue;
        }
        for (const n of names) rmSync(join(this.h.dir, sub, n), { force: true });
      }
    }
    this.restarted = found !== null && found.state === 'ok';
    if (found !== null && found.state === 'ok') this.history = found;
    else await this.saveHistory({ id: newHistoryId(), prevId: NO_HISTORY, forkLsn: -1, state: 'ok' });
  }

  /**
   * After recovery: connects to the primary of `replicaof`, and hooks the
   * WAL. A data directory that had a history and starts as a primary takes a
   * new one, its old id kept as the previous history up to `recoveredLsn`
   * (server.c `loadDataFromDisk`): a replica holding records this server no
   * longer has (a tail lost with the machine, an older copy of the directory
   * restored) then gets a full sync instead of new records at LSNs it
   * already used.
   *
   * @param recoveredLsn the last LSN recovery found, before this process logged anything
   */
  start(recoveredLsn = this.h.wal().lastLsn): void {
    const wal = this.h.wal();
    wal.deleteBound = (lsn) => this.primary.deleteBound(lsn);
    const target = this.h.config.get('replicaof');
    if (target !== '') {
      const [host, port] = target.trim().split(/\s+/);
      this.follow(host!, Number(port));
    } else if (this.restarted) {
      this.shiftHistory(recoveredLsn, 'started as a primary');
    }
  }

  /**
   * A new history for this primary, the current one kept as the previous up
   * to `lsn` (replication.c `shiftReplicationId`).
   */
  private shiftHistory(lsn: number, why: string): void {
    const old = this.history;
    const id = newHistoryId();
    void this.saveHistory({ id, prevId: old.id, forkLsn: lsn, state: 'ok' }).catch((err) =>
      this.h.log.error({ err: (err as Error).message }, 'the replication history could not be written'),
    );
    this.h.log.info(
      { history: id, previous: old.id, forkLsn: lsn },
      `${why}: new replication history ${id}; replicas of ${old.id} continue up to LSN ${lsn}`,
    );
  }

  /** The WAL's releasable LSN advanced. */
  walAdvanced(): void {
    this.primary.walAdvanced();
    this.link?.walAdvanced();
  }

  /** Stops every link (shutdown). */
  stop(): void {
    this.link?.stop();
    this.link = null;
    this.primary.close();
  }

  /**
   * Writes the history file. A new history id drops this server's replicas:
   * records they would receive next may belong to another history than the
   * data they hold (a full sync replaces the WAL); they ask again with their
   * own id and get a partial sync where it is still a prefix, else a full one.
   */
  private async saveHistory(h: ReplHistory): Promise<void> {
    if (h.id !== this.history.id) {
      this.primary.dropAll(`its replication history changed from ${this.history.id} to ${h.id}; they sync again`);
    }
    this.history = h;
    await writeHistory(this.h.dir, h);
  }

  private follow(host: string, port: number): void {
    this.link?.stop();
    this.h.keyspace.replica = true;
    const link = new ReplicaLink(host, port, {
      config: this.h.config,
      log: this.h.log,
      keyspace: this.h.keyspace,
      effects: this.h.effects,
      services: this.h.services,
      wal: () => this.h.wal(),
      snapshots: () => this.h.snapshots(),
      port: () => this.h.port(),
      history: () => this.history,
      setHistory: (h) => this.saveHistory(h),
      setApplying: (on) => this.h.setApplying(on),
      releaseAll: () => this.h.releaseAll(),
      nextClientId: () => this.h.nextClientId(),
    });
    this.link = link;
    link.start();
  }

  // ------------------------------------------------------------------ ReplicationService

  get isReplica(): boolean {
    return this.link !== null;
  }

  get readOnly(): boolean {
    return this.link !== null && this.h.config.get('replica-read-only');
  }

  /** Whether a replica refuses commands without the `stale` flag (link down, `replica-serve-stale-data no`). */
  get staleRefused(): boolean {
    return this.link !== null && this.link.state !== 'connected' && !this.h.config.get('replica-serve-stale-data');
  }

  get lastLsn(): number {
    return this.h.wal().lastLsn;
  }

  replicaOf(host: string | null, port: number, by: string): 'ok' | 'already' {
    if (host === null) {
      this.h.config.assign('replicaof', '');
      if (this.link === null) return 'ok';
      this.link.stop();
      this.link = null;
      this.h.keyspace.replica = false;
      const lsn = this.h.wal().lastLsn;
      // The old history stays valid up to here for other replicas.
      this.shiftHistory(lsn, 'promoted');
      this.h.log.info({ by, forkLsn: lsn }, `MASTER MODE enabled (user request from '${by}')`);
      return 'ok';
    }
    if (this.link !== null && this.link.host.toLowerCase() === host.toLowerCase() && this.link.port === port) {
      return 'already';
    }
    this.h.config.assign('replicaof', `${host} ${port}`);
    this.follow(host, port);
    this.h.log.info(
      { by, primary: `${host}:${port}` },
      `REPLICAOF ${host}:${port} enabled (user request from '${by}')`,
    );
    return 'ok';
  }

  primaryClient(): PrimaryClient | null {
    return this.link?.primaryClient() ?? null;
  }

  role(): RoleState {
    if (this.link === null) {
      const replicas = [...this.primary.links.values()]
        .filter((l) => l.state === 'online')
        .map((l) => ({ ip: l.ip, port: l.port, ackLsn: l.ackLsn }));
      return { role: 'master', offset: this.h.wal().lastLsn, replicas };
    }
    const l = this.link;
    return {
      role: 'slave',
      host: l.host,
      port: l.port,
      state: l.state,
      offset: l.state === 'connected' ? this.h.wal().lastLsn : -1,
    };
  }

  replconf(clientId: number, option: string, value: Buffer, fack?: Buffer): string | null | 'silent' {
    const g = this.greetings.get(clientId) ?? { port: 0, ip: '', capa: new Set<string>() };
    this.greetings.set(clientId, g);
    switch (option.toLowerCase()) {
      case 'listening-port': {
        const n = Number(value.toString());
        if (!/^-?[0-9]+$/.test(value.toString())) return 'ERR value is not an integer or out of range';
        g.port = n;
        return null;
      }
      case 'ip-address':
        g.ip = value.toString();
        return null;
      case 'capa':
        g.capa.add(value.toString().toLowerCase());
        return null;
      case 'ack': {
        const n = Number(value.toString());
        const f = fack === undefined ? null : Number(fack.toString());
        if (Number.isSafeInteger(n)) this.primary.ack(clientId, n, f !== null && Number.isSafeInteger(f) ? f : null);
        return 'silent';
      }
      case 'getack':
        if (this.link !== null) this.link.walAdvanced();
        return 'silent';
      case 'rdb-only':
      case 'rdb-filter-only':
        return null;
      default:
        return `ERR Unrecognized REPLCONF option: ${option}`;
    }
  }

  psync(clientId: number, argv: Buffer[]): string | null {
    const g = this.greetings.get(clientId);
    if (g === undefined || !g.capa.has('flashcache')) {
      return (
        'ERR PSYNC is not supported: FlashCache replicates WAL records, not an RDB stream; only a FlashCache ' +
        'replica (REPLCONF capa flashcache) can replicate from it'
      );
    }
    if (argv[3]?.toString() === RUN_ID) return 'ERR the primary named by REPLICAOF is this server itself';
    if (this.link !== null && this.link.state !== 'connected') {
      return "NOMASTERLINK Can't SYNC while not connected with my master";
    }
    const id = argv[1]!.toString();
    const next = Number(argv[2]!.toString());
    if (!Number.isSafeInteger(next)) return 'ERR value is not an integer or out of range';
    const taken = this.h.takeOver(clientId);
    if (taken === null) return 'ERR connection gone';
    this.greetings.delete(clientId);
    const h = this.history;
    const sameHistory = id === h.id || (id === h.prevId && h.prevId !== NO_HISTORY && next <= h.forkLsn + 1);
    const partial = isHistoryId(id) && sameHistory && this.primary.hasFrom(next);
    if (!partial && isHistoryId(id)) this.primary.syncPartialErr++;
    const ip = g.ip !== '' ? g.ip : taken.ip;
    this.primary.attach(clientId, taken.socket, ip, g.port, h.id, partial ? next : null);
    return null;
  }

  /** Forgets what a closed connection declared. */
  forget(clientId: number): void {
    this.greetings.delete(clientId);
  }

  waitAcks(lsn: number, count: number, timeoutMs: number, done: (acked: number) => void): void {
    this.primary.waitAcks(lsn, count, timeoutMs, (_local, n) => done(n));
  }

  waitAof(
    lsn: number,
    numlocal: number,
    count: number,
    timeoutMs: number,
    done: (local: number, acked: number) => void,
  ): void {
    this.primary.waitAcks(lsn, count, timeoutMs, done, true, numlocal);
  }

  countAcks(lsn: number, onDisk = false): number {
    return this.primary.countAcks(lsn, onDisk);
  }

  get syncedLsn(): number {
    return this.h.wal().syncedLsn;
  }

  /** INFO replication, as Redis 7.0 prints it (server.c `genRedisInfoString`). */
  info(): [string, string | number][] {
    const wal = this.h.wal();
    const now = Date.now();
    const out: [string, string | number][] = [];
    const l = this.link;
    if (l === null) {
      out.push(['role', 'master']);
    } else {
      const up = l.state === 'connected';
      const syncing = l.state === 'sync';
      out.push(
        ['role', 'slave'],
        ['master_host', l.host],
        ['master_port', l.port],
        ['master_link_status', up ? 'up' : 'down'],
        ['master_last_io_seconds_ago', l.lastIoMs > 0 ? Math.floor((now - l.lastIoMs) / 1000) : -1],
        ['master_sync_in_progress', syncing ? 1 : 0],
        ['slave_read_repl_offset', Math.max(l.readLsn, wal.lastLsn)],
        ['slave_repl_offset', wal.lastLsn],
      );
      if (syncing) {
        out.push(
          ['master_sync_total_bytes', -1],
          ['master_sync_read_bytes', l.syncReadBytes],
          ['master_sync_left_bytes', -1],
          ['master_sync_perc', '0.00'],
          ['master_sync_last_io_seconds_ago', Math.floor((now - l.lastIoMs) / 1000)],
        );
      }
      if (!up) out.push(['master_link_down_since_seconds', l.wasUp ? Math.floor((now - l.downSince) / 1000) : -1]);
      out.push(
        ['slave_priority', this.h.config.get('replica-priority')],
        ['slave_read_only', this.h.config.get('replica-read-only') ? 1 : 0],
        ['replica_announced', 1],
      );
    }
    const links = [...this.primary.links.values()];
    out.push(['connected_slaves', links.length]);
    if (this.h.config.get('min-replicas-to-write') > 0 && this.h.config.get('min-replicas-max-lag') > 0) {
      out.push(['min_slaves_good_slaves', this.goodReplicas()]);
    }
    links.forEach((s, i) => {
      const state = s.state === 'online' ? 'online' : 'wait_bgsave';
      const lag = Math.floor((now - s.lastAckMs) / 1000);
      out.push([`slave${i}`, `ip=${s.ip},port=${s.port},state=${state},offset=${s.ackLsn},lag=${lag}`]);
    });
    const h = this.history;
    const first = wal.segments[0]?.firstLsn ?? wal.lastLsn + 1;
    out.push(
      ['master_failover_state', 'no-failover'],
      ['master_replid', h.id],
      ['master_replid2', h.prevId],
      ['master_repl_offset', wal.lastLsn],
      ['second_repl_offset', h.prevId === NO_HISTORY ? -1 : h.forkLsn + 1],
      ['repl_backlog_active', 1],
      ['repl_backlog_size', this.h.config.get('repl-backlog-size')],
      ['repl_backlog_first_byte_offset', first],
      ['repl_backlog_histlen', wal.lastLsn - first + 1],
    );
    return out;
  }

  /** INFO stats' replication counters, in Redis's names. */
  stats(): [string, number][] {
    const p = this.primary;
    return [
      ['sync_full', p.syncFull],
      ['sync_partial_ok', p.syncPartialOk],
      ['sync_partial_err', p.syncPartialErr],
    ];
  }
}
