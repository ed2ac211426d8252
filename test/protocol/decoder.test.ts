import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RespDecoder, splitInlineArgs, BIG_ARG_BYTES } from '../../src/protocol/decoder.js';
import { ProtocolError } from '../../src/protocol/errors.js';

/** Feeds `input` in chunks of `size` bytes and collects every command (as strings) or the error. */
function decode(input: Buffer | string, size = Infinity): { cmds: string[][]; error: string | null } {
  const buf = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const d = new RespDecoder();
  const cmds: string[][] = [];
  try {
    for (let off = 0; off < buf.length; off += size === Infinity ? buf.length : size) {
      d.push(buf.subarray(off, size === Infinity ? buf.length : off + size));
      for (let argv = d.next(); argv !== null; argv = d.next()) cmds.push(argv.map((a) => a.toString('latin1')));
    }
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    return { cmds, error: err.message };
  }
  return { cmds, error: null };
}

/** Every case runs whole and byte by byte, so chunk-boundary bugs cannot hide. */
function both(input: string | Buffer, check: (r: ReturnType<typeof decode>) => void): void {
  check(decode(input));
  check(decode(input, 1));
  check(decode(input, 7));
}

test('multibulk commands decode whole and split at every byte', () => {
  both('*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n', (r) => {
    assert.equal(r.error, null);
    assert.deepEqual(r.cmds, [['PING'], ['SET', 'k', 'hello']]);
  });
});

test('binary-safe bulk strings keep NUL and CRLF bytes', () => {
  const value = 'a\0b\r\nc';
  both(`*2\r\n$4\r\nECHO\r\n$${value.length}\r\n${value}\r\n`, (r) => {
    assert.deepEqual(r.cmds, [['ECHO', value]]);
  });
});

test('empty bulk string and zero or negative multibulk counts are accepted', () => {
  both('*0\r\n*-1\r\n*2\r\n$3\r\nGET\r\n$0\r\n\r\n', (r) => {
    assert.equal(r.error, null);
    assert.deepEqual(r.cmds, [['GET', '']]);
  });
});

test('inline commands split on blanks with Redis quoting rules', () => {
  both("PING\r\nSET k \"a b\\x41\\n\" 'it\\'s'\n\r\n", (r) => {
    assert.equal(r.error, null);
    assert.deepEqual(r.cmds, [['PING'], ['SET', 'k', 'a bA\n', "it's"]]);
  });
});

test('inline quotes must balance and be followed by a blank', () => {
  assert.equal(splitInlineArgs(Buffer.from('"abc')), null);
  assert.equal(splitInlineArgs(Buffer.from('"abc"def')), null);
  assert.equal(splitInlineArgs(Buffer.from("'abc")), null);
  both('SET "a\r\n', (r) => assert.equal(r.error, 'unbalanced quotes in request'));
});

test('a big bulk string is assembled across many chunks', () => {
  const big = Buffer.alloc(BIG_ARG_BYTES * 3 + 5, 'x');
  const frame = Buffer.concat([
    Buffer.from(`*2\r\n$3\r\nSET\r\n$${big.length}\r\n`),
    big,
    Buffer.from('\r\n*1\r\n$4\r\nPING\r\n'),
  ]);
  for (const size of [1000, 4096, 65536]) {
    const r = decode(frame, size);
    assert.equal(r.error, null);
    assert.equal(r.cmds.length, 2);
    assert.equal(r.cmds[0]![1]!.length, big.length);
    assert.deepEqual(r.cmds[1], ['PING']);
  }
});

