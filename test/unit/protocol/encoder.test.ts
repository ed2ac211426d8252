/**
 * The RESP2 reply encoder (`ReplyBuffer`, `SHARED`): the exact bytes of every
 * reply kind, pending-byte accounting, `take()` and `discard()`, replies that
 * span the internal chunks, and a property (fast-check, seed printed) that
 * random reply trees parse back to what was encoded however often the bytes
 * are taken.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplyBuffer, SHARED } from '../../../src/protocol/encoder.js';
import { replyLength } from '../../helpers/resp.js';
import { testSeed } from '../../helpers/random.js';

/** Every byte taken from `rb`, whatever shape `take()` returned. */
function takeAll(rb: ReplyBuffer): Buffer {
  const t = rb.take();
  if (t === null) return Buffer.alloc(0);
  return Array.isArray(t) ? Buffer.concat(t) : t;
}

/** Appends with `fn`, then returns the bytes taken as a latin1 string. */
function encode(fn: (rb: ReplyBuffer) => void): string {
  const rb = new ReplyBuffer();
  fn(rb);
  const pending = rb.pendingBytes;
  const out = takeAll(rb);
  assert.equal(pending, out.length, 'pendingBytes before take() is the length taken');
  return out.toString('latin1');
}

test('simple strings are +<text>CRLF, UTF-8 encoded', () => {
  assert.equal(
    encode((rb) => rb.simple('OK')),
    '+OK\r\n',
  );
  assert.equal(
    encode((rb) => rb.simple('')),
    '+\r\n',
  );
  assert.equal(
    encode((rb) => rb.simple('héllo €')),
    '+' + Buffer.from('héllo €').toString('latin1') + '\r\n',
  );
  assert.equal(
    encode((rb) => rb.ok()),
    '+OK\r\n',
  );
});

test('error replies are -<message>CRLF with CR and LF runs replaced by one space', () => {
  const rb = new ReplyBuffer();
  rb.error('ERR unknown command');
  rb.error('ERR a\r\nb\nc\r\r\rd');
  assert.equal(takeAll(rb).toString('latin1'), '-ERR unknown command\r\n-ERR a b c d\r\n');
  assert.equal(rb.errors, 2);
  assert.equal(rb.lastError, 'ERR a b c d');
});

test('integers: zero, one, negatives and the signed 64-bit extremes as numbers and bigints', () => {
  const cases: [number | bigint, string][] = [
    [0, ':0\r\n'],
    [-0, ':0\r\n'],
    [1, ':1\r\n'],
    [-1, ':-1\r\n'],
    [-2, ':-2\r\n'],
    [42, ':42\r\n'],
    [-42, ':-42\r\n'],
    [Number.MAX_SAFE_INTEGER, ':9007199254740991\r\n'],
    [Number.MIN_SAFE_INTEGER, ':-9007199254740991\r\n'],
    [2 ** 53, ':9007199254740992\r\n'],
    [0n, ':0\r\n'],
    [1n, ':1\r\n'],
    [-1n, ':-1\r\n'],
    [9223372036854775807n, ':9223372036854775807\r\n'],
    [-9223372036854775808n, ':-9223372036854775808\r\n'],
  ];
  for (const [n, bytes] of cases)
    assert.equal(
      encode((rb) => rb.int(n)),
      bytes,
      `int(${String(n)})`,
    );
});

test('bulk strings: empty, binary with NUL, CR, LF and high bytes, UTF-8 text, latin1 and ASCII forms', () => {
  assert.equal(
    encode((rb) => rb.bulk(Buffer.alloc(0))),
    '$0\r\n\r\n',
  );
  const binary = Buffer.from([0, 13, 10, 255, 128, 36, 42]);
  assert.equal(
    encode((rb) => rb.bulk(binary)),
    '$7\r\n\x00\r\n\xff\x80$*\r\n',
  );
  assert.equal(
    encode((rb) => rb.bulk(new Uint8Array([1, 2, 3]))),
    '$3\r\n\x01\x02\x03\r\n',
  );
  assert.equal(
    encode((rb) => rb.bulkString('é€')),
    '$5\r\n\xc3\xa9\xe2\x82\xac\r\n',
  );
  assert.equal(
    encode((rb) => rb.bulkString('')),
    '$0\r\n\r\n',
  );
  assert.equal(
    encode((rb) => rb.bulkLatin1('\xff\x00a')),
    '$3\r\n\xff\x00a\r\n',
  );
  assert.equal(
    encode((rb) => rb.bulkAscii('-1.5e+20')),
    '$8\r\n-1.5e+20\r\n',
  );
});

