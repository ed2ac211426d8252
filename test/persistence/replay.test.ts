/**
 * Replay edge cases: limits that changed since a write was acknowledged,
 * batches larger than a segment, and an effect that cannot be replayed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, startServer, tempDir } from '../helpers/server.js';
import { encodePayload, encodeRecord, sealBatch } from '../../src/persistence/wal/codec.js';
import { listSegments, segmentHeader } from '../../src/persistence/wal/segment.js';
import { scanSegmentFile } from '../../src/persistence/wal/reader.js';

test('a value acknowledged under a larger proto-max-bulk-len survives a restart with a smaller one', async () => {
  const srv = await startServer();
  const big = 'b'.repeat(2 * 1024 * 1024);
  await srv.client().set('big', big);
  await srv.client().append('big', '!');
  await srv.kill();
  const again = await startServer({ dir: srv.dir, args: ['--proto-max-bulk-len', '1mb'] });
  const r = again.client();
  assert.equal(await r.strlen('big'), big.length + 1);
  await assert.rejects(r.append('big', 'more'), /string exceeds maximum allowed size/);
  await again.stop();
  cleanup(srv.dir);
});

test('a batch larger than a segment is split at record boundaries, and every record replays', async () => {
  const srv = await startServer({ args: ['--wal-segment-size', '64kb'] });
  const r = srv.client();
  const p = r.pipeline();
  for (let i = 0; i < 3000; i++) p.set(`key:${i}`, 'v'.repeat(100));
  await p.exec();
  await r.set('single', 'x'.repeat(200_000));
  await srv.kill();
  const segs = listSegments(join(srv.dir, 'wal'));
  assert.ok(segs.length >= 6, `${segs.length} segments`);
  for (const s of segs) {
    const records = scanSegmentFile(join(srv.dir, 'wal', s.name)).records.length;
    assert.ok(s.bytes <= 64 * 1024 || records === 1, `${s.name}: ${s.bytes} bytes in ${records} records`);
  }
  const again = await startServer({ dir: srv.dir });
  assert.equal(await again.client().dbsize(), 3001);
  assert.equal(await again.client().strlen('single'), 200_000);
  await again.stop();
  cleanup(srv.dir);
});

test('an effect that fails on replay stops start-up, naming its LSN', async () => {
  const dir = tempDir();
  const batch = Buffer.alloc(1024);
  let len = 0;
  len += encodeRecord(batch, len, 0, 1, 0, encodePayload(['SET', Buffer.from('a'), Buffer.from('1')]));
  len += encodeRecord(batch, len, 0, 2, 0, encodePayload(['RENAME', Buffer.from('missing'), Buffer.from('b')]));
  const records = batch.subarray(0, len);
  sealBatch(records, 0);
  mkdirSync(join(dir, 'wal'));
  writeFileSync(join(dir, 'wal', '00000000000000000001.wal'), Buffer.concat([segmentHeader(1, 0), records]));
  const srv = await startServer({ dir, expectExit: true });
  assert.equal(srv.exitCode, 1);
  const fatal = srv.logs.find((l) => l.level === 60);
  assert.match(String(fatal?.msg), /WAL record LSN 2 \(db 0, RENAME\) failed on replay: ERR no such key/);
  cleanup(dir);
});
