/**
 * The keyspace against a plain Map model: random operation sequences
 * (fast-check, seed printed), index growth and shrinking, SCAN coverage,
 * arena compaction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Keyspace } from '../../src/store/keyspace.js';
import { Entry, FLAG_DEAD } from '../../src/store/arena.js';
import { testSeed } from '../helpers/random.js';

function keyspace(now = () => 1_000_000): { ks: Keyspace; expired: string[] } {
  const expired: string[] = [];
  const ks = new Keyspace(4, { onExpired: (db, key) => expired.push(`${db}:${key.toString()}`) }, now);
  // Every resize drains incrementally, so that the model test covers both tables.
  ks.syncResizeSlots = 0;
  return { ks, expired };
}

function contents(ks: Keyspace, db: number): Map<string, string> {
  const out = new Map<string, string>();
  const d = ks.dbs[db]!;
  d.forEachSlot((slot) => out.set(d.key(slot).toString('latin1'), d.value(slot).toString('latin1')));
  return out;
}

/** Every page's entries, walked by their sizes, end exactly at the page's used bytes, and live bytes add up. */
function assertPagesWalk(ks: Keyspace): void {
  const arena = ks.arena;
  arena.pages.forEach((page, id) => {
    if (page === undefined) return;
    let off = 0;
    let live = 0;
    while (off < arena.used[id]!) {
      const size = Entry.size(page, off);
      assert.ok(size > 0 && size % 8 === 0, `page ${id} entry at ${off} has size ${size}`);
      if ((Entry.flags(page, off) & FLAG_DEAD) === 0) live += size;
      off += size;
    }
    assert.equal(off, arena.used[id], `page ${id}: entries end at ${off}, used ${arena.used[id]}`);
    assert.equal(live, arena.live[id], `page ${id}: live bytes`);
  });
}

type Op =
  | { op: 'set'; key: number; len: number }
  | { op: 'del'; key: number }
  | { op: 'append'; key: number; len: number }
  | { op: 'compact' }
  | { op: 'shrink' }
  | { op: 'scan' };

test('random operation sequences agree with a Map model', () => {
  const seed = testSeed('keyspace model');
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant('set' as const),
        key: fc.integer({ min: 0, max: 300 }),
        len: fc.integer({ min: 0, max: 3000 }),
      }),
    },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('del' as const), key: fc.integer({ min: 0, max: 300 }) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('append' as const),
        key: fc.integer({ min: 0, max: 300 }),
        len: fc.integer({ min: 1, max: 500 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('compact' as const) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('shrink' as const) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('scan' as const) }) },
  );
  let runs = 0;
  let longest = 0;
  fc.assert(
    // size 'max': without it fast-check draws at most about ten operations whatever maxLength says.
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 400, size: 'max' }), (ops) => {
      runs++;
      longest = Math.max(longest, ops.length);
      const { ks } = keyspace();
      const db = ks.dbs[1]!;
      const model = new Map<string, string>();
      let n = 0;
      for (const o of ops) {
        const key = 'key' in o ? `key:${'k'.repeat(o.key % 40)}${o.key}` : '';
        if (o.op === 'set') {
          const value = String.fromCharCode(97 + (n++ % 26)).repeat(o.len);
          db.setString(Buffer.from(key), Buffer.from(value), 0);
          model.set(key, value);
        } else if (o.op === 'del') {
          assert.equal(db.delete(Buffer.from(key)), model.delete(key));
        } else if (o.op === 'append') {
          const add = 'z'.repeat(o.len);
          const slot = db.findSlot(Buffer.from(key));
          if (slot < 0) db.setString(Buffer.from(key), Buffer.from(add), 0, -1);
          else {
            const old = db.valueLength(slot);
            db.resizeString(slot, old + add.length).write(add, old, 'latin1');
          }
          model.set(key, (model.get(key) ?? '') + add);
        } else if (o.op === 'compact') {
          ks.compact(Number.POSITIVE_INFINITY);
        } else if (o.op === 'scan') {
          // A full SCAN returns every key (the model is not changing meanwhile).
          const seen = new Set<string>();
          let cursor = 0;
          do {
            const r = db.scan(cursor, 7, null);
            r.keys.forEach((k) => seen.add(k.toString('latin1')));
            cursor = r.cursor;
          } while (cursor !== 0);
          assert.deepEqual([...seen].sort(), [...model.keys()].sort());
        } else {
          db.maybeShrink();
        }
      }
      assert.deepEqual(contents(ks, 1), model);
      assertPagesWalk(ks);
      assert.equal(db.size, model.size);
      assert.equal(ks.arena.liveBytes > 0, model.size > 0);
      // The running live total (what maxmemory is checked against) matches the per-page counts.
      let live = 0;
      ks.arena.pages.forEach((p, id) => (live += p === undefined ? 0 : ks.arena.live[id]!));
      assert.equal(ks.arena.liveBytes, live);
    }),
    { seed, numRuns: 150 },
  );
  assert.equal(runs >= 150, true, `the property ran ${runs} times`);
  assert.ok(longest >= 300, `the longest sequence had ${longest} operations`);
});

