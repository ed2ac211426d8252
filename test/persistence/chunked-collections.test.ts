/**
 * Chunked collection images (docs/FORMAT.md, "Chunked collection image"): a
 * large hash, list, set and sorted set changed at one element, snapshotted,
 * changed again in the WAL only, SIGKILLed and restarted must equal a model; the snapshot after one change writes about
 * one chunk, not the collection. A snapshot directory of whole images (as
 * versions before chunked images wrote) still loads and turns chunked, and
 * cache-dump reads chunked snapshots.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { cleanup, redisCli, run, startServer, tempDir } from '../helpers/server.js';
import { dumpKeyspace, sorted } from '../helpers/keyspace.js';
import { writeWholeImageSnapshot } from '../helpers/whole-image-snapshot.js';
import { converged, startReplica } from '../replication/helpers.js';
import { HashValue, ListValue, SetValue, ZSetValue } from '../../src/store/collections.js';

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
      // Chunks spread over ten 1 MiB pages; after one change: the new chunk and key entry, and the pages of the
      // entries they replace.
      assert.ok(full >= 10, `${type}: ${full} pages in full`);
      assert.ok(after <= 4, `${type}: ${after} pages after one change, ${full} in full`);
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
        await redis.zadd('big', 5.5, 'new', 1e9, pad('m4'));
        await redis.zpopmin('big');
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
      else await redis.zremrangebyrank('big', 100, -1);
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

const TOOL = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'), 'dist', 'tools', 'cache-dump.js');

test('a snapshot of whole images (as earlier versions wrote) loads, and its next snapshot is chunked', async () => {
  const dir = tempDir();
  await writeWholeImageSnapshot(dir, (ks) => {
    const db = ks.dbs[0]!;
    const h = new HashValue();
    const l = new ListValue();
    const st = new SetValue();
    const z = new ZSetValue();
    for (let j = 0; j < 20_000; j++) {
      h.set(`f${j}`, pad(`v${j}`));
      l.pushRight(pad(`e${j}`));
      st.add(pad(`e${j}`));
      z.set(pad(`m${j}`), j);
    }
    db.setCollection(Buffer.from('hash'), h, 0, -1);
    db.setCollection(Buffer.from('list'), l, 0, -1);
    db.setCollection(Buffer.from('set'), st, 0, -1);
    db.setCollection(Buffer.from('zset'), z, 0, -1);
    db.setString(Buffer.from('str'), Buffer.from('x'), 0);
  });
  let s = await startServer({ dir, args: ARGS });
  try {
    let redis = s.client();
    const want: Record<string, string[]> = {};
    for (const type of ['hash', 'list', 'set', 'zset']) want[type] = await dump(redis, type, type);
    assert.equal(await redis.hlen('hash'), 20_000);
    assert.equal(await redis.llen('list'), 20_000);
    assert.equal(await redis.scard('set'), 20_000);
    assert.equal(await redis.zcard('zset'), 20_000);
    assert.equal(await redis.get('str'), 'x');
    assert.equal(await redis.hget('hash', 'f19999'), pad('v19999'));
    assert.equal(await redis.lindex('list', 0), pad('e0'));
    // One change each, a snapshot (now chunked), SIGKILL, restart.
    await redis.hset('hash', 'f1', 'one');
    await redis.lset('list', 1, 'one');
    await redis.sadd('set', 'one');
    await redis.zadd('zset', 0.5, 'one');
    for (const type of ['hash', 'list', 'set', 'zset']) want[type] = await dump(redis, type, type);
    await save(redis);
    await s.kill();
    s = await startServer({ dir, args: ARGS });
    redis = s.client();
    for (const type of ['hash', 'list', 'set', 'zset']) assert.deepEqual(await dump(redis, type, type), want[type]);
  } finally {
    await s.stop();
    cleanup(dir);
  }
});

test('cache-dump reads chunked snapshots: verify, info, keys, export, backup', async () => {
  const source = await startServer({ args: ARGS });
  const r = source.client();
  await load(r, 'hash', 'h', 20_000);
  await load(r, 'list', 'l', 20_000);
  await load(r, 'set', 's', 20_000);
  await r.set('str', 'x');
  await save(r);
  // A change in a snapshot, and one in the WAL only.
  await r.hset('h', 'f5', 'five');
  await save(r);
  await r.lpush('l', 'head');
  await source.kill();
  const verify = await run(process.execPath, [TOOL, 'snapshot', 'verify', source.dir]);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  const info = await run(process.execPath, [TOOL, 'snapshot', 'info', source.dir]);
  assert.equal(info.code, 0, info.stdout + info.stderr);
  const keys = await run(process.execPath, [TOOL, 'keys', source.dir]);
  assert.equal(keys.code, 0, keys.stderr);
  // Sizes in bytes: 100-byte elements, and the WAL's LPUSH of 'head' on top of the snapshot's list.
  assert.match(keys.stdout, /^0\tl\tlist\t2000004\t-$/m);
  assert.match(keys.stdout, /^0\ts\tset\t2000000\t-$/m);
  assert.match(keys.stdout, /^0\th\thash\t\d+\t-$/m);
  const exported = await run(process.execPath, [TOOL, 'export', source.dir]);
  assert.equal(exported.code, 0, exported.stderr);
  const rdb = await run(process.execPath, [TOOL, 'export', '--format', 'rdb', source.dir]);
  assert.equal(rdb.code, 0, rdb.stderr);
  const copy = join(tempDir(), 'copy');
  const backup = await run(process.execPath, [TOOL, 'backup', source.dir, copy]);
  assert.equal(backup.code, 0, backup.stdout + backup.stderr);
  const target = await startServer();
  const piped = await redisCli(target.port, ['--pipe'], exported.raw);
  assert.match(piped.stdout, /errors: 0/);
  const fromSource = await startServer({ dir: source.dir });
  const fromBackup = await startServer({ dir: copy });
  try {
    const want = sorted(await dumpKeyspace(fromSource.client()));
    assert.equal(await fromSource.client().hget('h', 'f5'), 'five');
    assert.equal(await fromSource.client().lindex('l', 0), 'head');
    assert.deepEqual(sorted(await dumpKeyspace(target.client())), want);
    assert.deepEqual(sorted(await dumpKeyspace(fromBackup.client())), want);
  } finally {
    await Promise.all([target.stop(), fromSource.stop(), fromBackup.stop()]);
    cleanup(source.dir);
    cleanup(target.dir);
    cleanup(dirname(copy));
  }
});

test("a replica's full sync ships chunked images, and the replica's own snapshots of them survive SIGKILL", async () => {
  const primary = await startServer({ args: ARGS });
  let replica: Awaited<ReturnType<typeof startServer>> | null = null;
  try {
    const p = primary.client();
    await load(p, 'hash', 'h', 20_000);
    await load(p, 'list', 'l', 20_000);
    await load(p, 'set', 's', 20_000);
    await save(p);
    await p.hset('h', 'f9', 'nine');
    replica = await startReplica(primary, { args: ARGS });
    await converged(p, replica.client());
    await p.lset('l', 5, 'five');
    await converged(p, replica.client());
    const want = sorted(await dumpKeyspace(p));
    assert.deepEqual(sorted(await dumpKeyspace(replica.client())), want);
    await save(replica.client());
    const dir = replica.dir;
    await replica.kill();
    replica = await startServer({ dir, args: ARGS });
    assert.deepEqual(sorted(await dumpKeyspace(replica.client())), want);
  } finally {
    await replica?.stop();
    if (replica) cleanup(replica.dir);
    await primary.stop();
    cleanup(primary.dir);
  }
});

test('writes while a snapshot encodes chunks over several turns are all there after SIGKILL and restart', async (t) => {
  let s = await startServer({ args: ARGS });
  const dir = s.dir;
  try {
    let redis = s.client();
    await load(redis, 'hash', 'h', N);
    const model = new Map<string, string>();
    for (let j = 0; j < N; j++) model.set(`f${j}`, pad(`v${j}`));
    // A fresh hash: every chunk to encode, a few per turn; writes land between the turns.
    const saving = redis.call('BGSAVE');
    const writer = s.client();
    let stop = false;
    let snapshots = 0;
    let written = 0;
    const writes = (async () => {
      for (let i = 0; !stop || i < 200; i++) {
        const f = `f${(i * 7919) % (N + 500)}`;
        if (i % 5 === 4) {
          await writer.hdel('h', f);
          model.delete(f);
        } else {
          await writer.hset('h', f, `w${i}`);
          model.set(f, `w${i}`);
        }
        written++;
      }
    })();
    await saving;
    for (;;) {
      const info = (await redis.call('INFO', 'persistence')) as string;
      snapshots = Number(/snapshots_completed:(\d+)/.exec(info)?.[1] ?? 0);
      if (snapshots >= 1) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    t.diagnostic(`${written} writes acknowledged while the snapshot was being taken`);
    stop = true;
    await writes;
    await s.kill();
    s = await startServer({ dir, args: ARGS });
    redis = s.client();
    const got = (await redis.call('HGETALL', 'h')) as string[];
    assert.equal(got.length / 2, model.size);
    for (let i = 0; i < got.length; i += 2) assert.equal(got[i + 1], model.get(got[i]!), `field ${got[i]}`);
  } finally {
    await s.stop();
    cleanup(dir);
  }
});
