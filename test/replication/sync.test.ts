/**
 * Writes that depend on replicas: `min-replicas-to-write` as Redis has it
 * (the same -NOREPLICAS bytes as redis-server), and synchronous replication
 * (`min-replicas-sync`): a write is answered only once a replica has it on
 * disk, its timeout policies refuse or degrade, and a primary SIGKILLed under
 * write load loses no acknowledged write when its most advanced replica is
 * promoted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis } from '../helpers/redis.js';
import { RawClient } from '../helpers/resp.js';
import { cleanup, startServer, waitFor, type ServerHandle } from '../helpers/server.js';
import { info, startReplica } from './helpers.js';

/** Stops the servers (resumed first, if stopped by SIGSTOP) and removes their directories. */
function stopAfter(t: { after: (fn: () => Promise<void>) => void }, servers: ServerHandle[]): void {
  t.after(async () => {
    for (const s of servers) {
      s.proc.kill('SIGCONT');
      await s.stop();
      cleanup(s.dir);
    }
  });
}

test('min-replicas-to-write refuses writes with the bytes redis-server sends', async (t) => {
  const args = ['--min-replicas-to-write', '1', '--min-replicas-max-lag', '10'];
  const fc = await startServer({ args });
  const redis = await startRedis(['--save', '', '--appendonly', 'no', ...args]);
  const [a, b] = await Promise.all([RawClient.connect(fc.port), RawClient.connect(redis.port)]);
  t.after(async () => {
    a.close();
    b.close();
    await Promise.all([fc.stop(), redis.stop()]);
    cleanup(fc.dir);
  });
  for (const cmd of [
    ['SET', 'k', 'v'],
    ['GET', 'k'],
    ['INCR', 'n'],
    ['MULTI'],
    ['SET', 'k', 'v'],
    ['GET', 'k'],
    ['EXEC'],
    ['MULTI'],
    ['GET', 'k'],
    ['EXEC'],
    ['CONFIG', 'SET', 'min-replicas-max-lag', '0'],
    ['SET', 'k', 'v'],
    ['CONFIG', 'SET', 'min-replicas-max-lag', '10'],
    ['SET', 'k', 'w'],
    ['CONFIG', 'SET', 'min-replicas-to-write', '0'],
    ['SET', 'k', 'x'],
    ['GET', 'k'],
  ]) {
    const [ra, rb] = await Promise.all([a.call(...cmd), b.call(...cmd)]);
    assert.equal(ra, rb, cmd.join(' '));
  }
  assert.equal(await a.call('CONFIG', 'SET', 'min-replicas-to-write', '1'), '+OK\r\n');
  const fi = await info(fc.client());
  assert.equal(fi['min_slaves_good_slaves'], '0');
  const replica = await startReplica(fc);
  t.after(async () => {
    await replica.stop();
    cleanup(replica.dir);
  });
  await waitFor(async () => (await info(fc.client()))['min_slaves_good_slaves'] === '1', 10_000, 'a good replica');
  assert.equal(await a.call('SET', 'k', 'y'), '+OK\r\n');
});

test('min-replicas-sync: a write is answered once a replica has it; refuse and degrade on timeout', async (t) => {
  const primary = await startServer({
    args: ['--min-replicas-sync', '1', '--min-replicas-sync-timeout', '300'],
  });
  stopAfter(t, [primary]);
  const p = primary.client();
  await assert.rejects(
    p.set('k', '0'),
    /^ReplyError: NOREPLICAS Fewer than 1 replica\(s\) online for min-replicas-sync\.$/,
  );
  assert.equal(await p.get('k'), null, 'a write refused up front is not applied');

  const replica = await startReplica(primary);
  stopAfter(t, [replica]);
  const r = replica.client();
  // Connected is not yet online for min-replicas-sync: the probe may be refused until the link is up.
  await waitFor(
    async () => (await info(p))['connected_slaves'] === '1' && (await p.set('probe', '1').catch(() => null)) === 'OK',
  );
  // Every acknowledged write is already on the replica: no waiting on the replica's side.
  for (let i = 0; i < 20; i++) {
    assert.equal(await p.set('k', String(i)), 'OK');
    assert.equal(await r.get('k'), String(i));
  }

  // The replica stops acknowledging: the write is refused after the timeout, later replies go.
  replica.proc.kill('SIGSTOP');
  const t0 = Date.now();
  const [[setErr], [, got]] = (await p.pipeline().set('k', 'late').get('k').exec()) as [
    [Error | null, unknown],
    [Error | null, unknown],
  ];
  assert.ok(Date.now() - t0 >= 290, `answered after ${Date.now() - t0} ms`);
  assert.match(
    String(setErr),
    /NOREPLICAS Fewer than 1 replica\(s\) wrote this write to disk within min-replicas-sync-timeout; it is durable on this primary only\./,
  );
  assert.equal(got, 'late', 'the write is durable on the primary');
  await primary.waitForLog((l) => /answering the writes -NOREPLICAS/.test(String(l.msg)));

  // Degrade: the reply is released after the timeout, with a warning, and the next ones do not wait.
  assert.equal(await p.config('SET', 'min-replicas-sync-policy', 'degrade'), 'OK');
  const t1 = Date.now();
  assert.equal(await p.set('d', '1'), 'OK');
  assert.ok(Date.now() - t1 >= 290, `answered after ${Date.now() - t1} ms`);
  await primary.waitForLog((l) => /replies no longer wait for replicas/.test(String(l.msg)));
  const t2 = Date.now();
  for (let i = 0; i < 5; i++) assert.equal(await p.set('d', String(i)), 'OK');
  assert.ok(Date.now() - t2 < 290, `degraded writes took ${Date.now() - t2} ms`);
  replica.proc.kill('SIGCONT');
  await primary.waitForLog((l) => /caught up at LSN \d+: replies wait for min-replicas-sync again/.test(String(l.msg)));
  assert.equal(await p.set('k', 'after'), 'OK');
  assert.equal(await r.get('k'), 'after');
});