test('the index grows and shrinks through many resizes without losing a key', () => {
  const { ks } = keyspace();
  const db = ks.dbs[0]!;
  const N = 200_000;
  for (let i = 0; i < N; i++) db.setString(Buffer.from(`k${i}`), Buffer.from(`v${i}`), 0);
  assert.equal(db.size, N);
  for (let i = 0; i < N; i += 2) assert.equal(db.delete(Buffer.from(`k${i}`)), true);
  for (let i = 0; i < N - 100; i++) if (i % 2 === 1) db.delete(Buffer.from(`k${i}`));
  db.maybeShrink();
  ks.rehashMilliseconds(Number.POSITIVE_INFINITY);
  assert.equal(db.size, 50);
  assert.ok(db.indexBytes < 1024 * 9, `index shrank to ${db.indexBytes} bytes`);
  for (let i = N - 100; i < N; i++) {
    const slot = db.findSlot(Buffer.from(`k${i}`));
    assert.equal(slot >= 0, i % 2 === 1);
    if (slot >= 0) assert.equal(db.value(slot).toString(), `v${i}`);
  }
});

test('SCAN visits every key exactly as a full iteration should, across resizes', () => {
  const { ks } = keyspace();
  const db = ks.dbs[2]!;
  for (let i = 0; i < 5000; i++) db.setString(Buffer.from(`s${i}`), Buffer.from('v'), 0);
  const seen = new Set<string>();
  let cursor = 0;
  let steps = 0;
  do {
    const r = db.scan(cursor, 37, null);
    r.keys.forEach((k) => seen.add(k.toString()));
    cursor = r.cursor;
    // Grow the table mid-iteration: the guarantee must hold across a resize.
    if (steps === 20) for (let i = 0; i < 20000; i++) db.setString(Buffer.from(`extra${i}`), Buffer.from('v'), 0);
    steps++;
  } while (cursor !== 0);
  for (let i = 0; i < 5000; i++) assert.ok(seen.has(`s${i}`), `s${i} was returned`);
});

test('lazy expiry reports each expired key once; the sweep finds the rest', () => {
  let now = 1_000_000;
  const { ks, expired } = keyspace(() => now);
  const db = ks.dbs[3]!;
  for (let i = 0; i < 1000; i++) db.setString(Buffer.from(`t${i}`), Buffer.from('v'), i < 500 ? now + 10 : 0);
  assert.equal(db.volatileCount, 500);
  now += 11;
  assert.equal(db.lookup(Buffer.from('t0')), -1);
  assert.deepEqual(expired, ['3:t0']);
  ks.activeExpire(Number.POSITIVE_INFINITY);
  assert.equal(expired.length, 500);
  assert.equal(db.size, 500);
  assert.equal(db.volatileCount, 0);
  ks.expiryEnabled = false;
  db.setString(Buffer.from('replayed'), Buffer.from('v'), now - 1);
  assert.ok(db.lookup(Buffer.from('replayed')) >= 0, 'no expiry while replaying');
});

test('compaction moves live entries out of sparse pages and frees them', () => {
  const { ks } = keyspace();
  const db = ks.dbs[0]!;
  const value = Buffer.alloc(1000, 'x');
  for (let i = 0; i < 5000; i++) db.setString(Buffer.from(`c${i}`), value, 0);
  const pagesBefore = ks.arena.pageCount;
  for (let i = 0; i < 5000; i++) if (i % 4 !== 0) db.delete(Buffer.from(`c${i}`));
  assert.ok(ks.arena.garbageBytes > 3 * 1024 * 1024);
  ks.compact(Number.POSITIVE_INFINITY);
  assert.ok(ks.arena.pageCount < pagesBefore / 2, `pages ${pagesBefore} -> ${ks.arena.pageCount}`);
  for (let i = 0; i < 5000; i += 4) assert.deepEqual(db.value(db.findSlot(Buffer.from(`c${i}`))), value);
  assert.equal(db.size, 1250);
});

test('a page left empty while it was the head is freed, and compaction always ends', () => {
  const { ks } = keyspace();
  const db = ks.dbs[0]!;
  for (let i = 0; i < 900; i++) db.setString(Buffer.from(`k${i}`), Buffer.alloc(1000, 1), 0);
  db.clear();
  // The old head is empty; a large value moves appends to a new page.
  db.setString(Buffer.from('big'), Buffer.alloc(120_000, 2), 0);
  db.setString(Buffer.from('after'), Buffer.alloc(1000, 3), 0);
  assert.equal(ks.compact(Number.POSITIVE_INFINITY), 0);
  assert.equal(ks.arena.pageCount, 1, 'only the page holding live entries is left');
  assert.equal(db.value(db.findSlot(Buffer.from('big'))).length, 120_000);
});

test('an incremental resize never moves more than a slice of the index per insert, and lookups find keys in both tables', () => {
  const { ks } = keyspace();
  const db = ks.dbs[0]!;
  const N = 300_000;
  let sawDraining = false;
  for (let i = 0; i < N; i++) {
    db.setString(Buffer.from(`r${i}`), Buffer.from(`${i}`), 0);
    if (db.indexBytes > db.capacity * 8) {
      sawDraining = true;
      // Mid-drain, every key so far is still found, in whichever table it is.
      if (i % 997 === 0)
        for (let k = 0; k <= i; k += 101) assert.ok(db.findSlot(Buffer.from(`r${k}`)) >= 0, `r${k} during a resize`);
    }
  }
  assert.ok(sawDraining, 'some resize drained incrementally');
  for (let i = 0; i < N; i++) assert.equal(db.value(db.findSlot(Buffer.from(`r${i}`))).toString(), `${i}`);
});
