/**
 * Property test: any sequence of commands (SETBIT, PFADD, GEOADD and XADD among them), snapshots and
 * SIGKILLs leaves, after each restart, exactly the keyspace a reference model holds when fed
 * the acknowledged commands. Seed printed; rerun with FLASHCACHE_TEST_SEED. The model cannot
 * compute a HyperLogLog's bytes, a geohash score or a stream ID: after each PFADD, GEOADD or
 * XADD it takes the value the server acknowledged (GET, ZRANGE WITHSCORES, XRANGE), which every
 * restart must then give back. Those keys (`h<n>`, `g<n>`, `x<n>`) are touched by nothing else
 * but FLUSHDB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { cleanup, startServer, type ServerHandle } from '../helpers/server.js';
import { dumpKeyspace, renderCollection, sorted, type KeyState } from '../helpers/keyspace.js';
import { testSeed } from '../helpers/random.js';

const FAR = 4102444800000; // 2100-01-01, absolute so that the model knows every expiry exactly

type Op =
  | { t: 'set'; db: number; key: number; size: number; ttl: boolean }
  | { t: 'del'; db: number; key: number }
  | { t: 'append'; db: number; key: number; size: number }
  | { t: 'incr'; db: number; key: number }
  | { t: 'setbit'; db: number; key: number; byte: number; bit: number; on: number }
  | { t: 'pfadd'; db: number; key: number; elements: number[] }
  | { t: 'geoadd'; db: number; key: number; points: [number, number][] }
  | { t: 'xadd'; db: number; key: number; fields: number; maxlen: number }
  | { t: 'expire'; db: number; key: number; at: number }
  | { t: 'persist'; db: number; key: number }
  | { t: 'rename'; db: number; key: number; to: number }
  | { t: 'flushdb'; db: number }
  | { t: 'save' }
  | { t: 'bgsave' }
  | { t: 'kill' };

const db = fc.integer({ min: 0, max: 3 });
const key = fc.integer({ min: 0, max: 12 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      t: fc.constant('set' as const),
      db,
      key,
      size: fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 100_000, max: 300_000 })),
      ttl: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('del' as const), db, key }) },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('append' as const), db, key, size: fc.integer({ min: 1, max: 3000 }) }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('incr' as const), db, key }) },
  {
    weight: 3,
    // Bits 1..7 of a byte only: values stay ASCII, as the model compares them as text.
    arbitrary: fc.record({
      t: fc.constant('setbit' as const),
      db,
      key,
      byte: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 5000 })),
      bit: fc.integer({ min: 1, max: 7 }),
      on: fc.integer({ min: 0, max: 1 }),
    }),
  },
  {
    weight: 2,
    // Up to 300 elements per call over a few calls: sparse HyperLogLogs, and some promoted to dense.
    arbitrary: fc.record({
      t: fc.constant('pfadd' as const),
      db,
      key: fc.integer({ min: 0, max: 3 }),
      elements: fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 300 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('geoadd' as const),
      db,
      key: fc.integer({ min: 0, max: 3 }),
      points: fc.array(
        fc.tuple(fc.double({ min: -180, max: 180, noNaN: true }), fc.double({ min: -85, max: 85, noNaN: true })),
        {
          minLength: 1,
          maxLength: 20,
        },
      ),
    }),
  },
  {
    weight: 2,
    // maxlen 0: no trimming; otherwise an exact MAXLEN trim.
    arbitrary: fc.record({
      t: fc.constant('xadd' as const),
      db,
      key: fc.integer({ min: 0, max: 3 }),
      fields: fc.integer({ min: 1, max: 4 }),
      maxlen: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 })),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('expire' as const), db, key, at: fc.integer({ min: 1, max: 1000 }) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('persist' as const), db, key }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('rename' as const), db, key, to: key }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('flushdb' as const), db }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('save' as const) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('bgsave' as const) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('kill' as const) }) },
);

/** Applies `op` to the server and the model; asserts the reply the model predicts. */
async function apply(r: Redis, model: Map<string, KeyState>, op: Op, n: number): Promise<void> {
  if (op.t === 'save' || op.t === 'bgsave' || op.t === 'kill') return;
  await r.select(op.db);
  const id = (k: number): string => `${op.db}:k${k}`;
  if (op.t === 'flushdb') {
    assert.equal(await r.flushdb(), 'OK');
    for (const k of [...model.keys()]) if (k.startsWith(`${op.db}:`)) model.delete(k);
    return;
  }
  if (op.t === 'pfadd') {
    const name = `h${op.key}`;
    await r.pfadd(name, ...op.elements.map(String));
    model.set(`${op.db}:${name}`, { value: (await r.get(name))!, expireAt: -1 });
    return;
  }
  if (op.t === 'geoadd') {
    const name = `g${op.key}`;
    await r.geoadd(name, ...op.points.flatMap(([lon, lat], i) => [lon, lat, `m${i % 8}`]));
    const flat = await r.zrange(name, '0', '-1', 'WITHSCORES');
    const items: [string, number][] = [];
    for (let i = 0; i < flat.length; i += 2) items.push([flat[i]!, Number(flat[i + 1])]);
    model.set(`${op.db}:${name}`, { value: renderCollection('zset', items), expireAt: -1 });
    return;
  }
  if (op.t === 'xadd') {
    const name = `x${op.key}`;
    const trim = op.maxlen > 0 ? ['MAXLEN', String(op.maxlen)] : [];
    const fields = Array.from({ length: op.fields }, (_, i) => [`f${i}`, `${n}:${i}`]).flat();
    await r.call('XADD', name, ...trim, '*', ...fields);
    model.set(`${op.db}:${name}`, { value: renderCollection('stream', await r.xrange(name, '-', '+')), expireAt: -1 });
    return;
  }
  const name = `k${op.key}`;
  const cur = model.get(id(op.key));
  switch (op.t) {
    case 'set': {
      const value = `${n}:` + 'v'.repeat(op.size);
      const at = op.ttl ? FAR + n : -1;
      assert.equal(at > 0 ? await r.set(name, value, 'PXAT', at) : await r.set(name, value), 'OK');
      model.set(id(op.key), { value, expireAt: at });
      return;
    }
    case 'del':
      assert.equal(await r.del(name), cur ? 1 : 0);
      model.delete(id(op.key));
      return;
    case 'append': {
      const more = 'a'.repeat(op.size);
      const len = await r.append(name, more);
      const value = (cur?.value ?? '') + more;
      assert.equal(len, value.length);
      model.set(id(op.key), { value, expireAt: cur?.expireAt ?? -1 });
      return;
    }
    case 'incr': {
      if (cur && !/^(0|-?[1-9][0-9]{0,17})$/.test(cur.value)) {
        await assert.rejects(r.incr(name), /not an integer/);
        return;
      }
      const next = BigInt(cur?.value ?? '0') + 1n;
      assert.equal(String(await r.incr(name)), String(next));
      model.set(id(op.key), { value: String(next), expireAt: cur?.expireAt ?? -1 });
      return;
    }
    case 'setbit': {
      const old = Buffer.from(cur?.value ?? '', 'latin1');
      const buf = Buffer.alloc(Math.max(old.length, op.byte + 1));
      old.copy(buf);
      const mask = 1 << (7 - op.bit);
      assert.equal(await r.setbit(name, op.byte * 8 + op.bit, op.on), buf[op.byte]! & mask ? 1 : 0);
      buf[op.byte] = op.on === 1 ? buf[op.byte]! | mask : buf[op.byte]! & ~mask;
      model.set(id(op.key), { value: buf.toString('latin1'), expireAt: cur?.expireAt ?? -1 });
      return;
    }
    case 'expire':
      assert.equal(await r.pexpireat(name, FAR + op.at), cur ? 1 : 0);
      if (cur) cur.expireAt = FAR + op.at;
      return;
    case 'persist':
      assert.equal(await r.persist(name), cur && cur.expireAt > 0 ? 1 : 0);
      if (cur) cur.expireAt = -1;
      return;
    case 'rename': {
      const to = `k${op.to}`;
      if (!cur) {
        await assert.rejects(r.rename(name, to), /no such key/);
        return;
      }
      assert.equal(await r.rename(name, to), 'OK');
      model.delete(id(op.key));
      model.set(id(op.to), cur);
      return;
    }
  }
}

