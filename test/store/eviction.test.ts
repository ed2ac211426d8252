/**
 * The LFU arithmetic and the eviction time limit, against the values Redis's
 * evict.c computes (LFULogIncr, LFUDecrAndReturn, evictionTimeLimitUs).
 * Policies end to end are in test/server/eviction.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Keyspace } from '../../src/store/keyspace.js';
import {
  AccessMode,
  idleMs,
  LFU_INIT_VAL,
  lfuDecayed,
  lfuLogIncr,
  lfuMinutes,
  lfuNew,
  lfuTouch,
  lruClock,
} from '../../src/store/access.js';
import { evictionTimeLimitUs, EvictResult, Evictor } from '../../src/store/eviction.js';
import { testSeed } from '../helpers/random.js';

test('LFULogIncr: certain below LFU_INIT_VAL + 1, then 1/((c-5)*factor+1), saturating at 255', () => {
  assert.equal(lfuLogIncr(LFU_INIT_VAL, 10, 0.999999), LFU_INIT_VAL + 1);
  assert.equal(lfuLogIncr(0, 10, 0.999999), 1);
  // counter 7, factor 10: p = 1/21.
  assert.equal(lfuLogIncr(7, 10, 1 / 21 - 1e-9), 8);
  assert.equal(lfuLogIncr(7, 10, 1 / 21), 7);
  assert.equal(lfuLogIncr(255, 0, 0), 255);
  // factor 0: every access counts.
  assert.equal(lfuLogIncr(100, 0, 0.999999), 101);
});

test('LFUDecrAndReturn: one step per lfu-decay-time minutes, across the 16-bit minute wrap', () => {
  const t0 = 1_700_000_000_000;
  const w = (lfuMinutes(t0) << 8) | 20;
  assert.equal(lfuDecayed(w, t0, 1), 20);
  assert.equal(lfuDecayed(w, t0 + 3 * 60_000, 1), 17);
  assert.equal(lfuDecayed(w, t0 + 3 * 60_000, 2), 19);
  assert.equal(lfuDecayed(w, t0 + 3 * 60_000, 0), 20, 'decay time 0: never decays');
  assert.equal(lfuDecayed(w, t0 + 100 * 60_000, 1), 0, 'never below 0');
  // A word stamped at minute 65530 read at minute 4 (wrapped): 65535 - 65530 + 4 = 9 minutes.
  const wrapped = (65530 << 8) | 20;
  const at = (65536 * 7 + 4) * 60_000;
  assert.equal(lfuMinutes(at), 4);
  assert.equal(lfuDecayed(wrapped, at, 1), 11);
});

test('LFU words stay within 24 bits and counters within 0..255 for any access sequence', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 10 * 60_000 }), { maxLength: 300 }),
      fc.integer({ min: 0, max: 20 }),
      fc.integer({ min: 0, max: 5 }),
      (gaps, factor, decay) => {
        let now = 1_700_000_000_000;
        let word = lfuNew(now);
        assert.equal(word & 0xff, LFU_INIT_VAL);
        for (const g of gaps) {
          now += g;
          word = lfuTouch(word, now, factor, decay);
          assert.ok(word >= 0 && word < 2 ** 24);
          const c = lfuDecayed(word, now, decay);
          assert.ok(c >= 0 && c <= 255);
        }
      },
    ),
    { seed: testSeed('lfu words'), numRuns: 200 },
  );
});

test('LRU idle time in ms from the 4 ms clock, across its 32-bit wrap', () => {
  const now = lruClock(1_700_000_000_000);
  assert.equal(idleMs(now, now), 0);
  assert.equal(idleMs(now, (now - 250) >>> 0), 1000);
  assert.equal(idleMs(5, 0xfffffffb), 10 * 4, 'a word from before the wrap');
});

test('maxmemory-eviction-tenacity: 50 us per step to 10, then +15% per step, 100 unlimited', () => {
  assert.equal(evictionTimeLimitUs(0), 0);
  assert.equal(evictionTimeLimitUs(10), 500);
  assert.equal(evictionTimeLimitUs(20), Math.floor(500 * 1.15 ** 10));
  assert.equal(evictionTimeLimitUs(100), Number.POSITIVE_INFINITY);
});

test('volatile-*: a pooled candidate that lost its TTL since it was sampled is not evicted', () => {
  for (const policy of ['volatile-lru', 'volatile-ttl', 'volatile-fifo', 'volatile-lfu'] as const) {
    const ks = new Keyspace(16, { onExpired() {} });
    const evicted: string[] = [];
    // 10 samples: every volatile key enters the pool on the first eviction.
    const ev = new Evictor(
      ks,
      { maxmemory: 0, policy, samples: 10, timeLimitUs: 500 },
      { onEvicted: (_db, key) => evicted.push(key.toString()) },
    );
    ks.setAccessMode(
      policy === 'volatile-lfu' ? AccessMode.Lfu : policy === 'volatile-fifo' ? AccessMode.Fifo : AccessMode.Lru,
    );
    ks.lfuLogFactor = 0;
    const db = ks.dbs[0]!;
    const value = Buffer.alloc(100, 1);
    const t0 = Date.now();
    for (let i = 0; i < 1000; i++) db.setString(Buffer.from(`keep:${i}`), value, 0);
    // tmp:0..4 rank first under every policy: older, sooner to expire, never read.
    for (let i = 0; i < 10; i++) {
      ks.tick(t0 + i * 1000);
      db.setString(Buffer.from(`tmp:${i}`), value, t0 + 100_000 + i * 1000);
    }
    for (let i = 5; i < 10; i++) for (let n = 0; n < 5; n++) db.lookup(Buffer.from(`tmp:${i}`));
    ev.settings.maxmemory = ks.dataBytes - 1;
    assert.equal(ev.evict(), EvictResult.Ok);
    assert.equal(evicted.length, 1);
    assert.match(evicted[0]!, /^tmp:[0-4]$/, policy);
    // The pool still holds the rest of tmp:0..4; take their TTLs away (PERSIST).
    for (let i = 0; i < 5; i++) {
      const slot = db.findSlot(Buffer.from(`tmp:${i}`));
      if (slot >= 0) db.setExpireAt(slot, 0);
    }
    ev.settings.maxmemory = ks.dataBytes - 1;
    assert.equal(ev.evict(), EvictResult.Ok);
    assert.equal(evicted.length, 2);
    assert.match(evicted[1]!, /^tmp:[5-9]$/, `${policy}: evicted ${evicted[1]}, which has no TTL any more`);
  }
});
