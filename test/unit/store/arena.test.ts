/**
 * Arena page accounting (src/store/arena.ts): references, appends to the
 * head page, live and garbage bytes after alloc and release, dirty page
 * marks, large entries on pages of their own, pages freed when nothing live
 * is left, compaction candidates, and a property (fast-check, seed printed)
 * that random alloc/release sequences keep every counter equal to a model.
 * Compaction through the keyspace is in keyspace.test.ts beside this file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  Arena,
  Entry,
  EntryType,
  FLAG_DEAD,
  LARGE_ENTRY_BYTES,
  MAX_PAGES,
  PAGE_SIZE,
  entrySize,
} from '../../../src/store/arena.js';
import { testSeed } from '../../helpers/random.js';

/** Allocates and writes a string entry whose whole size is `size` bytes (a multiple of 8, at least 16). */
function put(arena: Arena, size: number): number {
  const keyLen = 4;
  const valLen = size - 12 - keyLen;
  assert.equal(entrySize(0, keyLen, valLen), size);
  const ref = arena.alloc(size);
  const page = arena.pages[Arena.pageOf(ref)]!;
  Entry.write(page, Arena.offsetOf(ref), EntryType.String, 0, 0, keyLen, valLen, valLen, 0);
  return ref;
}

function isDead(arena: Arena, ref: number): boolean {
  return (Entry.flags(arena.pages[Arena.pageOf(ref)]!, Arena.offsetOf(ref)) & FLAG_DEAD) !== 0;
}

const pageIds = (arena: Arena): number[] => arena.pages.flatMap((p, id) => (p === undefined ? [] : [id]));

test('references pack a page id and an 8-byte aligned offset into an unsigned 32-bit number', () => {
  for (const [page, offset] of [
    [0, 0],
    [5, 1024],
    [1, PAGE_SIZE - 8],
    [MAX_PAGES - 1, PAGE_SIZE - 8],
  ] as const) {
    const ref = Arena.refOf(page, offset);
    assert.ok(ref >= 0 && ref < 2 ** 32);
    assert.equal(Arena.pageOf(ref), page);
    assert.equal(Arena.offsetOf(ref), offset);
  }
  assert.equal(MAX_PAGES, 2 ** 15);
});

test('entries are appended to the head page in order, and every counter follows', () => {
  const arena = new Arena();
  assert.deepEqual([arena.pageCount, arena.allocatedBytes, arena.liveBytes, arena.head], [0, 0, 0, -1]);
  const refs = [put(arena, 24), put(arena, 32), put(arena, 48)];
  assert.deepEqual(
    refs.map((r) => [Arena.pageOf(r), Arena.offsetOf(r)]),
    [
      [0, 0],
      [0, 24],
      [0, 56],
    ],
  );
  assert.equal(arena.head, 0);
  assert.equal(arena.used[0], 104);
  assert.equal(arena.live[0], 104);
  assert.equal(arena.liveBytes, 104);
  assert.equal(arena.pageCount, 1);
  assert.equal(arena.allocatedBytes, PAGE_SIZE);
  assert.equal(arena.garbageBytes, PAGE_SIZE - 104, 'the unused tail counts as garbage');
});

test('release marks the entry dead and moves its bytes from live to garbage, leaving used bytes alone', () => {
  const arena = new Arena();
  const a = put(arena, 64);
  const b = put(arena, 128);
  arena.release(a, 64);
  assert.ok(isDead(arena, a));
  assert.ok(!isDead(arena, b));
  assert.equal(arena.used[0], 192);
  assert.equal(arena.live[0], 128);
  assert.equal(arena.liveBytes, 128);
  assert.equal(arena.garbageBytes, PAGE_SIZE - 128);
});

