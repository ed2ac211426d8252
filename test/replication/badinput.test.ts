/**
 * Bad input on a replication link: a stream cut in the middle of a record
 * (a TCP proxy between replica and primary drops the connection after a
 * chosen number of bytes), and histories that forked (a replica promoted and
 * written to, then pointed back at its old primary; an old primary that
 * wrote past the fork rejoining the promoted replica).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { cleanup, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';
import { converged, info, keyspaceDump, startReplica, writeMix } from './helpers.js';

/** A TCP proxy to `port` that can refuse connections and cut the stream to its clients. */
interface Proxy {
  port: number;
  /** While false, new connections are closed at once. */
  accepting: boolean;
  /** Forwards `n` more bytes from the upstream server, then closes both sides of every connection. */
  cutAfter(n: number): void;
  close(): Promise<void>;
}

async function startProxy(port: number): Promise<Proxy> {
  const sockets = new Set<Socket>();
  let budget = -1;
  const cutAll = (): void => {
    for (const s of sockets) s.destroy();
  };
  const server: Server = createServer((down) => {
    if (!proxy.accepting) {
      down.destroy();
      return;
    }
    const up = connect({ host: '127.0.0.1', port });
    sockets.add(down).add(up);
    for (const s of [up, down]) {
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        up.destroy();
        down.destroy();
      });
    }
    down.on('data', (d: Buffer) => up.write(d));
    up.on('data', (d: Buffer) => {
      if (budget < 0) {
        down.write(d);
        return;
      }
      const part = d.subarray(0, budget);
      budget -= part.length;
      if (budget > 0) {
        down.write(part);
        return;
      }
      budget = -1;
      down.write(part, cutAll);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: Proxy = {
    port: (server.address() as { port: number }).port,
    accepting: true,
    cutAfter(n) {
      budget = n;
    },
    close: () =>
      new Promise((resolve) => {
        cutAll();
        server.close(() => resolve());
      }),
  };
  return proxy;
}

/** Stops the servers and removes their directories after the test. */
function stopAfter(t: { after: (fn: () => Promise<void>) => void }, ...handles: (() => ServerHandle | null)[]): void {
  t.after(async () => {
    for (const h of handles) {
      const s = h();
      if (s === null) continue;
      await s.stop();
      cleanup(s.dir);
    }
  });
}

test('a stream cut mid-record: nothing of it applied, the replica resumes by partial sync', async (t) => {
  const t0 = Date.now();
  const primary = await startServer();
  const proxy = await startProxy(primary.port);
  const replica = await startServer({ args: ['--replicaof', `127.0.0.1 ${proxy.port}`] });
  stopAfter(
    t,
    () => replica,
    () => primary,
  );
  t.after(() => proxy.close());
  const p = primary.client();
  const r = replica.client();
  await writeMix(p, 10);
  await converged(p, r);

  // Cut inside the 28-byte record header, then inside the payload of a 200 kB record.
  for (const [i, cut] of [10, 5000].entries()) {
    const before = Number((await info(r))['slave_repl_offset']);
    proxy.accepting = false;
    proxy.cutAfter(cut);
    await p.set(`big${i}`, 'x'.repeat(200_000));
    const line = await replica.waitForLog((l) => String(l.msg).includes('link lost in the middle of the record'));
    replica.logs.splice(replica.logs.indexOf(line), 1);
    assert.match(
      String(line.msg),
      new RegExp(
        `^replication link down: link lost in the middle of the record after LSN ${before} ` +
          `\\(${cut} of ${cut < 28 ? '\\?' : '200\\d\\d\\d'} bytes received; not applied\\): ` +
          'connection closed by the primary$',
      ),
    );
    const down = await info(r);
    assert.equal(down['master_link_status'], 'down');
    assert.equal(down['slave_repl_offset'], String(before));
    assert.equal(await r.exists(`big${i}`), 0);
    proxy.accepting = true;
    await converged(p, r);
    assert.equal(await r.strlen(`big${i}`), 200_000);
  }
  await writeMix(p, 5, 'after');
  await converged(p, r);
  const stats = await info(p, 'stats');
  assert.equal(stats['sync_full'], '1');
  assert.equal(stats['sync_partial_ok'], '2');
  assert.equal(replica.logs.filter((l) => String(l.msg).startsWith('partial sync from LSN')).length, 2);
  assert.deepEqual(await keyspaceDump(r), await keyspaceDump(p));
  t.diagnostic(`${Date.now() - t0} ms`);
});

test('a replica promoted and written to, pointed back at its old primary, is fully resynced', async (t) => {
  const t0 = Date.now();
  const primary = await startServer();
  const replica = await startReplica(primary);
  stopAfter(
    t,
    () => replica,
    () => primary,
  );
  const p = primary.client();
  const r = replica.client();
  await writeMix(p, 10);
  await converged(p, r);
  const oldId = (await info(p))['master_replid']!;
  const errs = Number((await info(p, 'stats'))['sync_partial_err']);

  // The replica forks: a new history, its own writes past the fork point.
  assert.equal(await r.call('REPLICAOF', 'NO', 'ONE'), 'OK');
  const forked = await info(r);
  assert.equal(forked['master_replid2'], oldId);
  assert.notEqual(forked['master_replid'], oldId);
  const forkLsn = Number(forked['master_repl_offset']);
  assert.equal(forked['second_repl_offset'], String(forkLsn + 1));
  await r.set('only-on-the-fork', '1');
  await r.del('k:s:0');
  await writeMix(p, 3, 'primary-after');

  // The primary does not know the replica's history: a full sync, the fork's writes gone.
  await r.call('REPLICAOF', '127.0.0.1', String(primary.port));
  await converged(p, r);
  await replica.waitForLog((l) => /^full sync: loaded \d+ pages/.test(String(l.msg)), 5000);
  const stats = await info(p, 'stats');
  assert.equal(stats['sync_full'], '2');
  assert.equal(stats['sync_partial_err'], String(errs + 1));
  const ri = await info(r);
  assert.equal(ri['master_replid'], oldId);
  assert.equal(ri['master_replid2'], '0'.repeat(40));
  assert.equal(await r.exists('only-on-the-fork'), 0);
  assert.deepEqual(await keyspaceDump(r), await keyspaceDump(p));
  t.diagnostic(`${Date.now() - t0} ms`);
});

test('an old primary rejoining its promoted replica: partial sync at the fork, full sync past it', async (t) => {
  const t0 = Date.now();
  const a = await startServer();
  const b = await startReplica(a);
  const c = await startReplica(a);
  stopAfter(
    t,
    () => b,
    () => c,
    () => a,
  );
  const [ca, cb, cc] = [a.client(), b.client(), c.client()];
  await writeMix(ca, 10);
  await converged(ca, cb);
  await converged(ca, cc);
  const oldId = (await info(ca))['master_replid']!;

  // B is promoted; C follows it from the fork point (partial sync, adopting B's history).
  await cb.call('REPLICAOF', 'NO', 'ONE');
  const newId = (await info(cb))['master_replid']!;
  await cc.call('REPLICAOF', '127.0.0.1', String(b.port));
  await converged(cb, cc);
  assert.equal((await info(cb, 'stats'))['sync_partial_ok'], '1');
  const ci = await info(cc);
  assert.equal(ci['master_replid'], newId);
  assert.equal(ci['master_replid2'], oldId);

  // A, still a primary, writes past the fork; B writes too. A rejoins B: its records past the fork are unknown to B.
  await writeMix(ca, 3, 'a-after-fork');
  await writeMix(cb, 3, 'b-after-fork');
  await ca.call('REPLICAOF', '127.0.0.1', String(b.port));
  await converged(cb, ca);
  await a.waitForLog((l) => /^full sync: loaded \d+ pages/.test(String(l.msg)), 5000);
  const bs = await info(cb, 'stats');
  assert.equal(bs['sync_full'], '1');
  assert.equal(bs['sync_partial_err'], '1');
  assert.equal(bs['sync_partial_ok'], '1');
  assert.equal(await ca.exists('a-after-fork:s:0'), 0);
  const expected = await keyspaceDump(cb);
  assert.deepEqual(await keyspaceDump(ca), expected);
  assert.deepEqual(await keyspaceDump(cc), expected);
  t.diagnostic(`${Date.now() - t0} ms`);
});

test('a replica of a replica receives the primary records through it', async (t) => {
  const t0 = Date.now();
  const a = await startServer();
  let b: ServerHandle | null = await startReplica(a);
  const c = await startReplica(b);
  stopAfter(
    t,
    () => c,
    () => b,
    () => a,
  );
  const ca = a.client();
  const cc = c.client();
  await writeMix(ca, 20);
  await converged(ca, b.client());
  await converged(ca, cc);
  assert.deepEqual(await keyspaceDump(cc), await keyspaceDump(ca));
  const ci = await info(cc);
  assert.equal(ci['master_port'], String(b.port));
  assert.equal(ci['master_replid'], (await info(ca))['master_replid']);
  assert.equal((await info(ca))['connected_slaves'], '1');
  assert.equal((await info(b.client()))['connected_slaves'], '1');
  await assert.rejects(cc.set('x', '1'), /READONLY/);

  // The middle replica restarts under write load: the chain resumes.
  const { dir, port } = b;
  await b.kill();
  await writeMix(ca, 5, 'while-b-down');
  await waitFor(async () => (await info(cc))['master_link_status'] === 'down', 5000, 'the link to B to drop');
  b = await startReplica(a, { dir, args: ['--port', String(port)] });
  await writeMix(ca, 5, 'after');
  await converged(ca, b.client());
  await converged(ca, cc);
  assert.deepEqual(await keyspaceDump(cc), await keyspaceDump(ca));
  const bs = await info(b.client(), 'stats');
  t.diagnostic(`${Date.now() - t0} ms; B fed C by ${bs['sync_full']} full and ${bs['sync_partial_ok']} partial syncs`);

  // B promoted: C is dropped (its history id is stale) and continues from B by partial sync under B's new history.
  const cb = b.client();
  await cb.call('REPLICAOF', 'NO', 'ONE');
  await b.waitForLog((l) => String(l.msg).startsWith('dropping the replicas of this server'));
  await writeMix(cb, 5, 'b-promoted');
  await converged(cb, cc);
  const promoted = await info(cb, 'stats');
  assert.equal(promoted['sync_full'], bs['sync_full']);
  assert.equal(promoted['sync_partial_ok'], String(Number(bs['sync_partial_ok']) + 1));
  assert.equal((await info(cc))['master_replid'], (await info(cb))['master_replid']);
  assert.deepEqual(await keyspaceDump(cc), await keyspaceDump(cb));
});

test('a replica of a server that takes another history is dropped and resyncs', async (t) => {
  const t0 = Date.now();
  const a = await startServer();
  const b = await startServer();
  const c = await startReplica(b);
  stopAfter(
    t,
    () => c,
    () => b,
    () => a,
  );
  const [ca, cb, cc] = [a.client(), b.client(), c.client()];
  // B's own history runs further than A's: C, fed by B, is past every LSN A has.
  await writeMix(ca, 5, 'a');
  await writeMix(cb, 20, 'b');
  await converged(cb, cc);
  const bNext = Number((await info(cb))['master_repl_offset']);

  await cb.call('REPLICAOF', '127.0.0.1', String(a.port));
  await converged(ca, cb);
  await b.waitForLog((l) => String(l.msg).startsWith('dropping the replicas of this server'));
  // A's records reach the LSNs C had from B: C must not take them on top of B's old data.
  while (Number((await info(ca))['master_repl_offset']) <= bNext + 5) await writeMix(ca, 5, 'more');
  await converged(ca, cb);
  await converged(ca, cc);
  assert.equal(await cc.exists('b:s:0'), 0);
  assert.deepEqual(await keyspaceDump(cc), await keyspaceDump(ca));
  t.diagnostic(`${Date.now() - t0} ms`);
});

test('a primary restored with fewer records than its replica, then written to: the replica gets a full sync', async (t) => {
  const t0 = Date.now();
  const backup = tempDir();
  let a = await startServer();
  const { port, dir } = a;
  const args = ['--port', String(port)];
  let r: ServerHandle | null = await startReplica(a);
  stopAfter(
    t,
    () => r,
    () => a,
  );
  t.after(() => cleanup(backup));
  await writeMix(a.client(), 10);
  await converged(a.client(), r.client());
  const firstId = (await info(a.client()))['master_replid']!;

  // A restart keeps the replica on a partial sync (the old history is the previous one up to the restart's LSN).
  await a.stop();
  cpSync(dir, backup, { recursive: true });
  a = await startServer({ dir, args });
  let ai = await info(a.client());
  assert.notEqual(ai['master_replid'], firstId);
  assert.equal(ai['master_replid2'], firstId);
  assert.equal(ai['second_repl_offset'], String(Number(ai['master_repl_offset']) + 1));
  await writeMix(a.client(), 10, 'lost');
  await converged(a.client(), r.client());
  let stats = await info(a.client(), 'stats');
  assert.deepEqual([stats['sync_full'], stats['sync_partial_ok']], ['0', '1']);
  const replicaLsn = Number((await info(r.client()))['slave_repl_offset']);

  // The primary comes back from the older copy and writes past the LSNs the replica already has.
  const rdir = r.dir;
  await r.stop();
  r = null;
  await a.stop();
  cleanup(dir);
  cpSync(backup, dir, { recursive: true });
  a = await startServer({ dir, args });
  ai = await info(a.client());
  assert.equal(ai['master_replid2'], firstId);
  while (Number((await info(a.client()))['master_repl_offset']) <= replicaLsn + 5) await writeMix(a.client(), 5, 'new');
  r = await startReplica(a, { dir: rdir });
  await converged(a.client(), r.client());
  stats = await info(a.client(), 'stats');
  assert.deepEqual([stats['sync_full'], stats['sync_partial_ok']], ['1', '0']);
  assert.equal(await r.client().exists('lost:s:0'), 0);
  assert.deepEqual(await keyspaceDump(r.client()), await keyspaceDump(a.client()));
  t.diagnostic(`${Date.now() - t0} ms`);
});
