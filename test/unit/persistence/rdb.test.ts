/**
 * The RDB codec's pure parts: CRC-64/Jones, LZF, the packed encodings, DUMP
 * payloads (round trips, truncation at every length, wrong version or CRC,
 * huge declared lengths, a fuzz of mutated payloads where only RdbError may
 * come out), Redis 5 and 7.2 stream types and Redis 7.2 listpack sets, and
 * the file reader's errors. Redis's test assets (older encodings) come from
 * Debian's redis 7.0.15 source package (test/helpers/redis-source.ts); the
 * tests that read them skip when it cannot be had.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Crc64, crc64 } from '../../../src/persistence/rdb/crc64.js';
import { intsetMembers, listpack, listpackEntries } from '../../../src/persistence/rdb/encodings.js';
import { RdbFileWriter, readRdbFile } from '../../../src/persistence/rdb/file.js';
import { lzfCompress, lzfDecompress } from '../../../src/persistence/rdb/lzf.js';
import {
  createDumpPayload,
  encodeObject,
  parseDumpPayload,
  RDB_TYPE_SET_LISTPACK,
  RDB_TYPE_STREAM_LISTPACKS,
  RDB_TYPE_STREAM_LISTPACKS_3,
  RdbReader,
  verifyDumpPayload,
} from '../../../src/persistence/rdb/object.js';
import { writeStream } from '../../../src/persistence/rdb/stream.js';
import { RdbError, type RdbObject, type RdbStream } from '../../../src/persistence/rdb/types.js';
import { RdbByteWriter } from '../../../src/persistence/rdb/writer.js';
import { rawObjects } from '../../helpers/rdb.js';
import { assetRdbs, redisSource } from '../../helpers/redis-source.js';

const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const element = fc.oneof(
  latin1,
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
);

/** A payload with `body` (type byte + object) and a valid footer. */
function payloadOf(body: Buffer, version = 10): Buffer {
  const head = Buffer.concat([body, Buffer.from([version & 0xff, version >> 8])]);
  return Buffer.concat([head, new Crc64().update(head).digest()]);
}

function bodyOf(payload: Buffer): Buffer {
  return payload.subarray(0, payload.length - 10);
}

const stream: RdbStream = {
  kind: 'stream',
  entries: [
    { id: { ms: 1n, seq: 0n }, fields: ['a', '1', 'b', '2'] },
    { id: { ms: 1n, seq: 1n }, fields: ['a', '3', 'b', '4'] },
    { id: { ms: 2n ** 40n, seq: 7n }, fields: ['c', 'x'.repeat(100)] },
  ],
  length: 3,
  lastId: { ms: 2n ** 40n, seq: 9n },
  firstId: { ms: 1n, seq: 0n },
  maxDeletedId: { ms: 2n ** 40n, seq: 8n },
  entriesAdded: 5,
  groups: [
    {
      name: 'g',
      lastId: { ms: 1n, seq: 1n },
      entriesRead: 2,
      pel: [
        { id: { ms: 1n, seq: 0n }, deliveryTime: 1700000000123, deliveryCount: 2 },
        { id: { ms: 1n, seq: 1n }, deliveryTime: 1700000000456, deliveryCount: 1 },
      ],
      consumers: [
        { name: 'alice', seenTime: 1700000000999, pending: [{ ms: 1n, seq: 1n }] },
        { name: 'bob', seenTime: 1700000000998, pending: [{ ms: 1n, seq: 0n }] },
      ],
    },
    { name: 'empty', lastId: { ms: 0n, seq: 0n }, entriesRead: -1, pel: [], consumers: [] },
  ],
};

const samples: RdbObject[] = [
  { kind: 'string', value: Buffer.from('hello') },
  { kind: 'string', value: Buffer.from('-12345') },
  { kind: 'string', value: Buffer.from('abc'.repeat(100)) },
  { kind: 'list', items: ['a', '1', '-70000', '9223372036854775807', '', 'é'] },
  { kind: 'set', members: ['x', 'y', '3'] },
  { kind: 'zset', members: ['a', 'b', 'c'], scores: [1.5, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY] },
  { kind: 'hash', fields: ['f', 'g'], values: ['1', 'v'.repeat(30)] },
  stream,
];

