/**
 * End-to-end comparison with redis-server: the same redis-benchmark runs
 * against FlashCache and redis-server with matching persistence, alternating
 * A B A B (the server started first flips every run) with a fresh server per
 * run, reporting medians, min-max and the FlashCache/Redis ratio per cell.
 *
 *   npm run bench -- --fsync always,none --suite throughput,latency,connections,values --runs 3 \
 *     --out bench/RESULTS.md --json /tmp/compare.json --chart /tmp/ratios.svg
 *
 * Suites (`--suite`, default all), each `redis-benchmark -c 50 -n 500000 -d 100 -r 100000`
 * unless stated:
 * - throughput: set,get,incr,mset,lpush,hset at -P 1 and -P 16;
 * - latency: set,get at -P 1, with p50/p99/p99.9 (from the percentile
 *   distribution of redis-benchmark's full output) and the p99 ratio;
 * - connections: set,get with 1000 connections at -P 1;
 * - values: set,get with 1 KiB and 16 KiB values at -P 1 and -P 16.
 * `--tests` replaces every suite's tests, `--pipeline` the depths of
 * throughput and values. get runs after the keys it reads were loaded,
 * lpop/rpop after an lpush/rpush run with the same arguments. After each
 * FlashCache run (CONFIG RESETSTAT right before it) INFO stats gives the
 * longest event-loop stall. The connections suite needs `ulimit -n` above
 * the connection count (checked before anything runs).
 *
 * Persistence (`--fsync`, a list): FlashCache `--appendfsync always|everysec|no`
 * (it always logs; `none` runs as `no`); redis-server `--appendonly yes
 * --appendfsync <mode>` or `--appendonly no`, always `--save ""`.
 *
 * `--baseline <cli.js>` compares two FlashCache builds instead: the other
 * server is FlashCache started from that entry point (another checkout's
 * `dist/src/cli.js`) with the same arguments, and the ratio is this
 * build/baseline. That is how a change is measured before and after in one run.
 *
 * Prints Markdown (a dated section, then one table per mode and suite) and
 * appends it to `--out FILE`; `--json FILE` writes the raw runs, which
 * `chart.js` turns into a chart like `--chart FILE.svg` does. Installs
 * redis-server and redis-tools with apt-get when they are missing.
 */
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Command } from 'commander';
import {
  bulk,
  command,
  ensureRedisTools,
  environment,
  environmentLine,
  fsyncModes,
  infoField,
  listOption,
  issueTarget,
  load,
  median,
  removeDir,
  rpsRatio,
  startTarget,
  stopTarget,
  type Cell,
  type Fsync,
  type Results,
  type Sample,
} from './lib.js';

const SUITES = ['throughput', 'latency', 'connections', 'values'] as const;
type Suite = (typeof SUITES)[number];

const o = new Command('bench-compare')
  .option('--suite <list>', `suites: ${SUITES.join(', ')}`, SUITES.join(','))
  .option('--fsync <list>', 'persistence modes: always, everysec, none', 'always')
  .option('--tests <list>', "redis-benchmark tests for every suite (default: each suite's own)")
  .option('--pipeline <list>', 'pipeline depths of the throughput and values suites', '1,16')
  .option('--clients <n>', 'connections (all suites but connections)', '50')
  .option('--connections <n>', 'connections of the connections suite', '1000')
  .option('--requests <n>', 'requests per run', '500000')
  .option('--datasize <bytes>', 'value size (all suites but values)', '100')
  .option('--sizes <list>', 'value sizes of the values suite, bytes', '1024,16384')
  .option('--keyspace <n>', 'random keys (-r)', '100000')
  .option('--runs <n>', 'runs per server and cell, alternating', '3')
  .option('--out <file>', 'append the Markdown section to this file')
  .option('--json <file>', 'write the raw results here (for chart.js)')
  .option('--chart <file>', 'write an SVG chart of the throughput ratios here')
  .option('--baseline <cli.js>', 'compare with another FlashCache build (its dist/src/cli.js) instead of redis-server')
  .parse()
  .opts<Record<string, string | undefined>>();

const suites = listOption(o['suite']!) as Suite[];
const modes = fsyncModes(o['fsync']!);
for (const s of suites) if (!SUITES.includes(s)) throw new Error(`unknown suite ${s}`);
const runs = Number(o['runs']);
if (!(runs >= 1)) throw new Error('--runs must be at least 1');

