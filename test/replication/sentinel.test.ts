/**
 * Failover by real Redis Sentinel (issue 16, "Done when"): three Sentinels
 * monitor a FlashCache primary and two replicas; the primary is SIGKILLed
 * while an ioredis client in Sentinel mode writes; Sentinel promotes a
 * replica, the client and the other replica follow it, and the restarted old
 * primary becomes a replica (+convert-to-slave) with the same keyspace. The
 * drill itself is ./drill.ts; bench/failover.ts runs it on redis-server too.
 * Sentinel's own timers make it take about half a minute.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDrill } from './drill.js';

test('Sentinel fails a FlashCache primary over under min-replicas-sync 2: ioredis, the other replica and the old primary follow, and no acknowledged write is lost', async () => {
  const r = await runDrill('flashcache', (line) => console.log(line), { sync: true });
  console.log(JSON.stringify({ ...r, events: undefined, logs: undefined }));
  // What the processes logged, printed when a check below is going to fail.
  if (!(r.lostSets === 0 && r.lostIncrs === 0 && r.failoverMs < 15_000 && r.keys >= r.ackedSets)) {
    for (const line of [...r.events, ...r.logs]) console.log(line);
  }
  assert.ok(r.events.some((e) => e.startsWith('+switch-master m 127.0.0.1 ')));
  assert.ok(r.events.some((e) => e.startsWith('+convert-to-slave slave ')));
  assert.ok(r.ackedSets > 300 && r.keys >= r.ackedSets);
  // The first write on the new primary waits min-replicas-sync-timeout (5 s) before it degrades.
  assert.ok(r.failoverMs < 15_000, `first write ${r.failoverMs} ms after the kill`);
  // Every acknowledged write was on both replicas' disks, so on whichever Sentinel promotes.
  assert.equal(r.lostSets, 0, `${r.lostSets} of ${r.ackedSets} acknowledged SETs lost`);
  assert.equal(r.lostIncrs, 0, `${r.lostIncrs} of ${r.ackedIncrs} acknowledged INCRs lost`);
});
