/**
 * Streams in RDB (src/rdb.c, RDB_TYPE_STREAM_LISTPACKS 15 / _2 19 / _3 21;
 * src/t_stream.c streamValidateListpackIntegrity; src/stream.h).
 *
 * Layout: node count; per node a 16-byte key (master ID, ms and seq
 * big-endian) and a listpack: `count deleted nfields field... 0` then per
 * entry `flags ms-diff seq-diff` and either the values (flag SAMEFIELDS = 2)
 * or `n field value...`, then the entry's element count; flag DELETED = 1.
 * Then length, last ID, (19+) first ID, max deleted ID, entries added;
 * groups: name, last ID, (19+) entries read, PEL (16-byte ID, delivery ms
 * LE, delivery count), consumers: name, seen ms, (21) active ms, PEL IDs.
 */
import { canonicalInt, listpack, listpackEntries } from './encodings.js';
import {
  RDB_TYPE_STREAM_LISTPACKS,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STREAM_LISTPACKS_3,
  type RdbByteReader,
} from './reader.js';
import type { RdbByteWriter } from './writer.js';
import { RdbError, type RdbStream, type RdbStreamGroup, type RdbStreamId } from './types.js';

const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;
const U64 = (1n << 64n) - 1n;

function cmpId(a: RdbStreamId, b: RdbStreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  return a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0;
}

function idKey(buf: Buffer): RdbStreamId {
  return { ms: buf.readBigUInt64BE(0), seq: buf.readBigUInt64BE(8) };
}

function rawId(r: RdbByteReader): { key: string; id: RdbStreamId } {
  r.need(16);
  const b = r.buf.subarray(r.pos, r.pos + 16);
  r.pos += 16;
  return { key: b.toString('latin1'), id: idKey(b) };
}

function int(s: string | undefined, at: number, what: string): bigint {
  // lpGetIntegerIfValid: an integer entry, or a string string2ll takes (canonical, in the int64 range).
  const v = s === undefined ? null : canonicalInt(s);
  if (v === null) throw new RdbError(`stream listpack: bad ${what}`, at);
  return BigInt(v);
}

/** Decodes one node's listpack into `out`, returning the count of live entries. */
function decodeNode(master: RdbStreamId, lp: Buffer, at: number, out: RdbStream['entries']): void {
  const e = listpackEntries(lp, at, { checkCount: false });
  const bad = (m: string): never => {
    throw new RdbError(`stream listpack: ${m}`, at);
  };
  if (e.length === 0) bad('empty listpack inside stream');
  let i = 0;
  const next = (): string => {
    if (i >= e.length) bad('truncated entry');
    return e[i++]!;
  };
  const count = Number(int(next(), at, 'count'));
  const deleted = Number(int(next(), at, 'deleted count'));
  const nMaster = Number(int(next(), at, 'master field count'));
  if (nMaster < 0 || nMaster > e.length) bad('bad master field count');
  const masterFields: string[] = [];
  for (let k = 0; k < nMaster; k++) masterFields.push(next());
  if (next() !== '0') bad('master entry not terminated by 0');
  let live = 0;
  let dead = 0;
  while (i < e.length) {
    const start = i;
    const flags = Number(int(next(), at, 'flags'));
    const ms = BigInt.asUintN(64, master.ms + int(next(), at, 'ms diff'));
    const seq = BigInt.asUintN(64, master.seq + int(next(), at, 'seq diff'));
    const fields: string[] = [];
    if (flags & FLAG_SAMEFIELDS) {
      for (let k = 0; k < nMaster; k++) fields.push(masterFields[k]!, next());
    } else {
      const n = Number(int(next(), at, 'field count'));
      if (n < 0 || n * 2 > e.length - i) bad('bad field count');
      for (let k = 0; k < n * 2; k++) fields.push(next());
    }
    const lpCount = Number(int(next(), at, 'entry element count'));
    if (lpCount !== i - start - 1) bad(`entry element count ${lpCount} does not match ${i - start - 1}`);
    if (flags & FLAG_DELETED) {
      dead++;
      continue;
    }
    live++;
    const id = { ms, seq };
    if (cmpId(id, master) < 0) bad('entry ID below its node master ID');
    const prev = out[out.length - 1];
    if (prev !== undefined && cmpId(prev.id, id) >= 0) bad('entry IDs not increasing');
    out.push({ id, fields });
  }
  // streamValidateListpackIntegrity checks only the sum (the flags say which entries are deleted).
  if (live + dead !== count + deleted) bad(`header says ${count} live and ${deleted} deleted entries`);
}