test('a full page hands appends to a new head and keeps its own used bytes', () => {
  const arena = new Arena();
  const size = 64 * 1024;
  for (let i = 0; i < PAGE_SIZE / size; i++) put(arena, size);
  assert.equal(arena.used[0], PAGE_SIZE, 'entries fill the page exactly');
  assert.equal(arena.head, 0);
  const next = put(arena, 16);
  assert.equal(Arena.pageOf(next), 1);
  assert.equal(Arena.offsetOf(next), 0);
  assert.equal(arena.head, 1);
  assert.equal(arena.used[0], PAGE_SIZE);
  assert.equal(arena.pageCount, 2);
  assert.equal(arena.allocatedBytes, 2 * PAGE_SIZE);
});

test('a page other than the head is freed with its last live entry, and its id is used again', () => {
  const arena = new Arena();
  const size = 64 * 1024;
  const first = Array.from({ length: PAGE_SIZE / size }, () => put(arena, size));
  put(arena, 16);
  first.slice(1).forEach((ref) => arena.release(ref, size));
  assert.ok(arena.pages[0] !== undefined, 'one live entry keeps the page');
  arena.release(first[0]!, size);
  assert.ok(arena.pages[0] === undefined, 'freed');
  assert.deepEqual([arena.used[0], arena.live[0]], [0, 0]);
  assert.deepEqual([arena.pageCount, arena.allocatedBytes, arena.liveBytes], [1, PAGE_SIZE, 16]);
  // The next new page takes the free id.
  for (let i = 0; i < PAGE_SIZE / size; i++) put(arena, size);
  assert.equal(arena.head, 0);
});

test('an emptied head page is kept while appends go to it, and freed once they move on', () => {
  const arena = new Arena();
  const size = 64 * 1024;
  const refs = Array.from({ length: 15 }, () => put(arena, size));
  refs.forEach((r) => arena.release(r, size));
  assert.ok(arena.pages[0] !== undefined, 'the head survives being emptied');
  assert.equal(arena.live[0], 0);
  const again = put(arena, size);
  assert.equal(Arena.pageOf(again), 0, 'appends continue on it');
  arena.release(again, size);
  assert.equal(arena.used[0], PAGE_SIZE);
  const next = put(arena, 16);
  assert.equal(Arena.pageOf(next), 1, 'the full page hands appends to a new head');
  assert.ok(arena.pages[0] === undefined, 'and, holding nothing live, is freed');
  assert.deepEqual([arena.pageCount, arena.allocatedBytes, arena.liveBytes], [1, PAGE_SIZE, 16]);
});

test('entries above half a page get a page of their own, sized exactly, which is never the head', () => {
  const arena = new Arena();
  put(arena, 64);
  const big = LARGE_ENTRY_BYTES + 8;
  const ref = put(arena, big);
  const id = Arena.pageOf(ref);
  assert.notEqual(id, 0);
  assert.equal(Arena.offsetOf(ref), 0);
  assert.equal(arena.pages[id]!.length, big);
  assert.deepEqual([arena.used[id], arena.live[id]], [big, big]);
  assert.equal(arena.head, 0, 'appends stay on the shared page');
  assert.equal(arena.allocatedBytes, PAGE_SIZE + big);
  assert.equal(arena.liveBytes, 64 + big);
  assert.equal(Arena.pageOf(put(arena, 64)), 0);
  // Exactly half a page still shares.
  assert.equal(Arena.pageOf(put(arena, LARGE_ENTRY_BYTES)), 0);
  arena.release(ref, big);
  assert.ok(arena.pages[id] === undefined, 'released, its page goes at once');
  assert.equal(arena.allocatedBytes, PAGE_SIZE);
  assert.equal(arena.liveBytes, 128 + LARGE_ENTRY_BYTES);
});

