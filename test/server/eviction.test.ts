/**
 * maxmemory and eviction against a real server: each policy keeps used
 * memory at the limit and shows its character (recency, frequency, insertion
 * order, TTL), noeviction refuses growth and loses nothing acknowledged, and
 * a restart after evictions reproduces the post-eviction keyspace, since
 * every eviction is a DEL in the WAL.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { cleanup, startServer, waitFor, type ServerHandle } from '../helpers/server.js';
import { dumpKeyspace, sorted } from '../helpers/keyspace.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';
import { RawClient } from '../helpers/resp.js';

const LIMIT = 2 * 1024 * 1024;
const VALUE = 'v'.repeat(100);

let srv: ServerHandle;
let r: Redis;

before(async () => {
  // The policy tests are about what is evicted, not about durability: everysec keeps them quick.
  srv = await startServer({ args: ['--appendfsync', 'everysec', '--snapshot-interval', '0'] });
  r = srv.client();
});

after(async () => {
  await srv.stop();
  cleanup(srv.dir);
});

/** An INFO field as a number. */
async function infoField(c: Redis, field: string): Promise<number> {
  const m = new RegExp(`^${field}:(.*)\r?$`, 'm').exec(await c.info());
  assert.ok(m, `INFO has ${field}`);
  return Number(m[1]);
}

/** Starts a policy test from an empty keyspace with `maxmemory` LIMIT. */
async function fresh(policy: string, extra: string[] = []): Promise<void> {
  await r.config('SET', 'maxmemory', '0');
  await r.flushall();
  await r.config('SET', 'maxmemory-policy', policy, 'maxmemory-samples', '5', 'lfu-log-factor', '10');
  if (extra.length > 0) await r.config('SET', ...extra);
  await r.config('SET', 'maxmemory', String(LIMIT));
  await r.config('RESETSTAT');
}

/** SETs `keys` in one pipeline, with EX `ttl` seconds when given; every reply must be OK. */
async function setAll(keys: string[], ttl?: (i: number) => number): Promise<void> {
  const p = r.pipeline();
  keys.forEach((k, i) => (ttl ? p.set(k, VALUE, 'EX', ttl(i)) : p.set(k, VALUE)));
  for (const [err, reply] of (await p.exec())!) {
    assert.equal(err, null);
    assert.equal(reply, 'OK');
  }
}

/** How many of `keys` exist. */
async function surviving(keys: string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < keys.length; i += 1000) n += await r.exists(...keys.slice(i, i + 1000));
  return n;
}

/** GETs every key of `keys` (a read, which the LRU and LFU policies count). */
async function readAll(keys: string[]): Promise<void> {
  const p = r.pipeline();
  for (const k of keys) p.get(k);
  await p.exec();
}