function readId(r: RdbByteReader): RdbStreamId {
  const ms = r.readLength64();
  const seq = r.readLength64();
  return { ms, seq };
}

/** A stream object of type 15, 19 or 21, read after its type byte. */
export function readStream(r: RdbByteReader, type: number): RdbStream {
  const entries: RdbStream['entries'] = [];
  const nodes = r.readLength();
  r.checkLength(nodes, 2, 'stream node count');
  const seen = new Set<string>();
  for (let n = 0; n < nodes; n++) {
    const at = r.offset;
    const key = r.readString();
    if (key.length !== 16) throw new RdbError('stream node key is not the size of a stream ID', at);
    if (seen.has(key.toString('latin1'))) throw new RdbError('stream listpack re-added with existing key', at);
    seen.add(key.toString('latin1'));
    const lpAt = r.offset;
    decodeNode(idKey(key), r.readString(), lpAt, entries);
  }
  const at = r.offset;
  const length = r.readLength();
  const lastId = readId(r);
  const zero = { ms: 0n, seq: 0n };
  let firstId = zero;
  let maxDeletedId = zero;
  let entriesAdded = length;
  if (type !== RDB_TYPE_STREAM_LISTPACKS) {
    firstId = readId(r);
    maxDeletedId = readId(r);
    entriesAdded = r.readLength();
  }
  if (length !== entries.length) {
    throw new RdbError(`stream length ${length} does not match its ${entries.length} entries`, at);
  }
  const groups: RdbStreamGroup[] = [];
  const nGroups = r.readLength();
  r.checkLength(nGroups, 4, 'stream group count');
  const names = new Set<string>();
  for (let g = 0; g < nGroups; g++) {
    const gAt = r.offset;
    const name = r.readLatin1();
    if (names.has(name)) throw new RdbError(`duplicated consumer group name ${name}`, gAt);
    names.add(name);
    const groupLast = readId(r);
    let entriesRead = -1;
    if (type !== RDB_TYPE_STREAM_LISTPACKS) {
      const v = r.readLength64();
      entriesRead = v === U64 ? -1 : Number(v);
    }
    const pelCount = r.readLength();
    r.checkLength(pelCount, 25, 'stream PEL size');
    const pel: RdbStreamGroup['pel'] = [];
    const pelKeys = new Map<string, boolean>();
    for (let k = 0; k < pelCount; k++) {
      const pAt = r.offset;
      const { key, id } = rawId(r);
      const deliveryTime = r.readMillisecondTime();
      const deliveryCount = r.readLength();
      if (pelKeys.has(key)) throw new RdbError('duplicated global PEL entry loading stream consumer group', pAt);
      pelKeys.set(key, false);
      pel.push({ id, deliveryTime, deliveryCount });
    }
    const nConsumers = r.readLength();
    r.checkLength(nConsumers, 10, 'stream consumer count');
    const consumers: RdbStreamGroup['consumers'] = [];
    const cnames = new Set<string>();
    for (let c = 0; c < nConsumers; c++) {
      const cAt = r.offset;
      const cname = r.readLatin1();
      if (cnames.has(cname)) throw new RdbError('duplicate stream consumer detected', cAt);
      cnames.add(cname);
      const seenTime = r.readMillisecondTime();
      const activeTime = type === RDB_TYPE_STREAM_LISTPACKS_3 ? r.readMillisecondTime() : undefined;
      const n = r.readLength();
      r.checkLength(n, 16, 'stream consumer PEL size');
      const pending: RdbStreamId[] = [];
      for (let k = 0; k < n; k++) {
        const pAt = r.offset;
        const { key, id } = rawId(r);
        const owned = pelKeys.get(key);
        if (owned === undefined) throw new RdbError('consumer entry not found in group global PEL', pAt);
        if (owned) throw new RdbError('duplicated consumer PEL entry loading a stream consumer group', pAt);
        pelKeys.set(key, true);
        pending.push(id);
      }
      consumers.push(
        activeTime === undefined ? { name: cname, seenTime, pending } : { name: cname, seenTime, activeTime, pending },
      );
    }
    for (const owned of pelKeys.values()) {
      if (!owned) throw new RdbError('stream CG PEL entry without consumer', gAt);
    }
    groups.push({ name, lastId: groupLast, entriesRead, pel, consumers });
  }
  return { kind: 'stream', entries, length, lastId, firstId, maxDeletedId, entriesAdded, groups };
}

