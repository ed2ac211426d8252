/**
 * The x87 long double arithmetic behind INCRBYFLOAT and HINCRBYFLOAT
 * (src/commands/longdouble.ts): `parseLongDouble` as `string2ld`,
 * `addLongDouble` rounded once, `formatLongDouble` as `%.17Lf` with trailing
 * zeros stripped. Expected replies are redis-server 7.0.15's, collected with
 * SET and INCRBYFLOAT; properties (fast-check, seed printed) check exact
 * integer and binary-fraction sums against BigInt arithmetic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { addLongDouble, formatLongDouble, parseLongDouble, type LongDouble } from '../../../src/commands/longdouble.js';
import { testSeed } from '../../helpers/random.js';

const NOT_FLOAT = 'ERR value is not a valid float';
const NAN_OR_INF = 'ERR increment would produce NaN or Infinity';

/**
 * One INCRBYFLOAT step as the command composes these functions: the stored
 * text (null: no key) plus the increment, giving the new text or the error.
 */
function incrbyfloat(stored: string | null, incr: string): string {
  const cur = parseLongDouble(stored ?? '0');
  const inc = parseLongDouble(incr);
  if (cur === null || inc === null) return NOT_FLOAT;
  const sum = addLongDouble(cur, inc);
  return sum.inf ? NAN_OR_INF : formatLongDouble(sum);
}

/** Runs a chain of increments on one key, keeping the stored text as Redis does. */
function chain(initial: string | null, incrs: string[]): string[] {
  let stored = initial;
  return incrs.map((incr) => {
    const reply = incrbyfloat(stored, incr);
    if (reply !== NOT_FLOAT && reply !== NAN_OR_INF) stored = reply;
    return reply;
  });
}

/**
 * `SET k <initial>` (none when null), then `INCRBYFLOAT k <incr>` for each
 * increment: redis-server 7.0.15's replies.
 */
const INCRBYFLOAT: [string | null, string[], string[]][] = [
  ['0.1', ['0.2'], ['0.3']],
  ['10.5', ['0.1'], ['10.6']],
  ['3.0e3', ['1.5'], ['3001.5']],
  ['5.0e3', ['0'], ['5000']],
  [null, ['1e-20'], ['0']],
  ['1', ['1e-17'], ['1.00000000000000001']],
  ['1', ['1e-18'], ['1']],
  [null, ['0x10'], ['16']],
  [null, ['-0'], ['0']],
  ['9007199254740993', ['0'], ['9007199254740993']],
  ['12345678901234567890', ['0'], ['12345678901234567890']],
  [null, ['0.1'], ['0.1']],
  [null, ['0.33333333333333333333'], ['0.33333333333333333']],
  [null, Array<string>(10).fill('0.1'), ['0.1', '0.2', '0.3', '0.4', '0.5', '0.6', '0.7', '0.8', '0.9', '1']],
  ['-0.00000000000000000001', ['0'], ['0']],
  [null, ['1.5e+3'], ['1500']],
  [null, ['.5'], ['0.5']],
  [null, ['5.'], ['5']],
  [null, ['+5'], ['5']],
  [null, ['-.5e-1'], ['-0.05']],
  [null, ['0x1p-2'], ['0.25']],
  [null, ['0x1.8p1'], ['3']],
  [null, ['1e17'], ['100000000000000000']],
  [null, ['1e-16'], ['0.0000000000000001']],
  ['1.5', ['-1.5'], ['0']],
  ['-1.5', ['-2.25'], ['-3.75']],
  ['100', ['-99.99'], ['0.01']],
  [null, ['0.1', '-0.1'], ['0.1', '0']],
  ['123456789.123456789', ['0'], ['123456789.12345678899873747']],
  [null, ['2.5'], ['2.5']],
  [null, ['0.000000000000000005'], ['0']],
  [null, ['0.000000000000000015'], ['0.00000000000000002']],
  [null, ['0.000000000000000025'], ['0.00000000000000002']],
  // Exact ties: in the 65th significant bit (to an even significand), and in the 18th decimal (to an even digit).
  [null, ['18446744073709551617'], ['18446744073709551616']],
  [null, ['18446744073709551619'], ['18446744073709551620']],
  [null, ['-18446744073709551617'], ['-18446744073709551616']],
  ['18446744073709551615', ['1'], ['18446744073709551616']],
  ['18446744073709551615', ['2'], ['18446744073709551616']],
  ['9223372036854775807', ['9223372036854775809'], ['18446744073709551616']],
  [null, ['0.000003814697265625'], ['0.00000381469726562']],
  [null, ['0.000011444091796875'], ['0.00001144409179688']],
  [null, ['-0.000003814697265625'], ['-0.00000381469726562']],
  ['0.5', ['0.000003814697265625'], ['0.50000381469726562']],
  [null, ['inf'], [NAN_OR_INF]],
  [null, ['-inf'], [NAN_OR_INF]],
  [null, ['infinity'], [NAN_OR_INF]],
  [null, ['abc'], [NOT_FLOAT]],
  [null, ['1e'], [NOT_FLOAT]],
  [null, [' 1'], [NOT_FLOAT]],
  [null, ['1 '], [NOT_FLOAT]],
  [null, [''], [NOT_FLOAT]],
  [null, ['nan'], [NOT_FLOAT]],
  [null, ['0x'], [NOT_FLOAT]],
  [null, ['1e5000'], [NOT_FLOAT]],
  [null, ['1e-5000'], [NOT_FLOAT]],
  [null, ['1.18973149535723176509e+4932'], [NOT_FLOAT]],
  ['abc', ['1'], [NOT_FLOAT]],
  [' 1', ['1'], [NOT_FLOAT]],
];