test('null bulk, null array, empty and non-empty arrays', () => {
  assert.equal(
    encode((rb) => rb.nullBulk()),
    '$-1\r\n',
  );
  assert.equal(
    encode((rb) => rb.nullArray()),
    '*-1\r\n',
  );
  assert.equal(
    encode((rb) => rb.arrayLen(0)),
    '*0\r\n',
  );
  assert.equal(
    encode((rb) => rb.arrayLen(3)),
    '*3\r\n',
  );
  assert.equal(
    encode((rb) => rb.arrayLen(1_000_000)),
    '*1000000\r\n',
  );
  assert.equal(
    encode((rb) => rb.bulkArray([])),
    '*0\r\n',
  );
  const items = [Buffer.from('a'), null, Buffer.alloc(0), Buffer.from('xyz')];
  assert.equal(
    encode((rb) => rb.bulkArray(items)),
    '*4\r\n$1\r\na\r\n$-1\r\n$0\r\n\r\n$3\r\nxyz\r\n',
  );
});

test('nested arrays are headers followed by their elements, depth first', () => {
  const out = encode((rb) => {
    rb.arrayLen(3);
    rb.arrayLen(2);
    rb.int(1);
    rb.bulk(Buffer.from('x'));
    rb.nullArray();
    rb.arrayLen(1);
    rb.arrayLen(0);
  });
  assert.equal(out, '*3\r\n*2\r\n:1\r\n$1\r\nx\r\n*-1\r\n*1\r\n*0\r\n');
});

test('SHARED holds the bytes of the replies it stands for, and raw() appends them unchanged', () => {
  const expected: Record<keyof typeof SHARED, string> = {
    ok: '+OK\r\n',
    pong: '+PONG\r\n',
    queued: '+QUEUED\r\n',
    nullBulk: '$-1\r\n',
    nullArray: '*-1\r\n',
    emptyArray: '*0\r\n',
    emptyBulk: '$0\r\n\r\n',
    zero: ':0\r\n',
    one: ':1\r\n',
    minusOne: ':-1\r\n',
    minusTwo: ':-2\r\n',
    null3: '_\r\n',
    true3: '#t\r\n',
    false3: '#f\r\n',
  };
  for (const [name, bytes] of Object.entries(expected)) {
    assert.equal(SHARED[name as keyof typeof SHARED].toString('latin1'), bytes, name);
    assert.equal(
      encode((rb) => rb.raw(SHARED[name as keyof typeof SHARED])),
      bytes,
      `raw(SHARED.${name})`,
    );
  }
  assert.equal(
    encode((rb) => rb.int(-1)),
    SHARED.minusOne.toString('latin1'),
  );
  assert.equal(
    encode((rb) => rb.bulk(Buffer.alloc(0))),
    SHARED.emptyBulk.toString('latin1'),
  );
});

test('pendingBytes counts every byte appended since the last take, and take() returns null when there is none', () => {
  const rb = new ReplyBuffer();
  assert.equal(rb.pendingBytes, 0);
  assert.equal(rb.take(), null);
  rb.ok();
  assert.equal(rb.pendingBytes, 5);
  rb.int(-123);
  assert.equal(rb.pendingBytes, 5 + 7);
  rb.bulk(Buffer.from('hello'));
  assert.equal(rb.pendingBytes, 5 + 7 + 11);
  const first = takeAll(rb);
  assert.equal(first.toString('latin1'), '+OK\r\n:-123\r\n$5\r\nhello\r\n');
  assert.equal(rb.pendingBytes, 0);
  assert.equal(rb.take(), null, 'nothing appended since the last take');
  rb.nullBulk();
  assert.equal(rb.pendingBytes, 5);
  assert.equal(takeAll(rb).toString('latin1'), '$-1\r\n', 'a second take returns only the newer bytes');
});