const names = (prefix: string, from: number, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}:${from + i}`);

/** Memory stays within a small margin of the limit, and the arena's garbage is bounded. */
async function assertWithinLimit(): Promise<void> {
  const used = await infoField(r, 'used_memory');
  assert.ok(used <= LIMIT * 1.02, `used_memory ${used} within 2% of maxmemory ${LIMIT}`);
  assert.ok(used >= LIMIT * 0.8, `used_memory ${used} near maxmemory ${LIMIT} (no over-eviction)`);
  const arena = await infoField(r, 'arena_bytes');
  assert.ok(arena <= LIMIT * 2 + 2 * 1024 * 1024, `arena pages ${arena} bounded`);
  assert.ok((await infoField(r, 'evicted_keys')) > 0, 'keys were evicted');
}

test('allkeys-lru: keys read recently survive far more often than keys never read', async () => {
  await fresh('allkeys-lru');
  const read = names('read', 0, 1000);
  const unread = names('unread', 0, 1000);
  await setAll([...read, ...unread]);
  for (let batch = 0; batch < 20; batch++) {
    await setAll(names('fill', batch * 2000, 2000));
    await readAll(read);
  }
  const readLeft = await surviving(read);
  const unreadLeft = await surviving(unread);
  assert.ok(readLeft >= 900, `read keys surviving: ${readLeft}/1000`);
  assert.ok(unreadLeft <= 100, `never-read keys surviving: ${unreadLeft}/1000`);
  await assertWithinLimit();
});

test('allkeys-lfu: keys read often survive a flood of keys written once; OBJECT FREQ shows the counter', async () => {
  // No decay: a minute boundary during the test would lower the counters being checked.
  await fresh('allkeys-lfu', ['lfu-log-factor', '1', 'lfu-decay-time', '0']);
  const hot = names('hot', 0, 1000);
  const cold = names('cold', 0, 1000);
  await setAll([...hot, ...cold]);
  for (let i = 0; i < 10; i++) await readAll(hot);
  const freq = await r.object('FREQ', hot[0]!);
  assert.ok(Number(freq) > 5, `a hot key's counter rose above LFU_INIT_VAL: ${freq}`);
  assert.equal(await r.object('FREQ', cold[0]!), 5);
  for (let batch = 0; batch < 20; batch++) await setAll(names('fill', batch * 2000, 2000));
  const hotLeft = await surviving(hot);
  const coldLeft = await surviving(cold);
  assert.ok(hotLeft >= 900, `hot keys surviving: ${hotLeft}/1000`);
  assert.ok(coldLeft <= 300, `cold keys surviving: ${coldLeft}/1000`);
  await assertWithinLimit();
});

test('allkeys-fifo: the oldest keys go first, and reading them does not save them', async () => {
  await fresh('allkeys-fifo');
  const all: string[] = [];
  for (let batch = 0; batch < 20; batch++) {
    const keys = names('k', batch * 2000, 2000);
    await setAll(keys);
    all.push(...keys);
    await readAll(all.slice(0, 1000)); // under LRU this would keep them
  }
  const oldest = await surviving(all.slice(0, all.length / 2));
  const newest = await surviving(all.slice(-2000));
  // Approximated as Redis approximates LRU (5 samples per round into a pool of 16): a few old keys outlive their turn.
  assert.ok(oldest <= all.length / 2 / 20, `keys of the older half surviving: ${oldest}/${all.length / 2}`);
  assert.ok(newest >= 1900, `keys of the newest batch surviving: ${newest}/2000`);
  await assertWithinLimit();
});

test('allkeys-random: memory holds at the limit, keys of every age go', async () => {
  await fresh('allkeys-random');
  const all: string[] = [];
  for (let batch = 0; batch < 10; batch++) {
    const keys = names('k', batch * 2000, 2000);
    await setAll(keys);
    all.push(...keys);
  }
  const firstHalf = await surviving(all.slice(0, all.length / 2));
  assert.ok(firstHalf > 0, 'random eviction leaves some old keys');
  await assertWithinLimit();
});

for (const policy of ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'volatile-fifo']) {
  test(`${policy}: keys without a TTL are never evicted; with nothing volatile left, writes get OOM`, async () => {
    await fresh(policy);
    const persistent = names('keep', 0, 2000);
    await setAll(persistent);
    for (let batch = 0; batch < 10; batch++)
      await setAll(names('tmp', batch * 2000, 2000), (i) => 1000 + ((i * 7919) % 3000));
    assert.equal(await surviving(persistent), persistent.length);
    await assertWithinLimit();
    if (policy === 'volatile-ttl') {
      // Nearest expiry first: the survivors' TTLs are the longer ones.
      const p = r.pipeline();
      for (const k of names('tmp', 0, 20000)) p.ttl(k);
      const ttls = (await p.exec())!.map(([, t]) => t as number).filter((t) => t > 0);
      const mean = ttls.reduce((a, b) => a + b, 0) / ttls.length;
      assert.ok(mean > 2800, `surviving TTLs average ${mean.toFixed(0)} s of 1000..3999 (2500 if random)`);
    }
    // Only keys without a TTL left to fill with: nothing can be evicted.
    let oom = '';
    for (let i = 0; i < 40000 && oom === ''; i++) {
      try {
        await r.set(`more:${i}`, VALUE);
      } catch (err) {
        oom = (err as Error).message;
      }
    }
    assert.equal(oom, "OOM command not allowed when used memory > 'maxmemory'.");
    assert.equal(await surviving(persistent), persistent.length);
  });
}

