/**
 * WAIT and WAITAOF: they count the replicas that acknowledged the calling
 * client's own last write (applied for WAIT, on disk for WAITAOF), block up
 * to their timeout, answer at once inside MULTI, and are refused on a
 * replica with Redis's words.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, startRedis } from '../helpers/redis.js';
import { RawClient } from '../helpers/resp.js';
import { cleanup, startServer } from '../helpers/server.js';
import { converged, startReplica } from './helpers.js';

test('WAIT and WAITAOF count the replicas that acknowledged the caller’s last write', async (t) => {
  const primary = await startServer();
  const replica = await startReplica(primary);
  t.after(async () => {
    replica.proc.kill('SIGCONT');
    for (const s of [replica, primary]) {
      await s.stop();
      cleanup(s.dir);
    }
  });
  const writer = primary.client();
  const reader = primary.client();
  await writer.set('a', '1');
  await converged(writer, replica.client());
  assert.equal(await writer.call('WAIT', '1', '0'), 1);
  assert.deepEqual(await writer.call('WAITAOF', '1', '1', '0'), [1, 1]);

  // The replica stops acknowledging: the writer's next write is on no replica.
  replica.proc.kill('SIGSTOP');
  await writer.set('b', '2');
  const t0 = Date.now();
  assert.equal(await writer.call('WAIT', '1', '300'), 0);
  assert.ok(Date.now() - t0 >= 290, `WAIT returned after ${Date.now() - t0} ms`);
  assert.deepEqual(await writer.call('WAITAOF', '1', '1', '200'), [1, 0]);
  // A client whose last write the replica has (none) is answered at once.
  assert.equal(await reader.call('WAIT', '1', '0'), 1);
  assert.deepEqual(await reader.call('WAITAOF', '0', '1', '0'), [1, 1]);
  // Inside MULTI, at once, whatever the count (replication.c waitCommand).
  const tx = await writer.multi().call('WAIT', '1', '0').call('WAITAOF', '0', '1', '0').exec();
  assert.deepEqual(
    tx!.map(([, v]) => v),
    [0, [1, 0]],
  );

  // A WAIT with no timeout blocks until the replica is back and acknowledges.
  const pending = writer.call('WAIT', '1', '0');
  let answered = false;
  void pending.then(() => (answered = true));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(answered, false, 'WAIT 1 0 answered while the replica was stopped');
  replica.proc.kill('SIGCONT');
  assert.equal(await pending, 1);
  assert.deepEqual(await writer.call('WAITAOF', '1', '1', '0'), [1, 1]);
});

test('WAIT and WAITAOF on a replica are refused as Redis refuses them', async (t) => {
  const closed = await freePort();
  const fc = await startServer({ args: ['--replicaof', `127.0.0.1 ${closed}`] });
  const redis = await startRedis(['--save', '', '--appendonly', 'no', '--replicaof', '127.0.0.1', String(closed)]);
  const [a, b] = await Promise.all([RawClient.connect(fc.port), RawClient.connect(redis.port)]);
  t.after(async () => {
    a.close();
    b.close();
    await Promise.all([fc.stop(), redis.stop()]);
    cleanup(fc.dir);
  });
  for (const args of [
    ['WAIT', '0', '0'],
    ['WAIT', 'x', '0'],
  ]) {
    const [ra, rb] = await Promise.all([a.call(...args), b.call(...args)]);
    assert.equal(ra, rb, args.join(' '));
  }
  assert.equal(
    await a.call('WAITAOF', '0', '0', '0'),
    '-ERR WAITAOF cannot be used with replica instances. Please also note that writes to replicas are just local ' +
      'and are not propagated.\r\n',
  );
});
