/**
 * Doubles as Redis reads and prints them, exactly: C `strtod` for parsing
 * and `%.17g` for printing, so that scores, increments and weights reach the
 * same values as in redis-server and print the same bytes. Redis keeps these
 * in util.c (`string2d`) and networking.c (`addReplyDouble`); the x87 long
 * double arithmetic of INCRBYFLOAT and HINCRBYFLOAT is in longdouble.ts.
 *
 * Reference: https://redis.io/docs/latest/commands/zadd/ (scores are double-precision floats)
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** The exact decimal digits of a finite nonzero |d| (no leading or trailing zeros) and the exponent of the first. */
function exactDigits(d: number): { digits: string; exp: number } {
  f64[0] = Math.abs(d);
  const hi = u32[1]!;
  const lo = u32[0]!;
  const bexp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (bexp === 0) e2 = -1074;
  else {
    mant |= 1n << 52n;
    e2 = bexp - 1075;
  }
  let s: string;
  let point: number; // digits before the decimal point
  if (e2 >= 0) {
    s = (mant << BigInt(e2)).toString();
    point = s.length;
  } else {
    s = (mant * 5n ** BigInt(-e2)).toString();
    point = s.length + e2;
  }
  const lead = s.length - s.replace(/^0+/, '').length;
  const digits = s.replace(/^0+/, '').replace(/0+$/, '');
  return { digits, exp: point - lead - 1 };
}

/**
 * Formats a double as redis-server 7.0 replies it (networking.c
 * `addReplyDouble`: C's `%.17g`, `inf`/`-inf` for infinities):
 * 1.1 → `1.1000000000000001`, 1e20 → `1e+20`, 3.0 → `3`, -0 → `-0`. Exact,
 * rounding ties to even as glibc does. Used for every score a sorted-set
 * command replies or logs.
 */
