/**
 * dump.rdb import and export against redis-server, same run:
 *
 *   npm run bench:rdb -- --keys 1000000,5000000 --out bench/RESULTS.md
 *
 * For each size, redis-server (no persistence) is loaded with a mix through
 * `redis-cli --pipe` (60% strings of 10-100 bytes, 15% hashes of 5 fields,
 * 10% lists of 8 elements, 10% sets of 6 members, 5% sorted sets of 6
 * members; a third of the keys with a TTL) and SAVEs it; the SAVE's time is
 * Redis's export time. Then the same dump.rdb is loaded by redis-server at
 * start (spawn to the first PONG) and imported by FlashCache
 * (`--import-rdb`, spawn to the first PONG, the snapshot included); peak RSS
 * is each process's VmHWM. With `--verify` (default for sizes up to 1M),
 * every key is compared between the two servers (TYPE, value, PTTL within
 * 5 s). Finally `cache-dump export --format rdb` of FlashCache's data
 * directory is timed against the SAVE, and its file is loaded by
 * redis-server to check the key count.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, appendFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { Redis } from 'ioredis';
import {
  ensureRedisTools,
  environment,
  environmentLine,
  listOption,
  pipeCommands,
  removeDir,
  respCommand,
  startTarget,
  stopTarget,
  type Target,
} from './lib.js';

const o = new Command('bench-rdb')
  .option('--keys <list>', 'key counts', '1000000')
  .option('--verify <bool>', 'compare every key (default: sizes up to 1M)')
  .option('--out <file>', 'append the Markdown section to this file')
  .parse()
  .opts<Record<string, string>>();

const TOOL = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'tools', 'cache-dump.js');

/** Peak resident set size of a process, bytes (VmHWM). */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/** The mix's i-th key as the commands that create it. */
function keyCommands(i: number): Buffer {
  const kind = i % 20;
  const key = `k:${i}`;
  const parts: string[][] = [];
  if (kind < 12) parts.push(['SET', key, `value-${i}-${'x'.repeat(i % 90)}`]);
  else if (kind < 15) parts.push(['HSET', key, 'a', String(i), 'b', 'bee', 'c', `c${i}`, 'd', '4', 'e', 'eee']);
  else if (kind < 17) parts.push(['RPUSH', key, ...Array.from({ length: 8 }, (_, j) => `e${j}-${i}`)]);
  else if (kind < 19) parts.push(['SADD', key, ...Array.from({ length: 6 }, (_, j) => String(i * 10 + j))]);
  else parts.push(['ZADD', key, ...Array.from({ length: 6 }, (_, j) => [String(j / 2), `m${j}`]).flat()]);
  if (i % 3 === 0) parts.push(['PEXPIRE', key, String(86_400_000 + i)]);
  return Buffer.concat(parts.map(respCommand));
}

async function fill(port: number, keys: number): Promise<void> {
  let i = 0;
  await pipeCommands(port, () => {
    if (i >= keys) return null;
    const batch: Buffer[] = [];
    for (const end = Math.min(keys, i + 1000); i < end; i++) batch.push(keyCommands(i));
    return Buffer.concat(batch);
  });
}

/** Compares every key of db 0 between two servers; returns the number of differences (and prints the first few). */
async function compare(aPort: number, bPort: number): Promise<number> {
  const a = new Redis({ port: aPort });
  const b = new Redis({ port: bPort });
  let cursor = '0';
  let diffs = 0;
  let seen = 0;
  const read = async (c: Redis, keys: string[]) => {
    const p = c.pipeline();
    for (const k of keys) {
      p.type(k);
      p.pttl(k);
    }
    const res = (await p.exec())!.map(([, v]) => v);
    const out: string[] = [];
    for (let i = 0; i < keys.length; i++) out.push(`${res[2 * i]}`);
    const values = await Promise.all(
      keys.map(async (k, i) => {
        switch (res[2 * i]) {
          case 'string':
            return c.get(k);
          case 'hash':
            return JSON.stringify(Object.entries(await c.hgetall(k)).sort());
          case 'list':
            return JSON.stringify(await c.lrange(k, 0, -1));
          case 'set':
            return JSON.stringify((await c.smembers(k)).sort());
          case 'zset':
            return JSON.stringify(await c.zrange(k, '0', '-1', 'WITHSCORES'));
          default:
            return null;
        }
      }),
    );
    return keys.map((_, i) => ({ type: out[i], ttl: Number(res[2 * i + 1]), value: values[i] }));
  };
  do {
    const [next, keys] = await a.scan(cursor, 'COUNT', 1000);
    cursor = next;
    seen += keys.length;
    const [x, y] = await Promise.all([read(a, keys), read(b, keys)]);
    for (let i = 0; i < keys.length; i++) {
      const p = x[i]!;
      const q = y[i]!;
      const ttlOk = (p.ttl < 0 && q.ttl < 0) || Math.abs(p.ttl - q.ttl) < 5000;
      if (p.type !== q.type || p.value !== q.value || !ttlOk) {
        if (diffs++ < 5) process.stderr.write(`differs: ${keys[i]} ${JSON.stringify(p)} ${JSON.stringify(q)}\n`);
      }
    }
  } while (cursor !== '0');
  const [na, nb] = [await a.dbsize(), await b.dbsize()];
  if (na !== nb || seen < na) diffs++;
  a.disconnect();
  b.disconnect();
  return diffs;
}

