/**
 * The WAL writer on a real directory, without a server: closing with
 * batches still to write (some of which roll segments) writes every record,
 * in LSN order, under each fsync policy; and records written before a switch
 * to `always` are synced before anything after the switch is reported durable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Wal, type FsyncPolicy } from '../../src/persistence/wal/writer.js';
import { listSegments } from '../../src/persistence/wal/segment.js';
import { scanSegmentFile } from '../../src/persistence/wal/reader.js';
import { cleanup, tempDir } from '../helpers/server.js';

/** Every record of a WAL directory, segment by segment, and the problems found. */
function readAll(dir: string): { lsns: number[]; problems: number } {
  const lsns: number[] = [];
  let problems = 0;
  for (const s of listSegments(dir)) {
    const scan = scanSegmentFile(join(dir, s.name));
    problems += scan.problems.length;
    for (const r of scan.records) lsns.push(r.lsn);
  }
  return { lsns, problems };
}

for (const policy of ['always', 'everysec', 'no'] as FsyncPolicy[]) {
  test(`close() under ${policy} writes every pending record, across segment rolls, in order`, async () => {
    const root = tempDir();
    const dir = join(root, 'wal');
    const wal = await Wal.open({ dir, segmentSize: 3 << 20, appendfsync: policy, nextLsn: 1 });
    const value = Buffer.alloc(16 * 1024, 0x61);
    // Several turns' worth, some batches in flight while the rest waits.
    for (let turn = 0; turn < 6; turn++) {
      for (let i = 0; i < 100; i++) wal.append(0, ['SET', Buffer.from(`k${turn}:${i}`), value]);
      wal.flush();
    }
    await wal.close();
    const { lsns, problems } = readAll(dir);
    assert.equal(problems, 0);
    assert.deepEqual(
      lsns,
      Array.from({ length: 600 }, (_, i) => i + 1),
    );
    assert.equal(wal.syncedLsn, 600);
    cleanup(root);
  });
}

test('after a switch from no to always, nothing is reported durable before the earlier records are synced', async () => {
  const root = tempDir();
  const wal = await Wal.open({ dir: join(root, 'wal'), segmentSize: 64 << 20, appendfsync: 'no', nextLsn: 1 });
  for (let i = 0; i < 3; i++) wal.append(0, ['SET', Buffer.from(`a${i}`), Buffer.from('1')]);
  wal.flush();
  while (wal.writtenLsn < 3) await nextTurn();
  assert.equal(wal.syncedLsn, 0, 'no has not synced');
  const reported: number[] = [];
  wal.onReleasable = (lsn) => reported.push(lsn);
  wal.setAppendfsync('always');
  const fsyncsBefore = wal.syncs;
  wal.append(0, ['SET', Buffer.from('b'), Buffer.from('2')]);
  wal.flush();
  while (wal.releasableLsn < 4) await nextTurn();
  // Every report under always covers LSN 1..3 only once an fdatasync covered them.
  assert.ok(
    reported.every((lsn) => lsn === 0 || lsn >= 4),
    `reported ${reported.join(',')}`,
  );
  assert.ok(wal.syncs >= fsyncsBefore + 2, 'the O_DSYNC write and an fdatasync of what came before');
  await wal.close();
  cleanup(root);
});
