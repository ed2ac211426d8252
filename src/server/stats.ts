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
    readsProcessed: 0,
    writesProcessed: 0,
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

/**
 * The instantaneous rates of INFO stats, sampled together by the server
 * cron: commands (`instantaneous_ops_per_sec`) and network bytes in and out
 * (`instantaneous_input_kbps`, `instantaneous_output_kbps`).
 */
export class RateMeters {
  private readonly ops = new OpsMeter();
  private readonly input = new OpsMeter();
  private readonly output = new OpsMeter();

  /** Takes a sample of each counter. */
  sample(stats: Stats): void {
    this.ops.sample(stats.totalCommands);
    this.input.sample(stats.netInputBytes);
    this.output.sample(stats.netOutputBytes);
  }

  /** Commands per second. */
  get opsPerSec(): number {
    return this.ops.perSecond;
  }

  /** Bytes received per second. */
  get inputBytesPerSec(): number {
    return this.input.perSecond;
  }

  /** Bytes sent per second. */
  get outputBytesPerSec(): number {
    return this.output.perSecond;
  }

  /** CONFIG RESETSTAT: the counters restart from zero. */
  reset(): void {
    this.ops.reset();
    this.input.reset();
    this.output.reset();
  }
}
