/**
 * Eviction, against redis-server in the same run:
 *
 *   node dist/bench/eviction.js                 # both parts, defaults below
 *   node dist/bench/eviction.js --part hits --maxmemory 16mb --requests 3000000
 *   node dist/bench/eviction.js --part throughput --runs 3 --out bench/RESULTS.md
 *
 * `hits`: the hit ratio of a cache-aside client (GET; on a miss, SET) on a
 * Zipf-distributed key trace (s = 0.99 by default) over ten times more keys
 * than `maxmemory` holds, for allkeys-lru and allkeys-lfu. Both servers get
 * the same `maxmemory`, policy, samples and trace (seeded), one after the
 * other; the first `--warmup` requests fill the cache and are not counted.
 *
 * `throughput`: redis-benchmark SET at -P 16 with `maxmemory` and
 * allkeys-lru, where every write evicts, as a ratio to the same run without
 * a limit; for FlashCache and for Redis, runs alternating A B / B A.
 *
 * Both servers run with appendfsync everysec (Redis: appendonly yes), so
 * the figures are about eviction, not about waiting for the disk.
 */
import { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { parseBytes } from '../src/config/values.js';
import { prng } from '../test/helpers/random.js';
import {
  ensureRedisTools,
  environment,
  environmentLine,
  infoField,
  median,
  removeDir,
  startTarget,
  stopTarget,
  type Target,
} from './lib.js';

const o = new Command('bench-eviction')
  .option('--part <list>', 'hits, throughput', 'hits,throughput')
  .option('--maxmemory <bytes>', 'maxmemory of both servers (redis.conf units)', '16mb')
  .option('--policies <list>', 'policies of the hit-ratio part', 'allkeys-lru,allkeys-lfu')
  .option('--samples <n>', 'maxmemory-samples of both servers', '5')
  .option('--zipf <s>', 'Zipf exponent', '0.99')
  .option('--value-size <bytes>', 'value size', '100')
  .option(
    '--oversize <x>',
    'distinct keys in the trace, as a multiple of what maxmemory holds (key + value bytes)',
    '10',
  )
  .option('--requests <n>', 'requests in the trace, warm-up included', '3000000')
  .option('--warmup <n>', 'requests not counted', '1000000')
  .option('--seed <n>', 'trace seed', '42')
  .option('--runs <n>', 'runs per cell of the throughput part', '3')
  .option('--bench-requests <n>', 'redis-benchmark -n of the throughput part', '1000000')
  .option('--out <file>', 'append the Markdown section here')
  .parse()
  .opts<Record<string, string>>();

/**
 * A Zipf trace: `count` key ranks in 0..n-1, rank k drawn with probability
 * proportional to 1 / (k + 1)^s (inverse CDF by binary search). Ranks are
 * then scattered over key names by a fixed permutation, so popular keys are
 * not neighbours in the keyspace.
 */
function zipfTrace(n: number, s: number, count: number, seed: number): Uint32Array {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    sum += 1 / (k + 1) ** s;
    cdf[k] = sum;
  }
  const rand = prng(seed);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const u = rand() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    // An odd multiplier modulo 2^32, reduced into 0..n-1, scatters the ranks.
    out[i] = Math.imul(lo, 2654435761) >>> 0;
  }
  return out;
}

interface HitResult {
  target: string;
  policy: string;
  hitRatio: number;
  keysHeld: number;
  usedMemory: number;
  evicted: number;
  seconds: number;
}

