/**
 * LATENCY LATEST | HISTORY event | RESET [event ...] | DOCTOR | GRAPH event |
 * HISTOGRAM [command ...] | HELP, with Redis 7.0's replies (latency.c). The
 * events and their time series are ./monitoring.ts (`LatencyMonitor`); which
 * events FlashCache records is docs/ARCHITECTURE.md, "Latency monitor".
 *
 * Reference: https://redis.io/docs/latest/commands/latency/
 */
import type { CommandContext, CommandSpec } from './context.js';
import { histogramBucketUsec, LatencyMonitor, type LatencySeries } from './monitoring.js';
import { container, subcommandsOf } from './table.js';
import { replyHelp } from './util.js';

/** LATENCY LATEST: per event, [name, time of the latest sample, its ms, the all-time max ms]. */
function latencyLatest(c: CommandContext): void {
  const events = c.server.latency.events;
  const r = c.reply;
  r.arrayLen(events.size);
  for (const [name, ts] of events) {
    const last = (ts.idx + ts.times.length - 1) % ts.times.length;
    r.arrayLen(4);
    r.bulkString(name);
    r.int(ts.times[last]!);
    r.int(ts.latencies[last]!);
    r.int(ts.max);
  }
}

/** LATENCY HISTORY event: [time, ms] pairs, oldest first; none for an unknown event. */
function latencyHistory(c: CommandContext, argv: Buffer[]): void {
  const ts = c.server.latency.events.get(argv[2]!.toString('latin1'));
  const samples = ts === undefined ? [] : LatencyMonitor.samples(ts);
  c.reply.arrayLen(samples.length);
  for (const [time, ms] of samples) {
    c.reply.arrayLen(2);
    c.reply.int(time);
    c.reply.int(ms);
  }
}

/** LATENCY RESET [event ...]: how many event series were dropped. */
function latencyReset(c: CommandContext, argv: Buffer[]): void {
  const lat = c.server.latency;
  if (argv.length === 2) return c.reply.int(lat.reset(null));
  let n = 0;
  for (let j = 2; j < argv.length; j++) n += lat.reset(argv[j]!.toString('latin1'));
  c.reply.int(n);
}

/** LATENCY GRAPH event: an ASCII sparkline of its samples (latency.c `latencyCommandGenSparkeline`). */
function latencyGraph(c: CommandContext, argv: Buffer[]): void {
  const name = argv[2]!.toString('latin1');
  const ts = c.server.latency.events.get(name);
  if (ts === undefined) return c.reply.error(`ERR No samples available for event '${name}'`);
  c.reply.verbatim(graph(name, ts));
}

/** Columns of LATENCY GRAPH (latency.c `LATENCY_GRAPH_COLS`). */
const GRAPH_COLS = 80;

function graph(name: string, ts: LatencySeries): string {
  const now = Math.floor(Date.now() / 1000);
  const samples = LatencyMonitor.samples(ts);
  const values = samples.map(([, ms]) => ms);
  const labels = samples.map(([time]) => {
    const e = now - time;
    if (e < 60) return `${e}s`;
    if (e < 3600) return `${Math.floor(e / 60)}m`;
    if (e < 86400) return `${Math.floor(e / 3600)}h`;
    return `${Math.floor(e / 86400)}d`;
  });
  const min = values.length > 0 ? Math.min(...values) : 0;
  const max = values.length > 0 ? Math.max(...values) : 0;
  let out = `${name} - high ${max} ms, low ${min} ms (all time high ${ts.max} ms)\n`;
  out += `${'-'.repeat(GRAPH_COLS)}\n`;
  for (let j = 0; j < values.length; j += GRAPH_COLS) {
    if (j !== 0) out += '\n';
    out += sparkline(values.slice(j, j + GRAPH_COLS), labels.slice(j, j + GRAPH_COLS), min, max, 4);
  }
  return out;
}

/**
 * Renders values as rows of `_o#` with `|` below the top (sparkline.c
 * `sparklineRenderRange` with SPARKLINE_FILL), then the labels written
 * downwards, one character per row, after one blank row.
 */
