/**
 * Libraries built on Lua scripts, from npm, against FlashCache through
 * ioredis: rate-limiter-flexible's RateLimiterRedis (a script defined with
 * `defineCommand`, sent with EVALSHA) and redis-semaphore's Mutex (acquire
 * and release scripts). Their invariants hold under concurrency and across
 * a SIGKILL in the middle of the load: no acknowledged consumption is lost,
 * none is counted twice, and the mutex's read-modify-write counter is exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { Mutex } from 'redis-semaphore';
import { cleanup, startServer, tempDir } from '../helpers/server.js';

/** A connected ioredis client that does not reconnect: after the kill, its commands fail instead of waiting. */
async function client(port: number): Promise<Redis> {
  const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  await new Promise((resolve) => r.once('ready', resolve));
  return r;
}

test('rate-limiter-flexible: points consumed atomically by its script, and none lost across SIGKILL', async () => {
  const dir = tempDir();
  try {
    let srv = await startServer({ dir });
    let redis = await client(srv.port);
    const limiter = new RateLimiterRedis({ storeClient: redis, points: 50, duration: 600, keyPrefix: 'rl' });
    // 80 concurrent consumptions of 1 point: exactly 50 pass.
    const results = await Promise.allSettled(Array.from({ length: 80 }, () => limiter.consume('user')));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 50);
    // Another key, consumed while the server is killed.
    let acknowledged = 0;
    const load = (async () => {
      for (let i = 0; i < 10_000; i++) {
        try {
          await limiter.consume('other', 1);
          acknowledged++;
        } catch {
          return;
        }
      }
    })();
    while (acknowledged < 30) await new Promise((r) => setTimeout(r, 5));
    await srv.kill();
    await load;
    redis.disconnect();
    srv = await startServer({ dir });
    try {
      redis = await client(srv.port);
      const after = new RateLimiterRedis({ storeClient: redis, points: 100_000, duration: 600, keyPrefix: 'rl' });
      const res = await after.get('other');
      assert.ok(res !== null);
      // Every acknowledged consumption is there; at most the one in flight besides.
      assert.ok(res.consumedPoints >= acknowledged && res.consumedPoints <= acknowledged + 1, `${res.consumedPoints}`);
      assert.equal((await after.get('user'))!.consumedPoints, 80);
      redis.disconnect();
    } finally {
      await srv.stop();
    }
  } finally {
    cleanup(dir);
  }
});

test('redis-semaphore Mutex: exclusive read-modify-write by concurrent workers, lock state sane after SIGKILL', async () => {
  const dir = tempDir();
  try {
    let srv = await startServer({ dir });
    const clients = await Promise.all(Array.from({ length: 4 }, () => client(srv.port)));
    let acknowledged = 0;
    let stop = false;
    const worker = async (redis: Redis): Promise<void> => {
      while (!stop) {
        const mutex = new Mutex(redis, 'lock', { lockTimeout: 60_000, acquireTimeout: 60_000, retryInterval: 1 });
        try {
          await mutex.acquire();
          // Not atomic on its own: only the lock keeps two workers from interleaving here.
          const n = Number((await redis.get('counter')) ?? '0');
          await redis.set('counter', String(n + 1));
          acknowledged++;
          await mutex.release();
        } catch {
          return;
        }
      }
    };
    const workers = clients.map(worker);
    while (acknowledged < 200) await new Promise((r) => setTimeout(r, 5));
    await srv.kill();
    stop = true;
    await Promise.all(workers);
    for (const c of clients) c.disconnect();
    srv = await startServer({ dir });
    try {
      const redis = await client(srv.port);
      const counter = Number(await redis.get('counter'));
      assert.ok(
        counter >= acknowledged && counter <= acknowledged + 1,
        `counter ${counter}, acknowledged ${acknowledged}`,
      );
      // redis-semaphore keeps the lock in `mutex:<key>`; one left by a killed holder keeps its TTL.
      const ttl = await redis.pttl('mutex:lock');
      assert.ok(ttl === -2 || (ttl > 0 && ttl <= 60_000), `lock ttl ${ttl}`);
      await redis.del('mutex:lock');
      const m = new Mutex(redis, 'lock', { acquireTimeout: 1000 });
      await m.acquire();
      await m.release();
      redis.disconnect();
    } finally {
      await srv.stop();
    }
  } finally {
    cleanup(dir);
  }
});
