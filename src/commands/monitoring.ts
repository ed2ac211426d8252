/**
 * What the server records about the commands it runs and the pauses it
 * makes, as Redis 7.0 records them: the slow log (slowlog.c), the latency
 * monitor's event time series (latency.c), and the per-command latency
 * histograms of LATENCY HISTOGRAM and INFO latencystats (server.c
 * `updateCommandLatencyHistogram`, HdrHistogram with 2 significant digits).
 *
 * Plain data structures: the dispatcher and the cron feed them
 * (src/server/dispatch.ts, src/server/server.ts), the SLOWLOG and LATENCY
 * commands read them (./slowlog.ts, ./latency.ts).
 */

/** Arguments kept per slow log entry; the last says how many more there were (slowlog.h `SLOWLOG_ENTRY_MAX_ARGC`). */
export const SLOWLOG_MAX_ARGC = 32;
/** Bytes kept per argument (slowlog.h `SLOWLOG_ENTRY_MAX_STRING`). */
export const SLOWLOG_MAX_STRING = 128;

/** One slow log entry (slowlog.h `slowlogEntry`). */
export interface SlowLogEntry {
  readonly id: number;
  /** Unix seconds when it was logged. */
  readonly time: number;
  /** Microseconds the command ran. */
  readonly duration: number;
  /** The arguments, trimmed (copies). */
  readonly argv: readonly Buffer[];
  /** The client's `ip:port`, and its name. */
  readonly addr: string;
  readonly name: string;
}

const REDACTED = Buffer.from('(redacted)');

/** Settings whose values Redis hides from the slow log and MONITOR (config.c's SENSITIVE_CONFIG). */
const SENSITIVE_SETTINGS = new Set(['requirepass', 'masterauth']);

/**
 * A command's arguments with the secrets replaced by `(redacted)`, as Redis
 * redacts them before the slow log and MONITOR see them
 * (`redactClientCommandArgument`): AUTH's arguments, HELLO's AUTH username
 * and password, MIGRATE's AUTH and AUTH2 credentials, and CONFIG SET's
 * values of sensitive settings.
 *
 * @param name the command's full table name (`config|set`)
 */
export function redactedArgv(name: string, argv: readonly Uint8Array[]): readonly Uint8Array[] {
  const word = (i: number): string => Buffer.from(argv[i]!).toString('latin1').toLowerCase();
  let out: Uint8Array[] | null = null;
  const redact = (i: number): void => {
    if (i >= argv.length) return;
    out ??= [...argv];
    out[i] = REDACTED;
  };
  if (name === 'auth') for (let i = 1; i < argv.length; i++) redact(i);
  else if (name === 'hello') {
    for (let i = 2; i < argv.length; i++) {
      if (word(i) !== 'auth') continue;
      redact(i + 1);
      redact(i + 2);
      i += 2;
    }
  } else if (name === 'migrate') {
    for (let i = 6; i < argv.length; i++) {
      const w = word(i);
      if (w === 'auth') {
        redact(i + 1);
        i += 1;
      } else if (w === 'auth2') {
        redact(i + 1);
        redact(i + 2);
        i += 2;
      } else if (w === 'keys') break;
    }
  } else if (name === 'config|set') {
    for (let i = 2; i + 1 < argv.length; i += 2) if (SENSITIVE_SETTINGS.has(word(i))) redact(i + 1);
  }
  return out ?? argv;
}

/** The slow log: newest entry first, at most `maxLen` of them. */
export class SlowLog {
  /** Oldest first; replies read it from the end. */
  private entries: SlowLogEntry[] = [];
  private nextId = 0;
  /** `slowlog-max-len`. */
  private max: number;

  /** @param maxLen `slowlog-max-len` */
  constructor(maxLen: number) {
    this.max = maxLen;
  }

  /** Number of entries (SLOWLOG LEN). */
  get length(): number {
    return this.entries.length;
  }

  /** Changes `slowlog-max-len`, dropping the oldest entries past it. */
  set maxLen(n: number) {
    this.max = n;
    this.trim();
  }

  /**
   * Logs a command (slowlog.c `slowlogCreateEntry`): at most
   * {@link SLOWLOG_MAX_ARGC} arguments, the last replaced by `... (N more
   * arguments)`, and each cut to {@link SLOWLOG_MAX_STRING} bytes followed by
   * `... (N more bytes)`.
   *
   * @param argv the command as the client sent it (views: copied here)
   * @param duration microseconds
   */
  push(argv: readonly Uint8Array[], duration: number, addr: string, name: string): void {
    const argc = Math.min(argv.length, SLOWLOG_MAX_ARGC);
    const kept: Buffer[] = [];
    for (let j = 0; j < argc; j++) {
      if (argc !== argv.length && j === argc - 1) {
        kept.push(Buffer.from(`... (${argv.length - argc + 1} more arguments)`));
        continue;
      }
      const a = argv[j]!;
      if (a.length > SLOWLOG_MAX_STRING) {
        const more = Buffer.from(`... (${a.length - SLOWLOG_MAX_STRING} more bytes)`);
        kept.push(Buffer.concat([a.subarray(0, SLOWLOG_MAX_STRING), more]));
      } else {
        kept.push(Buffer.from(a));
      }
    }
    this.entries.push({
      id: this.nextId++,
      time: Math.floor(Date.now() / 1000),
      duration: Math.floor(duration),
      argv: kept,
      addr,
      name,
    });
    this.trim();
  }

