/**
 * The keys of a hash slot (src/cluster/slotkeys.ts `SlotKeyIndex`): built by
 * one walk of database 0 and kept complete by the database's key watcher.
 * A model-based fast-check run against a real database (SET, DEL, RENAME,
 * delete-and-recreate, FLUSHDB, FLUSHALL, SWAPDB, the cron's cleaning), and
 * a cluster node end to end: COUNTKEYSINSLOT and GETKEYSINSLOT after new
 * keys, deletions, re-creations and a RENAME into the slot, and a drain by
 * GETKEYSINSLOT + DEL that must give back exactly the slot's keys, each
 * once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { keyHashSlot } from '../../src/cluster/crc16.js';
import { SlotKeyIndex } from '../../src/cluster/slotkeys.js';
import { Keyspace } from '../../src/store/keyspace.js';
import { startNode, stopAll, type ClusterNodeHandle } from '../helpers/cluster.js';
import { redisCli, waitFor } from '../helpers/server.js';

const slotOf = (k: string) => keyHashSlot(Buffer.from(k, 'latin1'));

/** Names over three slots (hash tags) and a few untagged ones. */
const NAMES = [
  ...['a', 'b', 'c'].flatMap((t) => Array.from({ length: 6 }, (_, i) => `{${t}}${i}`)),
  ...Array.from({ length: 6 }, (_, i) => `k${i}`),
];
const SLOTS = [...new Set(NAMES.map(slotOf))];

type Op =
  | { op: 'set'; key: string }
  | { op: 'del'; key: string }
  | { op: 'rename'; from: string; to: string }
  | { op: 'set1'; key: string }
  | { op: 'flushdb' }
  | { op: 'flushall' }
  | { op: 'swapdb' }
  | { op: 'cron' }
  | { op: 'ask'; slot: number; max: number };

const name = fc.constantFrom(...NAMES);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: name.map((key) => ({ op: 'set' as const, key })) },
  { weight: 5, arbitrary: name.map((key) => ({ op: 'del' as const, key })) },
  { weight: 3, arbitrary: fc.tuple(name, name).map(([from, to]) => ({ op: 'rename' as const, from, to })) },
  { weight: 2, arbitrary: name.map((key) => ({ op: 'set1' as const, key })) },
  { weight: 1, arbitrary: fc.constant({ op: 'flushdb' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'flushall' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'swapdb' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'cron' as const }) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.constantFrom(...SLOTS), fc.integer({ min: 1, max: 8 }))
      .map(([slot, max]) => ({ op: 'ask' as const, slot, max })),
  },
);

/** Asserts that the index answers `slot` as the model says: the count, and GETKEYSINSLOT's keys. */
function check(index: SlotKeyIndex, model: Set<string>, slot: number, max: number): void {
  const want = [...model].filter((k) => slotOf(k) === slot).sort();
  assert.equal(index.count(slot), want.length, `count of slot ${slot}`);
  const got = index.keys(slot, max).map((b) => b.toString('latin1'));
  assert.equal(new Set(got).size, got.length, `no repeats: ${got}`);
  assert.equal(got.length, Math.min(max, want.length));
  for (const k of got) assert.ok(model.has(k) && slotOf(k) === slot, `${k} exists in slot ${slot}`);
}

test('SlotKeyIndex against a model: counts, keys without repeats, and a drain that leaves no key behind', () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 80 }), (ops) => {
      const ks = new Keyspace(2, { onExpired: () => {} });
      const dbs = [new Set<string>(), new Set<string>()];
      const index = new SlotKeyIndex(() => ks.dbs[0]!);
      const buf = (k: string) => Buffer.from(k, 'latin1');
      for (const o of ops) {
        const db0 = ks.dbs[0]!;
        const m = dbs[0]!;
        switch (o.op) {
          case 'set':
            db0.setString(buf(o.key), buf('v'), 0);
            m.add(o.key);
            break;
          case 'set1':
            ks.dbs[1]!.setString(buf(o.key), buf('v'), 0);
            dbs[1]!.add(o.key);
            break;
          case 'del':
            db0.delete(buf(o.key));
            m.delete(o.key);
            break;
          case 'rename': {
            const slot = db0.findSlot(buf(o.from));
            if (slot < 0 || o.from === o.to) break;
            db0.moveTo(slot, db0, buf(o.to), 0);
            m.delete(o.from);
            m.add(o.to);
            break;
          }
          case 'flushdb':
            db0.clear();
            m.clear();
            break;
          case 'flushall':
            ks.clear();
            for (const d of dbs) d.clear();
            break;
          case 'swapdb':
            ks.swapDbs(0, 1);
            dbs.reverse();
            break;
          case 'cron':
            index.expire();
            break;
          case 'ask':
            check(index, m, o.slot, o.max);
            break;
        }
      }
      // Drain every slot as a reshard does: take a few, delete them, ask again until none.
      const m = dbs[0]!;
      for (const slot of SLOTS) {
        const drained: string[] = [];
        for (let rounds = 0; rounds < 100; rounds++) {
          const batch = index.keys(slot, 3);
          if (batch.length === 0) break;
          for (const k of batch) {
            drained.push(k.toString('latin1'));
            assert.ok(ks.dbs[0]!.delete(k));
          }
        }
        const want = [...m].filter((k) => slotOf(k) === slot).sort();
        assert.deepEqual(drained.sort(), want, `drain of slot ${slot}`);
        assert.equal(index.count(slot), 0);
      }
    }),
    { numRuns: 300 },
  );
});

