/**
 * 10,000 idle connections plus 50 busy ones (issue: maxclients must hold
 * that on a 2-core machine):
 *
 *   node dist/bench/clients.js [--idle 10000] [--requests 200000] [--out bench/RESULTS.md]
 *
 * Starts FlashCache (default maxclients 10000, so maxclients is raised to
 * idle + 50 + a margin), opens `--idle` connections that each send one PING
 * and then stay silent, runs redis-benchmark with 50 clients (SET and GET,
 * -P 1) while they stay open, and checks that every idle connection still
 * answers afterwards. Reports INFO's connected_clients, maxclients and
 * open_files_limit, the benchmark's rate against the same run with no idle
 * connections, and the server's RSS.
 */
import { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import {
  bulk,
  command,
  ensureRedisTools,
  environment,
  environmentLine,
  infoField,
  removeDir,
  rss,
  startTarget,
  stopTarget,
} from './lib.js';

const o = new Command('bench-clients')
  .option('--idle <n>', 'idle connections', '10000')
  .option('--requests <n>', 'redis-benchmark -n per test', '200000')
  .option('--out <file>', 'append the Markdown section here')
  .parse()
  .opts<Record<string, string>>();

const idle = Number(o.idle);

/** This process's open-files limit (Node raises the soft limit to the hard one at start). */
function ownLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))!;
  return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
}

/** Opens a connection, sends PING, resolves once +PONG came back. */
function idleClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ port, host: '127.0.0.1' }, () => s.write('PING\r\n'));
    s.once('data', (d) => (d.toString() === '+PONG\r\n' ? resolve(s) : reject(new Error(`got ${d.toString()}`))));
    s.once('error', reject);
  });
}

/** PING on an open connection. */
function ping(s: Socket): Promise<boolean> {
  return new Promise((resolve) => {
    s.once('data', (d) => resolve(d.toString() === '+PONG\r\n'));
    s.write('PING\r\n');
  });
}

/** redis-benchmark SET and GET with 50 clients; requests per second by test. */
function benchmark(port: number): Record<string, number> {
  const res = spawnSync(
    'redis-benchmark',
    ['-p', String(port), '-t', 'set,get', '-c', '50', '-n', o.requests!, '-d', '100', '-r', '100000', '--csv'],
    { encoding: 'utf8' },
  );
  const out: Record<string, number> = {};
  for (const line of res.stdout.split('\n')) {
    const m = /^"(SET|GET)","([0-9.]+)"/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

ensureRedisTools();
const own = ownLimit();
if (own < idle + 100)
  throw new Error(
    `this process may open only ${own} files; raise the hard limit (ulimit -Hn) to run ${idle} connections`,
  );
const t = await startTarget('flashcache', ['--appendfsync', 'everysec', '--maxclients', String(idle + 50 + 100)]);
try {
  const baseline = benchmark(t.port);
  const started = Date.now();
  const sockets: Socket[] = [];
  for (let i = 0; i < idle; i += 500)
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(500, idle - i) }, () => idleClient(t.port)))));
  const openSeconds = (Date.now() - started) / 1000;
  const info = await bulk(t.port, 'INFO');
  const rssIdle = rss(t.proc.pid!);
  const busy = benchmark(t.port);
  let alive = 0;
  for (let i = 0; i < sockets.length; i += 1000)
    alive += (await Promise.all(sockets.slice(i, i + 1000).map(ping))).filter(Boolean).length;
  for (const s of sockets) s.destroy();
  const env = environment();
  const text = [
    `## ${idle.toLocaleString('en-US')} idle connections plus 50 busy ones (${env.date})`,
    '',
    environmentLine(env),
    '',
    `\`node dist/bench/clients.js --idle ${idle} --requests ${o.requests}\`: FlashCache with appendfsync everysec and maxclients ${idle + 150}; ${idle.toLocaleString('en-US')} connections that sent one PING, then \`redis-benchmark -t set,get -c 50 -n ${o.requests} -d 100 -r 100000\` while they stay open, then one PING on each of them again.`,
    '',
    '| | value |',
    '|---|---|',
    `| idle connections opened | ${sockets.length.toLocaleString('en-US')} in ${openSeconds.toFixed(1)} s |`,
    `| INFO connected_clients / maxclients / open_files_limit | ${infoField(info, 'connected_clients')} / ${infoField(info, 'maxclients')} / ${infoField(info, 'open_files_limit')} |`,
    `| server RSS with them open | ${(rssIdle / 2 ** 20).toFixed(0)} MiB |`,
    `| SET -c 50, alone / beside the idle ones | ${baseline['SET']?.toFixed(0)} / ${busy['SET']?.toFixed(0)} requests/s (${((busy['SET'] ?? 0) / (baseline['SET'] ?? 1)).toFixed(2)}x) |`,
    `| GET -c 50, alone / beside the idle ones | ${baseline['GET']?.toFixed(0)} / ${busy['GET']?.toFixed(0)} requests/s (${((busy['GET'] ?? 0) / (baseline['GET'] ?? 1)).toFixed(2)}x) |`,
    `| idle connections answering PING afterwards | ${alive.toLocaleString('en-US')} of ${sockets.length.toLocaleString('en-US')} |`,
    '',
  ].join('\n');
  process.stdout.write(text + '\n');
  if (o.out) appendFileSync(o.out, '\n' + text + '\n');
  if (alive !== sockets.length) process.exitCode = 1;
} finally {
  await command(t.port, 'SHUTDOWN NOSAVE').catch(() => {});
  await stopTarget(t, 'kill');
  removeDir(t);
}
