/**
 * Arena compaction driven through the keyspace (`Keyspace.compact`,
 * `Db.relocate`): live entries move out of sparse pages while every key
 * reads back the same value, expiry, spare capacity and collection image;
 * the byte budget; dirty marks on the pages written and freed; large values
 * on pages of their own. Random contents come from a seeded PRNG whose seed
 * is printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keyspace } from '../../../src/store/keyspace.js';
import { type Arena, Entry, FLAG_DEAD, LARGE_ENTRY_BYTES, PAGE_SIZE } from '../../../src/store/arena.js';
import { HashValue, decodeCollection } from '../../../src/store/collections.js';
import { prng, testSeed } from '../../helpers/random.js';

const NOW = 1_700_000_000_000;

function keyspace(): Keyspace {
  return new Keyspace(2, { onExpired: () => assert.fail('nothing expires in these tests') }, () => NOW);
}

/** What a key should read back as. */
interface Expect {
  db: number;
  value: Buffer;
  expireAt: number;
  /** Fields and values of a hash (the value is then its image as written). */
  hash?: [string, string][];
}

/** Every page walks by entry sizes to its used bytes, and its live bytes are its live entries'. */
function assertPagesWalk(arena: Arena): void {
  arena.pages.forEach((page, id) => {
    if (page === undefined) return;
    let off = 0;
    let live = 0;
    while (off < arena.used[id]!) {
      const size = Entry.size(page, off);
      if ((Entry.flags(page, off) & FLAG_DEAD) === 0) live += size;
      off += size;
    }
    assert.equal(off, arena.used[id], `page ${id} walks to its used bytes`);
    assert.equal(live, arena.live[id], `page ${id} live bytes`);
  });
}

function assertReadsBack(ks: Keyspace, expected: Map<string, Expect>): void {
  for (const [key, want] of expected) {
    const db = ks.dbs[want.db]!;
    const slot = db.findSlot(Buffer.from(key));
    assert.ok(slot >= 0, `${key} is still there`);
    assert.equal(db.expireAt(slot), want.expireAt, `${key} expiry`);
    if (want.hash === undefined) {
      assert.ok(db.value(slot).equals(want.value), `${key} value`);
      continue;
    }
    const c = db.collection(slot) as HashValue;
    assert.deepEqual(
      c.fields.map((f) => [f, c.get(f)]),
      want.hash,
      `${key} collection`,
    );
    // The image in the moved entry (after the 8-byte handle header) decodes to the same hash.
    const image = decodeCollection(db.type(slot), db.value(slot).subarray(8)) as HashValue;
    assert.deepEqual(
      image.fields.map((f) => [f, image.get(f)]),
      want.hash,
      `${key} image`,
    );
    assert.equal(db.value(slot).readUInt32LE(0), c.handle, `${key} entry names its collection`);
  }
  assert.equal(ks.keyCount, expected.size);
}

/**
 * Writes a mix of keys into both databases: strings of 10 to 3000 bytes,
 * some with an expiry, some grown (given a capacity field), and hashes
 * with their images written; then deletes about three in four.
 */
