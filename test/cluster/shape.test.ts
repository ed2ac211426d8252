/**
 * The shape of cluster introspection against Redis 7.0.15: a 3+3
 * redis-server cluster and a 3+3 FlashCache cluster, both made by
 * `redis-cli --cluster create --cluster-replicas 1`, answer CLUSTER NODES,
 * SLOTS, SHARDS and INFO with the same fields, flags, slot ranges, epochs
 * and roles; values that differ by nature (ids, ports, clocks, offsets,
 * message counts) are compared by their form.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { trackChild } from '../helpers/children.js';
import { cli, createCluster, stopAll, waitCheckOk, waitClusterOk, type ClusterNodeHandle } from '../helpers/cluster.js';
import { cleanup, redisCli, tempDir, waitFor } from '../helpers/server.js';

const FC_BASE = 30500;
const REDIS_BASE = 30600;
let fc: ClusterNodeHandle[] = [];
const redisPorts: number[] = [];
const redisDirs: string[] = [];
const clients: Redis[] = [];

/**
 * Starts redis-server in cluster mode on `port`, its nodes.conf in a
 * temporary directory. Its bus goes on `port` - 20000: the default (`port` +
 * 10000) falls in the kernel's ephemeral range, where another test's
 * connection can hold it.
 */
async function startRedisNode(port: number): Promise<void> {
  const dir = tempDir('flashcache-redis-cluster-');
  redisDirs.push(dir);
  trackChild(
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        '2000',
        '--cluster-port',
        String(port - 20000),
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    ),
  );
  await waitFor(async () => (await redisCli(port, ['ping'])).stdout.trim() === 'PONG', 10_000, `redis-server ${port}`);
  redisPorts.push(port);
}

before(async () => {
  for (let i = 1; i <= 6; i++) await startRedisNode(REDIS_BASE + i);
  const r = await cli([
    '--cluster',
    'create',
    ...redisPorts.map((p) => `127.0.0.1:${p}`),
    '--cluster-replicas',
    '1',
    '--cluster-yes',
  ]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  await waitClusterOk(redisPorts);
  await waitCheckOk(redisPorts[0]!);
  fc = await createCluster(FC_BASE);
  await writeAndSettle();
});
after(async () => {
  for (const c of clients) c.disconnect();
  await stopAll(fc);
  for (const p of redisPorts) await redisCli(p, ['shutdown', 'nosave']);
  for (const d of redisDirs) cleanup(d);
});

function client(port: number): Redis {
  const c = new Redis({ port, host: '127.0.0.1' });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

/** Waits until both clusters' replicas all show in CLUSTER SLOTS (they have replicated something). */
async function settled(ports: number[]): Promise<void> {
  const c = client(ports[0]!);
  await waitFor(
    async () => {
      const slots = (await c.call('CLUSTER', 'SLOTS')) as unknown[][];
      return slots.length === 3 && slots.every((s) => s.length === 4);
    },
    20_000,
    'replicas in CLUSTER SLOTS',
  );
  await waitFor(
    async () => {
      const lines = String(await c.call('CLUSTER', 'NODES'))
        .trim()
        .split('\n');
      return lines.filter((l) => / slave /.test(l)).length === 3;
    },
    10_000,
    'replicas in CLUSTER NODES',
  );
}

/** A write on each shard of both clusters, then the wait for their replicas to show. */
async function writeAndSettle(): Promise<void> {
  for (const ports of [redisPorts, fc.map((n) => n.port)]) {
    // A write on each shard, so that replicas have an offset (Redis lists only those in CLUSTER SLOTS).
    for (const key of ['a', 'b', 'c', 'foo', 'bar']) {
      await cli(['-c', '-p', String(ports[0]), 'set', key, '1']);
    }
    await settled(ports);
  }
}

/** CLUSTER NODES with ids, addresses and clocks replaced by placeholders, sorted. */
function nodesShape(text: string): string[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const f = line.split(' ');
      assert.match(f[0]!, /^[0-9a-f]{40}$/);
      assert.match(f[1]!, /^127\.0\.0\.1:\d+@\d+$/);
      assert.match(f[3]!, /^(-|[0-9a-f]{40})$/);
      assert.match(f[4]!, /^\d+$/);
      assert.match(f[5]!, /^\d+$/);
      return [f[2], f[3] === '-' ? '-' : '<id>', f[6], f[7], ...f.slice(8)].join(' ');
    })
    .sort();
}

test('CLUSTER NODES: same flags, roles, epochs, link states and slot ranges', async () => {
  const r = String(await client(redisPorts[0]!).call('CLUSTER', 'NODES'));
  const f = String(await client(fc[0]!.port).call('CLUSTER', 'NODES'));
  assert.deepEqual(nodesShape(f), nodesShape(r));
});

/** CLUSTER SLOTS with node entries reduced to their form. */
function slotsShape(reply: unknown): unknown {
  return (reply as unknown[][])
    .map(([start, end, ...nodes]) => [
      start,
      end,
      nodes.map((n) => {
        const [ip, port, id, extra] = n as [string, number, string, unknown];
        return [ip, typeof port, id.length, extra];
      }),
    ])
    .sort((a, b) => (a[0] as number) - (b[0] as number));
}

