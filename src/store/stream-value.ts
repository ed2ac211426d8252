/**
 * The stream type (XADD, XRANGE, XREAD, XDEL, XTRIM, XSETID, XINFO), after
 * Redis 7.0's t_stream.c: entries ordered by a 128-bit ID (milliseconds and
 * sequence, both unsigned 64-bit), kept in *nodes* as Redis keeps them in
 * listpacks under a radix tree. A node takes entries until it holds
 * `stream-node-max-entries` (100) of them, deleted ones included, or until
 * its estimated listpack bytes plus the new entry's field and value bytes
 * reach `stream-node-max-bytes` (4096), as `streamAppendItem` decides; XDEL
 * and a trim inside a node only mark entries deleted, a node goes when its
 * last live entry is deleted or a trim takes it whole. So `~` trimming
 * removes the same whole nodes Redis removes (the byte estimate follows
 * listpack.c's encodings; docs/ARCHITECTURE.md, "Streams", lists where it
 * can differ).
 *
 * An ID is one bigint: `ms << 64 | seq`, so IDs compare and increment as
 * numbers. Fields and values are latin1 strings (one character per byte).
 */
import { EntryType } from './arena.js';
import { Collection } from './collection.js';
import { encodeImage, readImage } from './collection-image.js';
import { newConsumer, newGroup, type StreamGroup } from './stream-groups.js';

/** 2^64: the sequence part's modulus. */
const SEQ = 1n << 64n;
/** The largest ID, `18446744073709551615-18446744073709551615`. */
export const MAX_ID = (SEQ << 64n) - 1n;
/** Redis's `stream-node-max-entries` default. */
export const NODE_MAX_ENTRIES = 100;
/** Redis's `stream-node-max-bytes` default. */
export const NODE_MAX_BYTES = 4096;
/** Largest stream listpack (t_stream.c `STREAM_LISTPACK_MAX_SIZE`, 1 GiB). */
const LISTPACK_MAX_SIZE = 1 << 30;
/**
 * Heap bytes an entry costs beyond its field and value bytes (the bigint,
 * its array cells and the fields array), counted in `used_memory`.
 */
const ENTRY_OVERHEAD = 96;
/** Heap bytes of a node beyond its entries. */
const NODE_OVERHEAD = 200;
/** Heap bytes of a consumer group without its PEL and consumers. */
export const GROUP_OVERHEAD = 300;
/** Heap bytes of a consumer beyond its name. */
export const CONSUMER_OVERHEAD = 150;
/** Heap bytes of a pending entry (in the group's and its consumer's PEL). */
export const NACK_OVERHEAD = 120;

/** An ID's milliseconds part. */
export function idMs(id: bigint): bigint {
  return id >> 64n;
}

/** An ID's sequence part. */
export function idSeq(id: bigint): bigint {
  return id & (SEQ - 1n);
}

/** An ID from its parts (each 0..2^64-1). */
export function makeId(ms: bigint, seq: bigint): bigint {
  return (ms << 64n) | seq;
}

/** An ID as Redis prints it: `<ms>-<seq>`. */
export function idText(id: bigint): string {
  return `${id >> 64n}-${id & (SEQ - 1n)}`;
}

