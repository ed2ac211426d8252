/**
 * Access words: the per-key data the eviction policies rank by, one 32-bit
 * word per index slot, kept beside the index (src/store/index-table.ts) and
 * never in the arena pages, so a read dirties no page and adds nothing to a
 * snapshot (docs/ARCHITECTURE.md, "Eviction"). This module is the words'
 * arithmetic: the LRU clock and the LFU counter with its logarithmic
 * increment and decay, after Redis's evict.c.
 *
 * The word holds, by {@link AccessMode}, like Redis's `robj.lru`:
 * - LRU (and the random, TTL and noeviction policies): the last access, in
 *   {@link LRU_CLOCK_RESOLUTION_MS} units, modulo 2^32;
 * - LFU: the last decrement time in minutes (bits 8-23) and the counter (bits 0-7);
 * - FIFO: the insertion time, in the LRU clock's units.
 */

/** What a key's access word means (see the module comment); `maxmemory-policy` decides it. */
export const enum AccessMode {
  /** Last access, LRU clock ticks (the `*-lru`, `*-random`, `volatile-ttl` and `noeviction` policies). */
  Lru = 0,
  /** LFU decrement minutes and counter (`*-lfu`). */
  Lfu = 1,
  /** Insertion time, LRU clock ticks (`*-fifo`). */
  Fifo = 2,
}

/**
 * Milliseconds per tick of the LRU clock. Redis ticks once a second; 4 ms
 * tells apart accesses in the same second (a busy cache sees thousands),
 * and a 32-bit clock still wraps only after 198 days, as Redis's 24-bit one
 * does after 194.
 */
export const LRU_CLOCK_RESOLUTION_MS = 4;

/**
 * The LRU clock at Unix time `ms`.
 *
 * @returns ticks of {@link LRU_CLOCK_RESOLUTION_MS}, modulo 2^32
 */
export function lruClock(ms: number): number {
  return Math.floor(ms / LRU_CLOCK_RESOLUTION_MS) >>> 0;
}

/**
 * Milliseconds since the access word `word` (LRU or FIFO) was stamped, at
 * LRU clock `now` (evict.c `estimateObjectIdleTime`); correct across the
 * clock's wrap.
 */
export function idleMs(now: number, word: number): number {
  return ((now - word) >>> 0) * LRU_CLOCK_RESOLUTION_MS;
}

/** A new key's LFU counter, so that it is not evicted before it has had a chance (server.h `LFU_INIT_VAL`). */
export const LFU_INIT_VAL = 5;

/** Redis's LFU clock: Unix minutes modulo 2^16 (evict.c `LFUGetTimeInMinutes`), from Unix time `ms`. */
export function lfuMinutes(ms: number): number {
  return Math.floor(ms / 60000) & 0xffff;
}

/** The access word of a key created at Unix time `ms` under LFU. */
export function lfuNew(ms: number): number {
  return (lfuMinutes(ms) << 8) | LFU_INIT_VAL;
}

/**
 * The counter of LFU word `word` after decay: one less per `decayMinutes`
 * elapsed since its last decrement (evict.c `LFUDecrAndReturn`). OBJECT FREQ
 * reports this.
 *
 * @param ms Unix time, ms
 * @param decayMinutes `lfu-decay-time`; 0 never decays
 * @returns the counter, 0-255
 */
export function lfuDecayed(word: number, ms: number, decayMinutes: number): number {
  const ldt = (word >>> 8) & 0xffff;
  const counter = word & 0xff;
  if (decayMinutes === 0) return counter;
  const now = lfuMinutes(ms);
  const elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
  const periods = Math.floor(elapsed / decayMinutes);
  return periods > counter ? 0 : counter - periods;
}

/**
 * Increments an LFU counter logarithmically: with probability
 * 1 / ((counter - LFU_INIT_VAL) * factor + 1), saturating at 255
 * (evict.c `LFULogIncr`).
 *
 * @param factor `lfu-log-factor`
 * @param random a uniform number in [0, 1)
 */
export function lfuLogIncr(counter: number, factor: number, random: number): number {
  if (counter === 255) return 255;
  const base = Math.max(0, counter - LFU_INIT_VAL);
  return random < 1 / (base * factor + 1) ? counter + 1 : counter;
}

/**
 * An LFU word after one access at Unix time `ms` (evict.c `updateLFU`).
 *
 * @param factor `lfu-log-factor`
 * @param decayMinutes `lfu-decay-time`
 */
export function lfuTouch(word: number, ms: number, factor: number, decayMinutes: number): number {
  const counter = lfuLogIncr(lfuDecayed(word, ms, decayMinutes), factor, Math.random());
  return (lfuMinutes(ms) << 8) | counter;
}
