/**
 * Start-up over damaged WALs, one damage helper per case: a torn tail is
 * truncated and logged; a flipped byte before the tail stops start-up with the
 * file and the offset, unless `--wal-recovery skip-corrupt` says otherwise.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, startServer, tempDir, waitFor } from '../helpers/server.js';
import { listSegments } from '../../src/persistence/wal/segment.js';
import { scanSegmentFile, type WalRecord } from '../../src/persistence/wal/reader.js';
import { RECORD_HEADER_SIZE } from '../../src/persistence/format.js';

const KEYS = 50;
let source: string;
let segment: string;
let records: WalRecord[];

/** A copy of the prepared data directory, and the path of its segment. */
function copyDir(): { dir: string; seg: string } {
  const dir = tempDir();
  cpSync(source, dir, { recursive: true });
  return { dir, seg: join(dir, 'wal', segment) };
}

/** Damage helpers: each changes one segment file in place. */
const damage = {
  truncateTo(path: string, length: number): void {
    truncateSync(path, length);
  },
  flipByte(path: string, offset: number): void {
    const buf = readFileSync(path);
    buf[offset]! ^= 0x5a;
    writeFileSync(path, buf);
  },
  overwrite(path: string, offset: number, bytes: Buffer): void {
    const buf = readFileSync(path);
    bytes.copy(buf, offset);
    writeFileSync(path, buf);
  },
};

before(async () => {
  source = tempDir();
  const srv = await startServer({ dir: source });
  const redis = srv.client();
  for (let i = 0; i < KEYS; i++) await redis.set(`key:${i}`, `value:${i}`);
  // Let the writer's background preallocation finish, so the killed segment ends in zeros.
  const live = join(source, 'wal', listSegments(join(source, 'wal')).at(-1)!.name);
  await waitFor(() => statSync(live).size >= 2 << 20, 10_000, 'WAL preallocation');
  await srv.kill();
  const segs = listSegments(join(source, 'wal'));
  segment = segs[segs.length - 1]!.name;
  records = scanSegmentFile(join(source, 'wal', segment)).records;
  assert.equal(records.length, KEYS);
});

after(() => cleanup(source));

async function keysPresent(port: number): Promise<number[]> {
  const { Redis } = await import('ioredis');
  const redis = new Redis({ port, host: '127.0.0.1' });
  const values = await redis.mget(...Array.from({ length: KEYS }, (_, i) => `key:${i}`));
  redis.disconnect();
  const present: number[] = [];
  values.forEach((v, i) => {
    if (v !== null) {
      assert.equal(v, `value:${i}`);
      present.push(i);
    }
  });
  return present;
}

test('a torn tail at any offset inside the last record is truncated and logged', async () => {
  const last = records[records.length - 1]!;
  const cuts = [1, 4, 8, 12, RECORD_HEADER_SIZE - 1, RECORD_HEADER_SIZE, RECORD_HEADER_SIZE + 3, last.size - 1];
  for (const cut of cuts) {
    const { dir, seg } = copyDir();
    damage.truncateTo(seg, last.offset + cut);
    const srv = await startServer({ dir });
    assert.deepEqual(
      await keysPresent(srv.port),
      Array.from({ length: KEYS - 1 }, (_, i) => i),
      `cut at +${cut}`,
    );
    const line = srv.logs.find((l) => l.msg === 'truncated torn WAL tail');
    assert.ok(line, `cut at +${cut}: truncation is logged`);
    assert.equal(line.file, seg);
    assert.equal(line.offset, last.offset);
    assert.equal(line.bytes, cut);
    await srv.stop();
    cleanup(dir);
  }
});

test('preallocated zeros after the last record are the end of the log: nothing truncated, every key kept; a clean shutdown cuts them off', async () => {
  const last = records[records.length - 1]!;
  const { dir, seg } = copyDir();
  assert.ok(statSync(seg).size > last.offset + last.size, 'the killed server left zeros after its records');
  const srv = await startServer({ dir });
  assert.deepEqual(
    await keysPresent(srv.port),
    Array.from({ length: KEYS }, (_, i) => i),
  );
  assert.ok(!srv.logs.some((l) => l.msg === 'truncated torn WAL tail'));
  await srv.client().set('after', 'restart');
  assert.equal(await srv.stop(), 0);
  // Every segment left by the clean shutdown ends with its last record (or its header).
  for (const s of listSegments(join(dir, 'wal'))) {
    const scan = scanSegmentFile(join(dir, 'wal', s.name));
    const end = scan.records.length > 0 ? scan.records.at(-1)!.offset + scan.records.at(-1)!.size : scan.goodEnd;
    if (s.name !== segment) assert.equal(s.bytes, end, `${s.name} has no zeros left`);
  }
  cleanup(dir);
});

test('a last record whose bytes never reached the disk (zeros) is a torn tail', async () => {
  const last = records[records.length - 1]!;
  const { dir, seg } = copyDir();
  damage.overwrite(seg, last.offset + 10, Buffer.alloc(last.size - 10));
  const srv = await startServer({ dir });
  assert.equal((await keysPresent(srv.port)).length, KEYS - 1);
  assert.equal(statSync(seg).size, last.offset);
  await srv.stop();
  cleanup(dir);
});

test('a flipped byte mid-segment stops start-up with the file and the offset', async () => {
  const victim = records[20]!;
  for (const where of [RECORD_HEADER_SIZE + 2, 5, 13]) {
    const { dir, seg } = copyDir();
    damage.flipByte(seg, victim.offset + where);
    const srv = await startServer({ dir, expectExit: true });
    assert.equal(srv.exitCode, 1);
    const fatal = srv.logs.find((l) => l.level === 60);
    assert.ok(fatal, 'a fatal log line explains the refusal');
    assert.match(
      String(fatal.msg),
      new RegExp(`${seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at offset ${victim.offset}`),
    );
    assert.match(String(fatal.msg), /cache-dump wal repair/);
    assert.match(String(fatal.msg), /--wal-recovery skip-corrupt/);
    cleanup(dir);
  }
});

test('--wal-recovery skip-corrupt starts past mid-segment damage and loses only the damaged record', async () => {
  const victim = records[20]!;
  const { dir, seg } = copyDir();
  damage.flipByte(seg, victim.offset + RECORD_HEADER_SIZE + 2);
  const srv = await startServer({ dir, args: ['--wal-recovery', 'skip-corrupt'] });
  const present = await keysPresent(srv.port);
  assert.deepEqual(
    present,
    Array.from({ length: KEYS }, (_, i) => i).filter((i) => i !== 20),
  );
  assert.ok(srv.logs.some((l) => l.msg === 'skipping damaged WAL bytes' && l.offset === victim.offset));
  await srv.stop();
  cleanup(dir);
});

test('--wal-recovery strict refuses even a torn tail', async () => {
  const last = records[records.length - 1]!;
  const { dir, seg } = copyDir();
  damage.truncateTo(seg, last.offset + 5);
  const srv = await startServer({ dir, args: ['--wal-recovery', 'strict'], expectExit: true });
  assert.equal(srv.exitCode, 1);
  assert.ok(srv.logs.some((l) => /torn tail/.test(String(l.msg))));
  assert.equal(statSync(seg).size, last.offset + 5, 'strict leaves the file untouched');
  cleanup(dir);
});