/** The other server: redis-server, or FlashCache from `--baseline`. */
const baseline = o['baseline'];
/** Its name in tables. */
const OTHER = baseline === undefined ? 'Redis' : 'baseline';

/** A cell's workload before it runs. */
type Workload = Pick<Cell, 'suite' | 'test' | 'pipeline' | 'clients' | 'datasize'>;

/** The workloads of a suite, given the command-line overrides. */
function workloads(suite: Suite): Workload[] {
  const defaults: Record<Suite, { tests: string; pipelines: string; clients: string; sizes: string }> = {
    throughput: {
      tests: 'set,get,incr,mset,lpush,hset',
      pipelines: o['pipeline']!,
      clients: o['clients']!,
      sizes: o['datasize']!,
    },
    latency: { tests: 'set,get', pipelines: '1', clients: o['clients']!, sizes: o['datasize']! },
    connections: { tests: 'set,get', pipelines: '1', clients: o['connections']!, sizes: o['datasize']! },
    values: { tests: 'set,get', pipelines: o['pipeline']!, clients: o['clients']!, sizes: o['sizes']! },
  };
  const d = defaults[suite];
  const out: Workload[] = [];
  for (const datasize of listOption(d.sizes).map(Number)) {
    for (const test of listOption(o['tests'] ?? d.tests)) {
      for (const pipeline of listOption(d.pipelines).map(Number))
        out.push({ suite, test, pipeline, clients: Number(d.clients), datasize });
    }
  }
  return out;
}

/** Server arguments for a persistence mode. */
function serverArgs(name: 'flashcache' | 'redis', fsync: Fsync, clients: number): string[] {
  if (name === 'flashcache' || baseline !== undefined) return ['--appendfsync', fsync === 'none' ? 'no' : fsync];
  const aof = fsync === 'none' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', fsync];
  // Redis accepts 10000 clients by default; FlashCache sets no limit.
  const max = clients > 9000 ? ['--maxclients', String(clients + 100)] : [];
  return ['--save', '', ...aof, ...max];
}

/**
 * Runs redis-benchmark once and parses its full output (not --csv: only the
 * full output has the percentile distribution that p99.9 is read from).
 */
function benchmark(port: number, args: string[]): Promise<Sample> {
  const argv = ['-p', String(port), ...args];
  return new Promise((res, rej) => {
    execFile('redis-benchmark', argv, { maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      if (err) return rej(new Error(`redis-benchmark ${argv.join(' ')}: ${err.message} ${stderr}`));
      try {
        res(parseBenchmark(stdout));
      } catch (e) {
        rej(new Error(`redis-benchmark ${argv.join(' ')}: ${(e as Error).message}\n${stdout.slice(-2000)}`));
      }
    });
  });
}

/**
 * Parses redis-benchmark 7's full report of one test: "throughput summary",
 * the "latency summary (msec)" table (p50, p99, max) and, for p99.9, the first
 * line of the "Latency by percentile distribution" section at or above 99.9%.
 */
function parseBenchmark(out: string): Sample {
  const rps = /throughput summary: ([\d.]+) requests per second/.exec(out);
  const summary = /latency summary \(msec\):\s*\n\s*(.+)\n\s*(.+)/.exec(out);
  if (!rps || !summary) throw new Error('no summary in the output');
  const names = summary[1]!.trim().split(/\s+/);
  const values = summary[2]!.trim().split(/\s+/).map(Number);
  const col = (n: string): number => values[names.indexOf(n)] ?? NaN;
  const dist = out.slice(
    out.indexOf('Latency by percentile distribution:'),
    out.indexOf('Cumulative distribution of latencies:'),
  );
  let p999 = NaN;
  for (const m of dist.matchAll(/^([\d.]+)% <= ([\d.]+) milliseconds/gm)) {
    if (Number(m[1]) >= 99.9) {
      p999 = Number(m[2]);
      break;
    }
  }
  return { rps: Number(rps[1]), p50: col('p50'), p99: col('p99'), p999, max: col('max') };
}