test('malformed frames fail with the Redis protocol error text', () => {
  const cases: [string, string][] = [
    ['*2\r\n$3\r\nGET\r\n+x\r\n', "expected '$', got '+'"],
    ['*abc\r\n', 'invalid multibulk length'],
    ['*3000000000\r\n', 'invalid multibulk length'],
    ['*2147483648\r\n', 'invalid multibulk length'],
    ['*99999999999999999999\r\n', 'invalid multibulk length'],
    ['*1\r\nfoo\r\n', "expected '$', got 'f'"],
    ['*1\r\n\r\n', "expected '$', got ' '"],
    ['*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n', "expected '$', got 'f'"],
    ['*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n', 'invalid bulk length'],
    ['*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n', 'invalid bulk length'],
    ['*1\r\n$-5\r\n', 'invalid bulk length'],
    ['*1\r\n$x\r\n', 'invalid bulk length'],
    ['*1\r\n$536870913\r\n', 'invalid bulk length'],
  ];
  for (const [input, message] of cases) {
    both(input, (r) => assert.equal(r.error, message, JSON.stringify(input)));
  }
});

test('lines without a newline are refused past 64 KiB', () => {
  const long = 'A'.repeat(64 * 1024 + 10);
  assert.equal(decode(long).error, 'too big inline request');
  assert.equal(decode('*' + '1'.repeat(64 * 1024 + 10)).error, 'too big mbulk count string');
  assert.equal(decode('*1\r\n$' + '1'.repeat(64 * 1024 + 10)).error, 'too big bulk count string');
  // Shorter incomplete input simply waits for more.
  assert.deepEqual(decode('A'.repeat(1000)), { cmds: [], error: null });
});

test('counts are read over the 64-bit range: huge negative ones are empty commands, INT_MAX is accepted', () => {
  both('*-99999999999999999\r\n*-1000000000000000000\r\n*1\r\n$4\r\nPING\r\n', (r) => {
    assert.equal(r.error, null);
    assert.deepEqual(r.cmds, [['PING']]);
  });
  // Redis 7.0 allows INT_MAX arguments (networking.c processMultibulkBuffer); the frame just waits.
  assert.deepEqual(decode('*2147483647\r\n$1\r\na\r\n'), { cmds: [], error: null });
});

test('a header is judged only once its line is complete, as Redis waits for the CR and one byte more', () => {
  assert.deepEqual(decode('*1\r\nfoo'), { cmds: [], error: null });
  assert.deepEqual(decode('*1\r\nfoo\r'), { cmds: [], error: null });
  assert.deepEqual(decode('*1\r'), { cmds: [], error: null });
});

test('a NUL byte before the end of a line hides it, as strchr stops there: the line is too big at 64 KiB', () => {
  // Redis's three "protocol desync" regression inputs (tests/unit/protocol.tcl), each followed by 64 KiB.
  const tail = 'payload'.repeat(10_000);
  assert.equal(decode(`\0${tail}`).error, 'too big inline request');
  assert.equal(decode(`*\0${tail}`).error, 'too big mbulk count string');
  assert.equal(decode(`$\0${tail}`).error, 'too big inline request');
  // Shorter, they wait, though a newline follows the NUL.
  assert.deepEqual(decode('PING\0\r\n'), { cmds: [], error: null });
  assert.deepEqual(decode('*1\0\r\n'), { cmds: [], error: null });
  assert.deepEqual(decode('*1\r\n\0\r\n'), { cmds: [], error: null });
  assert.equal(decode(`*1\r\n$\0${tail}`).error, 'too big bulk count string');
});

test('the query buffer is counted as Redis counts qbuf: the read being run stays in it until trimmed', () => {
  const d = new RespDecoder();
  const frame = '*2\r\n$6\r\nclient\r\n$4\r\nlist\r\n';
  d.push(Buffer.from(frame + '*1\r\n$4\r\nPI'));
  const argv = d.next();
  assert.deepEqual(argv?.map(String), ['client', 'list']);
  assert.equal(d.queryBufferLength, frame.length + 10);
  assert.equal(d.argumentBytes, 10);
  assert.equal(d.next(), null);
  d.commandDone();
  d.trim();
  assert.equal(
    d.queryBufferLength,
    2,
    'only the bytes of the partial frame past its headers are left, as qb_pos moved',
  );
  assert.equal(d.argumentBytes, 0);
  d.push(Buffer.from('NG\r\n'));
  assert.deepEqual(d.next()?.map(String), ['PING']);
  assert.equal(d.argumentBytes, 4);
});
