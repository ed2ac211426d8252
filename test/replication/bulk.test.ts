/**
 * A primary and two replicas under 100k pipelined writes of every type
 * over all 16 databases: both replicas end with the primary's keyspace
 * (SCAN, TYPE and typed reads, expiry times, in every database), and WAIT
 * counts both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, startServer } from '../helpers/server.js';
import { converged, info, keyspaceDump, startReplica, writeHeavy } from './helpers.js';

test('after 100k writes of every type in all 16 databases both replicas have the primary keyspace', async (t) => {
  const primary = await startServer();
  const replicas = [await startReplica(primary), await startReplica(primary)];
  t.after(async () => {
    for (const s of [...replicas, primary]) {
      await s.stop();
      cleanup(s.dir);
    }
  });
  const p = primary.client();
  const rs = replicas.map((r) => r.client());
  for (const r of rs) await converged(p, r);

  const t0 = Date.now();
  const writes = await writeHeavy(p, 100_000);
  const tWrite = Date.now() - t0;
  assert.ok(writes >= 100_000);
  for (const r of rs) await converged(p, r, 30_000);
  const tConverge = Date.now() - t0;
  await p.set('last', '1');
  assert.equal(await p.call('WAIT', '2', '1000'), 2);

  const t1 = Date.now();
  const expected = await keyspaceDump(p);
  const dbs = new Set(expected.map((l) => l.split(' ')[0]));
  assert.equal(dbs.size, 16, `keys in ${dbs.size} databases`);
  const types = new Set(expected.map((l) => l.split(' ')[2]));
  assert.deepEqual([...types].sort(), ['hash', 'list', 'set', 'string', 'zset']);
  assert.ok(
    expected.some((l) => !l.endsWith(' -1')),
    'some keys have a TTL',
  );
  for (const r of rs) assert.deepEqual(await keyspaceDump(r), expected);
  const tCompare = Date.now() - t1;
  const pi = await info(p);
  t.diagnostic(
    `${writes} writes (${pi['master_repl_offset']} records) in ${tWrite} ms; replicas caught up at ${tConverge} ms; ` +
      `${expected.length} keys compared on 3 servers in ${tCompare} ms`,
  );
});