test('INCRBYFLOAT chains give the replies redis-server gives', () => {
  for (const [initial, incrs, replies] of INCRBYFLOAT) {
    assert.deepEqual(chain(initial, incrs), replies, `SET ${JSON.stringify(initial)}, INCRBYFLOAT ${incrs.join(', ')}`);
  }
});

test('HINCRBYFLOAT arithmetic: 0.1 then 0.2 reads 0.1 then 0.3, as redis-server replies', () => {
  assert.deepEqual(chain(null, ['0.1', '0.2']), ['0.1', '0.3']);
});

test('huge results print every integer digit of the long double, as %.17Lf does', () => {
  // redis-server 7.0.15: INCRBYFLOAT k 1e300 on an absent key.
  const e300 =
    '100000000000000000000899732407955919387052394427329074793826008232126564659618093575584915208375' +
    '049719035037250861427483590359255618467298391309626052074864628732713564184365329408425510760601' +
    '678972665293237003055138294762099454029477278188962060617926761162709741065056718738610569008942' +
    '4915104006144';
  assert.equal(incrbyfloat(null, '1e300'), e300);
  // redis-server 7.0.15: SET k 1e400, INCRBYFLOAT k 0 (beyond a double, within a long double).
  const e400 =
    '100000000000000000002818806839475865145864534336290520386259106935396855340086298620393639948483' +
    '241605220940539273176162002958227772592557340238289765933406610177974474345461739178624481166749' +
    '717237789438243915933380474706750262466844013592375136038303437354855052449559649790218250382800' +
    '910684149474024568986530409510175126580926158275889201834725116433165913626641381763097348063437' +
    '32497430221946880';
  assert.equal(incrbyfloat('1e400', '0'), e400);
});

