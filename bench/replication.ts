/**
 * Replication against redis-server, same run, alternating the server started
 * first, a fresh set of servers per run, medians and FlashCache/Redis ratios
 * as compare.ts reports them:
 *
 *   npm run bench:replication -- --runs 3 --keys 1000000 --out bench/RESULTS.md
 *
 * - throughput: `redis-benchmark -t set -c 50 -n <requests> -d 100 -r 100000
 *   -P {1|16}` on a primary with 0, 1 and 2 replicas (`--replicas`), every
 *   server persisting each write (FlashCache `--appendfsync always`,
 *   redis-server `--appendonly yes --appendfsync always --save ""`, and
 *   `--repl-diskless-sync-delay 0` so that its full sync does not wait 5 s
 *   for more replicas first).
 * - lag under that load: every 100 ms the primary's INFO replication,
 *   `master_repl_offset` minus the lowest `slave<N>:offset=`; FlashCache
 *   counts records (LSNs), Redis bytes of its replication stream.
 * - full sync: a primary holding `--keys` keys of 100 bytes, an empty
 *   replica given `REPLICAOF`, the time until its link is up and DBSIZE
 *   matches (FlashCache: snapshot pages then WAL; Redis: its RDB transfer).
 */
import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { Command } from 'commander';
import {
  bulk,
  command,
  ensureRedisTools,
  environment,
  environmentLine,
  infoField,
  listOption,
  load,
  median,
  removeDir,
  startTarget,
  stopTarget,
  type Target,
} from './lib.js';

const o = new Command('bench-replication')
  .option('--replicas <list>', 'replica counts', '0,1,2')
  .option('--pipeline <list>', 'redis-benchmark -P values', '1,16')
  .option('--requests <n>', 'SETs per redis-benchmark run', '200000')
  .option('--runs <n>', 'runs per server and cell', '3')
  .option('--keys <n>', 'keys on the primary for the full sync (0: skip)', '1000000')
  .option('--out <file>', 'append the Markdown section to this file')
  .parse()
  .opts<{ replicas: string; pipeline: string; requests: string; runs: string; keys: string; out?: string }>();

type Name = Target['name'];

/** Persistence of every server: each write on disk before its reply. */
function persist(name: Name): string[] {
  return name === 'flashcache'
    ? ['--appendfsync', 'always']
    : ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--repl-diskless-sync-delay', '0'];
}

/** Arguments making a server a replica of `port`. */
function replicaOf(name: Name, port: number): string[] {
  return name === 'flashcache' ? ['--replicaof', `127.0.0.1 ${port}`] : ['--replicaof', '127.0.0.1', String(port)];
}