test('random commands, snapshots and kills agree with the model after every restart', async () => {
  const seed = testSeed('snapshot model');
  let runs = 0;
  let kills = 0;
  let snapshots = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40 }), async (ops) => {
      runs++;
      let srv: ServerHandle = await startServer();
      const dir = srv.dir;
      const model = new Map<string, KeyState>();
      try {
        let r = srv.client();
        let n = 0;
        for (const op of ops) {
          n++;
          if (op.t === 'kill') {
            await srv.kill();
            kills++;
            srv = await startServer({ dir });
            r = srv.client();
            assert.deepEqual(sorted(await dumpKeyspace(r, 4)), sorted(model), `after kill #${n}`);
          } else if (op.t === 'save') {
            // As in Redis, SAVE refuses while a BGSAVE runs.
            await r.save().then(
              (ok) => assert.equal(ok, 'OK'),
              (e: Error) => assert.match(e.message, /already in progress/),
            );
            snapshots++;
          } else if (op.t === 'bgsave') {
            await r.bgsave().catch((e: Error) => assert.match(e.message, /already in progress/));
            snapshots++;
          } else {
            await apply(r, model, op, n);
          }
        }
        await srv.kill();
        srv = await startServer({ dir });
        assert.deepEqual(sorted(await dumpKeyspace(srv.client(), 4)), sorted(model), 'after the final kill');
      } finally {
        await srv.kill();
        cleanup(dir);
      }
    }),
    { seed, numRuns: 12 },
  );
  assert.equal(runs, 12);
  assert.ok(kills > 0 && snapshots > 0, `the runs exercised ${kills} kills and ${snapshots} snapshots`);
});