test('min-replicas-sync: replies that show no data (PING, INFO, ROLE, PUBLISH, a promotion in MULTI) do not wait for replicas', async (t) => {
  const primary = await startServer({
    args: ['--min-replicas-sync', '1', '--min-replicas-sync-timeout', '60000', '--min-replicas-sync-policy', 'degrade'],
  });
  stopAfter(t, [primary]);
  const replica = await startReplica(primary);
  stopAfter(t, [replica]);
  const p = primary.client();
  await waitFor(async () => (await p.set('k', 'before').catch(() => null)) === 'OK', 10_000, 'a first write');

  // The replica stops acknowledging: a write, and a read on another connection, wait for it.
  replica.proc.kill('SIGSTOP');
  let settled = false;
  const write = p.set('k', 'held').finally(() => (settled = true));
  const reader = primary.client();
  let readSettled = false;
  const read = reader.get('k').finally(() => (readSettled = true));
  const other = await RawClient.connect(primary.port);
  t.after(() => other.close());
  assert.equal(await other.call('PING'), '+PONG\r\n');
  assert.equal(await other.call('ECHO', 'e'), '$1\r\ne\r\n');
  assert.match(String(await other.call('INFO', 'replication')), /role:master/);
  assert.match(String(await other.call('ROLE')), /master/);
  assert.equal(await other.call('PUBLISH', 'ch', 'm'), ':0\r\n');
  assert.equal(await other.call('CLIENT', 'SETNAME', 'sentinel-cmd'), '+OK\r\n');
  assert.equal(await other.call('MULTI'), '+OK\r\n');
  assert.equal(await other.call('CONFIG', 'GET', 'port'), '+QUEUED\r\n');
  assert.equal(await other.call('PING'), '+QUEUED\r\n');
  assert.match(String(await other.call('EXEC')), /^\*2\r\n/);
  assert.equal(settled || readSettled, false, 'the write and the read still wait for the replica');
  replica.proc.kill('SIGCONT');
  assert.equal(await write, 'OK');
  assert.equal(await read, 'held');

  // Sentinel's promotion transaction on a replica whose own replica is stopped: answered at once.
  const sub = await startReplica(replica);
  stopAfter(t, [sub]);
  await waitFor(async () => (await info(replica.client()))['connected_slaves'] === '1', 10_000, 'a sub-replica');
  assert.equal(await replica.client().config('SET', 'min-replicas-sync', '1'), 'OK');
  sub.proc.kill('SIGSTOP');
  const r = await RawClient.connect(replica.port);
  t.after(() => r.close());
  for (const cmd of [
    ['MULTI'],
    ['REPLICAOF', 'NO', 'ONE'],
    ['CONFIG', 'REWRITE'],
    ['CLIENT', 'KILL', 'TYPE', 'normal'],
  ]) {
    await r.call(...cmd);
  }
  assert.match(String(await r.call('EXEC')), /^\*3\r\n\+OK\r\n/);
  assert.equal(await r.call('PING'), '+PONG\r\n');
  sub.proc.kill('SIGCONT');
});

test('min-replicas-sync: a primary SIGKILLed under write load loses no acknowledged write on failover', async (t) => {
  const primary = await startServer({ args: ['--min-replicas-sync', '1'] });
  const replicas = [await startReplica(primary), await startReplica(primary)];
  stopAfter(t, [primary, ...replicas]);
  const p = primary.client();
  await waitFor(async () => (await info(p))['connected_slaves'] === '2', 10_000, 'two replicas');
  await waitFor(async () => (await p.set('probe', '1').catch(() => null)) === 'OK', 10_000, 'a first write');

  const acked: string[] = [];
  let stop = false;
  const writer = async (w: number): Promise<void> => {
    const c = primary.client({ maxRetriesPerRequest: 0 });
    await c.ping();
    for (let i = 0; !stop; i += 8) {
      const pipe = c.pipeline();
      for (let j = 0; j < 8; j++) pipe.set(`w${w}:${i + j}`, String(i + j));
      const res = await pipe.exec().catch(() => null);
      if (res === null) return;
      for (let j = 0; j < 8; j++) if (res[j]![0] === null && res[j]![1] === 'OK') acked.push(`w${w}:${i + j}`);
      if (res.some(([e]) => e !== null)) return;
    }
  };
  const writers = [0, 1, 2, 3].map(writer);
  await waitFor(() => acked.length >= 2000, 30_000, '2000 acknowledged writes');
  await primary.kill();
  stop = true;
  await Promise.all(writers);

  // Promote the most advanced replica, as Sentinel would (highest slave_repl_offset).
  const offsets = await Promise.all(replicas.map(async (r) => Number((await info(r.client()))['slave_repl_offset'])));
  const best = replicas[offsets.indexOf(Math.max(...offsets))]!;
  const b = best.client();
  assert.equal(await b.call('REPLICAOF', 'NO', 'ONE'), 'OK');
  const missing: string[] = [];
  for (let i = 0; i < acked.length; i += 500) {
    const keys = acked.slice(i, i + 500);
    const values = await b.mget(...keys);
    keys.forEach((k, j) => {
      if (values[j] !== k.split(':')[1]) missing.push(k);
    });
  }
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} of ${acked.length} acknowledged writes missing`);
});
