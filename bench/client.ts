/**
 * The cache-aside helper's cost and what its breaker buys during an outage:
 *
 *   npm run bench:client -- --runs 3 --out bench/RESULTS.md
 *
 * Suites:
 * - hits: `--requests` cache hits over `--keys` keys, `--concurrency` calls in
 *   flight (1 = one after another, latency bound), through a bare ioredis GET
 *   (JSON.parse of the reply included, as the helper does) and through
 *   `CacheAside.getOrLoad`, against FlashCache (`appendfsync always`) and
 *   against redis-server (no persistence; hits read nothing from disk on
 *   either). Calls/s and p50/p99 latency; the helper's overhead is its rate
 *   over the bare GET's on the same server, and FlashCache/Redis is the bare
 *   GET's ratio.
 * - outage: `--workers` callers each loop getOrLoad over `--keys` keys, with a
 *   `--loader-ms` loader (the source of truth). FlashCache is SIGKILLed after
 *   `--before` seconds and restarted on the same port and data directory after
 *   `--outage` seconds. Calls served per second before, during and after, and
 *   the slowest call during the outage, for three set-ups: (a) breaker on and
 *   a fail-fast ioredis client (`enableOfflineQueue: false`; docs/CLIENTS.md's
 *   recommendation), (b) breaker on and ioredis defaults (offline queue: the
 *   breaker's 250 ms timeout is what fails a call), (c) no breaker and ioredis
 *   defaults (calls wait in the offline queue until FlashCache is back).
 */
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { Redis, type RedisOptions } from 'ioredis';
import { CacheAside, type CacheAsideOptions } from '../src/client/index.js';
import {
  ensureRedisTools,
  environment,
  environmentLine,
  median,
  rateSpread,
  removeDir,
  startTarget,
  stopTarget,
  type Target,
} from './lib.js';

const o = new Command('bench-client')
  .option('--suite <list>', 'suites: hits, outage', 'hits,outage')
  .option('--requests <n>', 'calls per hits run', '50000')
  .option('--keys <n>', 'distinct keys', '1000')
  .option('--concurrency <list>', 'calls in flight in the hits suite', '1,50')
  .option('--workers <n>', 'callers in the outage suite', '50')
  .option('--loader-ms <ms>', 'loader duration in the outage suite', '5')
  .option('--before <s>', 'seconds of load before the SIGKILL', '3')
  .option('--outage <s>', 'seconds FlashCache stays down', '10')
  .option('--runs <n>', 'runs per cell, alternating servers in the hits suite', '3')
  .option('--out <file>', 'append the Markdown section to this file')
  .parse()
  .opts<Record<string, string>>();
const num = (name: string): number => Number(o[name]);
const suites = o['suite']!.split(',');
const runs = num('runs');
const keys = num('keys');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface HitRun {
  rate: number;
  p50: number;
  p99: number;
}

