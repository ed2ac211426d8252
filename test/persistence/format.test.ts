/**
 * The WAL format is pinned by a golden segment in fixtures/wal/. The test
 * fails when the writer's bytes change; after an intended format change,
 * regenerate with `FLASHCACHE_REGEN_FIXTURES=1 npm test` and bump the version
 * in docs/FORMAT.md.
 */
import { test } from 'node:test';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePayload, encodePayload, encodeRecord, sealBatch } from '../../src/persistence/wal/codec.js';
import type { EffectArg } from '../../src/persistence/wal/codec.js';
import { segmentHeader } from '../../src/persistence/wal/segment.js';
import { scanSegment } from '../../src/persistence/wal/reader.js';
import { crc32cRange } from '../../src/persistence/crc.js';
import { crc32c } from '@node-rs/crc32';
import { cleanup, startServer, tempDir } from '../helpers/server.js';

const FIXTURE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'wal');
const FIXTURE = join(FIXTURE_DIR, '00000000000000000001.wal');
const TIME = 1795435200;

/** The effects in the golden segment, with their databases. */
const EFFECTS: [number, EffectArg[]][] = [
  [0, ['SET', Buffer.from('greeting'), Buffer.from('hello')]],
  [0, ['SET', Buffer.from('session:1'), Buffer.from('{"user":42}'), 'PXAT', '4102444800000']],
  [0, ['SET', Buffer.from('counter'), Buffer.from('41'), 'KEEPTTL']],
  [0, ['SET', Buffer.from('counter'), Buffer.from('42'), 'KEEPTTL']],
  [3, ['MSET', Buffer.from([0, 1, 2]), Buffer.from([0xff, 0, 0xfe]), Buffer.from('b'), Buffer.from('2')]],
  [3, ['DEL', Buffer.from('b')]],
  [0, ['APPEND', Buffer.from('greeting'), Buffer.from(', world')]],
  [0, ['RENAME', Buffer.from('counter'), Buffer.from('answer')]],
];

function goldenBytes(): Buffer {
  const parts: Buffer[] = [segmentHeader(1, TIME)];
  const batch = Buffer.alloc(4096);
  let len = 0;
  EFFECTS.forEach(([db, args], i) => (len += encodeRecord(batch, len, db, i + 1, TIME, encodePayload(args))));
  const records = batch.subarray(0, len);
  sealBatch(records, 0);
  parts.push(records);
  return Buffer.concat(parts);
}

test('the writer produces the golden segment byte for byte', () => {
  const bytes = goldenBytes();
  if (process.env['FLASHCACHE_REGEN_FIXTURES'] === '1') {
    mkdirSync(FIXTURE_DIR, { recursive: true });
    writeFileSync(FIXTURE, bytes);
  }
  assert.deepEqual(readFileSync(FIXTURE), bytes, 'WAL bytes changed: see the comment at the top of this test');
});

test('the reader decodes the golden segment into its effects', () => {
  const scan = scanSegment(readFileSync(FIXTURE), '00000000000000000001.wal');
  assert.deepEqual(scan.problems, []);
  assert.deepEqual(
    scan.records.map((r) => [r.lsn, r.db, r.time, r.commitLsn]),
    EFFECTS.map((_, i) => [i + 1, EFFECTS[i]![0], TIME, 0]),
  );
  scan.records.forEach((r, i) => assert.deepEqual(decodePayload(r.payload), EFFECTS[i]![1]));
});

test('the WAL packs effect payloads to the same bytes as msgpackr, at every length boundary', () => {
  const packr = new Packr({ useRecords: false, variableMapSize: true });
  const lengths = fc.constantFrom(0, 1, 31, 32, 255, 256, 65535, 65536, 70000);
  const arg = fc.oneof(
    fc.string({ unit: 'grapheme' }),
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    lengths.map((n) => 'k'.repeat(n)),
    lengths.map((n) => Buffer.alloc(n, 7)),
  );
  const effect = fc.oneof(
    fc.array(arg, { minLength: 1, maxLength: 20 }),
    fc.constantFrom(16, 65536).map((n) => new Array<EffectArg>(n).fill('x')),
  );
  fc.assert(
    fc.property(effect, (args) => {
      assert.deepEqual(encodePayload(args), packr.pack(args));
      assert.deepEqual(
        decodePayload(encodePayload(['SET', ...args])).slice(1),
        args.map((a) => (typeof a === 'string' ? a : Buffer.from(a))),
      );
    }),
    { numRuns: 300 },
  );
});

test('the CRC32C the writer computes for a range equals @node-rs/crc32 for every length and alignment', () => {
  assert.equal(crc32cRange(Buffer.from('123456789'), 0, 9), 0xe3069283, 'the CRC-32C check value');
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 1200 }), fc.nat(16), fc.nat(16), (bytes, cutStart, cutEnd) => {
      const buf = Buffer.from(bytes);
      const start = Math.min(cutStart, buf.length);
      const end = Math.max(start, buf.length - cutEnd);
      assert.equal(crc32cRange(buf, start, end), crc32c(buf.subarray(start, end)));
    }),
    { numRuns: 500 },
  );
});

test('preallocated zeros after the last record end a segment cleanly; zeros before a record, or inside one, are damage', () => {
  const golden = readFileSync(FIXTURE);
  const zeros = Buffer.alloc(3 << 20);
  const name = '00000000000000000001.wal';
  // Records, then zeros to the end of the file (as the writer preallocates): no problem, all records.
  const tail = scanSegment(Buffer.concat([golden, zeros]), name);
  assert.deepEqual(tail.problems, []);
  assert.equal(tail.records.length, EFFECTS.length);
  assert.equal(tail.goodEnd, golden.length);
  // A record whose bytes stop partway, then zeros: a torn tail, as without preallocation.
  const last = scanSegment(golden, name).records.at(-1)!;
  const torn = Buffer.concat([golden.subarray(0, last.offset + 12), zeros]);
  const tornScan = scanSegment(torn, name);
  assert.equal(tornScan.records.length, EFFECTS.length - 1);
  assert.equal(tornScan.problems.length, 1);
  assert.equal(tornScan.problems[0]!.offset, last.offset);
  assert.equal(tornScan.problems[0]!.torn, true);
  // Zeros where a record should be, with a record after them: not an end.
  const gap = Buffer.concat([golden.subarray(0, last.offset), Buffer.alloc(64), golden.subarray(last.offset), zeros]);
  assert.equal(scanSegment(gap, name).problems[0]!.kind, 'bad-magic');
});

test('a server started on the golden segment has the keyspace it describes', async () => {
  const dir = tempDir();
  cpSync(FIXTURE_DIR, join(dir, 'wal'), { recursive: true });
  const srv = await startServer({ dir });
  const redis = srv.client();
  assert.equal(await redis.get('greeting'), 'hello, world');
  assert.equal(await redis.get('answer'), '42');
  assert.equal(await redis.exists('counter'), 0);
  assert.equal(await redis.pexpiretime('session:1'), 4102444800000);
  await redis.select(3);
  assert.deepEqual(await redis.getBuffer(Buffer.from([0, 1, 2])), Buffer.from([0xff, 0, 0xfe]));
  assert.equal(await redis.dbsize(), 1);
  assert.match(await redis.info('persistence'), /wal_last_lsn:8\r/);
  await srv.stop();
  cleanup(dir);
});