/** Runs one cell: `runs` rounds of both servers, the first of each round alternating. */
async function runCell(w: Workload, fsync: Fsync): Promise<Cell> {
  const args = [
    '-t',
    w.test,
    '-c',
    String(w.clients),
    '-n',
    o['requests']!,
    '-d',
    String(w.datasize),
    '-r',
    o['keyspace']!,
    '-P',
    String(w.pipeline),
    '--precision',
    '3',
  ];
  const cell: Cell = { ...w, fsync, args, flashcache: [], redis: [] };
  for (let run = 0; run < runs; run++) {
    for (const name of run % 2 === 0 ? (['flashcache', 'redis'] as const) : (['redis', 'flashcache'] as const)) {
      const t =
        name === 'redis' && baseline !== undefined
          ? await startTarget('flashcache', serverArgs(name, fsync, w.clients), undefined, undefined, baseline)
          : await startTarget(name, serverArgs(name, fsync, w.clients));
      try {
        // On a fresh server get would only miss and pop would pop from an empty
        // list: load the keys get reads, run the push first (as redis-benchmark's
        // default run does).
        if (w.test === 'get') await load(t.port, Number(o['keyspace']), w.datasize);
        if (w.test === 'lpop' || w.test === 'rpop')
          await benchmark(t.port, ['-t', w.test === 'lpop' ? 'lpush' : 'rpush', ...args.slice(2)]);
        if (t.name === 'flashcache') await command(t.port, 'CONFIG RESETSTAT');
        const s = await benchmark(t.port, args);
        if (t.name === 'flashcache') {
          const stats = await bulk(t.port, 'INFO stats');
          s.stallMax = Number(infoField(stats, 'eventloop_stall_max_ms'));
          s.stallP99 = Number(infoField(stats, 'eventloop_stall_p99_ms'));
        }
        cell[name].push(s);
      } finally {
        await stopTarget(t, 'kill');
        removeDir(t);
      }
    }
  }
  return cell;
}

const k = (x: number): string => (x / 1000).toFixed(1);
const ms = (x: number): string => x.toFixed(2);
/** Median and range of a field over runs. */
const spread = (s: Sample[], f: (x: Sample) => number, fmt: (x: number) => string): string => {
  const xs = s.map(f);
  return `${fmt(median(xs))} (${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))})`;
};
const stall = (s: Sample[], f: (x: Sample) => number | undefined): string =>
  Math.max(...s.map((x) => f(x) ?? NaN)).toFixed(1);

/** One table row of a cell. */
function row(c: Cell): string {
  const f = c.flashcache;
  const r = c.redis;
  const stalls = [stall(f, (x) => x.stallMax), stall(f, (x) => x.stallP99)];
  if (c.suite === 'latency') {
    const pct = (s: Sample[]): string =>
      [median(s.map((x) => x.p50)), median(s.map((x) => x.p99)), median(s.map((x) => x.p999))].map(ms).join(' / ');
    const p99 = median(f.map((x) => x.p99)) / median(r.map((x) => x.p99));
    return `| ${c.test} | ${pct(f)} | ${pct(r)} | ${p99.toFixed(2)}x | ${spread(f, (x) => x.rps, k)} | ${spread(r, (x) => x.rps, k)} | ${stalls.join(' | ')} |`;
  }
  const ratio = rpsRatio(c);
  const target = baseline === undefined ? issueTarget(c) : null;
  const goal = target === null ? '' : `≥${target.toFixed(2)} ${ratio >= target ? 'met' : 'missed'}`;
  const lat = (s: Sample[]): string => `${ms(median(s.map((x) => x.p50)))} / ${ms(median(s.map((x) => x.p99)))}`;
  const lead = c.suite === 'values' ? `| ${c.datasize} ` : '';
  return `${lead}| ${c.test} | ${c.pipeline} | ${spread(f, (x) => x.rps, k)} | ${spread(r, (x) => x.rps, k)} | ${ratio.toFixed(2)}x | ${goal} | ${lat(f)} | ${lat(r)} | ${stalls.join(' | ')} |`;
}

/** Table header of a suite. */
function header(suite: string): string[] {
  const stalls = '| FlashCache loop stall max ms | FlashCache loop stall p99 ms (max over runs) |';
  if (suite === 'latency') {
    return [
      `| test | FlashCache p50 / p99 / p99.9 ms | ${OTHER} p50 / p99 / p99.9 ms | p99 ratio | FlashCache k ops/s | ` +
        `${OTHER} k ops/s ${stalls}`,
      `|${'---|'.repeat(8)}`,
    ];
  }
  const lead = suite === 'values' ? '| value bytes ' : '';
  const cols =
    `${lead}| test | -P | FlashCache k ops/s | ${OTHER} k ops/s | ratio | issue target | FlashCache p50 / p99 ms | ` +
    `${OTHER} p50 / p99 ms ${stalls}`;
  return [cols, `|${'---|'.repeat(cols.split('|').length - 2)}`];
}

