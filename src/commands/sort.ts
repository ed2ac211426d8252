/**
 * SORT and SORT_RO (sort.c in Redis 7.0): the elements of a list, set or
 * sorted set, sorted as numbers (the default) or as strings (ALPHA), by
 * themselves or by weights looked up through a BY pattern, optionally a
 * LIMIT window of them, each replaced by the values of GET patterns, and
 * with SORT's STORE saved as a list.
 *
 * Patterns (sort.c `lookupKeyByPattern`): the first `*` is replaced by the
 * element to name a string key; `key*->field` names a field of a hash;
 * GET `#` is the element itself; a pattern without `*` looks nothing up (a
 * constant BY pattern such as `nosort` skips sorting and keeps the list's or
 * sorted set's own order). A missing key or field, or one of another type,
 * is a nil for GET (an empty string in a STORE) and, for BY, a weight of 0
 * (ALPHA: sorted before every present one).
 *
 * Order (sort.c `sortCompare`): numeric weights, ties broken by comparing the
 * elements' bytes; ALPHA compares with `strcoll` (the C.UTF-8 and C locales
 * compare bytes up to the first NUL), or the bytes in full when STORE is
 * given, so that what is stored does not depend on the locale. The sort is
 * stable, as glibc's `qsort` (a merge sort) is; Redis's partial quicksort for
 * BY with LIMIT (`pqsort`) is not, so elements whose ALPHA weights tie may
 * come out in another order there.
 *
 * A STORE replaces the destination with the result as a list (dropping its
 * TTL), or deletes it when the result is empty, and replies the count. It is
 * logged as its effects, `DEL destination` then `RPUSH destination
 * elements...`, in one WAL record (a transaction unit), so that replay and
 * replicas rebuild the same list whatever the source keys hold by then.
 *
 * Reference: https://redis.io/docs/latest/commands/sort/ and
 * https://redis.io/docs/latest/commands/sort_ro/
 */
import { NOTIFY_GENERIC, NOTIFY_LIST, NOTIFY_NEW } from '../config/keyspace-events.js';
import { EntryType } from '../store/arena.js';
import { type HashValue, ListValue, type SetValue, type ZSetValue } from '../store/collections.js';
import type { EffectArg } from '../persistence/wal/codec.js';
import type { CommandContext, CommandSpec, KeyRef } from './context.js';
import { storeCollection } from './collection.js';
import { keyMiss } from './notify.js';
import { parseSortWeight } from './numbers.js';
import { command, keyAt } from './table.js';
import { ERR, isWord, longOrReply } from './util.js';

/** A BY or GET pattern, cut where sort.c `lookupKeyByPattern` cuts it. */
interface Pattern {
  /** `#` (GET the element itself). */
  readonly self: boolean;
  /** Has no `*`: names no key, so a GET of it is nil and a BY of it skips sorting. */
  readonly constant: boolean;
  /** The key name's bytes before and after the `*`. */
  readonly prefix: Buffer;
  readonly suffix: Buffer;
  /** The hash field after `->`, or null for a string key. */
  readonly field: string | null;
}

/** SORT's options as parsed (sort.c `sortCommandGeneric`). */
interface SortOptions {
  desc: boolean;
  alpha: boolean;
  /** LIMIT offset count; count -1 for all. */
  offset: number;
  count: number;
  by: Pattern | null;
  /** A constant BY pattern was given: no sorting. */
  dontSort: boolean;
  gets: Pattern[];
  store: Buffer | null;
}

/**
 * Cuts a pattern as sort.c does with C string functions: `#`, the first `*`
 * and a following `->field` are searched for up to the first NUL byte,
 * while lengths count every byte.
 */
function parsePattern(p: Buffer): Pattern {
  const nul = p.indexOf(0);
  const cstrEnd = nul < 0 ? p.length : nul;
  const none = Buffer.alloc(0);
  const self = p.length > 0 && p[0] === 0x23 && (p.length === 1 || p[1] === 0);
  const star = p.subarray(0, cstrEnd).indexOf(0x2a);
  if (star < 0) return { self, constant: true, prefix: none, suffix: none, field: null };
  const arrow = p.subarray(0, cstrEnd).indexOf('->', star + 1);
  const hasField = arrow >= 0 && arrow + 2 < cstrEnd;
  return {
    self,
    constant: false,
    prefix: p.subarray(0, star),
    suffix: p.subarray(star + 1, hasField ? arrow : p.length),
    field: hasField ? p.subarray(arrow + 2).toString('latin1') : null,
  };
}

