/**
 * Shared pieces of the benchmarks: starting FlashCache and redis-server on
 * free loopback ports, loading data through `redis-cli --pipe`, reading a
 * process's resident memory, waiting for a server to answer PING, installing
 * the Redis tools, describing the machine, and the result records that
 * compare.ts writes and chart.ts reads.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built server as the `flashcache` bin runs it: the bundle (scripts/bundle.mjs). */
export const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bundle', 'flashcache.cjs');

/** A server under test. */
export interface Target {
  name: 'flashcache' | 'redis';
  port: number;
  dir: string;
  proc: ChildProcess;
  exited: Promise<void>;
}

/** Next port to try from `FLASHCACHE_BENCH_PORTS` (`<first>-<last>`), when set. */
let nextBenchPort = 0;

/** A free loopback port: any, or the next free one of `FLASHCACHE_BENCH_PORTS` (`<first>-<last>`) when set. */
export async function freePort(): Promise<number> {
  const range = /^(\d+)-(\d+)$/.exec(process.env['FLASHCACHE_BENCH_PORTS'] ?? '');
  if (range === null) return listenOnce(0);
  const [first, last] = [Number(range[1]), Number(range[2])];
  for (let tries = 0; tries <= last - first; tries++) {
    const port = first + (nextBenchPort++ % (last - first + 1));
    try {
      return await listenOnce(port);
    } catch {
      // Taken: try the next one.
    }
  }
  throw new Error(`no free port in ${range[0]}`);
}

/** Listens on `port` (0: any) and closes again; the port it got. */
function listenOnce(port: number): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(port, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

/** Sends one inline command and returns the first reply line. */
export function command(port: number, line: string): Promise<string> {
  return new Promise((res, rej) => {
    const c = createConnection({ port, host: '127.0.0.1' }, () => c.write(line + '\r\n'));
    let buf = '';
    c.on('data', (d) => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\r\n');
      if (nl >= 0) {
        c.destroy();
        res(buf.slice(0, nl));
      }
    });
    c.on('close', () => res(buf));
    c.on('error', rej);
  });
}

/** Sends a command and returns the whole bulk reply (INFO). */
export function bulk(port: number, line: string): Promise<string> {
  return new Promise((res, rej) => {
    const c = createConnection({ port, host: '127.0.0.1' }, () => c.write(line + '\r\n'));
    let buf = Buffer.alloc(0);
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const nl = buf.indexOf('\r\n');
      if (nl < 0) return;
      const len = Number(buf.subarray(1, nl).toString());
      if (buf.length >= nl + 2 + len + 2) {
        c.destroy();
        res(buf.subarray(nl + 2, nl + 2 + len).toString());
      }
    });
    c.on('error', rej);
  });
}

/** One field of an INFO reply. */
export function infoField(info: string, name: string): string {
  const m = new RegExp(`^${name}:(.*)\\r?$`, 'm').exec(info);
  return m ? m[1]!.trim() : '';
}

