/**
 * Where the server's time goes under a redis-benchmark load: FlashCache runs
 * under `node --cpu-prof`, one redis-benchmark test loads it, and the
 * profile's self time is summed into the parts of a command's path (socket
 * reads and writes, RESP parsing, argument views, dispatch, handlers, the
 * keyspace, the WAL, reply encoding, GC, idle). The shares explain a
 * throughput ratio against redis-server: the time not idle is the server's
 * CPU per command.
 *
 *   npm run bench:profile -- --tests set,get --pipeline 16 --appendfsync no
 *   node dist/bench/profile.js --tests incr --pipeline 1 --appendfsync always --top 20
 *
 * Prints one Markdown table per test: the share of samples per part, the
 * requests/s redis-benchmark saw, and with `--top N` the N functions with the
 * most self time. Shares are of all samples, idle included.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { command, environment, environmentLine, freePort, listOption, waitReady } from './lib.js';

/**
 * The server module by module (tsc's output), not the bundle the bin runs:
 * the same code, but each frame names its source file, which is what the
 * parts below are told apart by.
 */
const MODULE_CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');

/** A node of a V8 CPU profile (the parts used here). */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** A `.cpuprofile` file. */
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The parts of the path, in the order the table lists them; the first rule that matches a frame wins. */
const PARTS: { part: string; match: (fn: string, url: string) => boolean }[] = [
  { part: 'idle (waiting for input or the disk)', match: (fn) => fn === '(idle)' },
  { part: 'garbage collection', match: (fn) => fn === '(garbage collector)' },
  {
    part: 'socket writes (syscalls)',
    match: (fn, url) => url === '' && /^(writeBuffer|writev|writeUtf8String)$/.test(fn),
  },
  { part: 'socket reads and stream plumbing', match: (_fn, url) => /node:(net|stream|internal\/stream)/.test(url) },
  { part: 'argument views (Buffer subarray)', match: (fn) => fn === 'subarray' || fn === 'FastBuffer' },
  { part: 'RESP parsing and reply encoding', match: (_fn, url) => url.includes('/protocol/') },
  { part: 'connection and dispatch', match: (_fn, url) => url.includes('/server/') },
  { part: 'command handlers', match: (_fn, url) => url.includes('/commands/') },
  { part: 'keyspace (index, arena, values)', match: (_fn, url) => url.includes('/store/') },
  { part: 'WAL (records, CRC, writes)', match: (_fn, url) => url.includes('/persistence/') },
  { part: 'Node internals (buffers, timers, fs)', match: (_fn, url) => url.startsWith('node:') },
  { part: 'other (V8, native, start-up)', match: () => true },
];

/** Self time (µs) per function key and the total, from a profile. */
function selfTimes(p: CpuProfile): { byFrame: Map<string, number>; byPart: Map<string, number>; total: number } {
  const perNode = new Map<number, number>();
  p.samples.forEach((id, i) => {
    perNode.set(id, (perNode.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const byFrame = new Map<string, number>();
  const byPart = new Map<string, number>(PARTS.map((r) => [r.part, 0]));
  let total = 0;
  for (const n of p.nodes) {
    const t = perNode.get(n.id) ?? 0;
    if (t === 0) continue;
    total += t;
    const { functionName, url, lineNumber } = n.callFrame;
    const fn = functionName || '(anonymous)';
    const key = `${fn} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    byFrame.set(key, (byFrame.get(key) ?? 0) + t);
    const part = PARTS.find((r) => r.match(fn, url))!.part;
    byPart.set(part, byPart.get(part)! + t);
  }
  return { byFrame, byPart, total };
}

/** Runs one test against a profiled server and returns its profile and redis-benchmark's requests/s. */
async function profileTest(test: string, o: Options): Promise<{ profile: CpuProfile; rps: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
  const profDir = join(dir, 'prof');
  const port = await freePort();
  const args = [
    `--cpu-prof`,
    `--cpu-prof-dir=${profDir}`,
    MODULE_CLI,
    '--port',
    String(port),
    '--dir',
    join(dir, 'data'),
  ];
  const proc = spawn(process.execPath, [...args, '--appendfsync', o.appendfsync, '--log-level', 'warn'], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  try {
    await waitReady(port);
    const bench = ['-p', String(port), '-t', test, '-c', o.clients, '-n', o.requests, '-d', '100'];
    const out = await new Promise<string>((resolve, reject) => {
      const b = spawn('redis-benchmark', [...bench, '-r', '100000', '-P', o.pipeline, '-q'], { stdio: 'pipe' });
      let text = '';
      b.stdout.on('data', (d: Buffer) => (text += d.toString()));
      b.once('error', reject);
      b.once('exit', () => resolve(text));
    });
    const rps = Number(/([\d.]+) requests per second/.exec(out.split('\r').pop() ?? '')?.[1] ?? Number.NaN);
    // SHUTDOWN makes Node write the profile as the process exits.
    await command(port, 'SHUTDOWN NOSAVE').catch(() => {});
    await exited;
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error(`no profile written in ${profDir}`);
    return { profile: JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile, rps };
  } finally {
    proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Options {
  tests: string;
  pipeline: string;
  clients: string;
  requests: string;
  appendfsync: string;
  top: string;
}

const program = new Command('profile')
  .description('Where FlashCache spends its time under one redis-benchmark test')
  .option('--tests <list>', 'redis-benchmark tests, one profiled server each', 'set,get')
  .option('--pipeline <n>', 'redis-benchmark -P', '16')
  .option('--clients <n>', 'redis-benchmark -c', '50')
  .option('--requests <n>', 'redis-benchmark -n', '500000')
  .option('--appendfsync <mode>', 'FlashCache --appendfsync: always, everysec, no', 'no')
  .option('--top <n>', 'also list the N functions with the most self time', '0')
  .parse();
const o = program.opts<Options>();

console.log(`\n${environmentLine(environment())}`);
console.log(
  `\`node dist/bench/profile.js --tests ${o.tests} --pipeline ${o.pipeline} --appendfsync ${o.appendfsync}\`` +
    ` (redis-benchmark -c ${o.clients} -n ${o.requests} -d 100 -r 100000)\n`,
);
for (const test of listOption(o.tests)) {
  const { profile, rps } = await profileTest(test, o);
  const { byFrame, byPart, total } = selfTimes(profile);
  const pct = (t: number): string => `${((t / total) * 100).toFixed(1)}%`;
  console.log(`### ${test}, -P ${o.pipeline}, appendfsync ${o.appendfsync}: ${Math.round(rps)} requests/s\n`);
  console.log('| part | share of samples |\n|---|---|');
  for (const [part, t] of byPart) console.log(`| ${part} | ${pct(t)} |`);
  const top = Number(o.top);
  if (top > 0) {
    console.log('\n| function | self |\n|---|---|');
    for (const [k, t] of [...byFrame].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`| \`${k}\` | ${pct(t)} |`);
  }
  console.log('');
}
