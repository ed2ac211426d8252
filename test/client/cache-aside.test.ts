/**
 * The cache-aside helper (`flashcache/client`) against a real FlashCache, with
 * ioredis and node-redis: coalescing, TTLs, the circuit breaker across a
 * SIGKILL and restart, durability of what it stored, and bad input.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { type BreakerState, CacheAside, CacheAsideError } from 'flashcache/client';
import { cleanup, startServer, waitFor, type ServerHandle } from '../helpers/server.js';

const servers: ServerHandle[] = [];
after(async () => {
  for (const s of servers) {
    await s.kill();
    cleanup(s.dir);
  }
});

async function server(args: string[] = [], dir?: string): Promise<ServerHandle> {
  const s = await startServer(dir ? { dir, args } : { args });
  servers.push(s);
  return s;
}

/** An ioredis client set up as docs/CLIENTS.md recommends with a breaker: fail fast while disconnected. */
function failFast(port: number): Redis {
  const r = new Redis({
    port,
    host: '127.0.0.1',
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 100,
  });
  r.on('error', () => {});
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('100 concurrent misses of one key call the loader once; the value is stored with its TTL and then hit', async () => {
  const srv = await server();
  const redis = srv.client();
  const cache = new CacheAside(redis, { keyPrefix: 'app:' });
  let calls = 0;
  const loader = async () => {
    calls++;
    await sleep(50);
    return { id: 7, tags: ['a', 'b'] };
  };
  const got = await Promise.all(Array.from({ length: 100 }, () => cache.getOrLoad('user:7', loader, { ttl: 30 })));
  assert.equal(calls, 1);
  for (const v of got) assert.deepEqual(v, { id: 7, tags: ['a', 'b'] });
  assert.equal(await redis.get('app:user:7'), '{"id":7,"tags":["a","b"]}');
  const pttl = await redis.pttl('app:user:7');
  assert.ok(pttl > 29_000 && pttl <= 30_000, `PTTL ${pttl}`);
  assert.deepEqual(await cache.getOrLoad('user:7', loader), { id: 7, tags: ['a', 'b'] });
  assert.equal(calls, 1, 'the second call is a hit');
  const s = cache.stats();
  assert.equal(s.misses, 1);
  assert.equal(s.hits, 1);
  assert.equal(s.coalesced, 99);
  assert.equal(s.loads, 1);
  // null is a value: a cached miss.
  assert.equal(await cache.getOrLoad('none', () => null), null);
  assert.equal(await cache.getOrLoad('none', () => 'loaded again'), null);
  assert.equal(await cache.invalidate('none'), true);
  assert.equal(await cache.getOrLoad('none', () => 'loaded again'), 'loaded again');
  cache.close();
});

test('node-redis, RESP2 and RESP3, behind the same helper', async () => {
  const srv = await server();
  for (const RESP of [2, 3] as const) {
    const client = createClient({ socket: { port: srv.port, host: '127.0.0.1' }, RESP });
    await client.connect();
    const cache = new CacheAside(client, { keyPrefix: `r${RESP}:`, ttl: 5 });
    let calls = 0;
    const loader = () => {
      calls++;
      return [1, 'two', { three: 3 }];
    };
    const all = await Promise.all(Array.from({ length: 20 }, () => cache.getOrLoad('k', loader)));
    assert.equal(calls, 1);
    assert.deepEqual(all[19], [1, 'two', { three: 3 }]);
    assert.deepEqual(await cache.getOrLoad('k', loader), [1, 'two', { three: 3 }]);
    assert.equal(calls, 1);
    const ttl = Number(await client.sendCommand(['TTL', `r${RESP}:k`]));
    assert.ok(ttl > 0 && ttl <= 5, `TTL ${ttl}`);
    cache.close();
    client.destroy();
  }
});

test('a loader that throws reaches every waiting caller, nothing is cached, and the next call loads again', async () => {
  const srv = await server();
  const redis = srv.client();
  const cache = new CacheAside(redis);
  let calls = 0;
  const failing = async () => {
    calls++;
    await sleep(20);
    throw new Error('database down');
  };
  const results = await Promise.allSettled(Array.from({ length: 10 }, () => cache.getOrLoad('k', failing)));
  assert.equal(calls, 1);
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.equal((r as PromiseRejectedResult).reason.message, 'database down');
  }
  assert.equal(await redis.exists('k'), 0);
  assert.equal(await cache.getOrLoad('k', () => 'ok'), 'ok');
  assert.equal(cache.state, 'closed', "the loader's failures are not the cache's");
  cache.close();
});