test('results of thousands of digits match redis-server by length, leading digits and SHA-256', () => {
  // redis-server 7.0.15's replies to INCRBYFLOAT on an absent key, too long to spell out here.
  const cases = [
    {
      incr: '-1e4000',
      length: 4001,
      head: '-99999999999999999999654638730',
      sha256: '00ad805266d8df3a0b988ab98606a259d48a569ecf77b20c0ad4c1b2ad30e953',
    },
    {
      incr: '1.1e4932',
      length: 4933,
      head: '109999999999999999997437310752',
      sha256: 'd75f99cd3adac4313716bd597f67155354443b7fe6aa113f3a6fddfc08de1187',
    },
    {
      incr: '1.18973149535723176502e+4932',
      length: 4933,
      head: '118973149535723176502126385303',
      sha256: '39319dad6400899a3385cef1c62991c21106f7f12a7dea6f3849a857ad9131a6',
    },
  ];
  for (const { incr, length, head, sha256 } of cases) {
    const reply = incrbyfloat(null, incr);
    assert.equal(reply.length, length, incr);
    assert.equal(reply.slice(0, 30), head, incr);
    assert.equal(createHash('sha256').update(reply).digest('hex'), sha256, incr);
  }
  // The second 1.1e4932 overflows the long double: redis-server replies with the NaN-or-Infinity error.
  assert.equal(chain(null, ['1.1e4932', '1.1e4932'])[1], NAN_OR_INF);
});

test('parseLongDouble returns null for text not read whole, NaN, overflow, underflow, and 5 KiB or more', () => {
  // redis-server 7.0.15 replies "ERR value is not a valid float" to INCRBYFLOAT k <text> for each.
  const invalid = [
    '',
    ' ',
    ' 1',
    '1 ',
    '\t1',
    '1\n',
    'abc',
    '1e',
    '1e+',
    '.',
    '-',
    '+',
    'e5',
    '1.5.5',
    '1,5',
    '1_0',
    '--1',
    '+-1',
    'nan',
    'NaN',
    '-nan',
    'nan(1)',
    'infinit',
    'infx',
    '0x',
    '0x.',
    '0x1p',
    '0xg',
    '1\x00',
    '1e5000',
    '-1e5000',
    '1e-5000',
    '1.18973149535723176509e+4932',
    '0'.repeat(5 * 1024 - 1) + '1',
  ];
  for (const text of invalid) assert.equal(parseLongDouble(text), null, JSON.stringify(text.slice(0, 40)));
});

test('parseLongDouble reads infinities, signed zeros, hex floats and long digit strings', () => {
  const inf = parseLongDouble('-Infinity')!;
  assert.deepEqual([inf.inf, inf.neg], [true, true]);
  assert.deepEqual([parseLongDouble('INF')!.inf, parseLongDouble('INF')!.neg], [true, false]);
  const negZero = parseLongDouble('-0.000')!;
  assert.deepEqual([negZero.mant, negZero.neg, negZero.inf], [0n, true, false]);
  assert.equal(formatLongDouble(parseLongDouble('0x1.8p1')!), '3');
  assert.equal(formatLongDouble(parseLongDouble('0X.8')!), '0.5');
  assert.equal(formatLongDouble(parseLongDouble('0x1P-3')!), '0.125');
  // redis-server 7.0.15's INCRBYFLOAT replies: a zero with any exponent is zero, not an underflow;
  // 1e30 is not exact in 64 bits; 5119 characters are still read.
  assert.equal(formatLongDouble(parseLongDouble('0e-99999999')!), '0');
  assert.equal(formatLongDouble(parseLongDouble('1' + '0'.repeat(30))!), '1000000000000000000024696061952');
  assert.equal(formatLongDouble(parseLongDouble('0.' + '0'.repeat(16) + '1')!), '0.00000000000000001');
  assert.equal(formatLongDouble(parseLongDouble('0'.repeat(5 * 1024 - 2) + '1')!), '1');
});

test('formatLongDouble writes infinities as inf and -inf and negative zero as 0', () => {
  assert.equal(formatLongDouble({ neg: false, mant: 0n, exp: 0, inf: true }), 'inf');
  assert.equal(formatLongDouble({ neg: true, mant: 0n, exp: 0, inf: true }), '-inf');
  assert.equal(formatLongDouble(parseLongDouble('-0')!), '0');
  assert.equal(formatLongDouble(parseLongDouble('-1e-30')!), '0', '%.17Lf rounds it to -0.000..., printed 0');
});

