/**
 * Resynchronisation: a replica SIGKILLed under write load restarts from its
 * own disk and continues by partial sync (no snapshot sent); one that joins
 * after the primary deleted the segments it would need gets the snapshot and
 * the WAL after it; a replica killed while a snapshot is on its way keeps
 * the data it had.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, startServer, type ServerHandle } from '../helpers/server.js';
import { converged, info, keyspaceDump, startReplica, writeMix } from './helpers.js';

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

test('a replica SIGKILLed under write load resumes by partial sync and converges', async (t) => {
  const primary = await startServer();
  let replica: ServerHandle | null = await startReplica(primary);
  stopAfter(
    t,
    () => replica,
    () => primary,
  );
  const p = primary.client();
  await writeMix(p, 20);
  await converged(p, replica.client());
  const before = await info(p, 'stats');
  assert.equal(before['sync_full'], '1');

  // Writes keep coming while the replica dies and comes back.
  let writing = true;
  const load = (async () => {
    let round = 0;
    while (writing) await writeMix(p, 3, `load${round++}`);
  })();
  await new Promise((r) => setTimeout(r, 150));
  const dir = replica.dir;
  await replica.kill();
  await new Promise((r) => setTimeout(r, 150));
  replica = await startReplica(primary, { dir });
  await new Promise((r) => setTimeout(r, 150));
  writing = false;
  await load;
  const r = replica.client();
  await converged(p, r);
  const after = await info(p, 'stats');
  assert.equal(after['sync_full'], '1', 'no second full sync');
  assert.equal(after['sync_partial_ok'], '1');
  await replica.waitForLog((l) => String(l.msg).startsWith('partial sync from LSN'), 5000);
  assert.deepEqual(await keyspaceDump(r), await keyspaceDump(p));
});

test('a replica joining after old segments were deleted gets the snapshot, then the WAL after it', async (t) => {
  const primary = await startServer({ args: ['--wal-segment-size', '16kb'] });
  let replica: ServerHandle | null = null;
  stopAfter(
    t,
    () => replica,
    () => primary,
  );
  const p = primary.client();
  await writeMix(p, 80);
  await p.call('SAVE');
  await writeMix(p, 20, 'more');
  await p.call('SAVE');
  const pi = await info(p);
  assert.ok(Number(pi['repl_backlog_first_byte_offset']) > 1, 'segments from LSN 1 were deleted');

  replica = await startReplica(primary);
  const r = replica.client();
  await writeMix(p, 10, 'live');
  await converged(p, r);
  const stats = await info(p, 'stats');
  assert.equal(stats['sync_full'], '1');
  await replica.waitForLog((l) => /^full sync: loaded [1-9]\d* pages/.test(String(l.msg)), 5000);
  assert.deepEqual(await keyspaceDump(r), await keyspaceDump(p));

  // The replica restarts from its own disk (the snapshot it took of what it received, then its WAL).
  const dir = replica.dir;
  await replica.kill();
  replica = await startReplica(primary, { dir });
  await writeMix(p, 5, 'again');
  const r2 = replica.client();
  await converged(p, r2);
  assert.equal((await info(p, 'stats'))['sync_partial_ok'], '1');
  assert.deepEqual(await keyspaceDump(r2), await keyspaceDump(p));
});

test('a replica killed while the snapshot is on its way keeps the data it had', async (t) => {
  const primary = await startServer();
  let replica: ServerHandle | null = await startServer();
  stopAfter(
    t,
    () => replica,
    () => primary,
  );
  const own = replica.client();
  await own.set('mine', 'before');
  const p = primary.client();
  const big = 'x'.repeat(512 * 1024);
  for (let i = 0; i < 48; i++) await p.set(`big${i}`, big);
  await p.call('SAVE');
  const dir = replica.dir;
  await replica.stop();
  replica = await startReplica(primary, { dir });
  await primary.waitForLog((l) => String(l.msg).startsWith('full sync of replica'));
  await replica.kill();
  replica = await startServer({ dir });
  const r = replica.client();
  const mine = await r.get('mine');
  const bigs = await r.dbsize();
  const outcome = mine === 'before' ? 'old data kept' : bigs === 0 ? 'empty start' : 'new snapshot';
  t.diagnostic(`killed during the full sync: ${outcome}`);
  // The old data untouched, an empty start (killed while the new data was being installed), or the whole snapshot.
  if (outcome === 'old data kept') assert.equal(bigs, 1);
  else if (outcome === 'new snapshot') assert.equal(bigs, 48);
  else assert.equal(mine, null);
});

test('a replica down past repl-backlog-size gets a full sync and converges', async (t) => {
  const primary = await startServer({ args: ['--wal-segment-size', '16kb', '--repl-backlog-size', '16kb'] });
  let replica: ServerHandle | null = await startReplica(primary);
  stopAfter(
    t,
    () => replica,
    () => primary,
  );
  const p = primary.client();
  await writeMix(p, 10);
  await converged(p, replica.client());
  const dir = replica.dir;
  await replica.kill();
  await writeMix(p, 300, 'while-down');
  await p.call('SAVE');
  await writeMix(p, 10, 'after');
  await p.call('SAVE');
  replica = await startReplica(primary, { dir });
  const r = replica.client();
  await converged(p, r);
  const stats = await info(p, 'stats');
  assert.equal(stats['sync_full'], '2');
  assert.equal(stats['sync_partial_ok'], '0');
  assert.deepEqual(await keyspaceDump(r), await keyspaceDump(p));
});
