/**
 * Failover time and acknowledged writes lost, FlashCache against
 * redis-server in the same run: the Sentinel drill of
 * test/replication/drill.ts (three Redis 7.0.15 Sentinels, down-after 1000 ms,
 * failover-timeout 6000 ms; a primary and two replicas, `appendfsync always`
 * on all, redis-server with `appendonly yes`; an ioredis client in Sentinel
 * mode writing SET and INCR one at a time; SIGKILL of the primary).
 *
 *   node dist/bench/failover.js --runs 3
 *
 * Prints, per run and target: ms from SIGKILL to the client's first write
 * acknowledged by the new primary, ms to +switch-master, acknowledged writes
 * and how many of them are gone after the failover.
 */
import { Command } from 'commander';
import { runDrill, type DrillKind, type DrillResult } from '../test/replication/drill.js';

const o = new Command('bench-failover')
  .option('--runs <n>', 'drills per target', '1')
  .option('--targets <list>', 'flashcache,redis', 'flashcache,redis')
  .parse()
  .opts<Record<string, string>>();

const rows: DrillResult[] = [];
for (let i = 0; i < Number(o['runs']); i++) {
  for (const kind of o['targets']!.split(',') as DrillKind[]) {
    const r = await runDrill(kind, (line) => console.error(line));
    rows.push(r);
  }
}
console.log(
  '| target | first write after kill (ms) | +switch-master (ms) | acked SETs | lost SETs | acked INCRs | lost INCRs |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.kind} | ${r.failoverMs} | ${r.switchMs} | ${r.ackedSets} | ${r.lostSets} | ${r.ackedIncrs} | ${r.lostIncrs} |`,
  );
}
