/**
 * Cluster mode end to end with real binaries on loopback: three primaries
 * and three replicas made by `redis-cli --cluster create`, checked by
 * `redis-cli --cluster check`; ioredis `Cluster` writes and reads many keys
 * (hash-tagged MSET/MGET included) and gets CROSSSLOT for mixed slots;
 * `redis-cli -c` follows MOVED; Redis's redirection texts; the nodes file
 * keeps the node id and the slots across SIGKILL.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from 'ioredis';
import { keyHashSlot } from '../../src/cluster/crc16.js';
import { cli, createCluster, startNode, stopAll, waitClusterOk, type ClusterNodeHandle } from '../helpers/cluster.js';
import { redisCli, waitFor } from '../helpers/server.js';

const BASE = 30100;
let nodes: ClusterNodeHandle[] = [];

before(async () => {
  nodes = await createCluster(BASE);
});
after(async () => {
  await stopAll(nodes);
});

test('CLUSTER INFO, NODES and SLOTS describe three primaries with a replica each', async () => {
  const info = (await redisCli(nodes[0]!.port, ['cluster', 'info'])).stdout;
  assert.match(info, /cluster_state:ok/);
  assert.match(info, /cluster_slots_assigned:16384/);
  assert.match(info, /cluster_known_nodes:6/);
  assert.match(info, /cluster_size:3/);
  // Replicas announce their new role by gossip: wait until this node's view has them.
  const nodesOf = async () => (await redisCli(nodes[0]!.port, ['cluster', 'nodes'])).stdout.trim().split('\n');
  await waitFor(async () => (await nodesOf()).filter((l) => / slave /.test(l)).length === 3, 10_000, 'replicas');
  const lines = await nodesOf();
  assert.equal(lines.length, 6);
  for (const l of lines) {
    assert.match(
      l,
      /^[0-9a-f]{40} 127\.0\.0\.1:\d+@\d+ (myself,)?(master|slave) (-|[0-9a-f]{40}) \d+ \d+ \d+ connected/,
    );
  }
  assert.equal(lines.filter((l) => / (myself,)?master /.test(l)).length, 3, lines.join('\n'));
  const slotsInfo = (await redisCli(nodes[0]!.port, ['info', 'cluster'])).stdout;
  assert.match(slotsInfo, /cluster_enabled:1/);
});

test('ioredis Cluster writes and reads keys across the slots, MSET/MGET by hash tag, CROSSSLOT otherwise', async () => {
  const cluster = new Cluster([{ host: '127.0.0.1', port: nodes[0]!.port }], { enableAutoPipelining: true });
  cluster.on('error', () => {});
  try {
    const N = 100_000;
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) writes.push(cluster.set(`key:${i}`, `value:${i}`));
    await Promise.all(writes);
    const values = await Promise.all(Array.from({ length: N }, (_, i) => cluster.get(`key:${i}`)));
    for (let i = 0; i < N; i++) assert.equal(values[i], `value:${i}`);
    for (let t = 0; t < 50; t++) {
      await cluster.mset(`{user${t}}:a`, 'A', `{user${t}}:b`, 'B', `{user${t}}:c`, 'C');
      assert.deepEqual(await cluster.mget(`{user${t}}:a`, `{user${t}}:b`, `{user${t}}:c`), ['A', 'B', 'C']);
    }
    // Without auto-pipelining ioredis sends a cross-slot MGET as it is, and the server refuses it.
    const plain = new Cluster([{ host: '127.0.0.1', port: nodes[0]!.port }]);
    plain.on('error', () => {});
    await assert.rejects(plain.mget('key:1', 'key:2'), /CROSSSLOT Keys in request don't hash to the same slot/);
    plain.disconnect();
    // Every key lives on exactly one primary.
    let total = 0;
    for (const n of nodes) {
      const role = (await redisCli(n.port, ['role'])).stdout.split('\n')[0];
      if (role === 'master') total += Number((await redisCli(n.port, ['dbsize'])).stdout.trim());
    }
    assert.equal(total, N + 150);
  } finally {
    cluster.disconnect();
  }
});

test('redirections: MOVED to the owner, redis-cli -c follows it, SELECT and cross-slot refused', async () => {
  const key = 'somekey';
  const slot = keyHashSlot(Buffer.from(key));
  assert.equal((await redisCli(nodes[0]!.port, ['cluster', 'keyslot', key])).stdout.trim(), String(slot));
  const owners = await Promise.all(nodes.map(async (n) => (await redisCli(n.port, ['set', key, 'v'])).stdout.trim()));
  const moved = owners.filter((o) => o.startsWith('MOVED'));
  assert.equal(owners.filter((o) => o === 'OK').length, 1);
  for (const m of moved) assert.match(m, new RegExp(`^MOVED ${slot} 127\\.0\\.0\\.1:\\d+$`));
  for (const n of nodes) {
    const r = await cli(['-c', '-p', String(n.port), 'get', key]);
    assert.equal(r.stdout.trim(), 'v');
  }
  assert.match((await redisCli(nodes[0]!.port, ['select', '1'])).stdout, /SELECT is not allowed in cluster mode/);
  assert.equal((await redisCli(nodes[0]!.port, ['select', '0'])).stdout.trim(), 'OK');
  const cross = await redisCli(nodes[0]!.port, ['mget', 'a', 'b']);
  assert.match(cross.stdout, /CROSSSLOT|MOVED/);
});

test('MULTI/EXEC: a queued command for another node aborts the transaction with MOVED', async () => {
  const port = nodes[0]!.port;
  const slotsReply = (await redisCli(port, ['cluster', 'nodes'])).stdout;
  const mine = slotsReply.split('\n').find((l) => l.includes('myself'))!;
  const [lo] = mine.split(' ').slice(8)[0]!.split('-').map(Number);
  let local = '';
  let remote = '';
  for (let i = 0; local === '' || remote === ''; i++) {
    const k = `tx${i}`;
    const s = keyHashSlot(Buffer.from(k));
    if (s >= lo! && s < lo! + 5461 && local === '') local = k;
    else if ((s < lo! || s >= lo! + 5461) && remote === '') remote = k;
  }
  const out = await redisCli(port, [], `MULTI\nSET ${local} 1\nSET ${remote} 2\nEXEC\n`);
  assert.match(out.stdout, /MOVED/);
  assert.match(out.stdout, /EXECABORT/);
});

test('SIGKILL and restart: same node id, same slots, cluster ok again', async () => {
  const n = nodes[1]!;
  const id = (await redisCli(n.port, ['cluster', 'myid'])).stdout.trim();
  const before = (await redisCli(n.port, ['cluster', 'nodes'])).stdout.split('\n').find((l) => l.includes('myself'));
  await n.server.kill();
  const again = await startNode(n.port, { dir: n.server.dir, busPort: n.busPort });
  nodes[1] = again;
  assert.equal((await redisCli(n.port, ['cluster', 'myid'])).stdout.trim(), id);
  const now = (await redisCli(n.port, ['cluster', 'nodes'])).stdout.split('\n').find((l) => l.includes('myself'));
  assert.equal(now!.split(' ').slice(8).join(' '), before!.split(' ').slice(8).join(' '));
  await waitClusterOk(nodes.map((x) => x.port));
  await waitFor(async () => (await cli(['--cluster', 'check', `127.0.0.1:${n.port}`])).code === 0, 20_000, 'check');
});

test('PUBLISH reaches subscribers on every node; SPUBLISH is routed by the slot of its channel', async () => {
  const sub = nodes[2]!.server.client();
  const got = new Promise<[string, string]>((resolve) => sub.on('message', (ch, msg) => resolve([ch, msg])));
  await sub.subscribe('news');
  const pub = nodes[0]!.server.client();
  await pub.publish('news', 'hello');
  assert.deepEqual(await got, ['news', 'hello']);
  const slot = keyHashSlot(Buffer.from('shardch'));
  const replies = await Promise.all(
    nodes.map(async (n) => (await redisCli(n.port, ['spublish', 'shardch', 'x'])).stdout),
  );
  assert.equal(replies.filter((r) => r.trim() === '0').length >= 1, true);
  for (const r of replies) assert.match(r.trim(), new RegExp(`^(0|MOVED ${slot} 127\\.0\\.0\\.1:\\d+)$`));
});

/** The node owning `key`'s slot (client port) and its id, from CLUSTER SLOTS. */
async function ownerOf(key: string): Promise<{ port: number; id: string; replicas: number[] }> {
  const slot = keyHashSlot(Buffer.from(key));
  const c = nodes[0]!.server.client();
  const ranges = (await c.call('CLUSTER', 'SLOTS')) as [
    number,
    number,
    [string, number, string],
    ...[string, number][],
  ][];
  const r = ranges.find(([a, b]) => slot >= a && slot <= b)!;
  return { port: r[2][1], id: r[2][2], replicas: r.slice(3).map((x) => (x as [string, number])[1]) };
}

