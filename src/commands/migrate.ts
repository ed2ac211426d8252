/**
 * MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
 * [AUTH password | AUTH2 username password] [KEYS key ...]
 * (cluster.c `migrateCommand`): sends each key as a RESTORE to another
 * FlashCache or redis-server, over a connection cached per target for 10
 * seconds of idleness as Redis caches it, then deletes the keys the target
 * accepted unless COPY. Replies and error texts are Redis's.
 *
 * Unlike Redis, the server keeps serving while MIGRATE waits for its target:
 * the calling client waits alone. The payloads are taken when the command
 * runs; a key that another client changed before the target's reply came is
 * kept here (only the migrated version is deleted), so no write is lost.
 *
 * Reference: https://redis.io/docs/latest/commands/migrate/
 */
import { connect, type Socket } from 'node:net';
import { NOTIFY_GENERIC } from '../config/keyspace-events.js';
import { createDumpPayload } from '../persistence/rdb/object.js';
import { toRdbObject } from '../persistence/rdb/values.js';
import { encodeRequest } from '../protocol/encoder.js';
import { StreamReader } from '../protocol/stream-reader.js';
import type { CommandContext, CommandSpec, KeyRef } from './context.js';
import { storedValue } from './dump.js';
import { command, keyAt } from './table.js';
import { ERR, isWord, parseLong } from './util.js';

/** How long an unused cached connection stays open (cluster.c `MIGRATE_SOCKET_CACHE_TTL`), ms. */
const SOCKET_TTL_MS = 10_000;
/** Most cached connections (`MIGRATE_SOCKET_CACHE_ITEMS`); the oldest goes for a new one. */
const SOCKET_CACHE_ITEMS = 64;

/** A cached connection to a target: its socket, its reply reader, the db it has selected (-1 unknown). */
interface TargetLink {
  socket: Socket;
  reader: StreamReader;
  lastDb: number;
  idle: NodeJS.Timeout | null;
  /** The migration using it now, which the next one on the same target waits for. */
  busy: Promise<void>;
}

const links = new Map<string, TargetLink>();

/**
 * Keys (latin1) of the MIGRATEs waiting for their target, with how many
 * MIGRATEs hold each. Redis's MIGRATE blocks the whole server until the
 * target answers; here other clients are served meanwhile, so cluster mode
 * refuses writes to these keys with TRYAGAIN until the MIGRATE is over
 * (src/cluster/service.ts): a write in between would be lost or leave the
 * key in two places.
 */
export const keysInFlight = new Map<string, number>();

/** Connections MIGRATE keeps open now (INFO stats `migrate_cached_sockets`). */
export function migrateCachedSockets(): number {
  return links.size;
}

function closeLink(name: string): void {
  const l = links.get(name);
  if (l === undefined) return;
  links.delete(name);
  if (l.idle !== null) clearTimeout(l.idle);
  l.socket.destroy();
}

/** Connects to `host:port` within `timeoutMs`, or rejects. */
function openLink(host: string, port: number, timeoutMs: number): Promise<TargetLink> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const reader = new StreamReader();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('connect timeout'));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve({ socket, reader, lastDb: -1, idle: null, busy: Promise.resolve() });
    });
    socket.on('data', (d: Buffer) => reader.push(d));
    socket.on('error', (e) => {
      clearTimeout(timer);
      reader.close(e.message);
      reject(e);
    });
    socket.on('close', () => reader.close('connection closed'));
  });
}

/** The cached link to `host:port`, opened when there is none (cluster.c `migrateGetSocket`). */
async function linkTo(host: string, port: number, timeoutMs: number): Promise<TargetLink> {
  const name = `${host}:${port}`;
  const cached = links.get(name);
  if (cached !== undefined && !cached.socket.destroyed) return cached;
  if (cached !== undefined) closeLink(name);
  if (links.size >= SOCKET_CACHE_ITEMS) closeLink(links.keys().next().value!);
  const l = await openLink(host, port, timeoutMs);
  links.set(name, l);
  l.socket.once('close', () => {
    if (links.get(name) === l) closeLink(name);
  });
  return l;
}

