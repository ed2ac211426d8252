/**
 * INFO stats counters: their zero state, and `instantaneous_ops_per_sec`, a
 * mean over the last samples of `total_commands_processed` taken by the
 * server cron (Redis samples the same way, `trackInstantaneousMetric`).
 */
import type { Stats } from '../commands/context.js';

/** Counters as at start and after CONFIG RESETSTAT. */
export function freshStats(): Stats {
  return {
    totalConnections: 0,
    totalCommands: 0,
    rejectedConnections: 0,
    keyspaceHits: 0,
    keyspaceMisses: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    errorReplies: 0,
    bufferLimitDisconnections: 0,
    authFailures: 0,
  };
}

/** Samples kept for the mean: 16 cron ticks of 100 ms. */
const SAMPLES = 16;

/** Commands per second over the last {@link SAMPLES} samples. */
export class OpsMeter {
  private samples: number[] = [];
  private last = { at: performance.now(), commands: 0 };

  /** Takes a sample: `commands` is the total processed so far. */
  sample(commands: number): void {
    const now = performance.now();
    this.samples.push(((commands - this.last.commands) * 1000) / (now - this.last.at));
    if (this.samples.length > SAMPLES) this.samples.shift();
    this.last = { at: now, commands };
  }

  /** INFO `instantaneous_ops_per_sec`. */
  get perSecond(): number {
    if (this.samples.length === 0) return 0;
    return Math.round(this.samples.reduce((a, b) => a + b, 0) / this.samples.length);
  }

  /** Starts again from zero commands (CONFIG RESETSTAT: the samples are differences of a counter that restarts). */
  reset(): void {
    this.samples = [];
    this.last = { at: performance.now(), commands: 0 };
  }
}
