/**
 * Helpers of the replication tests: INFO fields, a replica started on a
 * primary, a mixed write load over several databases, and a per-key
 * comparison of whole keyspaces (all 16 databases, by SCAN and typed reads).
 */
import type { Redis } from 'ioredis';
import { startServer, waitFor, type ServerHandle, type StartOptions } from '../helpers/server.js';

/** The fields of an INFO section. */
export async function info(c: Redis, section = 'replication'): Promise<Record<string, string>> {
  const text = await c.info(section);
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

/** Starts a server replicating from `primary` (by the `replicaof` setting). */
export function startReplica(primary: ServerHandle, opts: StartOptions = {}): Promise<ServerHandle> {
  return startServer({ ...opts, args: ['--replicaof', `127.0.0.1 ${primary.port}`, ...(opts.args ?? [])] });
}

/** Waits until `replica` has applied every record `primary` has logged. */
export async function converged(primary: Redis, replica: Redis, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    async () => {
      const [p, r] = await Promise.all([info(primary), info(replica)]);
      return r['master_link_status'] === 'up' && r['slave_repl_offset'] === p['master_repl_offset'];
    },
    timeoutMs,
    'the replica to reach the primary LSN',
  );
}

/**
 * Writes `n` rounds of every type (strings, counters, hashes, lists, sets,
 * sorted sets, TTLs, deletes, MULTI/EXEC) spread over databases 0, 3 and 15.
 */
export async function writeMix(c: Redis, n: number, tag = 'k'): Promise<void> {
  for (let i = 0; i < n; i++) {
    const db = [0, 3, 15][i % 3]!;
    const p = c.pipeline();
    p.select(db);
    p.set(`${tag}:s:${i}`, `v${i}`);
    p.incrby(`${tag}:ctr`, i);
    p.hset(`${tag}:h:${i % 7}`, `f${i}`, `${i}`);
    p.rpush(`${tag}:l:${i % 5}`, `e${i}`);
    if (i % 4 === 0) p.lpop(`${tag}:l:${i % 5}`);
    p.sadd(`${tag}:set:${i % 3}`, `m${i}`);
    p.zadd(`${tag}:z`, i * 1.5, `z${i}`);
    p.set(`${tag}:ttl:${i}`, 'x', 'PX', 600_000 + i);
    if (i % 10 === 9) p.del(`${tag}:s:${i - 1}`);
    p.call('MULTI');
    p.incr(`${tag}:tx`);
    p.hincrby(`${tag}:txh`, 'n', 2);
    p.call('EXEC');
    await p.exec();
  }
  await c.select(0);
}

/**
 * Every key of every database with its type, value (strings as hex, so
 * bitmaps compare byte for byte) and absolute expiry (PEXPIRETIME), one line
 * per key, sorted. SCAN collects the keys; the reads are pipelined.
 */
export async function keyspaceDump(c: Redis): Promise<string[]> {
  const out: string[] = [];
  for (let db = 0; db < 16; db++) {
    await c.select(db);
    let cursor = '0';
    const keys = new Set<string>();
    do {
      const [next, batch] = await c.scan(cursor, 'COUNT', 1000);
      cursor = next;
      for (const k of batch) keys.add(k);
    } while (cursor !== '0');
    const names = [...keys];
    const types = ((await typed(c, names, (p, k) => p.type(k))) as string[]).map(String);
    const values = await typed(c, names, (p, k, i) => {
      const type = types[i];
      if (type === 'string') p.getBuffer(k);
      else if (type === 'hash') p.hgetall(k);
      else if (type === 'list') p.lrange(k, 0, -1);
      else if (type === 'set') p.smembers(k);
      else if (type === 'zset') p.zrange(k, '0', '-1', 'WITHSCORES');
      else p.exists(k);
    });
    const expires = await typed(c, names, (p, k) => p.call('PEXPIRETIME', k));
    names.forEach((k, i) => {
      const type = types[i];
      let v = values[i];
      if (Buffer.isBuffer(v)) v = v.toString('hex');
      else if (type === 'hash') v = Object.entries(v as Record<string, string>).sort();
      else if (type === 'set') v = (v as string[]).sort();
      out.push(`${db} ${k} ${type} ${JSON.stringify(v)} ${String(expires[i])}`);
    });
  }
  await c.select(0);
  return out.sort();
}

