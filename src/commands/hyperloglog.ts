/**
 * HyperLogLog commands on ordinary strings, after Redis 7.0's hyperloglog.c:
 * PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST. The values are Redis's
 * own bytes (./hll-repr.ts), so GET returns what redis-server would, and a
 * string copied from redis-server with GET and SET counts the same here.
 *
 * Effects logged (docs/FORMAT.md, "Effects"): PFADD on a dense HLL as sent
 * (a dense HLL stays dense whatever the settings, so replay gives the same
 * bytes); PFADD that created a key or changed a sparse one, PFMERGE, and
 * PFDEBUG GETREG/TODENSE that converted, as `SET key <result> KEEPTTL`
 * (sparse growth and promotion depend on `hll-sparse-max-bytes`, which a
 * replay or a replica may have set otherwise); PFCOUNT that refreshed the
 * cached cardinality as `SETRANGE key 8 <the 8 header bytes>`. A replica
 * does not refresh the cache (its WAL holds only its primary's records):
 * it computes the count each time, with the same result.
 *
 * Reference: https://redis.io/docs/latest/commands/?group=hyperloglog
 */
import { NOTIFY_NEW, NOTIFY_STRING } from '../config/keyspace-events.js';
import type { CommandContext, CommandSpec, KeySpec } from './context.js';
import {
  cachedCard,
  cardBytes,
  createHll,
  decodeSparse,
  denseGet,
  denseSet,
  denseSetReg,
  elementRegister,
  HLL_DENSE,
  HLL_DENSE_SIZE,
  HLL_HDR_SIZE,
  HLL_INVALID,
  HLL_REGISTERS,
  HLL_SPARSE,
  HLL_WRONGTYPE,
  hllAdd,
  hllBytes,
  hllCount,
  hllMerge,
  hllString,
  type HllString,
  invalidateCache,
  isHll,
  rawCount,
  sparseSet,
  sparseToDense,
  validCache,
} from './hll-repr.js';
import { getForRead, lookupStringOrReply } from './strings.js';
import { command, keyAt } from './table.js';

