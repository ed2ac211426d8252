/**
 * Reads a server's whole keyspace (every database) for comparison with a
 * test's model: key → value and absolute expiry. Collections are rendered
 * as text (see {@link renderCollection}) so that one model type serves all.
 */
import type { Redis } from 'ioredis';

/** One key as the server holds it. */
export interface KeyState {
  /** A string's value, or a collection rendered by {@link renderCollection}. */
  value: string;
  /** Absolute expiry, Unix ms; -1 for none. */
  expireAt: number;
}

/**
 * A collection as text: `hash:` + JSON of [field, value] pairs sorted by
 * field; `list:` + JSON of the elements in order; `set:` + JSON of the
 * members sorted; `zset:` + JSON of [member, score] in ZRANGE order;
 * `stream:` + JSON of XRANGE's [id, [field, value...]] entries.
 */
export function renderCollection(type: 'hash' | 'list' | 'set' | 'zset' | 'stream', items: readonly unknown[]): string {
  return `${type}:${JSON.stringify(items)}`;
}

/** Pairs a flat [a, b, a, b...] reply. */
function pairs(flat: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

const byFirst = (a: [string, unknown], b: [string, unknown]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** `db:key` → state, for every database from 0 to `databases - 1`. */
export async function dumpKeyspace(redis: Redis, databases = 16): Promise<Map<string, KeyState>> {
  const out = new Map<string, KeyState>();
  for (let db = 0; db < databases; db++) {
    await redis.select(db);
    const keys = await redis.keys('*');
    for (const key of keys) {
      const [type, expireAt] = (await redis.pipeline().type(key).pexpiretime(key).exec())!.map(([, v]) => v) as [
        string,
        number,
      ];
      let value: string | null;
      switch (type) {
        case 'string':
          value = await redis.get(key);
          break;
        case 'hash':
          value = renderCollection('hash', pairs((await redis.call('HGETALL', key)) as string[]).sort(byFirst));
          break;
        case 'list':
          value = renderCollection('list', await redis.lrange(key, 0, -1));
          break;
        case 'set':
          value = renderCollection('set', (await redis.smembers(key)).sort());
          break;
        case 'zset':
          value = renderCollection(
            'zset',
            pairs(await redis.zrange(key, '0', '-1', 'WITHSCORES')).map(([m, s]) => [m, Number(s)]),
          );
          break;
        case 'stream':
          value = renderCollection('stream', await redis.xrange(key, '-', '+'));
          break;
        default:
          value = null; // expired between KEYS and TYPE
      }
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

/** XINFO STREAM FULL without the radix tree's shape, which follows each server's node layout. */
export function streamInfo(v: unknown): unknown {
  const flat = v as unknown[];
  const out: unknown[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i] === 'radix-tree-keys' || flat[i] === 'radix-tree-nodes') continue;
    out.push(flat[i], flat[i + 1]);
  }
  return out;
}