/** Runs `add` for every key in pipelines of 1000 and returns the replies in key order (errors thrown). */
async function typed(
  c: Redis,
  keys: string[],
  add: (p: ReturnType<Redis['pipeline']>, key: string, i: number) => void,
): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let at = 0; at < keys.length; at += 1000) {
    const p = c.pipeline();
    keys.slice(at, at + 1000).forEach((k, j) => add(p, k, at + j));
    for (const [err, v] of (await p.exec()) ?? []) {
      if (err) throw err;
      out.push(v);
    }
  }
  return out;
}

/**
 * About `total` writes of every type over all 16 databases, in pipelines:
 * strings with and without TTLs, SETBIT bitmaps, INCR counters,
 * EXPIRE/PERSIST, hashes, lists, sets, sorted sets, DEL, RENAME, MULTI/EXEC,
 * MOVE, SWAPDB, and one FLUSHDB (database 9, midway). Keys are reused, so the
 * keyspace stays a few thousand keys while every key sees many writes.
 *
 * @returns the number of write commands sent (SELECT, MULTI and EXEC not counted)
 */
export async function writeHeavy(c: Redis, total: number, tag = 'w'): Promise<number> {
  let sent = 0;
  let round = 0;
  // SELECT, MULTI and EXEC pushed: not writes.
  let overhead = 0;
  let flushed = false;
  while (sent - overhead < total) {
    const p = c.pipeline();
    for (let j = 0; j < 50 && sent + p.length - overhead < total; j++, round++) {
      const db = round % 16;
      const i = round;
      const k = (kind: string, mod: number): string => `${tag}:${kind}:${i % mod}`;
      p.select(db);
      overhead += 3;
      p.set(k('s', 400), `v${i}`);
      p.set(k('t', 200), `t${i}`, 'PX', 600_000 + (i % 1000));
      p.setbit(k('bits', 50), (i * 7) % 4096, i % 3 === 0 ? 0 : 1);
      p.incr(k('n', 30));
      p.hset(k('h', 100), `f${i % 40}`, `${i}`);
      p.rpush(k('l', 60), `e${i}`);
      if (i % 3 === 0) p.lpop(k('l', 60));
      p.sadd(k('set', 60), `m${i % 90}`);
      if (i % 5 === 0) p.srem(k('set', 60), `m${(i + 1) % 90}`);
      p.zadd(k('z', 60), (i % 500) * 0.5, `z${i % 120}`);
      if (i % 4 === 0) p.expire(k('s', 400), 3600 + (i % 100));
      if (i % 8 === 4) p.persist(k('s', 400));
      if (i % 11 === 0) p.del(k('s', 400));
      if (i % 13 === 0) p.rename(k('t', 200), `${tag}:renamed:${i % 50}`);
      p.call('MULTI');
      p.incrby(`${tag}:tx`, 2);
      p.hincrby(`${tag}:txh:${i % 10}`, 'n', 1);
      p.lpush(`${tag}:txl:${i % 10}`, `x${i}`);
      p.call('EXEC');
      if (i % 97 === 0) p.move(k('s', 400), (db + 1) % 16);
      if (i % 1999 === 0) p.swapdb(db, (db + 7) % 16);
      if (!flushed && sent + p.length - overhead >= total / 2) {
        p.select(9);
        overhead++;
        p.flushdb();
        flushed = true;
      }
    }
    sent += p.length;
    for (const [err] of (await p.exec()) ?? []) {
      // MOVE of a missing key answers 0, RENAME of a missing key errors: both are fine for a write load.
      if (err && !/no such key/.test(err.message)) throw err;
    }
  }
  await c.select(0);
  return sent - overhead;
}