interface Row {
  keys: number;
  fileBytes: number;
  redisSaveS: number;
  redisLoadS: number;
  redisPeak: number;
  fcImportS: number;
  fcPeak: number;
  exportS: number;
  exportBytes: number;
  verified: string;
}

async function spawnedUntilReady(start: () => Promise<Target>): Promise<{ t: Target; seconds: number }> {
  const t0 = performance.now();
  const t = await start();
  return { t, seconds: (performance.now() - t0) / 1000 };
}

async function runSize(keys: number, verify: boolean): Promise<Row> {
  const src = await startTarget('redis', ['--save', '', '--appendonly', 'no']);
  await fill(src.port, keys);
  const s0 = performance.now();
  const r = new Redis({ port: src.port });
  await r.save();
  const redisSaveS = (performance.now() - s0) / 1000;
  r.disconnect();
  const rdb = join(src.dir, 'dump.rdb');
  const fileBytes = statSync(rdb).size;
  await stopTarget(src, 'kill');

  const redisLoad = await spawnedUntilReady(() =>
    startTarget('redis', ['--save', '', '--appendonly', 'no', '--dbfilename', 'dump.rdb'], src.dir),
  );
  const redisPeak = peakRss(redisLoad.t.proc.pid!);
  const fcImport = await spawnedUntilReady(() => startTarget('flashcache', ['--import-rdb', rdb]));
  const fcPeak = peakRss(fcImport.t.proc.pid!);
  let verified = 'not compared';
  if (verify) {
    const diffs = await compare(fcImport.t.port, redisLoad.t.port);
    verified = diffs === 0 ? `all ${keys} keys equal` : `${diffs} keys differ`;
  }
  await stopTarget(fcImport.t);
  await stopTarget(redisLoad.t, 'kill');

  const outDir = mkdtempSync(join(tmpdir(), 'bench-rdb-export-'));
  const outFile = join(outDir, 'dump.rdb');
  const e0 = performance.now();
  await new Promise<void>((res, rej) => {
    const child = spawn(process.execPath, [TOOL, 'export', '--format', 'rdb', fcImport.t.dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.pipe(createWriteStream(outFile));
    child.once('exit', (code) => (code === 0 ? res() : rej(new Error(`export exited ${code}`))));
  });
  const exportS = (performance.now() - e0) / 1000;
  const exportBytes = statSync(outFile).size;
  const check = await startTarget('redis', ['--save', '', '--appendonly', 'no', '--dbfilename', 'dump.rdb'], outDir);
  const rc = new Redis({ port: check.port });
  const loaded = await rc.dbsize();
  rc.disconnect();
  await stopTarget(check, 'kill');
  removeDir(check);
  removeDir(fcImport.t);
  removeDir(src);
  if (loaded !== keys) verified += `; redis-server loaded ${loaded} keys of the export, expected ${keys}`;
  return {
    keys,
    fileBytes,
    redisSaveS,
    redisLoadS: redisLoad.seconds,
    redisPeak,
    fcImportS: fcImport.seconds,
    fcPeak,
    exportS,
    exportBytes,
    verified,
  };
}

ensureRedisTools();
const env = environment();
const rows: Row[] = [];
for (const n of listOption(o['keys']!).map(Number)) {
  const verify = o['verify'] === undefined ? n <= 1_000_000 : o['verify'] !== 'false';
  const row = await runSize(n, verify);
  process.stderr.write(`${JSON.stringify(row)}\n`);
  rows.push(row);
}
const mb = (b: number) => (b / 2 ** 20).toFixed(0);
const markdown = [
  `## ${env.date}: dump.rdb import and export against redis-server`,
  '',
  `\`${['node dist/bench/rdb.js', ...process.argv.slice(2)].join(' ')}\``,
  '',
  environmentLine(env),
  'Load: spawn to the first PONG (FlashCache: `--import-rdb` into an empty directory, its snapshot included). ' +
    'Peak RSS: VmHWM. Export: redis-server SAVE of the loaded data against `cache-dump export --format rdb` of ' +
    "FlashCache's data directory. One run per size (bench/rdb.ts).",
  '',
  '| keys | dump.rdb MiB | Redis load s | FlashCache import s | import/load | Redis peak MiB | FlashCache peak MiB | ' +
    'Redis SAVE s | cache-dump export s | export MiB | check |',
  `|${'---|'.repeat(11)}`,
  ...rows.map(
    (r) =>
      `| ${r.keys} | ${mb(r.fileBytes)} | ${r.redisLoadS.toFixed(2)} | ${r.fcImportS.toFixed(2)} | ` +
      `${(r.fcImportS / r.redisLoadS).toFixed(1)}x | ${mb(r.redisPeak)} | ${mb(r.fcPeak)} | ` +
      `${r.redisSaveS.toFixed(2)} | ${r.exportS.toFixed(2)} | ${mb(r.exportBytes)} | ${r.verified} |`,
  ),
].join('\n');
process.stdout.write(`${markdown}\n`);
if (o['out']) appendFileSync(o['out'], `\n${markdown}\n`);