test('READONLY lets a replica serve reads of its primary slots; writes are still MOVED', async () => {
  const owner = await ownerOf('rokey');
  assert.equal((await redisCli(owner.port, ['set', 'rokey', 'v1'])).stdout.trim(), 'OK');
  const replica = nodes.find((n) => n.port !== owner.port && owner.replicas.includes(n.port))!;
  await waitFor(
    async () => {
      const out = await redisCli(replica.port, [], 'READONLY\nGET rokey\n');
      return out.stdout === 'OK\nv1\n';
    },
    10_000,
    'replica read',
  );
  assert.match((await redisCli(replica.port, ['get', 'rokey'])).stdout, /^MOVED \d+ 127\.0\.0\.1:\d+/);
  const w = await redisCli(replica.port, [], 'READONLY\nSET rokey v2\n');
  assert.match(w.stdout, /^OK\nMOVED /);
});

test('a slot being migrated: ASK for missing keys, ASKING on the importing node, TRYAGAIN for split keys', async () => {
  const src = await ownerOf('{mig}a');
  const roles = await Promise.all(nodes.map(async (n) => (await redisCli(n.port, ['role'])).stdout));
  const dst = nodes.find((n, i) => n.port !== src.port && roles[i]!.startsWith('master'))!;
  const dstId = (await redisCli(dst.port, ['cluster', 'myid'])).stdout.trim();
  const slot = String(keyHashSlot(Buffer.from('{mig}a')));
  assert.equal((await redisCli(src.port, ['set', '{mig}a', '1'])).stdout.trim(), 'OK');
  assert.equal((await redisCli(dst.port, ['cluster', 'setslot', slot, 'importing', src.id])).stdout.trim(), 'OK');
  assert.equal((await redisCli(src.port, ['cluster', 'setslot', slot, 'migrating', dstId])).stdout.trim(), 'OK');
  try {
    assert.equal((await redisCli(src.port, ['get', '{mig}a'])).stdout.trim(), '1');
    assert.equal((await redisCli(src.port, ['get', '{mig}b'])).stdout.trim(), `ASK ${slot} 127.0.0.1:${dst.port}`);
    assert.match((await redisCli(src.port, ['mget', '{mig}a', '{mig}b'])).stdout, /^TRYAGAIN /);
    assert.match((await redisCli(dst.port, ['set', '{mig}b', '2'])).stdout, /^MOVED /);
    assert.equal((await redisCli(dst.port, [], 'ASKING\nSET {mig}b 2\n')).stdout, 'OK\nOK\n');
    // ASKING lasts one command, refused ones included, or a whole transaction begun after it (resetClient).
    const refused = (await redisCli(dst.port, [], 'ASKING\nGET\nSET {mig}c 3\n')).stdout.split('\n').filter(Boolean);
    assert.match(refused[1]!, /wrong number of arguments/);
    assert.match(refused[2]!, /^MOVED /);
    const tx = await redisCli(dst.port, [], 'ASKING\nMULTI\nSET {mig}c 3\nGET {mig}c\nEXEC\nGET {mig}c\n');
    const txLines = tx.stdout.split('\n').filter(Boolean);
    assert.deepEqual(txLines, ['OK', 'OK', 'QUEUED', 'QUEUED', 'OK', '3', `MOVED ${slot} 127.0.0.1:${src.port}`]);
    const nodesLine = (await redisCli(src.port, ['cluster', 'nodes'])).stdout
      .split('\n')
      .find((l) => l.includes('myself'))!;
    assert.ok(nodesLine.includes(`[${slot}->-${dstId}]`), nodesLine);
  } finally {
    await redisCli(src.port, ['cluster', 'setslot', slot, 'stable']);
    await redisCli(dst.port, ['cluster', 'setslot', slot, 'stable']);
    await redisCli(dst.port, [], 'ASKING\nDEL {mig}b\nASKING\nDEL {mig}c\n');
  }
});

