/**
 * pages.dat grows as frames are needed instead of by 64 MiB extents, with
 * the same format: a near-empty data directory takes a few MiB of disk, and
 * files written either way open and load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FRAMES_PER_EXTENT, grownFrames, PageFile, PageFileReader } from '../../src/persistence/snapshot/pagefile.js';
import { PAGE_SIZE } from '../../src/store/arena.js';
import { cleanup, startServer, tempDir } from '../helpers/server.js';

test('growth doubles, at most one extent at a time, and never short of what is needed', () => {
  assert.equal(grownFrames(0, 1), 1);
  assert.equal(grownFrames(1, 2), 2);
  assert.equal(grownFrames(2, 3), 4);
  assert.equal(grownFrames(4, 5), 8);
  assert.equal(grownFrames(64, 65), 64 + FRAMES_PER_EXTENT);
  assert.equal(grownFrames(512, 513), 512 + FRAMES_PER_EXTENT);
  assert.equal(grownFrames(3, 200), 200);
});

test('PageFile grows by frames, crosses extents, keeps what was written, and completes a torn frame', async () => {
  const dir = tempDir();
  const path = join(dir, 'pages.dat');
  let pf = await PageFile.open(path);
  assert.equal(pf.frameCount, 0);
  assert.equal(statSync(path).size, 0);
  await pf.ensure(1);
  assert.equal(statSync(path).size, PAGE_SIZE);
  assert.throws(() => pf.frame(1), RangeError);
  pf.frame(0).write('first', 0);
  await pf.ensure(3);
  assert.equal(pf.frameCount, 3);
  await pf.ensure(FRAMES_PER_EXTENT + 2);
  assert.equal(pf.frameCount, FRAMES_PER_EXTENT + 2);
  pf.frame(FRAMES_PER_EXTENT + 1).write('second extent', 0);
  await pf.sync();
  await pf.close();
  assert.equal(statSync(path).size, (FRAMES_PER_EXTENT + 2) * PAGE_SIZE);

  const r = PageFileReader.open(path);
  assert.equal(r.read([0], PAGE_SIZE, 5).subarray(0, 5).toString(), 'first');
  assert.equal(
    r
      .map(FRAMES_PER_EXTENT + 1)!
      .subarray(0, 13)
      .toString(),
    'second extent',
  );
  r.close();

  // A crash while growing leaves part of a frame: opening completes it.
  truncateSync(path, 2 * PAGE_SIZE + 100);
  pf = await PageFile.open(path);
  assert.equal(pf.frameCount, 3);
  assert.equal(statSync(path).size, 3 * PAGE_SIZE);
  assert.equal(pf.frame(0).subarray(0, 5).toString(), 'first');
  await pf.close();

  // A file grown by whole extents, as earlier versions did, opens as it is.
  writeFileSync(path, Buffer.alloc(0));
  truncateSync(path, FRAMES_PER_EXTENT * PAGE_SIZE);
  pf = await PageFile.open(path);
  assert.equal(pf.frameCount, FRAMES_PER_EXTENT);
  await pf.close();
  cleanup(dir);
});

/** Disk blocks a directory takes, in KiB (`du -sk`). */
function duKiB(dir: string): number {
  return Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]);
}

test('a near-empty data directory takes a few MiB of disk, and its keys come back', async () => {
  const srv = await startServer();
  const c = srv.client();
  await c.set('greeting', 'hello');
  await c.hset('h', 'f', 'v');
  assert.equal(await c.save(), 'OK');
  await srv.stop();
  const kib = duKiB(srv.dir);
  assert.ok(kib < 8 * 1024, `data directory takes ${kib} KiB`);
  assert.ok(statSync(join(srv.dir, 'snapshot', 'pages.dat')).size <= 4 * PAGE_SIZE);
  const again = await startServer({ dir: srv.dir });
  const c2 = again.client();
  assert.equal(await c2.get('greeting'), 'hello');
  assert.equal(await c2.hget('h', 'f'), 'v');
  await again.stop();
  cleanup(srv.dir);
});
