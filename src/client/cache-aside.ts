/**
 * Cache-aside over FlashCache (or any Redis-compatible server) with the
 * client the application already uses: look the key up, on a miss call the
 * loader once however many callers missed together, store the result with a
 * TTL, and when the cache is down or slow skip it through a circuit breaker
 * (opossum) so requests go straight to the loader instead of failing or
 * waiting on timeouts. docs/CLIENTS.md explains the settings.
 */
import CircuitBreaker from 'opossum';
import { type CacheClient, type CacheCommands, commandsFor } from './commands.js';

/** Why a {@link CacheAside} call was refused before anything was sent or cached. */
export type CacheAsideErrorCode = 'EKEYSIZE' | 'EBADKEY' | 'EBADTTL' | 'ESERIALIZE' | 'EVALUESIZE';

/** A refused call: a key or TTL the helper does not accept, or a loaded value it cannot store. */
export class CacheAsideError extends Error {
  /** Which rule was broken. */
  readonly code: CacheAsideErrorCode;
  constructor(code: CacheAsideErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CacheAsideError';
    this.code = code;
  }
}

/** Circuit states as opossum names them. */
export type BreakerState = 'closed' | 'open' | 'halfOpen';

/** The cache operation a hook reports on. */
export type CacheOperation = 'get' | 'set' | 'del' | 'decode';

/**
 * Metrics hooks: called synchronously, never awaited; an exception thrown by a
 * hook is swallowed so that metrics never fail a request.
 */
export interface CacheAsideHooks {
  /** A cached value was found; `ms` is the GET's round trip. */
  onHit?(key: string, ms: number): void;
  /** The key was not cached (or its value could not be decoded). */
  onMiss?(key: string): void;
  /** The cache could not be asked (breaker open, timeout, connection error): the loader runs. */
  onBypass?(key: string, reason: string): void;
  /** The loader finished; `ms` is its duration. */
  onLoad?(key: string, ms: number): void;
  /** A caller joined a load already in flight for the same key. */
  onCoalesced?(key: string): void;
  /** A cache command failed or timed out, or a cached value did not decode. */
  onCacheError?(error: unknown, op: CacheOperation, key: string): void;
  /** The breaker changed state. */
  onStateChange?(state: BreakerState): void;
}

/** How values become strings in the cache and back. */
export interface Serializer {
  /**
   * @returns the string to store
   * @throws when the value cannot be stored (the helper reports it as ESERIALIZE)
   */
  serialize(value: unknown): string;
  /** @throws when `text` is not a stored value (the helper treats the key as a miss and reloads it) */
  deserialize(text: string): unknown;
}

/** JSON, refusing values that JSON would silently drop (undefined, functions, symbols). */
export const jsonSerializer: Serializer = {
  serialize(value) {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`${typeof value} has no JSON form (return null to cache a miss)`);
    return text;
  },
  deserialize: (text) => JSON.parse(text) as unknown,
};

/** Settings of the circuit breaker (opossum's options of the same names). */
export interface BreakerOptions {
  /** A cache command slower than this counts as a failure and the loader runs instead (ms). Default 250. */
  timeout?: number;
  /** Failure percentage within the rolling window that opens the circuit. Default 50. */
  errorThresholdPercentage?: number;
  /** How long the circuit stays open before one trial command (half-open) (ms). Default 5000. */
  resetTimeout?: number;
  /** Commands needed in the window before the circuit may open. Default 5. */
  volumeThreshold?: number;
  /** Length of the rolling statistics window the failure percentage is taken over (ms). Default 2000. */
  rollingCountTimeout?: number;
}

/** Options of {@link CacheAside}. */
export interface CacheAsideOptions {
  /** Prepended to every key (e.g. `"app:"`). Default none. */
  keyPrefix?: string;
  /** Default TTL when a call gives none (seconds, > 0; 0 = no expiry). Default 0. */
  ttl?: number;
  /** Longest key accepted, prefix included (bytes). Default 1024. */
  maxKeyBytes?: number;
  /** Largest serialized value stored (bytes). Default 1 MiB; FlashCache itself takes up to `proto-max-bulk-len`. */
  maxValueBytes?: number;
  /** Default {@link jsonSerializer}. */
  serializer?: Serializer;
  /** Circuit breaker settings, or `false` for none (every call then waits on the client's own timeouts). */
  breaker?: BreakerOptions | false;
  /** Metrics hooks. */
  hooks?: CacheAsideHooks;
}

