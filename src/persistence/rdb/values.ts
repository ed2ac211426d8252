/**
 * Between RDB objects (./types.ts) and FlashCache's values: a string's bytes
 * or a collection (src/store/collections.ts). DUMP, MIGRATE and
 * `cache-dump export --format rdb` go one way; RESTORE and `import-rdb` the
 * other. Encodings follow from the values as they do for any write here
 * (a small hash is a listpack, a large one a hashtable), whatever encoding
 * the RDB object had, as Redis converts on load.
 */
import { type Collection, HashValue, ListValue, SetValue, StreamValue, ZSetValue } from '../../store/collections.js';
import { INVALID_ENTRIES_READ, newConsumer, newGroup, type StreamNack } from '../../store/stream-groups.js';
import { idMs, idSeq, makeId, MAX_ID } from '../../store/stream-value.js';
import { RdbError, type RdbObject, type RdbStream, type RdbStreamId } from './types.js';

/** A key's value as FlashCache keeps it: a string's bytes, or a collection. */
export type StoredValue = Buffer | Collection;

/** Stream node limits for streams built from RDB objects (`stream-node-max-entries` / `-bytes`). */
export interface StreamLimits {
  maxEntries: number;
  maxBytes: number;
}

const id = (x: bigint): RdbStreamId => ({ ms: idMs(x), seq: idSeq(x) });
const big = (x: RdbStreamId): bigint => makeId(x.ms, x.seq);

/** The RDB object of a stored value. */
export function toRdbObject(v: StoredValue): RdbObject {
  if (Buffer.isBuffer(v)) return { kind: 'string', value: v };
  if (v instanceof ListValue) {
    const items = new Array<string>(v.size);
    for (let i = 0; i < items.length; i++) items[i] = v.at(i);
    return { kind: 'list', items };
  }
  if (v instanceof SetValue) return { kind: 'set', members: [...v.members] };
  if (v instanceof HashValue) return { kind: 'hash', fields: [...v.fields], values: [...v.values] };
  if (v instanceof ZSetValue) {
    const members: string[] = [];
    const scores: number[] = [];
    for (let n = v.list.first; n !== null; n = n.next[0] ?? null) {
      members.push(n.member);
      scores.push(n.score);
    }
    return { kind: 'zset', members, scores };
  }
  if (v instanceof StreamValue) return streamObject(v);
  throw new TypeError(`no RDB form for ${v.constructor.name}`);
}

function streamObject(s: StreamValue): RdbStream {
  const entries: { id: RdbStreamId; fields: string[] }[] = [];
  s.forRange(0n, MAX_ID, false, (eid, fv) => {
    entries.push({ id: id(eid), fields: fv });
    return true;
  });
  const groups = [...s.groups].map(([name, g]) => ({
    name,
    lastId: id(g.lastId),
    entriesRead: g.entriesRead,
    pel: [...g.pel].map(([nid, n]) => ({ id: id(nid), deliveryTime: n.deliveryTime, deliveryCount: n.deliveryCount })),
    consumers: [...g.consumers.values()].map((c) => ({
      name: c.name,
      seenTime: c.seenTime,
      pending: [...c.pel.keys()].map(id),
    })),
  }));
  return {
    kind: 'stream',
    entries,
    length: s.length,
    lastId: id(s.lastId),
    firstId: id(s.firstId),
    maxDeletedId: id(s.maxDeletedId),
    entriesAdded: s.entriesAdded,
    groups,
  };
}

/**
 * The stored value of an RDB object.
 *
 * @throws RdbError (offset -1) for what Redis's loader also refuses once decoded: an empty collection,
 *   a NaN score, a stream entry ID not above the previous one, a consumer's pending ID missing from its group's PEL
 */
export function fromRdbObject(o: RdbObject, limits: StreamLimits): StoredValue {
  switch (o.kind) {
    case 'string':
      return o.value;
    case 'list': {
      if (o.items.length === 0) throw new RdbError('empty list', -1);
      const l = new ListValue();
      for (const it of o.items) l.pushRight(it);
      return l;
    }
    case 'set': {
      if (o.members.length === 0) throw new RdbError('empty set', -1);
      const s = new SetValue();
      for (const m of o.members) if (!s.add(m)) throw new RdbError('duplicate set member', -1);
      return s;
    }
    case 'hash': {
      if (o.fields.length === 0) throw new RdbError('empty hash', -1);
      const h = new HashValue();
      for (let i = 0; i < o.fields.length; i++) {
        if (!h.set(o.fields[i]!, o.values[i]!)) throw new RdbError('duplicate hash field', -1);
      }
      return h;
    }
    case 'zset': {
      if (o.members.length === 0) throw new RdbError('empty sorted set', -1);
      const z = new ZSetValue();
      for (let i = 0; i < o.members.length; i++) {
        const score = o.scores[i]!;
        if (Number.isNaN(score)) throw new RdbError('NaN score', -1);
        if (!z.set(o.members[i]!, score)) throw new RdbError('duplicate sorted set member', -1);
      }
      return z;
    }
    case 'stream':
      return streamValue(o, limits);
  }
}

function streamValue(o: RdbStream, limits: StreamLimits): StreamValue {
  const s = new StreamValue();
  let prev = -1n;
  for (const e of o.entries) {
    const eid = big(e.id);
    if (eid <= prev) throw new RdbError('stream entry IDs out of order', -1);
    if (e.fields.length === 0 || e.fields.length % 2 !== 0) throw new RdbError('stream entry without fields', -1);
    prev = eid;
    s.append(eid, e.fields, limits.maxEntries, limits.maxBytes);
  }
  const lastId = big(o.lastId);
  if (prev > lastId) throw new RdbError('stream last ID below an entry ID', -1);
  s.lastId = lastId;
  s.entriesAdded = Math.max(o.entriesAdded, s.length);
  s.maxDeletedId = big(o.maxDeletedId);
  s.firstId = o.entries.length > 0 ? big(o.entries[0]!.id) : 0n;
  for (const g of o.groups) {
    if (s.groups.has(g.name)) throw new RdbError('duplicate consumer group', -1);
    const group = newGroup(big(g.lastId), g.entriesRead < 0 ? INVALID_ENTRIES_READ : g.entriesRead);
    for (const n of g.pel) {
      const nack: StreamNack = { consumer: null, deliveryTime: n.deliveryTime, deliveryCount: n.deliveryCount };
      if (group.pel.has(big(n.id))) throw new RdbError('duplicate pending entry', -1);
      group.pel.set(big(n.id), nack);
    }
    for (const c of g.consumers) {
      if (group.consumers.has(c.name)) throw new RdbError('duplicate consumer', -1);
      const consumer = newConsumer(c.name, c.seenTime);
      for (const pid of c.pending) {
        const nack = group.pel.get(big(pid));
        if (nack === undefined || nack.consumer !== null) {
          throw new RdbError("a consumer's pending entry is not in its group's PEL", -1);
        }
        nack.consumer = consumer;
        consumer.pel.set(big(pid), nack);
      }
      group.consumers.set(c.name, consumer);
    }
    s.groups.set(g.name, group);
  }
  return s;
}
