/**
 * Automatic failover in cluster mode (cluster-node-timeout 2000): SIGKILL
 * of a primary, its replica wins the election and takes the slots within
 * the timeout plus a few seconds, `cluster_state:ok` returns, an ioredis
 * `Cluster` client keeps reading and writing, and the killed node, started
 * again, rejoins as a replica of the new primary. Then CLUSTER FAILOVER
 * (manual) gives the slots back.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from 'ioredis';
import {
  createCluster,
  startNode,
  stopAll,
  waitClusterOk,
  waitCheckOk,
  type ClusterNodeHandle,
} from '../helpers/cluster.js';
import { redisCli, waitFor } from '../helpers/server.js';

const BASE = 30300;
let nodes: ClusterNodeHandle[] = [];

before(async () => {
  nodes = await createCluster(BASE);
});
after(async () => {
  await stopAll(nodes);
});

/** CLUSTER NODES of `port`, as lines split in fields. */
async function nodesOf(port: number): Promise<string[][]> {
  const out = (await redisCli(port, ['cluster', 'nodes'])).stdout.trim();
  return out.split('\n').map((l) => l.split(' '));
}

async function role(port: number): Promise<string> {
  return (await redisCli(port, ['role'])).stdout.split('\n')[0]!.trim();
}

test('SIGKILL of a primary: its replica takes over, the cluster is ok again, the old primary rejoins as a replica', async () => {
  const cluster = new Cluster([{ host: '127.0.0.1', port: nodes[1]!.port }], {
    clusterRetryStrategy: () => 100,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    maxRedirections: 50,
  });
  cluster.on('error', () => {});
  try {
    for (let i = 0; i < 500; i++) await cluster.set(`k${i}`, `v${i}`);
    const victim = nodes[0]!;
    const victimId = (await redisCli(victim.port, ['cluster', 'myid'])).stdout.trim();
    const replicaLine = (await nodesOf(victim.port)).find((f) => f[3] === victimId)!;
    const replicaPort = Number(/:(\d+)@/.exec(replicaLine[1]!)![1]);
    const replica = nodes.find((n) => n.port === replicaPort)!;
    await waitFor(
      async () => (await redisCli(replicaPort, ['dbsize'])).stdout.trim() !== '0',
      10_000,
      'replica synced',
    );
    const t0 = Date.now();
    await victim.server.kill();
    await waitFor(async () => (await role(replicaPort)) === 'master', 20_000, 'replica promoted');
    const took = Date.now() - t0;
    assert.ok(took < 2000 + 8000, `failover took ${took} ms`);
    const others = nodes.filter((n) => n !== victim).map((n) => n.port);
    await waitClusterOk(others);
    // The client goes on: every key written before is readable, and new writes land.
    for (let i = 0; i < 500; i++) assert.equal(await cluster.get(`k${i}`), `v${i}`);
    for (let i = 500; i < 700; i++) await cluster.set(`k${i}`, `v${i}`);
    // The old primary comes back as a replica of the node that replaced it.
    const back = await startNode(victim.port, { dir: victim.server.dir, busPort: victim.busPort });
    nodes[0] = back;
    const newId = (await redisCli(replica.port, ['cluster', 'myid'])).stdout.trim();
    await waitFor(
      async () => (await nodesOf(back.port)).find((f) => f[2]!.includes('myself'))?.[3] === newId,
      20_000,
      'old primary replicates the new one',
    );
    await waitFor(async () => (await role(back.port)) === 'slave', 10_000, 'ROLE slave');
    await waitFor(async () => (await redisCli(back.port, ['dbsize'])).stdout.trim() !== '0', 20_000, 'resynced');
    await waitClusterOk(nodes.map((n) => n.port));
    await waitCheckOk(back.port);
    for (let i = 0; i < 700; i++) assert.equal(await cluster.get(`k${i}`), `v${i}`);
  } finally {
    cluster.disconnect();
  }
});

test('CLUSTER FAILOVER on a replica makes it the primary of its shard, losing no acknowledged write', async () => {
  const port = nodes[0]!.port;
  assert.equal(await role(port), 'slave');
  assert.match(
    (await redisCli(nodes[1]!.port, ['cluster', 'failover'])).stdout,
    /You should send CLUSTER FAILOVER to a replica|OK/,
  );
  // Writes go on during the switch: the primary holds them until its replica caught up, none is lost.
  const cluster = new Cluster([{ host: '127.0.0.1', port: nodes[1]!.port }], {
    retryDelayOnMoved: 50,
    retryDelayOnFailover: 200,
    maxRedirections: 50,
  });
  cluster.on('error', () => {});
  let stop = false;
  const acked: number[] = [];
  const writing = (async () => {
    for (let i = 0; !stop; i++) {
      await cluster.set(`mf${i}`, String(i)).then(
        () => acked.push(i),
        () => {},
      );
    }
  })();
  try {
    await waitFor(() => acked.length > 50, 10_000, 'writes before the switch');
    assert.equal((await redisCli(port, ['cluster', 'failover'])).stdout.trim(), 'OK');
    await waitFor(async () => (await role(port)) === 'master', 15_000, 'manual failover');
    await waitClusterOk(nodes.map((n) => n.port));
    const at = acked.length;
    await waitFor(() => acked.length > at + 50, 10_000, 'writes after the switch');
    stop = true;
    await writing;
    for (const i of acked) assert.equal(await cluster.get(`mf${i}`), String(i), `mf${i}`);
  } finally {
    stop = true;
    cluster.disconnect();
  }
  await waitCheckOk(port);
});

test('a replica killed and started again follows its primary from its nodes file', async () => {
  const roles = await Promise.all(nodes.map((n) => role(n.port)));
  const i = roles.indexOf('slave');
  const replica = nodes[i]!;
  const primaryId = (await nodesOf(replica.port)).find((f) => f[2]!.includes('myself'))![3]!;
  await replica.server.kill();
  const back = await startNode(replica.port, { dir: replica.server.dir, busPort: replica.busPort });
  nodes[i] = back;
  assert.equal((await nodesOf(back.port)).find((f) => f[2]!.includes('myself'))![3], primaryId);
  await waitFor(
    async () => (await redisCli(back.port, ['info', 'replication'])).stdout.includes('master_link_status:up'),
    20_000,
    'replication link up',
  );
  await waitClusterOk(nodes.map((n) => n.port));
});