/** A cardinality as PFCOUNT replies it: Redis's `addReplyLongLong` of the unsigned value. */
function cardReply(card: bigint): number | bigint {
  const n = BigInt.asIntN(64, card);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** Whether the string at `slot` is a HyperLogLog; replies the HLL WRONGTYPE error when not. */
function hllOrReply(c: CommandContext, slot: number): boolean {
  if (isHll(c.db.value(slot))) return true;
  c.reply.error(HLL_WRONGTYPE);
  return false;
}

/** Sparse growth bound: `hll-sparse-max-bytes`. */
function maxBytes(c: CommandContext): number {
  return c.server.config.get('hll-sparse-max-bytes');
}

/**
 * Stores `o` at `key` (slot `slot`, -1 when new), keeping its TTL, and logs
 * `SET key <bytes> KEEPTTL`.
 */
function storeHll(c: CommandContext, key: Buffer, slot: number, o: HllString): void {
  const db = c.db;
  const bytes = Buffer.from(hllBytes(o));
  db.setString(key, bytes, slot >= 0 ? db.expireAt(slot) : 0, slot);
  c.server.propagate(c.dbIndex, ['SET', key, bytes, 'KEEPTTL']);
}

/** PFADD on a dense HLL at `slot`, in place; logged as sent. */
function pfaddDense(c: CommandContext, argv: Buffer[], slot: number): void {
  const db = c.db;
  let v = db.value(slot);
  let writable = false;
  let updated = 0;
  for (let j = 2; j < argv.length; j++) {
    const reg = elementRegister(argv[j]!);
    if (reg.count <= denseGet(v, HLL_HDR_SIZE, reg.index)) continue;
    if (!writable) {
      v = db.resizeString(slot, v.length);
      writable = true;
    }
    denseSetReg(v, HLL_HDR_SIZE, reg.index, reg.count);
    updated++;
  }
  if (updated > 0) {
    invalidateCache(v);
    c.server.propagate(c.dbIndex, ['PFADD', ...argv.slice(1)]);
    c.server.notify(NOTIFY_STRING, 'pfadd', argv[1]!, c.dbIndex);
  }
  c.reply.int(updated > 0 ? 1 : 0);
}

/** PFADD key [element ...]: 1 when the key was created or a register changed, else 0. */
function pfaddCommand(c: CommandContext, argv: Buffer[]): void {
  const db = c.db;
  const key = argv[1]!;
  const slot = lookupStringOrReply(c, db, key);
  if (slot === -2) return;
  if (slot >= 0) {
    if (!hllOrReply(c, slot)) return;
    if (db.value(slot)[4] === HLL_DENSE) return pfaddDense(c, argv, slot);
  }
  const o = slot === -1 ? createHll() : hllString(db.value(slot));
  let updated = slot === -1 ? 1 : 0;
  const max = maxBytes(c);
  for (let j = 2; j < argv.length; j++) {
    const r = hllAdd(o, argv[j]!, max);
    if (r === 1) updated++;
    else if (r === -1) {
      // Redis keeps the registers set before the damage was found, and replies the error.
      if (updated > 0) storeHll(c, key, slot, o);
      return c.reply.error(HLL_INVALID);
    }
  }
  if (updated > 0) {
    invalidateCache(o.buf);
    storeHll(c, key, slot, o);
    if (slot === -1) c.server.notify(NOTIFY_NEW, 'new', key, c.dbIndex);
    c.server.notify(NOTIFY_STRING, 'pfadd', key, c.dbIndex);
  }
  c.reply.int(updated > 0 ? 1 : 0);
}

/**
 * PFCOUNT key [key ...]: the estimate for one key, from the cache when it
 * is valid (else computed and cached); for several, the estimate of their
 * union, computed in a scratch array and written nowhere.
 */
function pfcountCommand(c: CommandContext, argv: Buffer[]): void {
  const db = c.db;
  if (argv.length > 2) {
    const max = new Uint8Array(HLL_REGISTERS);
    for (let j = 1; j < argv.length; j++) {
      const slot = getForRead(c, argv[j]!);
      if (slot === -2) return;
      if (slot === -1) continue;
      if (!hllOrReply(c, slot)) return;
      if (!hllMerge(max, db.value(slot))) return c.reply.error(HLL_INVALID);
    }
    return c.reply.int(cardReply(rawCount(max)));
  }
  const key = argv[1]!;
  const slot = getForRead(c, key);
  if (slot === -2) return;
  if (slot === -1) return c.reply.int(0);
  if (!hllOrReply(c, slot)) return;
  const v = db.value(slot);
  if (validCache(v)) return c.reply.int(cardReply(cachedCard(v)));
  const card = hllCount(v);
  if (card === null) return c.reply.error(HLL_INVALID);
  if (!c.server.replication.isReplica) {
    const bytes = cardBytes(card);
    db.resizeString(slot, v.length).set(bytes, 8);
    c.server.propagate(c.dbIndex, ['SETRANGE', key, '8', bytes]);
  }
  c.reply.int(cardReply(card));
}

/** PFMERGE destkey [sourcekey ...]: the union into destkey (created when missing; dense when any input is). */
function pfmergeCommand(c: CommandContext, argv: Buffer[]): void {
  const db = c.db;
  const max = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  for (let j = 1; j < argv.length; j++) {
    const slot = getForRead(c, argv[j]!);
    if (slot === -2) return;
    if (slot === -1) continue;
    if (!hllOrReply(c, slot)) return;
    const v = db.value(slot);
    if (v[4] === HLL_DENSE) useDense = true;
    if (!hllMerge(max, v)) return c.reply.error(HLL_INVALID);
  }
  const dest = argv[1]!;
  const slot = db.lookup(dest);
  const o = slot === -1 ? createHll() : hllString(db.value(slot));
  if (useDense && !sparseToDense(o)) return c.reply.error(HLL_INVALID);
  const limit = maxBytes(c);
  let buf = o.buf;
  let view = hllBytes(o);
  for (let j = 0; j < HLL_REGISTERS; j++) {
    if (max[j] === 0) continue;
    if (o.buf !== buf) {
      buf = o.buf;
      view = hllBytes(o);
    }
    if (buf[4] === HLL_DENSE) denseSet(view, HLL_HDR_SIZE, j, max[j]!);
    else if (buf[4] === HLL_SPARSE) sparseSet(o, j, max[j]!, limit);
  }
  invalidateCache(o.buf);
  if (slot >= 0 && db.value(slot).equals(hllBytes(o))) c.server.signalModifiedKey(c.dbIndex, dest);
  else storeHll(c, dest, slot, o);
  if (slot === -1) c.server.notify(NOTIFY_NEW, 'new', dest, c.dbIndex);
  c.server.notify(NOTIFY_STRING, 'pfadd', dest, c.dbIndex);
  c.reply.ok();
}

/** Converts the sparse HLL at `slot` to dense and stores it; false after replying INVALIDOBJ. */
function toDenseOrReply(c: CommandContext, key: Buffer, slot: number): boolean {
  const o = hllString(c.db.value(slot));
  if (!sparseToDense(o)) {
    c.reply.error(HLL_INVALID);
    return false;
  }
  storeHll(c, key, slot, o);
  return true;
}

/** PFDEBUG GETREG | DECODE | ENCODING | TODENSE key (hyperloglog.c `pfdebugCommand`). */
function pfdebugCommand(c: CommandContext, argv: Buffer[]): void {
  const db = c.db;
  const key = argv[2]!;
  let slot = lookupStringOrReply(c, db, key);
  if (slot === -2) return;
  if (slot === -1) return c.reply.error('ERR The specified key does not exist');
  if (!hllOrReply(c, slot)) return;
  const sub = argv[1]!.toString('latin1');
  const sparse = db.value(slot)[4] === HLL_SPARSE;
  switch (sub.toLowerCase()) {
    case 'getreg': {
      if (sparse) {
        if (!toDenseOrReply(c, key, slot)) return;
        slot = db.findSlot(key);
      }
      const v = db.value(slot);
      c.reply.arrayLen(HLL_REGISTERS);
      for (let j = 0; j < HLL_REGISTERS; j++) c.reply.int(denseGet(v, HLL_HDR_SIZE, j));
      return;
    }
    case 'decode':
      if (!sparse) return c.reply.error('ERR HLL encoding is not sparse');
      return c.reply.bulkString(decodeSparse(db.value(slot)));
    case 'encoding':
      return c.reply.simple(sparse ? 'sparse' : 'dense');
    case 'todense':
      if (sparse && !toDenseOrReply(c, key, slot)) return;
      return c.reply.int(sparse ? 1 : 0);
    default:
      return c.reply.error(`ERR Unknown PFDEBUG subcommand '${sub.replace(/[\r\n]/g, ' ')}'`);
  }
}

/** Test 1 of PFSELFTEST: random values into every dense register read back unchanged, 1000 times. */
function registerTest(): string | null {
  const hll = new Uint8Array(HLL_DENSE_SIZE);
  const bytes = new Uint8Array(HLL_REGISTERS);
  for (let j = 0; j < 1000; j++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = (Math.random() * 64) | 0;
      bytes[i] = r;
      denseSetReg(hll, HLL_HDR_SIZE, i, r);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = denseGet(hll, HLL_HDR_SIZE, i);
      if (v !== bytes[i]) return `TESTFAILED Register ${i} should be ${bytes[i]} but is ${v}`;
    }
  }
  return null;
}