test('addLongDouble: an infinite operand gives an infinity with its sign; zero is the identity', () => {
  const one = parseLongDouble('1')!;
  const zero = parseLongDouble('0')!;
  const posInf: LongDouble = { neg: false, mant: 0n, exp: 0, inf: true };
  const negInf: LongDouble = { neg: true, mant: 0n, exp: 0, inf: true };
  assert.deepEqual(addLongDouble(one, negInf), negInf);
  assert.deepEqual(addLongDouble(posInf, one), posInf);
  assert.deepEqual(addLongDouble(zero, one), one);
  assert.deepEqual(addLongDouble(one, zero), one);
  const big = parseLongDouble('1.18973149535723176502e+4932')!;
  assert.equal(addLongDouble(big, big).inf, true, 'overflow');
  assert.equal(addLongDouble(big, { ...big, neg: true }).mant, 0n, 'x + -x is zero');
});

/** `n` rounded to 64 significant bits, ties to even: a long double's significand. */
function round64(n: bigint): bigint {
  const neg = n < 0n;
  const a = neg ? -n : n;
  const bits = a.toString(2).length;
  if (bits <= 64) return n;
  const shift = BigInt(bits - 64);
  let q = a >> shift;
  const r = a - (q << shift);
  const half = 1n << (shift - 1n);
  if (r > half || (r === half && (q & 1n) === 1n)) q++;
  return neg ? -(q << shift) : q << shift;
}

/** The exact decimal text of `k / 2^m`, trailing zeros stripped. */
function dyadicText(k: bigint, m: number): string {
  const neg = k < 0n;
  const digits = ((neg ? -k : k) * 5n ** BigInt(m)).toString().padStart(m + 1, '0');
  let text = m === 0 ? digits : `${digits.slice(0, -m)}.${digits.slice(-m)}`;
  if (m > 0) text = text.replace(/0+$/, '').replace(/\.$/, '');
  return neg && text !== '0' ? `-${text}` : text;
}

/** `k / 2^m` as %.17Lf prints it (17 decimals, ties to even), zeros stripped, -0 as 0. */
function printed17(k: bigint, m: number): string {
  const num = (k < 0n ? -k : k) * 10n ** 17n;
  const den = 1n << BigInt(m);
  let q = num / den;
  const twice = (num % den) * 2n;
  if (twice > den || (twice === den && (q & 1n) === 1n)) q++;
  const s = q.toString().padStart(18, '0');
  const text = `${s.slice(0, -17)}.${s.slice(-17)}`.replace(/0+$/, '').replace(/\.$/, '');
  return k < 0n && text !== '0' ? `-${text}` : text;
}

test('integer sums are rounded once to a 64-bit significand, ties to even', () => {
  const seed = testSeed('long double integers');
  let runs = 0;
  let rounded = 0;
  const int = fc.oneof(
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  );
  fc.assert(
    fc.property(int, int, (a, b) => {
      runs++;
      const want = round64(round64(a) + round64(b));
      if (want !== a + b) rounded++;
      assert.equal(incrbyfloat(a.toString(), b.toString()), want.toString(), `${a} + ${b}`);
    }),
    { seed, numRuns: 1000 },
  );
  assert.equal(runs, 1000, `the property ran ${runs} times`);
  assert.ok(rounded >= 100, `${rounded} sums needed rounding`);
});

