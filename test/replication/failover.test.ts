/**
 * Promotion and bad input: REPLICAOF NO ONE starts a new history whose
 * previous id lets the other replica continue by partial sync; REPLICAOF to
 * the server itself, to a closed port, to a real redis-server and with a
 * wrong masterauth each leave the link down with a clear log line and INFO
 * state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, startRedis } from '../helpers/redis.js';
import { cleanup, startServer, waitFor, type ServerHandle } from '../helpers/server.js';
import { converged, info, keyspaceDump, startReplica, writeMix } from './helpers.js';

test('after REPLICAOF NO ONE the other replica continues from the promoted one by partial sync', async (t) => {
  const primary = await startServer();
  const a = await startReplica(primary);
  const b = await startReplica(primary);
  t.after(async () => {
    for (const s of [a, b, primary]) {
      await s.stop();
      cleanup(s.dir);
    }
  });
  const p = primary.client();
  await writeMix(p, 20);
  const [ca, cb] = [a.client(), b.client()];
  await converged(p, ca);
  await converged(p, cb);
  const oldId = (await info(p))['master_replid']!;
  await primary.stop();

  assert.equal(await ca.call('REPLICAOF', 'NO', 'ONE'), 'OK');
  const ai = await info(ca);
  assert.equal(ai['role'], 'master');
  assert.equal(ai['master_replid2'], oldId);
  assert.notEqual(ai['master_replid'], oldId);
  assert.equal(ai['second_repl_offset'], String(Number(ai['master_repl_offset']) + 1));
  await ca.set('after-promotion', '1');

  assert.equal(await cb.call('REPLICAOF', '127.0.0.1', String(a.port)), 'OK');
  await converged(ca, cb);
  const stats = await info(ca, 'stats');
  assert.equal(stats['sync_partial_ok'], '1');
  assert.equal(stats['sync_full'], '0');
  assert.equal((await info(cb))['master_replid'], ai['master_replid']);
  await writeMix(ca, 5, 'new');
  await converged(ca, cb);
  assert.deepEqual(await keyspaceDump(cb), await keyspaceDump(ca));
});

/** Waits for a log line of `s` about the link going down whose reason matches `re`. */
function linkDown(s: ServerHandle, re: RegExp): Promise<unknown> {
  return s.waitForLog((l) => String(l.msg).startsWith('replication link down') && re.test(String(l.reason)));
}

test('REPLICAOF itself, a closed port, a redis-server or a wrong password: link down, said why', async (t) => {
  const fc = await startServer({ args: ['--requirepass', 'secret'] });
  const redis = await startRedis();
  const r = await startServer();
  t.after(async () => {
    await redis.stop();
    for (const s of [fc, r]) {
      await s.stop();
      cleanup(s.dir);
    }
  });
  const c = r.client();
  const down = async (): Promise<void> => {
    const i = await info(c);
    assert.equal(i['role'], 'slave');
    assert.equal(i['master_link_status'], 'down');
    assert.ok('master_link_down_since_seconds' in i);
  };

  await c.call('REPLICAOF', '127.0.0.1', String(r.port));
  await linkDown(r, /is this server itself/);
  await down();

  const closed = await freePort();
  await c.call('REPLICAOF', '127.0.0.1', String(closed));
  await linkDown(r, /ECONNREFUSED/);
  await down();

  await c.call('REPLICAOF', '127.0.0.1', String(redis.port));
  await linkDown(r, /it is a Redis server/);
  await down();

  await c.config('SET', 'masterauth', 'wrong');
  await c.call('REPLICAOF', '127.0.0.1', String(fc.port));
  await linkDown(r, /unable to AUTH to the primary/);
  await down();

  await c.config('SET', 'masterauth', 'secret');
  await waitFor(async () => (await info(c))['master_link_status'] === 'up', 10_000, 'the link to come up');
  assert.equal(await c.dbsize(), 0);
});
