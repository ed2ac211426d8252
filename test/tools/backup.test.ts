/**
 * `cache-dump backup` under write load: snapshots and segment rolls happen
 * while it copies, and a server started on the copy holds every write
 * acknowledged before the backup began.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cleanup, CLI, run, startServer, tempDir } from '../helpers/server.js';

const DUMP = resolve(CLI, '..', '..', 'tools', 'cache-dump.js');

test('a backup taken under write load starts a server holding every write acknowledged before it began', async (t) => {
  // Small segments and frequent snapshots, so that rolls, snapshots and WAL trimming happen during the copy.
  const srv = await startServer({
    args: ['--appendfsync', 'always', '--wal-segment-size', '256kb', '--snapshot-wal-bytes', '512kb'],
  });
  const c = srv.client();
  const value = 'v'.repeat(200);
  let acked = 0;
  let stop = false;
  const writer = (async () => {
    for (let i = 0; !stop; i += 50) {
      const p = c.pipeline();
      for (let j = i; j < i + 50; j++) p.set(`k:${j}`, `${value}${j}`);
      await p.exec();
      acked = i + 50;
    }
  })();
  while (acked < 5000) await new Promise((r) => setTimeout(r, 20));
  const before = acked;
  const dest = join(tempDir(), 'copy');
  const r = await run(process.execPath, [DUMP, 'backup', srv.dir, dest]);
  const during = acked - before;
  stop = true;
  await writer;
  await srv.stop();
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /snapshot \d+ \(covered LSN \d+\), \d+ WAL segments? up to LSN \d+/);
  assert.ok(during > 0, 'writes went on during the backup');
  t.diagnostic(`${r.stdout.trim()}; ${before} writes acknowledged before, ${during} during`);

  const copy = await startServer({ dir: dest });
  const c2 = copy.client();
  for (let i = 0; i < before; i += 1000) {
    const keys = Array.from({ length: Math.min(1000, before - i) }, (_, k) => `k:${i + k}`);
    const got = await c2.mget(...keys);
    for (const [k, v] of got.entries()) assert.equal(v, `${value}${i + k}`, keys[k]);
  }
  await copy.stop();
  cleanup(srv.dir);
  cleanup(resolve(dest, '..'));
});

test('backup refuses a destination that holds files, and a source that is no data directory', async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'dest'));
  writeFileSync(join(dir, 'dest', 'x'), 'x');
  mkdirSync(join(dir, 'src', 'wal'), { recursive: true });
  let r = await run(process.execPath, [DUMP, 'backup', join(dir, 'src'), join(dir, 'dest')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /dest exists and is not an empty directory/);
  r = await run(process.execPath, [DUMP, 'backup', dir, join(dir, 'other')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /is not a data directory/);
  cleanup(dir);
});
