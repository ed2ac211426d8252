/**
 * `cache-dump keys | export`: the keyspace as the server would load it,
 * built by the server's own recovery (Server.recover) in read-only mode:
 * nothing on disk changes, and no lock is taken, so it also works beside a
 * running server.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../src/server/logger.js';
import { Config } from '../../src/server/config.js';
import { Server } from '../../src/server/server.js';
import type { WalRecoveryPolicy } from '../../src/persistence/recovery.js';
import { globMatch } from '../../src/store/glob.js';
import { typeName } from '../../src/commands/keys.js';
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
        if (typeof v === 'string' && isAbsolute(v) && !relative(process.cwd(), v).startsWith('..')) fields[k] = relative(process.cwd(), v);
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
  server: Server;
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
 * @throws UnusableInput when `path` is not a data directory or its files cannot be read; WalCorruptionError or RecoveryError as start-up would
 */
export function loadKeyspace(path: string, databases: number, policy: WalRecoveryPolicy): LoadedKeyspace {
  if (!existsSync(join(path, 'wal')) && !existsSync(join(path, 'snapshot'))) throw new UnusableInput(`${path} is not a FlashCache data directory (no wal/ or snapshot/)`);
  const config = new Config({ dir: path, databases: String(databases), 'log-level': 'warn' }, undefined, {});
  const server = new Server(config, stderrLogger());
  // A fixed hash seed: the same files always list in the same order.
  server.keyspace.seed = 0;
  try {
    const { loaded, replayed } = server.recover({ readOnly: true, policy });
    return { server, damaged: loaded.damaged.length > 0 || replayed.truncated.length > 0 || replayed.skipped.length > 0 };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e instanceof Error && typeof e.code === 'string' && typeof e.syscall === 'string') throw new UnusableInput(`cannot read ${path}: ${e.message}`);
    throw err;
  }
}

/** Options of `keys`. */
export interface KeysOptions {
  db?: number;
  match?: string;
}

/** Calls `fn` for every key (filtered), database by database, one at a time. */
async function eachKey(server: Server, o: KeysOptions, fn: (db: number, key: Buffer, type: string, value: Buffer, expireAt: number) => Promise<void>): Promise<void> {
  const pattern = o.match !== undefined ? Buffer.from(o.match) : null;
  for (const db of server.keyspace.dbs) {
    if (o.db !== undefined && db.id !== o.db) continue;
    for (const slot of db.liveSlots()) {
      const key = db.key(slot);
      if (pattern !== null && !globMatch(pattern, key)) continue;
      await fn(db.id, key, typeName(db.type(slot)), db.value(slot), db.expireAt(slot));
    }
  }
}

/**
 * `keys`: one line per key: database, key, type, size in bytes, expiry (ISO time or `-`).
 *
 * @returns 0, or 1 when the load went past damage (the keys printed are what the server would load)
 */
export async function keys(path: string, databases: number, policy: WalRecoveryPolicy, o: KeysOptions): Promise<number> {
  const { server, damaged } = loadKeyspace(path, databases, policy);
  await out('DB\tKEY\tTYPE\tSIZE\tEXPIRES\n');
  await eachKey(server, o, (db, key, type, value, at) => out(`${db}\t${escapeArg(key)}\t${type}\t${value.length}\t${at > 0 ? new Date(at).toISOString() : '-'}\n`));
  return damaged ? 1 : 0;
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
 * `export`: the keyspace as RESP commands (`SELECT`, then `SET key value
 * [PXAT ms]`, for `redis-cli --pipe`) or as JSON lines. Keys already expired
 * are left out.
 *
 * @returns 0, or 1 when the load went past damage (the export is still what the server would load)
 */
export async function exportKeyspace(path: string, databases: number, policy: WalRecoveryPolicy, format: 'resp' | 'json'): Promise<number> {
  const { server, damaged } = loadKeyspace(path, databases, policy);
  const now = Date.now();
  let selected = -1;
  await eachKey(server, {}, async (db, key, type, value, at) => {
    if (at > 0 && at <= now) return;
    if (format === 'json') {
      await out(JSON.stringify({ db, key: jsonBytes(key), type, value: jsonBytes(value), expireAt: at > 0 ? at : null }) + '\n');
      return;
    }
    if (db !== selected) {
      await out(resp(['SELECT', String(db)]));
      selected = db;
    }
    await out(resp(at > 0 ? ['SET', key, value, 'PXAT', String(at)] : ['SET', key, value]));
  });
  return damaged ? 1 : 0;
}