test('bad input: unserializable values, oversized keys and values, bad TTLs are refused and nothing is stored', async () => {
  const srv = await server();
  const redis = srv.client();
  const cache = new CacheAside(redis, { maxKeyBytes: 64, maxValueBytes: 1000 });
  const refused = async (p: Promise<unknown>, code: string, text: RegExp) => {
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof CacheAsideError, String(e));
      assert.equal(e.code, code);
      assert.match(e.message, text);
      return true;
    });
  };
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  await refused(
    cache.getOrLoad('c', () => circular),
    'ESERIALIZE',
    /"c" cannot be serialized: .*circular/i,
  );
  await refused(
    cache.getOrLoad('b', () => 10n),
    'ESERIALIZE',
    /"b" cannot be serialized: .*BigInt/,
  );
  await refused(
    cache.getOrLoad('u', () => undefined),
    'ESERIALIZE',
    /undefined has no JSON form/,
  );
  await refused(
    cache.getOrLoad('big', () => 'x'.repeat(2000)),
    'EVALUESIZE',
    /2002 bytes serialized, over maxValueBytes \(1000\)/,
  );
  let called = false;
  await refused(
    cache.getOrLoad('k'.repeat(65), () => {
      called = true;
      return 1;
    }),
    'EKEYSIZE',
    /65 bytes with its prefix, over maxKeyBytes \(64\)/,
  );
  assert.equal(called, false, 'the loader is not called for a refused key');
  await refused(
    cache.getOrLoad('t', () => 1, { ttl: -1 }),
    'EBADTTL',
    /non-negative number of seconds, not -1/,
  );
  await refused(
    cache.getOrLoad(42 as unknown as string, () => 1),
    'EBADKEY',
    /must be a string, not number/,
  );
  assert.equal(await redis.dbsize(), 0, 'nothing was stored');
  // A value that is not the serializer's (written by something else) is a miss, reloaded and overwritten.
  await redis.set('foreign', 'not json{');
  const errors: string[] = [];
  const tolerant = new CacheAside(redis, { hooks: { onCacheError: (_e, op) => errors.push(op) } });
  assert.equal(await tolerant.getOrLoad('foreign', () => 'fresh'), 'fresh');
  assert.deepEqual(errors, ['decode']);
  assert.equal(await redis.get('foreign'), '"fresh"');
  cache.close();
  tolerant.close();
});

test('the breaker opens when FlashCache is SIGKILLed under load, requests keep succeeding through the loader, and it closes after the restart', async (t) => {
  let srv = await server();
  const port = srv.port;
  const redis = failFast(port);
  const states: BreakerState[] = [];
  const cache = new CacheAside(redis, {
    breaker: { timeout: 200, resetTimeout: 500, volumeThreshold: 5, errorThresholdPercentage: 50 },
    hooks: { onStateChange: (s) => states.push(s) },
  });
  let running = true;
  let failures = 0;
  let served = 0;
  let worstDuringOutage = 0;
  let outage = false;
  const worker = async (w: number) => {
    for (let i = 0; running; i++) {
      const key = `k${(w * 7 + i) % 50}`;
      const t0 = performance.now();
      try {
        const v = await cache.getOrLoad(key, async () => `value of ${key}`, { ttl: 60 });
        assert.equal(v, `value of ${key}`);
        served++;
      } catch {
        failures++;
      }
      if (outage) worstDuringOutage = Math.max(worstDuringOutage, performance.now() - t0);
      await sleep(2);
    }
  };
  const workers = Array.from({ length: 8 }, (_, w) => worker(w));
  await waitFor(() => cache.stats().hits > 100, 10_000, 'hits before the crash');
  outage = true;
  await srv.kill();
  await waitFor(() => states.includes('open'), 10_000, 'the breaker to open');
  const servedAtOpen = served;
  await waitFor(() => served > servedAtOpen + 200, 10_000, 'requests served while FlashCache is down');
  assert.ok(cache.stats().bypasses > 0);
  outage = false;
  srv = await server(['--port', String(port)], srv.dir);
  await waitFor(() => cache.state === 'closed' && states.at(-1) === 'closed', 15_000, 'the breaker to close again');
  const hitsAfter = cache.stats().hits;
  await waitFor(() => cache.stats().hits > hitsAfter + 50, 10_000, 'hits after the restart');
  running = false;
  await Promise.all(workers);
  assert.equal(failures, 0, 'no request failed');
  assert.ok(states.includes('halfOpen'), `states ${states.join(',')}`);
  assert.ok(worstDuringOutage < 1500, `slowest request during the outage: ${worstDuringOutage.toFixed(0)} ms`);
  t.diagnostic(
    `states ${states.join(' → ')}; ${served} served, slowest during the outage ${worstDuringOutage.toFixed(0)} ms`,
  );
  cache.close();
  redis.disconnect();
});

test('values the helper stored before a SIGKILL are read back through it after the restart', async () => {
  const srv = await server();
  const redis = srv.client();
  const cache = new CacheAside(redis, { keyPrefix: 'd:' });
  const values = new Map<string, unknown>();
  await Promise.all(
    Array.from({ length: 200 }, (_, i) => {
      const v = { n: i, s: `v${i}`.repeat(i % 7) };
      values.set(`k${i}`, v);
      return cache.getOrLoad(`k${i}`, () => v, { ttl: i % 2 ? 3600 : 0 });
    }),
  );
  cache.close();
  await srv.kill();
  const again = await server([], srv.dir);
  const cache2 = new CacheAside(again.client(), { keyPrefix: 'd:' });
  for (const [k, v] of values) {
    assert.deepEqual(
      await cache2.getOrLoad(k, () => {
        throw new Error(`${k} was not in the cache`);
      }),
      v,
    );
  }
  assert.equal(cache2.stats().hits, 200);
  cache2.close();
});