/**
 * Parses the options after the key, replying the first error as Redis does
 * (`ERR syntax error`, or a LIMIT argument that is not an integer).
 *
 * @param readonly SORT_RO: STORE is a syntax error
 * @returns the options, or null after replying
 */
function parseOptions(c: CommandContext, argv: Buffer[], readonly: boolean): SortOptions | null {
  const o: SortOptions = {
    desc: false,
    alpha: false,
    offset: 0,
    count: -1,
    by: null,
    dontSort: false,
    gets: [],
    store: null,
  };
  for (let j = 2; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const a = argv[j]!;
    if (isWord(a, 'ASC')) o.desc = false;
    else if (isWord(a, 'DESC')) o.desc = true;
    else if (isWord(a, 'ALPHA')) o.alpha = true;
    else if (isWord(a, 'LIMIT') && left >= 2) {
      const offset = longOrReply(c, argv[j + 1]!);
      if (offset === null) return null;
      const count = longOrReply(c, argv[j + 2]!);
      if (count === null) return null;
      o.offset = offset;
      o.count = count;
      j += 2;
    } else if (!readonly && isWord(a, 'STORE') && left >= 1) {
      o.store = argv[++j]!;
    } else if (isWord(a, 'BY') && left >= 1) {
      o.by = parsePattern(argv[++j]!);
      // Once a constant BY pattern is seen, nothing is sorted, whatever follows (as sort.c).
      if (o.by.constant) o.dontSort = true;
    } else if (isWord(a, 'GET') && left >= 1) {
      o.gets.push(parsePattern(argv[++j]!));
    } else {
      c.reply.error(ERR.syntax);
      return null;
    }
  }
  return o;
}

/**
 * The value a pattern names for `element` (sort.c `lookupKeyByPattern`):
 * the element for `#`; else the string key, or the hash field, whose name
 * is the pattern with `*` replaced; null when there is none, or the key
 * holds another type. Each key looked up counts as a keyspace hit or miss.
 */
function lookupByPattern(c: CommandContext, p: Pattern, element: string): string | null {
  if (p.self) return element;
  if (p.constant) return null;
  const key = Buffer.allocUnsafe(p.prefix.length + element.length + p.suffix.length);
  p.prefix.copy(key, 0);
  key.latin1Write(element, p.prefix.length);
  p.suffix.copy(key, p.prefix.length + element.length);
  const db = c.db;
  const slot = db.lookup(key);
  if (slot < 0) {
    keyMiss(c, key);
    return null;
  }
  c.server.stats.keyspaceHits++;
  const type = db.type(slot);
  if (p.field !== null) {
    if (type !== EntryType.Hash) return null;
    return (db.collection(slot) as HashValue).get(p.field) ?? null;
  }
  if (type !== EntryType.String) return null;
  return db.value(slot).toString('latin1');
}

/** Byte order, shorter first on a common prefix (Redis's `compareStringObjects`, memcmp). */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * What C `strcmp` compares of `s`: its bytes up to the first NUL. Compared
 * with {@link compareBytes}, that is `strcoll` in the C and C.UTF-8 locales.
 */