/** Reads one reply line within `timeoutMs`. */
async function readLine(l: TargetLink, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      l.reader.line(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The parsed arguments of one MIGRATE. */
interface MigrateArgs {
  host: string;
  port: number;
  db: number;
  timeoutMs: number;
  copy: boolean;
  replace: boolean;
  auth: string[] | null;
  keys: Buffer[];
}

/** Parses MIGRATE's arguments as cluster.c does, or replies its error and returns null. */
function parseArgs(c: CommandContext, argv: Buffer[]): MigrateArgs | null {
  const a: MigrateArgs = { host: '', port: 0, db: 0, timeoutMs: 0, copy: false, replace: false, auth: null, keys: [] };
  let firstKey = 3;
  let numKeys = 1;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (isWord(argv[j]!, 'COPY')) a.copy = true;
    else if (isWord(argv[j]!, 'REPLACE')) a.replace = true;
    else if (isWord(argv[j]!, 'AUTH')) {
      if (more === 0) return syntax(c);
      a.auth = [argv[++j]!.toString('latin1')];
    } else if (isWord(argv[j]!, 'AUTH2')) {
      if (more < 2) return syntax(c);
      a.auth = [argv[j + 1]!.toString('latin1'), argv[j + 2]!.toString('latin1')];
      j += 2;
    } else if (isWord(argv[j]!, 'KEYS')) {
      if (argv[3]!.length !== 0) {
        c.reply.error('ERR When using MIGRATE KEYS option, the key argument must be set to the empty string');
        return null;
      }
      firstKey = j + 1;
      numKeys = argv.length - j - 1;
      break;
    } else return syntax(c);
  }
  const timeout = parseLong(argv[5]!);
  const db = parseLong(argv[4]!);
  if (timeout === null || db === null) {
    c.reply.error(ERR.notInteger);
    return null;
  }
  a.timeoutMs = timeout <= 0 ? 1000 : timeout;
  a.db = db;
  a.host = argv[1]!.toString('latin1');
  a.port = Number(argv[2]!.toString('latin1'));
  a.keys = argv.slice(firstKey, firstKey + numKeys);
  return a;
}

function syntax(c: CommandContext): null {
  c.reply.error(ERR.syntax);
  return null;
}

/** One key on its way: its name and the payload it left with. */
interface Outgoing {
  key: Buffer;
  payload: Buffer;
}

/** MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH ...] [AUTH2 ...] [KEYS ...] */
function migrateCommand(c: CommandContext, argv: Buffer[]): void {
  const a = parseArgs(c, argv);
  if (a === null) return;
  const now = Date.now();
  const out: Outgoing[] = [];
  const restores: Buffer[] = [];
  for (const key of a.keys) {
    const slot = c.db.lookup(key);
    if (slot < 0) continue;
    const expireAt = c.db.expireAt(slot);
    let ttl = 0;
    if (expireAt > 0) {
      ttl = expireAt - now;
      if (ttl < 0) continue;
      if (ttl < 1) ttl = 1;
    }
    const payload = createDumpPayload(toRdbObject(storedValue(c.db, slot)));
    out.push({ key, payload });
    // In cluster mode the target may be importing the slot: RESTORE-ASKING is served there (cluster.c).
    const restoreName = c.server.cluster !== undefined ? 'RESTORE-ASKING' : 'RESTORE';
    const restore: (string | Buffer)[] = [restoreName, key, String(ttl), payload];
    if (a.replace) restore.push('REPLACE');
    restores.push(encodeRequest(restore));
  }
  if (out.length === 0) return c.reply.simple('NOKEY');
  if (!c.canBlock) return c.reply.error('ERR MIGRATE cannot run inside MULTI/EXEC here: run it on its own');
  c.block(false);
  const name = `${a.host}:${a.port}`;
  const prev = links.get(name)?.busy ?? Promise.resolve();
  const names = out.map((o) => o.key.toString('latin1'));
  for (const k of names) keysInFlight.set(k, (keysInFlight.get(k) ?? 0) + 1);
  const run = prev.then(() => transfer(c, a, out, restores)).catch(() => {});
  void run.then(() => {
    for (const k of names) {
      const n = keysInFlight.get(k)! - 1;
      if (n === 0) keysInFlight.delete(k);
      else keysInFlight.set(k, n);
    }
    c.unblock();
  });
}

/** Sends the RESTOREs and handles the replies, retrying once on a stale cached connection as Redis does. */
async function transfer(c: CommandContext, a: MigrateArgs, out: Outgoing[], restores: Buffer[]): Promise<void> {
  const name = `${a.host}:${a.port}`;
  for (let attempt = 0; ; attempt++) {
    let l: TargetLink;
    try {
      l = await linkTo(a.host, a.port, a.timeoutMs);
    } catch {
      return c.reply.error('IOERR error or timeout connecting to the client');
    }
    let done: () => void = () => {};
    l.busy = new Promise((r) => (done = r));
    try {
      const retry = await exchange(c, a, l, out, restores, attempt === 0);
      if (!retry) return;
    } finally {
      done();
      if (links.get(name) === l) {
        if (l.idle !== null) clearTimeout(l.idle);
        l.idle = setTimeout(() => closeLink(name), SOCKET_TTL_MS);
        l.idle.unref();
      }
    }
    closeLink(name);
  }
}

/**
 * One exchange with the target over `l`.
 *
 * @returns true when nothing was processed and the connection failed before the first reply (retry once)
 */
async function exchange(
  c: CommandContext,
  a: MigrateArgs,
  l: TargetLink,
  out: Outgoing[],
  restores: Buffer[],
  mayRetry: boolean,
): Promise<boolean> {
  const name = `${a.host}:${a.port}`;
  const select = l.lastDb !== a.db;
  const head: Buffer[] = [];
  if (a.auth !== null) head.push(encodeRequest(['AUTH', ...a.auth]));
  if (select) head.push(encodeRequest(['SELECT', String(a.db)]));
  let writeError = false;
  l.socket.write(Buffer.concat([...head, ...restores]), (err) => {
    if (err) writeError = true;
  });
  let authReply = '';
  let selectReply = '';
  let targetError = false;
  const deleted: Buffer[] = [];
  let j = 0;
  let socketError: unknown = null;
  try {
    if (a.auth !== null) authReply = await readLine(l, a.timeoutMs);
    if (select) selectReply = await readLine(l, a.timeoutMs);
    for (; j < out.length; j++) {
      const line = await readLine(l, a.timeoutMs);
      const bad = authReply.startsWith('-') ? authReply : selectReply.startsWith('-') ? selectReply : line;
      if (bad.startsWith('-')) {
        if (!targetError) {
          l.lastDb = -1;
          targetError = true;
          c.reply.error(`ERR Target instance replied with error: ${bad.slice(1)}`);
        }
      } else if (!a.copy && deleteMigrated(c, out[j]!)) deleted.push(out[j]!.key);
    }
  } catch (e) {
    socketError = e;
  }
  if (deleted.length > 0) c.server.propagate(c.dbIndex, ['DEL', ...deleted]);
  if (socketError !== null) {
    closeLink(name);
    const timedOut = socketError instanceof Error && socketError.message === 'timeout';
    // Nothing was processed and the cached connection had gone stale: try once more on a new one.
    if (!targetError && j === 0 && mayRetry && !timedOut) return true;
    if (!targetError) {
      c.reply.error(`IOERR error or timeout ${writeError ? 'writing' : 'reading'} to target instance`);
    }
    return false;
  }
  if (!targetError) {
    l.lastDb = a.db;
    c.reply.ok();
  }
  return false;
}

/**
 * Deletes a key the target accepted, when it still holds the value that was sent.
 *
 * @returns whether it was deleted
 */
function deleteMigrated(c: CommandContext, o: Outgoing): boolean {
  const slot = c.db.peek(o.key);
  if (slot < 0) return false;
  if (!createDumpPayload(toRdbObject(storedValue(c.db, slot))).equals(o.payload)) return false;
  c.db.delete(o.key);
  c.server.notify(NOTIFY_GENERIC, 'del', o.key, c.dbIndex);
  return true;
}

/** MIGRATE's keys: the key argument, or with KEYS every argument after it (cluster.c `migrateGetKeys`). */
function migrateKeys(argv: readonly Uint8Array[]): KeyRef[] {
  const flags = ['RW', 'access', 'delete'] as const;
  for (let i = 6; i < argv.length; i++) {
    if (isWord(argv[i]!, 'AUTH')) i += 1;
    else if (isWord(argv[i]!, 'AUTH2')) i += 2;
    else if (isWord(argv[i]!, 'KEYS')) {
      if (argv[3]!.length > 0) return [];
      const refs: KeyRef[] = [];
      for (let k = i + 1; k < argv.length; k++) refs.push({ pos: k, flags });
      return refs;
    }
  }
  return [{ pos: 3, flags }];
}

/** The MIGRATE table entry. */
export const migrateCommands: CommandSpec[] = [
  command({
    name: 'migrate',
    arity: -6,
    flags: ['write'],
    keys: [
      keyAt(3, ['RW', 'access', 'delete']),
      {
        flags: ['RW', 'access', 'delete', 'incomplete'],
        begin: { type: 'keyword', keyword: 'KEYS', startFrom: -2 },
        find: { type: 'range', lastKey: -1, step: 1, limit: 0 },
      },
    ],
    getKeys: migrateKeys,
    group: 'generic',
    since: '2.6.0',
    complexity:
      'This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. ' +
      'See the pages of these commands for time complexity. Also an O(N) data transfer between the two ' +
      'instances is performed.',
    summary: 'Atomically transfer a key from a Redis instance to another one.',
    handler: migrateCommand,
  }),
];
