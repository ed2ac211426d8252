/**
 * `cache-dump keys | export`: the keyspace as the server would load it,
 * built by the server's own recovery (src/server/recover.ts) in read-only
 * mode: nothing on disk changes, and no lock is taken, so it also works
 * beside a running server.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { allCommands } from '../../src/commands/index.js';
import { CommandTable } from '../../src/commands/table.js';
import { Config } from '../../src/config/config.js';
import type { WalRecoveryPolicy } from '../../src/persistence/wal/replay.js';
import type { Logger } from '../../src/server/logger.js';
import { recover } from '../../src/server/recover.js';
import { Keyspace } from '../../src/store/keyspace.js';
import { globMatch } from '../../src/store/glob.js';
import { typeName } from '../../src/commands/keys.js';
import { EntryType } from '../../src/store/arena.js';
import {
  HashValue,
  ListValue,
  SetValue,
  StreamValue,
  ZSetValue,
  type Collection,
} from '../../src/store/collections.js';
import { idText } from '../../src/store/stream-value.js';
import { escapeArg, jsonBytes, out, UnusableInput } from './output.js';

/** Warnings of the recovery code, printed on stderr as `cache-dump: <message> <fields as JSON>`. */
function stderrLogger(): Logger {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      const { msg, level, time, ...fields } = JSON.parse(chunk.toString()) as Record<string, unknown>;
      void level;
      void time;
      // Files as the operator named them: relative to where the tool runs.
      for (const [k, v] of Object.entries(fields)) {
        if (typeof v === 'string' && isAbsolute(v) && !relative(process.cwd(), v).startsWith('..'))
          fields[k] = relative(process.cwd(), v);
      }
      const extra = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
      process.stderr.write(`cache-dump: ${String(msg)}${extra}\n`);
      done();
    },
  });
  return pino({ level: 'warn', base: null }, stream) as unknown as Logger;
}

/** A keyspace rebuilt read-only, and whether anything had to be read past to rebuild it. */
export interface LoadedKeyspace {
  keyspace: Keyspace;
  /**
   * Whether the load met damage it went past: a damaged manifest or page
   * (an older snapshot or the WAL alone was used), a torn WAL tail left out,
   * or WAL damage skipped under `skip-corrupt`. The warnings on stderr say what.
   */
  damaged: boolean;
}

/**
 * Rebuilds the keyspace of data directory `path` read-only.
 *
 * @throws UnusableInput when `path` is not a data directory or its files cannot be read;
 *   WalCorruptionError or RecoveryError as start-up would
 */
export function loadKeyspace(path: string, databases: number, policy: WalRecoveryPolicy): LoadedKeyspace {
  if (!existsSync(join(path, 'wal')) && !existsSync(join(path, 'snapshot')))
    throw new UnusableInput(`${path} is not a FlashCache data directory (no wal/ or snapshot/)`);
  const config = new Config({ dir: path, databases: String(databases), 'log-level': 'warn' }, undefined, {});
  const keyspace = new Keyspace(databases, { onExpired: () => {} });
  // A fixed hash seed: the same files always list in the same order.
  keyspace.seed = 0;
  const effects = new CommandTable();
  effects.add(allCommands());
  try {
    const { loaded, replayed } = recover({
      dir: path,
      keyspace,
      effects,
      config,
      log: stderrLogger(),
      readOnly: true,
      policy,
    });
    const damaged = loaded.damaged.length > 0 || replayed.truncated.length > 0 || replayed.skipped.length > 0;
    return { keyspace, damaged };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e instanceof Error && typeof e.code === 'string' && typeof e.syscall === 'string')
      throw new UnusableInput(`cannot read ${path}: ${e.message}`);
    throw err;
  }
}

/** Options of `keys`. */
export interface KeysOptions {
  db?: number;
  match?: string;
}

/** A key's value: a string's bytes, or a collection. */
type Value = Buffer | Collection;

