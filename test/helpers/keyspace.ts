/**
 * Reads a server's whole keyspace (every database) for comparison with a
 * test's model: key → value and absolute expiry.
 */
import type { Redis } from 'ioredis';

/** One key as the server holds it. */
export interface KeyState {
  value: string;
  /** Absolute expiry, Unix ms; -1 for none. */
  expireAt: number;
}

/** `db:key` → state, for every database from 0 to `databases - 1`. */
export async function dumpKeyspace(redis: Redis, databases = 16): Promise<Map<string, KeyState>> {
  const out = new Map<string, KeyState>();
  for (let db = 0; db < databases; db++) {
    await redis.select(db);
    const keys = await redis.keys('*');
    for (const key of keys) {
      const [value, expireAt] = (await redis.pipeline().get(key).pexpiretime(key).exec())!.map(([, v]) => v) as [string, number];
      if (value === null) continue;
      out.set(`${db}:${key}`, { value, expireAt });
    }
  }
  await redis.select(0);
  return out;
}

/** Sorted entries, for readable deepEqual failures. */
export function sorted(m: Map<string, KeyState>): [string, KeyState][] {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
