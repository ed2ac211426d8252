/**
 * RDB objects (src/rdb.c rdbLoadObject / rdbSaveObject) and DUMP payloads
 * (src/cluster.c createDumpPayload / verifyDumpPayload).
 *
 * Reads every type Redis 7.0 loads plus Redis 7.2's SET_LISTPACK (20) and
 * STREAM_LISTPACKS_3 (21); writes forms Redis 7.0 and 7.2 both load (RDB
 * version 10; Redis 6.2 refuses version 10 whatever the types): STRING
 * (int/LZF encodings), LIST_QUICKLIST_2 with packed listpack nodes, SET,
 * ZSET_2, HASH and STREAM_LISTPACKS_2.
 *
 * A DUMP payload is `type byte, object body, RDB version (2 bytes LE), CRC-64
 * of everything before it (8 bytes LE)`.
 */
import { Crc64 } from './crc64.js';
import { intsetMembers, listpack, listpackEntries, ziplistEntries, zipmapPairs } from './encodings.js';
import {
  parseScoreText,
  QUICKLIST_NODE_CONTAINER_PACKED,
  QUICKLIST_NODE_CONTAINER_PLAIN,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_HASH_ZIPLIST,
  RDB_TYPE_HASH_ZIPMAP,
  RDB_TYPE_LIST,
  RDB_TYPE_LIST_QUICKLIST,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_LIST_ZIPLIST,
  RDB_TYPE_MODULE,
  RDB_TYPE_MODULE_2,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_SET_LISTPACK,
  RDB_TYPE_STREAM_LISTPACKS,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STREAM_LISTPACKS_3,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
  RDB_TYPE_ZSET_ZIPLIST,
  RDB_MAX_READ_VERSION,
  RDB_VERSION,
  RdbByteReader,
} from './reader.js';
import { readStream, writeStream } from './stream.js';
import { RdbError, type RdbHash, type RdbObject, type RdbZSet } from './types.js';
import { RdbByteWriter } from './writer.js';

export * from './reader.js';

function dupCheck(items: string[], step: number, what: string, at: number): void {
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i += step) {
    const s = items[i]!;
    if (seen.has(s)) throw new RdbError(`Duplicate ${what} detected`, at);
    seen.add(s);
  }
}

function pairsToHash(flat: string[], at: number): RdbHash {
  if (flat.length % 2 !== 0) throw new RdbError('hash with an odd number of elements', at);
  dupCheck(flat, 2, 'hash fields', at);
  const fields: string[] = new Array(flat.length / 2);
  const values: string[] = new Array(flat.length / 2);
  for (let i = 0; i < fields.length; i++) {
    fields[i] = flat[2 * i]!;
    values[i] = flat[2 * i + 1]!;
  }
  return { kind: 'hash', fields, values };
}

function pairsToZset(flat: string[], at: number): RdbZSet {
  if (flat.length % 2 !== 0) throw new RdbError('sorted set with an odd number of elements', at);
  dupCheck(flat, 2, 'zset fields', at);
  const members: string[] = new Array(flat.length / 2);
  const scores: number[] = new Array(flat.length / 2);
  for (let i = 0; i < members.length; i++) {
    members[i] = flat[2 * i]!;
    const v = parseScoreText(flat[2 * i + 1]!);
    if (Number.isNaN(v)) throw new RdbError('Zset with NAN score detected', at);
    scores[i] = v;
  }
  return { kind: 'zset', members, scores };
}

/** An RdbByteReader that also reads whole objects. */
export class RdbReader extends RdbByteReader {
  /** The RDB version of the data: types 20 and 21 exist from version 11 (Redis 7.2) on. */
  rdbVersion = RDB_MAX_READ_VERSION;