/** Calls `fn` for every key (filtered), database by database, one at a time. */
export async function eachKey(
  keyspace: Keyspace,
  o: KeysOptions,
  fn: (db: number, key: Buffer, type: string, value: Value, expireAt: number) => Promise<void>,
): Promise<void> {
  const pattern = o.match !== undefined ? Buffer.from(o.match) : null;
  for (const db of keyspace.dbs) {
    if (o.db !== undefined && db.id !== o.db) continue;
    for (const slot of db.liveSlots()) {
      const key = db.key(slot);
      if (pattern !== null && !globMatch(pattern, key)) continue;
      const type = db.type(slot);
      await fn(
        db.id,
        key,
        typeName(type),
        type === EntryType.String ? db.value(slot) : db.collection(slot),
        db.expireAt(slot),
      );
    }
  }
}

/**
 * A collection's elements, in batches of at most {@link BATCH} strings
 * (hash: field, value, field, value...; sorted set: score, member, ...;
 * scores as Redis parses them back: `inf`, `-inf`, shortest round-trip decimal).
 */
function* batches(c: Collection): Generator<string[]> {
  let batch: string[] = [];
  const push = function* (...items: string[]): Generator<string[]> {
    batch.push(...items);
    if (batch.length >= BATCH) {
      yield batch;
      batch = [];
    }
  };
  if (c instanceof HashValue) for (let i = 0; i < c.size; i++) yield* push(c.fields[i]!, c.values[i]!);
  else if (c instanceof ListValue) for (let i = 0; i < c.size; i++) yield* push(c.at(i));
  else if (c instanceof SetValue) for (const m of c.members) yield* push(m);
  else if (c instanceof ZSetValue)
    for (let n = c.list.first; n !== null; n = n.next[0]!) yield* push(scoreText(n.score), n.member);
  if (batch.length > 0) yield batch;
}

/** Elements per exported command. */
const BATCH = 1000;

function scoreText(score: number): string {
  return score === Infinity ? 'inf' : score === -Infinity ? '-inf' : Object.is(score, -0) ? '-0' : String(score);
}

/** The command that adds elements to a collection of `type`. */
const ADD: Record<string, string> = { hash: 'HSET', list: 'RPUSH', set: 'SADD', zset: 'ZADD' };

/**
 * Bytes of a value: a string's length, or the sum of a collection's element lengths (hash: fields and values; sorted
 * set: members).
 */
function valueBytes(v: Value): number {
  if (Buffer.isBuffer(v)) return v.length;
  if (v instanceof StreamValue) {
    let n = 0;
    for (const [, fv] of v.entries()) for (const s of fv) n += s.length;
    return n;
  }
  let n = 0;
  for (const b of batches(v))
    for (let i = 0; i < b.length; i++) if (!(v instanceof ZSetValue && i % 2 === 0)) n += b[i]!.length;
  return n;
}

/**
 * A collection as JSON: list and set an array of elements, hash an array of [field, value], sorted set of [member,
 * score].
 */
function jsonCollection(c: Collection): unknown[] {
  const out: unknown[] = [];
  const bytes = (s: string) => jsonBytes(Buffer.from(s, 'latin1'));
  if (c instanceof StreamValue) {
    for (const [id, fv] of c.entries()) out.push([idText(id), fv.map(bytes)]);
    return out;
  }
  for (const b of batches(c)) {
    if (c instanceof HashValue) for (let i = 0; i < b.length; i += 2) out.push([bytes(b[i]!), bytes(b[i + 1]!)]);
    else if (c instanceof ZSetValue)
      for (let i = 0; i < b.length; i += 2)
        out.push([bytes(b[i + 1]!), Number.isFinite(Number(b[i])) ? Number(b[i]) : b[i]]);
    else for (const e of b) out.push(bytes(e));
  }
  return out;
}

/**
 * `keys`: one line per key: database, key, type, size in bytes, expiry (ISO time or `-`).
 *
 * @returns 0, or 1 when the load went past damage (the keys printed are what the server would load)
 */
export async function keys(
  path: string,
  databases: number,
  policy: WalRecoveryPolicy,
  o: KeysOptions,
): Promise<number> {
  const { keyspace, damaged } = loadKeyspace(path, databases, policy);
  await out('DB\tKEY\tTYPE\tSIZE(bytes)\tEXPIRES\n');
  await eachKey(keyspace, o, (db, key, type, value, at) =>
    out(`${db}\t${escapeArg(key)}\t${type}\t${valueBytes(value)}\t${at > 0 ? new Date(at).toISOString() : '-'}\n`),
  );
  return damaged ? 1 : 0;
}

