/**
 * dump.rdb in and out: `import-rdb` loads a file redis-server 7.0.15 SAVEd
 * (every type, several databases, TTLs) into an empty data directory, durable
 * before the first client; `cache-dump export --format rdb` writes a file
 * redis-server loads at start with every key, value and TTL equal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { Redis as IORedis } from 'ioredis';
import { dumpKeyspace, sorted, streamInfo } from '../helpers/keyspace.js';
import { startRedis } from '../helpers/redis.js';
import { cleanup, run, startServer, tempDir } from '../helpers/server.js';

const TOOL = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'tools', 'cache-dump.js');

/** Keys of every type in databases 0, 1 and 5, some with TTLs, plus `bulk` strings and hashes. */
async function populate(c: Redis, bulk: number): Promise<void> {
  for (const db of [0, 1, 5]) {
    await c.select(db);
    const p = c.pipeline();
    p.set(`s${db}`, `value in ${db}`);
    p.set(`n${db}`, String(db * 1000 + 7));
    p.set(`ttl${db}`, 'x', 'PX', 3_600_000 + db);
    p.rpush(`l${db}`, ...Array.from({ length: 300 }, (_, i) => `e${i}`));
    p.sadd(`si${db}`, 1, 2, 3);
    p.sadd(`ss${db}`, 'a', 'b', 'c');
    p.zadd(`z${db}`, 1, 'a', 2.5, 'b', 'inf', 'c');
    p.zadd(`zbig${db}`, ...Array.from({ length: 200 }, (_, i) => [i, `m${i}`]).flat());
    p.hset(`h${db}`, 'f', 'v', 'g', 'w');
    p.hset(`hbig${db}`, ...Array.from({ length: 200 }, (_, i) => [`f${i}`, `v${i}`]).flat());
    p.pexpire(`h${db}`, 7_200_000);
    p.xadd(`x${db}`, '1-1', 'a', '1');
    p.xadd(`x${db}`, '2-1', 'b', '2');
    p.xgroup('CREATE', `x${db}`, 'g', '0');
    p.xreadgroup('GROUP', 'g', 'c1', 'COUNT', '1', 'STREAMS', `x${db}`, '>');
    await p.exec();
  }
  await c.select(0);
  for (let i = 0; i < bulk; i += 1000) {
    const p = c.pipeline();
    for (let j = i; j < Math.min(bulk, i + 1000); j++) {
      if (j % 2) p.set(`bulk:${j}`, `v${j}`);
      else p.hset(`bulkh:${j}`, 'a', String(j), 'b', 'x'.repeat(j % 100));
    }
    await p.exec();
  }
}

test('import-rdb loads a dump.rdb redis-server SAVEd, durable before the first client; a later start skips it', async () => {
  const redisDir = tempDir('flashcache-rdb-');
  const redis = await startRedis(['--save', '', '--appendonly', 'no', '--dir', redisDir]);
  const r = new IORedis({ port: redis.port });
  await populate(r, 20_000);
  await r.save();
  const want = sorted(await dumpKeyspace(r));
  r.disconnect();
  await redis.stop();
  const rdb = join(redisDir, 'dump.rdb');

  const srv = await startServer({ args: ['--import-rdb', rdb] });
  const line = srv.logs.find((l) => String(l.msg).startsWith('imported '));
  assert.equal(line?.keys, want.length);
  assert.deepEqual(sorted(await dumpKeyspace(srv.client())), want);
  // The snapshot was taken before listening: a SIGKILL now loses nothing, and the next start does not import again.
  await srv.kill();
  const again = await startServer({ dir: srv.dir, args: ['--import-rdb', rdb] });
  assert.ok(again.logs.some((l) => l.msg === 'import-rdb skipped: the data directory already holds data'));
  assert.deepEqual(sorted(await dumpKeyspace(again.client())), want);
  await again.stop();
  cleanup(srv.dir);

  // A damaged file stops start-up with the file and the offset, before any client is served.
  const damaged = join(redisDir, 'cut.rdb');
  const bytes = readFileSync(rdb);
  writeFileSync(damaged, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const bad = await startServer({ args: ['--import-rdb', damaged], expectExit: true });
  assert.equal(bad.exitCode, 1);
  const fatal = bad.logs.find((l) => l.level === 60);
  assert.match(String(fatal?.msg), /import-rdb: .*cut\.rdb: .*\(at byte \d+\)/);
  cleanup(bad.dir);
  copyFileSync(rdb, join(redisDir, 'ok.rdb'));
  const missing = await startServer({ args: ['--import-rdb', join(redisDir, 'none.rdb')], expectExit: true });
  assert.equal(missing.exitCode, 1);
  assert.match(String(missing.logs.find((l) => l.level === 60)?.msg), /import-rdb: cannot read .*none\.rdb/);
  cleanup(missing.dir);
  cleanup(redisDir);
});

test('cache-dump export --format rdb writes a dump.rdb that redis-server loads with every key, value and TTL', async () => {
  const srv = await startServer();
  const c = srv.client();
  await populate(c, 5_000);
  const want = sorted(await dumpKeyspace(c));
  await srv.stop();
  const out = tempDir('flashcache-export-');
  const res = await run(process.execPath, [TOOL, 'export', '--format', 'rdb', srv.dir]);
  assert.equal(res.code, 0, res.stderr);
  writeFileSync(join(out, 'dump.rdb'), res.raw);
  const redis = await startRedis(['--save', '', '--appendonly', 'no', '--dir', out, '--dbfilename', 'dump.rdb']);
  const r = new IORedis({ port: redis.port });
  assert.deepEqual(sorted(await dumpKeyspace(r)), want);
  const again = await startServer({ dir: srv.dir });
  const fcl = again.client();
  await fcl.select(1);
  await r.select(1);
  assert.deepEqual(
    streamInfo(await r.xinfo('STREAM', 'x1', 'FULL')),
    streamInfo(await fcl.xinfo('STREAM', 'x1', 'FULL')),
  );
  await again.stop();
  r.disconnect();
  await redis.stop();
  cleanup(out);
  cleanup(srv.dir);
});