export function formatDouble(d: number): string {
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  if (Number.isInteger(d) && d < 1e16 && d > -1e16) return String(d);
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  const e17 = d.toExponential(17);
  let sci = d.toExponential(16);
  if (e17.charCodeAt(e17.indexOf('e') - 1) === 53) {
    // Possibly an exact tie at the 18th digit: JavaScript rounds it up, glibc to even.
    const { digits, exp } = exactDigits(d);
    if (digits.length === 18) {
      const keep = digits.slice(0, 17);
      if ((keep.charCodeAt(16) & 1) === 0)
        sci = `${d < 0 ? '-' : ''}${keep[0]}.${keep.slice(1)}e${exp < 0 ? '-' : '+'}${Math.abs(exp)}`;
    }
  }
  const ePos = sci.indexOf('e');
  const neg = sci.charCodeAt(0) === 45;
  const digits = sci.slice(neg ? 1 : 0, ePos).replace('.', '');
  const exp = Number(sci.slice(ePos + 1));
  const sign = neg ? '-' : '';
  if (exp < -4 || exp >= 17) {
    const m = (digits[0]! + '.' + digits.slice(1)).replace(/0+$/, '').replace(/\.$/, '');
    const a = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${a < 10 ? '0' : ''}${a}`;
  }
  let text: string;
  if (exp >= 0) text = digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
  else text = '0.' + '0'.repeat(-exp - 1) + digits;
  return sign + text.replace(/0+$/, '').replace(/\.$/, '');
}

/** C `isspace` in the C locale. */
function isSpace(ch: number): boolean {
  return ch === 32 || (ch >= 9 && ch <= 13);
}

function isDigit(ch: number): boolean {
  return ch >= 48 && ch <= 57;
}

function hexVal(ch: number): number {
  if (ch >= 48 && ch <= 57) return ch - 48;
  if (ch >= 97 && ch <= 102) return ch - 87;
  if (ch >= 65 && ch <= 70) return ch - 55;
  return -1;
}

/**
 * How glibc's `strtod` family rounds a value below the normal range
 * (stdlib/strtod_l.c `round_and_return`, glibc 2.36): `m × 2^e`, m > 0, in a
 * binary format with `mantDig` significand bits whose smallest normal is
 * `2^emin` (53 and -1022 for a double, 64 and -16382 for an x87 long double).
 *
 * glibc first cuts the value to `mantDig` bits, a round bit, and whether any
 * later bit is set; a subnormal result then shifts the cut significand right
 * and rounds to nearest, ties to even, on the bits shifted out and the later
 * bits, but without the old round bit. So `0x1.00000000000008p-1075`, just
 * above half of 2^-1074, reads as 0 (and ZADD refuses it), as it does in
 * redis-server 7.0.15. Anything below half the smallest subnormal is 0
 * (glibc's `underflow_value`).
 *
 * @returns the result in units of the smallest subnormal, `2^(emin - mantDig + 1)`: 0 on underflow
 */
export function glibcSubnormal(m: bigint, e: number, mantDig: number, emin: number): bigint {
  const bits = m.toString(2).length;
  const lead = bits - 1 + e;
  if (lead < emin - mantDig) return 0n;
  const cut = bits - mantDig;
  let t = m;
  let later = false;
  if (cut < 0) t = m << BigInt(-cut);
  else if (cut > 0) {
    t = m >> BigInt(cut);
    later = (m & ((1n << BigInt(cut - 1)) - 1n)) !== 0n; // what follows the round bit, bit cut - 1
  }
  const shift = BigInt(emin - lead);
  let q = t >> shift;
  const half = (t >> (shift - 1n)) & 1n;
  const below = (t & ((1n << (shift - 1n)) - 1n)) !== 0n;
  if (half === 1n && (below || later || (q & 1n) === 1n)) q++;
  return q;
}

/**
 * `m × 2^e` as C `strtod` reads a hexadecimal float (m ≥ 0): rounded once to
 * the nearest double, ties to even, or among the subnormals as
 * {@link glibcSubnormal} rounds.
 */
function scaleBinary(m: bigint, e: number): number {
  if (m === 0n) return 0;
  const bits = m.toString(2).length;
  if (bits - 1 + e < -1022) return Number(glibcSubnormal(m, e, 53, -1022)) * 2 ** -1074;
  if (bits > 53) {
    const shift = bits - 53;
    let q = m >> BigInt(shift);
    const rem = m & ((1n << BigInt(shift)) - 1n);
    const half = 1n << BigInt(shift - 1);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q++;
    m = q;
    e += shift;
  }
  let v = Number(m);
  while (e > 1000) {
    v *= 2 ** 1000;
    e -= 1000;
  }
  while (e < -1000) {
    v *= 2 ** -1000;
    e += 1000;
  }
  return v * 2 ** e;
}

/** The smallest normal double, 2^-1022. */
const MIN_NORMAL = 2 ** -1022;

/**
 * A decimal (digits, a point, an exponent; no sign) that C `strtod` reads
 * as a subnormal, or as 2^-1022 after rounding, given `rounded`, its
 * correctly rounded value. glibc reads at most 1076 decimal places
 * (stdlib/strtod_l.c: bits down to a quarter of the smallest subnormal) and
 * notes whether a nonzero digit follows them. A number ending within them
 * is exact there; when it is `m × 2^-k` (a dyadic fraction), it is rounded
 * as {@link glibcSubnormal} rounds, so that the exact decimal of
 * `2^-1023 + 3 × 2^-1076` reads as 2^-1023, as in redis-server 7.0.15. Any
 * other decimal has a set bit past glibc's round bit, and glibc rounds it
 * correctly.
 */
function decimalSubnormal(text: string, rounded: number): number {
  const ePos = text.search(/[eE]/);
  const mant = ePos < 0 ? text : text.slice(0, ePos);
  const dot = mant.indexOf('.');
  const digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  let places = (dot < 0 ? 0 : mant.length - dot - 1) - (ePos < 0 ? 0 : Number(text.slice(ePos + 1)));
  let end = digits.length;
  while (end > 0 && digits.charCodeAt(end - 1) === 48) {
    end--;
    places--;
  }
  if (places > 1076) return rounded;
  let start = 0;
  while (start < end && digits.charCodeAt(start) === 48) start++;
  const five = 5n ** BigInt(places);
  const d = BigInt(digits.slice(start, end));
  if (d % five !== 0n) return rounded;
  const m = d / five; // the value is m × 2^-places
  if (m.toString(2).length - 1 - places >= -1022) return rounded;
  return Number(glibcSubnormal(m, -places, 53, -1022)) * 2 ** -1074;
}

/** What {@link strtod} read. */
interface Strtod {
  value: number;
  /** Index after the text read; `start` when nothing was read. */
  end: number;
  /** Whether the text was an infinity literal (not an overflow). */
  literalInf: boolean;
  /** Whether the significand had a nonzero digit (a zero value then means underflow). */
  nonzero: boolean;
}

/**
 * C `strtod` on `s` from `start`: leading white space, a sign, then `inf`,
 * `infinity`, `nan`, `nan(...)`, a hexadecimal float or a decimal; the
 * longest prefix that forms one. Overflow gives an infinity, underflow 0.
 */
function strtod(s: string, start: number): Strtod {
  const none: Strtod = { value: 0, end: start, literalInf: false, nonzero: false };
  let i = start;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') {
    neg = s[i] === '-';
    i++;
  }
  const word3 = s.slice(i, i + 3).toLowerCase();
  if (word3 === 'inf') {
    const end = s.slice(i + 3, i + 8).toLowerCase() === 'inity' ? i + 8 : i + 3;
    return { value: neg ? -Infinity : Infinity, end, literalInf: true, nonzero: true };
  }
  if (word3 === 'nan') {
    let end = i + 3;
    if (s[end] === '(') {
      let k = end + 1;
      while (k < s.length && /[0-9A-Za-z_]/.test(s[k]!)) k++;
      if (s[k] === ')') end = k + 1;
    }
    return { value: NaN, end, literalInf: false, nonzero: true };
  }
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X')) {
    let k = i + 2;
    let mant = 0n;
    let nd = 0;
    let fracDigits = 0;
    let nonzero = false;
    while (k < s.length && hexVal(s.charCodeAt(k)) >= 0) {
      const h = hexVal(s.charCodeAt(k++));
      mant = mant * 16n + BigInt(h);
      if (h !== 0) nonzero = true;
      nd++;
    }
    if (s[k] === '.') {
      let j = k + 1;
      while (j < s.length && hexVal(s.charCodeAt(j)) >= 0) {
        const h = hexVal(s.charCodeAt(j++));
        mant = mant * 16n + BigInt(h);
        if (h !== 0) nonzero = true;
        nd++;
        fracDigits++;
      }
      if (nd > 0) k = j;
    }
    if (nd > 0) {
      let exp = 0;
      if (s[k] === 'p' || s[k] === 'P') {
        let j = k + 1;
        let eneg = false;
        if (s[j] === '+' || s[j] === '-') eneg = s[j++] === '-';
        if (j < s.length && isDigit(s.charCodeAt(j))) {
          let ev = 0;
          while (j < s.length && isDigit(s.charCodeAt(j))) ev = Math.min(ev * 10 + s.charCodeAt(j++) - 48, 1e7);
          exp = eneg ? -ev : ev;
          k = j;
        }
      }
      const v = scaleBinary(mant, exp - 4 * fracDigits);
      return { value: neg ? -v : v, end: k, literalInf: false, nonzero };
    }
    // "0x" with no digits: strtod reads the "0".
  }
  let k = i;
  let nd = 0;
  let nonzero = false;
  while (k < s.length && isDigit(s.charCodeAt(k))) {
    if (s.charCodeAt(k) !== 48) nonzero = true;
    k++;
    nd++;
  }
  if (s[k] === '.') {
    k++;
    while (k < s.length && isDigit(s.charCodeAt(k))) {
      if (s.charCodeAt(k) !== 48) nonzero = true;
      k++;
      nd++;
    }
  }
  if (nd === 0) return none;
  if (s[k] === 'e' || s[k] === 'E') {
    let j = k + 1;
    if (s[j] === '+' || s[j] === '-') j++;
    if (j < s.length && isDigit(s.charCodeAt(j))) {
      while (j < s.length && isDigit(s.charCodeAt(j))) j++;
      k = j;
    }
  }
  let v = Number(s.slice(i, k));
  if (v <= MIN_NORMAL && v !== 0) v = decimalSubnormal(s.slice(i, k), v);
  return { value: neg ? -v : v, end: k, literalInf: false, nonzero };
}

/**
 * Parses a double argument (a score, increment or weight) as Redis's
 * `getDoubleFromObject` (util.c `string2d`): the whole argument must be one
 * `strtod` number, with no leading space, not NaN, no overflow (`1e400`) and
 * no underflow to zero (`1e-400`); `inf`, `+inf`, `-inf`, `infinity` and
 * hexadecimal floats are accepted.
 *
 * @returns the value, or null where Redis replies `ERR value is not a valid float`
 *   (the caller replies: ZUNIONSTORE's weights have their own text)
 */
export function parseDouble(arg: Buffer): number | null {
  const s = arg.toString('latin1');
  if (s.length === 0 || isSpace(s.charCodeAt(0))) return null;
  const r = strtod(s, 0);
  if (r.end !== s.length || Number.isNaN(r.value)) return null;
  if (!Number.isFinite(r.value) && !r.literalInf) return null;
  if (r.value === 0 && r.nonzero) return null;
  return r.value;
}

/**
 * Parses one end of a score interval as Redis's `zslParseRange` (t_zset.c)
 * for ZRANGEBYSCORE, ZCOUNT and ZREMRANGEBYSCORE: `(` makes it exclusive,
 * then plain `strtod` up to the first NUL byte, so leading space, overflow
 * to an infinity and even an empty string (0) pass; NaN does not.
 *
 * @returns the bound, or null when Redis replies `ERR min or max is not a float`
 */
export function parseScoreBound(arg: Buffer): { value: number; ex: boolean } | null {
  let s = arg.toString('latin1');
  const nul = s.indexOf('\0');
  if (nul >= 0) s = s.slice(0, nul);
  const ex = s.charCodeAt(0) === 40; // (
  const r = strtod(s, ex ? 1 : 0);
  if (r.end !== s.length || Number.isNaN(r.value)) return null;
  return { value: r.value, ex };
}

/**
 * A SORT weight as sort.c's `sortCommandGeneric` reads it: C `strtod` over
 * the value as a C string, so leading white space, hexadecimal floats,
 * `inf` and an empty value (0) pass, and text after a NUL byte is ignored;
 * trailing text, NaN, and `ERANGE` (overflow, or underflow to zero or to a
 * subnormal) fail.
 *
 * @returns the weight, or null where Redis replies `ERR One or more scores can't be converted into double`
 */
export function parseSortWeight(s: string): number | null {
  // Fast path: a plain integer of up to 15 digits, exact as a double.
  const n = s.length;
  if (n > 0 && n <= 15) {
    let i = s.charCodeAt(0) === 45 ? 1 : 0;
    let v = 0;
    for (; i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (i === n && n > (s.charCodeAt(0) === 45 ? 1 : 0)) return s.charCodeAt(0) === 45 ? -v : v;
  }
  const r = strtod(s, 0);
  if (r.end !== s.length && s.charCodeAt(r.end) !== 0) return null;
  if (Number.isNaN(r.value)) return null;
  if (!Number.isFinite(r.value) && !r.literalInf) return null;
  if (r.nonzero && Math.abs(r.value) < MIN_NORMAL && !r.literalInf) return null;
  return r.value;
}

/**
 * Formats a double as C's `printf("%.<digits>f")` does with glibc: fixed
 * notation from the exact binary value, ties to even, `-` kept on a negative
 * zero or on a negative value that rounds to zero, `inf`/`-inf` for
 * infinities. 1.5 with 0 digits → `2`, 2.5 → `2`; -0 with 6 → `-0.000000`.
 */
export function formatFixed(d: number, digits: number): string {
  if (!Number.isFinite(d)) return d > 0 ? 'inf' : '-inf';
  const neg = d < 0 || Object.is(d, -0);
  f64[0] = Math.abs(d);
  const hi = u32[1]!;
  const bexp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(u32[0]!);
  let e2 = -1074;
  if (bexp !== 0) {
    mant |= 1n << 52n;
    e2 = bexp - 1075;
  }
  const scale = 10n ** BigInt(digits);
  let q: bigint;
  if (e2 >= 0) {
    q = (mant << BigInt(e2)) * scale;
  } else {
    const num = mant * scale;
    const den = 1n << BigInt(-e2);
    q = num / den;
    const twice = (num % den) * 2n;
    if (twice > den || (twice === den && (q & 1n) === 1n)) q++;
  }
  const s = q.toString().padStart(digits + 1, '0');
  const text = digits === 0 ? s : `${s.slice(0, -digits)}.${s.slice(-digits)}`;
  return neg ? `-${text}` : text;
}

/**
 * Formats a double as Redis 7.0 prints coordinates (util.c `ld2string` in
 * mode LD_STR_HUMAN on the value widened to a long double, exactly): `%.17Lf`,
 * then trailing zeros and a trailing dot removed, `-0` written `0`;
 * `inf`/`-inf` for infinities. 13.361389338970184 → `13.36138933897018433`.
 */
export function formatHumanDouble(d: number): string {
  if (!Number.isFinite(d)) return d > 0 ? 'inf' : '-inf';
  let s = formatFixed(d, 17).replace(/0+$/, '');
  if (s.endsWith('.')) s = s.slice(0, -1);
  return s === '-0' ? '0' : s;
}

/**
 * Formats a double with `fractional` digits after the point as Redis's
 * util.c `fixedpoint_d2string` does (GEODIST and WITHDIST, 4 digits): the
 * value times 10^fractional rounded by `llrint` (ties to even), then printed
 * with a leading `0.` when below 1; 0 is `0.0000`.
 */
export function formatFixedPoint(d: number, fractional: number): string {
  if (d === 0) return `0.${'0'.repeat(fractional)}`;
  const x = d * 10 ** fractional;
  let r = Math.round(x);
  // Math.round rounds halves up; llrint rounds them to even.
  if (r - x === 0.5 && r % 2 !== 0) r -= 1;
  const neg = r < 0;
  const s = BigInt(Math.abs(r))
    .toString()
    .padStart(fractional + 1, '0');
  const text = `${s.slice(0, -fractional)}.${s.slice(-fractional)}`;
  return neg ? `-${text}` : text;
}
