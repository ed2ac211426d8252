/**
 * Prometheus metrics (prom-client), read at scrape time from what the server
 * already counts: the redis_exporter families under their names and labels
 * (https://github.com/oliver006/redis_exporter), taken from the same INFO
 * text a client gets so that both agree, and FlashCache's own under
 * `flashcache_` (WAL, group commit, snapshots, recovery, arena, event loop,
 * per-command latency). Nothing here runs on the command path; the WAL sync
 * histograms take one observation per sync. docs/OPERATIONS.md, "Metrics",
 * lists them.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { histogramBucketUsec } from '../commands/monitoring.js';
import type { CommandSpec } from '../commands/context.js';

/** What the metrics read of the running server. */
export interface MetricsSource {
  /** The INFO text of these sections. */
  info(sections: readonly string[]): string;
  /** The command table, for the per-command latency histograms. */
  readonly commands: { all(): CommandSpec[] };
  /** Event-loop delay, ns (perf_hooks histogram). */
  readonly loopDelay: { percentile(p: number): number; readonly max: number };
}

/** Group-commit size buckets, records per sync. */
const GROUP_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
/** Sync latency buckets, seconds. */
const SYNC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** INFO text → section → field → value. */
function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

/** `a=1,b=x` → map. */
function kv(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of text.split(',')) {
    const i = part.indexOf('=');
    if (i > 0) m.set(part.slice(0, i), part.slice(i + 1));
  }
  return m;
}

/** The registry of one server's metrics, plus the WAL sync observations it is fed. */
export class Metrics {
  readonly registry = new Registry();
  private cached: { at: number; info: Map<string, string> } | null = null;
  private readonly syncSeconds: Histogram;
  private readonly groupSize: Histogram;

  constructor(private readonly source: MetricsSource) {
    const r = this.registry;
    this.syncSeconds = new Histogram({
      name: 'flashcache_wal_sync_duration_seconds',
      help: 'Duration of each WAL sync (O_DSYNC batch write under appendfsync always, or fdatasync).',
      buckets: SYNC_BUCKETS,
      registers: [r],
    });
    this.groupSize = new Histogram({
      name: 'flashcache_wal_group_commit_records',
      help: 'Records made durable by each sync (group commit size).',
      buckets: GROUP_BUCKETS,
      registers: [r],
    });
    this.gauges();
    this.counters();
    this.perCommand();
    this.ownMetrics();
  }

  /** One WAL sync: its duration (ms) and the records it made durable. */
  observeSync(ms: number, records: number): void {
    this.syncSeconds.observe(ms / 1000);
    if (records > 0) this.groupSize.observe(records);
  }

  /**
   * What the dashboard shows, once a second: totals (the page computes
   * rates), gauges, replicas, and the eight most called commands with their
   * calls, time and latency percentiles (INFO latencystats).
   */
  dashboardSample(): Record<string, unknown> {
    const i = this.info();
    const n = (f: string) => this.num(f);
    let keys = 0;
    const replicas: Record<string, string>[] = [];
    const cmds: { cmd: string; calls: number; usec: number; p50: number; p99: number }[] = [];
    for (const [k, v] of i) {
      if (/^db\d+$/.test(k)) keys += Number(kv(v).get('keys'));
      else if (/^slave\d+$/.test(k)) replicas.push(Object.fromEntries(kv(v)));
      else if (k.startsWith('cmdstat_')) {
        const m = kv(v);
        const lat = kv(i.get(`latency_percentiles_usec_${k.slice(8)}`) ?? '');
        cmds.push({
          cmd: k.slice(8),
          calls: Number(m.get('calls')),
          usec: Number(m.get('usec')),
          p50: Number(lat.get('p50') ?? 0),
          p99: Number(lat.get('p99') ?? 0),
        });
      }
    }
    cmds.sort((a, b) => b.calls - a.calls);
    return {
      t: Date.now(),
      ops: n('instantaneous_ops_per_sec'),
      commands: n('total_commands_processed'),
      clients: n('connected_clients'),
      blocked: n('blocked_clients'),
      usedMemory: n('used_memory'),
      rss: n('used_memory_rss'),
      maxmemory: n('maxmemory'),
      keys,
      hits: n('keyspace_hits'),
      misses: n('keyspace_misses'),
      walSyncs: n('wal_syncs'),
      walGroupCommits: n('wal_group_commits'),
      walLastLsn: n('wal_last_lsn'),
      walSyncedLsn: n('wal_synced_lsn'),
      snapshotInProgress: n('rdb_bgsave_in_progress'),
      snapshotsCompleted: n('snapshots_completed'),
      snapshotLastMs: n('snapshot_last_duration_ms'),
      snapshotPagesWritten: n('snapshot_last_pages_written'),
      walBytesSinceSnapshot: n('wal_bytes_since_snapshot'),
      role: i.get('role') ?? '',
      masterLinkStatus: i.get('master_link_status') ?? '',
      masterReplOffset: n('master_repl_offset'),
      replicas,
      cmds: cmds.slice(0, 8),
    };
  }

