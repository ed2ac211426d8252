/**
 * The RDB codec against a real redis-server 7.0.15: DUMP payloads of every
 * type and encoding it produces parse to its values, our payloads RESTORE to
 * the same values, dump.rdb files it writes (and Redis's own test assets in
 * older encodings) read entry for entry, and files we write load into it.
 * Redis's assets and the payloads of its corrupt-dump tests are read from
 * Debian's redis 7.0.15 source package (test/helpers/redis-source.ts); the
 * tests that need them skip when it cannot be had.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { RdbFileWriter, readRdbFile } from '../../src/persistence/rdb/file.js';
import { createDumpPayload, parseDumpPayload } from '../../src/persistence/rdb/object.js';
import { Crc64 } from '../../src/persistence/rdb/crc64.js';
import { RDB_TYPE_STREAM_LISTPACKS, RdbReader } from '../../src/persistence/rdb/object.js';
import { writeStream } from '../../src/persistence/rdb/stream.js';
import { RdbError, type RdbObject, type RdbStream } from '../../src/persistence/rdb/types.js';
import { RdbByteWriter } from '../../src/persistence/rdb/writer.js';
import { normalize, rawObjects, redisValue } from '../helpers/rdb.js';
import { type RedisHandle, startRedis } from '../helpers/redis.js';
import { corruptDumpPayloads, type RedisSource, redisSource } from '../helpers/redis-source.js';

type Lru = { idle?: number; freq?: number };

/** Redis 7.0.15's source tree (Debian's source package): its tests/assets RDB files and corrupt-dump.tcl. */
let fetched: Promise<RedisSource> | undefined;
const source = (): Promise<RedisSource> => {
  fetched ??= redisSource();
  return fetched;
};

const bin = (n: number, seed: number): Buffer => {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
};

const INTS = ['0', '1', '-1', '127', '128', '-128', '-129', '4095', '-4096', '32767', '-32768', '65535', '8388607'];
const BIG_INTS = ['-8388608', '2147483647', '-2147483648', '2147483648', '9223372036854775807', '-9223372036854775808'];
const ODD = ['', '012', '+1', '-0', '1.5', ' 1', '9223372036854775808', 'x'.repeat(70), 'y'.repeat(5000)];
const ALL = [...INTS, ...BIG_INTS, ...ODD];