test('a client blocked on a key whose slot moves away gets MOVED', async () => {
  // A key whose slot holds no key yet: a slot with keys cannot be given away.
  let key = '';
  let src = await ownerOf('x');
  for (let i = 0; key === ''; i++) {
    src = await ownerOf(`{blk${i}}list`);
    const slotOf = String(keyHashSlot(Buffer.from(`{blk${i}}list`)));
    if ((await redisCli(src.port, ['cluster', 'countkeysinslot', slotOf])).stdout.trim() === '0') key = `{blk${i}}list`;
  }
  const roles = await Promise.all(nodes.map(async (n) => (await redisCli(n.port, ['role'])).stdout));
  const dst = nodes.find((n, i) => n.port !== src.port && roles[i]!.startsWith('master'))!;
  const dstId = (await redisCli(dst.port, ['cluster', 'myid'])).stdout.trim();
  const slot = String(keyHashSlot(Buffer.from(key)));
  const blocked = redisCli(src.port, ['blpop', key, '0']);
  await waitFor(
    async () => (await redisCli(src.port, ['info', 'clients'])).stdout.includes('blocked_clients:1'),
    10_000,
    'blocked',
  );
  // The slot (no key in it) is given away on this node only, then taken back.
  assert.equal((await redisCli(src.port, ['cluster', 'setslot', slot, 'node', dstId])).stdout.trim(), 'OK');
  try {
    assert.equal((await blocked).stdout.trim(), `MOVED ${slot} 127.0.0.1:${dst.port}`);
  } finally {
    await redisCli(src.port, ['cluster', 'setslot', slot, 'node', src.id]);
  }
});

