/**
 * The runnable examples under examples/, each started against a real
 * FlashCache and driven over HTTP.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { CacheAside } from 'flashcache/client';
import { type Product, productApp } from '../../examples/express-cache-aside.js';
import { sessionApp } from '../../examples/session-store.js';
import { cleanup, startServer, waitFor, type ServerHandle } from '../helpers/server.js';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function flashcache(args: string[] = [], dir?: string): Promise<ServerHandle> {
  const s = await startServer(dir ? { dir, args } : { args });
  cleanups.push(async () => {
    await s.kill();
    cleanup(s.dir);
  });
  return s;
}

function listen(app: { listen(port: number, host: string, cb: () => void): Server }): Promise<string> {
  return new Promise((resolve) => {
    const http = app.listen(0, '127.0.0.1', () => {
      cleanups.push(() => new Promise<void>((r) => http.close(() => r())));
      resolve(`http://127.0.0.1:${(http.address() as AddressInfo).port}`);
    });
  });
}

test('express-cache-aside: a miss, then hits; a cached 404; a failing source gives 500 and caches nothing', async () => {
  const srv = await flashcache();
  const redis = new Redis({ port: srv.port, host: '127.0.0.1', enableOfflineQueue: false });
  cleanups.push(() => redis.disconnect());
  // Without the offline queue, commands sent before the connection is up fail (and the cache is bypassed).
  await waitFor(() => redis.status === 'ready', 10_000, 'ioredis to connect');
  const cache = new CacheAside(redis, { keyPrefix: 'shop:' });
  cleanups.push(() => cache.close());
  const queries: string[] = [];
  const source = async (id: string): Promise<Product | null> => {
    queries.push(id);
    if (id === 'boom') throw new Error('database down');
    return /^\d+$/.test(id) ? { id, name: `product ${id}`, price: 100 } : null;
  };
  const base = await listen(productApp(cache, source));
  const first = await fetch(`${base}/products/42`);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('x-cache'), 'miss');
  assert.deepEqual(await first.json(), { id: '42', name: 'product 42', price: 100 });
  const parallel = await Promise.all(Array.from({ length: 10 }, () => fetch(`${base}/products/42`)));
  for (const r of parallel) assert.equal(r.headers.get('x-cache'), 'hit');
  const missing = await fetch(`${base}/products/nope`);
  assert.equal(missing.status, 404);
  assert.equal((await fetch(`${base}/products/nope`)).headers.get('x-cache'), 'hit');
  assert.equal((await fetch(`${base}/products/boom`)).status, 500);
  assert.deepEqual(queries, ['42', 'nope', 'boom']);
  assert.equal(await redis.get('shop:product:42'), '{"id":"42","name":"product 42","price":100}');
  assert.equal(await redis.exists('shop:product:boom'), 0);
});

test('session-store: a session saved through connect-redis survives a SIGKILL of FlashCache', async () => {
  let srv = await flashcache();
  const port = srv.port;
  const client = createClient({ socket: { port, host: '127.0.0.1', reconnectStrategy: () => 100 } });
  client.on('error', () => {});
  await client.connect();
  cleanups.push(() => {
    client.destroy();
  });
  const base = await listen(sessionApp(client, 'test secret'));
  assert.equal((await fetch(`${base}/me`)).status, 401);
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'ada' }),
  });
  assert.equal(login.status, 200);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  assert.match(cookie, /^connect\.sid=/);
  assert.deepEqual(await (await fetch(`${base}/me`, { headers: { cookie } })).json(), { user: 'ada' });
  assert.equal((await client.keys('sess:*')).length, 1);

  await srv.kill();
  srv = await flashcache(['--port', String(port)], srv.dir);
  await waitFor(() => client.isReady, 10_000, 'node-redis to reconnect');
  const me = await fetch(`${base}/me`, { headers: { cookie } });
  assert.equal(me.status, 200);
  assert.deepEqual(await me.json(), { user: 'ada' });

  assert.equal((await fetch(`${base}/logout`, { method: 'POST', headers: { cookie } })).status, 200);
  assert.equal((await fetch(`${base}/me`, { headers: { cookie } })).status, 401);
  assert.equal((await client.keys('sess:*')).length, 0);
  assert.equal(
    (await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }))
      .status,
    400,
  );
});