/** Per-call options of {@link CacheAside.getOrLoad}. */
export interface LoadOptions {
  /** TTL of the stored value (seconds, > 0; 0 = no expiry). Default the helper's `ttl`. */
  ttl?: number;
}

/** Counters since the helper was made. */
export interface CacheAsideStats {
  hits: number;
  misses: number;
  /** Loads done because the cache could not be asked. */
  bypasses: number;
  loads: number;
  coalesced: number;
  cacheErrors: number;
  state: BreakerState;
}

type Lookup = { hit: true; value: unknown } | { hit: false };

/**
 * opossum's defaults but for: a timeout fit for a cache, a shorter reset, a 2 s
 * statistics window (at opossum's 10 s a busy client keeps the circuit closed
 * through seconds of failures, outvoted by the successes before the outage),
 * and no rolling latency percentiles (opossum would sort every call's latency
 * in the window on each failure: 600,000 of them at 60,000 hits/s, stalling
 * the event loop for a second per failure just when the cache goes down).
 */
const DEFAULTS = {
  timeout: 250,
  errorThresholdPercentage: 50,
  resetTimeout: 5000,
  volumeThreshold: 5,
  rollingCountTimeout: 2000,
  rollingPercentilesEnabled: false,
};

/**
 * Cache-aside with request coalescing and a circuit breaker, over an ioredis
 * or node-redis client.
 *
 * @example
 * const cache = new CacheAside(new Redis({ enableOfflineQueue: false }), { keyPrefix: 'user:', ttl: 300 });
 * const user = await cache.getOrLoad(id, () => db.users.find(id));
 */
