/**
 * End-to-end comparison with redis-server: the same redis-benchmark runs
 * against FlashCache and Debian's redis-server with matching persistence,
 * alternating A B A B so that machine drift cancels, reporting medians and the
 * FlashCache/Redis ratio per test.
 *
 *   npm run bench -- --fsync always --tests set,get --pipeline 1,16 --runs 3
 *
 * Prints a Markdown table (and writes it with --out FILE). Needs redis-server
 * and redis-benchmark on PATH (Debian: redis-server, redis-tools).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');

type Fsync = 'always' | 'everysec' | 'none';

interface Target {
  name: 'flashcache' | 'redis';
  port: number;
  proc: ChildProcess;
  dir: string;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((res) => {
      const c = createConnection({ port, host: '127.0.0.1' }, () => {
        c.end();
        res(true);
      });
      c.on('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on ${port}`);
}

async function start(name: Target['name'], fsync: Fsync): Promise<Target> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  let proc: ChildProcess;
  if (name === 'flashcache') {
    // FlashCache always logs; 'none' is measured as appendfsync no.
    const policy = fsync === 'none' ? 'no' : fsync;
    proc = spawn(process.execPath, [CLI, '--port', String(port), '--dir', dir, '--appendfsync', policy, '--log-level', 'warn'], { stdio: 'ignore' });
  } else {
    const persistence = fsync === 'none' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', fsync];
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence], { stdio: 'ignore' });
  }
  await waitPort(port);
  return { name, port, proc, dir };
}

async function stop(t: Target): Promise<void> {
  const exited = new Promise((r) => t.proc.once('exit', r));
  t.proc.kill('SIGKILL');
  await exited;
  rmSync(t.dir, { recursive: true, force: true });
}

interface Sample {
  rps: number;
  p50: number;
  p99: number;
}

/** Runs redis-benchmark once and parses its --csv line. */
function benchmark(port: number, test: string, args: string[]): Promise<Sample> {
  return new Promise((res, rej) => {
    execFile('redis-benchmark', ['-p', String(port), '-t', test, '--csv', ...args], { maxBuffer: 1 << 24 }, (err, stdout) => {
      if (err) return rej(err);
      const line = stdout.trim().split('\n').find((l) => !l.startsWith('"test"'));
      if (!line) return rej(new Error(`no result: ${stdout}`));
      const f = line.split(',').map((x) => x.replace(/"/g, ''));
      res({ rps: Number(f[1]), p50: Number(f[4]), p99: Number(f[6]) });
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const program = new Command('bench-compare')
  .option('--fsync <policy>', 'always | everysec | none', 'always')
  .option('--tests <list>', 'redis-benchmark tests', 'set,get')
  .option('--pipeline <list>', 'pipeline depths', '1,16')
  .option('--clients <n>', 'connections', '50')
  .option('--requests <n>', 'requests per run', '500000')
  .option('--datasize <bytes>', 'value size', '100')
  .option('--keyspace <n>', 'random keys (-r)', '100000')
  .option('--runs <n>', 'runs per target and test (alternating)', '3')
  .option('--out <file>', 'also write the Markdown table here')
  .parse();
const o = program.opts<Record<string, string>>();

const fsync = o['fsync'] as Fsync;
const rows: string[] = [];
const header = `| test | -P | FlashCache k ops/s (median, min-max) | Redis k ops/s (median, min-max) | ratio | FlashCache p50/p99 ms | Redis p50/p99 ms |`;
rows.push(header, '|---|---|---|---|---|---|---|');
for (const test of o['tests']!.split(',')) {
  for (const p of o['pipeline']!.split(',')) {
    const args = ['-c', o['clients']!, '-n', o['requests']!, '-d', o['datasize']!, '-r', o['keyspace']!, '-P', p];
    const results: Record<string, Sample[]> = { flashcache: [], redis: [] };
    for (let run = 0; run < Number(o['runs']); run++) {
      for (const name of run % 2 === 0 ? (['flashcache', 'redis'] as const) : (['redis', 'flashcache'] as const)) {
        const t = await start(name, fsync);
        try {
          // A pop test on a fresh server would pop from an empty list: fill it first, as
          // redis-benchmark's own default run does by running lpush before lpop.
          if (test === 'lpop' || test === 'rpop') await benchmark(t.port, test === 'lpop' ? 'lpush' : 'rpush', args);
          results[name]!.push(await benchmark(t.port, test, args));
        } finally {
          await stop(t);
        }
      }
    }
    const fmt = (s: Sample[]): string => {
      const r = s.map((x) => x.rps / 1000);
      return `${median(r).toFixed(1)} (${Math.min(...r).toFixed(1)}-${Math.max(...r).toFixed(1)})`;
    };
    const lat = (s: Sample[]): string => `${median(s.map((x) => x.p50)).toFixed(2)} / ${median(s.map((x) => x.p99)).toFixed(2)}`;
    const ratio = median(results['flashcache']!.map((x) => x.rps)) / median(results['redis']!.map((x) => x.rps));
    rows.push(`| ${test} | ${p} | ${fmt(results['flashcache']!)} | ${fmt(results['redis']!)} | ${ratio.toFixed(2)}x | ${lat(results['flashcache']!)} | ${lat(results['redis']!)} |`);
    process.stderr.write(rows[rows.length - 1] + '\n');
  }
}
const cmdline = `redis-benchmark -t <test> -c ${o['clients']} -n ${o['requests']} -d ${o['datasize']} -r ${o['keyspace']} -P <p> --csv`;
const table = [
  `Persistence: ${fsync} (FlashCache --appendfsync ${fsync === 'none' ? 'no' : fsync}; redis-server ${fsync === 'none' ? '--appendonly no' : `--appendonly yes --appendfsync ${fsync}`} --save "").`,
  `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}. Each cell: ${o['runs']} runs, alternating targets, fresh server per run.`,
  `Command: ${cmdline}`,
  '',
  ...rows,
].join('\n');
process.stdout.write(table + '\n');
if (o['out']) writeFileSync(o['out'], table + '\n');