function sparseKeyspace(seed: number): { ks: Keyspace; expected: Map<string, Expect> } {
  const rnd = prng(seed);
  const ks = keyspace();
  const expected = new Map<string, Expect>();
  for (let i = 0; i < 4000; i++) {
    const key = `k${i}`;
    const db = ks.dbs[i % 11 === 0 ? 1 : 0]!;
    const value = Buffer.alloc(10 + Math.floor(rnd() * 3000), i & 0xff);
    const expireAt = i % 5 === 0 ? NOW + 1_000_000 + i : 0;
    db.setString(Buffer.from(key), value, expireAt);
    let stored = value;
    if (i % 7 === 0) {
      const extra = Buffer.alloc(8 + Math.floor(rnd() * 100), 0xee);
      db.resizeString(db.findSlot(Buffer.from(key)), value.length + extra.length).set(extra, value.length);
      stored = Buffer.concat([value, extra]);
    }
    expected.set(key, { db: db.id, value: stored, expireAt });
  }
  for (let i = 0; i < 300; i++) {
    const key = `h${i}`;
    const h = new HashValue();
    const fields: [string, string][] = [];
    for (let f = 0; f < 1 + (i % 5); f++) {
      h.set(`f${f}`, `v${i}.${f}`);
      fields.push([`f${f}`, `v${i}.${f}`]);
    }
    ks.dbs[0]!.setCollection(Buffer.from(key), h, i % 3 === 0 ? NOW + 5_000_000 : 0, -1);
    expected.set(key, { db: 0, value: Buffer.alloc(0), expireAt: i % 3 === 0 ? NOW + 5_000_000 : 0, hash: fields });
  }
  assert.equal(ks.writeImages(), 300);
  for (const [key, want] of [...expected]) {
    if (rnd() < 0.75) {
      assert.equal(ks.dbs[want.db]!.delete(Buffer.from(key)), true);
      expected.delete(key);
    }
  }
  return { ks, expected };
}

test('compaction empties every sparse page; values, expiries, spare room and collection images survive', () => {
  const seed = testSeed('compaction contents');
  const { ks, expected } = sparseKeyspace(seed);
  const arena = ks.arena;
  assertReadsBack(ks, expected);
  const liveBefore = arena.liveBytes;
  const pagesBefore = arena.pageCount;
  const garbageBefore = arena.garbageBytes;
  const buffers = new Map(arena.pages.flatMap((p, id) => (p === undefined ? [] : [[p, arena.live[id]!] as const])));
  assert.ok(arena.compactionCandidate(0) >= 0, 'the setup leaves sparse pages');
  const moved = ks.compact(Number.POSITIVE_INFINITY);
  const gone = [...buffers].filter(([p]) => !arena.pages.includes(p));
  assert.ok(gone.length >= 2, `${gone.length} pages compacted`);
  // Entries moved into a head that is later compacted in the same call move twice, so at least.
  const liveOfGone = gone.reduce((n, [, live]) => n + live, 0);
  assert.ok(moved >= liveOfGone, `moved ${moved} bytes, the emptied pages held ${liveOfGone}`);
  assert.equal(arena.liveBytes, liveBefore, 'moving changes no live total');
  assert.equal(arena.compactionCandidate(0), -1, 'no page is left to compact');
  assert.ok(arena.pageCount < pagesBefore, `pages ${pagesBefore} -> ${arena.pageCount}`);
  assert.ok(arena.garbageBytes < garbageBefore / 2, `garbage ${garbageBefore} -> ${arena.garbageBytes}`);
  assertPagesWalk(arena);
  assertReadsBack(ks, expected);
  assert.equal(ks.compact(Number.POSITIVE_INFINITY), 0, 'a second pass finds nothing');
  // A grown string keeps its spare room: growing it by a byte allocates nothing.
  const key = [...expected.keys()].find((k) => k.startsWith('k') && Number(k.slice(1)) % 7 === 0)!;
  const want = expected.get(key)!;
  const db = ks.dbs[want.db]!;
  const grown = db.resizeString(db.findSlot(Buffer.from(key)), want.value.length + 1);
  grown[want.value.length] = 0x77;
  assert.equal(arena.liveBytes, liveBefore, `${key} grew within its capacity`);
  assert.ok(db.value(db.findSlot(Buffer.from(key))).equals(Buffer.concat([want.value, Buffer.from([0x77])])));
});