/** The redis-benchmark command line of a table: constant arguments as they are, varying ones as {a|b}. */
function commandLine(cells: Cell[]): string {
  const args = cells[0]!.args.map((_, i) => {
    const vs = [...new Set(cells.map((c) => c.args[i]!))];
    return vs.length === 1 ? vs[0]! : `{${vs.join('|')}}`;
  });
  return `redis-benchmark -p <port> ${args.map((a) => (a === '' ? '""' : a)).join(' ')}`;
}

/** Markdown section of a table. */
function section(cells: Cell[]): string {
  const { suite, fsync } = cells[0]!;
  const redis = serverArgs('redis', fsync, cells[0]!.clients)
    .map((a) => (a === '' ? '""' : a))
    .join(' ');
  const notes: string[] = [];
  if (cells.some((c) => c.test === 'get'))
    notes.push(`get runs after ${o['keyspace']} keys of -d bytes were loaded (redis-cli --pipe)`);
  if (cells.some((c) => c.test === 'lpop' || c.test === 'rpop'))
    notes.push('lpop/rpop run after an lpush/rpush run with the same arguments');
  return [
    `### ${suite}, persistence ${fsync}`,
    '',
    `FlashCache ${serverArgs('flashcache', fsync, 0).join(' ')}; ` +
      (baseline === undefined ? `redis-server ${redis}` : `baseline ${baseline} ${redis}`) +
      `.${notes.length ? ` ${notes.join('; ')}.` : ''}`,
    '',
    `\`${commandLine(cells)}\``,
    '',
    ...header(suite),
    ...cells.map(row),
  ].join('\n');
}

// Every connection is a descriptor in redis-benchmark and in the server; both
// inherit this process's limit (Node raises its soft limit to the hard one).
const clients = Math.max(...suites.flatMap(workloads).map((w) => w.clients));
const fdLimit = execFileSync('bash', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
if (fdLimit !== 'unlimited' && clients + 64 > Number(fdLimit)) {
  throw new Error(
    `${clients} connections need more open files than ulimit -n allows here (${fdLimit}); raise it (ulimit -n 65536) and rerun`,
  );
}
ensureRedisTools();
const results: Results = {
  environment: environment(),
  command: ['node dist/bench/compare.js', ...process.argv.slice(2)].join(' '),
  cells: [],
};
const sections: string[] = [];
for (const fsync of modes) {
  for (const suite of suites) {
    const cells: Cell[] = [];
    for (const w of workloads(suite)) {
      const cell = await runCell(w, fsync);
      cells.push(cell);
      results.cells.push(cell);
      process.stderr.write(`${fsync} ${suite}: ${row(cell)}\n`);
      if (o['json']) writeFileSync(o['json'], JSON.stringify(results, null, 1) + '\n');
    }
    sections.push(section(cells));
  }
}

const env = results.environment;
const markdown = [
  `## ${env.date}: FlashCache against ${baseline === undefined ? 'redis-server' : `the baseline build ${baseline}`} ` +
    `(${suites.join(', ')}; fsync ${modes.join(', ')})`,
  '',
  `\`${results.command}\``,
  '',
  environmentLine(env),
  `Each cell: ${runs} run${runs === 1 ? '' : 's'} per server, alternating (the server started first flips every run), a fresh server and data directory (${tmpdir()}) per run; k ops/s as median (min-max), other figures medians; ratio is FlashCache/${OTHER} of the median k ops/s. Loop stall: FlashCache INFO stats eventloop_stall_max_ms and _p99_ms after each run (CONFIG RESETSTAT right before it), the largest over the runs.`,
  '',
  sections.join('\n\n'),
].join('\n');
process.stdout.write(markdown + '\n');
if (o['out']) appendFileSync(o['out'], '\n' + markdown + '\n');
if (o['chart']) {
  const { ratioChart } = await import('./chart.js');
  writeFileSync(o['chart'], await ratioChart(results.cells));
}