test('binary fractions read exactly; their sums print with 17 decimals rounded half to even', () => {
  const seed = testSeed('long double fractions');
  let runs = 0;
  const frac = fc.record({ k: fc.bigInt({ min: -(2n ** 45n), max: 2n ** 45n }), m: fc.integer({ min: 0, max: 24 }) });
  fc.assert(
    fc.property(frac, frac, (x, y) => {
      runs++;
      const m = Math.max(x.m, y.m);
      const sum = round64(x.k * 2n ** BigInt(m - x.m) + y.k * 2n ** BigInt(m - y.m));
      const a = dyadicText(x.k, x.m);
      assert.equal(formatLongDouble(parseLongDouble(a)!), printed17(x.k, x.m), `${a} reads back`);
      assert.equal(incrbyfloat(a, dyadicText(y.k, y.m)), printed17(sum, m), `${a} + ${dyadicText(y.k, y.m)}`);
    }),
    { seed, numRuns: 1000 },
  );
  assert.equal(runs, 1000, `the property ran ${runs} times`);
});

/**
 * Around half the smallest subnormal long double (2^-16446, about
 * 1.82259976594123730126e-4951): `SET k 0`, then `INCRBYFLOAT k <x>`,
 * redis-server 7.0.15's replies (glibc 2.36). `strtold` rounds what lies above
 * half to 2^-16445, which prints as 0, and an exact half to even, 0;
 * `string2ld` refuses a nonzero number read as 0 (ERANGE) and keeps a
 * subnormal (ERANGE too).
 */
const SUBNORMAL_EDGE: [string, string][] = [
  ['3.6e-4951', '0'],
  ['-3.6e-4951', '0'],
  ['2e-4951', '0'],
  ['1.8226e-4951', '0'],
  ['-1.8226e-4951', '0'],
  ['18.226e-4952', '0'],
  ['0.00018226e-4947', '0'],
  ['18226e-4955', '0'],
  ['-18226e-4955', '0'],
  ['3.6451995318824746e-4951', '0'],
  ['5.4677992978237119e-4951', '0'],
  // Half is 1.82259976594123730126...e-4951: the 17 and 20 digits below it are refused, those above read.
  ['1.8225997659412374e-4951', '0'],
  ['1.8225997659412373e-4951', NOT_FLOAT],
  ['-1.8225997659412373e-4951', NOT_FLOAT],
  ['1.8225997659412373013e-4951', '0'],
  ['1.8225997659412373012e-4951', NOT_FLOAT],
  ['1.8e-4951', NOT_FLOAT],
  ['1e-4951', NOT_FLOAT],
  [`0.${'0'.repeat(4950)}18226`, '0'],
  [`0.${'0'.repeat(4950)}18225`, NOT_FLOAT],
  // Hexadecimal: an exact half is a tie, to the even 0; anything after the round bit counts, however far down.
  ['0x1p-16446', NOT_FLOAT],
  ['-0x1p-16446', NOT_FLOAT],
  ['0x8p-16449', NOT_FLOAT],
  ['0x.8p-16445', NOT_FLOAT],
  ['0x1.000000000000001p-16446', '0'],
  ['0x1.00000000000000001p-16446', '0'],
  ['0x1.00000000000000000000000001p-16446', '0'],
  ['-0x1.00000000000000000000000001p-16446', '0'],
  ['0x1.0000000000000002p-16446', '0'],
  ['0x8.000000000000001p-16449', '0'],
  ['0x.8000000000000001p-16445', '0'],
  // ... except the bit after the 64th: glibc leaves it out of a subnormal's rounding.
  ['0x1.0000000000000001p-16446', NOT_FLOAT],
  ['-0x1.0000000000000001p-16446', NOT_FLOAT],
  ['0x2.0000000000000002p-16447', NOT_FLOAT],
  ['0x.80000000000000008p-16445', NOT_FLOAT],
  // Below half, and from half a subnormal up.
  ['0x1.ffffffffffffffffp-16447', NOT_FLOAT],
  ['0x1p-16447', NOT_FLOAT],
  ['0x1p-16450', NOT_FLOAT],
  ['0x0.ffffffffffffffffffffp-16445', '0'],
  ['0x1.8p-16446', '0'],
  ['0x1p-16445', '0'],
  ['0x3p-16446', '0'],
  ['0x1.7fffffffffffffffffp-16445', '0'],
  ['0x1.ffffffffffffffffp-16383', '0'],
];