/**
 * The commands that rebuild a stream: `XADD key <id> field value ...` per
 * entry (an empty stream: `XADD key MAXLEN 0 <last ID> x y`, which leaves it
 * empty), then `XSETID key <last ID> ENTRIESADDED <n> MAXDELETEDID <id>`
 * for its counters; per consumer group `XGROUP CREATE ... ENTRIESREAD`,
 * `XGROUP CREATECONSUMER` per consumer and `XCLAIM ... TIME RETRYCOUNT
 * FORCE JUSTID` per pending entry (a pending entry whose entry was deleted
 * is left out: XCLAIM drops it, as Redis would).
 */
function* streamCommands(key: Buffer, s: StreamValue): Generator<(string | Buffer)[]> {
  if (s.length === 0) yield ['XADD', key, 'MAXLEN', '0', s.lastId > 0n ? idText(s.lastId) : '0-1', 'x', 'y'];
  for (const [id, fv] of s.entries()) yield ['XADD', key, idText(id), ...fv.map((f) => Buffer.from(f, 'latin1'))];
  yield [
    'XSETID',
    key,
    idText(s.lastId),
    'ENTRIESADDED',
    String(s.entriesAdded),
    'MAXDELETEDID',
    idText(s.maxDeletedId),
  ];
  for (const [name, g] of s.groups) {
    const group = Buffer.from(name, 'latin1');
    yield ['XGROUP', 'CREATE', key, group, idText(g.lastId), 'ENTRIESREAD', String(g.entriesRead)];
    for (const c of g.consumers.values()) {
      yield ['XGROUP', 'CREATECONSUMER', key, group, Buffer.from(c.name, 'latin1')];
    }
    for (const [id, n] of g.pel) {
      const owner = Buffer.from(n.consumer?.name ?? '', 'latin1');
      const time = String(n.deliveryTime);
      yield ['XCLAIM', key, group, owner, '0', idText(id), 'TIME', time, 'RETRYCOUNT', String(n.deliveryCount)].concat([
        'FORCE',
        'JUSTID',
      ]);
    }
  }
}

/** RESP encoding of one command. */
function resp(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * `export`: the keyspace as RESP commands for `redis-cli --pipe` (`SELECT`,
 * then `SET key value [PXAT ms]` per string; per collection `DEL key`, then
 * `HSET`/`RPUSH`/`SADD`/`ZADD` of up to 1000 elements each and
 * `PEXPIREAT key ms` when it has a TTL; a stream as XADD per entry and
 * XSETID) or as JSON lines (`value` is the string, or the collection as
 * {@link jsonCollection} renders it; a stream as `[id, [field, value...]]`). Keys
 * already expired are left out.
 *
 * @returns 0, or 1 when the load went past damage (the export is still what the server would load)
 */
export async function exportKeyspace(
  path: string,
  databases: number,
  policy: WalRecoveryPolicy,
  format: 'resp' | 'json',
): Promise<number> {
  const { keyspace, damaged } = loadKeyspace(path, databases, policy);
  const now = Date.now();
  let selected = -1;
  await eachKey(keyspace, {}, async (db, key, type, value, at) => {
    if (at > 0 && at <= now) return;
    if (format === 'json') {
      await out(
        JSON.stringify({
          db,
          key: jsonBytes(key),
          type,
          value: Buffer.isBuffer(value) ? jsonBytes(value) : jsonCollection(value),
          expireAt: at > 0 ? at : null,
        }) + '\n',
      );
      return;
    }
    if (db !== selected) {
      await out(resp(['SELECT', String(db)]));
      selected = db;
    }
    if (Buffer.isBuffer(value)) {
      await out(resp(at > 0 ? ['SET', key, value, 'PXAT', String(at)] : ['SET', key, value]));
      return;
    }
    await out(resp(['DEL', key]));
    if (value instanceof StreamValue) {
      for (const args of streamCommands(key, value)) await out(resp(args));
      if (at > 0) await out(resp(['PEXPIREAT', key, String(at)]));
      return;
    }
    for (const b of batches(value)) await out(resp([ADD[type]!, key, ...b.map((e) => Buffer.from(e, 'latin1'))]));
    if (at > 0) await out(resp(['PEXPIREAT', key, String(at)]));
  });
  return damaged ? 1 : 0;
}
