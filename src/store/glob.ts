/**
 * Glob-style matching of binary strings, a port of Redis's `stringmatchlen`
 * (util.c), used by KEYS and SCAN MATCH: `*`, `?`, `[abc]`, `[^a]`, `[a-z]`,
 * and `\` to escape. Nesting is capped as Redis caps it, so a hostile pattern
 * cannot exhaust the stack.
 *
 * Reference: https://redis.io/docs/latest/commands/keys/
 *
 * @param pattern the glob, bytes
 * @param str the candidate, bytes
 * @returns whether the whole of `str` matches
 */
export function globMatch(pattern: Uint8Array, str: Uint8Array): boolean {
  const state = { skipLonger: false };
  return matchFrom(pattern, 0, str, 0, state, 0);
}

/** True when a pattern matches every string (`*`), so callers can skip matching. */
export function matchesAll(pattern: Uint8Array): boolean {
  return pattern.length === 1 && pattern[0] === 42;
}

function matchFrom(
  pat: Uint8Array,
  p: number,
  str: Uint8Array,
  s: number,
  state: { skipLonger: boolean },
  nesting: number,
): boolean {
  if (nesting > 1000) return false;
  const pEnd = pat.length;
  const sEnd = str.length;
  while (p < pEnd && s < sEnd) {
    const c = pat[p]!;
    if (c === 42 /* * */) {
      while (p + 1 < pEnd && pat[p + 1] === 42) p++;
      if (p + 1 === pEnd) return true;
      while (s < sEnd) {
        if (matchFrom(pat, p + 1, str, s, state, nesting + 1)) return true;
        if (state.skipLonger) return false;
        s++;
      }
      state.skipLonger = true;
      return false;
    } else if (c === 63 /* ? */) {
      s++;
    } else if (c === 91 /* [ */) {
      p++;
      const not = pat[p] === 94; /* ^ */
      if (not) p++;
      let match = false;
      const ch = str[s]!;
      for (;;) {
        if (pat[p] === 92 /* \ */ && pEnd - p >= 2) {
          p++;
          if (pat[p] === ch) match = true;
        } else if (pat[p] === 93 /* ] */) {
          break;
        } else if (p >= pEnd) {
          p--;
          break;
        } else if (pEnd - p >= 3 && pat[p + 1] === 45 /* - */) {
          let start = pat[p]!;
          let end = pat[p + 2]!;
          if (start > end) [start, end] = [end, start];
          p += 2;
          if (ch >= start && ch <= end) match = true;
        } else if (pat[p] === ch) {
          match = true;
        }
        p++;
      }
      if (not) match = !match;
      if (!match) return false;
      s++;
    } else {
      if (c === 92 /* \ */ && pEnd - p >= 2) p++;
      if (pat[p] !== str[s]) return false;
      s++;
    }
    p++;
    if (s === sEnd) {
      while (p < pEnd && pat[p] === 42) p++;
      break;
    }
  }
  return p === pEnd && s === sEnd;
}
