/**
 * INFO fields that Redis 7.0 prints and that tools read (Debian's
 * prometheus-redis-exporter turns each into a metric family), filled with
 * FlashCache's equivalent where there is one and with the value Redis itself
 * prints when the mechanism is absent (no fork, no AOF rewrite, no
 * defragmenter, no I/O threads, no cluster). docs/OPERATIONS.md, "Metrics",
 * lists which is which:
 *
 * - allocator_*: the V8 heap (allocated: heapUsed + external; active:
 *   heapTotal + external; resident: RSS), since FlashCache's values live in
 *   arena pages it allocates itself and the rest in V8's heap;
 * - rdb_* and current_*: snapshots (rdb_saves counts them, rdb_last_cow_size
 *   is the bytes of pages the last snapshot copied before a write changed
 *   them, Redis's copy-on-write equivalent); no fork, so fork fields are 0;
 * - aof_*rewrite*: the WAL is never rewritten (snapshots trim it), so 0/-1/ok;
 * - mem_aof_buffer: WAL bytes appended and not yet written.
 *
 * Reference: https://redis.io/docs/latest/commands/info/
 */
import { totalmem } from 'node:os';
import type { Session } from '../commands/context.js';
import type { Snapshotter } from '../persistence/snapshot/snapshotter.js';
import type { Wal } from '../persistence/wal/writer.js';
import type { Keyspace } from '../store/keyspace.js';
import { scriptingFigures } from '../commands/scripting/engine.js';
import type { RateMeters } from './stats.js';
import type { Stats } from '../commands/context.js';

/** What these fields read (./info.ts's InfoSource provides it). */
export interface CompatSource {
  readonly clients: ReadonlyMap<number, Session>;
  readonly blockedClients: number;
  readonly keyspace: Keyspace;
  readonly usedMemoryPeak: number;
  readonly wal: Wal;
  readonly snapshots: Snapshotter;
  readonly loadedKeys: number;
  readonly stats: Stats;
  readonly rates: RateMeters;
}

type Fields = [string, string | number][];

/** JS heap of one compiled script in fengari, bytes (measured; docs/ARCHITECTURE.md, "Scripting"). */
const SCRIPT_HEAP_BYTES = 5800;

/** Bytes in arena pages (each page is 1 MiB). */
const PAGE_BYTES = 1024 * 1024;

/** The process's heap use when this module loaded, at start-up (`used_memory_startup`). */
const STARTUP_MEMORY = process.memoryUsage().heapUsed;

