/** Tuning constants of the WAL writer (writer.ts); the figures behind them are in bench/RESULTS.md. */

/**
 * Most batches being written at once. Under `always` each is a synced write
 * of its own; the disk completes concurrent synced writes faster than one
 * after another (docs/ARCHITECTURE.md, "One turn", has the figures), and a
 * batch need not wait for the previous one's sync to finish before its own
 * begins. Replies are still released in LSN order: the synced LSN advances
 * only over a prefix of completed batches.
 */
export const MAX_IN_FLIGHT = 4;

/**
 * Largest batch written from the main thread under `everysec` and `no`
 * ({@link Wal.writeInline}), bytes; larger ones go to the thread pool, since
 * writing large batches inline lengthens the longest event-loop stall
 * (bench/RESULTS.md, "Measurements behind persistence constants").
 */
export const INLINE_MAX_BYTES = 64 * 1024;

/** Period of the retry timer after a failure, ms. */
export const RETRY_MS = 1000;
/** Period of the `everysec` sync, ms. */
export const EVERYSEC_MS = 1000;
