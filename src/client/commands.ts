/**
 * The three cache commands the cache-aside helper sends (GET, SET with PX,
 * DEL), over whichever client the application already has: an ioredis
 * `Redis` (its `call`) or a node-redis v4/v5 client (its `sendCommand`).
 * Nothing here speaks RESP itself; pooling, pipelining, reconnects, TLS, AUTH,
 * Sentinel and Cluster stay the client's job (docs/CLIENTS.md).
 */

/** What the helper needs of an ioredis client: `Redis#call`. */
export interface IoredisLike {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

/** What the helper needs of a node-redis client: `RedisClientType#sendCommand`. */
export interface NodeRedisLike {
  sendCommand(args: string[]): Promise<unknown>;
}

/** An ioredis or node-redis client (a `Cluster` of either works too). */
export type CacheClient = IoredisLike | NodeRedisLike;

/** The commands the helper sends, bound to one client. */
export interface CacheCommands {
  /** GET: the stored string, or null on a miss. */
  get(key: string): Promise<string | null>;
  /** SET key value PX ttlMs (no PX when `ttlMs` is 0). */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** DEL: 1 if the key existed, else 0. */
  del(key: string): Promise<number>;
}

/**
 * Binds {@link CacheCommands} to `client`.
 *
 * @throws TypeError when `client` has neither `call` (ioredis) nor `sendCommand` taking an argument array (node-redis)
 */
export function commandsFor(client: CacheClient): CacheCommands {
  let send: (args: string[]) => Promise<unknown>;
  // ioredis also has a sendCommand, which takes its own Command objects: `call` comes first.
  if (typeof (client as IoredisLike).call === 'function') {
    const c = client as IoredisLike;
    send = (args) => c.call(args[0]!, ...args.slice(1));
  } else if (typeof (client as NodeRedisLike).sendCommand === 'function') {
    const c = client as NodeRedisLike;
    send = (args) => c.sendCommand(args);
  } else {
    throw new TypeError('expected an ioredis client (with call) or a node-redis client (with sendCommand)');
  }
  return {
    async get(key) {
      const v = await send(['GET', key]);
      if (v === null || v === undefined) return null;
      return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
    },
    async set(key, value, ttlMs) {
      await send(ttlMs > 0 ? ['SET', key, value, 'PX', String(ttlMs)] : ['SET', key, value]);
    },
    async del(key) {
      return Number(await send(['DEL', key]));
    },
  };
}
