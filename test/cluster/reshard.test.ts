/**
 * Growing and shrinking a cluster with `redis-cli --cluster` while an
 * ioredis `Cluster` client keeps writing and reading: `add-node` of an
 * empty primary, `reshard` of 1000 slots to it (SETSLOT IMPORTING /
 * MIGRATING, GETKEYSINSLOT, MIGRATE, SETSLOT NODE), then `rebalance` with
 * the new node's weight at 0 (its slots move back), and `del-node` of the
 * emptied node. Every acknowledged write is readable afterwards and the
 * client sees no error beyond its own retries; the slot map survives a
 * SIGKILL.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from 'ioredis';
import {
  cli,
  createCluster,
  startNode,
  stopAll,
  waitCheckOk,
  waitClusterOk,
  type ClusterNodeHandle,
} from '../helpers/cluster.js';
import { redisCli, waitFor } from '../helpers/server.js';

const BASE = 30200;
let nodes: ClusterNodeHandle[] = [];

before(async () => {
  nodes = await createCluster(BASE, 3, 0);
});
after(async () => {
  await stopAll(nodes);
});

/**
 * Writes `w:<i>` = i in a loop until stopped, and overwrites an existing
 * `pre:` key every other step (a key that may be on its way to another
 * node); what was acknowledged, and the errors the client surfaced.
 */
function writer(cluster: Cluster) {
  const acked: number[] = [];
  const errors: string[] = [];
  const overwritten = new Map<string, string>();
  let stop = false;
  let i = 0;
  const done = (async () => {
    while (!stop) {
      const n = i++;
      try {
        await cluster.set(`w:${n}`, String(n));
        acked.push(n);
        if (n % 2 === 0) {
          const key = `pre:${(n * 7) % 3000}`;
          await cluster.set(key, `over${n}`);
          overwritten.set(key, `over${n}`);
        }
        // Reads too: the value just written must be there, wherever its slot now is.
        if (n % 7 === 0) {
          const v = await cluster.get(`w:${n}`);
          if (v !== String(n)) errors.push(`read w:${n} gave ${v}`);
        }
      } catch (err) {
        errors.push(String(err));
      }
    }
  })();
  return { acked, errors, overwritten, stop: async () => ((stop = true), await done) };
}

async function slotsOf(port: number, id: string): Promise<number> {
  const line = (await redisCli(port, ['cluster', 'nodes'])).stdout.split('\n').find((l) => l.startsWith(id))!;
  let n = 0;
  for (const r of line.split(' ').slice(8)) {
    if (r.startsWith('[')) continue;
    const [a, b] = r.split('-').map(Number);
    n += (b ?? a!) - a! + 1;
  }
  return n;
}

test('add-node, reshard 1000 slots under writes, rebalance it empty, del-node', async () => {
  const seed = nodes[0]!.port;
  const cluster = new Cluster([{ host: '127.0.0.1', port: seed }], {
    retryDelayOnMoved: 0,
    retryDelayOnTryAgain: 50,
    maxRedirections: 64,
  });
  cluster.on('error', () => {});
  after(() => cluster.disconnect());
  for (let i = 0; i < 3000; i++) await cluster.set(`pre:${i}`, String(i));
  const added = await startNode(BASE + 4);
  nodes.push(added);
  const add = await cli(['--cluster', 'add-node', `127.0.0.1:${added.port}`, `127.0.0.1:${seed}`]);
  assert.equal(add.code, 0, add.stdout + add.stderr);
  // Membership spreads by gossip: every node must know the new one before slots can move to it.
  for (const n of nodes) {
    await waitFor(
      async () => (await redisCli(n.port, ['cluster', 'info'])).stdout.includes('cluster_known_nodes:4'),
      10_000,
      `new node known to ${n.port}`,
    );
  }
  await waitCheckOk(seed);
  const id = (await redisCli(added.port, ['cluster', 'myid'])).stdout.trim();

  const w = writer(cluster);
  after(() => w.stop());
  const reshard = await cli([
    '--cluster',
    'reshard',
    `127.0.0.1:${seed}`,
    '--cluster-from',
    'all',
    '--cluster-to',
    id,
    '--cluster-slots',
    '1000',
    '--cluster-yes',
  ]);
  assert.equal(reshard.code, 0, reshard.stdout.slice(-2000) + reshard.stderr);
  // redis-cli's plan rounds per source node: 1000 slots asked, 999 or 1000 moved.
  await waitFor(async () => (await slotsOf(seed, id)) >= 999, 10_000, '1000 slots on the new node');
  const moved = await slotsOf(seed, id);
  assert.ok(Number((await redisCli(added.port, ['dbsize'])).stdout) > 0);
  await waitCheckOk(seed);

  // The slot map survives SIGKILL of the node that received the slots.
  await added.server.kill();
  const back = await startNode(added.port, { dir: added.server.dir, busPort: added.busPort });
  nodes[3] = back;
  assert.equal(await slotsOf(back.port, id), moved);
  await waitClusterOk(nodes.map((n) => n.port));

  const rebalance = await cli(['--cluster', 'rebalance', `127.0.0.1:${seed}`, '--cluster-weight', `${id}=0`]);
  assert.equal(rebalance.code, 0, rebalance.stdout.slice(-2000) + rebalance.stderr);
  await waitFor(async () => (await slotsOf(seed, id)) === 0, 10_000, 'new node emptied');
  await w.stop();
  assert.deepEqual(w.errors, []);
  assert.ok(w.acked.length > 100, `${w.acked.length} writes acknowledged`);
  for (const n of w.acked) assert.equal(await cluster.get(`w:${n}`), String(n), `w:${n}`);
  for (let i = 0; i < 3000; i++) {
    const key = `pre:${i}`;
    assert.equal(await cluster.get(key), w.overwritten.get(key) ?? String(i), key);
  }
  // A key is in one place only. The emptied node became a replica of the node that took its last slot
  // (cluster-allow-replica-migration, as Redis 7.0 does): only primaries are counted.
  let total = 0;
  for (const n of nodes) {
    if ((await redisCli(n.port, ['role'])).stdout.startsWith('master')) {
      total += Number((await redisCli(n.port, ['dbsize'])).stdout);
    }
  }
  assert.equal(total, 3000 + w.acked.length);
  cluster.disconnect();

  const del = await cli(['--cluster', 'del-node', `127.0.0.1:${seed}`, id]);
  assert.equal(del.code, 0, del.stdout + del.stderr);
  await waitFor(
    async () => (await redisCli(seed, ['cluster', 'info'])).stdout.includes('cluster_known_nodes:3'),
    10_000,
    'node forgotten',
  );
  nodes.pop();
  await back.server.stop().catch(() => {});
  await waitCheckOk(seed);
});
