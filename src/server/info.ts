/**
 * INFO: sections and fields named as Redis names them where the meaning is
 * the same (so dashboards and `redis-cli --stat` read them), plus FlashCache's
 * own WAL, arena and eviction fields (docs/ARCHITECTURE.md explains the
 * memory ones, README.md "Operating it" the rest).
 *
 * Reference: https://redis.io/docs/latest/commands/info/
 */
import { arch, platform, release } from 'node:os';
import type { IntervalHistogram } from 'node:perf_hooks';
import type { CommandSpec, Session, Stats, TrackingRegistry } from '../commands/context.js';
import { histogramPercentile } from '../commands/monitoring.js';
import { RUN_ID } from '../commands/repl-service.js';
import { migrateCachedSockets } from '../commands/migrate.js';
import type { PubSub } from '../commands/pubsub.js';
import type { Config } from '../config/config.js';
import type { ReplayResult } from '../persistence/wal/replay.js';
import type { Snapshotter } from '../persistence/snapshot/snapshotter.js';
import type { Wal } from '../persistence/wal/writer.js';
import type { Evictor } from '../store/eviction.js';
import type { Keyspace } from '../store/keyspace.js';
import type { Replication } from '../replication/service.js';
import { FLASHCACHE_VERSION, REDIS_COMPAT_VERSION } from '../version.js';
import type { LoadedSnapshot } from './recover.js';
import { bytesToHuman, compatFields } from './info-compat.js';
import type { RateMeters } from './stats.js';
import type { CommandTiming } from './timing.js';

/** Sampling period of the event-loop delay histogram, ms. */
export const LOOP_DELAY_RESOLUTION_MS = 2;

/** What INFO reads: the running server's state. */
export interface InfoSource {
  /** The settings (INFO cluster `cluster_enabled`). */
  readonly config: Config;
  /** Replication: INFO replication and the sync counters of INFO stats. */
  readonly replication: Replication;
  /** Unix ms at start. */
  readonly startedAt: number;
  /** Port listened on. */
  readonly port: number;
  /** Path of the config file in use, '' when none. */
  readonly configFile: string;
  readonly clients: ReadonlyMap<number, Session>;
  readonly maxClients: number;
  readonly openFilesLimit: number;
  /** Clients blocked on keys. */
  readonly blockedClients: number;
  /** Client-side caching (INFO `tracking_*`). */
  readonly tracking: TrackingRegistry;
  readonly keyspace: Keyspace;
  /** Channels, patterns and shard channels with subscribers (INFO stats `pubsub_*`). */
  readonly pubsub: PubSub;
  /** Highest `used_memory` seen, bytes. */
  readonly usedMemoryPeak: number;
  /** Raises {@link usedMemoryPeak} to `used` when higher. */
  notePeak(used: number): void;
  readonly evictor: Evictor;
  readonly wal: Wal;
  readonly snapshots: Snapshotter;
  /** What start-up recovery loaded and replayed, and how long it took (seconds). */
  readonly loadedSnapshot: LoadedSnapshot | null;
  readonly recovery: ReplayResult | null;
  readonly recoverySeconds: number;
  /** Keys in the keyspace when start-up recovery finished (INFO `rdb_last_load_keys_loaded`). */
  readonly loadedKeys: number;
  /** Instantaneous rates (INFO stats `instantaneous_*`). */
  readonly rates: RateMeters;
  readonly stats: Stats;
  /** INFO `instantaneous_ops_per_sec`. */
  readonly opsPerSec: number;
  /** Event-loop delay since start or CONFIG RESETSTAT, sampled every {@link LOOP_DELAY_RESOLUTION_MS} ms. */
  readonly loopDelay: IntervalHistogram;
  /** The commands clients call, for commandstats and latencystats. */
  readonly commands: { all(): CommandSpec[] };
  /** Error replies by code (errorstats). */
  readonly timing: CommandTiming;
  /** `latency-tracking-info-percentiles`, as configured. */
  readonly latencyPercentiles: string;
}

/** Sections in the order Redis prints them; `default` prints these (server.c `genRedisInfoString`). */
const DEFAULT_SECTIONS = [
  'server',
  'clients',
  'memory',
  'persistence',
  'stats',
  'replication',
  'cpu',
  'errorstats',
  'cluster',
  'keyspace',
] as const;