export class CacheAside {
  readonly #commands: CacheCommands;
  readonly #breaker: CircuitBreaker<[() => Promise<unknown>], unknown> | null;
  readonly #inflight = new Map<string, Promise<unknown>>();
  readonly #prefix: string;
  readonly #ttl: number;
  readonly #maxKeyBytes: number;
  readonly #maxValueBytes: number;
  readonly #serializer: Serializer;
  readonly #hooks: CacheAsideHooks;
  readonly #stats: Omit<CacheAsideStats, 'state'> = {
    hits: 0,
    misses: 0,
    bypasses: 0,
    loads: 0,
    coalesced: 0,
    cacheErrors: 0,
  };

  /**
   * @param client an ioredis `Redis`/`Cluster` or a node-redis client, connected by the caller
   * @throws TypeError when `client` is neither
   * @throws CacheAsideError EBADTTL when `options.ttl` is not a non-negative finite number
   */
  constructor(client: CacheClient, options: CacheAsideOptions = {}) {
    this.#commands = commandsFor(client);
    this.#prefix = options.keyPrefix ?? '';
    this.#ttl = checkTtl(options.ttl ?? 0);
    this.#maxKeyBytes = options.maxKeyBytes ?? 1024;
    this.#maxValueBytes = options.maxValueBytes ?? 1024 * 1024;
    this.#serializer = options.serializer ?? jsonSerializer;
    this.#hooks = options.hooks ?? {};
    if (options.breaker === false) {
      this.#breaker = null;
    } else {
      const b = new CircuitBreaker((op: () => Promise<unknown>) => op(), { ...DEFAULTS, ...options.breaker });
      b.on('open', () => this.#hook('onStateChange', 'open'));
      b.on('halfOpen', () => this.#hook('onStateChange', 'halfOpen'));
      b.on('close', () => this.#hook('onStateChange', 'closed'));
      this.#breaker = b;
    }
  }

  /**
   * Returns the cached value of `key`, or loads, stores and returns it. Callers
   * that miss the same key while its load runs share that one load. When the
   * cache is unavailable the loader's value is returned and nothing is stored.
   *
   * @param key the key without the helper's prefix
   * @param loader produces the value on a miss; its rejection is passed to every waiting caller and nothing is cached
   * @throws CacheAsideError EBADKEY / EKEYSIZE for a key that is not a string or longer than `maxKeyBytes`,
   *   EBADTTL for a bad TTL, ESERIALIZE for a loaded value the serializer refuses, EVALUESIZE for one over
   *   `maxValueBytes` (the value is not stored)
   */
  getOrLoad<T>(key: string, loader: () => T | Promise<T>, options: LoadOptions = {}): Promise<T> {
    let full: string;
    let ttl: number;
    try {
      full = this.#key(key);
      ttl = options.ttl === undefined ? this.#ttl : checkTtl(options.ttl);
    } catch (e) {
      return Promise.reject(e);
    }
    const pending = this.#inflight.get(full);
    if (pending) {
      this.#stats.coalesced++;
      this.#hook('onCoalesced', key);
      return pending as Promise<T>;
    }
    const p = this.#resolve(key, full, loader, ttl).finally(() => this.#inflight.delete(full));
    this.#inflight.set(full, p);
    return p;
  }

  /**
   * Deletes `key` from the cache (after the source of truth changed).
   *
   * @returns whether the cache answered (false when it was unavailable: the entry may live until its TTL)
   * @throws CacheAsideError EBADKEY / EKEYSIZE as {@link CacheAside.getOrLoad}
   */
  async invalidate(key: string): Promise<boolean> {
    const full = this.#key(key);
    try {
      await this.#call(() => this.#commands.del(full));
      return true;
    } catch (e) {
      this.#cacheError(e, 'del', key);
      return false;
    }
  }

  /** Counters and the breaker's state. */
  stats(): CacheAsideStats {
    return { ...this.#stats, state: this.state };
  }

  /** The breaker's state (`closed` when there is no breaker). */
  get state(): BreakerState {
    if (!this.#breaker) return 'closed';
    return this.#breaker.opened ? 'open' : this.#breaker.halfOpen ? 'halfOpen' : 'closed';
  }

  /** Stops the breaker's timers. The client is the caller's to close. */
  close(): void {
    this.#breaker?.shutdown();
  }

  async #resolve<T>(key: string, full: string, loader: () => T | Promise<T>, ttl: number): Promise<T> {
    const found = await this.#lookup(key, full);
    if (found.hit) return found.value as T;
    const started = performance.now();
    const value = await loader();
    this.#stats.loads++;
    this.#hook('onLoad', key, performance.now() - started);
    let text: string;
    try {
      text = this.#serializer.serialize(value);
    } catch (e) {
      throw new CacheAsideError('ESERIALIZE', `the value loaded for "${key}" cannot be serialized: ${message(e)}`, {
        cause: e,
      });
    }
    const bytes = Buffer.byteLength(text);
    if (bytes > this.#maxValueBytes) {
      throw new CacheAsideError(
        'EVALUESIZE',
        `the value loaded for "${key}" is ${bytes} bytes serialized, over maxValueBytes (${this.#maxValueBytes})`,
      );
    }
    try {
      await this.#call(() => this.#commands.set(full, text, ttl > 0 ? Math.max(1, Math.round(ttl * 1000)) : 0));
    } catch (e) {
      this.#cacheError(e, 'set', key);
    }
    return value;
  }

  async #lookup(key: string, full: string): Promise<Lookup> {
    const started = performance.now();
    let text: string | null;
    try {
      text = (await this.#call(() => this.#commands.get(full))) as string | null;
    } catch (e) {
      this.#stats.bypasses++;
      this.#cacheError(e, 'get', key);
      this.#hook('onBypass', key, message(e));
      return { hit: false };
    }
    if (text !== null) {
      try {
        const value = this.#serializer.deserialize(text);
        this.#stats.hits++;
        this.#hook('onHit', key, performance.now() - started);
        return { hit: true, value };
      } catch (e) {
        this.#cacheError(e, 'decode', key);
      }
    }
    this.#stats.misses++;
    this.#hook('onMiss', key);
    return { hit: false };
  }

  #call(op: () => Promise<unknown>): Promise<unknown> {
    return this.#breaker ? this.#breaker.fire(op) : op();
  }

  #key(key: string): string {
    if (typeof key !== 'string') throw new CacheAsideError('EBADKEY', `a key must be a string, not ${typeof key}`);
    const full = this.#prefix + key;
    const bytes = Buffer.byteLength(full);
    if (bytes > this.#maxKeyBytes) {
      throw new CacheAsideError(
        'EKEYSIZE',
        `key is ${bytes} bytes with its prefix, over maxKeyBytes (${this.#maxKeyBytes})`,
      );
    }
    return full;
  }

  #cacheError(e: unknown, op: CacheOperation, key: string): void {
    this.#stats.cacheErrors++;
    this.#hook('onCacheError', e, op, key);
  }

  #hook<K extends keyof CacheAsideHooks>(name: K, ...args: Parameters<NonNullable<CacheAsideHooks[K]>>): void {
    const fn = this.#hooks[name] as ((...a: unknown[]) => void) | undefined;
    if (!fn) return;
    try {
      fn(...args);
    } catch {
      // Metrics must never fail a request.
    }
  }
}

function checkTtl(ttl: number): number {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
    throw new CacheAsideError('EBADTTL', `ttl must be a non-negative number of seconds, not ${String(ttl)}`);
  }
  return ttl;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