  /**
   * The object of RDB type `type` (the type byte already read). Collections
   * may come back empty (Redis skips such keys when loading a file and
   * rejects them in RESTORE; see isEmptyObject). Throws RdbError on
   * anything malformed, on module types and on unknown types.
   */
  readObject(type: number): RdbObject {
    const at = this.offset;
    if ((type === RDB_TYPE_SET_LISTPACK || type === RDB_TYPE_STREAM_LISTPACKS_3) && this.rdbVersion < 11) {
      throw new RdbError(`unknown RDB object type ${type}`, at);
    }
    switch (type) {
      case RDB_TYPE_STRING:
        return { kind: 'string', value: this.readString() };
      case RDB_TYPE_LIST: {
        const n = this.readLength();
        this.checkLength(n, 1, 'list length');
        const items: string[] = [];
        for (let i = 0; i < n; i++) items.push(this.readLatin1());
        return { kind: 'list', items };
      }
      case RDB_TYPE_LIST_ZIPLIST:
        return { kind: 'list', items: ziplistEntries(this.readString(), this.offset) };
      case RDB_TYPE_LIST_QUICKLIST:
      case RDB_TYPE_LIST_QUICKLIST_2: {
        const n = this.readLength();
        this.checkLength(n, 2, 'quicklist node count');
        const items: string[] = [];
        for (let i = 0; i < n; i++) {
          let container = QUICKLIST_NODE_CONTAINER_PACKED;
          if (type === RDB_TYPE_LIST_QUICKLIST_2) {
            const cAt = this.offset;
            container = this.readLength();
            if (container !== QUICKLIST_NODE_CONTAINER_PACKED && container !== QUICKLIST_NODE_CONTAINER_PLAIN) {
              throw new RdbError(`quicklist integrity check failed: container ${container}`, cAt);
            }
          }
          const bAt = this.offset;
          const blob = this.readString();
          if (blob.length === 0) throw new RdbError('empty quicklist node', bAt);
          if (container === QUICKLIST_NODE_CONTAINER_PLAIN) {
            items.push(blob.toString('latin1'));
            continue;
          }
          const entries = type === RDB_TYPE_LIST_QUICKLIST ? ziplistEntries(blob, bAt) : listpackEntries(blob, bAt);
          for (const e of entries) items.push(e);
        }
        return { kind: 'list', items };
      }
      case RDB_TYPE_SET: {
        const n = this.readLength();
        this.checkLength(n, 1, 'set size');
        const members: string[] = [];
        const seen = new Set<string>();
        for (let i = 0; i < n; i++) {
          const m = this.readLatin1();
          if (seen.has(m)) throw new RdbError('Duplicate set members detected', this.offset);
          seen.add(m);
          members.push(m);
        }
        return { kind: 'set', members };
      }
      case RDB_TYPE_SET_INTSET: {
        const bAt = this.offset;
        return { kind: 'set', members: intsetMembers(this.readString(), bAt) };
      }
      case RDB_TYPE_SET_LISTPACK: {
        const bAt = this.offset;
        const members = listpackEntries(this.readString(), bAt);
        dupCheck(members, 1, 'set members', bAt);
        return { kind: 'set', members };
      }
      case RDB_TYPE_ZSET:
      case RDB_TYPE_ZSET_2: {
        const n = this.readLength();
        this.checkLength(n, 2, 'sorted set size');
        const members: string[] = [];
        const scores: number[] = [];
        const seen = new Set<string>();
        for (let i = 0; i < n; i++) {
          const m = this.readLatin1();
          const s = type === RDB_TYPE_ZSET_2 ? this.readBinaryDouble() : this.readStringDouble();
          if (Number.isNaN(s)) throw new RdbError('Zset with NAN score detected', this.offset);
          if (seen.has(m)) throw new RdbError('Duplicate zset fields detected', this.offset);
          seen.add(m);
          members.push(m);
          scores.push(s);
        }
        return { kind: 'zset', members, scores };
      }
      case RDB_TYPE_ZSET_ZIPLIST: {
        const bAt = this.offset;
        return pairsToZset(ziplistEntries(this.readString(), bAt), bAt);
      }
      case RDB_TYPE_ZSET_LISTPACK: {
        const bAt = this.offset;
        return pairsToZset(listpackEntries(this.readString(), bAt), bAt);
      }
      case RDB_TYPE_HASH: {
        const n = this.readLength();
        this.checkLength(n, 2, 'hash size');
        const fields: string[] = [];
        const values: string[] = [];
        const seen = new Set<string>();
        for (let i = 0; i < n; i++) {
          const f = this.readLatin1();
          const v = this.readLatin1();
          if (seen.has(f)) throw new RdbError('Duplicate hash fields detected', this.offset);
          seen.add(f);
          fields.push(f);
          values.push(v);
        }
        return { kind: 'hash', fields, values };
      }
      case RDB_TYPE_HASH_ZIPMAP: {
        const bAt = this.offset;
        return pairsToHash(zipmapPairs(this.readString(), bAt), bAt);
      }
      case RDB_TYPE_HASH_ZIPLIST: {
        const bAt = this.offset;
        return pairsToHash(ziplistEntries(this.readString(), bAt), bAt);
      }
      case RDB_TYPE_HASH_LISTPACK: {
        const bAt = this.offset;
        return pairsToHash(listpackEntries(this.readString(), bAt), bAt);
      }
      case RDB_TYPE_STREAM_LISTPACKS:
      case RDB_TYPE_STREAM_LISTPACKS_2:
      case RDB_TYPE_STREAM_LISTPACKS_3:
        return readStream(this, type);
      case RDB_TYPE_MODULE:
      case RDB_TYPE_MODULE_2:
        throw new RdbError(`unsupported RDB object type ${type} (module value)`, at);
      default:
        throw new RdbError(`unknown RDB object type ${type}`, at);
    }
  }
}

/** Whether `obj` is a collection with no elements (a key Redis does not load). */
export function isEmptyObject(obj: RdbObject): boolean {
  switch (obj.kind) {
    case 'string':
    case 'stream':
      return false;
    case 'list':
      return obj.items.length === 0;
    case 'set':
      return obj.members.length === 0;
    case 'zset':
      return obj.members.length === 0;
    case 'hash':
      return obj.fields.length === 0;
  }
}