/** Replays `trace` against `t` as a cache-aside client, in pipelines of 256 GETs followed by the SETs of their misses. */
async function replay(
  t: Target,
  policy: string,
  trace: Uint32Array,
  warmup: number,
  value: string,
): Promise<HitResult> {
  const r = new Redis({ port: t.port, host: '127.0.0.1', enableAutoPipelining: false });
  const started = Date.now();
  let hits = 0;
  let gets = 0;
  const BATCH = 256;
  for (let i = 0; i < trace.length; i += BATCH) {
    const keys: string[] = [];
    for (let j = i; j < Math.min(i + BATCH, trace.length); j++) keys.push(`key:${trace[j]!}`);
    const p = r.pipeline();
    for (const k of keys) p.get(k);
    const replies = (await p.exec())!;
    const misses = r.pipeline();
    let m = 0;
    replies.forEach(([err, v], j) => {
      if (err) throw err;
      const counted = i + j >= warmup;
      if (counted) gets++;
      if (v !== null) {
        if (counted) hits++;
      } else {
        misses.set(keys[j]!, value);
        m++;
      }
    });
    if (m > 0) for (const [err] of (await misses.exec())!) if (err) throw err;
  }
  const info = await r.info();
  const keysHeld = await r.dbsize();
  r.disconnect();
  return {
    target: t.name,
    policy,
    hitRatio: hits / gets,
    keysHeld,
    usedMemory: Number(infoField(info, 'used_memory')),
    evicted: Number(infoField(info, 'evicted_keys')),
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * The hit ratio of an exact LRU cache of `capacity` keys on the same trace
 * and warm-up: how close a server's sampled LRU comes to the real thing
 * for the number of keys it held.
 */
function exactLru(trace: Uint32Array, warmup: number, capacity: number): number {
  const cache = new Map<number, true>();
  let hits = 0;
  for (let i = 0; i < trace.length; i++) {
    const k = trace[i]!;
    if (cache.delete(k)) {
      if (i >= warmup) hits++;
    } else if (cache.size >= capacity) {
      cache.delete(cache.keys().next().value!);
    }
    cache.set(k, true);
  }
  return hits / (trace.length - warmup);
}

function serverArgs(name: Target['name'], maxmemory: string | null, policy: string): string[] {
  const mem =
    maxmemory === null
      ? []
      : ['--maxmemory', maxmemory, '--maxmemory-policy', policy, '--maxmemory-samples', o.samples!];
  return name === 'flashcache'
    ? ['--appendfsync', 'everysec', '--snapshot-interval', '0', ...mem]
    : ['--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', ...mem];
}

async function hitsPart(lines: string[]): Promise<void> {
  const maxmemory = parseBytes(o.maxmemory!);
  const valueSize = Number(o.valueSize);
  const n = Math.round((Number(o.oversize) * maxmemory) / (valueSize + 16));
  const trace = zipfTrace(n, Number(o.zipf), Number(o.requests), Number(o.seed));
  const value = 'x'.repeat(valueSize);
  const results: HitResult[] = [];
  for (const policy of o.policies!.split(',')) {
    for (const name of ['flashcache', 'redis'] as const) {
      const t = await startTarget(name, serverArgs(name, o.maxmemory!, policy));
      try {
        const res = await replay(t, policy, trace, Number(o.warmup), value);
        results.push(res);
        process.stderr.write(
          `${policy} ${name}: hit ratio ${(res.hitRatio * 100).toFixed(2)}%, ${res.keysHeld} keys held, ${res.seconds.toFixed(1)} s\n`,
        );
      } finally {
        await stopTarget(t, 'kill');
        removeDir(t);
      }
    }
  }
  lines.push(
    `### Hit ratio on a Zipf trace`,
    '',
    `\`node dist/bench/eviction.js --part hits --maxmemory ${o.maxmemory} --zipf ${o.zipf} --requests ${o.requests} --warmup ${o.warmup} --samples ${o.samples} --seed ${o.seed}\``,
    '',
    `${n.toLocaleString('en-US')} distinct keys (${o.oversize}x what ${o.maxmemory} holds at ${valueSize + 16} bytes of key and value each), ${Number(o.requests).toLocaleString('en-US')} requests, the first ${Number(o.warmup).toLocaleString('en-US')} not counted; GET, and SET on a miss; maxmemory-samples ${o.samples}.`,
    '',
    '| policy | FlashCache hit ratio | Redis hit ratio | ratio | FlashCache keys held | Redis keys held | exact LRU at FlashCache / Redis key count | target (≥ Redis) |',
    '|---|---|---|---|---|---|---|---|',
  );
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  for (const policy of o.policies!.split(',')) {
    const f = results.find((x) => x.policy === policy && x.target === 'flashcache')!;
    const r = results.find((x) => x.policy === policy && x.target === 'redis')!;
    const exact = `${pct(exactLru(trace, Number(o.warmup), f.keysHeld))} / ${pct(exactLru(trace, Number(o.warmup), r.keysHeld))}`;
    lines.push(
      `| ${policy} | ${pct(f.hitRatio)} | ${pct(r.hitRatio)} | ${(f.hitRatio / r.hitRatio).toFixed(3)}x | ${f.keysHeld.toLocaleString('en-US')} | ${r.keysHeld.toLocaleString('en-US')} | ${exact} | ${f.hitRatio >= r.hitRatio ? 'met' : 'missed'} |`,
    );
  }
  lines.push('');
}

/** One redis-benchmark SET run; requests per second. */
function benchSet(port: number): number {
  const args = [
    '-p',
    String(port),
    '-t',
    'set',
    '-c',
    '50',
    '-P',
    '16',
    '-d',
    o.valueSize!,
    '-r',
    '10000000',
    '-n',
    o.benchRequests!,
    '--csv',
  ];
  const res = spawnSync('redis-benchmark', args, { encoding: 'utf8' });
  const line = res.stdout.split('\n').find((l) => l.startsWith('"SET"'));
  if (!line) throw new Error(`redis-benchmark printed no SET line: ${res.stdout} ${res.stderr}`);
  return Number(JSON.parse(`[${line}]`)[1]);
}

async function throughputPart(lines: string[]): Promise<void> {
  const runs = Number(o.runs);
  const cells = new Map<string, number[]>();
  const evicted = new Map<string, number[]>();
  for (let run = 0; run < runs; run++) {
    const order: [Target['name'], boolean][] = [
      ['flashcache', true],
      ['flashcache', false],
      ['redis', true],
      ['redis', false],
    ];
    if (run % 2 === 1) order.reverse();
    for (const [name, limited] of order) {
      const t = await startTarget(name, serverArgs(name, limited ? o.maxmemory! : null, 'allkeys-lru'));
      try {
        const rps = benchSet(t.port);
        const key = `${name}:${limited}`;
        cells.set(key, [...(cells.get(key) ?? []), rps]);
        const r = new Redis({ port: t.port, host: '127.0.0.1' });
        const ev = Number(infoField(await r.info('stats'), 'evicted_keys'));
        r.disconnect();
        evicted.set(key, [...(evicted.get(key) ?? []), ev]);
        process.stderr.write(
          `${name} ${limited ? `maxmemory ${o.maxmemory}` : 'no limit'}: ${rps.toFixed(0)} SET/s, ${ev} evicted\n`,
        );
      } finally {
        await stopTarget(t, 'kill');
        removeDir(t);
      }
    }
  }
  const fmt = (xs: number[]): string =>
    `${(median(xs) / 1000).toFixed(1)}k (${(Math.min(...xs) / 1000).toFixed(1)}-${(Math.max(...xs) / 1000).toFixed(1)}k)`;
  lines.push(
    `### SET -P 16 while evicting`,
    '',
    `\`node dist/bench/eviction.js --part throughput --maxmemory ${o.maxmemory} --runs ${runs}\`: \`redis-benchmark -t set -c 50 -P 16 -d ${o.valueSize} -r 10000000 -n ${o.benchRequests}\`, appendfsync everysec, allkeys-lru; median (min-max) of ${runs} runs, alternating.`,
    '',
    '| server | no limit, SET/s | maxmemory ' + o.maxmemory + ', SET/s | keys evicted per run | evicting / no limit |',
    '|---|---|---|---|---|',
  );
  for (const name of ['flashcache', 'redis']) {
    const free = cells.get(`${name}:false`)!;
    const lim = cells.get(`${name}:true`)!;
    lines.push(
      `| ${name === 'flashcache' ? 'FlashCache' : 'Redis'} | ${fmt(free)} | ${fmt(lim)} | ${median(evicted.get(`${name}:true`)!).toLocaleString('en-US')} | ${(median(lim) / median(free)).toFixed(2)}x |`,
    );
  }
  lines.push('');
}

ensureRedisTools();
const env = environment();
const lines: string[] = [`## Eviction (${env.date})`, '', environmentLine(env), ''];
const parts = o.part!.split(',');
if (parts.includes('hits')) await hitsPart(lines);
if (parts.includes('throughput')) await throughputPart(lines);
const text = lines.join('\n') + '\n';
process.stdout.write(text);
if (o.out) appendFileSync(o.out, '\n' + text);
