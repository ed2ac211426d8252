/**
 * Lifecycle: the data directory lock, clean shutdown by signal and by
 * SHUTDOWN, and WAL write failures (injected with FLASHCACHE_FAULTS) that
 * must never be acknowledged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeCommand, RawClient } from '../helpers/resp.js';
import { cleanup, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';

test('a second server on the same data directory exits with a clear message', async () => {
  const first = await startServer();
  const second = await startServer({ dir: first.dir, expectExit: true });
  assert.equal(second.exitCode, 1);
  const fatal = second.logs.find((l) => l.level === 60);
  assert.match(String(fatal?.msg), new RegExp(`in use by another FlashCache server \\(PID ${first.proc.pid}\\)`));
  assert.equal(await first.client().ping(), 'PONG', 'the first server is unaffected');
  await first.stop();
  cleanup(first.dir);
});

test('SIGTERM and SIGINT shut down cleanly with every write durable', async () => {
  const dir = tempDir();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const srv = await startServer({ dir, args: ['--appendfsync', 'no'] });
    const redis = srv.client();
    await redis.set(`by-${signal}`, 'kept');
    srv.proc.kill(signal);
    assert.equal(await srv.exited, 0);
    assert.ok(srv.logs.some((l) => l.msg === 'FlashCache is now ready to exit, bye bye'));
    redis.disconnect();
  }
  const srv = await startServer({ dir });
  const redis = srv.client();
  assert.deepEqual(await redis.mget('by-SIGTERM', 'by-SIGINT'), ['kept', 'kept']);
  await srv.stop();
  cleanup(dir);
});

test('SHUTDOWN closes the connection without a reply and exits 0', async () => {
  const srv = await startServer();
  const redis = srv.client({ retryStrategy: () => null });
  await redis.set('k', 'v');
  await assert.rejects(redis.shutdown());
  assert.equal(await srv.exited, 0);
  const again = await startServer({ dir: srv.dir });
  assert.equal(await again.client().get('k'), 'v');
  await again.stop();
  cleanup(srv.dir);
});

for (const fault of ['wal-write=ENOSPC', 'wal-fsync=EIO']) {
  test(`${fault}: writes get MISCONF, reads go on, nothing unsafe is acknowledged, recovery is automatic`, async (t) => {
    const switchDir = tempDir();
    const full = join(switchDir, 'fault-on');
    const srv = await startServer({ env: { FLASHCACHE_FAULTS: `${fault}@${full}` } });
    let again: ServerHandle | undefined;
    // Passed or failed: no server, and no client reconnecting to one, outlives the test.
    t.after(async () => {
      await srv.kill();
      await again?.kill();
      cleanup(srv.dir);
      cleanup(switchDir);
    });
    const writer = srv.client();
    const reader = srv.client();
    // Both connections finish setting up (ioredis's HELLO, CLIENT SETINFO and
    // INFO, one round trip after another) before the disk fails: a reply sealed
    // while the failing batch is in flight waits for that batch.
    await Promise.all([writer.set('before', '1'), reader.ping()]);

    writeFileSync(full, '');
    let acked = false;
    const pending = writer.set('during', '2').then((r) => ((acked = true), r));
    // Awaited below; until then a rejection must not fail the test ahead of the step that went wrong.
    pending.catch(() => {});
    // Poll on fresh connections: a reply sealed while the failing batch was in
    // flight waits for that batch, like every reply after it on its connection.
    await waitFor(
      async () => {
        const probe = srv.client();
        const info = await Promise.race([
          probe.info('persistence'),
          new Promise<string>((r) => setTimeout(() => r(''), 250)),
        ]);
        probe.disconnect();
        return /wal_write_status:err/.test(info);
      },
      5000,
      'the WAL to report the failure',
    );
    assert.equal(acked, false, 'a write the disk refused is not acknowledged');
    await assert.rejects(reader.set('refused', '3'), /^ReplyError: MISCONF Errors writing to the AOF file: /);
    assert.equal(await reader.get('before'), '1', 'reads of durable data keep working');
    // Another connection: replies on one connection leave in order, so a waiting
    // read would hold back everything after it on the same connection.
    let sawUndurable = false;
    const undurableRead = srv
      .client()
      .get('during')
      .then((v) => ((sawUndurable = true), v));
    undurableRead.catch(() => {});
    assert.equal(await reader.get('before'), '1');
    assert.equal(await reader.exists('before'), 1);
    assert.equal(sawUndurable, false, 'a read of a not-yet-durable write waits with it');

    rmSync(full);
    assert.equal(await pending, 'OK');
    assert.equal(await undurableRead, '2');
    await waitFor(async () => /wal_write_status:ok/.test(await reader.info('persistence')), 5000, 'the WAL to recover');
    assert.equal(await reader.set('after', '4'), 'OK');
    await srv.kill();

    again = await startServer({ dir: srv.dir });
    const r = again.client();
    assert.deepEqual(await r.mget('before', 'during', 'refused', 'after'), ['1', '2', null, '4']);
    await again.stop();
  });
}

test('everysec: a failed fdatasync refuses writes until a later one works', async (t) => {
  const switchDir = tempDir();
  const flag = join(switchDir, 'fault-on');
  const srv = await startServer({
    args: ['--appendfsync', 'everysec'],
    env: { FLASHCACHE_FAULTS: `wal-fsync=EIO@${flag}` },
  });
  t.after(async () => {
    await srv.kill();
    cleanup(srv.dir);
    cleanup(switchDir);
  });
  const r = srv.client();
  writeFileSync(flag, '');
  await r.set('a', '1');
  await waitFor(
    async () =>
      r.set('probe', '1').then(
        () => false,
        (e: Error) => /MISCONF/.test(e.message),
      ),
    5000,
    'MISCONF',
  );
  rmSync(flag);
  await waitFor(
    async () =>
      r.set('b', '2').then(
        () => true,
        () => false,
      ),
    5000,
    'writes to work again',
  );
  await srv.stop();
});

test('while the WAL fails, a MOVE that is not durable holds back reads of its destination', async (t) => {
  const switchDir = tempDir();
  const flag = join(switchDir, 'fault-on');
  const srv = await startServer({ env: { FLASHCACHE_FAULTS: `wal-write=ENOSPC@${flag}` } });
  t.after(async () => {
    await srv.kill();
    cleanup(srv.dir);
    cleanup(switchDir);
  });
  const writer = srv.client();
  await writer.set('k', 'v');
  writeFileSync(flag, '');
  const moved = writer.move('k', 1);
  moved.catch(() => {});
  await waitFor(
    async () => {
      const probe = srv.client();
      const info = await Promise.race([
        probe.info('persistence'),
        new Promise<string>((res) => setTimeout(() => res(''), 250)),
      ]);
      probe.disconnect();
      return /wal_write_status:err/.test(info);
    },
    5000,
    'the failure',
  );
  const reader = srv.client({ db: 1 });
  let seen = false;
  const read = reader.get('k').then((v) => ((seen = true), v));
  read.catch(() => {});
  const other = srv.client({ db: 1 });
  assert.equal(await other.exists('unrelated'), 0);
  assert.equal(seen, false, 'the read of the moved key waits for the MOVE to be durable');
  rmSync(flag);
  assert.equal(await moved, 1);
  assert.equal(await read, 'v');
  await srv.stop();
});

test('while the WAL fails, errors found before a command runs are answered at once', async (t) => {
  const switchDir = tempDir();
  const flag = join(switchDir, 'fault-on');
  const srv = await startServer({ env: { FLASHCACHE_FAULTS: `wal-write=ENOSPC@${flag}` } });
  const writer = await RawClient.connect(srv.port);
  t.after(async () => {
    writer.close();
    await srv.kill();
    cleanup(srv.dir);
    cleanup(switchDir);
  });
  assert.equal(await writer.call('SET', 'before', '1'), '+OK\r\n');
  writeFileSync(flag, '');
  writer.write(encodeCommand(['SET', 'during', '2']));
  await waitFor(
    async () => {
      // A probe that arrives before the failure is known waits with the failing batch.
      const probe = await RawClient.connect(srv.port);
      probe.write(encodeCommand(['INFO', 'persistence']));
      const info = await probe.read(250).catch(() => '');
      probe.close();
      return /wal_write_status:err/.test(String(info));
    },
    5000,
    'the failure',
  );
  const c = await RawClient.connect(srv.port);
  t.after(() => c.close());
  assert.match(String(await c.call('NOSUCH')), /^-ERR unknown command 'NOSUCH'/);
  assert.match(String(await c.call('GET')), /^-ERR wrong number of arguments for 'get' command/);
  assert.match(String(await c.call('CLIENT', 'NOSUCH')), /^-ERR unknown subcommand 'NOSUCH'/);
  // The connection is not held back by them: later replies still leave.
  assert.equal(await c.call('GET', 'before'), '$1\r\n1\r\n');
  const bad = await RawClient.connect(srv.port);
  t.after(() => bad.close());
  bad.write('*1\r\n$x\r\n');
  assert.match(String(await bad.read()), /^-ERR Protocol error: /);
  await bad.waitClosed();
  rmSync(flag);
  assert.equal(await writer.read(), '+OK\r\n');
});
