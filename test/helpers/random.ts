/**
 * Seeded randomness for tests: the seed is printed so a failure can be
 * replayed with `FLASHCACHE_TEST_SEED=<seed>`.
 */

/** A seed from `FLASHCACHE_TEST_SEED`, or a fresh one; printed either way. */
export function testSeed(label: string): number {
  const env = process.env['FLASHCACHE_TEST_SEED'];
  const seed = env !== undefined ? Number(env) : Math.floor(Math.random() * 2 ** 31);
  process.stdout.write(`# ${label}: seed ${seed} (rerun with FLASHCACHE_TEST_SEED=${seed})\n`);
  return seed;
}

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
