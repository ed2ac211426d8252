/**
 * twemproxy in front of FlashCache against twemproxy in front of
 * redis-server: redis-benchmark SET and GET through nutcracker (ketama,
 * docs/TWEMPROXY.md's pool) in front of three FlashCache nodes, and the same
 * through nutcracker in front of three redis-server 7.0.15 nodes with the same
 * persistence, alternating (the target started first flips every run), a
 * fresh set of nodes and a fresh nutcracker per run; medians and the
 * FlashCache/Redis ratio of the medians.
 *
 *   npm run bench:twemproxy -- --fsync always,none --runs 3 --requests 100000 --out bench/RESULTS.md
 *
 * Persistence (`--fsync`): `always`: FlashCache `--appendfsync always`,
 * redis-server `--appendonly yes --appendfsync always`; `none`: FlashCache
 * `--appendfsync no`, redis-server `--appendonly no`; redis-server always
 * `--save ""`. GET runs after `--keyspace` keys of `--datasize` bytes were
 * written through the proxy (redis-cli --pipe cannot: it ends with ECHO, which
 * nutcracker refuses). Needs nutcracker (apt-get install nutcracker).
 */
import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { Command } from 'commander';
import { Redis } from 'ioredis';
import { startNutcracker } from '../test/helpers/twemproxy.js';
import {
  ensureRedisTools,
  environment,
  environmentLine,
  fsyncModes,
  listOption,
  median,
  rateSpread,
  removeDir,
  startTarget,
  stopTarget,
  type Fsync,
  type Target,
} from './lib.js';

const o = new Command('bench-twemproxy')
  .option('--fsync <list>', 'persistence modes: always, everysec, none', 'always,none')
  .option('--tests <list>', 'redis-benchmark tests', 'set,get')
  .option('--pipeline <list>', 'pipeline depths', '1,16')
  .option('--clients <n>', 'connections to nutcracker', '50')
  .option('--requests <n>', 'requests per redis-benchmark run', '100000')
  .option('--datasize <bytes>', 'value size', '100')
  .option('--keyspace <n>', 'random keys (-r)', '100000')
  .option('--nodes <n>', 'nodes behind nutcracker', '3')
  .option('--runs <n>', 'runs per target, alternating', '3')
  .option('--warmup <n>', 'SET requests through the proxy before the measured runs (JIT, connections)', '20000')
  .option('--out <file>', 'append the Markdown section to this file')
  .parse()
  .opts<Record<string, string>>();

const modes = fsyncModes(o['fsync']!);
const tests = listOption(o['tests']!);
const pipelines = listOption(o['pipeline']!).map(Number);
const runs = Number(o['runs']);
const nodeCount = Number(o['nodes']);