/**
 * List elements per packed quicklist node, and bytes per node (list-max-listpack-size -2 is 8 KiB). A list
 * element (a JS string, under 2^29 characters) never reaches quicklist.c's 1 GiB packed_threshold, so every
 * node is packed.
 */
const NODE_MAX_ENTRIES = 128;
const NODE_MAX_BYTES = 8192;

/** Writes `obj`'s body (no type byte) into `w` and returns its RDB type. */
export function writeObject(w: RdbByteWriter, obj: RdbObject): number {
  switch (obj.kind) {
    case 'string':
      w.string(obj.value);
      return RDB_TYPE_STRING;
    case 'list': {
      const nodes: Buffer[] = [];
      let i = 0;
      const items = obj.items;
      while (i < items.length) {
        const start = i;
        let bytes = 0;
        while (i < items.length && i - start < NODE_MAX_ENTRIES && (i === start || bytes < NODE_MAX_BYTES)) {
          bytes += items[i]!.length + 2;
          i++;
        }
        nodes.push(listpack(items.slice(start, i)));
      }
      w.length(nodes.length);
      for (const lp of nodes) {
        w.length(QUICKLIST_NODE_CONTAINER_PACKED);
        w.string(lp);
      }
      return RDB_TYPE_LIST_QUICKLIST_2;
    }
    case 'set':
      w.length(obj.members.length);
      for (const m of obj.members) w.string(m);
      return RDB_TYPE_SET;
    case 'zset':
      w.length(obj.members.length);
      for (let i = 0; i < obj.members.length; i++) {
        w.string(obj.members[i]!);
        w.binaryDouble(obj.scores[i]!);
      }
      return RDB_TYPE_ZSET_2;
    case 'hash':
      w.length(obj.fields.length);
      for (let i = 0; i < obj.fields.length; i++) {
        w.string(obj.fields[i]!);
        w.string(obj.values[i]!);
      }
      return RDB_TYPE_HASH;
    case 'stream':
      writeStream(w, obj);
      return RDB_TYPE_STREAM_LISTPACKS_2;
  }
}

/**
 * `obj` in the plain RDB forms Redis 7.0 and 7.2 load: its type and its
 * body (without the type byte).
 */
export function encodeObject(obj: RdbObject): { type: number; body: Buffer } {
  const w = new RdbByteWriter();
  const type = writeObject(w, obj);
  return { type, body: Buffer.from(w.view()) };
}

/** A DUMP payload for `obj` as cluster.c createDumpPayload builds it (RDB version 10). */
export function createDumpPayload(obj: RdbObject): Buffer {
  const w = new RdbByteWriter();
  w.byte(0);
  const type = writeObject(w, obj);
  w.buf[0] = type;
  w.ensure(10);
  w.len = w.buf.writeUInt16LE(RDB_VERSION, w.len);
  const crc = new Crc64().update(w.view()).digest();
  w.bytes(crc);
  return Buffer.from(w.view());
}

/**
 * Whether `payload` passes cluster.c verifyDumpPayload: at least 10 bytes,
 * an RDB version of at most RDB_VERSION (10) in its footer, and a matching
 * CRC-64 (`skipChecksum` skips the CRC test).
 */
export function verifyDumpPayload(payload: Uint8Array, opts: { skipChecksum?: boolean } = {}): boolean {
  if (payload.length < 10) return false;
  const footer = payload.length - 10;
  const version = payload[footer]! | (payload[footer + 1]! << 8);
  if (version > RDB_VERSION) return false;
  if (opts.skipChecksum) return true;
  const crc = new Crc64().update(payload.subarray(0, payload.length - 8)).digest();
  return Buffer.compare(crc, payload.subarray(payload.length - 8)) === 0;
}

/**
 * The object in a DUMP payload. Throws RdbError when verifyDumpPayload
 * fails ("DUMP payload version or checksum are wrong"), when the object is
 * malformed or empty, or when it does not end exactly at the footer.
 * `skipChecksum` skips the CRC test (for tests that mutate payloads).
 */
export function parseDumpPayload(payload: Buffer, opts: { skipChecksum?: boolean } = {}): RdbObject {
  if (!verifyDumpPayload(payload, opts)) {
    throw new RdbError('DUMP payload version or checksum are wrong', Math.max(0, payload.length - 10));
  }
  const body = payload.subarray(0, payload.length - 10);
  const r = new RdbReader(body);
  r.rdbVersion = payload[payload.length - 10]! | (payload[payload.length - 9]! << 8);
  const type = r.readByte();
  const obj = r.readObject(type);
  if (r.pos !== body.length) {
    throw new RdbError(`object ends ${body.length - r.pos} bytes before the payload footer`, r.pos);
  }
  if (isEmptyObject(obj)) throw new RdbError('empty key', r.pos);
  return obj;
}