test('noeviction: writes that grow memory get OOM; reads, DEL and a restart keep every acknowledged write', async () => {
  const dir = srv.dir + '-noeviction';
  const s = await startServer({ dir, args: ['--maxmemory', '1mb', '--maxmemory-policy', 'noeviction'] });
  try {
    const c = s.client();
    const acked: string[] = [];
    let oom: Error | null = null;
    for (let i = 0; i < 20000 && oom === null; i += 200) {
      const p = c.pipeline();
      for (let j = i; j < i + 200; j++) p.set(`k:${j}`, VALUE);
      (await p.exec())!.forEach(([err, reply], j) => {
        if (err) oom ??= err;
        else if (reply === 'OK') acked.push(`k:${i + j}`);
      });
    }
    assert.ok(oom, 'a write was refused');
    assert.equal((oom as Error).message, "OOM command not allowed when used memory > 'maxmemory'.");
    await assert.rejects(c.lpush('list', 'x'), /^ReplyError: OOM/);
    await assert.rejects(c.incr('counter'), /^ReplyError: OOM/);
    assert.equal(await c.get(acked[0]!), VALUE, 'reads keep working');
    assert.equal(await c.exists(...acked.slice(0, 100)), 100);
    assert.equal(await c.del(acked.pop()!), 1, 'DEL is allowed');
    assert.equal(await infoField(c, 'evicted_keys'), 0);
    assert.ok((await infoField(c, 'used_memory')) <= 1024 * 1024 * 1.02);
    assert.match(await c.info('memory'), /maxmemory_policy:noeviction/);
    await s.kill();
    const again = await startServer({ dir });
    try {
      const c2 = again.client();
      for (let i = 0; i < acked.length; i += 1000) {
        const batch = acked.slice(i, i + 1000);
        assert.equal(await c2.exists(...batch), batch.length, 'every acknowledged key survives SIGKILL');
      }
    } finally {
      await again.stop();
    }
  } finally {
    await s.stop();
    cleanup(dir);
  }
});

test('a read over maxmemory evicts first, as every command in Redis does, and runs; a write then fits', async () => {
  await fresh('volatile-random');
  await r.config('SET', 'maxmemory', '0');
  await r.setex('volatile-key', 10000, 'x');
  const used = await infoField(r, 'used_memory');
  await r.config('SET', 'maxmemory', String(used + 100 * 1024));
  // SETBIT is admitted under the limit and takes 200 KB: memory is now over it, with one volatile key.
  assert.equal(await r.setbit('big-key', 1_600_000, 0), 0);
  assert.ok((await infoField(r, 'used_memory')) > used + 100 * 1024, 'SETBIT went over the limit');
  const watcher = srv.client();
  try {
    // A read: Redis's processCommand evicts before it; only a command that may grow memory is refused.
    assert.equal(await watcher.getbit('big-key', 0), 0);
    assert.equal(await watcher.exists('volatile-key'), 0, 'the volatile key was evicted before the read');
    assert.equal(await infoField(watcher, 'evicted_keys'), 1);
    await assert.rejects(watcher.set('another', 'v'), /^ReplyError: OOM/, 'nothing volatile is left to evict');
    assert.equal(await watcher.del('big-key'), 1);
    assert.equal(await watcher.set('another', 'v'), 'OK', 'under the limit again');
  } finally {
    watcher.disconnect();
    await r.config('SET', 'maxmemory', '0');
  }
});