test('a taken piece is never overwritten by later appends', () => {
  const rb = new ReplyBuffer();
  rb.bulk(Buffer.from('first'));
  const piece = rb.take();
  assert.ok(Buffer.isBuffer(piece), 'bytes within one chunk come back as one Buffer');
  const copy = Buffer.from(piece);
  for (let i = 0; i < 5000; i++) rb.bulk(Buffer.from(`later-${i}`));
  assert.deepEqual(piece, copy);
  rb.discard();
  rb.simple('after discard');
  assert.deepEqual(piece, copy);
});

test('bytes appended after a take are all sent when the chunk they started in fills up', () => {
  const rb = new ReplyBuffer();
  rb.simple('taken');
  takeAll(rb);
  let expected = '';
  for (let i = 0; i < 3000; i++) {
    rb.int(i);
    expected += `:${i}\r\n`;
  }
  assert.equal(rb.pendingBytes, expected.length);
  assert.equal(takeAll(rb).toString('latin1'), expected);
});

test('discard() drops everything pending, including completed chunks, and appending resumes cleanly', () => {
  const rb = new ReplyBuffer();
  rb.ok();
  rb.take();
  for (let i = 0; i < 3000; i++) rb.bulk(Buffer.alloc(20, 97));
  rb.bulk(Buffer.alloc(40_000, 98));
  assert.ok(rb.pendingBytes > 100_000);
  rb.discard();
  assert.equal(rb.pendingBytes, 0);
  assert.equal(rb.take(), null);
  rb.int(7);
  assert.equal(takeAll(rb).toString('latin1'), ':7\r\n');
});

test('replies spanning many internal chunks come back whole and in order', () => {
  const rb = new ReplyBuffer();
  let expected = '';
  for (let i = 0; i < 20_000; i++) {
    const v = `v${i}:` + 'x'.repeat(i % 97);
    rb.bulk(Buffer.from(v));
    expected += `$${v.length}\r\n${v}\r\n`;
  }
  assert.equal(rb.pendingBytes, expected.length);
  const t = rb.take();
  assert.ok(Array.isArray(t), 'more than one chunk comes back as an array of pieces');
  assert.equal(Buffer.concat(t).toString('latin1'), expected);
});

test('a bulk of 16 KiB or more is copied into its own piece; bytes and accounting match', () => {
  for (const n of [16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 100_000, 1 << 20]) {
    const rb = new ReplyBuffer();
    rb.simple('before');
    const value = Buffer.alloc(n);
    for (let i = 0; i < n; i++) value[i] = (i * 31) & 0xff;
    rb.bulk(value);
    rb.int(5);
    const header = `$${n}\r\n`;
    assert.equal(rb.pendingBytes, 9 + header.length + n + 2 + 4, `n=${n}`);
    // The reply holds a copy: changing the source afterwards changes nothing sent.
    value.fill(0);
    const out = takeAll(rb);
    assert.equal(out.subarray(0, 9 + header.length).toString('latin1'), '+before\r\n' + header);
    const body = out.subarray(9 + header.length, 9 + header.length + n);
    for (let i = 0; i < n; i += 997) assert.equal(body[i], (i * 31) & 0xff, `n=${n} byte ${i}`);
    assert.equal(out.subarray(9 + header.length + n).toString('latin1'), '\r\n:5\r\n');
  }
});

test('simple strings, errors and ASCII bulks longer than a chunk are written whole', () => {
  const long = 'y'.repeat(50_000);
  assert.equal(
    encode((rb) => rb.simple(long)),
    `+${long}\r\n`,
  );
  assert.equal(
    encode((rb) => rb.error(`ERR ${long}`)),
    `-ERR ${long}\r\n`,
  );
  assert.equal(
    encode((rb) => rb.bulkAscii(long)),
    `$50000\r\n${long}\r\n`,
  );
  const multibyte = '€'.repeat(20_000);
  assert.equal(
    encode((rb) => rb.simple(multibyte)),
    '+' + Buffer.from(multibyte).toString('latin1') + '\r\n',
  );
});

// ---------------------------------------------------------------------------
// Property: encode random replies, parse them back.
// ---------------------------------------------------------------------------

