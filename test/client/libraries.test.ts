/**
 * What docs/CLIENTS.md recommends from the client libraries themselves,
 * against a real FlashCache: node-redis's client-side cache (RESP3 and CLIENT
 * TRACKING invalidations) and its connection pool.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { BasicClientSideCache, createClient, createClientPool } from 'redis';
import { cleanup, startServer, waitFor, type ServerHandle } from '../helpers/server.js';

let srv: ServerHandle;
after(async () => {
  await srv?.kill();
  if (srv) cleanup(srv.dir);
});

test('node-redis client-side caching: repeated GETs are served locally until another client writes the key', async () => {
  srv = await startServer();
  const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 1000 });
  const reader = createClient({ socket: { port: srv.port, host: '127.0.0.1' }, RESP: 3, clientSideCache: cache });
  const writer = createClient({ socket: { port: srv.port, host: '127.0.0.1' } });
  await reader.connect();
  await writer.connect();
  await writer.set('user:1', 'ada');
  assert.equal(await reader.get('user:1'), 'ada');
  assert.equal(await reader.get('user:1'), 'ada');
  assert.equal(await reader.get('user:1'), 'ada');
  assert.equal(cache.stats().hitCount, 2, 'two of three GETs answered from the local cache');
  const tracking = String(await writer.sendCommand(['CLIENT', 'LIST']));
  assert.match(tracking, /flags=t\b/, 'the reader turned tracking on');
  await writer.set('user:1', 'grace');
  await waitFor(async () => (await reader.get('user:1')) === 'grace', 5000, 'the invalidation to reach the reader');
  reader.destroy();
  writer.destroy();
});

test('node-redis pool: blocking commands on their own connections while the rest keep working', async () => {
  const pool = createClientPool({ socket: { port: srv.port, host: '127.0.0.1' } }, { minimum: 2, maximum: 4 });
  await pool.connect();
  const blocked = pool.blPop('jobs', 5);
  assert.equal(await pool.set('k', 'v'), 'OK');
  assert.equal(await pool.get('k'), 'v');
  await pool.lPush('jobs', 'job-1');
  assert.deepEqual(await blocked, { key: 'jobs', element: 'job-1' });
  pool.destroy();
});