test('a restart after evictions reproduces the post-eviction keyspace (evictions are DELs in the WAL)', async () => {
  const dir = srv.dir + '-restart';
  const s = await startServer({ dir, args: ['--maxmemory', '1mb', '--maxmemory-policy', 'allkeys-lru'] });
  try {
    const c = s.client();
    for (let batch = 0; batch < 8; batch++) {
      const p = c.pipeline();
      for (let i = 0; i < 1000; i++) {
        const k = batch * 1000 + i;
        if (k % 3 === 0) p.set(`s:${k}`, VALUE, 'EX', 3600);
        else if (k % 3 === 1) p.hset(`h:${k % 300}`, `f${k}`, VALUE);
        else p.set(`s:${k}`, VALUE);
      }
      await p.exec();
      if (batch === 4) await c.bgsave();
    }
    await waitFor(async () => (await infoField(c, 'used_memory')) <= 1024 * 1024, 10_000, 'eviction to settle');
    const evicted = await infoField(c, 'evicted_keys');
    assert.ok(evicted > 0);
    const before = sorted(await dumpKeyspace(c));
    assert.equal(await infoField(c, 'evicted_keys'), evicted, 'nothing was evicted while the keyspace was read');
    await s.kill();
    // Restarted without a limit, so nothing more is evicted: the WAL alone must account for every key gone.
    const again = await startServer({ dir });
    try {
      const after = sorted(await dumpKeyspace(again.client()));
      assert.equal(after.length, before.length);
      assert.deepEqual(after, before);
    } finally {
      await again.stop();
    }
  } finally {
    await s.stop();
    cleanup(dir);
  }
});

test('CONFIG SET maxmemory below the data evicts down to it in the background', async () => {
  await r.config('SET', 'maxmemory', '0');
  await r.flushall();
  await r.config('SET', 'maxmemory-policy', 'allkeys-lru');
  await r.config('RESETSTAT');
  for (let batch = 0; batch < 20; batch++) await setAll(names('k', batch * 2000, 2000));
  const used = await infoField(r, 'used_memory');
  assert.ok(used > LIMIT * 2);
  assert.equal(await r.config('SET', 'maxmemory', String(LIMIT)), 'OK');
  // No command is needed to drive it: the server evicts on its own until it fits.
  await waitFor(async () => (await infoField(r, 'used_memory')) <= LIMIT, 10_000, 'used_memory to fall to maxmemory');
  assert.ok((await infoField(r, 'evicted_keys')) > 0);
  await srv.waitForLog((l) => String(l.msg).includes('new maxmemory is below'), 5000);
  await r.config('SET', 'maxmemory', '0');
});

test('reads count for LRU and LFU without dirtying a page: a snapshot after them writes nothing', async () => {
  for (const policy of ['allkeys-lru', 'allkeys-lfu']) {
    await fresh(policy);
    const keys = names('k', 0, 2000);
    await setAll(keys);
    await r.save();
    const seq = await infoField(r, 'snapshot_seq');
    for (let i = 0; i < 3; i++) await readAll(keys);
    await r.touch(...keys.slice(0, 100));
    assert.notEqual(await r.call('OBJECT', policy === 'allkeys-lfu' ? 'FREQ' : 'IDLETIME', keys[0]!), null);
    // SAVE takes a snapshot only when a page is dirty or the WAL moved on: it finds neither.
    await r.save();
    assert.equal(await infoField(r, 'snapshot_seq'), seq, `${policy}: the reads left no dirty page to snapshot`);
  }
});