test('text near half the smallest subnormal long double reads as strtold rounds it, or is refused as 0', () => {
  for (const [incr, reply] of SUBNORMAL_EDGE) assert.equal(incrbyfloat('0', incr), reply, `INCRBYFLOAT ${incr}`);
  // The first 5000 significant digits of 2^-16446 (those of 5^16446), and one more in the last: 5007 characters,
  // below and above half. redis-server 7.0.15: not a valid float, then 0, and 0 for the negative.
  const digits = (5n ** 16446n).toString().slice(0, 5000);
  const below = `${digits[0]}.${digits.slice(1)}e-4951`;
  const above = `${digits[0]}.${(BigInt(digits) + 1n).toString().slice(1)}e-4951`;
  assert.equal(incrbyfloat('0', below), NOT_FLOAT);
  assert.equal(incrbyfloat('0', above), '0');
  assert.equal(incrbyfloat('0', `-${above}`), '0');
});

test('a stored subnormal reads and adds: redis-server 7.0.15 replies 0, then 1 after adding 1', () => {
  for (const stored of ['3.6e-4951', '-3.6e-4951', '1.8226e-4951', '0x1.00000000000000000000000001p-16446']) {
    assert.deepEqual(chain(stored, ['0', '1']), ['0', '1'], stored);
  }
  assert.deepEqual(chain('1.8225997659412373e-4951', ['0']), [NOT_FLOAT]);
  assert.deepEqual(chain('0x1p-16446', ['0']), [NOT_FLOAT]);
});

test('subnormals are whole numbers of 2^-16445, rounded once, ties to even', () => {
  // The units glibc 2.36's strtold gives (INCRBYFLOAT prints each of these as 0).
  const units = (text: string): bigint => {
    const v = parseLongDouble(text)!;
    return v.exp >= -16445 ? v.mant << BigInt(v.exp + 16445) : v.mant >> BigInt(-16445 - v.exp);
  };
  assert.equal(units('0x1p-16445'), 1n);
  assert.equal(units('0x1.8p-16446'), 1n, '3/4 of a unit');
  assert.equal(units('0x3p-16446'), 2n, '1.5 units, to even');
  assert.equal(units('0x5p-16446'), 2n, '2.5 units, to even');
  assert.equal(units('0x7p-16446'), 4n, '3.5 units, to even');
  assert.equal(units('0x1.7fffffffffffffffffp-16445'), 1n, 'below 1.5 units by far less than 2^-64 of the value');
  assert.equal(units('3.6e-4951'), 1n);
  assert.equal(units('5.4677992978237119e-4951'), 1n, 'just below 1.5 units');
  assert.equal(units('5.467799297823711904e-4951'), 2n, 'just above 1.5 units');
  assert.equal(units('1e-4940'), 27433340514n);
  assert.equal(units('0x1.ffffffffffffffffp-16383'), 1n << 63n, 'rounded up to the smallest normal');
  const sum = addLongDouble(parseLongDouble('0x3p-16445')!, parseLongDouble('-0x1p-16445')!);
  assert.equal(formatLongDouble(sum), '0');
  assert.deepEqual([sum.mant, sum.exp], [1n << 63n, -16444 - 63], '3 - 1 units are 2 units, exactly');
});

test('subnormal long doubles from 3.65e-4951 up are accepted and print as 0', () => {
  // redis-server 7.0.15 replies 0 to INCRBYFLOAT k <x> for each.
  for (const x of ['3.65e-4951', '3.7e-4951', '1e-4950', '1e-4940', '3.3e-4932', '3.4e-4932']) {
    assert.equal(incrbyfloat(null, x), '0', x);
  }
});
