/**
 * Eviction: what makes FlashCache a cache. When the data outgrows
 * `maxmemory`, keys are removed by the operator's `maxmemory-policy` before
 * a write that can grow memory runs, as Redis's `performEvictions` does
 * (evict.c). Each removal is reported to the server, which logs it to the WAL
 * as a DEL so that recovery, and later replicas, reach the same keyspace.
 *
 * Policies (https://redis.io/docs/latest/develop/reference/eviction/):
 * - `noeviction`: nothing is removed; writes that can grow memory get `-OOM`.
 * - `allkeys-lru`, `volatile-lru`: least recently used first.
 * - `allkeys-lfu`, `volatile-lfu`: least frequently used first (Redis's
 *   logarithmic counter with decay).
 * - `allkeys-fifo`, `volatile-fifo`: oldest insertion first (FlashCache's;
 *   Redis has no FIFO).
 * - `allkeys-random`, `volatile-random`: any key.
 * - `volatile-ttl`: nearest expiry first.
 * `volatile-*` consider only keys with a TTL.
 *
 * LRU, LFU, FIFO and TTL are approximated as in Redis: each round samples
 * `maxmemory-samples` keys per database into a pool of the 16 best
 * candidates seen so far, and removes the best that still exists. The
 * per-key data they rank by is one 32-bit *access word* per index slot
 * (src/store/access.ts), kept beside the index and never in the arena pages
 * (docs/ARCHITECTURE.md, "Eviction").
 */
import { AccessMode, idleMs, lfuDecayed } from './access.js';
import { Arena, Entry } from './arena.js';
import type { Db } from './db.js';
import type { Keyspace } from './keyspace.js';

/** `maxmemory-policy` values: Redis's eight, in its order, then the two FIFO ones. */
export const EVICTION_POLICIES = [
  'volatile-lru',
  'volatile-lfu',
  'volatile-random',
  'volatile-ttl',
  'allkeys-lru',
  'allkeys-lfu',
  'allkeys-random',
  'noeviction',
  'volatile-fifo',
  'allkeys-fifo',
] as const;

/** A `maxmemory-policy` value. */
export type EvictionPolicy = (typeof EVICTION_POLICIES)[number];

/** How a policy ranks candidates. */
const enum Rank {
  None = 0,
  Lru = 1,
  Lfu = 2,
  Fifo = 3,
  Ttl = 4,
  Random = 5,
}

/** The access-word meaning a policy needs. */
export function accessModeOf(policy: EvictionPolicy): AccessMode {
  if (policy.endsWith('-lfu')) return AccessMode.Lfu;
  if (policy.endsWith('-fifo')) return AccessMode.Fifo;
  return AccessMode.Lru;
}

function rankOf(policy: EvictionPolicy): Rank {
  if (policy === 'noeviction') return Rank.None;
  if (policy.endsWith('-lru')) return Rank.Lru;
  if (policy.endsWith('-lfu')) return Rank.Lfu;
  if (policy.endsWith('-fifo')) return Rank.Fifo;
  if (policy.endsWith('-ttl')) return Rank.Ttl;
  return Rank.Random;
}

/**
 * The time a command may spend evicting before the rest is left to the
 * background, from `maxmemory-eviction-tenacity` (evict.c
 * `evictionTimeLimitUs`): 50 µs per step up to 10, then 15% more per step;
 * 100 means no limit.
 *
 * @returns microseconds
 */
export function evictionTimeLimitUs(tenacity: number): number {
  if (tenacity <= 10) return 50 * tenacity;
  if (tenacity < 100) return Math.floor(500 * 1.15 ** (tenacity - 10));
  return Number.POSITIVE_INFINITY;
}

/** Candidates kept between rounds (evict.c `EVPOOL_SIZE`). */
export const EVPOOL_SIZE = 16;

/** Outcome of {@link Evictor.evict}. */
export const enum EvictResult {
  /** Memory is within `maxmemory` (or there is no limit). */
  Ok = 0,
  /** Still over, but keys are being removed: the time limit ran out. The caller lets the command run. */
  Running = 1,
  /** Over the limit and nothing more can be removed: writes that grow memory get OOM. */
  Fail = 2,
}

/** What the evictor needs from the server. */
export interface EvictionHooks {
  /**
   * A key was evicted: log it to the WAL as a DEL and count it.
   *
   * @param key the key (a view, valid during the call)
   */
  onEvicted(db: number, key: Buffer): void;
}

/** Settings the evictor reads; the server keeps them current (CONFIG SET). */
export interface EvictionSettings {
  /** `maxmemory`, bytes; 0 for no limit. */
  maxmemory: number;
  policy: EvictionPolicy;
  /** `maxmemory-samples`: keys sampled per database per round. */
  samples: number;
  /** Microseconds one call of {@link Evictor.evict} may run (see {@link evictionTimeLimitUs}). */
  timeLimitUs: number;
}