  /** The INFO fields, parsed once per scrape (a scrape reads many metrics within a few ms). */
  private info(): Map<string, string> {
    const now = Date.now();
    if (this.cached === null || now - this.cached.at > 250) {
      this.cached = { at: now, info: parseInfo(this.source.info(['everything'])) };
    }
    return this.cached.info;
  }

  private num(field: string): number {
    const v = Number(this.info().get(field));
    return Number.isFinite(v) ? v : 0;
  }

  /** A gauge set from one INFO field at scrape time. */
  private fromInfo(name: string, help: string, field: string, scale = 1): void {
    const self = this;
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(self.num(field) * scale);
      },
    });
  }

  /** A counter set from one INFO field (a total the server keeps) at scrape time. */
  private totalFromInfo(name: string, help: string, field: string, scale = 1): void {
    const self = this;
    new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(self.num(field) * scale);
      },
    });
  }

  private gauges(): void {
    const self = this;
    new Gauge({ name: 'redis_up', help: 'Information about the Redis instance', registers: [this.registry] }).set(1);
    const g: [string, string, string][] = [
      ['redis_uptime_in_seconds', 'uptime_in_seconds', 'Seconds since start'],
      ['redis_connected_clients', 'connected_clients', 'Client connections'],
      ['redis_blocked_clients', 'blocked_clients', 'Clients blocked on keys or paused'],
      ['redis_max_clients', 'maxclients', 'maxclients'],
      ['redis_memory_used_bytes', 'used_memory', 'Data bytes (what maxmemory limits)'],
      ['redis_memory_used_rss_bytes', 'used_memory_rss', 'Resident set size'],
      ['redis_memory_used_peak_bytes', 'used_memory_peak', 'Highest used_memory'],
      ['redis_memory_max_bytes', 'maxmemory', 'maxmemory'],
      ['redis_mem_fragmentation_ratio', 'mem_fragmentation_ratio', 'RSS over used_memory'],
      ['redis_connected_slaves', 'connected_slaves', 'Connected replicas'],
      ['redis_master_repl_offset', 'master_repl_offset', 'Replication offset (LSN)'],
      ['redis_rdb_last_save_timestamp_seconds', 'rdb_last_save_time', 'Unix time of the last snapshot'],
      ['redis_rdb_changes_since_last_save', 'rdb_changes_since_last_save', 'Records since the last snapshot'],
      ['redis_pubsub_channels', 'pubsub_channels', 'Channels with subscribers'],
      ['redis_pubsub_patterns', 'pubsub_patterns', 'Patterns with subscribers'],
    ];
    for (const [name, field, help] of g) this.fromInfo(name, help, field);
    new Gauge({
      name: 'redis_master_link_up',
      help: 'A replica: 1 while its link to the primary is up',
      registers: [this.registry],
      collect() {
        const status = self.info().get('master_link_status');
        if (status !== undefined) this.set(status === 'up' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'redis_instance_info',
      help: 'Information about the instance',
      labelNames: ['role', 'redis_version', 'flashcache_version', 'redis_mode', 'os', 'tcp_port', 'run_id'],
      registers: [this.registry],
      collect() {
        const i = self.info();
        this.reset();
        this.set(
          {
            role: i.get('role') ?? '',
            redis_version: i.get('redis_version') ?? '',
            flashcache_version: i.get('flashcache_version') ?? '',
            redis_mode: i.get('redis_mode') ?? '',
            os: i.get('os') ?? '',
            tcp_port: i.get('tcp_port') ?? '',
            run_id: i.get('run_id') ?? '',
          },
          1,
        );
      },
    });
    const perDb = (name: string, help: string, pick: (m: Map<string, string>) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['db'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const [k, v] of self.info()) if (/^db\d+$/.test(k)) this.set({ db: k }, pick(kv(v)));
        },
      });
    perDb('redis_db_keys', 'Keys per database', (m) => Number(m.get('keys')));
    perDb('redis_db_keys_expiring', 'Keys with a TTL per database', (m) => Number(m.get('expires')));
    perDb('redis_db_avg_ttl_seconds', 'Average TTL of the keys with one', (m) => Number(m.get('avg_ttl')) / 1000);
    const slave = (name: string, help: string, pick: (m: Map<string, string>) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['slave_ip', 'slave_port', 'slave_state'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const [k, v] of self.info()) {
            if (!/^slave\d+$/.test(k)) continue;
            const m = kv(v);
            const labels = {
              slave_ip: m.get('ip') ?? '',
              slave_port: m.get('port') ?? '',
              slave_state: m.get('state') ?? '',
            };
            this.set(labels, pick(m));
          }
        },
      });
    slave('redis_connected_slave_lag_seconds', 'Seconds since the replica last acknowledged', (m) =>
      Number(m.get('lag')),
    );
    slave('redis_connected_slave_offset_bytes', 'Offset (LSN) the replica acknowledged', (m) =>
      Number(m.get('offset')),
    );
  }

  private counters(): void {
    const c: [string, string, string][] = [
      ['redis_commands_processed_total', 'total_commands_processed', 'Commands processed'],
      ['redis_connections_received_total', 'total_connections_received', 'Connections accepted'],
      ['redis_rejected_connections_total', 'rejected_connections', 'Connections refused (maxclients)'],
      ['redis_keyspace_hits_total', 'keyspace_hits', 'Reads that found their key'],
      ['redis_keyspace_misses_total', 'keyspace_misses', 'Reads that did not'],
      ['redis_evicted_keys_total', 'evicted_keys', 'Keys evicted by maxmemory'],
      ['redis_expired_keys_total', 'expired_keys', 'Keys expired'],
      ['redis_net_input_bytes_total', 'total_net_input_bytes', 'Bytes received from clients'],
      ['redis_net_output_bytes_total', 'total_net_output_bytes', 'Bytes sent to clients'],
      ['redis_cpu_sys_seconds_total', 'used_cpu_sys', 'System CPU seconds'],
      ['redis_cpu_user_seconds_total', 'used_cpu_user', 'User CPU seconds'],
    ];
    for (const [name, field, help] of c) this.totalFromInfo(name, help, field);
    const self = this;
    const perCmd = (name: string, help: string, pick: (m: Map<string, string>) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['cmd'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const [k, v] of self.info()) {
            if (k.startsWith('cmdstat_')) this.inc({ cmd: k.slice(8) }, pick(kv(v)));
          }
        },
      });
    perCmd('redis_commands_total', 'Calls per command', (m) => Number(m.get('calls')));
    perCmd('redis_commands_duration_seconds_total', 'Seconds spent per command', (m) => Number(m.get('usec')) / 1e6);
    perCmd('redis_commands_rejected_calls_total', 'Calls refused before running', (m) =>
      Number(m.get('rejected_calls')),
    );
    perCmd('redis_commands_failed_calls_total', 'Calls that replied an error', (m) => Number(m.get('failed_calls')));
    new Counter({
      name: 'redis_errors_total',
      help: 'Error replies by error code',
      labelNames: ['err'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [k, v] of self.info()) {
          if (k.startsWith('errorstat_')) this.inc({ err: k.slice(10) }, Number(kv(v).get('count')));
        }
      },
    });
  }

  /** Per-command latency histograms, from the buckets LATENCY HISTOGRAM reports (power-of-two µs bounds). */
  private perCommand(): void {
    const source = this.source;
    const registry = this.registry;
    // prom-client histograms take observations; these buckets already exist, so the text is built at scrape time.
    registry.registerMetric({
      name: 'flashcache_command_duration_seconds',
      help: 'Command run time per command (buckets as LATENCY HISTOGRAM)',
      type: 'histogram',
      aggregator: 'sum',
      get: async () => {
        const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
        const specs: CommandSpec[] = [];
        for (const spec of source.commands.all()) specs.push(spec, ...(spec.subcommands?.values() ?? []));
        for (const spec of specs) {
          const h = spec.stats.histogram;
          if (h === null) continue;
          const cmd = spec.name;
          let cum = 0;
          for (let k = 0; k < h.length; k++) {
            cum += h[k]!;
            values.push({
              metricName: 'flashcache_command_duration_seconds_bucket',
              labels: { cmd, le: histogramBucketUsec(k) / 1e6 },
              value: cum,
            });
          }
          values.push({
            metricName: 'flashcache_command_duration_seconds_bucket',
            labels: { cmd, le: '+Inf' },
            value: cum,
          });
          values.push({
            metricName: 'flashcache_command_duration_seconds_sum',
            labels: { cmd },
            value: spec.stats.usec / 1e6,
          });
          values.push({ metricName: 'flashcache_command_duration_seconds_count', labels: { cmd }, value: cum });
        }
        return {
          name: 'flashcache_command_duration_seconds',
          help: 'Command run time per command (buckets as LATENCY HISTOGRAM)',
          type: 'histogram',
          values,
          aggregator: 'sum',
        };
      },
      reset: () => {},
    } as never);
  }

  private ownMetrics(): void {
    const own: [string, string, string, number?][] = [
      ['flashcache_wal_last_lsn', 'wal_last_lsn', 'LSN of the last WAL record appended'],
      ['flashcache_wal_synced_lsn', 'wal_synced_lsn', 'LSN of the last record on stable storage'],
      ['flashcache_wal_releasable_lsn', 'wal_releasable_lsn', 'LSN up to which replies may leave'],
      ['flashcache_wal_segments', 'wal_segments', 'WAL segment files'],
      ['flashcache_wal_bytes', 'wal_bytes', 'Bytes in WAL segments'],
      ['flashcache_wal_pending_bytes', 'wal_pending_bytes', 'Bytes appended, not yet written'],
      ['flashcache_snapshot_in_progress', 'rdb_bgsave_in_progress', '1 while a snapshot runs'],
      ['flashcache_snapshot_last_duration_seconds', 'snapshot_last_duration_ms', 'Duration of the last snapshot', 1e-3],
      ['flashcache_snapshot_last_pages_written', 'snapshot_last_pages_written', 'Pages the last snapshot wrote'],
      ['flashcache_snapshot_last_success_timestamp_seconds', 'snapshot_last_time', 'Unix time of the last snapshot'],
      ['flashcache_snapshot_covered_lsn', 'snapshot_covered_lsn', 'LSN the newest snapshot covers'],
      ['flashcache_recovery_duration_seconds', 'recovery_seconds', 'Start-up recovery duration'],
      ['flashcache_recovery_records_replayed', 'recovery_records_replayed', 'WAL records replayed at start-up'],
      ['flashcache_arena_pages', 'arena_pages', 'Arena pages (1 MiB each)'],
      ['flashcache_arena_live_bytes', 'arena_live_bytes', 'Live bytes in arena pages'],
      ['flashcache_arena_garbage_bytes', 'arena_garbage_bytes', 'Garbage bytes in arena pages'],
    ];
    for (const [name, field, help, scale] of own) this.fromInfo(name, help, field, scale);
    this.totalFromInfo('flashcache_wal_records_total', 'WAL records appended (the last LSN)', 'wal_last_lsn');
    this.totalFromInfo('flashcache_wal_group_commits_total', 'Group commits written', 'wal_group_commits');
    this.totalFromInfo('flashcache_wal_syncs_total', 'WAL syncs', 'wal_syncs');
    this.totalFromInfo('flashcache_snapshots_total', 'Snapshots completed', 'snapshots_completed');
    const self = this;
    new Gauge({
      name: 'flashcache_wal_write_failing',
      help: '1 while the WAL cannot be written (writes are refused with MISCONF until it can)',
      registers: [this.registry],
      collect() {
        this.set(self.info().get('wal_write_status') === 'err' ? 1 : 0);
      },
    });
    const loop = this.source.loopDelay;
    const delay = (name: string, what: string, ns: () => number) =>
      new Gauge({
        name,
        help: `Event-loop delay (time between timer callbacks), ${what}, since start or CONFIG RESETSTAT`,
        registers: [this.registry],
        collect() {
          this.set(ns() / 1e9);
        },
      });
    delay('flashcache_eventloop_delay_p50_seconds', 'median', () => loop.percentile(50));
    delay('flashcache_eventloop_delay_p99_seconds', '99th percentile', () => loop.percentile(99));
    delay('flashcache_eventloop_delay_max_seconds', 'maximum', () => loop.max);
  }
}