function throwsRdb(f: () => unknown, message?: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof RdbError, `not an RdbError: ${String(e)}`);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('CRC-64/Jones', () => {
  test("Redis's self-test vector, incremental updates, digest little-endian", () => {
    assert.equal(crc64(Buffer.from('123456789')), 0xe9c6d914c4b8d9can);
    const c = new Crc64().update(Buffer.from('1234')).update(Buffer.from('56789'));
    assert.equal(c.value, 0xe9c6d914c4b8d9can);
    assert.deepEqual(c.digest(), Buffer.from('cad9b8c414d9c6e9', 'hex'));
    assert.equal(crc64(new Uint8Array(0)), 0n);
  });
});

describe('LZF', () => {
  test('any bytes compress and decompress back; compression saves more than 4 bytes or gives null', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 3000 }),
          fc.string().map((s) => Buffer.from(s.repeat(7))),
        ),
        (d) => {
          const c = lzfCompress(d);
          if (c === null) return;
          assert.ok(c.length <= d.length - 4);
          assert.deepEqual(lzfDecompress(c, d.length, 0), Buffer.from(d));
        },
      ),
      { numRuns: 500 },
    );
    const text = Buffer.from('abcdefgh'.repeat(5000));
    const c = lzfCompress(text)!;
    assert.ok(c.length < 1000);
    assert.deepEqual(lzfDecompress(c, text.length, 0), text);
  });

  test('bad data throws RdbError: back-reference before the start, wrong length, truncation', () => {
    throwsRdb(() => lzfDecompress(Buffer.from([0x20, 0x05]), 3, 7), /before the start/);
    throwsRdb(() => lzfDecompress(Buffer.from([0x01, 0x61, 0x62]), 3, 0), /decompresses to 2 bytes/);
    throwsRdb(() => lzfDecompress(Buffer.from([0x05, 0x61]), 6, 0), /truncated/);
    throwsRdb(() => lzfDecompress(Buffer.from([0x02, 0x61, 0x62, 0x63]), 2, 0), /past its declared length/);
  });
});

describe('packed encodings', () => {
  test('listpack round trip; integers in their smallest form', () => {
    fc.assert(
      fc.property(fc.array(element, { maxLength: 60 }), (items) => {
        assert.deepEqual(listpackEntries(listpack(items), 0), items);
      }),
    );
    assert.deepEqual([...listpack(['127']).subarray(6, 8)], [0x7f, 0x01]);
    assert.deepEqual([...listpack(['-1']).subarray(6, 9)], [0xdf, 0xff, 0x02]);
    assert.equal(listpack(['0123'])[6], 0x84);
  });

  test('a listpack with a bad back-length, count or terminator is refused', () => {
    const lp = listpack(['a', 'b']);
    const badBack = Buffer.from(lp);
    badBack[8] = 5;
    throwsRdb(() => listpackEntries(badBack, 100), /back-length/);
    const badCount = Buffer.from(lp);
    badCount[4] = 3;
    throwsRdb(() => listpackEntries(badCount, 0), /header says 3 entries/);
    const badEnd = Buffer.from(lp);
    badEnd[badEnd.length - 1] = 0;
    throwsRdb(() => listpackEntries(badEnd, 0), /terminator/);
  });

  test('an intset out of order, empty or with a wrong size is refused', () => {
    const is = (enc: number, vals: number[], count = vals.length): Buffer => {
      const b = Buffer.alloc(8 + vals.length * enc);
      b.writeUInt32LE(enc, 0);
      b.writeUInt32LE(count, 4);
      vals.forEach((v, i) => b.writeIntLE(v, 8 + i * enc, enc === 8 ? 6 : enc));
      return b;
    };
    assert.deepEqual(intsetMembers(is(2, [-5, 1, 300]), 0), ['-5', '1', '300']);
    throwsRdb(() => intsetMembers(is(2, [1, 1]), 0), /ascending/);
    throwsRdb(() => intsetMembers(is(2, []), 0), /empty/);
    throwsRdb(() => intsetMembers(is(4, [1, 2], 3), 0), /header says 3/);
    throwsRdb(() => intsetMembers(is(3, [1]), 0), /encoding/);
  });
});