test('alloc, release, writable and page frees mark pages dirty; other pages stay clean', () => {
  const arena = new Arena();
  const size = 64 * 1024;
  const page0 = Array.from({ length: PAGE_SIZE / size }, () => put(arena, size));
  const page1 = [put(arena, size), put(arena, size)];
  const large = put(arena, LARGE_ENTRY_BYTES + 8);
  const dirty = (): number[] => [...arena.dirty.subarray(0, 4)];
  arena.dirty.fill(0);
  arena.writable(page0[3]!);
  assert.deepEqual(dirty(), [1, 0, 0, 0], 'writable marks the page of the entry');
  arena.dirty.fill(0);
  page1.push(put(arena, 16));
  assert.deepEqual(dirty(), [0, 1, 0, 0], 'an append marks the head');
  arena.dirty.fill(0);
  arena.release(page1[0]!, size);
  assert.deepEqual(dirty(), [0, 1, 0, 0], 'a release marks its page');
  arena.dirty.fill(0);
  arena.release(large, LARGE_ENTRY_BYTES + 8);
  assert.deepEqual(dirty(), [0, 0, 1, 0], 'a freed page is marked, so that a snapshot drops it');
  arena.dirty.fill(0);
  arena.forEachLive(0, () => {});
  void arena.garbageBytes;
  assert.deepEqual(dirty(), [0, 0, 0, 0], 'reading marks nothing');
  // Empty the head, then move appends past it: it is freed without a write of its own, and marked.
  for (let i = 0; i < 13; i++) page1.push(put(arena, size));
  assert.equal(arena.head, 1);
  page1.slice(1).forEach((r) => arena.release(r, r === page1[2] ? 16 : size));
  assert.equal(arena.live[1], 0);
  arena.dirty.fill(0);
  put(arena, size);
  assert.ok(arena.pages[1] === undefined);
  assert.deepEqual(dirty(), [0, 1, 1, 0], 'the freed head and the new head (id 2 again)');
  arena.dirty.fill(0);
  arena.clear();
  assert.deepEqual(dirty(), [1, 0, 1, 0], 'clear marks every page it frees');
});

test('compaction candidates: shared pages under half live once half used; never the head, even empty', () => {
  const arena = new Arena();
  const size = 64 * 1024;
  const page0 = Array.from({ length: 16 }, () => put(arena, size));
  const page1 = Array.from({ length: 16 }, () => put(arena, size));
  const page2 = [put(arena, size)];
  assert.equal(arena.head, 2);
  assert.equal(arena.compactionCandidate(0), -1, 'full pages are not candidates');
  page0.slice(0, 8).forEach((r) => arena.release(r, size));
  assert.equal(arena.compactionCandidate(0), -1, 'exactly half live is not under half');
  arena.release(page0[8]!, size);
  assert.equal(arena.compactionCandidate(0), 0);
  page1.slice(0, 9).forEach((r) => arena.release(r, size));
  assert.equal(arena.compactionCandidate(1), 1, 'the search starts at `from`');
  assert.equal(arena.compactionCandidate(2), 0, 'and wraps around');
  for (let i = 0; i < 8; i++) page2.push(put(arena, size));
  page2.forEach((r) => arena.release(r, size));
  assert.equal(arena.live[2], 0);
  assert.equal(arena.compactionCandidate(2), 0, 'the empty head is passed over');
  page0.slice(9).forEach((r) => arena.release(r, size));
  page1.slice(9).forEach((r) => arena.release(r, size));
  assert.deepEqual(pageIds(arena), [2]);
  assert.equal(arena.compactionCandidate(0), -1);
});

test('forEachLive visits live entries in page order and lets the callback release them', () => {
  const arena = new Arena();
  const refs = [40, 56, 72, 88, 104].map((s) => put(arena, s));
  arena.release(refs[1]!, 56);
  arena.release(refs[3]!, 88);
  const seen: [number, number][] = [];
  arena.forEachLive(0, (ref, size) => {
    seen.push([ref, size]);
    arena.release(ref, size);
  });
  assert.deepEqual(seen, [
    [refs[0], 40],
    [refs[2], 72],
    [refs[4], 104],
  ]);
  assert.equal(arena.liveBytes, 0);
  arena.forEachLive(7, () => assert.fail('no such page'));
});

