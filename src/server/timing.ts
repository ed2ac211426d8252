/**
 * What the dispatcher records after each command, as Redis's `call()`
 * (server.c) does: its calls, time and failures (INFO commandstats), its
 * latency histogram (LATENCY HISTOGRAM, INFO latencystats), the slow log,
 * the latency monitor's `command` and `fast-command` events, and error
 * replies by code (INFO errorstats, `total_error_replies`).
 *
 * The handler is timed with two `performance.now()` reads; everything else
 * is a few additions and comparisons, so that it costs next to nothing when
 * commands are fast.
 */
import { performance } from 'node:perf_hooks';
import type { CommandContext, CommandSpec, Stats } from '../commands/context.js';
import {
  HISTOGRAM_BUCKETS,
  histogramBucket,
  redactedArgv,
  type LatencyMonitor,
  type SlowLog,
} from '../commands/monitoring.js';

/** Distinct error codes INFO errorstats tracks (server.h `ERRORSTATS_LIMIT`). */
const ERRORSTATS_LIMIT = 128;

/** The per-command accounting of one server. */
export class CommandTiming {
  /** `slowlog-log-slower-than`, µs; -1: off. */
  slowerThan: number;
  /** `latency-tracking`. */
  tracking: boolean;
  /** Error replies by code (`ERR`, `WRONGTYPE`...), as INFO errorstats lists them. */
  readonly errorCodes = new Map<string, number>();
  /** Errors already accounted to the commands an EXEC ran, while it runs. */
  private nestedErrors = 0;
  /** A blocked command's own time (µs) and slow log arguments, until it is served ({@link unblocked}). */
  private readonly blocked = new WeakMap<CommandContext, { spec: CommandSpec; argv: Buffer[]; us: number }>();

  /**
   * @param stats the server's counters (`total_error_replies`)
   * @param slowlog where slow commands go
   * @param latency where `command` and `fast-command` events go
   */
  constructor(
    private readonly stats: Stats,
    readonly slowlog: SlowLog,
    readonly latency: LatencyMonitor,
    slowerThan: number,
    tracking: boolean,
  ) {
    this.slowerThan = slowerThan;
    this.tracking = tracking;
  }

  /** The clock a command's time starts from, ms. */
  now(): number {
    return performance.now();
  }

  /**
   * Records a command that ran (server.c `call`, after the handler).
   *
   * @param start {@link now} before the handler
   * @param errorsBefore `c.reply.errors` before the handler
   * @param nested a command an EXEC runs: the EXEC does not count its errors again
   */
  done(
    c: CommandContext,
    spec: CommandSpec,
    argv: readonly Buffer[],
    start: number,
    errorsBefore: number,
    nested: boolean,
  ): void {
    const ms = performance.now() - start;
    const us = ms * 1000;
    const st = spec.stats;
    st.calls++;
    st.usec += us;
    let errors = c.reply.errors - errorsBefore;
    if (nested) this.nestedErrors += errors;
    else {
      errors -= this.nestedErrors;
      this.nestedErrors = 0;
    }
    if (errors > 0) {
      st.failed++;
      this.countError(c.reply.lastError, errors);
    }
    if (this.latency.threshold > 0) {
      this.latency.addIfNeeded(spec.flags.includes('fast') ? 'fast-command' : 'command', ms);
    }
    if (c.session.blockedOnKeys) {
      // server.c `call`: a blocked command's histogram sample and slow log entry wait for its unblocking.
      this.blocked.set(c, { spec, argv: argv.map((a) => Buffer.from(a)), us });
      return;
    }
    this.sample(c, spec, argv, us);
  }

  /**
   * A blocked command got its reply from a write, with `errors` error
   * replies (or CLIENT UNBLOCK ... ERROR, one), `ms` after the serving
   * began (blocked.c `updateStatsOnUnblock`):
   * its time and the reply's go to its statistics, histogram and the slow
   * log, under its own arguments; the reply's time is the latency monitor's
   * `command-unblocking` event.
   */
  unblocked(c: CommandContext, ms: number, errors: number): void {
    const b = this.blocked.get(c);
    if (b === undefined) return;
    this.blocked.delete(c);
    const us = b.us + ms * 1000;
    b.spec.stats.usec += us;
    if (errors > 0) {
      // The blocked command failed after all: its error replies count as every error reply does.
      b.spec.stats.failed++;
      this.countError(c.reply.lastError, errors);
    }
    this.sample(c, b.spec, b.argv, us);
    if (this.latency.threshold > 0) this.latency.addIfNeeded('command-unblocking', ms);
  }

  /** The latency histogram sample and the slow log entry of a command that took `us`. */
  private sample(c: CommandContext, spec: CommandSpec, argv: readonly Uint8Array[], us: number): void {
    if (this.tracking) {
      let h = spec.stats.histogram;
      if (h === null) spec.stats.histogram = h = new Float64Array(HISTOGRAM_BUCKETS);
      h[histogramBucket(us)]!++;
    }
    if (this.slowerThan >= 0 && us >= this.slowerThan && !spec.flags.includes('skip_slowlog')) {
      this.slowlog.push(redactedArgv(spec.name, argv), us, c.session.addr, c.session.name);
    }
  }

  /**
   * Counts an error reply by its code, the text before the first space
   * (networking.c `afterErrorReply`), and in `total_error_replies`.
   */
  countError(message: string, times = 1): void {
    this.stats.errorReplies += times;
    const space = message.indexOf(' ');
    const code = space < 0 ? message : message.slice(0, space);
    const n = this.errorCodes.get(code);
    if (n !== undefined) this.errorCodes.set(code, n + times);
    else if (this.errorCodes.size < ERRORSTATS_LIMIT) this.errorCodes.set(code, times);
  }

  /** CONFIG RESETSTAT: error codes and every command's statistics start again. */
  reset(commands: Iterable<CommandSpec>): void {
    this.errorCodes.clear();
    for (const spec of commands) {
      Object.assign(spec.stats, { calls: 0, usec: 0, rejected: 0, failed: 0, histogram: null });
      if (spec.subcommands) this.reset(spec.subcommands.values());
    }
  }
}
