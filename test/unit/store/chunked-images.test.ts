/**
 * Property test of chunked collection images (docs/FORMAT.md, "Chunked
 * collection image"): random changes to a large hash, list, set and sorted
 * set,
 * interleaved with partial encoding ahead of a freeze
 * (`Keyspace.writeChunksAhead`), compaction, key deletion and re-creation,
 * and snapshots (the freeze's `writeImages`, then the pages installed into a
 * fresh keyspace, which the test continues with half the time), must load
 * back exactly what a model holds. Seed printed; rerun with
 * FLASHCACHE_TEST_SEED.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Keyspace } from '../../../src/store/keyspace.js';
import type { SnapshotPage } from '../../../src/store/load.js';
import { CHUNKED_MIN_POSITIONS, HashValue, ListValue, SetValue, ZSetValue } from '../../../src/store/collections.js';
import { testSeed } from '../../helpers/random.js';

const N = CHUNKED_MIN_POSITIONS + 1000;
const H = Buffer.from('h');
const L = Buffer.from('l');
const S = Buffer.from('s');
const Z = Buffer.from('z');

interface Model {
  h: Map<string, string>;
  l: string[];
  s: Set<string>;
  z: Map<string, number>;
}

type Which = 'h' | 'l' | 's' | 'z';

type Op =
  | { t: 'hset'; f: number; v: number }
  | { t: 'hdel'; f: number }
  | { t: 'push'; left: boolean; v: number; n: number }
  | { t: 'pop'; left: boolean; n: number }
  | { t: 'lset'; i: number; v: number }
  | { t: 'linsert'; i: number; v: number }
  | { t: 'lremove'; i: number }
  | { t: 'lrem'; v: number }
  | { t: 'ltrim'; keep: number }
  | { t: 'sadd'; m: number }
  | { t: 'srem'; m: number }
  | { t: 'zadd'; m: number; score: number }
  | { t: 'zrem'; m: number }
  | { t: 'zpopmin'; n: number }
  | { t: 'recreate'; which: Which }
  | { t: 'ahead'; us: number }
  | { t: 'compact' }
  | { t: 'snapshot'; reload: boolean };

const idx = fc.integer({ min: 0, max: N + 2000 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('hset' as const), f: idx, v: fc.nat(99) }),
  fc.record({ t: fc.constant('hdel' as const), f: idx }),
  fc.record({
    t: fc.constant('push' as const),
    left: fc.boolean(),
    v: fc.nat(99),
    n: fc.integer({ min: 1, max: 300 }),
  }),
  fc.record({ t: fc.constant('pop' as const), left: fc.boolean(), n: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ t: fc.constant('lset' as const), i: idx, v: fc.nat(99) }),
  fc.record({ t: fc.constant('linsert' as const), i: idx, v: fc.nat(99) }),
  fc.record({ t: fc.constant('lremove' as const), i: idx }),
  fc.record({ t: fc.constant('lrem' as const), v: fc.nat(99) }),
  fc.record({ t: fc.constant('ltrim' as const), keep: fc.integer({ min: 0, max: N }) }),
  fc.record({ t: fc.constant('sadd' as const), m: idx }),
  fc.record({ t: fc.constant('srem' as const), m: idx }),
  fc.record({ t: fc.constant('zadd' as const), m: idx, score: fc.integer({ min: -50, max: 50 }) }),
  fc.record({ t: fc.constant('zrem' as const), m: idx }),
  fc.record({ t: fc.constant('zpopmin' as const), n: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ t: fc.constant('recreate' as const), which: fc.constantFrom<Which>('h', 'l', 's', 'z') }),
  fc.record({ t: fc.constant('ahead' as const), us: fc.integer({ min: 0, max: 3000 }) }),
  fc.record({ t: fc.constant('compact' as const) }),
  fc.record({ t: fc.constant('snapshot' as const), reload: fc.boolean() }),
);

const value = (v: number): string => `value-${v}-`.padEnd(20 + (v % 40), 'x');

function keyspace(): Keyspace {
  return new Keyspace(1, { onExpired: () => {} }, () => 1_700_000_000_000);
}

/** Creates the three collections, each of `N` elements, in `ks` and the model. */
function create(ks: Keyspace, m: Model, which: Which): void {
  const db = ks.dbs[0]!;
  if (which === 'h') {
    const h = new HashValue();
    m.h = new Map();
    for (let i = 0; i < N; i++) {
      h.set(`f${i}`, value(i));
      m.h.set(`f${i}`, value(i));
    }
    db.setCollection(H, h, 0, db.findSlot(H));
  } else if (which === 'l') {
    const l = new ListValue();
    m.l = [];
    for (let i = 0; i < N; i++) {
      l.pushRight(value(i));
      m.l.push(value(i));
    }
    db.setCollection(L, l, 0, db.findSlot(L));
  } else if (which === 'z') {
    const z = new ZSetValue();
    m.z = new Map();
    for (let i = 0; i < N; i++) {
      z.set(`m${i}`, i % 100);
      m.z.set(`m${i}`, i % 100);
    }
    db.setCollection(Z, z, 0, db.findSlot(Z));
  } else {
    const s = new SetValue();
    m.s = new Set();
    for (let i = 0; i < N; i++) {
      s.add(`m${i}`);
      m.s.add(`m${i}`);
    }
    db.setCollection(S, s, 0, db.findSlot(S));
  }
}