type Reply =
  | { k: 'simple'; s: string }
  | { k: 'error'; s: string }
  | { k: 'int'; n: bigint }
  | { k: 'bulk'; b: Buffer }
  | { k: 'nullBulk' }
  | { k: 'nullArray' }
  | { k: 'array'; items: Reply[] };

/** The plain value a reply stands for, as the parser below yields it. */
type Value = string | bigint | Buffer | null | { error: string } | Value[];

function valueOf(r: Reply): Value {
  switch (r.k) {
    case 'simple':
      return r.s;
    case 'error':
      return { error: r.s };
    case 'int':
      return r.n;
    case 'bulk':
      return r.b;
    case 'nullBulk':
    case 'nullArray':
      return null;
    case 'array':
      return r.items.map(valueOf);
  }
}

function append(rb: ReplyBuffer, r: Reply): void {
  switch (r.k) {
    case 'simple':
      return rb.simple(r.s);
    case 'error':
      return rb.error(r.s);
    case 'int':
      return rb.int(r.n >= -(2n ** 53n) && r.n <= 2n ** 53n ? Number(r.n) : r.n);
    case 'bulk':
      return rb.bulk(r.b);
    case 'nullBulk':
      return rb.nullBulk();
    case 'nullArray':
      return rb.nullArray();
    case 'array':
      rb.arrayLen(r.items.length);
      for (const item of r.items) append(rb, item);
  }
}

/** Parses one RESP2 reply at `at`; strict about framing, so that any stray byte fails. */
function parse(buf: Buffer, at: { off: number }): Value {
  const nl = buf.indexOf('\r\n', at.off);
  assert.ok(nl > at.off, `a reply line at ${at.off}`);
  const type = String.fromCharCode(buf[at.off]!);
  const line = buf.subarray(at.off + 1, nl);
  at.off = nl + 2;
  switch (type) {
    case '+':
      return line.toString('utf8');
    case '-':
      return { error: line.toString('utf8') };
    case ':':
      assert.match(line.toString('latin1'), /^-?(0|[1-9][0-9]*)$/);
      return BigInt(line.toString('latin1'));
    case '$': {
      const n = Number(line.toString('latin1'));
      if (n === -1) return null;
      const b = Buffer.from(buf.subarray(at.off, at.off + n));
      assert.equal(b.length, n, 'bulk payload complete');
      assert.equal(buf.subarray(at.off + n, at.off + n + 2).toString('latin1'), '\r\n', 'CRLF after the bulk payload');
      at.off += n + 2;
      return b;
    }
    case '*': {
      const n = Number(line.toString('latin1'));
      if (n === -1) return null;
      const items: Value[] = [];
      for (let i = 0; i < n; i++) items.push(parse(buf, at));
      return items;
    }
    default:
      throw new Error(`unknown reply type ${JSON.stringify(type)} at ${at.off}`);
  }
}

const errorsIn = (rs: Reply[]): number =>
  rs.reduce((n, r) => n + (r.k === 'error' ? 1 : r.k === 'array' ? errorsIn(r.items) : 0), 0);

const lineText = fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, '_'));
const replyArb: fc.Arbitrary<Reply> = fc.letrec<{ reply: Reply }>((tie) => ({
  reply: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ k: fc.constant('simple' as const), s: lineText }),
    fc.record({ k: fc.constant('error' as const), s: lineText.map((s) => `ERR ${s}`) }),
    fc.record({ k: fc.constant('int' as const), n: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) }),
    fc.record({
      k: fc.constant('bulk' as const),
      b: fc
        .oneof(
          { weight: 8, arbitrary: fc.uint8Array({ maxLength: 200 }) },
          { weight: 2, arbitrary: fc.uint8Array({ minLength: 1000, maxLength: 9000 }) },
          {
            weight: 1,
            arbitrary: fc.integer({ min: 16 * 1024 - 2, max: 40_000 }).map((n) => new Uint8Array(n).fill(n)),
          },
        )
        .map((u) => Buffer.from(u)),
    }),
    fc.record({ k: fc.constant('nullBulk' as const) }),
    fc.record({ k: fc.constant('nullArray' as const) }),
    fc.record({ k: fc.constant('array' as const), items: fc.array(tie('reply'), { maxLength: 6 }) }),
  ),
})).reply;

