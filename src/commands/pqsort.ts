/**
 * Redis's partial quicksort (src/pqsort.c, Bentley & McIlroy's "Engineering a
 * Sort Function" from NetBSD, with ranges): sorts only as much of an array as
 * puts the elements of positions `lrange..rrange` in their sorted places.
 * GEOSEARCH with COUNT uses it, so elements of equal distance come out in the
 * order redis-server gives them only if the partitioning is the same, swap
 * for swap: this is a port on array indexes, not a rewrite.
 */

type Cmp<T> = (a: T, b: T) => number;

function swap<T>(v: T[], i: number, j: number): void {
  const t = v[i]!;
  v[i] = v[j]!;
  v[j] = t;
}

/** pqsort.c `vecswap`: swaps the `n` elements from `i` with those from `j`, pairwise in order. */
function vecswap<T>(v: T[], i: number, j: number, n: number): void {
  for (let k = 0; k < n; k++) swap(v, i + k, j + k);
}

/** pqsort.c `med3`: the index of the median of three. */
function med3<T>(v: T[], a: number, b: number, c: number, cmp: Cmp<T>): number {
  return cmp(v[a]!, v[b]!) < 0
    ? cmp(v[b]!, v[c]!) < 0
      ? b
      : cmp(v[a]!, v[c]!) < 0
        ? c
        : a
    : cmp(v[b]!, v[c]!) > 0
      ? b
      : cmp(v[a]!, v[c]!) < 0
        ? a
        : c;
}

/** pqsort.c `_pqsort` on `n` elements from index `a`; `lrange..rrange` are absolute indexes. */
function pqsortFrom<T>(v: T[], a: number, n: number, cmp: Cmp<T>, lrange: number, rrange: number): void {
  for (;;) {
    if (n < 7) {
      for (let pm = a + 1; pm < a + n; pm++)
        for (let pl = pm; pl > a && cmp(v[pl - 1]!, v[pl]!) > 0; pl--) swap(v, pl, pl - 1);
      return;
    }
    let pm = a + Math.floor(n / 2);
    if (n > 7) {
      let pl = a;
      let pn = a + n - 1;
      if (n > 40) {
        const d = Math.floor(n / 8);
        pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
        pm = med3(v, pm - d, pm, pm + d, cmp);
        pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
      }
      pm = med3(v, pl, pm, pn, cmp);
    }
    swap(v, a, pm);
    let pa = a + 1;
    let pb = pa;
    let pc = a + n - 1;
    let pd = pc;
    for (;;) {
      let res: number;
      while (pb <= pc && (res = cmp(v[pb]!, v[a]!)) <= 0) {
        if (res === 0) {
          swap(v, pa, pb);
          pa++;
        }
        pb++;
      }
      while (pb <= pc && (res = cmp(v[pc]!, v[a]!)) >= 0) {
        if (res === 0) {
          swap(v, pc, pd);
          pd--;
        }
        pc--;
      }
      if (pb > pc) break;
      swap(v, pb, pc);
      pb++;
      pc--;
    }
    const pn = a + n;
    let r = Math.min(pa - a, pb - pa);
    vecswap(v, a, pb - r, r);
    r = Math.min(pd - pc, pn - pd - 1);
    vecswap(v, pb, pn - r, r);
    // A part is sorted further only when it overlaps lrange..rrange.
    const outside = (l: number, k: number) => (lrange < l && rrange < l) || (lrange >= l + k && rrange >= l + k);
    if ((r = pb - pa) > 1) {
      if (!outside(a, r)) pqsortFrom(v, a, r, cmp, lrange, rrange);
    }
    if ((r = pd - pc) > 1) {
      a = pn - r;
      n = r;
      if (!outside(a, n)) continue;
    }
    return;
  }
}

/**
 * Sorts `v` in place enough that positions `lrange..rrange` (inclusive) hold
 * what a full sort by `cmp` would put there, as Redis's `pqsort` does.
 */
export function pqsort<T>(v: T[], cmp: Cmp<T>, lrange: number, rrange: number): void {
  pqsortFrom(v, 0, v.length, cmp, lrange, rrange);
}
