/**
 * Time and peak memory of `cache-dump wal verify` over a WAL, against
 * `redis-check-aof` over an AOF of the same writes, in the same run.
 *
 *   node dist/bench/walverify.js --bytes 1gb --value 1000 --runs 3
 *
 * The same SET stream (`key:<12 digits>`, `--value`-byte values, enough of
 * them for about `--bytes` of log) goes through `redis-cli --pipe` into
 * FlashCache (default 64 MiB segments, no snapshots, so the WAL keeps everything; stopped with
 * SIGKILL so nothing is trimmed) and into redis-server (appendonly, no RDB
 * preamble, no rewrite). Each checker then runs `--runs` times under
 * `/usr/bin/time`; the page cache is warm for both (one untimed pass first).
 * Reported: median wall seconds, median peak RSS, and the FlashCache/Redis
 * ratio of each.
 */
import { Command } from 'commander';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { command, load, median, removeDir, startTarget, stopTarget } from './lib.js';
import { parseBytes } from '../src/config/values.js';

const TOOL = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'tools', 'cache-dump.js');

const o = new Command('bench-walverify')
  .option('--bytes <size>', 'log size to write (suffixes as in redis.conf)', '1gb')
  .option('--value <bytes>', 'value size', '1000')
  .option('--runs <n>', 'timed runs per checker', '3')
  .option('--keep', 'keep the data directories')
  .parse()
  .opts<Record<string, string>>();

const valueSize = Number(o['value']);
// A SET of a 16-byte key in either log: about 45 bytes of framing plus key and value.
const keys = Math.ceil(parseBytes(o['bytes']!) / (valueSize + 16 + 45));

/** Total bytes of the files in a directory. */
function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

/** Runs a checker under /usr/bin/time; wall seconds, peak RSS bytes and exit code. */
function timed(file: string, args: string[]): { seconds: number; rss: number; code: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', file, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const last = r.stderr.trim().split('\n').pop()!.split(' ');
  return { seconds: Number(last[0]), rss: Number(last[1]) * 1024, code: r.status ?? -1 };
}

const fc = await startTarget('flashcache', [
  '--appendfsync',
  'always',
  '--snapshot-interval',
  '0',
  '--snapshot-wal-bytes',
  '0',
]);
await load(fc.port, keys, valueSize);
if ((await command(fc.port, 'DBSIZE')) !== `:${keys}`) throw new Error('FlashCache did not take every write');
await stopTarget(fc, 'kill');

const redis = await startTarget('redis', [
  '--save',
  '',
  '--appendonly',
  'yes',
  '--appendfsync',
  'no',
  '--aof-use-rdb-preamble',
  'no',
  '--auto-aof-rewrite-percentage',
  '0',
]);
await load(redis.port, keys, valueSize);
if ((await command(redis.port, 'DBSIZE')) !== `:${keys}`) throw new Error('redis-server did not take every write');
await command(redis.port, 'SHUTDOWN NOSAVE');
await redis.exited;

const aofDir = join(redis.dir, 'appendonlydir');
const manifest = join(aofDir, readdirSync(aofDir).find((f) => f.endsWith('.manifest'))!);
const checkers = [
  {
    name: 'cache-dump wal verify',
    file: process.execPath,
    args: [TOOL, 'wal', 'verify', fc.dir],
    bytes: dirBytes(join(fc.dir, 'wal')),
  },
  { name: 'redis-check-aof', file: 'redis-check-aof', args: [manifest], bytes: dirBytes(aofDir) },
];

const results = checkers.map((c) => {
  timed(c.file, c.args);
  const runs = Array.from({ length: Number(o['runs']) }, () => timed(c.file, c.args));
  if (runs.some((r) => r.code !== 0)) throw new Error(`${c.name} reported damage: ${JSON.stringify(runs)}`);
  return { ...c, seconds: median(runs.map((r) => r.seconds)), rss: median(runs.map((r) => r.rss)) };
});

const mib = (n: number): string => (n / (1 << 20)).toFixed(0);
const redisVersion = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim();
console.log(`${keys} SETs of ${valueSize}-byte values; ${redisVersion}; median of ${o['runs']} runs, warm page cache`);
console.log('| checker | log bytes | seconds | MiB/s | peak RSS MiB |');
console.log('|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.name} | ${mib(r.bytes)} MiB | ${r.seconds.toFixed(2)} | ${(r.bytes / (1 << 20) / r.seconds).toFixed(0)} | ${mib(r.rss)} |`,
  );
}
const [f, rd] = results as [(typeof results)[0], (typeof results)[0]];
console.log(`FlashCache/Redis: time ${(f.seconds / rd.seconds).toFixed(2)}x, peak RSS ${(f.rss / rd.rss).toFixed(2)}x`);
if (!o['keep']) {
  removeDir(fc);
  removeDir(redis);
}