  /** The newest `count` entries, newest first. */
  newest(count: number): SlowLogEntry[] {
    const out: SlowLogEntry[] = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < count; i--) out.push(this.entries[i]!);
    return out;
  }

  /** SLOWLOG RESET: drops every entry (ids go on counting, as in Redis). */
  reset(): void {
    this.entries = [];
  }

  private trim(): void {
    const over = this.entries.length - this.max;
    if (over > 0) this.entries.splice(0, over);
  }
}

/** Samples kept per latency event (latency.h `LATENCY_TS_LEN`). */
export const LATENCY_TS_LEN = 160;

/** One latency event's time series (latency.h `latencyTimeSeries`). */
export interface LatencySeries {
  /** Ring of samples: Unix seconds (0: unused) and milliseconds. */
  readonly times: Float64Array;
  readonly latencies: Float64Array;
  /** Next slot to write. */
  idx: number;
  /** Highest latency ever seen, ms. */
  max: number;
}

/**
 * The latency monitor (latency.c): one time series per event name, created
 * at its first sample. The events FlashCache reports are listed in
 * docs/ARCHITECTURE.md, "Latency monitor".
 */
export class LatencyMonitor {
  /** By event name, in creation order. */
  readonly events = new Map<string, LatencySeries>();
  /** `latency-monitor-threshold`, ms; 0 disables the monitor. */
  threshold: number;

  constructor(threshold: number) {
    this.threshold = threshold;
  }

  /**
   * Records `ms` for `event` when the monitor is on and it reaches the
   * threshold (latency.h `latencyAddSampleIfNeeded`).
   */
  addIfNeeded(event: string, ms: number): void {
    if (this.threshold > 0 && ms >= this.threshold) this.add(event, Math.floor(ms));
  }

  /**
   * Adds a sample (latency.c `latencyAddSample`): a second sample in the same
   * second keeps the higher of the two.
   */
  add(event: string, ms: number): void {
    let ts = this.events.get(event);
    if (ts === undefined) {
      ts = { times: new Float64Array(LATENCY_TS_LEN), latencies: new Float64Array(LATENCY_TS_LEN), idx: 0, max: 0 };
      this.events.set(event, ts);
    }
    const now = Math.floor(Date.now() / 1000);
    if (ms > ts.max) ts.max = ms;
    const prev = (ts.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
    if (ts.times[prev] === now) {
      if (ms > ts.latencies[prev]!) ts.latencies[prev] = ms;
      return;
    }
    ts.times[ts.idx] = now;
    ts.latencies[ts.idx] = ms;
    ts.idx = (ts.idx + 1) % LATENCY_TS_LEN;
  }

  /**
   * Drops the series of `event` (any case), or every series when null
   * (latency.c `latencyResetEvent`).
   *
   * @returns how many were dropped
   */
  reset(event: string | null): number {
    let n = 0;
    for (const name of [...this.events.keys()]) {
      if (event === null || name.toLowerCase() === event.toLowerCase()) {
        this.events.delete(name);
        n++;
      }
    }
    return n;
  }

  /** The samples of a series, oldest first: [Unix seconds, ms]. */
  static samples(ts: LatencySeries): [number, number][] {
    const out: [number, number][] = [];
    for (let j = 0; j < LATENCY_TS_LEN; j++) {
      const i = (ts.idx + j) % LATENCY_TS_LEN;
      if (ts.times[i] !== 0) out.push([ts.times[i]!, ts.latencies[i]!]);
    }
    return out;
  }
}

/**
 * Buckets of a command's latency histogram: bucket k counts the calls whose
 * duration is at most {@link histogramBucketUsec}(k). They are the reporting
 * levels of Redis's LATENCY HISTOGRAM (1024 ns doubling, over an
 * HdrHistogram of 2 significant digits, up to 1 s).
 */
export const HISTOGRAM_BUCKETS = 21;

/**
 * The highest nanoseconds HdrHistogram (2 significant digits) holds in the
 * same sub-bucket as 1024·2^k ns: 1024·2^k + 8·2^k − 1.
 */
function bucketHighestNs(k: number): number {
  return 1032 * 2 ** k - 1;
}

/** The upper bound LATENCY HISTOGRAM prints for bucket `k`, µs (1, 2, 4, 8, 16, 33, 66, 132...). */
export function histogramBucketUsec(k: number): number {
  return Math.floor(bucketHighestNs(k) / 1000);
}

/**
 * The bucket of a call that took `usec` microseconds: Redis records whole
 * microseconds as nanoseconds, at least 1 ns and at most 1 s.
 */
export function histogramBucket(usec: number): number {
  const ns = Math.floor(usec) * 1000;
  if (ns <= 1031) return 0;
  let k = 31 - Math.clz32(Math.floor(ns / 1032));
  if (bucketHighestNs(k) < ns) k++;
  return k < HISTOGRAM_BUCKETS ? k : HISTOGRAM_BUCKETS - 1;
}

/**
 * The value at percentile `p` (0-100) of a histogram, µs, as INFO
 * latencystats prints it: the upper bound of the bucket that holds it
 * (Redis reports HdrHistogram's value at percentile, within 1%).
 */
export function histogramPercentile(buckets: Float64Array, calls: number, p: number): number {
  if (calls === 0) return 0;
  const want = Math.max(1, Math.ceil((p / 100) * calls));
  let seen = 0;
  for (let k = 0; k < buckets.length; k++) {
    seen += buckets[k]!;
    if (seen >= want) return bucketHighestNs(k) / 1000;
  }
  return bucketHighestNs(buckets.length - 1) / 1000;
}
