/**
 * Transactions through real client libraries: ioredis 6 (RESP3, its default,
 * and RESP2) and node-redis 5 (RESP2 and RESP3). Each scenario runs against
 * FlashCache and against redis-server, and what the library hands the
 * application must be the same from both.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient, createClientPool, WatchError } from 'redis';
import { cleanup, startServer, type ServerHandle } from '../helpers/server.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

let fc: ServerHandle;
let ref: RedisHandle;

before(async () => {
  [fc, ref] = await Promise.all([startServer(), startRedis()]);
});

after(async () => {
  await Promise.all([fc?.stop(), ref?.stop()]);
  if (fc) cleanup(fc.dir);
});

/** Replies made comparable: errors as their class and message, buffers as text, the rest as they are. */
function plain(v: unknown): unknown {
  if (v instanceof Error) {
    const e: Record<string, unknown> = { error: v.constructor.name, message: v.message };
    const prev = (v as { previousErrors?: unknown[] }).previousErrors;
    if (prev !== undefined) e['previousErrors'] = prev.map(plain);
    const replies = (v as { replies?: unknown[] }).replies;
    if (replies !== undefined) e['replies'] = replies.map(plain);
    return e;
  }
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

/** The value a promise settles with, or its error. */
async function settled(p: Promise<unknown>): Promise<unknown> {
  try {
    return plain(await p);
  } catch (err) {
    return plain(err);
  }
}

/**
 * Runs `scenario` against FlashCache, then against redis-server (each
 * emptied first), and asserts both gave the same result.
 *
 * @returns FlashCache's result
 */
async function onBoth<T>(t: TestContext, scenario: (port: number) => Promise<T>): Promise<T> {
  const results: T[] = [];
  for (const port of [fc.port, ref.port]) {
    const admin = new Redis({ port, host: '127.0.0.1', protocol: 2, lazyConnect: true });
    await admin.connect();
    await admin.flushall();
    admin.disconnect();
    results.push(await scenario(port));
  }
  assert.deepEqual(plain(results[0]), plain(results[1]), `${t.name}: FlashCache as redis-server`);
  return results[0]!;
}

/** An ioredis client, disconnected when the test ends. */
async function ioredis(t: TestContext, port: number, protocol: 2 | 3): Promise<Redis> {
  const c = new Redis({ port, host: '127.0.0.1', protocol, lazyConnect: true, maxRetriesPerRequest: 1 });
  c.on('error', () => {});
  t.after(() => c.disconnect());
  await c.connect();
  return c;
}

/** A connected node-redis client, destroyed when the test ends. */
async function nodeRedis(t: TestContext, port: number, RESP: 2 | 3) {
  const c = createClient({ socket: { port, host: '127.0.0.1', reconnectStrategy: false }, RESP });
  c.on('error', () => {});
  t.after(() => c.destroy());
  await c.connect();
  return c;
}

for (const protocol of [3, 2] as const) {
  test(`ioredis (RESP${protocol}): multi().exec() with reads, writes and a failing command`, async (t) => {
    const result = await onBoth(t, async (port) => {
      const c = await ioredis(t, port, protocol);
      const ok = await c
        .multi()
        .set('a', '1')
        .get('a')
        .incr('n')
        .incrby('n', 10)
        .rpush('l', 'x', 'y')
        .lrange('l', 0, -1)
        .hset('h', 'f', 'v')
        .hgetall('h')
        .del('nosuch')
        .exec();
      const withError = await c.multi().set('s', 'text').incr('s').lpush('s', 'x').get('s').exec();
      const empty = await c.multi().exec();
      return { ok, withError: plain(withError), empty, after: await c.mget('a', 'n', 's') };
    });
    assert.deepEqual(result.ok, [
      [null, 'OK'],
      [null, '1'],
      [null, 1],
      [null, 11],
      [null, 2],
      [null, ['x', 'y']],
      [null, 1],
      [null, { f: 'v' }],
      [null, 0],
    ]);
    assert.deepEqual(result.after, ['1', '11', 'text']);
  });

  test(`ioredis (RESP${protocol}): an error while queueing rejects exec() with EXECABORT`, async (t) => {
    const result = await onBoth(t, async (port) => {
      const c = await ioredis(t, port, protocol);
      const aborted = await settled(c.multi().set('a', '1').call('NOSUCH', 'x').set('b', '2').exec());
      return { aborted, after: await c.mget('a', 'b'), ping: await c.ping() };
    });
    assert.match(JSON.stringify(result.aborted), /EXECABORT Transaction discarded because of previous errors/);
    assert.deepEqual(result.after, [null, null]);
  });

  test(`ioredis (RESP${protocol}): watch() makes exec() answer null after another client's change`, async (t) => {
    const result = await onBoth(t, async (port) => {
      const c = await ioredis(t, port, protocol);
      const other = await ioredis(t, port, protocol);
      await c.set('k', 'start');
      await c.watch('k');
      await other.set('k', 'theirs');
      const touched = await c.multi().set('k', 'mine').exec();
      await c.watch('k');
      const untouched = await c.multi().set('k', 'mine').exec();
      await c.watch('k');
      await other.expire('k', 100);
      await c.unwatch();
      const unwatched = await c.multi().incr('x').exec();
      return { touched, untouched, unwatched, k: await c.get('k') };
    });
    assert.equal(result.touched, null);
    assert.deepEqual(result.untouched, [[null, 'OK']]);
    assert.equal(result.k, 'mine');
  });

  test(`ioredis (RESP${protocol}): optimistic locking with watch() counts every increment once`, async (t) => {
    const WORKERS = 4;
    const EACH = 15;
    const result = await onBoth(t, async (port) => {
      const clients = await Promise.all(Array.from({ length: WORKERS }, () => ioredis(t, port, protocol)));
      let retries = 0;
      await Promise.all(
        clients.map(async (c) => {
          for (let i = 0; i < EACH; i++) {
            for (;;) {
              await c.watch('counter');
              const v = Number((await c.get('counter')) ?? 0);
              const res = await c
                .multi()
                .set('counter', String(v + 1))
                .rpush('log', String(v + 1))
                .exec();
              if (res !== null) break;
              retries++;
            }
          }
        }),
      );
      const c = clients[0]!;
      const log = (await c.lrange('log', 0, -1)).map(Number);
      t.diagnostic(`port ${port}: ${retries} retries`);
      return { counter: await c.get('counter'), log };
    });
    assert.equal(result.counter, String(WORKERS * EACH));
    assert.deepEqual(
      result.log,
      Array.from({ length: WORKERS * EACH }, (_, i) => i + 1),
      'every committed increment saw the value before it',
    );
  });

  test(`ioredis (RESP${protocol}): pipelines, a MULTI inside a pipeline, multi({ pipeline: false })`, async (t) => {
    const result = await onBoth(t, async (port) => {
      const c = await ioredis(t, port, protocol);
      const pipe = await c.pipeline().set('p', '1').incr('p').get('p').lpop('nosuch').exec();
      const mixed = await c.pipeline().set('q', '1').call('MULTI').incr('q').incr('q').call('EXEC').get('q').exec();
      // Without pipelining, MULTI is sent at once and each command answers QUEUED.
      await c.multi({ pipeline: false });
      const queued = await Promise.all([c.set('r', '1'), c.incr('r'), c.get('r')]);
      const executed = await c.exec();
      return { pipe, mixed, queued, executed };
    });
    assert.deepEqual(result.pipe, [
      [null, 'OK'],
      [null, 2],
      [null, '2'],
      [null, null],
    ]);
    assert.deepEqual(result.mixed, [
      [null, 'OK'],
      [null, 'OK'],
      [null, 'QUEUED'],
      [null, 'QUEUED'],
      [null, [2, 3]],
      [null, '3'],
    ]);
    assert.deepEqual(result.queued, ['QUEUED', 'QUEUED', 'QUEUED']);
    assert.deepEqual(result.executed, [
      [null, 'OK'],
      [null, 2],
      [null, '2'],
    ]);
  });
}

for (const RESP of [2, 3] as const) {
  test(`node-redis 5 (RESP${RESP}): multi().exec(), execAsPipeline() and automatic pipelining`, async (t) => {
    const result = await onBoth(t, async (port) => {
      const c = await nodeRedis(t, port, RESP);
      const ok = await c
        .multi()
        .set('a', '1')
        .get('a')
        .incr('n')
        .incrBy('n', 10)
        .rPush('l', ['x', 'y'])
        .lRange('l', 0, -1)
        .exists('nosuch')
        .lPop('nosuch')
        .exec();
      const withError = await settled(c.multi().set('s', 'text').incr('s').get('s').exec());
      const asPipeline = await c.multi().set('p', '1').incr('p').get('p').execAsPipeline();
      const auto = await Promise.all([c.set('q', '1'), c.incr('q'), c.get('q'), c.get('nosuch')]);
      return { ok, withError, asPipeline, auto };
    });
    assert.deepEqual(result.ok, ['OK', '1', 1, 11, 2, ['x', 'y'], 0, null]);
    assert.deepEqual(result.asPipeline, ['OK', 2, '2']);
  });

  test(`node-redis 5 (RESP${RESP}): an error while queueing rejects exec() and runs nothing`, async (t) => {
    const result = await onBoth(t, async (port) => {
      const c = await nodeRedis(t, port, RESP);
      const aborted = await settled(c.multi().set('a', '1').addCommand(['NOSUCH', 'x']).set('b', '2').exec());
      return { aborted, after: await c.mGet(['a', 'b']) };
    });
    // node-redis rejects with the first error of the transaction: the one that aborted it.
    assert.match(JSON.stringify(result.aborted), /ERR unknown command 'NOSUCH'/);
    assert.deepEqual(result.after, [null, null]);
  });

  test(`node-redis 5 (RESP${RESP}): watch(), another client's change, exec() rejects: WatchError`, async (t) => {
    const result = await onBoth(t, async (port) => {
      const c = await nodeRedis(t, port, RESP);
      const other = await nodeRedis(t, port, RESP);
      await c.set('k', 'start');
      await c.watch('k');
      await other.set('k', 'theirs');
      const touched = await settled(c.multi().set('k', 'mine').exec());
      await c.watch('k');
      const untouched = await c.multi().set('k', 'mine').exec();
      return { touched, untouched, k: await c.get('k') };
    });
    assert.equal((result.touched as { error?: string }).error, WatchError.name);
    assert.deepEqual(result.untouched, ['OK']);
    assert.equal(result.k, 'mine');
  });

  test(`node-redis 5 (RESP${RESP}): a client pool's execute() isolates WATCH for optimistic locking`, async (t) => {
    const WORKERS = 4;
    const EACH = 10;
    const result = await onBoth(t, async (port) => {
      const pool = createClientPool(
        { socket: { port, host: '127.0.0.1', reconnectStrategy: false }, RESP },
        { minimum: WORKERS, maximum: WORKERS },
      );
      pool.on('error', () => {});
      t.after(() => pool.destroy());
      await pool.connect();
      let retries = 0;
      const increment = (): Promise<void> =>
        pool.execute(async (client) => {
          for (;;) {
            await client.watch('counter');
            const v = Number((await client.get('counter')) ?? 0);
            try {
              await client
                .multi()
                .set('counter', String(v + 1))
                .rPush('log', String(v + 1))
                .exec();
              return;
            } catch (err) {
              if (!(err instanceof WatchError)) throw err;
              retries++;
            }
          }
        });
      await Promise.all(Array.from({ length: WORKERS * EACH }, increment));
      const log = (await pool.lRange('log', 0, -1)).map(Number);
      t.diagnostic(`port ${port}: ${retries} retries`);
      return { counter: await pool.get('counter'), log };
    });
    assert.equal(result.counter, String(WORKERS * EACH));
    assert.deepEqual(
      result.log,
      Array.from({ length: WORKERS * EACH }, (_, i) => i + 1),
    );
  });
}