function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** An integer-set's members in the order Redis's intset keeps them: ascending by value. */
function intsetOrder(members: readonly string[]): string[] {
  return [...members].sort((a, b) => {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/**
 * The elements to sort, and the window [start, end] of the sorted vector to
 * output. For a list or sorted set that is not sorted (a constant BY), only
 * the window is loaded, in the collection's order (reversed by DESC), as
 * sort.c does; the window is then the whole vector.
 */
function loadVector(
  value: ListValue | SetValue | ZSetValue | null,
  o: SortOptions,
): { elements: string[]; start: number; end: number } {
  const len = value === null ? 0 : value.size;
  // LIMIT clamped as sort.c does, with its quirk for an offset past the end.
  let start = Math.min(Math.max(o.offset, 0), len);
  const count = Math.min(Math.max(o.count, -1), len);
  let end = count < 0 ? len - 1 : start + count - 1;
  if (start >= len) {
    start = len - 1;
    end = len - 2;
  }
  if (end >= len) end = len - 1;
  if (value === null) return { elements: [], start, end };
  const elements: string[] = [];
  if (value instanceof ListValue) {
    if (o.dontSort) {
      for (let k = start; k <= end; k++) elements.push(value.at(o.desc ? len - 1 - k : k));
      return { elements, start: 0, end: end - start };
    }
    for (let k = 0; k < len; k++) elements.push(value.at(k));
  } else if (value.type === EntryType.Set) {
    const s = value as SetValue;
    return { elements: s.encoding === 'intset' ? intsetOrder(s.members) : [...s.members], start, end };
  } else {
    const z = value as ZSetValue;
    if (o.dontSort) {
      let node = o.desc ? z.list.byRank(len - start) : z.list.byRank(start + 1);
      for (let k = start; k <= end && node !== null; k++) {
        elements.push(node.member);
        node = o.desc ? node.backward : node.next[0]!;
      }
      return { elements, start: 0, end: end - start };
    }
    for (const n of z.dense) elements.push(n.member);
  }
  return { elements, start, end };
}

/**
 * Sorts `elements` in place as sort.c `sortCompare` orders them.
 *
 * @returns false when a weight is not a number (the caller replies the error)
 */
function sortElements(c: CommandContext, elements: string[], o: SortOptions): boolean {
  const n = elements.length;
  const sign = o.desc ? -1 : 1;
  // With STORE every byte counts, so that what is stored does not depend on the locale (sort.c `sort_store`).
  const text = o.store !== null ? (s: string) => s : cString;
  const order = Array.from({ length: n }, (_, i) => i);
  if (o.alpha) {
    if (o.by === null) {
      const keys = elements.map(text);
      order.sort((x, y) => sign * compareBytes(keys[x]!, keys[y]!));
    } else {
      const by = o.by;
      const weights = elements.map((e) => {
        const w = lookupByPattern(c, by, e);
        return w === null ? null : text(w);
      });
      order.sort((x, y) => {
        const a = weights[x]!;
        const b = weights[y]!;
        if (a === null || b === null) return sign * (a === b ? 0 : a === null ? -1 : 1);
        return sign * compareBytes(a, b);
      });
    }
  } else {
    const scores = new Float64Array(n);
    let bad = false;
    for (let i = 0; i < n; i++) {
      const w = o.by === null ? elements[i]! : lookupByPattern(c, o.by, elements[i]!);
      if (w === null) continue;
      const v = parseSortWeight(w);
      if (v === null) bad = true;
      else scores[i] = v;
    }
    if (bad) return false;
    order.sort((x, y) => {
      const a = scores[x]!;
      const b = scores[y]!;
      return sign * (a > b ? 1 : a < b ? -1 : compareBytes(elements[x]!, elements[y]!));
    });
  }
  const sorted = order.map((i) => elements[i]!);
  for (let i = 0; i < n; i++) elements[i] = sorted[i]!;
  return true;
}

/** SORT and SORT_RO (sort.c `sortCommandGeneric`). */
function sortGeneric(c: CommandContext, argv: Buffer[], readonly: boolean): void {
  const o = parseOptions(c, argv, readonly);
  if (o === null) return;
  const db = c.db;
  const key = argv[1]!;
  const slot = db.lookup(key);
  let value: ListValue | SetValue | ZSetValue | null = null;
  if (slot < 0) keyMiss(c, key);
  else {
    c.server.stats.keyspaceHits++;
    const type = db.type(slot);
    if (type !== EntryType.List && type !== EntryType.Set && type !== EntryType.ZSet) {
      return c.reply.error(ERR.wrongType);
    }
    value = db.collection(slot) as ListValue | SetValue | ZSetValue;
  }
  // A set is not in any order: stored results are sorted (ALPHA) so that they do not depend on it.
  if (o.dontSort && value?.type === EntryType.Set && o.store !== null) {
    o.dontSort = false;
    o.alpha = true;
    o.by = null;
  }
  const { elements, start, end } = loadVector(value, o);
  if (!o.dontSort && !sortElements(c, elements, o)) {
    return c.reply.error("ERR One or more scores can't be converted into double");
  }
  const rows = end - start + 1;
  if (o.store === null) {
    c.reply.arrayLen(o.gets.length > 0 ? o.gets.length * rows : rows);
    for (let j = start; j <= end; j++) {
      const e = elements[j]!;
      if (o.gets.length === 0) c.reply.bulkLatin1(e);
      for (const g of o.gets) {
        const v = lookupByPattern(c, g, e);
        if (v === null) c.reply.nullBulk();
        else c.reply.bulkLatin1(v);
      }
    }
    return;
  }
  const out: string[] = [];
  for (let j = start; j <= end; j++) {
    const e = elements[j]!;
    if (o.gets.length === 0) out.push(e);
    for (const g of o.gets) out.push(lookupByPattern(c, g, e) ?? '');
  }
  storeList(c, o.store, out);
}

/**
 * SORT ... STORE: replaces `dst` with the list `out` (dropping its TTL), or
 * deletes it when `out` is empty, and replies the list's length. Logged as
 * `DEL dst` and `RPUSH dst out...` in one record, so that recovery applies
 * both or neither.
 */
function storeList(c: CommandContext, dst: Buffer, out: readonly string[]): void {
  const db = c.db;
  if (out.length === 0) {
    if (db.delete(dst)) {
      c.server.propagate(c.dbIndex, ['DEL', dst]);
      c.server.notify(NOTIFY_GENERIC, 'del', dst, c.dbIndex);
    }
    return c.reply.int(0);
  }
  const existed = db.peek(dst) >= 0;
  const list = new ListValue();
  for (const e of out) list.pushRight(e);
  storeCollection(db, dst, list);
  const push: EffectArg[] = ['RPUSH', dst];
  for (const e of out) push.push(Buffer.from(e, 'latin1'));
  logUnit(c, existed ? [['DEL', dst], push] : [push]);
  if (!existed) c.server.notify(NOTIFY_NEW, 'new', dst, c.dbIndex);
  c.server.notify(NOTIFY_LIST, 'sortstore', dst, c.dbIndex);
  c.reply.int(out.length);
}

/**
 * Logs `effects` as one WAL record: a transaction unit, unless a
 * transaction is collecting effects already (then they join it).
 */
function logUnit(c: CommandContext, effects: readonly EffectArg[][]): void {
  const s = c.server;
  if (effects.length === 1 || s.inExec || s.replaying) {
    for (const e of effects) s.propagate(c.dbIndex, e);
    return;
  }
  s.beginExec();
  try {
    for (const e of effects) s.propagate(c.dbIndex, e);
  } finally {
    s.endExec(c.dbIndex);
  }
}

/**
 * SORT's keys (db.c `sortGetKeys`): the key sorted, and the destination of
 * the last STORE, found by skipping the arguments of LIMIT, GET and BY.
 */
function sortKeys(argv: readonly Uint8Array[]): KeyRef[] {
  const keys: KeyRef[] = [{ pos: 1, flags: ['RO', 'access'] }];
  let store: KeyRef | null = null;
  const skips: [string, number][] = [
    ['LIMIT', 2],
    ['GET', 1],
    ['BY', 1],
  ];
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!;
    // sort.c's loop tests STORE only while scanning the skip list, before its first entry matches.
    for (const [name, skip] of skips) {
      if (isWord(a, name)) {
        i += skip;
        break;
      }
      if (isWord(a, 'STORE') && i + 1 < argv.length) {
        store = { pos: i + 1, flags: ['OW', 'update'] };
        break;
      }
    }
  }
  if (store !== null) keys.push(store);
  return keys;
}

/** SORT_RO's keys (db.c `sortROGetKeys`): the key sorted. */
function sortRoKeys(): KeyRef[] {
  return [{ pos: 1, flags: ['RO', 'access'] }];
}

const SUMMARY = 'Sort the elements in a list, set or sorted set';
const COMPLEXITY =
  'O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of ' +
  'returned elements. When the elements are not sorted, complexity is O(N).';
/** The key spec of the keys BY and GET patterns name (sort.json). */
const PATTERN_KEYS = {
  notes:
    "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of " +
    'the key we sort',
  flags: ['RO', 'access'],
  begin: { type: 'unknown' },
  find: { type: 'unknown' },
} as const;

/** SORT and SORT_RO's table entries (flags and key specs as redis-server 7.0's COMMAND INFO). */
export const sortCommands: CommandSpec[] = [
  command({
    name: 'sort',
    arity: -2,
    flags: ['write', 'denyoom'],
    keys: [
      keyAt(1, ['RO', 'access']),
      PATTERN_KEYS,
      {
        notes:
          "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in " +
          'the argument array',
        flags: ['OW', 'update'],
        begin: { type: 'unknown' },
        find: { type: 'unknown' },
      },
    ],
    getKeys: sortKeys,
    group: 'generic',
    since: '1.0.0',
    complexity: COMPLEXITY,
    summary: SUMMARY,
    handler: (c, argv) => sortGeneric(c, argv, false),
  }),
  command({
    name: 'sort_ro',
    arity: -2,
    flags: ['readonly'],
    keys: [keyAt(1, ['RO', 'access']), PATTERN_KEYS],
    getKeys: sortRoKeys,
    group: 'generic',
    since: '7.0.0',
    complexity: COMPLEXITY,
    summary: `${SUMMARY}. Read-only variant of SORT.`,
    handler: (c, argv) => sortGeneric(c, argv, true),
  }),
];