/** Creates keys of every type and encoding 7.0 produces; returns the key names. */
async function populate(c: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  const k = (s: string): string => {
    keys.push(prefix + s);
    return prefix + s;
  };
  for (const [i, v] of ALL.entries()) await c.set(k(`str:${i}`), v);
  await c.set(k('str:bin'), bin(300, 1));
  await c.set(k('str:big'), bin(200_000, 2));
  await c.set(k('str:lzf'), 'abcdefgh'.repeat(5000));
  await c.set(k('str:lzf-short'), 'aaaaaaaaaaaaaaaaaaaaaaaaa');
  // Lists: one packed node, many nodes, LZF-compressed nodes, plain nodes.
  await c.rpush(k('list:small'), ...ALL.slice(0, 20));
  await c.config('SET', 'list-max-listpack-size', '4');
  await c.rpush(k('list:nodes'), ...ALL, bin(100, 3));
  await c.config('SET', 'list-max-listpack-size', '-2');
  await c.config('SET', 'list-compress-depth', '1');
  const words = Array.from({ length: 3000 }, (_, i) => `element-${i % 50}-${'z'.repeat(i % 30)}`);
  await c.rpush(k('list:lzf'), ...words);
  await c.config('SET', 'list-compress-depth', '0');
  await c.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '100');
  await c.rpush(k('list:plain'), 'a', 'p'.repeat(500), 'b', bin(1000, 4), 'c');
  await c.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '1073741824');
  // Sets: intset (16/32/64-bit), hashtable.
  await c.sadd(k('set:intset16'), '1', '2', '-3', '32767');
  await c.sadd(k('set:intset32'), '1', '70000', '-2147483648');
  await c.sadd(k('set:intset64'), '1', '9223372036854775807', '-9223372036854775808');
  await c.sadd(k('set:ht'), ...ALL, bin(50, 5));
  await c.config('SET', 'set-max-intset-entries', '2');
  await c.sadd(k('set:ints-ht'), '1', '2', '3', '4');
  await c.config('SET', 'set-max-intset-entries', '512');
  // Sorted sets: listpack, skiplist.
  const scores = ['0', '1.5', '-2.25', 'inf', '-inf', '1e300', '-1e-300', '0.1', '123456789012345678', '3'];
  const zargs = (members: string[]): string[] => members.flatMap((m, i) => [scores[i % scores.length]!, m]);
  await c.zadd(k('zset:lp'), ...zargs(ALL.slice(0, 20)));
  await c.config('SET', 'zset-max-listpack-entries', '0');
  await c.zadd(k('zset:skiplist'), ...zargs(ALL));
  await c.config('SET', 'zset-max-listpack-entries', '128');
  // Hashes: listpack, hashtable.
  const hargs = (n: number): string[] => ALL.slice(0, n).flatMap((f, i) => [f, ALL[(i * 7) % ALL.length]!]);
  await c.hset(k('hash:lp'), ...hargs(20));
  await c.config('SET', 'hash-max-listpack-entries', '0');
  await c.hset(k('hash:ht'), ...hargs(ALL.length));
  await c.config('SET', 'hash-max-listpack-entries', '128');
  // Streams: several nodes, deleted entries, groups, consumers, pending entries.
  const sk = k('stream:full');
  for (let i = 0; i < 250; i++) {
    const fields = i % 3 === 0 ? ['a', String(i), 'b', 'x'.repeat(i % 40)] : ['other', String(-i)];
    await c.xadd(sk, `${1000 + i}-${i % 4}`, ...fields);
  }
  await c.xdel(sk, '1005-1', '1100-0', '1249-1');
  await c.xgroup('CREATE', sk, 'g1', '0');
  await c.xgroup('CREATE', sk, 'g2', '$');
  await c.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', '5', 'STREAMS', sk, '>');
  await c.xreadgroup('GROUP', 'g1', 'bob', 'COUNT', '3', 'STREAMS', sk, '>');
  await c.call('XGROUP', 'CREATECONSUMER', sk, 'g1', 'carol');
  await c.xack(sk, 'g1', '1001-1');
  await c.xadd(k('stream:empty'), '5-5', 'f', 'v');
  await c.xdel(prefix + 'stream:empty', '5-5');
  await c.xadd(k('stream:one'), '*', 'f', 'v');
  return keys;
}