function sparkline(values: number[], labels: string[], min: number, max: number, rows: number): string {
  const charset = '_o#';
  const steps = charset.length * rows;
  const relmax = max - min === 0 ? 1 : max - min;
  let out = '';
  for (let row = 0; ; row++) {
    let loop = false;
    const chars: string[] = new Array<string>(values.length).fill(' ');
    for (let j = 0; j < values.length; j++) {
      if (row < rows) {
        let step = Math.trunc(((values[j]! - min) * steps) / relmax);
        if (step >= steps) step = steps - 1;
        const idx = step - (rows - row - 1) * charset.length;
        loop = true;
        if (idx >= 0 && idx < charset.length) chars[j] = charset[idx]!;
        else if (idx >= charset.length) chars[j] = '|';
      } else {
        if (labels.length > 0 && row - rows < 1) {
          loop = true;
          break;
        }
        const at = row - rows - 1;
        const label = labels[j]!;
        if (label.length > at) {
          loop = true;
          chars[j] = label[at]!;
        }
      }
    }
    if (!loop) return out;
    out += `${chars.join('')}\n`;
  }
}

/**
 * LATENCY DOCTOR: Redis's report (latency.c `createLatencyReport`), with the
 * advice that applies to the events recorded here.
 */
function latencyDoctor(c: CommandContext): void {
  c.reply.verbatim(doctorReport(c));
}

function doctorReport(c: CommandContext): string {
  const lat = c.server.latency;
  const cfg = c.server.config;
  if (lat.events.size === 0 && lat.threshold === 0) {
    return (
      "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use " +
      '"CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren\'t in a deep ' +
      "space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
    );
  }
  const advice = new Set<string>();
  let out = '';
  let n = 0;
  const now = Math.floor(Date.now() / 1000);
  for (const [name, ts] of lat.events) {
    n++;
    if (n === 1) {
      out +=
        'Dave, I have observed latency spikes in this Redis instance. ' +
        "You don't mind talking about it, do you Dave?\n\n";
    }
    const samples = LatencyMonitor.samples(ts);
    const sum = samples.reduce((a, [, ms]) => a + ms, 0);
    const avg = samples.length > 0 ? Math.floor(sum / samples.length) : 0;
    const mad =
      samples.length > 0 ? Math.floor(samples.reduce((a, [, ms]) => a + Math.abs(avg - ms), 0) / samples.length) : 0;
    const oldest = samples.length > 0 ? Math.min(...samples.map(([t]) => t)) : now;
    const period = Math.max(1, now - oldest);
    out +=
      `${n}. ${name}: ${samples.length} latency spikes (average ${avg}ms, mean deviation ${mad}ms, ` +
      `period ${(period / Math.max(1, samples.length)).toFixed(2)} sec). Worst all time event ${ts.max}ms.\n`;
    if (name === 'command') {
      const slower = cfg.get('slowlog-log-slower-than');
      if (slower < 0) advice.add('slowlog-enable');
      else if (slower / 1000 > lat.threshold) advice.add('slowlog-tune');
      advice.add('slowlog-inspect');
      advice.add('large-objects');
    }
    if (name === 'fast-command') advice.add('scheduler');
    if (name === 'wal-fsync' || name === 'aof-fsync-always') advice.add('fsync');
    if (name === 'expire-cycle' || name === 'eviction-del') advice.add('large-objects');
    if (name === 'eviction-cycle') advice.add('mass-eviction');
  }
  if (n === 0) {
    return (
      'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest ' +
      'bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n'
    );
  }
  if (advice.size === 0) {
    return (
      out +
      "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis " +
      'community to get some help, providing this report in your help request.\n'
    );
  }
  out += '\nI have a few advices for you:\n\n';
  const ms = lat.threshold * 1000;
  if (advice.has('slowlog-enable')) {
    out +=
      '- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log ' +
      `Redis feature using the command 'CONFIG SET slowlog-log-slower-than ${ms}'. If the Slow log is disabled ` +
      'Redis is not able to log slow commands execution for you.\n';
  }
  if (advice.has('slowlog-tune')) {
    out +=
      '- Your current Slow Log configuration only logs events that are slower than your configured latency ' +
      `monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ${ms}'.\n`;
  }
  if (advice.has('slowlog-inspect')) {
    out +=
      '- Check your Slow Log to understand what are the commands you are running which are too slow to execute. ' +
      'Please check https://redis.io/commands/slowlog for more information.\n';
  }
  if (advice.has('scheduler')) {
    out +=
      '- The system is slow to execute Redis code paths not containing system calls. This usually means the ' +
      'system does not provide Redis CPU time to run for long periods. You should try to:\n' +
      '  1) Lower the system load.\n' +
      '  2) Use a computer / VM just for Redis if you are running other software in the same system.\n' +
      '  3) Check if you have a "noisy neighbour" problem.\n' +
      "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n";
  }
  if (advice.has('fsync') && cfg.get('appendfsync') === 'always') {
    out +=
      "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if " +
      "possible try to relax the fsync policy to 'onesec'.\n";
  }
  if (advice.has('large-objects')) {
    out +=
      '- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If ' +
      'you have very large objects that are often deleted, expired, or evicted, try to fragment those objects ' +
      'into multiple smaller objects.\n';
  }
  if (advice.has('mass-eviction')) {
    out +=
      "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or " +
      'sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), ' +
      'may create sudden memory pressure forcing the server to block trying to evict keys. \n';
  }
  return out;
}