/** Bytes of a listpack element's back-length for an encoding of `l` bytes (listpack.c `lpEncodeBacklen`). */
function backlen(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

/** Bytes of an integer listpack element (listpack.c `lpEncodeIntegerGetType`). */
function intElement(v: bigint): number {
  let l: number;
  if (v >= 0n && v <= 127n) l = 1;
  else if (v >= -4096n && v <= 4095n) l = 2;
  else if (v >= -32768n && v <= 32767n) l = 3;
  else if (v >= -8388608n && v <= 8388607n) l = 4;
  else if (v >= -2147483648n && v <= 2147483647n) l = 5;
  else l = 9;
  return l + backlen(l);
}

/** Bytes of a string listpack element, stored as an integer when it is one (listpack.c `lpStringToInt64`). */
function strElement(s: string): number {
  if (s.length > 0 && s.length <= 20 && /^(0|-?[1-9][0-9]*)$/.test(s)) {
    const v = BigInt(s);
    if (v >= -(1n << 63n) && v < 1n << 63n) return intElement(v);
  }
  const n = s.length;
  const l = n < 64 ? 1 + n : n < 4096 ? 2 + n : 5 + n;
  return l + backlen(l);
}

/** Bytes of a listpack's header and terminator. */
const LP_FIXED = 7;

/** One listpack node: entries in ID order, deleted ones included until the node goes. */
interface StreamNode {
  /** The node's key in the radix tree: the ID of the entry that created it. */
  readonly master: bigint;
  /** Field names of the entry that created it (the "master entry"). */
  readonly masterFields: string[];
  /** Every entry's ID, ascending. */
  readonly ids: bigint[];
  /** Every entry's field, value, field, value... */
  readonly fields: string[][];
  /** Whether each entry is marked deleted. */
  readonly deleted: boolean[];
  live: number;
  dead: number;
  /** Estimated listpack bytes of its master entry and entries, without the counts. */
  bytes: number;
}

/** The estimated listpack bytes of a node, as `lpBytes` would report them. */
function nodeBytes(n: StreamNode): number {
  return LP_FIXED + intElement(BigInt(n.live)) + intElement(BigInt(n.dead)) + n.bytes;
}

/** Estimated listpack bytes of an entry in a node with master entry `master` / `masterFields`. */
function entryBytes(master: bigint, masterFields: string[], id: bigint, fv: string[]): number {
  const same = fv.length === masterFields.length * 2 && masterFields.every((f, i) => f === fv[i * 2]);
  let b = intElement(same ? 2n : 0n);
  b += intElement(BigInt.asIntN(64, idMs(id) - idMs(master)));
  b += intElement(BigInt.asIntN(64, idSeq(id) - idSeq(master)));
  if (!same) b += intElement(BigInt(fv.length / 2));
  for (let i = same ? 1 : 0; i < fv.length; i += same ? 2 : 1) b += strElement(fv[i]!);
  return b + intElement(BigInt(fv.length / 2 + 3 + (same ? 0 : fv.length / 2 + 1)));
}

/** Estimated listpack bytes of a master entry with `fields`. */
function masterBytes(fields: string[]): number {
  let b = intElement(BigInt(fields.length)) + intElement(0n);
  for (const f of fields) b += strElement(f);
  return b;
}

/** Options of a trim (XTRIM, XADD's MAXLEN / MINID), as t_stream.c `streamAddTrimArgs`. */
export interface TrimArgs {
  strategy: 'maxlen' | 'minid';
  /** MAXLEN's count. */
  maxlen: number;
  /** MINID's ID. */
  minid: bigint;
  /** `~`: only whole nodes. */
  approx: boolean;
  /** Most entries to delete, 0 for no limit. */
  limit: number;
}

/**
 * A stream: nodes of entries in ID order, and the counters Redis 7.0 keeps:
 * the last generated ID, entries ever added, the largest deleted ID and the
 * first entry's ID.
 */
export class StreamValue extends Collection {
  readonly type = EntryType.Stream;
  /** Nodes in ID order. */
  private nodes: StreamNode[] = [];
  /** Live entries. */
  length = 0;
  /** The last ID generated or set (XSETID). */
  lastId = 0n;
  /** Entries ever added. */
  entriesAdded = 0;
  /** The largest ID deleted by XDEL (or set by XSETID ... MAXDELETEDID). */
  maxDeletedId = 0n;
  /** The first live entry's ID, 0 when empty (XINFO's `recorded-first-entry-id`). */
  firstId = 0n;
  /** Consumer groups by name (./stream-groups.ts). */
  readonly groups = new Map<string, StreamGroup>();

  get size(): number {
    return this.length;
  }

  get encoding(): string {
    return 'stream';
  }

  /** Number of nodes (XINFO's `radix-tree-keys`). */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /**
   * The ID XADD would give an entry: `*` (`given` null) the current
   * milliseconds, or the last ID's plus one sequence when the clock is not
   * ahead; `<ms>-*` (`seqGiven` false) the next sequence of that
   * millisecond; an explicit ID as given.
   *
   * @returns the ID, or null when it would not be greater than the last ID
   */
  nextId(given: bigint | null, seqGiven: boolean, nowMs: number): bigint | null {
    const last = this.lastId;
    if (given === null) {
      const ms = BigInt(nowMs);
      if (ms > idMs(last)) return makeId(ms, 0n);
      return last === MAX_ID ? null : last + 1n;
    }
    if (!seqGiven) {
      const ms = idMs(given);
      if (ms === idMs(last)) return idSeq(last) === SEQ - 1n ? null : last + 1n;
      return ms > idMs(last) ? makeId(ms, 0n) : null;
    }
    return given > last ? given : null;
  }

  /**
   * Appends an entry whose ID is greater than {@link lastId} (t_stream.c
   * `streamAppendItem`): into the last node, or a new node when that one is
   * full: `maxBytes` (`stream-node-max-bytes`; 0 or above 1 GiB: 1 GiB) or
   * `maxEntries` (`stream-node-max-entries`; 0: no limit).
   */
  append(id: bigint, fv: string[], maxEntries = NODE_MAX_ENTRIES, maxBytes = NODE_MAX_BYTES): void {
    let elemBytes = 0;
    for (const s of fv) elemBytes += s.length;
    let node = this.nodes.length > 0 ? this.nodes[this.nodes.length - 1]! : null;
    const byteLimit = maxBytes === 0 || maxBytes > LISTPACK_MAX_SIZE ? LISTPACK_MAX_SIZE : maxBytes;
    if (
      node !== null &&
      (nodeBytes(node) + elemBytes >= byteLimit || (maxEntries > 0 && node.live + node.dead >= maxEntries))
    ) {
      node = null;
    }
    let delta = ENTRY_OVERHEAD + elemBytes;
    if (node === null) {
      const masterFields: string[] = [];
      for (let i = 0; i < fv.length; i += 2) masterFields.push(fv[i]!);
      const bytes = masterBytes(masterFields);
      node = { master: id, masterFields, ids: [], fields: [], deleted: [], live: 0, dead: 0, bytes };
      this.nodes.push(node);
      delta += NODE_OVERHEAD;
    }
    node.bytes += entryBytes(node.master, node.masterFields, id, fv);
    node.ids.push(id);
    node.fields.push(fv);
    node.deleted.push(false);
    node.live++;
    this.length++;
    this.entriesAdded++;
    this.lastId = id;
    if (this.length === 1) this.firstId = id;
    this.changed(delta);
  }

  /** Index of the last node whose master ID is ≤ `id`, or -1. */
  private nodeAtOrBefore(id: bigint): number {
    let lo = 0;
    let hi = this.nodes.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.nodes[mid]!.master <= id) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Index of the first ID ≥ `id` in a node's ids (ids.length when none). */
  private static lowerBound(ids: bigint[], id: bigint): number {
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ids[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Visits the live entries with `start ≤ id ≤ end`, ascending, or
   * descending with `rev`, until `fn` returns false.
   */
  forRange(start: bigint, end: bigint, rev: boolean, fn: (id: bigint, fv: string[]) => boolean): void {
    if (start > end || this.nodes.length === 0) return;
    if (!rev) {
      let ni = Math.max(0, this.nodeAtOrBefore(start));
      let i = StreamValue.lowerBound(this.nodes[ni]!.ids, start);
      for (; ni < this.nodes.length; ni++, i = 0) {
        const n = this.nodes[ni]!;
        for (; i < n.ids.length; i++) {
          const id = n.ids[i]!;
          if (id > end) return;
          if (!n.deleted[i] && !fn(id, n.fields[i]!)) return;
        }
      }
    } else {
      let ni = this.nodeAtOrBefore(end);
      if (ni < 0) return;
      let i = StreamValue.lowerBound(this.nodes[ni]!.ids, end);
      if (i === this.nodes[ni]!.ids.length || this.nodes[ni]!.ids[i]! > end) i--;
      for (; ni >= 0; ni--, i = ni >= 0 ? this.nodes[ni]!.ids.length - 1 : 0) {
        const n = this.nodes[ni]!;
        for (; i >= 0; i--) {
          const id = n.ids[i]!;
          if (id < start) return;
          if (!n.deleted[i] && !fn(id, n.fields[i]!)) return;
        }
      }
    }
  }

  /** The fields of the live entry `id`, or null (t_stream.c `streamEntryExists`). */
  get(id: bigint): string[] | null {
    const ni = this.nodeAtOrBefore(id);
    if (ni < 0) return null;
    const n = this.nodes[ni]!;
    const i = StreamValue.lowerBound(n.ids, id);
    return i < n.ids.length && n.ids[i] === id && !n.deleted[i] ? n.fields[i]! : null;
  }

  /** Records a change of `delta` heap bytes (consumer groups) for accounting and the next snapshot. */
  grew(delta: number): void {
    this.changed(delta);
  }

  /** Every live entry in ID order: `[id, [field, value, ...]]` (cache-dump). */
  *entries(): Generator<[bigint, string[]]> {
    for (const n of this.nodes) {
      for (let i = 0; i < n.ids.length; i++) if (!n.deleted[i]) yield [n.ids[i]!, n.fields[i]!];
    }
  }

  /** The first (or with `last`, the last) live entry's ID, or null when empty (t_stream.c `streamGetEdgeID`). */
  edgeId(last: boolean): bigint | null {
    let out: bigint | null = null;
    this.forRange(0n, MAX_ID, last, (id) => {
      out = id;
      return false;
    });
    return out;
  }

  /** Marks the entry `id` deleted (XDEL); its node goes with its last live entry. Returns whether it was there. */
  delete(id: bigint): boolean {
    const ni = this.nodeAtOrBefore(id);
    if (ni < 0) return false;
    const n = this.nodes[ni]!;
    const i = StreamValue.lowerBound(n.ids, id);
    if (i === n.ids.length || n.ids[i] !== id || n.deleted[i]) return false;
    this.length--;
    if (n.live === 1) this.dropNode(ni);
    else {
      n.deleted[i] = true;
      n.live--;
      n.dead++;
      this.changed(0);
    }
    if (this.length === 0) this.firstId = 0n;
    else if (id === this.firstId) this.firstId = this.edgeId(false)!;
    return true;
  }

  private dropNode(ni: number): void {
    const n = this.nodes[ni]!;
    let delta = NODE_OVERHEAD;
    for (const fv of n.fields) {
      delta += ENTRY_OVERHEAD;
      for (const s of fv) delta += s.length;
    }
    this.nodes.splice(ni, 1);
    this.changed(-delta);
  }

  /**
   * Trims from the oldest entries (t_stream.c `streamTrim`): whole nodes
   * while they fit the strategy, then, unless `approx`, marks entries of
   * the next node deleted. Updates {@link firstId}.
   *
   * @returns the entries deleted
   */
  trim(a: TrimArgs): number {
    let deleted = 0;
    while (this.nodes.length > 0) {
      if (a.strategy === 'maxlen' && this.length <= a.maxlen) break;
      const n = this.nodes[0]!;
      if (a.limit > 0 && deleted + n.live > a.limit) break;
      const whole = a.strategy === 'maxlen' ? this.length - n.live >= a.maxlen : n.ids[n.ids.length - 1]! < a.minid;
      if (whole) {
        this.length -= n.live;
        deleted += n.live;
        this.dropNode(0);
        continue;
      }
      if (a.approx) break;
      for (let i = 0; i < n.ids.length; i++) {
        if (a.strategy === 'maxlen' ? this.length <= a.maxlen : n.ids[i]! >= a.minid) break;
        if (!n.deleted[i]) {
          n.deleted[i] = true;
          n.live--;
          n.dead++;
          this.length--;
          deleted++;
        }
      }
      this.changed(0);
      break;
    }
    if (this.length === 0) this.firstId = 0n;
    else if (deleted > 0) this.firstId = this.edgeId(false)!;
    return deleted;
  }

  /** Notes a change of the counters (XSETID) for the next snapshot. */
  touch(): void {
    this.changed(0);
  }

  /**
   * The image (docs/FORMAT.md, "Collection image", streams): one string of
   * counters, then per node its header and per entry its ID, field count
   * and fields, as {@link StreamValue.decode} reads them back.
   */
  encode(): Buffer {
    const s: string[] = [
      `${idText(this.lastId)} ${this.entriesAdded} ${idText(this.maxDeletedId)} ${idText(this.firstId)} ` +
        `${this.length} ${this.nodes.length} ${this.groups.size}`,
    ];
    for (const n of this.nodes) {
      s.push(`${n.ids.length} ${idText(n.master)} ${n.masterFields.length}`, ...n.masterFields);
      for (let i = 0; i < n.ids.length; i++) {
        const fv = n.fields[i]!;
        s.push(`${idText(n.ids[i]!)} ${n.deleted[i] ? 1 : 0} ${fv.length}`, ...fv);
      }
    }
    for (const [name, g] of this.groups) {
      s.push(`${idText(g.lastId)} ${g.entriesRead} ${g.consumers.size} ${g.pel.size}`, name);
      for (const c of g.consumers.values()) s.push(`${c.seenTime}`, c.name);
      for (const [id, n] of g.pel) s.push(`${idText(id)} ${n.deliveryTime} ${n.deliveryCount}`, n.consumer?.name ?? '');
    }
    return encodeImage(s.length, 0, s.length, (i) => s[i]!, null);
  }

  clone(): StreamValue {
    return StreamValue.decode(this.encode());
  }

  /** Rebuilds a stream from its image. */
  static decode(image: Buffer): StreamValue {
    const { strings } = readImage(image, 1, false);
    const v = new StreamValue();
    const head = strings[0]!.split(' ');
    const id = (t: string): bigint => {
      const d = t.indexOf('-');
      return makeId(BigInt(t.slice(0, d)), BigInt(t.slice(d + 1)));
    };
    v.lastId = id(head[0]!);
    v.entriesAdded = Number(head[1]);
    v.maxDeletedId = id(head[2]!);
    v.firstId = id(head[3]!);
    v.length = Number(head[4]);
    const nodeCount = Number(head[5]);
    let k = 1;
    let bytes = 0;
    for (let ni = 0; ni < nodeCount; ni++) {
      const [count, master, mf] = strings[k++]!.split(' ');
      const masterFields = strings.slice(k, k + Number(mf));
      k += Number(mf);
      const node: StreamNode = {
        master: id(master!),
        masterFields,
        ids: [],
        fields: [],
        deleted: [],
        live: 0,
        dead: 0,
        bytes: masterBytes(masterFields),
      };
      bytes += NODE_OVERHEAD;
      for (let i = 0; i < Number(count); i++) {
        const [eid, del, nf] = strings[k++]!.split(' ');
        const fv = strings.slice(k, k + Number(nf));
        k += Number(nf);
        const e = id(eid!);
        node.bytes += entryBytes(node.master, masterFields, e, fv);
        node.ids.push(e);
        node.fields.push(fv);
        const isDel = del === '1';
        node.deleted.push(isDel);
        if (isDel) node.dead++;
        else node.live++;
        bytes += ENTRY_OVERHEAD;
        for (const s of fv) bytes += s.length;
      }
      v.nodes.push(node);
    }
    const groupCount = Number(head[6]);
    for (let gi = 0; gi < groupCount; gi++) {
      const [last, read, consumers, pending] = strings[k++]!.split(' ');
      const g = newGroup(id(last!), Number(read));
      v.groups.set(strings[k++]!, g);
      bytes += GROUP_OVERHEAD;
      for (let i = 0; i < Number(consumers); i++) {
        const seen = Number(strings[k++]!);
        const c = newConsumer(strings[k++]!, seen);
        g.consumers.set(c.name, c);
        bytes += CONSUMER_OVERHEAD + c.name.length;
      }
      for (let i = 0; i < Number(pending); i++) {
        const [pid, time, count] = strings[k++]!.split(' ');
        const owner = g.consumers.get(strings[k++]!) ?? null;
        const nack = { consumer: owner, deliveryTime: Number(time), deliveryCount: Number(count) };
        const e = id(pid!);
        g.pel.set(e, nack);
        owner?.pel.set(e, nack);
        bytes += NACK_OVERHEAD;
      }
    }
    v.bytes += bytes;
    return v;
  }
}