/** Server arguments of a persistence mode. */
function serverArgs(name: Target['name'], fsync: Fsync): string[] {
  if (name === 'flashcache') return ['--appendfsync', fsync === 'none' ? 'no' : fsync];
  return [
    '--save',
    '',
    ...(fsync === 'none' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', fsync]),
  ];
}

/** One redis-benchmark run: requests per second and latency percentiles (ms), from its CSV line. */
interface Run {
  rps: number;
  p50: number;
  p99: number;
}

/** Runs redis-benchmark with `--csv` and reads its result line. */
function benchmark(port: number, args: string[]): Promise<Run> {
  const argv = ['-p', String(port), ...args, '--csv'];
  return new Promise((res, rej) => {
    execFile('redis-benchmark', argv, { maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
      const line = stdout.split('\n').find((l) => /^"[^"]+","[\d.]+"/.test(l));
      if (err || !line)
        return rej(new Error(`redis-benchmark ${argv.join(' ')}: ${err?.message ?? ''} ${stderr} ${stdout}`));
      const f = line.split(',').map((x) => Number(x.replaceAll('"', '')));
      res({ rps: f[1]!, p50: f[4]!, p99: f[6]! });
    });
  });
}

/** Writes keys `key:<12 digits>` (redis-benchmark's `-r` names) through the proxy. */
async function load(port: number): Promise<void> {
  const c = new Redis({ port, host: '127.0.0.1', protocol: 2, enableReadyCheck: false, disableClientInfo: true });
  const value = 'x'.repeat(Number(o['datasize']));
  const n = Number(o['keyspace']);
  for (let from = 0; from < n; from += 10_000) {
    const p = c.pipeline();
    for (let i = from; i < Math.min(n, from + 10_000); i++) p.set(`key:${String(i).padStart(12, '0')}`, value);
    await p.exec();
  }
  c.disconnect();
}

/** The runs of one target, per cell (`set -P 16`). */
type Samples = Record<string, Run[]>;
const cell = (test: string, pipeline: number): string => `${test} -P ${pipeline}`;

/** One run: N nodes of a target and nutcracker in front, every test and pipeline depth once. */
async function runOnce(name: Target['name'], fsync: Fsync, into: Samples): Promise<void> {
  const nodes: Target[] = [];
  try {
    // Started together; the ones that did start are stopped below even if another failed.
    const starts = await Promise.allSettled(
      Array.from({ length: nodeCount }, () => startTarget(name, serverArgs(name, fsync))),
    );
    for (const r of starts) if (r.status === 'fulfilled') nodes.push(r.value);
    for (const r of starts) if (r.status === 'rejected') throw r.reason;
    const proxy = await startNutcracker({
      port: 0,
      servers: nodes.map((n, i) => ({ port: n.port, name: `node${i + 1}` })),
      timeoutMs: 10_000,
    });
    try {
      const warm = ['-t', 'set', '-c', o['clients']!, '-n', o['warmup']!, '-d', o['datasize']!, '-r', o['keyspace']!];
      if (Number(o['warmup']) > 0) await benchmark(proxy.port, warm);
      for (const test of tests) {
        if (test === 'get') await load(proxy.port);
        for (const pipeline of pipelines) {
          const r = await benchmark(proxy.port, [
            ...['-t', test, '-c', o['clients']!, '-n', o['requests']!, '-d', o['datasize']!],
            ...['-r', o['keyspace']!, '-P', String(pipeline)],
          ]);
          (into[cell(test, pipeline)] ??= []).push(r);
          process.stderr.write(
            `${fsync} ${name} ${cell(test, pipeline)}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms\n`,
          );
        }
      }
    } finally {
      await proxy.stop();
    }
  } finally {
    for (const n of nodes) {
      await stopTarget(n, 'kill');
      removeDir(n);
    }
  }
}

ensureRedisTools();
const started = Date.now();
const sections: string[] = [];
for (const fsync of modes) {
  const fc: Samples = {};
  const redis: Samples = {};
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? (['flashcache', 'redis'] as const) : (['redis', 'flashcache'] as const);
    for (const name of order) await runOnce(name, fsync, name === 'flashcache' ? fc : redis);
  }
  const rps = (xs: Run[]): number[] => xs.map((x) => x.rps);
  const lat = (xs: Run[]): string =>
    `${median(xs.map((x) => x.p50)).toFixed(2)} / ${median(xs.map((x) => x.p99)).toFixed(2)}`;
  const rows = Object.keys(fc).map((k) => {
    const ratio = median(rps(fc[k]!)) / median(rps(redis[k]!));
    return `| ${k} | ${rateSpread(rps(fc[k]!))} | ${rateSpread(rps(redis[k]!))} | ${ratio.toFixed(2)}x | ${lat(fc[k]!)} | ${lat(redis[k]!)} |`;
  });
  sections.push(
    [
      `### persistence ${fsync}: FlashCache ${serverArgs('flashcache', fsync).join(' ')}; ` +
        `redis-server ${serverArgs('redis', fsync)
          .map((a) => (a === '' ? '""' : a))
          .join(' ')}`,
      '',
      '| test | FlashCache k ops/s | Redis k ops/s | ratio | FlashCache p50 / p99 ms | Redis p50 / p99 ms |',
      '|---|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  );
}

const env = environment();
const markdown = [
  `## ${env.date}: twemproxy (nutcracker 0.5.0) in front of ${nodeCount} FlashCache nodes against ${nodeCount} redis-server nodes`,
  '',
  `\`node dist/bench/twemproxy.js ${process.argv.slice(2).join(' ')}\``,
  '',
  environmentLine(env),
  `Through nutcracker (ketama, fnv1a_64, named servers, server_connections 1, docs/TWEMPROXY.md): ` +
    `\`redis-benchmark -p <nutcracker> -t {${tests.join('|')}} -c ${o['clients']} -n ${o['requests']} ` +
    `-d ${o['datasize']} -r ${o['keyspace']} -P {${pipelines.join('|')}}\`; GET after ${o['keyspace']} keys were ` +
    `written through the proxy, after ${o['warmup']} SETs of warm-up. ${runs} run${runs === 1 ? '' : 's'} per target, alternating, fresh nodes and ` +
    `nutcracker per run; k ops/s as median (min-max); ratio FlashCache/Redis of the medians. ` +
    `Everything (client, nutcracker, ${nodeCount} nodes) shares the machine's cores. ` +
    `${((Date.now() - started) / 1000).toFixed(0)} s in all.`,
  '',
  sections.join('\n\n'),
].join('\n');
process.stdout.write(markdown + '\n');
if (o['out']) appendFileSync(o['out'], '\n' + markdown + '\n');
process.exit(0);