/**
 * One command's histogram (latency.c `fillCommandCDF`): a map of `calls` and
 * `histogram_usec`, itself a map from each non-empty bucket's upper bound
 * (µs) to the calls at or below it.
 */
function commandCdf(c: CommandContext, spec: CommandSpec, h: Float64Array): void {
  const r = c.reply;
  r.bulkString(spec.name);
  r.mapLen(2);
  r.bulkAscii('calls');
  r.int(h.reduce((a, b) => a + b, 0));
  r.bulkAscii('histogram_usec');
  const pairs: [number, number][] = [];
  let cumulative = 0;
  for (let k = 0; k < h.length; k++) {
    if (h[k] === 0) continue;
    cumulative += h[k]!;
    pairs.push([histogramBucketUsec(k), cumulative]);
  }
  r.mapLen(pairs.length);
  for (const [us, n] of pairs) {
    r.int(us);
    r.int(n);
  }
}

/**
 * LATENCY HISTOGRAM [command ...]: a map from command name to its
 * histogram, for every command with calls, or for those named (a
 * container's subcommands with it; unknown names skipped).
 */
function latencyHistogram(c: CommandContext, argv: Buffer[]): void {
  const table = c.server.commands;
  const chosen: CommandSpec[] = [];
  const add = (spec: CommandSpec, withSubs: boolean): void => {
    if (spec.stats.histogram !== null) chosen.push(spec);
    if (withSubs && spec.subcommands) for (const s of spec.subcommands.values()) add(s, false);
  };
  if (argv.length === 2) {
    for (const spec of table.all()) add(spec, true);
  } else {
    for (let j = 2; j < argv.length; j++) {
      const name = argv[j]!.toString('latin1').toLowerCase();
      const bar = name.indexOf('|');
      const spec = bar < 0 ? table.get(name) : table.get(name.slice(0, bar))?.subcommands?.get(name.slice(bar + 1));
      if (spec !== undefined) add(spec, true);
    }
  }
  c.reply.mapLen(chosen.length);
  for (const spec of chosen) commandCdf(c, spec, spec.stats.histogram!);
}

function latencyHelp(c: CommandContext): void {
  replyHelp(c, 'LATENCY', [
    'DOCTOR',
    '    Return a human readable latency analysis report.',
    'GRAPH <event>',
    '    Return an ASCII latency graph for the <event> class.',
    'HISTORY <event>',
    '    Return time-latency samples for the <event> class.',
    'LATEST',
    '    Return the latest latency samples for all events.',
    'RESET [<event> ...]',
    '    Reset latency data of one or more <event> classes.',
    '    (default: reset all data for all event classes)',
    'HISTOGRAM [COMMAND ...]',
    '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
    '    If no commands are specified then all histograms are replied.',
  ]);
}

const ADMIN: CommandSpec['flags'] = ['admin', 'noscript', 'loading', 'stale'];

const sub = subcommandsOf('latency', 'server', ADMIN);

/** The LATENCY container's table entry. */
export const latencyCommands: CommandSpec[] = [
  container('latency', 'server', '2.8.13', 'A container for latency diagnostics commands', [
    sub('help', 2, '2.8.13', 'O(1)', 'Show helpful text about the different subcommands.', latencyHelp, [
      'loading',
      'stale',
    ]),
    sub(
      'histogram',
      -2,
      '7.0.0',
      'O(N) where N is the number of commands with latency information being retrieved.',
      'Return the cumulative distribution of latencies of a subset of commands or all.',
      latencyHistogram,
    ),
    sub('reset', -2, '2.8.13', 'O(1)', 'Reset latency data for one or more events.', latencyReset),
    sub('latest', 2, '2.8.13', 'O(1)', 'Return the latest latency samples for all events.', latencyLatest),
    sub('history', 3, '2.8.13', 'O(1)', 'Return timestamp-latency samples for the event.', latencyHistory),
    sub('graph', 3, '2.8.13', 'O(1)', 'Return a latency graph for the event.', latencyGraph),
    sub('doctor', 2, '2.8.13', 'O(1)', 'Return a human readable latency analysis report.', latencyDoctor),
  ]),
];