/** Milliseconds until the server answers PING with PONG (not LOADING, not refused). */
export async function waitReady(port: number, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await command(port, 'PING')) === '+PONG') return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`port ${port} not ready`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * Starts a server on a free port in `dir` (a fresh temporary directory when
 * omitted) and waits until it answers.
 *
 * @param extra extra arguments for the server
 * @param cli the FlashCache entry point to run (another build's `dist/src/cli.js` for an A/B comparison)
 */
export async function startTarget(
  name: Target['name'],
  extra: string[] = [],
  dir?: string,
  port?: number,
  cli = CLI,
): Promise<Target> {
  const p = port ?? (await freePort());
  const d = dir ?? mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const proc =
    name === 'flashcache'
      ? spawn(process.execPath, [cli, '--port', String(p), '--dir', d, '--log-level', 'warn', ...extra], {
          stdio: ['ignore', 'ignore', 'pipe'],
        })
      : spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--dir', d, ...extra], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
  // The last of what it printed on stderr, to say why it stopped before answering.
  let stderr = '';
  proc.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const died = exited.then(() => {
    const what = name === 'flashcache' ? `flashcache (${cli})` : name;
    throw new Error(`${what} exited before answering PING on port ${p}:\n${stderr}`);
  });
  await Promise.race([waitReady(p), died]);
  died.catch(() => {});
  return { name, port: p, dir: d, proc, exited };
}

/** Stops a server: SHUTDOWN (FlashCache snapshots; Redis as configured), or SIGKILL. */
export async function stopTarget(t: Target, how: 'shutdown' | 'kill' = 'shutdown'): Promise<void> {
  if (how === 'kill') t.proc.kill('SIGKILL');
  else await command(t.port, 'SHUTDOWN').catch(() => {});
  await t.exited;
}

/** Removes a target's directory. */
export function removeDir(t: Target): void {
  // A child of the server (Redis rewriting its AOF) may still be writing here for a moment after the kill.
  rmSync(t.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}

/** Resident set size of a process, bytes (VmRSS). */
export function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/**
 * Loads `count` keys `key:<12 digits>` with `valueSize`-byte values through
 * `redis-cli --pipe`, generating the RESP stream on the fly.
 *
 * @param first index of the first key
 */
export function load(port: number, count: number, valueSize: number, first = 0): Promise<void> {
  return new Promise((res, rej) => {
    const cli = spawn('redis-cli', ['-p', String(port), '--pipe'], { stdio: ['pipe', 'ignore', 'inherit'] });
    cli.once('exit', (code) => (code === 0 ? res() : rej(new Error(`redis-cli --pipe exited ${code}`))));
    const value = Buffer.alloc(valueSize);
    for (let i = 0; i < valueSize; i++) value[i] = 97 + ((i * 7) % 26);
    const head = Buffer.from(`*3\r\n$3\r\nSET\r\n$16\r\n`);
    const mid = Buffer.from(`\r\n$${valueSize}\r\n`);
    const tail = Buffer.from('\r\n');
    let i = first;
    const end = first + count;
    const pump = (): void => {
      while (i < end) {
        const parts: Buffer[] = [];
        for (let k = 0; k < 2000 && i < end; k++, i++) {
          parts.push(head, Buffer.from(`key:${String(i).padStart(12, '0')}`), mid, value, tail);
        }
        if (!cli.stdin.write(Buffer.concat(parts))) {
          cli.stdin.once('drain', pump);
          return;
        }
      }
      cli.stdin.end();
    };
    pump();
  });
}

/** Median of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Installs redis-server and redis-tools with apt-get (through sudo unless
 * root) when `redis-server`, `redis-benchmark` or `redis-cli` is missing, as
 * `.ci/run` does, printing each command to stderr first.
 *
 * @throws Error when an apt-get command fails
 */
export function ensureRedisTools(): void {
  const missing = ['redis-server', 'redis-benchmark', 'redis-cli'].filter(
    (c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0,
  );
  if (missing.length === 0) return;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const steps = [
    [...sudo, 'apt-get', 'update', '-qq'],
    [
      ...sudo,
      'env',
      'DEBIAN_FRONTEND=noninteractive',
      'apt-get',
      'install',
      '-y',
      '-qq',
      '--no-install-recommends',
      'redis-server',
      'redis-tools',
    ],
  ];
  process.stderr.write(`missing ${missing.join(', ')}; installing redis-server and redis-tools\n`);
  for (const [cmd, ...args] of steps) {
    process.stderr.write(`$ ${[cmd, ...args].join(' ')}\n`);
    if (spawnSync(cmd!, args, { stdio: ['ignore', 'inherit', 'inherit'] }).status !== 0)
      throw new Error(`${cmd} ${args.join(' ')} failed`);
  }
}

/** What a benchmark ran on: machine, Node, redis-server and the FlashCache commit. */
export interface Environment {
  /** ISO date, YYYY-MM-DD. */
  date: string;
  /** Cores, CPU model and memory. */
  machine: string;
  node: string;
  /** `redis-server --version`, or "none" when it is not installed. */
  redis: string;
  /** `git rev-parse --short HEAD`, marked when src/ has uncommitted changes; "unknown" outside a checkout. */
  commit: string;
}

/** Describes the machine and the software versions a benchmark runs with. */
export function environment(): Environment {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const run = (cmd: string, args: string[], cwd?: string): string | null => {
    try {
      return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const head = run('git', ['rev-parse', '--short', 'HEAD'], root);
  const dirty = head !== null && run('git', ['status', '--porcelain', '--', 'src'], root) !== '';
  const cpu = cpus();
  return {
    date: new Date().toISOString().slice(0, 10),
    machine: `${cpu.length} cores (${cpu[0]?.model.trim() ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM`,
    node: process.version,
    redis: run('redis-server', ['--version']) ?? 'none',
    commit: head === null ? 'unknown' : dirty ? `${head} with uncommitted changes in src/` : head,
  };
}

/** The environment as one Markdown line. */
export function environmentLine(e: Environment): string {
  return `Machine: ${e.machine}; Node ${e.node}; ${e.redis}; FlashCache commit ${e.commit}.`;
}

/** Persistence mode of a comparison: Redis's AOF setting, FlashCache's appendfsync (`none`: FlashCache `no`). */
/** A comma-separated option value as a list, blanks dropped (`--tests set,get`). */
export function listOption(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/**
 * The persistence modes of a `--fsync` option.
 *
 * @throws Error naming a mode that is not always, everysec or none
 */
export function fsyncModes(s: string): Fsync[] {
  const modes = listOption(s);
  for (const m of modes) if (!['always', 'everysec', 'none'].includes(m)) throw new Error(`unknown fsync mode ${m}`);
  return modes as Fsync[];
}

export type Fsync = 'always' | 'everysec' | 'none';

/** One redis-benchmark run. */
export interface Sample {
  /** Requests per second. */
  rps: number;
  /** Latency percentiles, ms. */
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** FlashCache only: INFO stats eventloop_stall_max_ms and _p99_ms over the run. */
  stallMax?: number;
  stallP99?: number;
}

/** One table cell of a comparison: a workload under one persistence mode, run against both servers. */
export interface Cell {
  suite: string;
  fsync: Fsync;
  test: string;
  pipeline: number;
  clients: number;
  datasize: number;
  /** The redis-benchmark arguments after `-p <port>`. */
  args: string[];
  flashcache: Sample[];
  redis: Sample[];
}

/** What `compare.js --json` writes and `chart.js` reads. */
export interface Results {
  environment: Environment;
  /** The compare.js command line. */
  command: string;
  cells: Cell[];
}

/** FlashCache/Redis ratio of median requests per second. */
export function rpsRatio(c: Cell): number {
  return median(c.flashcache.map((s) => s.rps)) / median(c.redis.map((s) => s.rps));
}

/**
 * Issue 6's target for a cell's throughput ratio, or null when it sets none:
 * with `always`, set/incr/lpush/hset at least 1.2 at -P 1 and -P 16; with
 * `none` or `everysec`, set/get at least 0.85 at -P 1 and 1.1 at -P 16. The
 * targets are for the throughput suite (50 clients, 100-byte values).
 */
export function issueTarget(c: Pick<Cell, 'suite' | 'fsync' | 'test' | 'pipeline'>): number | null {
  if (c.suite !== 'throughput' || (c.pipeline !== 1 && c.pipeline !== 16)) return null;
  if (c.fsync === 'always') return ['set', 'incr', 'lpush', 'hset'].includes(c.test) ? 1.2 : null;
  if (!['set', 'get'].includes(c.test)) return null;
  return c.pipeline === 1 ? 0.85 : 1.1;
}

/** RESP encoding of one command (an array of bulk strings). */
export function respCommand(args: readonly string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) parts.push(`$${Buffer.byteLength(a)}\r\n${a}\r\n`);
  return Buffer.from(parts.join(''));
}

/**
 * Streams the commands `next` encodes (null: done) into `redis-cli --pipe`,
 * waiting for the pipe to drain, and resolves once redis-cli has every
 * reply.
 *
 * @throws when redis-cli exits with an error (it reports failed replies)
 */
export function pipeCommands(port: number, next: () => Buffer | null): Promise<void> {
  return new Promise((res, rej) => {
    const cli = spawn('redis-cli', ['-p', String(port), '--pipe'], { stdio: ['pipe', 'ignore', 'inherit'] });
    cli.once('exit', (code) => (code === 0 ? res() : rej(new Error(`redis-cli --pipe exited ${code}`))));
    const pump = (): void => {
      for (;;) {
        const b = next();
        if (b === null) return void cli.stdin!.end();
        if (!cli.stdin!.write(b)) return void cli.stdin!.once('drain', pump);
      }
    };
    pump();
  });
}

/** Rates per second as `median (min-max)` in thousands, one decimal. */
export function rateSpread(xs: readonly number[]): string {
  const k = (x: number): string => (x / 1000).toFixed(1);
  return `${k(median([...xs]))} (${k(Math.min(...xs))}-${k(Math.max(...xs))})`;
}
