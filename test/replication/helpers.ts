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

/** Every key of every database with its type, value and absolute expiry, one line per key, sorted. */
export async function keyspaceDump(c: Redis): Promise<string[]> {
  const out: string[] = [];
  for (let db = 0; db < 16; db++) {
    await c.select(db);
    let cursor = '0';
    const keys: string[] = [];
    do {
      const [next, batch] = await c.scan(cursor, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    for (const k of keys) {
      const type = await c.type(k);
      let value: unknown;
      if (type === 'string') value = await c.get(k);
      else if (type === 'hash') value = Object.entries(await c.hgetall(k)).sort();
      else if (type === 'list') value = await c.lrange(k, 0, -1);
      else if (type === 'set') value = (await c.smembers(k)).sort();
      else if (type === 'zset') value = await c.zrange(k, '0', '-1', 'WITHSCORES');
      const expire = await c.call('PEXPIRETIME', k);
      out.push(`${db} ${k} ${type} ${JSON.stringify(value)} ${String(expire)}`);
    }
  }
  await c.select(0);
  return out.sort();
}
