/**
 * Shard channels of a slot a node stops serving (cluster.c `clusterDelSlot`
 * → `removeChannelsInSlot`): every subscriber is unsubscribed with a
 * `sunsubscribe` push, as redis-server 7.0.15 does, byte for byte; shard
 * channels of other slots stay subscribed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { keyHashSlot } from '../../src/cluster/crc16.js';
import { startNode, stopAll, type ClusterNodeHandle } from '../helpers/cluster.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';
import { RawClient } from '../helpers/resp.js';

const PORT = 30800;
let node: ClusterNodeHandle;
let redis: RedisHandle;

before(async () => {
  node = await startNode(PORT);
  // The bus port below the ephemeral range, where no other test's connection can hold it.
  redis = await startRedis([
    '--save',
    '',
    '--appendonly',
    'no',
    '--cluster-enabled',
    'yes',
    '--cluster-port',
    String(PORT + 1 - 20000),
  ]);
});
after(async () => {
  await stopAll([node]);
  await redis.stop();
});

test('CLUSTER DELSLOTS of a served slot unsubscribes its shard channels with a sunsubscribe push, as redis-server does', async () => {
  const slot = String(keyHashSlot(Buffer.from('news')));
  assert.notEqual(keyHashSlot(Buffer.from('other')), Number(slot));
  const seen: string[][] = [];
  for (const port of [node.port, redis.port]) {
    const admin = await RawClient.connect(port);
    const a = await RawClient.connect(port);
    const b = await RawClient.connect(port);
    try {
      assert.equal(await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383'), '+OK\r\n');
      const lines = [
        String(await a.call('SSUBSCRIBE', 'news')),
        String(await a.call('SSUBSCRIBE', 'other')),
        String(await b.call('SSUBSCRIBE', 'news')),
        String(await admin.call('CLUSTER', 'DELSLOTS', slot)),
        // The pushes each subscriber got, then what is left of its subscriptions.
        String(await a.read()),
        String(await b.read()),
        String(await a.call('SUNSUBSCRIBE')),
        String(await b.call('SUNSUBSCRIBE')),
      ];
      seen.push(lines);
    } finally {
      a.close();
      b.close();
      admin.close();
    }
  }
  assert.deepEqual(seen[0], seen[1]);
  assert.equal(seen[0]![4], '*3\r\n$12\r\nsunsubscribe\r\n$4\r\nnews\r\n:1\r\n');
  assert.equal(seen[0]![5], '*3\r\n$12\r\nsunsubscribe\r\n$4\r\nnews\r\n:0\r\n');
  assert.equal(seen[0]![6], '*3\r\n$12\r\nsunsubscribe\r\n$5\r\nother\r\n:0\r\n');
});