/** What `all` and `everything` print: the default sections and the per-command ones. */
const ALL_SECTIONS = [
  'server',
  'clients',
  'memory',
  'persistence',
  'stats',
  'replication',
  'cpu',
  'commandstats',
  'errorstats',
  'latencystats',
  'cluster',
  'keyspace',
] as const;

/** Every command and subcommand of the table, containers first. */
function everyCommand(server: InfoSource): CommandSpec[] {
  const out: CommandSpec[] = [];
  for (const spec of server.commands.all()) {
    out.push(spec);
    if (spec.subcommands) out.push(...spec.subcommands.values());
  }
  return out;
}

/** A percentile's name as Redis prints it (`%f`, trailing zeros trimmed: 50, 99.9). */
function percentileName(p: number): string {
  return p.toFixed(6).replace(/\.?0+$/, '');
}

type Fields = [string, string | number][];

/** A loop-delay histogram value (ns between timer callbacks) as ms of stall beyond the sampling period. */
function stall(ns: number): string {
  return Math.max(0, ns / 1e6 - LOOP_DELAY_RESOLUTION_MS).toFixed(2);
}

function section(server: InfoSource, name: string): Fields | null {
  const now = Date.now();
  switch (name) {
    case 'server': {
      const uptime = Math.floor((now - server.startedAt) / 1000);
      return [
        ['redis_version', REDIS_COMPAT_VERSION],
        ['flashcache_version', FLASHCACHE_VERSION],
        ['redis_mode', 'standalone'],
        ['os', `${platform()} ${release()} ${arch()}`],
        ['arch_bits', 64],
        ['node_version', process.version],
        ['process_id', process.pid],
        ['run_id', RUN_ID],
        ['tcp_port', server.port],
        ['server_time_usec', now * 1000],
        ['uptime_in_seconds', uptime],
        ['uptime_in_days', Math.floor(uptime / 86400)],
        ['hz', 10],
        ['executable', process.argv[1] ?? ''],
        ['config_file', server.configFile],
      ];
    }
    case 'clients': {
      let maxIn = 0;
      let maxOut = 0;
      for (const c of server.clients.values()) {
        maxIn = Math.max(maxIn, c.queryBufferBytes);
        maxOut = Math.max(maxOut, c.outputBytes);
      }
      return [
        ['connected_clients', server.clients.size],
        ['maxclients', server.maxClients],
        ['open_files_limit', server.openFilesLimit],
        ['client_recent_max_input_buffer', maxIn],
        ['client_recent_max_output_buffer', maxOut],
        ['blocked_clients', server.blockedClients],
        ['tracking_clients', server.tracking.clientCount],
      ];
    }
    case 'memory': {
      // used_memory is the data (what maxmemory limits, as Redis limits its
      // allocations): live arena entries, collections, the index. The V8
      // heap's own use and garbage left in arena pages are reported apart.
      const ks = server.keyspace;
      const arena = ks.arena;
      const used = ks.dataBytes;
      server.notePeak(used);
      const mu = process.memoryUsage();
      const garbage = arena.garbageBytes;
      const max = server.evictor.settings.maxmemory;
      return [
        ['used_memory', used],
        ['used_memory_human', bytesToHuman(used)],
        ['used_memory_rss', mu.rss],
        ['used_memory_rss_human', bytesToHuman(mu.rss)],
        ['used_memory_peak', server.usedMemoryPeak],
        ['used_memory_peak_human', bytesToHuman(server.usedMemoryPeak)],
        ['used_memory_dataset', arena.liveBytes + ks.collections.bytes],
        ['used_memory_overhead', used - arena.liveBytes - ks.collections.bytes],
        ['used_memory_heap', mu.heapUsed],
        ['maxmemory', max],
        ['maxmemory_human', bytesToHuman(max)],
        ['maxmemory_policy', server.evictor.settings.policy],
        ['mem_fragmentation_ratio', used > 0 ? (mu.rss / used).toFixed(2) : '0.00'],
        // No replication or AOF buffers, and every value is freed at once (no lazy free).
        ['mem_not_counted_for_evict', 0],
        ['lazyfree_pending_objects', 0],
        ['lazyfreed_objects', 0],
        ['arena_pages', arena.pageCount],
        ['arena_bytes', arena.allocatedBytes],
        ['arena_live_bytes', arena.liveBytes],
        ['arena_garbage_bytes', garbage],
        ['arena_garbage_ratio', arena.allocatedBytes > 0 ? (garbage / arena.allocatedBytes).toFixed(3) : '0.000'],
      ];
    }
    case 'persistence': {
      const wal = server.wal;
      const snap = server.snapshots;
      const newest = snap.newest;
      const st = snap.stats;
      return [
        ['loading', 0],
        ['async_loading', 0],
        ['rdb_changes_since_last_save', wal.lastLsn - (newest?.coveredLsn ?? 0)],
        ['rdb_bgsave_in_progress', snap.inProgress ? 1 : 0],
        ['rdb_last_save_time', st.lastTime > 0 ? st.lastTime : Math.floor(server.startedAt / 1000)],
        ['rdb_last_bgsave_status', st.lastStatus],
        ['rdb_last_bgsave_time_sec', st.completed > 0 ? Math.round(st.lastDurationMs / 1000) : -1],
        ['snapshot_seq', newest?.seq ?? 0],
        ['snapshot_covered_lsn', newest?.coveredLsn ?? 0],
        ['snapshot_pages', newest?.pages.size ?? 0],
        ['snapshot_frames', snap.frameCount],
        ['snapshot_slots', snap.frameCount],
        ['snapshot_last_time', st.lastTime],
        ['snapshot_last_duration_ms', st.lastDurationMs],
        ['snapshot_last_pages_written', st.lastPagesWritten],
        ['snapshot_last_bytes_written', st.lastBytesWritten],
        ['snapshot_last_pages_preserved', st.lastPagesPreserved],
        ['snapshot_last_error', st.lastError],
        ['snapshots_completed', st.completed],
        ['wal_bytes_since_snapshot', Math.max(0, wal.bytesWritten - snap.walBytesAtFreeze)],
        ['aof_enabled', 1],
        ['aof_last_write_status', wal.failure ? 'err' : 'ok'],
        ['wal_appendfsync', wal.appendfsync],
        ['wal_last_lsn', wal.lastLsn],
        ['wal_releasable_lsn', wal.releasableLsn],
        ['wal_durable_lsn', wal.releasableLsn],
        ['wal_synced_lsn', wal.syncedLsn],
        ['wal_segments', wal.segments.length],
        ['wal_bytes', wal.totalBytes],
        ['wal_pending_bytes', wal.pendingBytes],
        ['wal_group_commits', wal.batches],
        ['wal_syncs', wal.syncs],
        ['wal_fsyncs', wal.syncs],
        ['wal_write_status', wal.failure ? 'err' : 'ok'],
        ['wal_last_error', wal.failure ? wal.failure.message : ''],
        ['recovery_snapshot_seq', server.loadedSnapshot?.seq ?? 0],
        ['recovery_snapshot_pages', server.loadedSnapshot?.pages ?? 0],
        ['recovery_records_replayed', server.recovery?.records ?? 0],
        ['recovery_seconds', server.recoverySeconds.toFixed(3)],
        ['recovery_truncated_bytes', (server.recovery?.truncated ?? []).reduce((a, t) => a + t.bytes, 0)],
      ];
    }
    case 'stats': {
      const s = server.stats;
      return [
        ['total_connections_received', s.totalConnections],
        ['total_commands_processed', s.totalCommands],
        ['instantaneous_ops_per_sec', server.opsPerSec],
        ['total_net_input_bytes', s.netInputBytes],
        ['total_net_output_bytes', s.netOutputBytes],
        ['rejected_connections', s.rejectedConnections],
        ...server.replication.stats(),
        ['expired_keys', server.keyspace.expiredKeys],
        ['evicted_keys', server.evictor.evictedKeys],
        ['keyspace_hits', s.keyspaceHits],
        ['keyspace_misses', s.keyspaceMisses],
        ['pubsub_channels', server.pubsub.channelCount('channel')],
        ['pubsub_patterns', server.pubsub.patternCount],
        ['pubsubshard_channels', server.pubsub.channelCount('shard')],
        ['migrate_cached_sockets', migrateCachedSockets()],
        ['total_error_replies', s.errorReplies],
        ['acl_access_denied_auth', s.authFailures],
        ['client_buffer_limit_disconnections', s.bufferLimitDisconnections],
        ['tracking_total_keys', server.tracking.keyCount],
        ['tracking_total_items', server.tracking.itemCount],
        ['tracking_total_prefixes', server.tracking.prefixCount],
        // Longest and 99th-percentile time the loop could not run a timer, beyond the sampling period.
        ['eventloop_stall_max_ms', stall(server.loopDelay.max)],
        ['eventloop_stall_p99_ms', stall(server.loopDelay.percentile(99))],
      ];
    }
    case 'replication':
      return server.replication.info();
    case 'cpu': {
      const u = process.cpuUsage();
      return [
        ['used_cpu_sys', (u.system / 1e6).toFixed(6)],
        ['used_cpu_user', (u.user / 1e6).toFixed(6)],
      ];
    }
    case 'commandstats': {
      const out: Fields = [];
      for (const spec of everyCommand(server)) {
        const st = spec.stats;
        if (st.calls === 0 && st.failed === 0 && st.rejected === 0) continue;
        const usec = Math.round(st.usec);
        const perCall = st.calls > 0 ? (st.usec / st.calls).toFixed(2) : '0.00';
        out.push([
          `cmdstat_${spec.name}`,
          `calls=${st.calls},usec=${usec},usec_per_call=${perCall},rejected_calls=${st.rejected},` +
            `failed_calls=${st.failed}`,
        ]);
      }
      return out;
    }
    case 'errorstats': {
      const out: Fields = [];
      for (const [code, n] of server.timing.errorCodes) out.push([`errorstat_${code}`, `count=${n}`]);
      return out;
    }
    case 'latencystats': {
      const out: Fields = [];
      const percentiles = server.latencyPercentiles
        .split(' ')
        .filter((w) => w !== '')
        .map(Number);
      for (const spec of everyCommand(server)) {
        const h = spec.stats.histogram;
        if (h === null) continue;
        const calls = h.reduce((a, b) => a + b, 0);
        const values = percentiles.map((p) => `p${percentileName(p)}=${histogramPercentile(h, calls, p).toFixed(3)}`);
        out.push([`latency_percentiles_usec_${spec.name}`, values.join(',')]);
      }
      return out;
    }
    case 'cluster':
      return [['cluster_enabled', server.config.get('cluster-enabled') ? 1 : 0]];
    case 'keyspace': {
      const out: Fields = [];
      for (const db of server.keyspace.dbs) {
        if (db.size > 0)
          out.push([
            `db${db.id}`,
            `keys=${db.size},expires=${db.volatileCount},avg_ttl=${db.volatileCount > 0 ? Math.round(db.avgTtl) : 0}`,
          ]);
      }
      return out;
    }
    default:
      return null;
  }
}

