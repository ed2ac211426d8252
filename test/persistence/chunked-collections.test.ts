/**
 * Chunked collection images (docs/FORMAT.md, "Chunked collection image"): a
 * large hash, list, set (chunked) and sorted set (whole) changed at one
 * element, snapshotted, changed again in the WAL only, SIGKILLed and
 * restarted must equal a model; the snapshot after one change writes about
 * one chunk, not the collection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { cleanup, startServer } from '../helpers/server.js';

const N = 100_000;
/** 100-byte elements: the collection spans many 1 MiB pages. */
const pad = (s: string): string => s.padEnd(100, '.');
const ARGS = ['--appendfsync', 'always', '--snapshot-interval', '0', '--snapshot-wal-bytes', '0'];

/** Adds `n` elements of `type` to `key`, 1000 per command. */
async function load(redis: Redis, type: string, key: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 1000) {
    const args: string[] = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) {
      if (type === 'hash') args.push(`f${j}`, pad(`v${j}`));
      else if (type === 'zset') args.push(String(j), pad(`m${j}`));
      else args.push(pad(`e${j}`));
    }
    const cmd = { hash: 'HSET', list: 'RPUSH', set: 'SADD', zset: 'ZADD' }[type]!;
    await redis.call(cmd, key, ...args);
  }
}

/** The whole collection, in a comparable form. */
async function dump(redis: Redis, type: string, key: string): Promise<string[]> {
  if (type === 'hash') {
    const all = (await redis.call('HGETALL', key)) as string[];
    const pairs: string[] = [];
    for (let i = 0; i < all.length; i += 2) pairs.push(`${all[i]}=${all[i + 1]}`);
    return pairs.sort();
  }
  if (type === 'list') return redis.lrange(key, 0, -1);
  if (type === 'set') return (await redis.smembers(key)).sort();
  return (await redis.call('ZRANGE', key, '0', '-1', 'WITHSCORES')) as string[];
}

/** SAVE; the pages the snapshot wrote. */
async function save(redis: Redis): Promise<number> {
  await redis.call('SAVE');
  const info = (await redis.call('INFO', 'persistence')) as string;
  return Number(/snapshot_last_pages_written:(\d+)/.exec(info)![1]);
}

for (const type of ['hash', 'list', 'set', 'zset']) {
  test(`a large ${type} changed at one element survives snapshot, SIGKILL and restart`, async () => {
    let s = await startServer({ args: ARGS });
    const dir = s.dir;
    try {
      let redis = s.client();
      await load(redis, type, 'big', N);
      await redis.set('other', 'x');
      const full = await save(redis);
      // One change, then a snapshot of it.
      if (type === 'hash') await redis.hset('big', 'f17', 'changed');
      else if (type === 'list') await redis.lset('big', 17, 'changed');
      else if (type === 'set') await redis.sadd('big', 'changed');
      else await redis.zadd('big', -1, pad('m17'));
      const after = await save(redis);
      if (type !== 'zset') {
        // Chunks spread over ten 1 MiB pages; after one change: the new chunk and key entry, and the pages of the
        // entries they replace. (A sorted set's whole image is one large page.)
        assert.ok(full >= 10, `${type}: ${full} pages in full`);
        assert.ok(after <= 4, `${type}: ${after} pages after one change, ${full} in full`);
      }
      // Changes in the WAL only, at both ends and in the middle.
      if (type === 'hash') {
        await redis.hdel('big', 'f3');
        await redis.hset('big', 'new', 'n');
      } else if (type === 'list') {
        await redis.lpush('big', 'head');
        await redis.rpop('big');
        await redis.linsert('big', 'BEFORE', pad('e20000'), 'mid');
      } else if (type === 'set') {
        await redis.srem('big', pad('e3'));
      } else {
        await redis.zrem('big', pad('m3'));
      }
      const want = await dump(redis, type, 'big');
      await s.kill();
      s = await startServer({ dir, args: ARGS });
      redis = s.client();
      assert.deepEqual(await dump(redis, type, 'big'), want);
      assert.equal(await redis.get('other'), 'x');
      // A snapshot of the replayed changes, then a restart from it alone.
      await save(redis);
      await s.kill();
      s = await startServer({ dir, args: ARGS });
      redis = s.client();
      assert.deepEqual(await dump(redis, type, 'big'), want);
      // Shrunk below the chunked size: a whole image again.
      if (type === 'list') await redis.ltrim('big', 0, 99);
      else if (type === 'hash') for (let j = 100; j < N; j += 1000) await redis.hdel('big', ...range('f', j, 1000));
      else if (type === 'set')
        for (let j = 100; j < N; j += 1000) await redis.srem('big', ...range('e', j, 1000).map(pad));
      const small = await dump(redis, type, 'big');
      await save(redis);
      await s.kill();
      s = await startServer({ dir, args: ARGS });
      assert.deepEqual(await dump(s.client(), type, 'big'), small);
    } finally {
      await s.stop();
      cleanup(dir);
    }
  });
}

function range(prefix: string, from: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${from + i}`);
}