function idBytes(id: RdbStreamId): Buffer {
  const b = Buffer.allocUnsafe(16);
  b.writeBigUInt64BE(id.ms, 0);
  b.writeBigUInt64BE(id.seq, 8);
  return b;
}

/** Entries per listpack node and bytes per node, as Redis's defaults (stream-node-max-*). */
const NODE_MAX_ENTRIES = 100;
const NODE_MAX_BYTES = 4096;

function sameNames(fields: string[], master: string[]): boolean {
  if (fields.length !== master.length * 2) return false;
  for (let k = 0; k < master.length; k++) if (fields[k * 2] !== master[k]) return false;
  return true;
}

/**
 * Writes `s` (without the type byte) as RDB_TYPE_STREAM_LISTPACKS_2 (19), or
 * as type 15 (Redis 5 to 6.2: no first/max-deleted IDs, entries added or
 * entries read) or 21 (Redis 7.2: consumers' active time, their seen time
 * when they have none).
 */
export function writeStream(w: RdbByteWriter, s: RdbStream, type = RDB_TYPE_STREAM_LISTPACKS_2): void {
  const v1 = type === RDB_TYPE_STREAM_LISTPACKS;
  const nodes: { key: Buffer; lp: Buffer }[] = [];
  let i = 0;
  while (i < s.entries.length) {
    const first = s.entries[i]!;
    const master: string[] = [];
    for (let k = 0; k < first.fields.length; k += 2) master.push(first.fields[k]!);
    const body: string[] = [];
    let count = 0;
    let bytes = 0;
    while (i < s.entries.length && count < NODE_MAX_ENTRIES && (count === 0 || bytes < NODE_MAX_BYTES)) {
      const e = s.entries[i]!;
      const start = body.length;
      const same = sameNames(e.fields, master);
      body.push(String(same ? FLAG_SAMEFIELDS : 0), String(e.id.ms - first.id.ms), String(e.id.seq - first.id.seq));
      if (same) {
        for (let k = 1; k < e.fields.length; k += 2) body.push(e.fields[k]!);
      } else {
        body.push(String(e.fields.length / 2), ...e.fields);
      }
      body.push(String(body.length - start));
      for (const f of e.fields) bytes += f.length + 2;
      count++;
      i++;
    }
    const lp = listpack([String(count), '0', String(master.length), ...master, '0', ...body]);
    nodes.push({ key: idBytes(first.id), lp });
  }
  w.length(nodes.length);
  for (const n of nodes) {
    w.string(n.key);
    w.string(n.lp);
  }
  w.length(s.entries.length);
  const ids = [s.lastId, s.firstId, s.maxDeletedId];
  w.length(ids[0]!.ms);
  w.length(ids[0]!.seq);
  if (!v1) {
    w.length(ids[1]!.ms);
    w.length(ids[1]!.seq);
    w.length(ids[2]!.ms);
    w.length(ids[2]!.seq);
    w.length(s.entriesAdded);
  }
  w.length(s.groups.length);
  for (const g of s.groups) {
    w.string(g.name);
    w.length(g.lastId.ms);
    w.length(g.lastId.seq);
    if (!v1) w.length(g.entriesRead < 0 ? U64 : g.entriesRead);
    w.length(g.pel.length);
    for (const p of g.pel) {
      w.bytes(idBytes(p.id));
      w.millisecondTime(p.deliveryTime);
      w.length(p.deliveryCount);
    }
    w.length(g.consumers.length);
    for (const c of g.consumers) {
      w.string(c.name);
      w.millisecondTime(c.seenTime);
      if (type === RDB_TYPE_STREAM_LISTPACKS_3) w.millisecondTime(c.activeTime ?? c.seenTime);
      w.length(c.pending.length);
      for (const id of c.pending) w.bytes(idBytes(id));
    }
  }
}