describe('RDB codec against redis-server 7.0.15', () => {
  let redis: RedisHandle;
  let c: Redis;
  const keys: string[] = [];
  before(async () => {
    redis = await startRedis(['--save', '', '--appendonly', 'no', '--enable-debug-command', 'yes']);
    c = new Redis({ port: redis.port, lazyConnect: true });
    await c.connect();
    keys.push(...(await populate(c, '')));
  });
  after(async () => {
    c.disconnect();
    await redis.stop();
  });

  test('DUMP payloads of every type and encoding parse to the values redis-server returns', async () => {
    const types = new Set<number>();
    for (const key of keys) {
      const payload = await c.dumpBuffer(key);
      types.add(payload[0]!);
      const obj = parseDumpPayload(payload);
      assert.deepEqual(normalize(obj), await redisValue(c, key), key);
    }
    // STRING, QUICKLIST_2, SET, INTSET, ZSET_2, ZSET_LISTPACK, HASH, HASH_LISTPACK, STREAM_LISTPACKS_2
    assert.deepEqual(
      [...types].sort((a, b) => a - b),
      [0, 2, 4, 5, 11, 16, 17, 18, 19],
    );
  });

  test('the quicklist payloads hold the node forms asked for: plain nodes, LZF-compressed nodes, many nodes', async () => {
    const nodes = async (key: string): Promise<{ plain: number; packed: number; lzf: number }> => {
      const p = await c.dumpBuffer(key);
      const r = new RdbReader(p.subarray(0, p.length - 10));
      assert.equal(r.readByte(), 18);
      const out = { plain: 0, packed: 0, lzf: 0 };
      for (let n = r.readLength(); n > 0; n--) {
        if (r.readLength() === 1) out.plain++;
        else out.packed++;
        if (r.buf[r.pos] === 0xc3) out.lzf++;
        r.readString();
      }
      return out;
    };
    assert.ok((await nodes('list:plain')).plain >= 2);
    assert.ok((await nodes('list:lzf')).lzf >= 1);
    assert.ok((await nodes('list:nodes')).packed >= 5);
    const big = await c.dumpBuffer('str:lzf');
    assert.equal(big[1], 0xc3, 'redis-server compressed the string');
  });

  test('a Redis 5-6.2 stream payload (type 15) restores into redis-server as we read it', async () => {
    const obj = parseDumpPayload(await c.dumpBuffer('stream:full'));
    assert.equal(obj.kind, 'stream');
    const w = new RdbByteWriter();
    w.byte(RDB_TYPE_STREAM_LISTPACKS);
    writeStream(w, obj as RdbStream, RDB_TYPE_STREAM_LISTPACKS);
    const head = Buffer.concat([w.view(), Buffer.from([9, 0])]);
    const payload = Buffer.concat([head, new Crc64().update(head).digest()]);
    const v1 = parseDumpPayload(payload);
    await c.restore('stream:v1', 0, payload, 'REPLACE');
    const back = parseDumpPayload(await c.dumpBuffer('stream:v1')) as RdbStream;
    const strip = (s: RdbStream) => ({
      ...s,
      firstId: null,
      maxDeletedId: null,
      entriesAdded: null,
      groups: s.groups.map((g) => ({ ...g, entriesRead: null })),
    });
    assert.deepEqual(strip(back), strip(v1 as RdbStream));
    assert.deepEqual(strip(v1 as RdbStream), strip(obj as RdbStream));
  });

  test('our payloads RESTORE to the same values', async () => {
    for (const key of keys) {
      const obj = parseDumpPayload(await c.dumpBuffer(key));
      const ours = createDumpPayload(obj);
      assert.deepEqual(normalize(parseDumpPayload(ours)), normalize(obj), key);
      await c.restore(`copy:${key}`, 0, ours, 'REPLACE');
      assert.deepEqual(await redisValue(c, `copy:${key}`), await redisValue(c, key), key);
    }
  });

  test('random objects of every kind RESTORE into redis-server with their values', async () => {
    const byte = fc.integer({ min: 0, max: 255 }).map((n) => String.fromCharCode(n));
    const element = fc.oneof(
      fc.string({ unit: byte, maxLength: 30 }),
      fc.string({ unit: byte, minLength: 60, maxLength: 300 }).map((s) => s.repeat(3)),
      fc.integer().map(String),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
    );
    const items = fc.uniqueArray(element, { minLength: 1, maxLength: 700 });
    const score = fc.double({ noNaN: true });
    const obj: fc.Arbitrary<RdbObject> = fc.oneof(
      fc
        .string({ unit: byte, maxLength: 200 })
        .map((s) => ({ kind: 'string', value: Buffer.from(s, 'latin1') }) as const),
      fc.array(element, { minLength: 1, maxLength: 700 }).map((xs) => ({ kind: 'list', items: xs }) as const),
      items.map((xs) => ({ kind: 'set', members: xs }) as const),
      fc
        .tuple(items, fc.array(score, { minLength: 700, maxLength: 700 }))
        .map(([xs, ss]) => ({ kind: 'zset', members: xs, scores: xs.map((_, i) => ss[i]!) }) as const),
      items.map((xs) => ({ kind: 'hash', fields: xs, values: [...xs].reverse() }) as const),
    );
    await fc.assert(
      fc.asyncProperty(obj, async (o) => {
        await c.restore('random', 0, createDumpPayload(o), 'REPLACE');
        assert.deepEqual(await redisValue(c, 'random'), normalize(o));
      }),
      { numRuns: 150 },
    );
  });

  test("the payloads of Redis's corrupt-dump tests: accepted or refused as redis-server with sanitize-dump-payload yes", async (t) => {
    const { root, skip } = await source();
    if (root === undefined) return t.skip(skip);
    // The 66 distinct payloads of Redis 7.0.15's tests/integration/corrupt-dump.tcl.
    const payloads = corruptDumpPayloads(root);
    assert.equal(payloads.length, 66);
    await c.config('SET', 'sanitize-dump-payload', 'yes');
    let accepted = 0;
    try {
      for (const [i, p] of payloads.entries()) {
        let obj: RdbObject | null = null;
        try {
          obj = parseDumpPayload(p);
        } catch (e) {
          assert.ok(e instanceof RdbError, `payload ${i}: ${String(e)}`);
        }
        const reply = await c.restore('corrupt', 0, p, 'REPLACE').catch((e: Error) => e);
        assert.equal(
          obj !== null,
          reply === 'OK',
          `payload ${i}: ours ${obj ? 'accepted' : 'refused'}, redis ${String(reply)}`,
        );
        if (obj !== null) {
          accepted++;
          assert.deepEqual(normalize(obj), await redisValue(c, 'corrupt'), `payload ${i}`);
        }
      }
    } finally {
      await c.config('SET', 'sanitize-dump-payload', 'no');
    }
    // With deep sanitization redis-server refuses every one of them; so must we.
    assert.equal(accepted, 0);
  });

  test('differential fuzz: mutated payloads (valid CRC) are never accepted when redis-server refuses them', async () => {
    await c.config('SET', 'sanitize-dump-payload', 'yes');
    const bodies: Buffer[] = [];
    for (const key of keys.filter((k) => !k.startsWith('str:big') && !k.includes('lzf'))) {
      const p = await c.dumpBuffer(key);
      if (p.length < 400) bodies.push(p.subarray(0, p.length - 10));
    }
    assert.ok(bodies.length > 15);
    const stats = { bothAccept: 0, bothRefuse: 0, footer: 0 };
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.nat(bodies.length - 1),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 2 }),
          async (which, edits) => {
            const b = Buffer.from(bodies[which]!);
            for (const [pos, val] of edits) b[pos % b.length] = val;
            const head = Buffer.concat([b, Buffer.from([10, 0])]);
            const payload = Buffer.concat([head, new Crc64().update(head).digest()]);
            let ours: RdbObject | null = null;
            let why = '';
            try {
              ours = parseDumpPayload(payload);
            } catch (e) {
              assert.ok(e instanceof RdbError, String(e));
              why = e.message;
            }
            const reply = await c.restore('fuzz', 0, payload, 'REPLACE').catch((e: Error) => e);
            const hex = payload.toString('hex');
            if (ours !== null) {
              assert.equal(reply, 'OK', `we accept, redis-server refuses: ${hex} (${String(reply)})`);
              assert.deepEqual(normalize(ours), await redisValue(c, 'fuzz'), hex);
              stats.bothAccept++;
            } else if (reply === 'OK') {
              // Known leniencies of Redis that we do not copy: RESTORE reads its object from a buffer that
              // still holds the footer and does not check where the object ends (we require it to end exactly
              // at the footer); a stream's IDs and counters take a bad length byte as 2^64 - 1 (rdbLoadLen's
              // RDB_LENERR, unchecked there); a stream's length is not checked against its entries (we keep
              // RdbStream.length equal to entries.length); a stream counter above 2^53 (not a safe JS number).
              // Nothing else may differ.
              if (!/unknown length encoding|stream length \d+ does not match|64-bit length too large/.test(why)) {
                const r = new RdbReader(payload);
                assert.doesNotThrow(() => r.readObject(r.readByte()), `we refuse, redis-server accepts: ${hex}`);
              }
              stats.footer++;
            } else {
              stats.bothRefuse++;
            }
          },
        ),
        { numRuns: Number(process.env.RDB_FUZZ_RUNS ?? 3000) },
      );
    } finally {
      await c.config('SET', 'sanitize-dump-payload', 'no');
    }
    assert.ok(stats.bothAccept > 100 && stats.bothRefuse > 100, JSON.stringify(stats));
  });

  test('a dump.rdb redis-server saves reads entry for entry (several dbs, expires, FREQ, IDLE)', async (t) => {
    for (const policy of ['allkeys-lfu', 'allkeys-lru']) {
      await t.test(policy, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'rdb-'));
        const r = await startRedis([
          '--save',
          '',
          '--appendonly',
          'no',
          '--enable-debug-command',
          'yes',
          '--maxmemory-policy',
          policy,
          '--dir',
          dir,
          '--dbfilename',
          'dump.rdb',
        ]);
        const rc = new Redis({ port: r.port });
        try {
          const want = new Map<string, string[]>();
          for (const db of [0, 1, 5]) {
            await rc.select(db);
            want.set(String(db), await populate(rc, `db${db}:`));
            await rc.pexpire(`db${db}:str:0`, 1_000_000);
            await rc.expireat(`db${db}:list:small`, Math.floor(Date.now() / 1000) + 5000);
          }
          await rc.save();
          const entries: { db: number; key: string; obj: RdbObject; expireAt: number; lru: Lru }[] = [];
          const aux = new Map<string, string>();
          const dbs: number[] = [];
          const summary = readRdbFile(join(dir, 'dump.rdb'), {
            aux: (k, v) => aux.set(k, v.toString('latin1')),
            selectDb: (db) => dbs.push(db),
            entry: (db, key, obj, expireAt, lru) =>
              entries.push({ db, key: key.toString('latin1'), obj, expireAt, lru }),
          });
          assert.equal(summary.version, 10);
          assert.equal(summary.checksum, 'ok');
          assert.equal(aux.get('redis-ver'), '7.0.15');
          assert.deepEqual(dbs, [0, 1, 5]);
          const expected = [...want].flatMap(([db, ks]) => ks.map((k) => `${db}:${k}`));
          assert.deepEqual(entries.map((e) => `${e.db}:${e.key}`).sort(), expected.sort());
          assert.equal(summary.keys, expected.length);
          for (const e of entries) {
            await rc.select(e.db);
            assert.deepEqual(normalize(e.obj), await redisValue(rc, e.key), e.key);
            assert.equal(e.expireAt, Number(await rc.call('PEXPIRETIME', e.key)), e.key);
            if (policy === 'allkeys-lfu') assert.ok(e.lru.freq !== undefined && e.lru.idle === undefined, e.key);
            else assert.ok(e.lru.idle !== undefined && e.lru.freq === undefined, e.key);
          }
        } finally {
          rc.disconnect();
          await r.stop();
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });

  test("Redis's test assets in older encodings (zipmap, ziplists, quicklist 14, RDB 3 to 10) read as redis-server loads them", async (t) => {
    const { root, skip } = await source();
    if (root === undefined) return t.skip(skip);
    const files = ['encodings', 'hash-ziplist', 'hash-zipmap', 'list-quicklist', 'zset-ziplist', 'corrupt_empty_keys'];
    for (const name of files) {
      const dir = mkdtempSync(join(tmpdir(), 'rdb-'));
      copyFileSync(join(root, 'tests', 'assets', `${name}.rdb`), join(dir, 'dump.rdb'));
      const entries: { db: number; key: string; obj: RdbObject; expireAt: number }[] = [];
      const summary = readRdbFile(join(dir, 'dump.rdb'), {
        entry: (db, key, obj, expireAt) => entries.push({ db, key: key.toString('latin1'), obj, expireAt }),
      });
      const r = await startRedis(['--save', '', '--appendonly', 'no', '--dir', dir, '--dbfilename', 'dump.rdb']);
      const rc = new Redis({ port: r.port });
      try {
        let total = 0;
        for (const db of new Set([0, ...entries.map((e) => e.db)])) {
          await rc.select(db);
          total += await rc.dbsize();
        }
        assert.equal(summary.keys, total, name);
        assert.equal(entries.length, total, name);
        for (const e of entries) {
          await rc.select(e.db);
          assert.deepEqual(normalize(e.obj), await redisValue(rc, e.key), `${name}: ${e.key}`);
        }
      } finally {
        rc.disconnect();
        await r.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  test('objects of the older encodings in DUMP payloads parse and RESTORE as redis-server does; empty ones are refused by both', async (t) => {
    const { root, skip } = await source();
    if (root === undefined) return t.skip(skip);
    const assets: string = join(root, 'tests', 'assets');
    const types = new Set<number>();
    for (const name of [
      'encodings',
      'hash-ziplist',
      'hash-zipmap',
      'list-quicklist',
      'zset-ziplist',
      'corrupt_empty_keys',
    ]) {
      for (const { type, key, body } of rawObjects(readFileSync(join(assets, `${name}.rdb`)))) {
        types.add(type);
        const head = Buffer.concat([Buffer.from([type]), body, Buffer.from([10, 0])]);
        const payload = Buffer.concat([head, new Crc64().update(head).digest()]);
        let obj: RdbObject | null = null;
        try {
          obj = parseDumpPayload(payload);
        } catch (e) {
          assert.match(String(e), /empty key/, `${name}: ${key}`);
        }
        const restored = await c.restore(`old:${key}`, 0, payload, 'REPLACE').catch((e: Error) => e);
        if (obj === null) {
          assert.ok(restored instanceof Error, `${name}: ${key} restored`);
          continue;
        }
        assert.equal(restored, 'OK', `${name}: ${key}`);
        assert.deepEqual(normalize(obj), await redisValue(c, `old:${key}`), `${name}: ${key}`);
      }
    }
    assert.deepEqual(
      [...types].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 14, 16, 17],
    );
  });

  test('a file RdbFileWriter writes loads into redis-server with every key, TTL and value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdb-'));
    const objects: { db: number; key: string; obj: RdbObject; expireAt: number }[] = [];
    for (const [i, key] of keys.entries()) {
      const obj = parseDumpPayload(await c.dumpBuffer(key));
      const db = i % 3 === 0 ? 0 : i % 3 === 1 ? 2 : 15;
      objects.push({ db, key, obj, expireAt: i % 4 === 0 ? Date.now() + 3_600_000 + i : -1 });
    }
    const chunks: Buffer[] = [];
    const w = new RdbFileWriter((chunk) => chunks.push(chunk));
    w.begin([
      ['redis-ver', '7.0.15'],
      ['redis-bits', '64'],
      ['ctime', String(Math.floor(Date.now() / 1000))],
    ]);
    for (const db of [0, 2, 15]) {
      const mine = objects.filter((o) => o.db === db);
      w.selectDb(db, mine.length, mine.filter((o) => o.expireAt >= 0).length);
      for (const o of mine) w.entry(Buffer.from(o.key, 'latin1'), o.obj, o.expireAt);
    }
    w.end();
    assert.ok(chunks.length > 1, 'writes in chunks');
    writeFileSync(join(dir, 'out.rdb'), Buffer.concat(chunks));
    const again: string[] = [];
    const summary = readRdbFile(join(dir, 'out.rdb'), {
      entry: (db, key) => again.push(`${db}:${key.toString('latin1')}`),
    });
    assert.equal(summary.checksum, 'ok');
    assert.equal(again.length, objects.length);
    const r = await startRedis(['--save', '', '--appendonly', 'no', '--dir', dir, '--dbfilename', 'out.rdb']);
    const rc = new Redis({ port: r.port });
    try {
      for (const o of objects) {
        await rc.select(o.db);
        assert.deepEqual(await redisValue(rc, o.key), normalize(o.obj), o.key);
        assert.equal(Number(await rc.call('PEXPIRETIME', o.key)), o.expireAt, o.key);
      }
      for (const db of [0, 2, 15]) {
        await rc.select(db);
        assert.equal(await rc.dbsize(), objects.filter((o) => o.db === db).length);
      }
    } finally {
      rc.disconnect();
      await r.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
