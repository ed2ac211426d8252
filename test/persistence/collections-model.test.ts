/**
 * Property test for collections: random sequences of hash, list, set and
 * sorted-set commands (with WRONGTYPE collisions, renames, copies, expiries,
 * snapshots and SIGKILLs) leave, before and after every restart, exactly the
 * keyspace a reference model holds when fed the acknowledged commands.
 * Seed printed; rerun with FLASHCACHE_TEST_SEED.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { cleanup, startServer, type ServerHandle } from '../helpers/server.js';
import { dumpKeyspace, renderCollection, sorted, type KeyState } from '../helpers/keyspace.js';
import { testSeed } from '../helpers/random.js';

const FAR = 4102444800000; // 2100-01-01: absolute, so the model knows every expiry exactly

type Val =
  | { type: 'hash'; m: Map<string, string> }
  | { type: 'list'; a: string[] }
  | { type: 'set'; s: Set<string> }
  | { type: 'zset'; z: Map<string, number> };
interface Item {
  v: Val;
  expireAt: number;
}
type Model = Map<string, Item>;

type Op =
  | { t: 'hset'; db: number; key: number; field: number; size: number }
  | { t: 'hbulk'; db: number; key: number; n: number }
  | { t: 'hdel'; db: number; key: number; field: number }
  | { t: 'hincrby'; db: number; key: number; field: number; by: number }
  | { t: 'push'; db: number; key: number; left: boolean; vals: number[] }
  | { t: 'lbulk'; db: number; key: number; n: number }
  | { t: 'pop'; db: number; key: number; left: boolean; count: number }
  | { t: 'lrem'; db: number; key: number; count: number; val: number }
  | { t: 'ltrim'; db: number; key: number; start: number; stop: number }
  | { t: 'sadd'; db: number; key: number; members: number[] }
  | { t: 'srem'; db: number; key: number; member: number }
  | { t: 'spop'; db: number; key: number; count: number }
  | { t: 'smove'; db: number; key: number; to: number; member: number }
  | { t: 'zadd'; db: number; key: number; score: number; member: number }
  | { t: 'zincrby'; db: number; key: number; by: number; member: number }
  | { t: 'zrem'; db: number; key: number; member: number }
  | { t: 'zpopmin'; db: number; key: number; count: number }
  | { t: 'zremrank'; db: number; key: number; start: number; stop: number }
  | { t: 'del'; db: number; key: number }
  | { t: 'rename'; db: number; key: number; to: number }
  | { t: 'copy'; db: number; key: number; to: number }
  | { t: 'expire'; db: number; key: number; at: number }
  | { t: 'save' }
  | { t: 'bgsave' }
  | { t: 'kill' };

const db = fc.integer({ min: 0, max: 1 });
const key = fc.integer({ min: 0, max: 5 });
const small = fc.integer({ min: 0, max: 7 });
const rec = <T extends Record<string, unknown>>(t: string, fields: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
  fc.record({ t: fc.constant(t), ...fields }) as unknown as fc.Arbitrary<Op>;
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: rec('hset', {
      db,
      key,
      field: small,
      size: fc.oneof(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 1000, max: 5000 })),
    }),
  },
  { weight: 1, arbitrary: rec('hbulk', { db, key, n: fc.integer({ min: 100, max: 600 }) }) },
  { weight: 2, arbitrary: rec('hdel', { db, key, field: small }) },
  { weight: 2, arbitrary: rec('hincrby', { db, key, field: small, by: fc.integer({ min: -5, max: 5 }) }) },
  {
    weight: 5,
    arbitrary: rec('push', { db, key, left: fc.boolean(), vals: fc.array(small, { minLength: 1, maxLength: 3 }) }),
  },
  { weight: 1, arbitrary: rec('lbulk', { db, key, n: fc.integer({ min: 500, max: 3000 }) }) },
  { weight: 3, arbitrary: rec('pop', { db, key, left: fc.boolean(), count: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: rec('lrem', { db, key, count: fc.integer({ min: -2, max: 2 }), val: small }) },
  {
    weight: 1,
    arbitrary: rec('ltrim', { db, key, start: fc.integer({ min: -4, max: 4 }), stop: fc.integer({ min: -4, max: 4 }) }),
  },
  { weight: 5, arbitrary: rec('sadd', { db, key, members: fc.array(small, { minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: rec('srem', { db, key, member: small }) },
  { weight: 2, arbitrary: rec('spop', { db, key, count: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: rec('smove', { db, key, to: key, member: small }) },
  { weight: 5, arbitrary: rec('zadd', { db, key, score: fc.integer({ min: -3, max: 3 }), member: small }) },
  { weight: 2, arbitrary: rec('zincrby', { db, key, by: fc.integer({ min: -3, max: 3 }), member: small }) },
  { weight: 2, arbitrary: rec('zrem', { db, key, member: small }) },
  { weight: 1, arbitrary: rec('zpopmin', { db, key, count: fc.integer({ min: 1, max: 2 }) }) },
  {
    weight: 1,
    arbitrary: rec('zremrank', {
      db,
      key,
      start: fc.integer({ min: -3, max: 3 }),
      stop: fc.integer({ min: -3, max: 3 }),
    }),
  },
  { weight: 2, arbitrary: rec('del', { db, key }) },
  { weight: 2, arbitrary: rec('rename', { db, key, to: key }) },
  { weight: 1, arbitrary: rec('copy', { db, key, to: key }) },
  { weight: 1, arbitrary: rec('expire', { db, key, at: fc.integer({ min: 1, max: 1000 }) }) },
  { weight: 2, arbitrary: fc.constant({ t: 'save' } as Op) },
  { weight: 2, arbitrary: fc.constant({ t: 'bgsave' } as Op) },
  { weight: 2, arbitrary: fc.constant({ t: 'kill' } as Op) },
);

/** The model rendered as {@link dumpKeyspace} renders the server. */
function render(model: Model): Map<string, KeyState> {
  const out = new Map<string, KeyState>();
  for (const [k, { v, expireAt }] of model) {
    let value: string;
    if (v.type === 'hash')
      value = renderCollection(
        'hash',
        [...v.m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
      );
    else if (v.type === 'list') value = renderCollection('list', v.a);
    else if (v.type === 'set') value = renderCollection('set', [...v.s].sort());
    else
      value = renderCollection(
        'zset',
        [...v.z.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
      );
    out.set(k, { value, expireAt });
  }
  return out;
}

function size(v: Val): number {
  return v.type === 'hash' ? v.m.size : v.type === 'list' ? v.a.length : v.type === 'set' ? v.s.size : v.z.size;
}

function cloneVal(v: Val): Val {
  if (v.type === 'hash') return { type: 'hash', m: new Map(v.m) };
  if (v.type === 'list') return { type: 'list', a: [...v.a] };
  if (v.type === 'set') return { type: 'set', s: new Set(v.s) };
  return { type: 'zset', z: new Map(v.z) };
}

/** Clamps Redis-style start/stop indexes to an inclusive 0-based range; null when empty. */
function range(start: number, stop: number, n: number): [number, number] | null {
  if (start < 0) start = Math.max(0, n + start);
  if (stop < 0) stop = n + stop;
  if (stop >= n) stop = n - 1;
  return start > stop || start >= n ? null : [start, stop];
}

const WRONGTYPE = /WRONGTYPE/;

/** Applies `op` to the server and the model; asserts the reply the model predicts. */
async function apply(
  r: Redis,
  model: Model,
  op: Exclude<Op, { t: 'save' | 'bgsave' | 'kill' }>,
  n: number,
): Promise<void> {
  await r.select(op.db);
  const name = `k${op.key}`;
  const id = (k: number): string => `${op.db}:k${k}`;
  const cur = model.get(id(op.key));
  /** The value of entry `it` if it has `type`; 'wrong' when it holds another type. */
  const typed = <T extends Val['type']>(
    type: T,
    it: ReturnType<Model['get']>,
  ): Extract<Val, { type: T }> | undefined | 'wrong' => {
    if (it === undefined) return undefined;
    return it.v.type === type ? (it.v as Extract<Val, { type: T }>) : 'wrong';
  };
  /** The operated key's value if it has `type`; 'wrong' when it holds another type. */
  const as = <T extends Val['type']>(type: T): Extract<Val, { type: T }> | undefined | 'wrong' => typed(type, cur);
  const create = (v: Val): Val => {
    model.set(id(op.key), { v, expireAt: -1 });
    return v;
  };
  const dropIfEmpty = (k = id(op.key)): void => {
    const it = model.get(k);
    if (it && size(it.v) === 0) model.delete(k);
  };
  switch (op.t) {
    case 'hset': {
      const h = as('hash');
      const value = `${n}:` + 'h'.repeat(op.size);
      if (h === 'wrong') return void (await assert.rejects(r.hset(name, `f${op.field}`, value), WRONGTYPE));
      const m = (h ?? (create({ type: 'hash', m: new Map() }) as Extract<Val, { type: 'hash' }>)).m;
      assert.equal(await r.hset(name, `f${op.field}`, value), m.has(`f${op.field}`) ? 0 : 1);
      m.set(`f${op.field}`, value);
      return;
    }
    case 'hbulk': {
      const h = as('hash');
      const args: string[] = [];
      for (let i = 0; i < op.n; i++) args.push(`b${i}`, `${n}-${i}`);
      if (h === 'wrong') return void (await assert.rejects(r.hset(name, ...args), WRONGTYPE));
      const m = (h ?? (create({ type: 'hash', m: new Map() }) as Extract<Val, { type: 'hash' }>)).m;
      let added = 0;
      for (let i = 0; i < args.length; i += 2) {
        if (!m.has(args[i]!)) added++;
        m.set(args[i]!, args[i + 1]!);
      }
      assert.equal(await r.hset(name, ...args), added);
      return;
    }
    case 'hdel': {
      const h = as('hash');
      if (h === 'wrong') return void (await assert.rejects(r.hdel(name, `f${op.field}`), WRONGTYPE));
      assert.equal(await r.hdel(name, `f${op.field}`), h?.m.delete(`f${op.field}`) ? 1 : 0);
      dropIfEmpty();
      return;
    }
    case 'hincrby': {
      const h = as('hash');
      const f = `f${op.field}`;
      if (h === 'wrong') return void (await assert.rejects(r.hincrby(name, f, op.by), WRONGTYPE));
      const old = h?.m.get(f);
      if (old !== undefined && !/^-?(0|[1-9][0-9]*)$/.test(old))
        return void (await assert.rejects(r.hincrby(name, f, op.by), /not an integer/));
      const next = Number(old ?? 0) + op.by;
      assert.equal(await r.hincrby(name, f, op.by), next);
      (h ?? (create({ type: 'hash', m: new Map() }) as Extract<Val, { type: 'hash' }>)).m.set(f, String(next));
      return;
    }
    case 'push':
    case 'lbulk': {
      const l = as('list');
      const vals =
        op.t === 'push'
          ? op.vals.map((v) => `v${v}`)
          : Array.from({ length: op.n }, (_, i) => `${n}:${i}:` + 'x'.repeat(90));
      const left = op.t === 'push' && op.left;
      const call = left ? r.lpush(name, ...vals) : r.rpush(name, ...vals);
      if (l === 'wrong') return void (await assert.rejects(call, WRONGTYPE));
      const a = (l ?? (create({ type: 'list', a: [] }) as Extract<Val, { type: 'list' }>)).a;
      if (left) for (const v of vals) a.unshift(v);
      else a.push(...vals);
      assert.equal(await call, a.length);
      return;
    }
    case 'pop': {
      const l = as('list');
      const call =
        op.count === 0
          ? op.left
            ? r.lpop(name)
            : r.rpop(name)
          : op.left
            ? r.lpop(name, op.count)
            : r.rpop(name, op.count);
      if (l === 'wrong') return void (await assert.rejects(call, WRONGTYPE));
      const got = await call;
      if (l === undefined) return assert.equal(got, null);
      const k = op.count === 0 ? 1 : op.count;
      const taken = op.left ? l.a.splice(0, k) : l.a.splice(Math.max(0, l.a.length - k)).reverse();
      assert.deepEqual(got, op.count === 0 ? taken[0] : taken);
      dropIfEmpty();
      return;
    }
    case 'lrem': {
      const l = as('list');
      const v = `v${op.val}`;
      if (l === 'wrong') return void (await assert.rejects(r.lrem(name, op.count, v), WRONGTYPE));
      let removed = 0;
      if (l !== undefined) {
        const limit = op.count === 0 ? Infinity : Math.abs(op.count);
        const idx = l.a.map((x, i) => (x === v ? i : -1)).filter((i) => i >= 0);
        const pick = op.count < 0 ? idx.reverse() : idx;
        const drop = new Set(pick.slice(0, limit === Infinity ? undefined : limit));
        removed = drop.size;
        l.a = l.a.filter((_, i) => !drop.has(i));
      }
      assert.equal(await r.lrem(name, op.count, v), removed);
      dropIfEmpty();
      return;
    }
    case 'ltrim': {
      const l = as('list');
      if (l === 'wrong') return void (await assert.rejects(r.ltrim(name, op.start, op.stop), WRONGTYPE));
      assert.equal(await r.ltrim(name, op.start, op.stop), 'OK');
      if (l !== undefined) {
        const rg = range(op.start, op.stop, l.a.length);
        l.a = rg === null ? [] : l.a.slice(rg[0], rg[1] + 1);
      }
      dropIfEmpty();
      return;
    }
    case 'sadd': {
      const s = as('set');
      const ms = op.members.map((m) => `m${m}`);
      if (s === 'wrong') return void (await assert.rejects(r.sadd(name, ...ms), WRONGTYPE));
      const set = (s ?? (create({ type: 'set', s: new Set() }) as Extract<Val, { type: 'set' }>)).s;
      const before = set.size;
      for (const m of ms) set.add(m);
      assert.equal(await r.sadd(name, ...ms), set.size - before);
      return;
    }
    case 'srem': {
      const s = as('set');
      if (s === 'wrong') return void (await assert.rejects(r.srem(name, `m${op.member}`), WRONGTYPE));
      assert.equal(await r.srem(name, `m${op.member}`), s?.s.delete(`m${op.member}`) ? 1 : 0);
      dropIfEmpty();
      return;
    }
    case 'spop': {
      const s = as('set');
      if (s === 'wrong') return void (await assert.rejects(r.spop(name, op.count), WRONGTYPE));
      const got = await r.spop(name, op.count);
      if (s === undefined) return assert.deepEqual(got, []);
      assert.equal(got.length, Math.min(op.count, s.s.size));
      for (const m of got) assert.ok(s.s.delete(m), `SPOP returned ${m}, a member`);
      dropIfEmpty();
      return;
    }
    case 'smove': {
      const s = as('set');
      // Not a default parameter: an absent destination must read as absent, not as the source.
      const dst = typed('set', model.get(id(op.to)));
      const m = `m${op.member}`;
      const call = r.smove(name, `k${op.to}`, m);
      if (s === 'wrong' || (dst === 'wrong' && s !== undefined)) return void (await assert.rejects(call, WRONGTYPE));
      // A missing source answers 0 before the destination's type is checked (t_set.c smoveCommand).
      if (s === undefined || !s.s.has(m)) return assert.equal(await call, 0);
      assert.equal(await call, 1);
      if (op.to === op.key) return;
      s.s.delete(m);
      const d =
        dst === undefined || dst === 'wrong' ? ({ type: 'set', s: new Set() } as Extract<Val, { type: 'set' }>) : dst;
      if (dst === undefined) model.set(id(op.to), { v: d, expireAt: -1 });
      d.s.add(m);
      dropIfEmpty();
      return;
    }
    case 'zadd': {
      const z = as('zset');
      const m = `m${op.member}`;
      if (z === 'wrong') return void (await assert.rejects(r.zadd(name, op.score, m), WRONGTYPE));
      const map = (z ?? (create({ type: 'zset', z: new Map() }) as Extract<Val, { type: 'zset' }>)).z;
      assert.equal(await r.zadd(name, op.score, m), map.has(m) ? 0 : 1);
      map.set(m, op.score);
      return;
    }
    case 'zincrby': {
      const z = as('zset');
      const m = `m${op.member}`;
      if (z === 'wrong') return void (await assert.rejects(r.zincrby(name, op.by, m), WRONGTYPE));
      const map = (z ?? (create({ type: 'zset', z: new Map() }) as Extract<Val, { type: 'zset' }>)).z;
      const next = (map.get(m) ?? 0) + op.by;
      assert.equal(Number(await r.zincrby(name, op.by, m)), next);
      map.set(m, next);
      return;
    }
    case 'zrem': {
      const z = as('zset');
      if (z === 'wrong') return void (await assert.rejects(r.zrem(name, `m${op.member}`), WRONGTYPE));
      assert.equal(await r.zrem(name, `m${op.member}`), z?.z.delete(`m${op.member}`) ? 1 : 0);
      dropIfEmpty();
      return;
    }
    case 'zpopmin': {
      const z = as('zset');
      if (z === 'wrong') return void (await assert.rejects(r.zpopmin(name, op.count), WRONGTYPE));
      const order = z === undefined ? [] : [...z.z.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
      const taken = order.slice(0, op.count);
      assert.deepEqual(
        await r.zpopmin(name, op.count),
        taken.flatMap(([m, s]) => [m, String(s)]),
      );
      for (const [m] of taken) z?.z.delete(m);
      dropIfEmpty();
      return;
    }
    case 'zremrank': {
      const z = as('zset');
      if (z === 'wrong') return void (await assert.rejects(r.zremrangebyrank(name, op.start, op.stop), WRONGTYPE));
      let removed = 0;
      if (z !== undefined) {
        const order = [...z.z.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
        const rg = range(op.start, op.stop, order.length);
        if (rg !== null) for (const [m] of order.slice(rg[0], rg[1] + 1)) z.z.delete(m), removed++;
      }
      assert.equal(await r.zremrangebyrank(name, op.start, op.stop), removed);
      dropIfEmpty();
      return;
    }
    case 'del':
      assert.equal(await r.del(name), cur ? 1 : 0);
      model.delete(id(op.key));
      return;
    case 'rename': {
      if (!cur) return void (await assert.rejects(r.rename(name, `k${op.to}`), /no such key/));
      assert.equal(await r.rename(name, `k${op.to}`), 'OK');
      model.delete(id(op.key));
      model.set(id(op.to), cur);
      return;
    }
    case 'copy': {
      if (op.to === op.key) return void (await assert.rejects(r.copy(name, `k${op.to}`), /same/));
      const exists = model.has(id(op.to));
      assert.equal(await r.copy(name, `k${op.to}`), cur && !exists ? 1 : 0);
      if (cur && !exists) model.set(id(op.to), { v: cloneVal(cur.v), expireAt: cur.expireAt });
      return;
    }
    case 'expire':
      assert.equal(await r.pexpireat(name, FAR + op.at), cur ? 1 : 0);
      if (cur) cur.expireAt = FAR + op.at;
      return;
  }
}

test('random collection commands, snapshots and kills agree with the model before and after every restart', async () => {
  const seed = testSeed('collections model');
  let runs = 0;
  let kills = 0;
  let snapshots = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 60 }), async (ops) => {
      runs++;
      let srv: ServerHandle = await startServer();
      const dir = srv.dir;
      const model: Model = new Map();
      try {
        let r = srv.client();
        let n = 0;
        for (const op of ops) {
          n++;
          if (op.t === 'kill') {
            assert.deepEqual(sorted(await dumpKeyspace(r, 2)), sorted(render(model)), `before kill #${n}`);
            await srv.kill();
            kills++;
            srv = await startServer({ dir });
            r = srv.client();
            assert.deepEqual(sorted(await dumpKeyspace(r, 2)), sorted(render(model)), `after kill #${n}`);
          } else if (op.t === 'save') {
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
        assert.deepEqual(sorted(await dumpKeyspace(srv.client(), 2)), sorted(render(model)), 'after the final kill');
      } finally {
        await srv.kill();
        cleanup(dir);
      }
    }),
    { seed, numRuns: 15, endOnFailure: true },
  );
  assert.equal(runs, 15);
  assert.ok(kills > 0 && snapshots > 0, `the runs exercised ${kills} kills and ${snapshots} snapshots`);
});