/**
 * Removes keys until the keyspace's data fits `maxmemory` (evict.c
 * `performEvictions`, `evictionPoolPopulate`).
 *
 * The pool holds no key bytes: a candidate is its database, index hash and
 * arena reference, and it is found again by probing the index for that
 * pair (`Db.slotOfHashRef`). An entry that was rewritten since it was
 * sampled (new reference) simply drops out. So sampling allocates nothing,
 * which matters: a cache at its limit evicts once per write.
 */
export class Evictor {
  /** Keys evicted since start or CONFIG RESETSTAT (INFO `evicted_keys`). */
  evictedKeys = 0;
  /**
   * True while clients are paused (CLIENT PAUSE): nothing is evicted and
   * nothing is refused for memory (evict.c `isSafeToPerformEvictions`).
   */
  paused = false;
  // The pool, sorted by score ascending (the best candidate is last), as parallel arrays.
  private size = 0;
  private readonly scores = new Float64Array(EVPOOL_SIZE);
  private readonly dbIds = new Uint32Array(EVPOOL_SIZE);
  private readonly hashes = new Uint32Array(EVPOOL_SIZE);
  private readonly poolRefs = new Uint32Array(EVPOOL_SIZE);
  private readonly poolWords = new Uint32Array(EVPOOL_SIZE);
  /** Database the random policies take the next key from (round robin, as Redis). */
  private nextDb = 0;
  // Sampling output, reused.
  private readonly refs: number[] = [];
  private readonly words: number[] = [];
  private readonly sampleHashes: number[] = [];
  /** The database of the slot the last victim search returned. */
  private victimDb: Db | null = null;

  constructor(
    private readonly ks: Keyspace,
    readonly settings: EvictionSettings,
    private readonly hooks: EvictionHooks,
  ) {}

  /** Bytes over `maxmemory` now; 0 or less when within it or unlimited. */
  get excess(): number {
    const max = this.settings.maxmemory;
    return max === 0 ? 0 : this.ks.dataBytes - max;
  }

  /** Forgets pooled candidates (the policy changed). */
  reset(): void {
    this.size = 0;
  }

  /**
   * Evicts until the data fits `maxmemory`, the time limit passes, or
   * nothing is left to evict. Each key is reported to the hooks (logged as
   * DEL) before it is removed.
   *
   * @param limitUs time budget, µs (default: the tenacity's)
   */
  evict(limitUs = this.settings.timeLimitUs): EvictResult {
    if (this.excess <= 0 || this.paused) return EvictResult.Ok;
    const lat = this.latency;
    if (lat === null) return this.evictFor(limitUs, null);
    const t0 = performance.now();
    const result = this.evictFor(limitUs, lat);
    lat('eviction-cycle', performance.now() - t0);
    return result;
  }

  /**
   * Reports how long eviction takes to the latency monitor (evict.c's
   * `eviction-cycle` and `eviction-del` events), or null: no clock is read
   * for it. The server sets it while `latency-monitor-threshold` is on.
   */
  latency: ((event: string, ms: number) => void) | null = null;

  private evictFor(limitUs: number, lat: ((event: string, ms: number) => void) | null): EvictResult {
    const rank = rankOf(this.settings.policy);
    if (rank === Rank.None) return EvictResult.Fail;
    const volatileOnly = this.settings.policy.startsWith('volatile-');
    const deadline = performance.now() + limitUs / 1000;
    let n = 0;
    while (this.excess > 0) {
      const slot = rank === Rank.Random ? this.randomVictim(volatileOnly) : this.pooledVictim(rank, volatileOnly);
      if (slot < 0) return EvictResult.Fail;
      const db = this.victimDb!;
      const d0 = lat === null ? 0 : performance.now();
      this.hooks.onEvicted(db.id, db.key(slot));
      db.deleteSlot(slot);
      if (lat !== null) lat('eviction-del', performance.now() - d0);
      this.evictedKeys++;
      // Reading the clock costs more than removing a key: look every 16 keys, as Redis does.
      if ((++n & 15) === 0 && performance.now() >= deadline)
        return this.excess > 0 ? EvictResult.Running : EvictResult.Ok;
    }
    return EvictResult.Ok;
  }

  /** A random key's slot, from the databases in turn (its database in {@link victimDb}); -1 when there is none. */
  private randomVictim(volatileOnly: boolean): number {
    const dbs = this.ks.dbs;
    for (let k = 0; k < dbs.length; k++) {
      const db = dbs[this.nextDb]!;
      this.nextDb = (this.nextDb + 1) % dbs.length;
      const slot = volatileOnly
        ? db.sampleInto(1, true, this.refs, this.words, this.sampleHashes) > 0
          ? db.slotOfHashRef(this.sampleHashes[0]!, this.refs[0]!)
          : -1
        : db.randomSlot();
      if (slot >= 0) {
        this.victimDb = db;
        return slot;
      }
    }
    return -1;
  }