/** Formats bytes as Redis's `bytesToHuman` does (`1.50M`). */
export function bytesToHuman(n: number): string {
  const units = ['B', 'K', 'M', 'G', 'T', 'P'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n}B` : `${v.toFixed(2)}${units[i]}`;
}

const pct = (part: number, whole: number): string => `${whole > 0 ? ((100 * part) / whole).toFixed(2) : '0.00'}%`;
const ratio = (a: number, b: number): string => (b > 0 ? (a / b).toFixed(2) : '0.00');

/** The extra fields of INFO section `name` (appended after FlashCache's own), or none. */
export function compatFields(server: CompatSource, name: string, usedMemory: number): Fields {
  switch (name) {
    case 'server':
      return [
        ['redis_git_sha1', '00000000'],
        ['redis_git_dirty', 0],
        ['redis_build_id', '0'],
        ['multiplexing_api', 'epoll'],
        ['atomicvar_api', 'c11-builtin'],
        ['gcc_version', '0.0.0'],
        ['monotonic_clock', 'POSIX clock_gettime'],
        ['process_supervised', 'no'],
        ['configured_hz', 10],
        ['lru_clock', Math.floor(Date.now() / 1000) & 0xffffff],
      ];
    case 'clients':
      return [['clients_in_timeout_table', server.blockedClients]];
    case 'memory': {
      const mu = process.memoryUsage();
      const allocated = mu.heapUsed + mu.external;
      const active = mu.heapTotal + mu.external;
      const resident = mu.rss;
      let clientBytes = 0;
      for (const c of server.clients.values()) clientBytes += c.queryBufferBytes + c.outputBytes;
      const ks = server.keyspace;
      const dataset = ks.arena.liveBytes + ks.collections.bytes;
      const total = totalmem();
      const sc = scriptingFigures(ks);
      // fengari's heap is V8's and cannot be told apart: estimated from the JS heap a compiled script was measured
      // to take (about 5.7 KB, docs/ARCHITECTURE.md "Scripting") plus its text.
      const vmEval = sc.scripts * SCRIPT_HEAP_BYTES + sc.scriptsBytes;
      const vmFunctions = sc.libraries * SCRIPT_HEAP_BYTES + sc.librariesBytes;
      return [
        ['used_memory_startup', STARTUP_MEMORY],
        ['used_memory_peak_perc', pct(usedMemory, server.usedMemoryPeak)],
        ['used_memory_dataset_perc', pct(dataset, usedMemory)],
        ['allocator_allocated', allocated],
        ['allocator_active', active],
        ['allocator_resident', resident],
        ['total_system_memory', total],
        ['total_system_memory_human', bytesToHuman(total)],
        ['used_memory_lua', vmEval],
        ['used_memory_vm_eval', vmEval],
        ['used_memory_lua_human', bytesToHuman(vmEval)],
        ['used_memory_scripts_eval', sc.scriptsBytes],
        ['number_of_cached_scripts', sc.scripts],
        ['number_of_functions', sc.functions],
        ['number_of_libraries', sc.libraries],
        ['used_memory_vm_functions', vmFunctions],
        ['used_memory_vm_total', vmEval + vmFunctions],
        ['used_memory_vm_total_human', bytesToHuman(vmEval + vmFunctions)],
        ['used_memory_functions', sc.librariesBytes],
        ['used_memory_scripts', sc.scriptsBytes + sc.librariesBytes],
        ['used_memory_scripts_human', bytesToHuman(sc.scriptsBytes + sc.librariesBytes)],
        ['allocator_frag_ratio', ratio(active, allocated)],
        ['allocator_frag_bytes', active - allocated],
        ['allocator_rss_ratio', ratio(resident, active)],
        ['allocator_rss_bytes', resident - active],
        ['rss_overhead_ratio', '1.00'],
        ['rss_overhead_bytes', 0],
        ['mem_fragmentation_bytes', mu.rss - usedMemory],
        ['mem_clients_slaves', 0],
        ['mem_clients_normal', clientBytes],
        ['mem_cluster_links', 0],
        ['mem_aof_buffer', server.wal.pendingBytes],
        ['mem_replication_backlog', 0],
        ['mem_total_replication_buffers', 0],
        ['active_defrag_running', 0],
      ];
    }
    case 'persistence': {
      const snap = server.snapshots;
      const st = snap.stats;
      return [
        ['current_cow_peak', 0],
        ['current_cow_size', 0],
        ['current_cow_size_age', 0],
        ['current_fork_perc', '0.00'],
        ['current_save_keys_processed', 0],
        ['current_save_keys_total', 0],
        ['rdb_current_bgsave_time_sec', -1],
        ['rdb_saves', st.completed],
        ['rdb_last_cow_size', st.lastPagesPreserved * PAGE_BYTES],
        ['rdb_last_load_keys_expired', 0],
        ['rdb_last_load_keys_loaded', server.loadedKeys],
        ['aof_rewrite_in_progress', 0],
        ['aof_rewrite_scheduled', 0],
        ['aof_last_rewrite_time_sec', -1],
        ['aof_current_rewrite_time_sec', -1],
        ['aof_last_bgrewrite_status', 'ok'],
        ['aof_rewrites', 0],
        ['aof_rewrites_consecutive_failures', 0],
        ['aof_last_cow_size', 0],
        ['module_fork_in_progress', 0],
        ['module_fork_last_cow_size', 0],
      ];
    }
    case 'stats': {
      const s = server.stats;
      return [
        ['instantaneous_input_kbps', (server.rates.inputBytesPerSec / 1024).toFixed(2)],
        ['instantaneous_output_kbps', (server.rates.outputBytesPerSec / 1024).toFixed(2)],
        ['instantaneous_input_repl_kbps', '0.00'],
        ['instantaneous_output_repl_kbps', '0.00'],
        ['total_net_repl_input_bytes', 0],
        ['total_net_repl_output_bytes', 0],
        ['expired_stale_perc', '0.00'],
        ['expired_time_cap_reached_count', 0],
        ['expire_cycle_cpu_milliseconds', 0],
        ['evicted_clients', 0],
        ['total_eviction_exceeded_time', 0],
        ['current_eviction_exceeded_time', 0],
        ['latest_fork_usec', 0],
        ['total_forks', 0],
        ['slave_expires_tracked_keys', 0],
        ['active_defrag_hits', 0],
        ['active_defrag_misses', 0],
        ['active_defrag_key_hits', 0],
        ['active_defrag_key_misses', 0],
        ['total_active_defrag_time', 0],
        ['current_active_defrag_time', 0],
        ['unexpected_error_replies', 0],
        ['dump_payload_sanitizations', 0],
        ['total_reads_processed', s.readsProcessed],
        ['total_writes_processed', s.writesProcessed],
        ['io_threads_active', 0],
        ['cluster_connections', 0],
        ['io_threaded_reads_processed', 0],
        ['io_threaded_writes_processed', 0],
        ['reply_buffer_shrinks', 0],
        ['reply_buffer_expands', 0],
      ];
    }
    case 'cpu': {
      const u = process.cpuUsage();
      return [
        ['used_cpu_sys_children', '0.000000'],
        ['used_cpu_user_children', '0.000000'],
        ['used_cpu_sys_main_thread', (u.system / 1e6).toFixed(6)],
        ['used_cpu_user_main_thread', (u.user / 1e6).toFixed(6)],
      ];
    }
    default:
      return [];
  }
}