test('SlotKeyIndex cleans a list that grew from deletes and re-creations', () => {
  const ks = new Keyspace(1, { onExpired: () => {} });
  const index = new SlotKeyIndex(() => ks.dbs[0]!);
  const db = ks.dbs[0]!;
  const key = Buffer.from('{t}x');
  db.setString(key, Buffer.from('v'), 0);
  assert.equal(index.count(keyHashSlot(key)), 1);
  for (let i = 0; i < 1000; i++) {
    db.delete(key);
    db.setString(key, Buffer.from('v'), 0);
  }
  assert.deepEqual(
    index.keys(keyHashSlot(key), 10).map((b) => b.toString()),
    ['{t}x'],
  );
  index.expire();
  const lists = (index as unknown as { lists: (string[] | undefined)[] }).lists;
  assert.ok(lists[keyHashSlot(key)]!.length <= 2, `cleaned: ${lists[keyHashSlot(key)]!.length}`);
  assert.equal(index.count(keyHashSlot(key)), 1);
});

const PORT = 30700;
let node: ClusterNodeHandle | undefined;
let redis: Redis;

before(async () => {
  node = await startNode(PORT);
  assert.equal((await redisCli(PORT, ['cluster', 'addslotsrange', '0', '16383'])).stdout.trim(), 'OK');
  await waitFor(
    async () => /cluster_state:ok/.test((await redisCli(PORT, ['cluster', 'info'])).stdout),
    10_000,
    'cluster_state:ok',
  );
  redis = new Redis({ port: PORT, lazyConnect: true });
  await redis.connect();
});
after(async () => {
  redis?.disconnect();
  if (node !== undefined) await stopAll([node]);
});

test('COUNTKEYSINSLOT and GETKEYSINSLOT follow new, deleted, re-created and renamed keys; a drain gives each key once', async () => {
  const A = 'a';
  const B = 'b';
  const slotA = slotOf(`{${A}}`);
  const slotB = slotOf(`{${B}}`);
  const model = new Set<string>();
  const set = async (k: string) => {
    await redis.set(k, 'v');
    model.add(k);
  };
  const del = async (k: string) => {
    await redis.del(k);
    model.delete(k);
  };
  const inSlot = (slot: number) => [...model].filter((k) => slotOf(k) === slot).sort();
  const count = async (slot: number) => Number(await redis.call('CLUSTER', 'COUNTKEYSINSLOT', String(slot)));
  const get = async (slot: number, n: number) =>
    ((await redis.call('CLUSTER', 'GETKEYSINSLOT', String(slot), String(n))) as string[]).map(String);

  // Many keys over every slot, and some in the two slots looked at.
  const p = redis.pipeline();
  for (let i = 0; i < 20_000; i++) p.set(`key:${i}`, 'v');
  await p.exec();
  for (let i = 0; i < 20_000; i++) model.add(`key:${i}`);
  for (let i = 0; i < 30; i++) await set(`{${A}}:${i}`);
  for (let i = 0; i < 10; i++) await set(`{${B}}:${i}`);
  assert.equal(await count(slotA), inSlot(slotA).length);
  assert.deepEqual((await get(slotA, 1000)).sort(), inSlot(slotA));

  // New keys in both slots, deletions, deletions followed by re-creation, a rename into slot A.
  for (let i = 30; i < 45; i++) await set(`{${A}}:${i}`);
  for (let i = 10; i < 20; i++) await set(`{${B}}:${i}`);
  for (let i = 0; i < 10; i++) await del(`{${A}}:${i}`);
  for (let i = 10; i < 20; i++) {
    await del(`{${A}}:${i}`);
    await set(`{${A}}:${i}`);
  }
  await del(`{${B}}:3`);
  await set(`{${B}}:3`);
  // (RENAME across slots is CROSSSLOT in cluster mode; the model-based test above renames across slots.)
  await redis.rename(`{${A}}:25`, `{${A}}:renamed`);
  model.delete(`{${A}}:25`);
  model.add(`{${A}}:renamed`);
  await redis.rename(`{${A}}:40`, `{${A}}:41`);
  model.delete(`{${A}}:40`);

  for (const slot of [slotA, slotB]) {
    assert.equal(await count(slot), inSlot(slot).length, `COUNTKEYSINSLOT ${slot}`);
    const all = await get(slot, 1000);
    assert.equal(new Set(all).size, all.length, `no repeats in ${all}`);
    assert.deepEqual([...all].sort(), inSlot(slot));
  }

  // Drain as redis-cli does: a few keys at a time, each deleted (MIGRATE would) before asking again.
  for (const slot of [slotA, slotB]) {
    const drained: string[] = [];
    for (;;) {
      const batch = await get(slot, 7);
      if (batch.length === 0) break;
      for (const k of batch) {
        assert.ok(!drained.includes(k), `${k} given twice`);
        drained.push(k);
        assert.equal(await redis.del(k), 1, `${k} exists`);
      }
    }
    assert.deepEqual(drained.sort(), inSlot(slot), `drain of ${slot}`);
    assert.equal(await count(slot), 0);
  }

  // FLUSHALL drops the lists: the next question walks again and sees the new keys only.
  await redis.flushall();
  await redis.set(`{${A}}:after`, 'v');
  assert.deepEqual(await get(slotA, 10), [`{${A}}:after`]);
  assert.equal(await count(slotB), 0);
});
