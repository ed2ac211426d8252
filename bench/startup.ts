/**
 * Spawn to first PONG with an empty data directory: FlashCache against a bare
 * Node.js TCP server that answers +PONG and against redis-server, same run.
 *
 *   npm run bench:startup -- --runs 15
 *   npm run bench:startup -- --flashcache dist/bundle/flashcache.cjs,dist/src/cli.js   # bundle and modules side by side
 *
 * Each run starts every target once, in an order that rotates from run to
 * run, on a fresh loopback port (and, for FlashCache and Redis, a fresh empty
 * temporary directory): the clock starts just before spawn() and stops when a
 * PING on a new connection is answered +PONG; connection attempts are retried
 * every millisecond while nothing listens. The process is then killed and
 * waited for before the next start. FlashCache runs with `--appendfsync
 * always --log-level warn` (its defaults besides the log level), redis-server
 * with `--save "" --appendonly no`. Prints, per target, the median and
 * min-max in ms and the ratio of medians against the bare Node.js server and
 * against redis-server.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { CLI, environment, environmentLine, freePort, listOption, median } from './lib.js';

const o = new Command('bench-startup')
  .option('--runs <n>', 'starts per target', '15')
  .option('--flashcache <list>', 'FlashCache entry points to start (comma-separated)', CLI)
  .option('--node-args <args>', 'extra node arguments for every FlashCache entry (space-separated)', '')
  .option('--out <file>', 'append the Markdown section to this file')
  .parse()
  .opts<Record<string, string>>();

/** The bare server: the floor Node.js itself sets for a TCP server answering PING. */
const BARE = `const net = require('node:net');
net.createServer((s) => s.on('data', () => s.write('+PONG\\r\\n'))).listen(Number(process.argv[2]), '127.0.0.1');
`;

interface Target {
  label: string;
  /** Command and arguments for a port and an empty directory. */
  argv(port: number, dir: string): [string, string[]];
  ms: number[];
  /** CPU time of all its threads when it first answered (ms): steadier than wall time on a busy machine. */
  cpu: number[];
}

const scratch = mkdtempSync(join(tmpdir(), 'bench-startup-'));
const bareScript = join(scratch, 'bare-pong.cjs');
writeFileSync(bareScript, BARE);
const nodeArgs = listOption(o['nodeArgs']!.replace(/ /g, ','));

const targets: Target[] = [
  { label: 'bare node', argv: (port) => [process.execPath, [bareScript, String(port)]], ms: [], cpu: [] },
  ...listOption(o['flashcache']!).map(
    (entry): Target => ({
      label: `flashcache ${entry === CLI ? 'dist/bundle/flashcache.cjs' : entry}`,
      argv: (port, dir) => [
        process.execPath,
        [
          ...nodeArgs,
          resolve(entry),
          '--port',
          String(port),
          '--dir',
          dir,
          '--log-level',
          'warn',
          '--appendfsync',
          'always',
        ],
      ],
      ms: [],
      cpu: [],
    }),
  ),
  {
    label: 'redis-server',
    argv: (port, dir) => [
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    ],
    ms: [],
    cpu: [],
  },
];

/** Resolves true when a PING on a new connection to `port` is answered +PONG, false when nothing listens yet. */
function ping(port: number): Promise<boolean> {
  return new Promise((res) => {
    const c = createConnection({ port, host: '127.0.0.1' }, () => c.write('PING\r\n'));
    let buf = '';
    c.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n')) {
        c.destroy();
        res(buf.startsWith('+PONG'));
      }
    });
    c.on('error', () => res(false));
    c.on('close', () => res(false));
  });
}

/** CPU time (ms) the threads of `pid` have run so far, from /proc (schedstat: nanoseconds on a CPU). */
function cpuMs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  }
  return ns / 1e6;
}

/** One start: ms from spawn to the first +PONG, and the CPU ms the process had used by then. */
async function startOnce(t: Target): Promise<[number, number]> {
  const port = await freePort();
  const dir = mkdtempSync(join(scratch, 'data-'));
  const [cmd, args] = t.argv(port, dir);
  const t0 = performance.now();
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
  let exited = false;
  const gone = new Promise<void>((r) => proc.once('exit', () => ((exited = true), r())));
  const deadline = t0 + 30_000;
  let ms = Number.NaN;
  let cpu = Number.NaN;
  while (!exited && performance.now() < deadline) {
    if (await ping(port)) {
      ms = performance.now() - t0;
      cpu = cpuMs(proc.pid!);
      break;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  proc.kill('SIGKILL');
  await gone;
  rmSync(dir, { recursive: true, force: true });
  if (Number.isNaN(ms)) throw new Error(`${t.label} did not answer PONG on port ${port}:\n${stderr}`);
  return [ms, cpu];
}

const runs = Number(o['runs']);
for (let r = 0; r < runs; r++) {
  // Rotate the order so no target always starts right after the same other one.
  for (let i = 0; i < targets.length; i++) {
    const t = targets[(r + i) % targets.length]!;
    const [ms, cpu] = await startOnce(t);
    t.ms.push(ms);
    t.cpu.push(cpu);
  }
  process.stderr.write(
    `run ${r + 1}/${runs}: ${targets.map((t) => `${t.label} ${t.ms.at(-1)!.toFixed(0)}`).join(', ')}\n`,
  );
}
rmSync(scratch, { recursive: true, force: true });

const bare = median(targets[0]!.ms);
const redis = median(targets.at(-1)!.ms);
const bareCpu = median(targets[0]!.cpu);
const env = environment();
const lines = [
  environmentLine(env),
  `Spawn to first PONG, empty data directory, ${runs} starts per target alternating; ms median (min-max).`,
  '',
  '| target | ms median (min-max) | / bare node | / redis-server | CPU ms median | CPU / bare node |',
  '|---|---|---|---|---|---|',
  ...targets.map((t) => {
    const m = median(t.ms);
    const spread = `${m.toFixed(0)} (${Math.min(...t.ms).toFixed(0)}-${Math.max(...t.ms).toFixed(0)})`;
    const c = median(t.cpu);
    return (
      `| ${t.label} | ${spread} | ${(m / bare).toFixed(2)}x | ${(m / redis).toFixed(2)}x | ${c.toFixed(0)} | ` +
      `${(c / bareCpu).toFixed(2)}x |`
    );
  }),
];
const table = lines.join('\n');
process.stdout.write(`${table}\n`);
if (o['out']) appendFileSync(o['out'], `${table}\n`);