describe('DUMP payloads', () => {
  test('every kind round-trips through createDumpPayload and parseDumpPayload', () => {
    for (const obj of samples) {
      const p = createDumpPayload(obj);
      assert.ok(verifyDumpPayload(p));
      assert.deepEqual(parseDumpPayload(p), obj);
      const { type, body } = encodeObject(obj);
      assert.deepEqual(Buffer.concat([Buffer.from([type]), body]), bodyOf(p));
    }
  });

  test('random lists, sets, zsets and hashes round-trip', () => {
    fc.assert(
      fc.property(fc.uniqueArray(element, { minLength: 1, maxLength: 300 }), fc.double(), (items, score) => {
        const objs: RdbObject[] = [
          { kind: 'list', items },
          { kind: 'set', members: items },
          { kind: 'zset', members: items, scores: items.map((_, i) => (Number.isNaN(score) ? i : score + i)) },
          { kind: 'hash', fields: items, values: [...items].reverse() },
        ];
        for (const o of objs) assert.deepEqual(parseDumpPayload(createDumpPayload(o)), o);
      }),
      { numRuns: 100 },
    );
  });

  test('wrong version, bad CRC, short payloads, trailing bytes and empty collections are refused', () => {
    const p = createDumpPayload(samples[0]!);
    const v11 = payloadOf(bodyOf(p), 11);
    assert.equal(verifyDumpPayload(v11), false);
    throwsRdb(() => parseDumpPayload(v11), /version or checksum/);
    const badCrc = Buffer.from(p);
    badCrc[badCrc.length - 1]! ^= 1;
    throwsRdb(() => parseDumpPayload(badCrc), /version or checksum/);
    assert.deepEqual(parseDumpPayload(badCrc, { skipChecksum: true }), samples[0]);
    throwsRdb(() => parseDumpPayload(p.subarray(0, 9)));
    throwsRdb(
      () => parseDumpPayload(payloadOf(Buffer.concat([bodyOf(p), Buffer.from([0])]))),
      /before the payload footer/,
    );
    throwsRdb(() => parseDumpPayload(payloadOf(Buffer.from([1, 0]))), /empty key/);
    assert.deepEqual(parseDumpPayload(payloadOf(bodyOf(p)), {}), samples[0]);
  });

  test('truncated at every length, each kind fails with RdbError', () => {
    for (const obj of samples) {
      const body = bodyOf(createDumpPayload(obj));
      for (let n = 0; n < body.length; n++) throwsRdb(() => parseDumpPayload(payloadOf(body.subarray(0, n))));
    }
  });

  test('huge declared lengths fail fast without allocating', () => {
    const huge = Buffer.from([0x81, 0x10, 0, 0, 0, 0, 0, 0, 0]); // 2^60
    for (const type of [1, 2, 3, 4, 5, 14, 15, 18, 19]) {
      throwsRdb(() => parseDumpPayload(payloadOf(Buffer.concat([Buffer.from([type]), huge, Buffer.alloc(10)]))));
    }
    const big = Buffer.from([0x81, 0, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    throwsRdb(() => parseDumpPayload(payloadOf(Buffer.concat([Buffer.from([1]), big, Buffer.alloc(10)]))), /exceeds/);
    throwsRdb(() => parseDumpPayload(payloadOf(Buffer.from([0, 0x80, 0xff, 0xff, 0xff, 0xff, 1, 2]))), /exceeds/);
    // LZF claiming 4 GB from 3 bytes.
    throwsRdb(
      () => parseDumpPayload(payloadOf(Buffer.from([0, 0xc3, 3, 0x80, 0xff, 0xff, 0xff, 0xff, 0, 0x61, 0]))),
      /impossible/,
    );
  });

  test('duplicates, NaN scores, module and unknown types are refused as Redis does', () => {
    const w = new RdbByteWriter();
    w.byte(2);
    w.length(2);
    w.string('a');
    w.string('a');
    throwsRdb(() => parseDumpPayload(payloadOf(Buffer.from(w.view()))), /Duplicate set members detected/);
    const z = new RdbByteWriter();
    z.byte(5);
    z.length(1);
    z.string('a');
    z.binaryDouble(Number.NaN);
    throwsRdb(() => parseDumpPayload(payloadOf(Buffer.from(z.view()))), /NAN score/);
    const h = encodeObject({ kind: 'hash', fields: ['f', 'f'], values: ['1', '2'] });
    throwsRdb(
      () => parseDumpPayload(payloadOf(Buffer.concat([Buffer.from([h.type]), h.body]))),
      /Duplicate hash fields/,
    );
    throwsRdb(() => parseDumpPayload(payloadOf(Buffer.from([7, 0]))), /unsupported RDB object type 7/);
    throwsRdb(() => parseDumpPayload(payloadOf(Buffer.from([99, 0]))), /unknown RDB object type 99/);
  });

  test('Redis 7.2 listpack sets (type 20) and streams (21) read from RDB 11 data only; streams of type 15 read', () => {
    const lp = new RdbByteWriter();
    lp.byte(RDB_TYPE_SET_LISTPACK);
    lp.string(listpack(['a', '5', 'b']));
    const v11 = (body: Buffer): RdbObject => {
      throwsRdb(() => parseDumpPayload(payloadOf(body)), /unknown RDB object type 2[01]/);
      const r = new RdbReader(body);
      r.rdbVersion = 11;
      const o = r.readObject(r.readByte());
      assert.equal(r.pos, body.length);
      return o;
    };
    assert.deepEqual(v11(Buffer.from(lp.view())), { kind: 'set', members: ['a', '5', 'b'] });
    const v3 = new RdbByteWriter();
    v3.byte(RDB_TYPE_STREAM_LISTPACKS_3);
    writeStream(v3, stream, RDB_TYPE_STREAM_LISTPACKS_3);
    const withActive = {
      ...stream,
      groups: stream.groups.map((g) => ({
        ...g,
        consumers: g.consumers.map((c) => ({ ...c, activeTime: c.seenTime })),
      })),
    };
    assert.deepEqual(v11(Buffer.from(v3.view())), withActive);
    const v1 = new RdbByteWriter();
    v1.byte(RDB_TYPE_STREAM_LISTPACKS);
    writeStream(v1, stream, RDB_TYPE_STREAM_LISTPACKS);
    const zero = { ms: 0n, seq: 0n };
    assert.deepEqual(parseDumpPayload(payloadOf(Buffer.from(v1.view()))), {
      ...stream,
      firstId: zero,
      maxDeletedId: zero,
      entriesAdded: 3,
      groups: stream.groups.map((g) => ({ ...g, entriesRead: -1 })),
    });
  });

  test('fuzz: mutated payloads only ever throw RdbError', async (t) => {
    const { root, skip } = await redisSource();
    if (root === undefined) return t.skip(skip);
    const packed = (type: number, blob: Buffer): Buffer => {
      const w = new RdbByteWriter();
      w.byte(type);
      w.string(blob);
      return Buffer.from(w.view());
    };
    const intset = Buffer.from('0200000003000000fbff01002c01', 'hex');
    const bodies = [
      ...samples.map((o) => bodyOf(createDumpPayload(o))),
      // Every older encoding, from Redis's test assets: ziplists, zipmap, intset, quicklist 14, text scores.
      ...assetRdbs(root).flatMap((f) =>
        rawObjects(readFileSync(f)).map((o) => Buffer.concat([Buffer.from([o.type]), o.body])),
      ),
      packed(11, intset),
      packed(16, listpack(['f', '1', 'g', '-70000'])),
      packed(17, listpack(['a', '1.5', 'b', '-inf'])),
    ];
    assert.ok(bodies.length > 30);
    const mutation = fc.record({
      which: fc.nat(bodies.length - 1),
      edits: fc.array(
        fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')),
        {
          minLength: 1,
          maxLength: 4,
        },
      ),
    });
    fc.assert(
      fc.property(mutation, ({ which, edits }) => {
        const b = [...bodies[which]!];
        for (const [pos, val, op] of edits) {
          const at = pos % (b.length + 1);
          if (op === 'set' && at < b.length) b[at] = val;
          else if (op === 'insert') b.splice(at, 0, val);
          else b.splice(at, 1);
        }
        const p = payloadOf(Buffer.from(b));
        try {
          parseDumpPayload(p, { skipChecksum: true });
        } catch (e) {
          if (!(e instanceof RdbError)) throw e;
        }
      }),
      { numRuns: Number(process.env.RDB_FUZZ_RUNS ?? 20000) },
    );
  });

  test('RdbReader primitives', () => {
    const r = new RdbReader(
      Buffer.from([0x05, 0x41, 0x02, 0x81, 0, 0, 0, 1, 0, 0, 0, 0, 0xfe, 0xfd, 3, 0x31, 0x2e, 0x35]),
    );
    assert.equal(r.readLength(), 5);
    assert.equal(r.readLength(), 0x102);
    assert.equal(r.readLength(), 2 ** 32);
    assert.equal(r.readStringDouble(), Number.POSITIVE_INFINITY);
    assert.ok(Number.isNaN(r.readStringDouble()));
    assert.equal(r.readStringDouble(), 1.5);
    throwsRdb(() => r.readByte(), /unexpected end/);
  });
});

describe('RDB files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rdb-unit-'));
  const write = (name: string, entries: [Buffer, RdbObject, number][], mutate?: (b: Buffer) => Buffer): string => {
    const chunks: Buffer[] = [];
    const w = new RdbFileWriter((c) => chunks.push(c));
    w.begin([['redis-ver', '7.0.15']]);
    w.selectDb(3, entries.length, 0);
    for (const [k, o, e] of entries) w.entry(k, o, e);
    w.end();
    let b: Buffer = Buffer.concat(chunks);
    if (mutate) b = mutate(b);
    writeFileSync(join(dir, name), b);
    return join(dir, name);
  };

  test('values larger than the read chunk, and many keys, read back', () => {
    const big = Buffer.alloc(3 << 20, 7);
    big.write('not compressible?', 100);
    const entries: [Buffer, RdbObject, number][] = [[Buffer.from('big'), { kind: 'string', value: big }, -1]];
    for (let i = 0; i < 50_000; i++)
      entries.push([Buffer.from(`k${i}`), { kind: 'string', value: Buffer.from(`v${i}`) }, 1e12 + i]);
    const path = write('big.rdb', entries);
    let n = 0;
    let progress = 0;
    const s = readRdbFile(path, {
      entry: (db, key, obj, expireAt) => {
        const want = entries[n++]!;
        assert.equal(db, 3);
        assert.deepEqual(key, want[0]);
        assert.deepEqual(obj, want[1]);
        assert.equal(expireAt, want[2]);
      },
      progress: (read) => {
        progress = read;
      },
    });
    assert.deepEqual(s, { version: 10, keys: entries.length, checksum: 'ok' });
    assert.ok(progress > 0);
  });

  test('wrong signature, truncation at every length, checksum mismatch, zero checksum, bad object with its key', () => {
    const entries: [Buffer, RdbObject, number][] = samples.map((o, i) => [Buffer.from(`key${i}`), o, -1]);
    const good = write('good.rdb', entries);
    throwsRdb(
      () =>
        readRdbFile(
          write('sig.rdb', entries, (b) => Buffer.concat([Buffer.from('RODIS'), b.subarray(5)])),
          { entry() {} },
        ),
      /signature/,
    );
    throwsRdb(
      () =>
        readRdbFile(
          write('v12.rdb', entries, (b) => Buffer.concat([Buffer.from('REDIS0012'), b.subarray(9)])),
          { entry() {} },
        ),
      /version 12/,
    );
    const full = readFileSync(good);
    for (let n = 0; n < full.length; n++) {
      writeFileSync(join(dir, 'cut.rdb'), full.subarray(0, n));
      throwsRdb(() => readRdbFile(join(dir, 'cut.rdb'), { entry() {} }));
    }
    const flipped = Buffer.from(full);
    flipped[full.length - 3]! ^= 0xff;
    writeFileSync(join(dir, 'crc.rdb'), flipped);
    throwsRdb(
      () => readRdbFile(join(dir, 'crc.rdb'), { entry() {} }),
      /checksum mismatch: file says [0-9a-f]+, computed [0-9a-f]+/,
    );
    const zero = Buffer.concat([full.subarray(0, full.length - 8), Buffer.alloc(8)]);
    writeFileSync(join(dir, 'zero.rdb'), zero);
    assert.equal(readRdbFile(join(dir, 'zero.rdb'), { entry() {} }).checksum, 'not computed');
    const badType = write('type.rdb', [[Buffer.from('foo'), samples[0]!, -1]], (b) => {
      const at = b.indexOf(Buffer.from([3, 0x66, 0x6f, 0x6f])) - 1;
      b[at] = 99;
      return b;
    });
    throwsRdb(() => readRdbFile(badType, { entry() {} }), /key "foo": unknown RDB object type 99/);
  });

  test("read in chunks of 1 to 7 bytes, Redis's assets and our files give what they give whole", async (t) => {
    const { root, skip } = await redisSource();
    if (root === undefined) return t.skip(skip);
    const ours = write(
      'chunks.rdb',
      samples.map((o, i) => [Buffer.from(`key${i}`), o, i % 2 ? -1 : 1e12 + i]),
    );
    const files = [ours, ...assetRdbs(root)];
    for (const path of files) {
      const seen = (chunkSize?: number): unknown[] => {
        const out: unknown[] = [];
        const s = readRdbFile(
          path,
          { entry: (...args) => out.push(args), aux: (k, v) => out.push([k, v]) },
          { chunkSize },
        );
        out.push(s);
        return out;
      };
      const whole = seen();
      assert.ok(whole.length > 1, path);
      for (const size of [1, 2, 3, 7]) assert.deepEqual(seen(size), whole, `${path} in ${size}-byte chunks`);
    }
  });

  test('an RDB 11 file (Redis 7.2) with a listpack set and a type-21 stream reads; the same types in RDB 10 do not', () => {
    for (const version of [11, 10]) {
      const w = new RdbByteWriter();
      w.bytes(Buffer.from(`REDIS00${version}`));
      w.byte(RDB_TYPE_SET_LISTPACK);
      w.string('s');
      w.string(listpack(['a', '5']));
      w.byte(RDB_TYPE_STREAM_LISTPACKS_3);
      w.string('x');
      writeStream(w, stream, RDB_TYPE_STREAM_LISTPACKS_3);
      w.byte(255);
      const body = Buffer.from(w.view());
      writeFileSync(join(dir, 'v11.rdb'), Buffer.concat([body, new Crc64().update(body).digest()]));
      const keys: string[] = [];
      const read = () =>
        readRdbFile(join(dir, 'v11.rdb'), { entry: (_db, key, obj) => keys.push(`${key}:${obj.kind}`) });
      if (version === 11) {
        assert.deepEqual(read(), { version: 11, keys: 2, checksum: 'ok' });
        assert.deepEqual(keys, ['s:set', 'x:stream']);
      } else {
        throwsRdb(read, /key "s": unknown RDB object type 20/);
      }
    }
  });

  test('fuzz: mutated files only ever throw RdbError', () => {
    const full = readFileSync(
      write(
        'fuzz.rdb',
        samples.map((o, i) => [Buffer.from(`key${i}`), o, 1e12 + i]),
      ),
    );
    const path = join(dir, 'fuzzed.rdb');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
        (edits) => {
          const b = Buffer.from(full);
          for (const [pos, val] of edits) b[pos % b.length] = val;
          writeFileSync(path, b);
          try {
            readRdbFile(path, { entry() {} }, { chunkSize: 64 });
          } catch (e) {
            if (!(e instanceof RdbError)) throw e;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('AUX, FUNCTION2 and MODULE_AUX opcodes', () => {
    const head = Buffer.from('REDIS0010');
    const w = new RdbByteWriter();
    w.bytes(head);
    w.byte(250);
    w.string('redis-ver');
    w.string('7.0.15');
    w.byte(245);
    w.string("#!lua name=lib\nredis.register_function('f', function() return 1 end)");
    w.byte(255);
    const body = Buffer.from(w.view());
    writeFileSync(join(dir, 'fn.rdb'), Buffer.concat([body, new Crc64().update(body).digest()]));
    const libs: string[] = [];
    const aux: string[] = [];
    const s = readRdbFile(join(dir, 'fn.rdb'), {
      entry() {},
      aux: (k, v) => aux.push(`${k}=${v}`),
      functionLibrary: (code) => libs.push(code.toString()),
    });
    assert.deepEqual(aux, ['redis-ver=7.0.15']);
    assert.equal(libs.length, 1);
    assert.equal(s.keys, 0);
    const m = new RdbByteWriter();
    m.bytes(head);
    m.byte(247);
    m.length(0xffffffffffn);
    m.byte(255);
    writeFileSync(join(dir, 'mod.rdb'), Buffer.from(m.view()));
    throwsRdb(() => readRdbFile(join(dir, 'mod.rdb'), { entry() {} }), /unsupported module data/);
    rmSync(dir, { recursive: true, force: true });
  });
});