/**
 * Test 2 of PFSELFTEST: 10 million distinct 8-byte elements into a dense and
 * a sparse HLL, checked at every power of ten (sparse while small, both
 * estimates equal, error within 6 standard errors).
 */
function estimateTest(sparseMax: number): string | null {
  const dense = hllString(Buffer.alloc(HLL_DENSE_SIZE));
  dense.buf.write('HYLL', 0, 'latin1');
  const o = createHll();
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  const seedLo = (Math.random() * 2 ** 32) >>> 0;
  const seedHi = (Math.random() * 2 ** 32) >>> 0;
  const ele = Buffer.alloc(8);
  ele.writeUInt32LE(seedHi, 4);
  let checkpoint = 1;
  for (let j = 1; j <= 10_000_000; j++) {
    ele.writeUInt32LE((j ^ seedLo) >>> 0, 0);
    hllAdd(dense, ele, sparseMax);
    hllAdd(o, ele, sparseMax);
    if (j !== checkpoint) continue;
    if (j < sparseMax / 2 && o.buf[4] !== HLL_SPARSE) return 'TESTFAILED sparse encoding not used';
    const card = hllCount(hllBytes(dense))!;
    if (card !== hllCount(hllBytes(o))) return 'TESTFAILED dense/sparse disagree';
    const abserr = Math.abs(checkpoint - Number(card));
    const maxerr = j === 10 ? 1 : Math.ceil(relerr * 6 * checkpoint);
    if (abserr > maxerr) return `TESTFAILED Too big error. card:${checkpoint} abserr:${abserr}`;
    checkpoint *= 10;
  }
  return null;
}