test('CLUSTER SLOTS: same ranges, a primary and its replica each, same entry form', async () => {
  const r = await client(redisPorts[0]!).call('CLUSTER', 'SLOTS');
  const f = await client(fc[0]!.port).call('CLUSTER', 'SLOTS');
  assert.deepEqual(slotsShape(f), slotsShape(r));
});

/** CLUSTER SHARDS reduced: slots, and per node its fields' names, role and health. */
function shardsShape(reply: unknown): unknown {
  return (reply as unknown[][])
    .map((shard) => {
      const m = new Map<string, unknown>();
      for (let i = 0; i < shard.length; i += 2) m.set(String(shard[i]), shard[i + 1]);
      const nodes = (m.get('nodes') as unknown[][]).map((n) => {
        const fields = new Map<string, unknown>();
        for (let i = 0; i < n.length; i += 2) fields.set(String(n[i]), n[i + 1]);
        return [[...fields.keys()].join(','), fields.get('role'), fields.get('health'), fields.get('ip')];
      });
      return [[...m.keys()].join(','), m.get('slots'), nodes];
    })
    .sort((a, b) => String(a[1]).localeCompare(String(b[1])));
}

test('CLUSTER SHARDS: same shards, slots, node fields, roles and health', async () => {
  const r = await client(redisPorts[0]!).call('CLUSTER', 'SHARDS');
  const f = await client(fc[0]!.port).call('CLUSTER', 'SHARDS');
  assert.deepEqual(shardsShape(f), shardsShape(r));
});

/** CLUSTER INFO's fields, message counters left out, values kept where they are the cluster's state. */
function infoShape(text: string): string[] {
  return text
    .trim()
    .split('\r\n')
    .filter((l) => !l.startsWith('cluster_stats_messages_'))
    .map((l) => (l.startsWith('cluster_current_epoch') ? 'cluster_current_epoch:<n>' : l));
}

test('CLUSTER INFO: same fields and the same state', async () => {
  const r = String(await client(redisPorts[0]!).call('CLUSTER', 'INFO'));
  const f = String(await client(fc[0]!.port).call('CLUSTER', 'INFO'));
  assert.deepEqual(infoShape(f), infoShape(r));
  for (const t of [r, f]) assert.match(t, /cluster_stats_messages_ping_sent:\d+/);
});

test('KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT and errors agree', async () => {
  const rc = client(redisPorts[0]!);
  const fcc = client(fc[0]!.port);
  const same = async (...args: string[]) => {
    const [a, b] = await Promise.all([
      rc.call(...(args as [string])).catch((e: Error) => `ERR:${e.message}`),
      fcc.call(...(args as [string])).catch((e: Error) => `ERR:${e.message}`),
    ]);
    // A redirection names a port of its own cluster: node n of one is node n of the other.
    const moved = (v: unknown) => (typeof v === 'string' ? v.replace(/:306(\d\d)$/, ':305$1') : v);
    assert.deepEqual(b, moved(a), args.join(' '));
  };
  for (const k of ['foo', 'bar', '{user1000}.following', 'foo{}{bar}', 'foo{{bar}}zap', '', '123456789']) {
    await same('CLUSTER', 'KEYSLOT', k);
  }
  await same('CLUSTER', 'COUNTKEYSINSLOT', '15495');
  await same('CLUSTER', 'COUNTKEYSINSLOT', '16384');
  await same('CLUSTER', 'COUNTKEYSINSLOT', 'x');
  await same('CLUSTER', 'GETKEYSINSLOT', '15495', '10');
  await same('CLUSTER', 'GETKEYSINSLOT', '15495', '-1');
  await same('CLUSTER', 'ADDSLOTS', '0');
  await same('CLUSTER', 'ADDSLOTSRANGE', '5', '1');
  await same('CLUSTER', 'DELSLOTS', '99999');
  await same('CLUSTER', 'SETSLOT', '0', 'BOGUS');
  await same('CLUSTER', 'FORGET', 'nosuchnode');
  await same('CLUSTER', 'REPLICATE', 'nosuchnode');
  await same('CLUSTER', 'COUNT-FAILURE-REPORTS', 'nosuchnode');
  await same('CLUSTER', 'SET-CONFIG-EPOCH', '5');
  await same('CLUSTER', 'FAILOVER');
  await same('CLUSTER', 'RESET', 'bogus');
  await same('CLUSTER', 'BUMPEPOCH', 'x');
  await same('SELECT', '1');
  await same('SELECT', '0');
  await same('READONLY');
  await same('READWRITE');
  await same('ASKING');
  await same('GET', 'a');
  await same('MGET', 'a', 'b');
  await same('MSET', '{t}a', '1', '{t}b', '2');
  // Scripts: declared keys are routed as the command's; a key the script did not declare must be local.
  await same('EVAL', "return redis.call('get', KEYS[1])", '1', 'a');
  await same('EVAL', "return redis.call('get', 'a')", '0');
  await same('EVAL', "return redis.call('set', 'a', '1')", '0');
  await same('EVAL', "return redis.call('get', 'b')", '0');
});