/**
 * The INFO text for the requested sections (none, `default`, `all` or
 * `everything`: every section).
 *
 * @param sections lower-case section names
 */
export function infoText(server: InfoSource, sections: readonly string[]): string {
  const wanted = new Set<string>();
  for (const s of sections.length === 0 ? ['default'] : sections) {
    if (s === 'all' || s === 'everything') for (const a of ALL_SECTIONS) wanted.add(a);
    else if (s === 'default') for (const a of DEFAULT_SECTIONS) wanted.add(a);
    else wanted.add(s);
  }
  const parts: string[] = [];
  // Redis's order, whatever the order asked in (server.c genRedisInfoString).
  const ordered = [
    ...ALL_SECTIONS.filter((a) => wanted.has(a)),
    ...[...wanted].filter((w) => !ALL_SECTIONS.includes(w as never)),
  ];
  for (const name of ordered) {
    const fields = section(server, name);
    if (fields === null) continue;
    fields.push(...compatFields(server, name, server.keyspace.dataBytes));
    const TITLES: Record<string, string> = { cpu: 'CPU', commandstats: 'Commandstats', errorstats: 'Errorstats' };
    const title = TITLES[name] ?? name.charAt(0).toUpperCase() + name.slice(1);
    parts.push(`# ${title}\r\n` + fields.map(([k, v]) => `${k}:${v}\r\n`).join(''));
  }
  return parts.join('\r\n');
}