/** `requests` calls of `call(i)`, `concurrency` in flight; calls/s and latency percentiles (ms). */
async function drive(requests: number, concurrency: number, call: (i: number) => Promise<unknown>): Promise<HitRun> {
  const lat = new Float64Array(requests);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < requests; i = next++) {
        const t0 = performance.now();
        await call(i);
        lat[i] = performance.now() - t0;
      }
    }),
  );
  const rate = requests / ((performance.now() - started) / 1000);
  lat.sort();
  return { rate, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

async function hitRun(name: Target['name'], concurrency: number): Promise<{ bare: HitRun; helper: HitRun }> {
  const t = await startTarget(
    name,
    name === 'flashcache' ? ['--appendfsync', 'always'] : ['--save', '', '--appendonly', 'no'],
  );
  const redis = new Redis({ port: t.port, host: '127.0.0.1' });
  const cache = new CacheAside(redis, { keyPrefix: 'b:' });
  await Promise.all(
    Array.from({ length: keys }, (_, k) => cache.getOrLoad(`k${k}`, () => ({ id: k, name: `item ${k}` }))),
  );
  const requests = num('requests');
  // Warm both paths, then measure bare, helper, bare, helper and keep each one's better run.
  await drive(2000, concurrency, (i) => redis.get(`b:k${i % keys}`));
  const bare = async () =>
    drive(requests, concurrency, async (i) => JSON.parse((await redis.get(`b:k${i % keys}`)) as string) as unknown);
  const helper = async () =>
    drive(requests, concurrency, (i) =>
      cache.getOrLoad(`k${i % keys}`, () => {
        throw new Error('a hit was expected');
      }),
    );
  const better = (a: HitRun, b: HitRun) => (a.rate >= b.rate ? a : b);
  const b1 = await bare();
  const h1 = await helper();
  const b2 = await bare();
  const h2 = await helper();
  cache.close();
  redis.disconnect();
  await stopTarget(t, 'kill');
  removeDir(t);
  return { bare: better(b1, b2), helper: better(h1, h2) };
}

async function hitsSection(): Promise<string> {
  const rows: string[] = [];
  for (const c of o['concurrency']!.split(',').map(Number)) {
    const got: Record<Target['name'], { bare: HitRun; helper: HitRun }[]> = { flashcache: [], redis: [] };
    for (let r = 0; r < runs; r++) {
      const order: Target['name'][] = r % 2 ? ['redis', 'flashcache'] : ['flashcache', 'redis'];
      for (const name of order) got[name].push(await hitRun(name, c));
    }
    const line = (name: Target['name']) => {
      const bare = got[name].map((x) => x.bare);
      const helper = got[name].map((x) => x.helper);
      const m = (xs: HitRun[], f: keyof HitRun) => median(xs.map((x) => x[f]));
      return (
        `| ${c} | ${name} | ${rateSpread(bare.map((x) => x.rate))} | ${m(bare, 'p50').toFixed(3)} / ` +
        `${m(bare, 'p99').toFixed(3)} | ${rateSpread(helper.map((x) => x.rate))} | ${m(helper, 'p50').toFixed(3)} / ` +
        `${m(helper, 'p99').toFixed(3)} | ${(m(helper, 'rate') / m(bare, 'rate')).toFixed(2)}x |`
      );
    };
    const fc = got.flashcache.map((x) => x.bare.rate);
    const rd = got.redis.map((x) => x.bare.rate);
    rows.push(line('flashcache'), line('redis'));
    process.stderr.write(`hits c=${c}: bare GET FlashCache/Redis ${(median(fc) / median(rd)).toFixed(2)}x\n`);
    rows.push(`| ${c} | FlashCache/Redis, bare GET | ${(median(fc) / median(rd)).toFixed(2)}x | | | | |`);
  }
  return [
    '### hits: getOrLoad against a bare ioredis GET',
    '',
    '| in flight | server | bare GET, thousand calls/s | p50 / p99 ms | getOrLoad, thousand calls/s | p50 / p99 ms | helper/bare |',
    `|${'---|'.repeat(7)}`,
    ...rows,
  ].join('\n');
}

interface OutageRun {
  before: number;
  during: number;
  after: number;
  worst: number;
  failed: number;
}

async function outageRun(client: RedisOptions, helper: CacheAsideOptions): Promise<OutageRun> {
  let t = await startTarget('flashcache', ['--appendfsync', 'always']);
  const redis = new Redis({ port: t.port, host: '127.0.0.1', retryStrategy: () => 100, ...client });
  redis.on('error', () => {});
  await new Promise((r) => redis.once('ready', r));
  const cache = new CacheAside(redis, { keyPrefix: 'o:', ttl: 60, ...helper });
  const loaderMs = num('loaderMs');
  let phase = 'before' as 'before' | 'during' | 'after' | 'done';
  const now = () => phase; // read after an await (the narrowing of `phase` does not see the other writers)
  const served = { before: 0, during: 0, after: 0 };
  let worst = 0;
  let failed = 0;
  const workers = Array.from({ length: num('workers') }, async (_, w) => {
    for (let i = 0; phase !== 'done'; i++) {
      const at = phase as Exclude<typeof phase, 'done'>;
      const t0 = performance.now();
      try {
        await cache.getOrLoad(`k${(w * 31 + i) % keys}`, () => sleep(loaderMs).then(() => ({ w, i })));
        if (now() !== 'done') served[at]++;
      } catch {
        failed++;
      }
      if (at === 'during') worst = Math.max(worst, performance.now() - t0);
    }
  });
  await sleep(num('before') * 1000);
  phase = 'during';
  await stopTarget(t, 'kill');
  await sleep(num('outage') * 1000);
  t = await startTarget('flashcache', ['--appendfsync', 'always'], t.dir, t.port);
  phase = 'after';
  await sleep(num('before') * 1000);
  phase = 'done';
  await Promise.all(workers);
  cache.close();
  redis.disconnect();
  await stopTarget(t, 'kill');
  removeDir(t);
  return {
    before: served.before / num('before'),
    during: served.during / num('outage'),
    after: served.after / num('before'),
    worst,
    failed,
  };
}

async function outageSection(): Promise<string> {
  const setups: [string, RedisOptions, CacheAsideOptions][] = [
    ['breaker, fail-fast client', { enableOfflineQueue: false, maxRetriesPerRequest: 0 }, {}],
    ['breaker, ioredis defaults', {}, {}],
    ['no breaker, ioredis defaults', {}, { breaker: false }],
  ];
  const rows: string[] = [];
  for (const [name, client, helper] of setups) {
    const r = await outageRun(client, helper);
    process.stderr.write(`outage ${name}: ${JSON.stringify(r)}\n`);
    rows.push(
      `| ${name} | ${r.before.toFixed(0)} | ${r.during.toFixed(0)} | ${r.after.toFixed(0)} | ` +
        `${r.worst.toFixed(0)} | ${r.failed} |`,
    );
  }
  return [
    `### outage: ${num('workers')} callers, ${num('loaderMs')} ms loader, FlashCache down for ${num('outage')} s`,
    '',
    '| set-up | calls/s before | calls/s during the outage | calls/s after | slowest call during (ms) | failed calls |',
    `|${'---|'.repeat(6)}`,
    ...rows,
  ].join('\n');
}

ensureRedisTools();
const env = environment();
const sections: string[] = [];
if (suites.includes('hits')) sections.push(await hitsSection());
if (suites.includes('outage')) sections.push(await outageSection());
const markdown = [
  `## ${env.date}: the cache-aside helper (flashcache/client): hit overhead and an outage`,
  '',
  `\`${['node dist/bench/client.js', ...process.argv.slice(2)].join(' ')}\``,
  '',
  environmentLine(env),
  `Hits: ${runs} run${runs === 1 ? '' : 's'} per server and width, alternating, a fresh server per run, the better ` +
    'of two passes per run; rates as median (min-max). Outage: one run per set-up. The load is one Node process ' +
    'on the same machine (bench/client.ts).',
  '',
  sections.join('\n\n'),
].join('\n');
process.stdout.write(markdown + '\n');
if (o['out']) appendFileSync(o['out'], '\n' + markdown + '\n');
