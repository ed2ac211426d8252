/**
 * node-redis 5's client-side cache against FlashCache: a RESP3 client with
 * the `clientSideCache` option answers a repeated read from its local cache
 * (the server sees one read), and a write by another client reaches the
 * cache as an invalidation, so the next read gets the new value. Also
 * keyspace notifications through node-redis's pub/sub API.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BasicClientSideCache, createClient } from 'redis';
import { cleanup, startServer, waitFor, type ServerHandle } from '../helpers/server.js';

let srv: ServerHandle;
let url: string;

before(async () => {
  srv = await startServer();
  url = `redis://127.0.0.1:${srv.port}`;
});

after(async () => {
  await srv.stop();
  cleanup(srv.dir);
});

/** INFO stats `keyspace_hits` as the server counts it. */
async function keyspaceHits(client: ReturnType<typeof createClient>): Promise<number> {
  return Number(/keyspace_hits:(\d+)/.exec(await client.info('stats'))![1]);
}

test('node-redis clientSideCache: the second read is local; another client’s write invalidates it', async (t) => {
  const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0, evictPolicy: 'LRU' });
  const cached = createClient({ url, RESP: 3, clientSideCache: cache });
  const other = createClient({ url });
  t.after(async () => {
    await cached.close();
    await other.close();
  });
  await Promise.all([cached.connect(), other.connect()]);
  assert.match(String(await other.sendCommand(['CLIENT', 'LIST'])), /flags=t /, 'the cached client turned tracking on');

  await other.set('user:1', 'Ada');
  const hits0 = await keyspaceHits(other);
  assert.equal(await cached.get('user:1'), 'Ada');
  assert.equal(await cached.get('user:1'), 'Ada');
  assert.equal(cache.stats().missCount, 1);
  assert.equal(cache.stats().hitCount, 1, 'the second read came from the local cache');
  assert.equal(await keyspaceHits(other), hits0 + 1, 'the server saw one read');
  assert.equal(cache.size(), 1);

  const invalidated = new Promise<unknown>((r) => cache.once('invalidate', r));
  await other.set('user:1', 'Grace');
  assert.equal(String(await invalidated), 'user:1', 'the invalidation reached the cache');
  assert.equal(cache.size(), 0);
  assert.equal(await cached.get('user:1'), 'Grace', 'the next read gets the new value');
  assert.equal(cache.stats().missCount, 2);

  // A FLUSHALL invalidates everything the cache holds.
  assert.equal(await cached.get('user:1'), 'Grace');
  assert.equal(cache.size(), 1);
  await other.flushAll();
  await waitFor(() => cache.size() === 0, 5000, 'the cache to be cleared');
  assert.equal(await cached.get('user:1'), null);
});

for (const RESP of [2, 3] as const) {
  test(`node-redis RESP${RESP} subscriber receives keyspace and keyevent notifications`, async (t) => {
    const writer = createClient({ url, RESP });
    const sub = createClient({ url, RESP });
    t.after(async () => {
      await writer.configSet('notify-keyspace-events', '');
      await writer.close();
      await sub.close();
    });
    await Promise.all([writer.connect(), sub.connect()]);
    await writer.configSet('notify-keyspace-events', 'KEA');
    const seen: string[] = [];
    await sub.pSubscribe('__key*__:*', (message, channel) => seen.push(`${channel} ${message}`));
    await writer.lPush('jobs', 'a');
    await writer.expire('jobs', 100);
    await writer.del('jobs');
    await waitFor(() => seen.length === 6, 5000, 'six notifications');
    assert.deepEqual(seen, [
      '__keyspace@0__:jobs lpush',
      '__keyevent@0__:lpush jobs',
      '__keyspace@0__:jobs expire',
      '__keyevent@0__:expire jobs',
      '__keyspace@0__:jobs del',
      '__keyevent@0__:del jobs',
    ]);
  });
}
