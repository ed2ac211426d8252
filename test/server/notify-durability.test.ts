/**
 * Keyspace notifications and invalidations are released like replies: a
 * subscriber or a tracking connection learns of a write only once the
 * write's WAL record is durable. The disk is held failing with
 * FLASHCACHE_FAULTS (as in ./lifecycle.test.ts) while a write is in flight:
 * neither its reply, nor its notification, nor its invalidation, nor a
 * PUBLISH sent after it (or inside a transaction that writes) arrives
 * until the disk recovers; then all of them do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeCommand, RawClient } from '../helpers/resp.js';
import { cleanup, startServer, tempDir, waitFor } from '../helpers/server.js';

/** Whether `c` receives anything within `ms` (a read that times out: nothing). */
async function receivesWithin(c: RawClient, ms: number): Promise<boolean> {
  try {
    await c.read(ms);
    return true;
  } catch {
    return false;
  }
}

for (const fault of ['wal-write=ENOSPC', 'wal-fsync=EIO']) {
  test(`${fault}: no notification or invalidation before the write is durable`, async (t) => {
    const switchDir = tempDir();
    const flag = join(switchDir, 'fault-on');
    const srv = await startServer({ env: { FLASHCACHE_FAULTS: `${fault}@${flag}` } });
    const conns: RawClient[] = [];
    t.after(async () => {
      for (const c of conns) c.close();
      await srv.kill();
      cleanup(srv.dir);
      cleanup(switchDir);
    });
    const connect = async (): Promise<RawClient> => {
      const c = await RawClient.connect(srv.port);
      conns.push(c);
      return c;
    };
    const [writer, sub, sub3, tracker] = await Promise.all([connect(), connect(), connect(), connect()]);
    const news = await connect();
    await news.call('SUBSCRIBE', 'news');
    assert.equal(await writer.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA'), '+OK\r\n');
    await sub.call('SUBSCRIBE', '__keyspace@0__:k');
    await sub3.call('HELLO', '3');
    await sub3.call('PSUBSCRIBE', '__keyevent@0__:*');
    await tracker.call('HELLO', '3');
    assert.equal(await tracker.call('CLIENT', 'TRACKING', 'on'), '+OK\r\n');
    assert.equal(await writer.call('SET', 'k', 'durable'), '+OK\r\n');
    assert.match(String(await sub.read()), /\$3\r\nset\r\n$/, 'a durable write is notified');
    assert.match(String(await sub3.read()), /__keyevent@0__:set\r\n\$1\r\nk\r\n$/);
    assert.equal(await tracker.call('GET', 'k'), '$7\r\ndurable\r\n');

    writeFileSync(flag, '');
    // One read: a write, a PUBLISH, and a transaction that writes and publishes, before the failure shows.
    const pipeline = [['SET', 'k', 'pending'], ['PUBLISH', 'news', 'k'], ['MULTI'], ['SET', 'tx', '1']];
    pipeline.push(['PUBLISH', 'news', 'tx'], ['EXEC']);
    writer.write(Buffer.concat(pipeline.map((cmd) => encodeCommand(cmd))));
    await waitFor(
      async () => {
        const probe = await RawClient.connect(srv.port);
        probe.write(encodeCommand(['INFO', 'persistence']));
        const info = await probe.read(250).catch(() => '');
        probe.close();
        return /wal_write_status:err/.test(String(info));
      },
      5000,
      'the WAL to report the failure',
    );
    assert.equal(await receivesWithin(writer, 300), false, 'the write is not acknowledged');
    assert.equal(await receivesWithin(sub, 100), false, 'no keyspace message before the write is durable');
    assert.equal(await receivesWithin(sub3, 100), false, 'no keyevent push before the write is durable');
    assert.equal(await receivesWithin(tracker, 100), false, 'no invalidation before the write is durable');
    assert.equal(await receivesWithin(news, 100), false, 'no PUBLISH after a write, or in EXEC, before it is durable');

    rmSync(flag);
    assert.equal(await writer.read(), '+OK\r\n');
    assert.match(String(await sub.read()), /__keyspace@0__:k\r\n\$3\r\nset\r\n$/);
    assert.equal(
      await sub3.read(),
      '>4\r\n$8\r\npmessage\r\n$16\r\n__keyevent@0__:*\r\n$18\r\n__keyevent@0__:set\r\n$1\r\nk\r\n',
    );
    assert.equal(await tracker.read(), '>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n');
    assert.deepEqual(await writer.readMany(5), [
      ':1\r\n',
      '+OK\r\n',
      '+QUEUED\r\n',
      '+QUEUED\r\n',
      '*2\r\n+OK\r\n:1\r\n',
    ]);
    const message = (text: string) => `*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$${text.length}\r\n${text}\r\n`;
    assert.deepEqual(await news.readMany(2), [message('k'), message('tx')], 'both messages, in order');
  });
}