test('compact(budget) finishes the page that reaches the budget, and the next call goes on with another', () => {
  const ks = keyspace();
  const db = ks.dbs[0]!;
  const value = Buffer.alloc(1000, 1);
  for (let i = 0; i < 6000; i++) db.setString(Buffer.from(`b${i}`), value, 0);
  for (let i = 0; i < 6000; i++) if (i % 4 !== 0) db.delete(Buffer.from(`b${i}`));
  const arena = ks.arena;
  const liveByPage = (): Map<Buffer, number> =>
    new Map(arena.pages.flatMap((p, id) => (p === undefined ? [] : [[p, arena.live[id]!] as const])));
  const compacted = new Set<Buffer>();
  for (let step = 0; ; step++) {
    assert.ok(step < 20, 'compaction ends');
    const before = liveByPage();
    const moved = ks.compact(1);
    if (moved === 0) break;
    const after = liveByPage();
    const gone = [...before.keys()].filter((p) => !after.has(p));
    assert.equal(gone.length, 1, `step ${step}: one page per call`);
    assert.ok(!compacted.has(gone[0]!), 'a page not compacted before');
    assert.equal(moved, before.get(gone[0]!), 'its live bytes moved');
    compacted.add(gone[0]!);
  }
  assert.ok(compacted.size >= 4, `${compacted.size} pages compacted one call at a time`);
  assert.equal(arena.compactionCandidate(0), -1);
  for (let i = 0; i < 6000; i += 4) assert.ok(db.value(db.findSlot(Buffer.from(`b${i}`))).equals(value));
});

test('compaction marks the pages it writes and frees dirty, and leaves dense pages clean', () => {
  const ks = keyspace();
  const db = ks.dbs[0]!;
  const value = Buffer.alloc(1000, 2);
  for (let i = 0; i < 1000; i++) db.setString(Buffer.from(`dense${i}`), value, 0);
  for (let i = 0; i < 4000; i++) db.setString(Buffer.from(`s${i}`), value, 0);
  for (let i = 0; i < 4000; i++) if (i % 5 !== 0) db.delete(Buffer.from(`s${i}`));
  const arena = ks.arena;
  const before = arena.pages.map((p) => p);
  arena.dirty.fill(0);
  ks.compact(Number.POSITIVE_INFINITY);
  let freed = 0;
  let clean = 0;
  before.forEach((p, id) => {
    if (p === undefined) return;
    if (arena.pages[id] !== p) {
      freed++;
      assert.equal(arena.dirty[id], 1, `page ${id} was compacted and is dirty`);
    } else if (id !== arena.head) {
      clean++;
      assert.equal(arena.dirty[id], 0, `page ${id} was left alone and is clean`);
    }
  });
  assert.ok(freed >= 2 && clean >= 1, `${freed} compacted, ${clean} left alone`);
  assert.equal(arena.dirty[arena.head], 1, 'the head took the moved entries');
});

test('a large value keeps its own page through compaction, and its page goes when it is deleted', () => {
  const ks = keyspace();
  const db = ks.dbs[0]!;
  const big = Buffer.alloc(LARGE_ENTRY_BYTES + 1000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  for (let i = 0; i < 2000; i++) db.setString(Buffer.from(`x${i}`), Buffer.alloc(1000, 3), 0);
  db.setString(Buffer.from('big'), big, NOW + 60_000);
  for (let i = 0; i < 2000; i++) if (i % 3 !== 0) db.delete(Buffer.from(`x${i}`));
  const page = db.value(db.findSlot(Buffer.from('big'))).buffer;
  const arena = ks.arena;
  const largeId = arena.pages.findIndex((p) => p?.buffer === page);
  assert.ok(arena.pages[largeId]!.length > LARGE_ENTRY_BYTES && arena.pages[largeId]!.length < PAGE_SIZE);
  assert.ok(ks.compact(Number.POSITIVE_INFINITY) > 0);
  const slot = db.findSlot(Buffer.from('big'));
  assert.equal(db.value(slot).buffer, page, 'not moved');
  assert.ok(db.value(slot).equals(big));
  assert.equal(db.expireAt(slot), NOW + 60_000);
  const [pages, allocated] = [arena.pageCount, arena.allocatedBytes];
  const size = arena.pages[largeId]!.length;
  assert.equal(db.delete(Buffer.from('big')), true);
  assert.ok(arena.pages[largeId] === undefined);
  assert.deepEqual([arena.pageCount, arena.allocatedBytes], [pages - 1, allocated - size]);
});