/** The freeze's work, then the pages as a snapshot holds them, installed into a fresh keyspace. */
function snapshotAndLoad(ks: Keyspace): Keyspace {
  ks.renumberEntries();
  ks.writeImages();
  const pages: SnapshotPage[] = [];
  ks.arena.pages.forEach((page, id) => {
    if (page === undefined) return;
    const buf = Buffer.allocUnsafeSlow(page.length);
    page.copy(buf);
    pages.push({ id, buf, used: ks.arena.used[id]! });
  });
  const loaded = keyspace();
  loaded.install(pages, ks.arena.head);
  return loaded;
}

function assertEqualsModel(ks: Keyspace, m: Model): void {
  const db = ks.dbs[0]!;
  const h = db.collection(db.findSlot(H)) as HashValue;
  assert.equal(h.size, m.h.size, 'hash size');
  for (const [f, v] of m.h) assert.equal(h.get(f), v, `hash field ${f}`);
  const l = db.collection(db.findSlot(L)) as ListValue;
  assert.deepEqual(
    Array.from({ length: l.size }, (_, i) => l.at(i)),
    m.l,
    'list',
  );
  const s = db.collection(db.findSlot(S)) as SetValue;
  assert.equal(s.size, m.s.size, 'set size');
  for (const x of m.s) assert.ok(s.has(x), `set member ${x}`);
  const z = db.collection(db.findSlot(Z)) as ZSetValue;
  const want = [...m.z].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const got: [string, number][] = [];
  for (let n = z.list.first; n !== null; n = n.next[0]!) got.push([n.member, n.score]);
  assert.deepEqual(got, want, 'sorted set, in order');
  assert.equal(z.dense.length, want.length, 'sorted set dense array');
  z.dense.forEach((n, i) => assert.equal(n.denseIndex, i, 'dense index'));
  assert.equal(z.list.rank(want[want.length >> 1]![1], want[want.length >> 1]![0]), (want.length >> 1) + 1, 'rank');
}

function apply(ks: Keyspace, m: Model, o: Op): Keyspace {
  const db = ks.dbs[0]!;
  const h = (): HashValue => db.collection(db.findSlot(H)) as HashValue;
  const l = (): ListValue => db.collection(db.findSlot(L)) as ListValue;
  const s = (): SetValue => db.collection(db.findSlot(S)) as SetValue;
  const z = (): ZSetValue => db.collection(db.findSlot(Z)) as ZSetValue;
  switch (o.t) {
    case 'hset':
      h().set(`f${o.f}`, value(o.v));
      m.h.set(`f${o.f}`, value(o.v));
      break;
    case 'hdel':
      if (m.h.size > 1) {
        h().delete(`f${o.f}`);
        m.h.delete(`f${o.f}`);
      }
      break;
    case 'push':
      for (let k = 0; k < o.n; k++) {
        const v = value(o.v + k);
        if (o.left) {
          l().pushLeft(v);
          m.l.unshift(v);
        } else {
          l().pushRight(v);
          m.l.push(v);
        }
      }
      break;
    case 'pop':
      for (let k = 0; k < o.n && m.l.length > 1; k++) {
        if (o.left) assert.equal(l().popLeft(), m.l.shift());
        else assert.equal(l().popRight(), m.l.pop());
      }
      break;
    case 'lset':
      if (m.l.length > 0) {
        l().setAt(o.i % m.l.length, value(o.v));
        m.l[o.i % m.l.length] = value(o.v);
      }
      break;
    case 'linsert': {
      const i = o.i % (m.l.length + 1);
      l().insertAt(i, value(o.v));
      m.l.splice(i, 0, value(o.v));
      break;
    }
    case 'lremove':
      if (m.l.length > 1) {
        const i = o.i % m.l.length;
        l().removeAt(i);
        m.l.splice(i, 1);
      }
      break;
    case 'lrem': {
      const v = value(o.v);
      const keep = m.l.filter((x) => x !== v);
      if (keep.length > 0) {
        l().removeEqual(v, 0, o.v % 2 === 0);
        m.l = keep;
      }
      break;
    }
    case 'ltrim':
      if (o.keep > 0 && o.keep < m.l.length) {
        l().trim(0, o.keep - 1);
        m.l = m.l.slice(0, o.keep);
      }
      break;
    case 'sadd':
      s().add(`m${o.m}`);
      m.s.add(`m${o.m}`);
      break;
    case 'srem':
      if (m.s.size > 1) {
        s().delete(`m${o.m}`);
        m.s.delete(`m${o.m}`);
      }
      break;
    case 'zadd':
      z().set(`m${o.m}`, o.score);
      m.z.set(`m${o.m}`, o.score);
      break;
    case 'zrem':
      if (m.z.size > 1) {
        z().delete(`m${o.m}`);
        m.z.delete(`m${o.m}`);
      }
      break;
    case 'zpopmin':
      for (let k = 0; k < o.n && m.z.size > 1; k++) {
        const first = z().list.first!;
        z().delete(first.member);
        m.z.delete(first.member);
      }
      break;
    case 'recreate':
      create(ks, m, o.which);
      break;
    case 'ahead':
      ks.writeChunksAhead(performance.now() + o.us / 1000);
      break;
    case 'compact':
      ks.compact(4 * 1024 * 1024);
      break;
    case 'snapshot': {
      const loaded = snapshotAndLoad(ks);
      assertEqualsModel(loaded, m);
      return o.reload ? loaded : ks;
    }
  }
  return ks;
}

test('random changes to large collections across snapshots load back as the model holds them', () => {
  const seed = testSeed('chunked images');
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
      let ks = keyspace();
      const m: Model = { h: new Map(), l: [], s: new Set(), z: new Map() };
      for (const w of ['h', 'l', 's', 'z'] as const) create(ks, m, w);
      for (const o of ops) ks = apply(ks, m, o);
      assertEqualsModel(snapshotAndLoad(ks), m);
    }),
    { seed, numRuns: 60 },
  );
});
