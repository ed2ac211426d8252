/**
 * Replication from an empty start: replicas attach to a fresh primary, then
 * every type of write, in several databases, reaches both and leaves the
 * same keyspace; WAIT counts them; replicas refuse writes with READONLY;
 * ROLE and INFO replication have Redis's shapes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, startServer, waitFor } from '../helpers/server.js';
import { converged, info, keyspaceDump, startReplica, writeMix } from './helpers.js';

test('a primary and two replicas converge on writes of every type in several databases', async (t) => {
  const primary = await startServer();
  t.after(async () => {
    await primary.stop();
    cleanup(primary.dir);
  });
  const p = primary.client();
  const lone = await info(p);
  assert.equal(lone['role'], 'master');
  assert.equal(lone['connected_slaves'], '0');
  assert.match(lone['master_replid']!, /^[0-9a-f]{40}$/);
  assert.equal(lone['master_replid2'], '0'.repeat(40));
  assert.equal(lone['second_repl_offset'], '-1');

  const replicas = [await startReplica(primary), await startReplica(primary)];
  t.after(async () => {
    for (const r of replicas) {
      await r.stop();
      cleanup(r.dir);
    }
  });
  const rs = replicas.map((r) => r.client());
  await writeMix(p, 60);
  for (const r of rs) await converged(p, r);

  const expected = await keyspaceDump(p);
  assert.ok(expected.length > 100, `only ${expected.length} keys written`);
  for (const r of rs) assert.deepEqual(await keyspaceDump(r), expected);

  await p.set('last', '1');
  assert.equal(await p.call('WAIT', '2', '1000'), 2);

  const pi = await info(p);
  assert.equal(pi['connected_slaves'], '2');
  for (let i = 0; i < 2; i++) {
    assert.match(pi[`slave${i}`]!, /^ip=127\.0\.0\.1,port=\d+,state=online,offset=\d+,lag=\d+$/);
  }
  const ports = [pi['slave0'], pi['slave1']].map((s) => Number(/port=(\d+)/.exec(s!)![1])).sort();
  assert.deepEqual(ports, replicas.map((r) => r.port).sort());

  const ri = await info(rs[0]!);
  assert.equal(ri['role'], 'slave');
  assert.equal(ri['master_port'], String(primary.port));
  assert.equal(ri['master_link_status'], 'up');
  assert.equal(ri['master_replid'], pi['master_replid']);
  assert.equal(ri['slave_read_only'], '1');
  const names = Object.keys(ri);
  assert.deepEqual(names.slice(0, 11), [
    'role',
    'master_host',
    'master_port',
    'master_link_status',
    'master_last_io_seconds_ago',
    'master_sync_in_progress',
    'slave_read_repl_offset',
    'slave_repl_offset',
    'slave_priority',
    'slave_read_only',
    'replica_announced',
  ]);

  await assert.rejects(rs[0]!.set('x', '1'), /^ReplyError: READONLY You can't write against a read only replica\.$/);
  assert.equal(await rs[0]!.get('last'), '1');
  const role = (await rs[1]!.call('ROLE')) as unknown[];
  assert.deepEqual(role.slice(0, 4), ['slave', '127.0.0.1', primary.port, 'connected']);
  const prole = (await p.call('ROLE')) as [string, number, string[][]];
  assert.equal(prole[0], 'master');
  assert.equal(prole[2].length, 2);
  assert.equal(
    await rs[0]!.call('REPLICAOF', '127.0.0.1', String(primary.port)),
    'OK Already connected to specified master',
  );

  // A key that expires on the primary goes away on the replica only through the primary's DEL.
  await p.set('short', 'v', 'PX', 200);
  await waitFor(async () => (await rs[0]!.exists('short')) === 0, 5000, 'the expired key to read as missing');
  await waitFor(async () => (await p.exists('short')) === 0, 5000, 'the key to expire on the primary');
  await converged(p, rs[0]!);
  assert.deepEqual(await keyspaceDump(rs[0]!), await keyspaceDump(p));
});

test('PSYNC and SYNC without the FlashCache capability are refused with what is unsupported', async (t) => {
  const primary = await startServer();
  t.after(async () => {
    await primary.stop();
    cleanup(primary.dir);
  });
  const c = primary.client();
  await assert.rejects(c.call('PSYNC', '?', '-1'), /PSYNC is not supported: FlashCache replicates WAL records/);
  await assert.rejects(c.call('SYNC'), /SYNC is not supported/);
  assert.equal(await c.call('REPLCONF', 'listening-port', '1234'), 'OK');
  await assert.rejects(c.call('REPLCONF', 'bogus', 'x'), /Unrecognized REPLCONF option: bogus/);
});

test("a client blocked on a replica (XREAD BLOCK) is served by the primary's writes; BLPOP there is refused", async (t) => {
  const primary = await startServer();
  const replica = await startReplica(primary);
  t.after(async () => {
    for (const s of [replica, primary]) {
      await s.stop();
      cleanup(s.dir);
    }
  });
  const p = primary.client();
  const r = replica.client();
  const reader = replica.client();
  await waitFor(async () => (await info(p))['connected_slaves'] === '1');
  await p.xadd('s', '1-1', 'f', 'old');
  await converged(p, r);
  await assert.rejects(r.blpop('l', 0), /^ReplyError: READONLY You can't write against a read only replica\.$/);
  const read = reader.call('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$');
  await waitFor(async () => /blocked_clients:1/.test(await r.info('clients')));
  await p.xadd('s', '2-1', 'f', 'new');
  // RESP3 (ioredis's default here): XREAD's map, flattened by ioredis.
  assert.deepEqual(await read, ['s', [['2-1', ['f', 'new']]]]);
});