  /**
   * The best candidate that still exists: refills the pool from every
   * database, then takes from its best end. A candidate whose key was used
   * since it was pooled is ranked again rather than evicted.
   *
   * @returns the victim's slot (its database in {@link victimDb}), or -1
   */
  private pooledVictim(rank: Rank, volatileOnly: boolean): number {
    const dbs = this.ks.dbs;
    for (let rounds = 0; rounds < 64; rounds++) {
      let total = 0;
      for (let i = 0; i < dbs.length; i++) {
        const db = dbs[i]!;
        const size = volatileOnly ? db.volatileCount : db.size;
        if (size === 0) continue;
        total += size;
        this.populate(db, rank, volatileOnly);
      }
      if (total === 0) return -1;
      while (this.size > 0) {
        const k = --this.size;
        const db = dbs[this.dbIds[k]!]!;
        const ref = this.poolRefs[k]!;
        const slot = db.slotOfHashRef(this.hashes[k]!, ref);
        if (slot < 0) continue;
        // PERSIST, or SET without a TTL in place, since it was sampled: no longer a candidate.
        if (volatileOnly && !db.isVolatile(slot)) continue;
        const word = db.accessWord(slot);
        if (word !== this.poolWords[k]! || rank === Rank.Ttl) {
          // Used (or its TTL changed) since it was sampled: rank it again.
          const score = this.score(rank, ref, word);
          if (score !== this.scores[k]! && this.size > 0 && score < this.scores[this.size - 1]!) {
            this.offer(score, db.id, this.hashes[k]!, ref, word);
            continue;
          }
        }
        this.victimDb = db;
        return slot;
      }
    }
    return -1;
  }

  /** Samples `maxmemory-samples` keys of `db` into the pool. */
  private populate(db: Db, rank: Rank, volatileOnly: boolean): void {
    const n = db.sampleInto(this.settings.samples, volatileOnly, this.refs, this.words, this.sampleHashes);
    for (let i = 0; i < n; i++) {
      const ref = this.refs[i]!;
      const score = this.score(rank, ref, this.words[i]!);
      if (this.size === EVPOOL_SIZE && score <= this.scores[0]!) continue;
      let seen = false;
      for (let k = 0; k < this.size; k++) if (this.poolRefs[k] === ref && this.dbIds[k] === db.id) seen = true;
      if (!seen) this.offer(score, db.id, this.sampleHashes[i]!, ref, this.words[i]!);
    }
  }

  /** Puts a candidate in its place in the pool, dropping the worst when full. */
  private offer(score: number, db: number, hash: number, ref: number, word: number): void {
    let k = 0;
    while (k < this.size && this.scores[k]! <= score) k++;
    if (this.size === EVPOOL_SIZE) {
      // Full: drop the worst (index 0); the new one goes just below position k.
      if (k === 0) return;
      this.shift(1, 0, k - 1);
      k--;
    } else {
      this.shift(k, k + 1, this.size - k);
      this.size++;
    }
    this.scores[k] = score;
    this.dbIds[k] = db;
    this.hashes[k] = hash;
    this.poolRefs[k] = ref;
    this.poolWords[k] = word;
  }

  /**
   * Moves `n` pool entries from index `from` to index `to` (element loops: for 16 entries, five copyWithin calls cost
   * more).
   */
  private shift(from: number, to: number, n: number): void {
    const { scores, dbIds, hashes, poolRefs, poolWords } = this;
    if (to < from) {
      for (let i = 0; i < n; i++) {
        scores[to + i] = scores[from + i]!;
        dbIds[to + i] = dbIds[from + i]!;
        hashes[to + i] = hashes[from + i]!;
        poolRefs[to + i] = poolRefs[from + i]!;
        poolWords[to + i] = poolWords[from + i]!;
      }
    } else {
      for (let i = n - 1; i >= 0; i--) {
        scores[to + i] = scores[from + i]!;
        dbIds[to + i] = dbIds[from + i]!;
        hashes[to + i] = hashes[from + i]!;
        poolRefs[to + i] = poolRefs[from + i]!;
        poolWords[to + i] = poolWords[from + i]!;
      }
    }
  }

  /** How much a key deserves eviction under `rank`: idle time, inverse frequency, age, or nearness of expiry. */
  private score(rank: Rank, ref: number, word: number): number {
    const ks = this.ks;
    switch (rank) {
      case Rank.Lfu:
        return 255 - lfuDecayed(word, ks.clockMs, ks.lfuDecayTime);
      case Rank.Ttl: {
        const page = ks.arena.pages[Arena.pageOf(ref)]!;
        return -Entry.expireAt(page, Arena.offsetOf(ref));
      }
      default:
        return idleMs(ks.lruNow, word);
    }
  }
}
