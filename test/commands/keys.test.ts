/**
 * Key iteration and expiry over a real server: SCAN's guarantee under
 * concurrent writes, lazy and active expiry (each logged as a delete), keys
 * that expire while the server is down.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, startServer, waitFor, type ServerHandle } from '../helpers/server.js';

let srv: ServerHandle;

before(async () => {
  srv = await startServer();
});

after(async () => {
  await srv.stop();
  cleanup(srv.dir);
});

test('a full SCAN returns every key present throughout, while other keys come and go', async () => {
  const redis = srv.client();
  const churn = srv.client();
  await redis.select(3);
  await churn.select(3);
  const stable = Array.from({ length: 3000 }, (_, i) => `stable:${i}`);
  for (let i = 0; i < stable.length; i += 500) await redis.mset(...stable.slice(i, i + 500).flatMap((k) => [k, 'v']));
  let stop = false;
  const churning = (async () => {
    let i = 0;
    while (!stop) {
      // Inserts grow the index through several resizes during the scan; deletes leave tombstones.
      await churn.mset(...Array.from({ length: 50 }, (_, j) => [`churn:${i}:${j}`, 'x']).flat());
      if (i % 3 === 0) await churn.del(...Array.from({ length: 50 }, (_, j) => `churn:${i - 3}:${j}`));
      i++;
    }
  })();
  const seen = new Set<string>();
  let cursor = '0';
  let calls = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 20);
    for (const k of keys) seen.add(k);
    cursor = next;
    calls++;
  } while (cursor !== '0');
  stop = true;
  await churning;
  const missing = stable.filter((k) => !seen.has(k));
  assert.deepEqual(missing, [], `SCAN missed ${missing.length} keys over ${calls} calls`);
  assert.ok(calls > 10, 'the iteration took many steps');
  await redis.flushdb();
});

test('SCAN MATCH and TYPE filter; KEYS matches globs', async () => {
  const redis = srv.client();
  await redis.select(4);
  await redis.mset('user:1', 'a', 'user:2', 'b', 'order:1', 'c');
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = (await redis.call('SCAN', cursor, 'MATCH', 'user:*', 'TYPE', 'string')) as [string, string[]];
    keys.forEach((k) => found.add(k));
    cursor = next;
  } while (cursor !== '0');
  assert.deepEqual([...found].sort(), ['user:1', 'user:2']);
  const [, none] = (await redis.call('SCAN', '0', 'TYPE', 'hash', 'COUNT', '100')) as [string, string[]];
  assert.deepEqual(none, []);
  assert.deepEqual((await redis.keys('*:1')).sort(), ['order:1', 'user:1']);
  await redis.flushdb();
});

test('RANDOMKEY returns a live key, nil on an empty database', async () => {
  const redis = srv.client();
  await redis.select(5);
  assert.equal(await redis.randomkey(), null);
  await redis.mset('a', '1', 'b', '2');
  for (let i = 0; i < 20; i++) assert.ok(['a', 'b'].includes((await redis.randomkey())!));
  await redis.flushdb();
});

test('an expired key is gone on access, and its removal is logged to the WAL', async () => {
  const redis = srv.client();
  await redis.select(6);
  await redis.set('short', 'v', 'PX', 30);
  const lsnBefore = Number(/wal_last_lsn:(\d+)/.exec(await redis.info('persistence'))![1]);
  await waitFor(async () => (await redis.pttl('short')) === -2, 5000, 'the key to expire');
  assert.equal(await redis.get('short'), null);
  const lsnAfter = Number(/wal_last_lsn:(\d+)/.exec(await redis.info('persistence'))![1]);
  assert.equal(lsnAfter, lsnBefore + 1, 'exactly one DEL record for the expired key');
  assert.match(await redis.info('stats'), /expired_keys:[1-9]/);
});

test('the active expiry cycle removes expired keys nobody reads', async () => {
  const redis = srv.client();
  await redis.select(7);
  const pipeline = redis.pipeline();
  // Long enough that a loaded machine still counts all 500 before they expire.
  for (let i = 0; i < 500; i++) pipeline.set(`ttl:${i}`, 'v', 'PX', 1500);
  await pipeline.exec();
  await redis.set('forever', 'v');
  assert.equal(await redis.dbsize(), 501);
  await waitFor(async () => (await redis.dbsize()) === 1, 8000, 'active expiry to clear the volatile keys');
  assert.equal(await redis.get('forever'), 'v');
});

test('keys that expire while the server is down are gone after restart', async () => {
  const s = await startServer();
  const redis = s.client();
  const expireAt = Date.now() + 400;
  await redis.set('brief', 'v', 'PXAT', expireAt);
  await redis.set('lasting', 'v', 'EX', 1000);
  await s.kill();
  await waitFor(() => Date.now() > expireAt + 10, 5000, 'the expiry time to pass');
  const again = await startServer({ dir: s.dir });
  const r = again.client();
  assert.equal(await r.dbsize(), 1, 'the expired key was removed at start-up');
  assert.equal(await r.exists('brief'), 0);
  assert.ok((await r.ttl('lasting')) > 990);
  await again.stop();
  cleanup(s.dir);
});

test('TTLs, renames and moves survive a restart', async () => {
  const s = await startServer();
  const redis = s.client();
  await redis.set('a', '1', 'EX', 500);
  await redis.rename('a', 'b');
  await redis.copy('b', 'c', 'DB', 2);
  await redis.set('m', 'moved');
  await redis.move('m', 9);
  await redis.setrange('r', 3, 'xyz');
  await redis.append('r', '!');
  await redis.incrbyfloat('f', '0.1');
  await redis.incrbyfloat('f', '0.2');
  await s.kill();
  const again = await startServer({ dir: s.dir });
  const r = again.client();
  assert.equal(await r.get('a'), null);
  assert.equal(await r.get('b'), '1');
  assert.ok((await r.ttl('b')) > 490);
  assert.equal(await r.get('r'), '\0\0\0xyz!');
  assert.equal(await r.get('f'), '0.3');
  await r.select(2);
  assert.equal(await r.get('c'), '1');
  assert.ok((await r.ttl('c')) > 490);
  await r.select(9);
  assert.equal(await r.get('m'), 'moved');
  await again.stop();
  cleanup(s.dir);
});
