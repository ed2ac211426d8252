/**
 * Helpers for the RDB codec tests: reading a key's value from a real
 * redis-server in the shape of an RdbObject, and normalising both sides
 * (sets and hashes sorted, sorted sets in score order) so they compare.
 */
import type { Redis } from 'ioredis';
import { RdbReader } from '../../src/persistence/rdb/object.js';
import { parseDouble } from '../../src/persistence/rdb/reader.js';
import type { RdbObject, RdbStream, RdbStreamId } from '../../src/persistence/rdb/types.js';

const l1 = (b: Buffer): string => b.toString('latin1');
const idText = (id: RdbStreamId): string => `${id.ms}-${id.seq}`;

/** A comparable form of `obj`. */
export function normalize(obj: RdbObject): unknown {
  switch (obj.kind) {
    case 'string':
      return { kind: 'string', value: l1(obj.value) };
    case 'list':
      return obj;
    case 'set':
      return { kind: 'set', members: [...obj.members].sort() };
    case 'zset': {
      const pairs = obj.members.map((m, i) => [m, obj.scores[i]!] as const);
      pairs.sort((a, b) => (a[1] !== b[1] ? a[1] - b[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      return { kind: 'zset', pairs: pairs.map(([m, s]) => [m, Object.is(s, -0) ? 0 : s]) };
    }
    case 'hash': {
      const pairs = obj.fields.map((f, i) => [f, obj.values[i]!]);
      pairs.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
      return { kind: 'hash', pairs };
    }
    case 'stream':
      return normalizeStream(obj);
  }
}

function normalizeStream(s: RdbStream): unknown {
  return {
    kind: 'stream',
    length: s.length,
    lastId: idText(s.lastId),
    maxDeletedId: idText(s.maxDeletedId),
    entriesAdded: s.entriesAdded,
    firstId: idText(s.firstId),
    entries: s.entries.map((e) => [idText(e.id), e.fields]),
    groups: s.groups.map((g) => {
      const owner = new Map<string, string>();
      for (const c of g.consumers) for (const id of c.pending) owner.set(idText(id), c.name);
      const nack = new Map(g.pel.map((p) => [idText(p.id), p]));
      return {
        name: g.name,
        lastId: idText(g.lastId),
        entriesRead: g.entriesRead < 0 ? null : g.entriesRead,
        pel: g.pel.map((p) => [idText(p.id), owner.get(idText(p.id)), p.deliveryTime, p.deliveryCount]),
        consumers: g.consumers.map((c) => ({
          name: c.name,
          seenTime: c.seenTime,
          pending: c.pending.map((id) => [
            idText(id),
            nack.get(idText(id))!.deliveryTime,
            nack.get(idText(id))!.deliveryCount,
          ]),
        })),
      };
    }),
  };
}

function record(flat: unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < flat.length; i += 2) o[String(flat[i])] = flat[i + 1];
  return o;
}

async function streamFromRedis(c: Redis, key: string | Buffer): Promise<unknown> {
  const text = (v: unknown): unknown =>
    Buffer.isBuffer(v) ? v.toString('latin1') : Array.isArray(v) ? v.map(text) : v;
  const full = record(text(await c.callBuffer('XINFO', 'STREAM', key, 'FULL', 'COUNT', '0')) as unknown[]);
  const entries = (full.entries as [string, string[]][]).map(([id, f]) => [id, f]);
  const groups = (full.groups as unknown[][]).map((gf) => {
    const g = record(gf);
    return {
      name: g.name,
      lastId: g['last-delivered-id'],
      entriesRead: g['entries-read'],
      pel: (g.pending as unknown[][]).map(([id, consumer, t, n]) => [id, consumer, Number(t), Number(n)]),
      consumers: (g.consumers as unknown[][]).map((cf) => {
        const cr = record(cf);
        return {
          name: cr.name,
          seenTime: Number(cr['seen-time']),
          pending: (cr.pending as unknown[][]).map(([id, t, n]) => [id, Number(t), Number(n)]),
        };
      }),
    };
  });
  return {
    kind: 'stream',
    length: Number(full.length),
    lastId: full['last-generated-id'],
    maxDeletedId: full['max-deleted-entry-id'],
    entriesAdded: Number(full['entries-added']),
    firstId: full['recorded-first-entry-id'],
    entries,
    groups,
  };
}

/** The value at `key` (in the selected database) as redis-server returns it, normalised. */
export async function redisValue(c: Redis, key: string | Buffer): Promise<unknown> {
  const type = await c.type(key);
  const list = async (...args: string[]): Promise<string[]> =>
    ((await c.callBuffer(args[0]!, key, ...args.slice(1))) as Buffer[]).flat(2).map(l1);
  switch (type) {
    case 'string':
      return { kind: 'string', value: l1((await c.getBuffer(key))!) };
    case 'list':
      return { kind: 'list', items: await list('LRANGE', '0', '-1') };
    case 'set':
      return normalize({ kind: 'set', members: await list('SMEMBERS') });
    case 'zset': {
      const flat = await list('ZRANGE', '0', '-1', 'WITHSCORES');
      const members: string[] = [];
      const scores: number[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        members.push(flat[i]!);
        scores.push(parseDouble(flat[i + 1]!)!);
      }
      return normalize({ kind: 'zset', members, scores });
    }
    case 'hash': {
      const flat = await list('HGETALL');
      const fields: string[] = [];
      const values: string[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        fields.push(flat[i]!);
        values.push(flat[i + 1]!);
      }
      return normalize({ kind: 'hash', fields, values });
    }
    case 'stream':
      return streamFromRedis(c, key);
    default:
      throw new Error(`unexpected type ${type}`);
  }
}

/** Each object of an RDB file with its type, key and raw body bytes. */
export function rawObjects(file: Buffer): { type: number; key: string; body: Buffer }[] {
  const r = new RdbReader(file);
  r.pos = 9;
  const out: { type: number; key: string; body: Buffer }[] = [];
  for (;;) {
    const t = r.readByte();
    if (t === 255) return out;
    if (t === 252) r.readMillisecondTime();
    else if (t === 253) r.pos += 4;
    else if (t === 254) r.readLength();
    else if (t === 251) r.readLength() + r.readLength();
    else if (t === 250) r.readString().length + r.readString().length;
    else {
      const key = r.readLatin1();
      const start = r.pos;
      r.readObject(t);
      out.push({ type: t, key, body: file.subarray(start, r.pos) });
    }
  }
}
