/**
 * Snapshot cost and event-loop stalls.
 *
 *   node dist/bench/snapshot.js --sizes 256,1024 --dirty 1,10,50
 *
 * For each dataset size (MiB of 1000-byte values): load it, take a full
 * snapshot, then for each dirty fraction overwrite a contiguous range of keys
 * in place (dirtying about that fraction of the arena pages), reset the
 * server's event-loop delay histogram, take a snapshot in the background
 * while a client keeps reading, and report its duration, pages and bytes
 * written, and the longest event-loop stall (perf_hooks
 * monitorEventLoopDelay, INFO eventloop_stall_max_ms).
 */
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { spawn } from 'node:child_process';
import { bulk, command, infoField, load, removeDir, startTarget, stopTarget } from './lib.js';

const o = new Command('bench-snapshot')
  .option('--sizes <list>', 'dataset sizes, MiB', '256,1024')
  .option('--dirty <list>', 'dirty fractions, percent', '1,10,50')
  .option('--readers <n>', 'redis-benchmark GET clients running during each background snapshot (0: none)', '10')
  .option('--out <file>', 'also write the Markdown table here')
  .parse()
  .opts<Record<string, string>>();

const VALUE = 1000;
const ENTRY = 1032; // 12-byte header + 16-byte key + 1000-byte value, 8-aligned

async function snapshot(port: number, kind: 'SAVE' | 'BGSAVE'): Promise<Record<string, string>> {
  const before = Number(infoField(await bulk(port, 'INFO persistence'), 'snapshots_completed'));
  await command(port, kind);
  for (;;) {
    const info = await bulk(port, 'INFO persistence');
    if (Number(infoField(info, 'snapshots_completed')) > before) {
      const stats = await bulk(port, 'INFO stats');
      return {
        ms: infoField(info, 'snapshot_last_duration_ms'),
        pages: infoField(info, 'snapshot_last_pages_written'),
        total: infoField(info, 'snapshot_pages'),
        bytes: infoField(info, 'snapshot_last_bytes_written'),
        preserved: infoField(info, 'snapshot_last_pages_preserved'),
        stall: infoField(stats, 'eventloop_stall_max_ms'),
      };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

const rows: string[] = [];
for (const mib of o['sizes']!.split(',').map(Number)) {
  const keys = Math.floor((mib * 2 ** 20) / ENTRY);
  const t = await startTarget('flashcache', [
    '--appendfsync',
    'everysec',
    '--snapshot-interval',
    '0',
    '--snapshot-wal-bytes',
    '0',
  ]);
  await load(t.port, keys, VALUE);
  const full = await snapshot(t.port, 'SAVE');
  rows.push(
    `| ${mib} | ${keys} | full | ${full.pages} of ${full.total} | ${(Number(full.bytes) / 2 ** 20).toFixed(0)} | ${full.ms} | - |`,
  );
  for (const pct of o['dirty']!.split(',').map(Number)) {
    await load(t.port, Math.floor((keys * pct) / 100), VALUE);
    await command(t.port, 'CONFIG RESETSTAT');
    // A reader keeps the server busy while the snapshot runs.
    const readers = Number(o['readers']);
    const reader =
      readers > 0
        ? spawn(
            'redis-benchmark',
            ['-p', String(t.port), '-t', 'get', '-n', '100000000', '-c', String(readers), '-r', String(keys), '-q'],
            { stdio: 'ignore' },
          )
        : null;
    await new Promise((r) => setTimeout(r, 200));
    const s = await snapshot(t.port, 'BGSAVE');
    reader?.kill();
    rows.push(
      `| ${mib} | ${keys} | ${pct}% | ${s.pages} of ${s.total} | ${(Number(s.bytes) / 2 ** 20).toFixed(0)} | ${s.ms} | ${s.stall} |`,
    );
    process.stderr.write(rows[rows.length - 1] + '\n');
  }
  await stopTarget(t, 'kill');
  removeDir(t);
}

const table = [
  `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}); Node ${process.version}. Values of ${VALUE} bytes; a dirty fraction overwrites that share of the keys, in key order, in place. During each background snapshot redis-benchmark GET runs with ${o['readers']} clients.`,
  '',
  '| dataset MiB | keys | dirty | pages written | MiB written | snapshot ms | longest event-loop stall ms |',
  '|---|---|---|---|---|---|---|',
  ...rows,
].join('\n');
process.stdout.write(table + '\n');
if (o['out']) writeFileSync(o['out'], table + '\n');
