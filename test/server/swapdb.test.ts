/**
 * SWAPDB: the swap survives SIGKILL (replayed from the WAL, and from a
 * snapshot taken after it, whose pages must say where each key lives),
 * WATCH sees it as Redis's tests in unit/multi.tcl do, and a client blocked
 * on a key the swap brings in is served.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, startServer, waitFor } from '../helpers/server.js';

test('SWAPDB is durable: after SIGKILL, from the WAL and from a snapshot taken after the swap', async (t) => {
  const first = await startServer({ args: ['--appendfsync', 'always'] });
  const dir = first.dir;
  t.after(() => cleanup(dir));
  let r = first.client();
  await r.mset('a', '1', 'shared', 'from0');
  await r.hset('h', 'f', 'v0');
  await r.select(1);
  await r.mset('b', '2', 'shared', 'from1');
  await r.rpush('l', 'x', 'y');
  assert.equal(await r.swapdb(0, 1), 'OK');
  // The connection stays on database 1, which now holds database 0's keys.
  assert.equal(await r.get('a'), '1');
  await r.set('after', 'swap');
  await first.kill();

  const second = await startServer({ dir, args: ['--appendfsync', 'always'] });
  r = second.client();
  assert.deepEqual(await r.mget('b', 'shared', 'a'), ['2', 'from1', null]);
  assert.deepEqual(await r.lrange('l', 0, -1), ['x', 'y']);
  await r.select(1);
  assert.deepEqual(await r.mget('a', 'shared', 'after', 'b'), ['1', 'from0', 'swap', null]);
  assert.equal(await r.hget('h', 'f'), 'v0');
  // A snapshot after a swap, then more writes and a swap back, then SIGKILL again.
  await r.select(0);
  await r.swapdb(0, 1);
  await r.save();
  await r.set('late', 'write');
  await r.hset('h', 'g', 'v1');
  await second.kill();

  const third = await startServer({ dir, args: ['--appendfsync', 'always'] });
  t.after(() => third.stop());
  r = third.client();
  assert.deepEqual(await r.mget('a', 'shared', 'after', 'late', 'b'), ['1', 'from0', 'swap', 'write', null]);
  assert.deepEqual(await r.hgetall('h'), { f: 'v0', g: 'v1' });
  await r.select(1);
  assert.deepEqual(await r.mget('b', 'shared', 'a'), ['2', 'from1', null]);
  assert.deepEqual(await r.lrange('l', 0, -1), ['x', 'y']);
  assert.equal(await r.dbsize(), 3);
});

test('SWAPDB touches WATCHed keys as Redis does, stale keys included', async (t) => {
  const srv = await startServer({ args: ['--enable-debug-command', 'yes'] });
  t.after(async () => {
    await srv.stop();
    cleanup(srv.dir);
  });
  const r = srv.client();
  /** WATCH x in `db`, run `between`, then MULTI PING EXEC: null when the transaction was aborted. */
  const watched = async (db: number, between: () => Promise<unknown>): Promise<unknown> => {
    await r.select(db);
    await r.watch('x');
    await between();
    await r.select(db);
    return r.multi().ping().exec();
  };
  const reset = async (): Promise<void> => {
    await r.flushall();
    await r.select(0);
  };

  await reset();
  await r.set('x', '30');
  assert.equal(await watched(0, () => r.swapdb(0, 1)), null, 'a watched key that exists is swapped away');

  await reset();
  await r.select(1);
  await r.set('x', '30');
  assert.equal(await watched(0, () => r.swapdb(0, 1)), null, 'a missing watched key is swapped in');

  await reset();
  await r.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
  await r.select(1);
  await r.set('x', 'foo', 'PX', '1');
  // Any read of x would remove it: wait out its millisecond instead.
  await new Promise((res) => setTimeout(res, 20));
  assert.deepEqual(await watched(1, () => r.swapdb(0, 1)), [[null, 'PONG']], 'an expired key replaced by none');

  await reset();
  await r.set('y', '1');
  await r.select(1);
  await r.set('x', 'foo', 'PX', '1');
  await new Promise((res) => setTimeout(res, 20));
  assert.deepEqual(await watched(0, () => r.swapdb(0, 1)), [[null, 'PONG']], 'no key replaced by an expired one');

  await reset();
  await r.set('x', 'foo', 'PX', '1');
  await r.select(1);
  await r.set('x', 'bar', 'PX', '1');
  await new Promise((res) => setTimeout(res, 20));
  assert.deepEqual(await watched(1, () => r.swapdb(0, 1)), [[null, 'PONG']], 'an expired key by another');
  await r.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
});

test('a client blocked on a key of a swapped database is served when the swap brings the key in', async (t) => {
  const srv = await startServer();
  t.after(async () => {
    await srv.stop();
    cleanup(srv.dir);
  });
  const r = srv.client();
  const blocked = srv.client();
  const popped = blocked.blpop('queue', 0);
  await waitFor(async () => /blocked_clients:1/.test(await r.info('clients')), 5000, 'the client to block');
  await r.select(1);
  await r.rpush('queue', 'job');
  assert.equal(await r.swapdb(0, 1), 'OK');
  assert.deepEqual(await popped, ['queue', 'job']);
  assert.equal(await r.exists('queue'), 0);
  await r.select(0);
  assert.equal(await r.exists('queue'), 0, 'the pop was applied to the database it was served from');
});

test('DEBUG RELOAD after SWAPDB loads from disk what the live server holds', async (t) => {
  const srv = await startServer({ args: ['--enable-debug-command', 'yes'] });
  t.after(async () => {
    await srv.stop();
    cleanup(srv.dir);
  });
  const r = srv.client();
  await r.call('DEBUG', 'POPULATE', '100', 'a');
  await r.select(2);
  await r.call('DEBUG', 'POPULATE', '7', 'b');
  await r.sadd('s', 'x', 'y');
  await r.swapdb(0, 2);
  assert.equal(await r.call('DEBUG', 'RELOAD'), 'OK');
  assert.equal(await r.dbsize(), 100);
  await r.select(0);
  assert.equal(await r.dbsize(), 8);
  assert.deepEqual((await r.smembers('s')).sort(), ['x', 'y']);
  assert.equal(await r.get('b:6'), 'value:6');
});