/** PFSELFTEST: the register and estimator self-tests of hyperloglog.c `pfselftestCommand` (seconds of CPU). */
function pfselftestCommand(c: CommandContext): void {
  const failed = registerTest() ?? estimateTest(maxBytes(c));
  if (failed !== null) return c.reply.error(failed);
  c.reply.ok();
}

const PFCOUNT_KEYS: KeySpec = {
  ...keyAt(1, ['RW', 'access'], -1),
  notes: 'RW because it may change the internal representation of the key, and propagate to replicas',
};

/** The HyperLogLog family's table entries. */
export const hyperloglogCommands: CommandSpec[] = [
  command({
    name: 'pfadd',
    arity: -2,
    flags: ['write', 'denyoom', 'fast'],
    keys: [keyAt(1, ['RW', 'insert'])],
    group: 'hyperloglog',
    since: '2.8.9',
    complexity: 'O(1) to add every element.',
    summary: 'Adds the specified elements to the specified HyperLogLog.',
    handler: pfaddCommand,
  }),
  command({
    name: 'pfcount',
    arity: -2,
    flags: ['readonly', 'may_replicate'],
    keys: [PFCOUNT_KEYS],
    group: 'hyperloglog',
    since: '2.8.9',
    complexity:
      'O(1) with a very small average constant time when called with a single key. O(N) with N being the number ' +
      'of keys, and much bigger constant times, when called with multiple keys.',
    summary: 'Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).',
    handler: pfcountCommand,
  }),
  command({
    name: 'pfmerge',
    arity: -2,
    flags: ['write', 'denyoom'],
    keys: [keyAt(1, ['RW', 'access', 'insert']), keyAt(2, ['RO', 'access'], -1)],
    group: 'hyperloglog',
    since: '2.8.9',
    complexity: 'O(N) to merge N HyperLogLogs, but with high constant times.',
    summary: 'Merge N different HyperLogLogs into a single one.',
    handler: pfmergeCommand,
  }),
  command({
    name: 'pfdebug',
    arity: 3,
    flags: ['write', 'denyoom', 'admin'],
    keys: [keyAt(2, ['RW', 'access'])],
    group: 'hyperloglog',
    since: '2.8.9',
    complexity: 'N/A',
    summary: 'Internal commands for debugging HyperLogLog values',
    handler: pfdebugCommand,
  }),
  command({
    name: 'pfselftest',
    arity: 1,
    flags: ['admin'],
    group: 'hyperloglog',
    since: '2.8.9',
    complexity: 'N/A',
    summary: 'An internal command for testing HyperLogLog values',
    handler: pfselftestCommand,
  }),
];