/** A primary and `n` replicas, every replica's link up. */
async function cluster(name: Name, n: number): Promise<Target[]> {
  const primary = await startTarget(name, persist(name));
  const all = [primary];
  for (let i = 0; i < n; i++) all.push(await startTarget(name, [...persist(name), ...replicaOf(name, primary.port)]));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const info = await bulk(primary.port, 'INFO replication');
    const online = (info.match(/state=online/g) ?? []).length;
    if (online >= n) break;
    if (Date.now() > deadline) throw new Error(`${name}: ${online} of ${n} replicas online`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return all;
}

async function teardown(all: Target[]): Promise<void> {
  for (const t of all.reverse()) {
    await stopTarget(t, 'kill');
    removeDir(t);
  }
}

/** Runs redis-benchmark; requests per second. */
function benchmark(port: number, pipeline: number, requests: number): Promise<number> {
  const argv = ['-p', String(port), '-t', 'set', '-c', '50', '-n', String(requests), '-d', '100', '-r', '100000'];
  argv.push('-P', String(pipeline), '-q');
  return new Promise((res, rej) => {
    execFile('redis-benchmark', argv, (err, stdout) => {
      if (err) return rej(err);
      const m = /SET: ([\d.]+) requests per second/.exec(stdout.replace(/\r/g, '\n'));
      if (!m) return rej(new Error(`no result in ${stdout.slice(-300)}`));
      res(Number(m[1]));
    });
  });
}

/** Samples the primary's lag (offset minus the lowest replica offset) every 100 ms until `stop` resolves. */
async function sampleLag(port: number, replicas: number, done: { stop: boolean }): Promise<number[]> {
  const out: number[] = [];
  while (!done.stop && replicas > 0) {
    const info = await bulk(port, 'INFO replication');
    const master = Number(infoField(info, 'master_repl_offset'));
    const offsets = [...info.matchAll(/slave\d+:.*offset=(\d+)/g)].map((m) => Number(m[1]));
    if (offsets.length > 0) out.push(master - Math.min(...offsets));
    await new Promise((r) => setTimeout(r, 100));
  }
  return out;
}

interface Cell {
  replicas: number;
  pipeline: number;
  rps: Record<Name, number[]>;
  lag: Record<Name, number[]>;
}

async function throughput(): Promise<Cell[]> {
  const runs = Number(o.runs);
  const cells: Cell[] = [];
  for (const n of listOption(o.replicas).map(Number)) {
    const row = listOption(o.pipeline).map(
      (p): Cell => ({
        replicas: n,
        pipeline: Number(p),
        rps: { flashcache: [], redis: [] },
        lag: { flashcache: [], redis: [] },
      }),
    );
    for (let run = 0; run < runs; run++) {
      const order: Name[] = run % 2 === 0 ? ['flashcache', 'redis'] : ['redis', 'flashcache'];
      for (const name of order) {
        const all = await cluster(name, n);
        for (const cell of row) {
          const done = { stop: false };
          const lag = sampleLag(all[0]!.port, n, done);
          cell.rps[name].push(await benchmark(all[0]!.port, cell.pipeline, Number(o.requests)));
          done.stop = true;
          cell.lag[name].push(...(await lag));
        }
        await teardown(all);
      }
    }
    cells.push(...row);
  }
  return cells;
}

/** Milliseconds from REPLICAOF on an empty replica until it is up with every key of a primary holding `keys`. */
async function fullSync(name: Name, keys: number): Promise<number> {
  const primary = await startTarget(name, persist(name));
  const replica = await startTarget(name, persist(name));
  try {
    await load(primary.port, keys, 100);
    const t0 = performance.now();
    await command(replica.port, `REPLICAOF 127.0.0.1 ${primary.port}`);
    for (;;) {
      const info = await bulk(replica.port, 'INFO replication');
      if (infoField(info, 'master_link_status') === 'up') {
        const size = await command(replica.port, 'DBSIZE');
        if (size === `:${keys}`) return performance.now() - t0;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await teardown([primary, replica]);
  }
}

function spread(xs: number[], k = 1000): string {
  if (xs.length === 0) return '-';
  return `${(median(xs) / k).toFixed(1)} (${(Math.min(...xs) / k).toFixed(1)}-${(Math.max(...xs) / k).toFixed(1)})`;
}

function lagText(xs: number[]): string {
  if (xs.length === 0) return '-';
  return `${median(xs)} / ${Math.max(...xs)}`;
}

async function main(): Promise<void> {
  ensureRedisTools();
  const env = environment();
  const cells = await throughput();
  const keys = Number(o.keys);
  const syncs: Record<Name, number[]> = { flashcache: [], redis: [] };
  if (keys > 0) {
    for (let run = 0; run < Number(o.runs); run++) {
      const order: Name[] = run % 2 === 0 ? ['flashcache', 'redis'] : ['redis', 'flashcache'];
      for (const name of order) syncs[name].push(await fullSync(name, keys));
    }
  }
  const lines = [
    `## Replication against redis-server (SET under appendfsync always with 0-2 replicas, lag, full sync)`,
    '',
    `\`node dist/bench/replication.js ${process.argv.slice(2).join(' ')}\``,
    '',
    `${environmentLine(env)}`,
    `Each cell: ${o.runs} runs per server, alternating which server runs first, a fresh primary and replicas per run ` +
      '(bench/replication.ts). Every server persists each write before its reply: FlashCache `--appendfsync always`, ' +
      'redis-server `--appendonly yes --appendfsync always --save "" --repl-diskless-sync-delay 0`, replicas ' +
      'included. Rates as median (min-max).',
    '',
    `\`redis-benchmark -p <primary> -t set -c 50 -n ${o.requests} -d 100 -r 100000 -P {${o.pipeline.replace(/,/g, '|')}}\``,
    '',
    '| replicas | -P | FlashCache k SET/s | Redis k SET/s | ratio | FlashCache lag, records (median / max) | Redis lag, bytes (median / max) |',
    '|---|---|---|---|---|---|---|',
    ...cells.map(
      (c) =>
        `| ${c.replicas} | ${c.pipeline} | ${spread(c.rps.flashcache)} | ${spread(c.rps.redis)} | ` +
        `${(median(c.rps.flashcache) / median(c.rps.redis)).toFixed(2)}x | ${lagText(c.lag.flashcache)} | ${lagText(c.lag.redis)} |`,
    ),
    '',
    'Lag is sampled every 100 ms on the primary: `master_repl_offset` minus the lowest `slave<N>:offset=`. FlashCache ' +
      'offsets are LSNs (one per record) and a replica acknowledges its applied LSN; Redis offsets are bytes of its ' +
      'replication stream (a 100-byte SET is about 150 bytes).',
  ];
  if (keys > 0) {
    lines.push(
      '',
      `Full sync of ${keys} keys of 100 bytes: from REPLICAOF on an empty replica to its link up with DBSIZE ${keys}, ` +
        `FlashCache ${spread(syncs.flashcache, 1)} ms, Redis ${spread(syncs.redis, 1)} ms ` +
        `(${(median(syncs.flashcache) / median(syncs.redis)).toFixed(2)}x).`,
    );
  }
  const text = lines.join('\n') + '\n';
  process.stdout.write(text);
  if (o.out) appendFileSync(o.out, '\n' + text);
}

await main();