test('clear drops every page and zeroes the counters', () => {
  const arena = new Arena();
  for (let i = 0; i < 40; i++) put(arena, 32 * 1024);
  put(arena, LARGE_ENTRY_BYTES + 8);
  arena.clear();
  assert.deepEqual([arena.pageCount, arena.allocatedBytes, arena.liveBytes, arena.head], [0, 0, 0, -1]);
  assert.deepEqual(pageIds(arena), []);
  assert.equal(arena.garbageBytes, 0);
  assert.equal(Arena.pageOf(put(arena, 16)) >= 0, true);
  assert.equal(arena.pageCount, 1);
});

/** Checks every counter and page walk of `arena` against the live entries the model holds. */
function checkArena(arena: Arena, live: Map<number, number>): void {
  const perPage = new Map<number, number>();
  for (const [ref, size] of live) perPage.set(Arena.pageOf(ref), (perPage.get(Arena.pageOf(ref)) ?? 0) + size);
  let liveSum = 0;
  let allocated = 0;
  let pages = 0;
  arena.pages.forEach((page, id) => {
    if (page === undefined) {
      assert.ok(!perPage.has(id), `page ${id} was freed while holding live entries`);
      return;
    }
    pages++;
    allocated += page.length;
    liveSum += arena.live[id]!;
    assert.equal(arena.live[id], perPage.get(id) ?? 0, `live bytes of page ${id}`);
    assert.ok(id === arena.head || arena.live[id]! > 0, `page ${id} has nothing live and is not the head`);
    if (page.length !== PAGE_SIZE) assert.equal(arena.used[id], page.length, `a large page holds one entry`);
    let off = 0;
    while (off < arena.used[id]!) {
      const ref = Arena.refOf(id, off);
      const size = Entry.size(page, off);
      assert.equal(isDead(arena, ref), !live.has(ref), `entry at ${id}:${off} is dead exactly when released`);
      if (live.has(ref)) assert.equal(live.get(ref), size);
      off += size;
    }
    assert.equal(off, arena.used[id], `page ${id}: entries end at the used bytes`);
  });
  assert.equal(arena.liveBytes, liveSum, 'liveBytes is the sum of the pages');
  assert.equal(arena.allocatedBytes, allocated);
  assert.equal(arena.pageCount, pages);
  assert.equal(arena.garbageBytes, allocated - liveSum);
}

test('random alloc and release sequences keep every counter equal to a model', () => {
  const seed = testSeed('arena model');
  let runs = 0;
  let freedPages = 0;
  const sizeArb = fc
    .oneof(
      { weight: 10, arbitrary: fc.integer({ min: 2, max: 2048 }) },
      { weight: 4, arbitrary: fc.integer({ min: 2048, max: 40_000 }) },
      { weight: 1, arbitrary: fc.integer({ min: LARGE_ENTRY_BYTES / 8 - 2, max: LARGE_ENTRY_BYTES / 8 + 2 }) },
      { weight: 1, arbitrary: fc.integer({ min: LARGE_ENTRY_BYTES / 8, max: PAGE_SIZE / 4 }) },
    )
    .map((n) => n * 8);
  const opArb = fc.oneof(
    { weight: 3, arbitrary: fc.record({ alloc: sizeArb }) },
    { weight: 2, arbitrary: fc.record({ release: fc.nat() }) },
  );
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 200, size: 'max' }), (ops) => {
      runs++;
      const arena = new Arena();
      const live = new Map<number, number>();
      let pagesSeen = 0;
      for (const o of ops) {
        if ('alloc' in o) {
          live.set(put(arena, o.alloc), o.alloc);
          pagesSeen = Math.max(pagesSeen, arena.pages.length);
        } else if (live.size > 0) {
          const refs = [...live.keys()];
          const ref = refs[o.release % refs.length]!;
          const before = arena.pageCount;
          arena.release(ref, live.get(ref)!);
          live.delete(ref);
          if (arena.pageCount < before) freedPages++;
        }
      }
      checkArena(arena, live);
    }),
    { seed, numRuns: 100 },
  );
  assert.equal(runs, 100, `the property ran ${runs} times`);
  assert.ok(freedPages >= 10, `${freedPages} releases freed a page`);
});