test('INFO reports maxmemory, the policy, hits and misses; CONFIG GET and RESETSTAT cover them', async () => {
  await fresh('allkeys-lfu');
  await r.set('a', '1');
  await r.get('a');
  await r.get('a');
  await r.get('missing');
  await r.hset('h', 'f', 'v');
  await r.hget('h', 'f');
  await r.hget('nohash', 'f');
  const info = await r.info();
  assert.match(info, new RegExp(`maxmemory:${LIMIT}\r`));
  assert.match(info, /maxmemory_human:2\.00M\r/);
  assert.match(info, /maxmemory_policy:allkeys-lfu\r/);
  assert.match(info, /used_memory_human:[0-9.]+[BKMG]\r/);
  assert.match(info, /mem_fragmentation_ratio:[0-9.]+\r/);
  assert.match(info, /arena_garbage_bytes:\d+\r/);
  assert.match(info, /instantaneous_ops_per_sec:\d+\r/);
  assert.match(info, /total_commands_processed:\d+\r/);
  assert.equal(await infoField(r, 'keyspace_hits'), 3);
  assert.equal(await infoField(r, 'keyspace_misses'), 2);
  assert.deepEqual(await r.config('GET', 'maxmemory*'), [
    'maxmemory',
    String(LIMIT),
    'maxmemory-policy',
    'allkeys-lfu',
    'maxmemory-samples',
    '5',
    'maxmemory-eviction-tenacity',
    '10',
    // Redis's client memory limit, accepted with no effect here.
    'maxmemory-clients',
    '0',
  ]);
  await r.config('RESETSTAT');
  assert.equal(await infoField(r, 'keyspace_hits'), 0);
  assert.equal(await infoField(r, 'evicted_keys'), 0);
  await assert.rejects(
    r.config('SET', 'maxmemory-policy', 'lru'),
    /argument\(s\) must be one of the following: volatile-lru, .*allkeys-fifo/,
  );
  await assert.rejects(r.config('SET', 'maxmemory', '12zb'), /argument must be a memory value/);
  await r.config('SET', 'maxmemory', '0');
});

test('maxmemory from a flag, the config file syntax and FLASHCACHE_MAXMEMORY', async () => {
  const s = await startServer({
    args: ['--maxmemory-policy', 'allkeys-fifo'],
    env: { FLASHCACHE_MAXMEMORY: '32mb', FLASHCACHE_MAXMEMORY_SAMPLES: '10' },
  });
  try {
    const c = s.client();
    assert.deepEqual(await c.config('GET', 'maxmemory'), ['maxmemory', String(32 * 1024 * 1024)]);
    assert.deepEqual(await c.config('GET', 'maxmemory-policy'), ['maxmemory-policy', 'allkeys-fifo']);
    assert.deepEqual(await c.config('GET', 'maxmemory-samples'), ['maxmemory-samples', '10']);
  } finally {
    await s.stop();
    cleanup(s.dir);
  }
});

test('OBJECT IDLETIME, FREQ, REFCOUNT and HELP reply as redis-server does', async () => {
  let redis: RedisHandle | null = null;
  const a = await RawClient.connect(srv.port);
  let b: RawClient | null = null;
  try {
    redis = await startRedis();
    b = await RawClient.connect(redis.port);
    await a.call('CONFIG', 'SET', 'maxmemory', '0');
    await a.call('FLUSHALL');
    // lfu-decay-time 0 on both: a minute boundary must not decay one server's counter and not the other's.
    const script: string[][] = [
      ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru', 'lfu-decay-time', '0'],
      ['SET', 'k', 'v'],
      ['OBJECT', 'IDLETIME', 'nokey'],
      ['OBJECT', 'FREQ', 'k'],
      ['OBJECT', 'FREQ', 'nokey'],
      ['OBJECT', 'REFCOUNT', 'nokey'],
      ['OBJECT', 'HELP'],
      ['OBJECT', 'IDLETIME'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu'],
      ['SET', 'f', 'v'],
      ['OBJECT', 'FREQ', 'f'],
      // LFU_INIT_VAL is 5 and the first access always counts (probability 1).
      ['GET', 'f'],
      ['OBJECT', 'FREQ', 'f'],
      ['EXISTS', 'f'],
      ['TYPE', 'f'],
      ['TTL', 'f'],
      ['OBJECT', 'FREQ', 'f'],
      ['OBJECT', 'IDLETIME', 'f'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction', 'lfu-decay-time', '1'],
    ];
    for (const cmd of script) assert.equal(await a.call(...cmd), await b.call(...cmd), cmd.join(' '));
    // Idle seconds just after a write: 0, or 1 if a second ticked over (Redis's clock is seconds, refreshed by its cron).
    await a.call('SET', 'idle', 'v');
    assert.match(String(await a.call('OBJECT', 'IDLETIME', 'idle')), /^:[01]\r\n$/);
  } finally {
    a.close();
    b?.close();
    await redis?.stop();
  }
});