test('node-redis createCluster writes and reads across the slots', async () => {
  const { createCluster: createNodeRedisCluster } = await import('redis');
  const cluster = createNodeRedisCluster({ rootNodes: [{ url: `redis://127.0.0.1:${nodes[0]!.port}` }] });
  cluster.on('error', () => {});
  await cluster.connect();
  try {
    for (let i = 0; i < 300; i++) await cluster.set(`nr:${i}`, String(i));
    for (let i = 0; i < 300; i++) assert.equal(await cluster.get(`nr:${i}`), String(i));
    await cluster.mSet({ '{nr}x': '1', '{nr}y': '2' });
    assert.deepEqual(await cluster.mGet(['{nr}x', '{nr}y']), ['1', '2']);
  } finally {
    await cluster.close();
  }
});

test('CLUSTER RESET of a replica: an empty primary that knows only itself (run last: it leaves the cluster)', async () => {
  const roles = await Promise.all(nodes.map(async (n) => (await redisCli(n.port, ['role'])).stdout));
  const replica = nodes[roles.findIndex((r) => r.startsWith('slave'))]!;
  await waitFor(async () => (await redisCli(replica.port, ['dbsize'])).stdout.trim() !== '0', 10_000, 'replica data');
  assert.match(
    (await redisCli(nodes[0]!.port, ['cluster', 'reset'])).stdout,
    /CLUSTER RESET can't be called with master/,
  );
  assert.equal((await redisCli(replica.port, ['cluster', 'reset', 'soft'])).stdout.trim(), 'OK');
  assert.equal((await redisCli(replica.port, ['dbsize'])).stdout.trim(), '0');
  assert.ok((await redisCli(replica.port, ['role'])).stdout.startsWith('master'));
  assert.match((await redisCli(replica.port, ['cluster', 'info'])).stdout, /cluster_known_nodes:1\r?\n/);
});