/** Encodes `replies` twice, taking the second copy wherever `takes` says, and parses the bytes back. */
function checkRoundTrip(replies: Reply[], takes: boolean[]): number {
  const once = new ReplyBuffer();
  const often = new ReplyBuffer();
  const pieces: Buffer[] = [];
  replies.forEach((r, i) => {
    append(once, r);
    append(often, r);
    if (takes[i] === true) pieces.push(takeAll(often));
  });
  pieces.push(takeAll(often));
  const whole = takeAll(once);
  assert.deepEqual(Buffer.concat(pieces), whole, 'taking in between changes no byte');
  // replyLength (the test client's framing) splits the stream where the parser does.
  const at = { off: 0 };
  for (const r of replies) {
    const start = at.off;
    assert.deepEqual(parse(whole, at), valueOf(r));
    assert.equal(replyLength(whole, start), at.off - start);
  }
  assert.equal(at.off, whole.length, 'no bytes after the last reply');
  assert.equal(once.errors, errorsIn(replies), 'every error reply is counted, nested ones too');
  return whole.length;
}

test('random reply trees parse back to the same values, whether taken once or between any replies', () => {
  const seed = testSeed('encoder round trip');
  let runs = 0;
  let spanning = 0;
  const repliesArb = fc.array(replyArb, { minLength: 1, maxLength: 40 });
  fc.assert(
    fc.property(repliesArb, fc.array(fc.boolean(), { maxLength: 40 }), (replies, takes) => {
      runs++;
      if (checkRoundTrip(replies, takes) > 16 * 1024) spanning++;
    }),
    { seed, numRuns: 300 },
  );
  assert.equal(runs, 300, `the property ran ${runs} times`);
  assert.ok(spanning >= 10, `${spanning} runs wrote more than a chunk`);
});

test('RESP3 types in protocol 3, and their RESP2 forms in protocol 2', () => {
  const both = (write: (rb: ReplyBuffer) => void): [string, string] => {
    const two = new ReplyBuffer();
    const three = new ReplyBuffer();
    three.resp = 3;
    write(two);
    write(three);
    const text = (rb: ReplyBuffer): string => {
      const piece = rb.take();
      if (piece === null) return '';
      return (Array.isArray(piece) ? Buffer.concat(piece) : piece).toString('latin1');
    };
    return [text(two), text(three)];
  };
  assert.deepEqual(
    both((rb) => {
      rb.mapLen(2);
      rb.bulkAscii('a');
      rb.int(1);
      rb.bulkAscii('b');
      rb.nullBulk();
    }),
    ['*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$-1\r\n', '%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n_\r\n'],
  );
  assert.deepEqual(
    both((rb) => rb.setLen(0)),
    ['*0\r\n', '~0\r\n'],
  );
  assert.deepEqual(
    both((rb) => rb.pushLen(3)),
    ['*3\r\n', '>3\r\n'],
  );
  assert.deepEqual(
    both((rb) => rb.nullArray()),
    ['*-1\r\n', '_\r\n'],
  );
  assert.deepEqual(
    both((rb) => {
      rb.bool(true);
      rb.bool(false);
    }),
    [':1\r\n:0\r\n', '#t\r\n#f\r\n'],
  );
  assert.deepEqual(
    both((rb) => rb.double('1.5')),
    ['$3\r\n1.5\r\n', ',1.5\r\n'],
  );
  assert.deepEqual(
    both((rb) => rb.double('-inf')),
    ['$4\r\n-inf\r\n', ',-inf\r\n'],
  );
  assert.deepEqual(
    both((rb) => rb.bigNumber('123456789012345678901234567890')),
    ['$30\r\n123456789012345678901234567890\r\n', '(123456789012345678901234567890\r\n'],
  );
  assert.deepEqual(
    both((rb) => rb.verbatim('a\r\nb')),
    ['$4\r\na\r\nb\r\n', '=8\r\ntxt:a\r\nb\r\n'],
  );
  const attr = new ReplyBuffer();
  assert.equal(attr.attributeLen(1), false, 'no attributes in RESP2');
  assert.equal(attr.take(), null);
  attr.resp = 3;
  assert.equal(attr.attributeLen(1), true);
  assert.equal((attr.take() as Buffer).toString('latin1'), '|1\r\n');
});
