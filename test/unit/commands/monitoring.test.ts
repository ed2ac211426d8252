/**
 * The slow log, the latency monitor's time series and the per-command
 * latency histogram buckets (src/commands/monitoring.ts). Bucket labels are
 * redis-server 7.0.15's LATENCY HISTOGRAM labels, collected with DEBUG SLEEP
 * and SET calls of known durations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HISTOGRAM_BUCKETS,
  histogramBucket,
  histogramBucketUsec,
  histogramPercentile,
  LatencyMonitor,
  redactedArgv,
  SlowLog,
} from '../../../src/commands/monitoring.js';

test('histogram buckets carry the labels Redis prints and take durations up to their label', () => {
  const labels = Array.from({ length: 16 }, (_, k) => histogramBucketUsec(k));
  assert.deepEqual(labels, [1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816]);
  assert.equal(histogramBucket(0), 0);
  assert.equal(histogramBucket(1), 0);
  assert.equal(histogramBucket(1.9), 0, 'whole microseconds, as Redis records them');
  assert.equal(histogramBucket(2), 1);
  assert.equal(histogramBucket(3), 2);
  assert.equal(histogramBucket(8), 3);
  assert.equal(histogramBucket(9), 4);
  assert.equal(histogramBucket(33), 5);
  assert.equal(histogramBucket(34), 6);
  assert.equal(histogramBucket(1056), 10);
  assert.equal(histogramBucket(1057), 11);
  assert.equal(histogramBucket(20_000_000), HISTOGRAM_BUCKETS - 1, 'longer than a second: the last bucket');
  const h = new Float64Array(HISTOGRAM_BUCKETS);
  h[0] = 98;
  h[10] = 2;
  assert.equal(histogramPercentile(h, 100, 50), 1.031);
  assert.equal(histogramPercentile(h, 100, 99), 1056.767);
  assert.equal(histogramPercentile(h, 0, 50), 0);
});

test('the slow log keeps the newest entries and trims arguments as slowlog.c does', () => {
  const log = new SlowLog(3);
  const arg = (s: string): Buffer => Buffer.from(s);
  for (let i = 0; i < 5; i++) log.push([arg('ping'), arg(String(i))], i, '127.0.0.1:1', '');
  assert.equal(log.length, 3);
  assert.deepEqual(
    log.newest(10).map((e) => [e.id, e.argv[1]!.toString()]),
    [
      [4, '4'],
      [3, '3'],
      [2, '2'],
    ],
  );
  log.maxLen = 1;
  assert.deepEqual(
    log.newest(10).map((e) => e.id),
    [4],
  );
  log.reset();
  assert.equal(log.length, 0);
  log.maxLen = 10;
  log.push([arg('set'), arg('k'), Buffer.alloc(130, 97)], 7.9, 'a', 'n');
  const [e] = log.newest(1);
  assert.equal(e!.id, 5, 'ids go on after a reset');
  assert.equal(e!.duration, 7);
  assert.equal(e!.argv[2]!.toString(), `${'a'.repeat(128)}... (2 more bytes)`);
  log.push(
    Array.from({ length: 40 }, (_, i) => arg(String(i))),
    1,
    'a',
    'n',
  );
  const [many] = log.newest(1);
  assert.equal(many!.argv.length, 32);
  assert.equal(many!.argv[31]!.toString(), '... (9 more arguments)');
});

test('the latency monitor keeps one sample per second, the highest, and the all-time maximum', () => {
  const lat = new LatencyMonitor(0);
  lat.addIfNeeded('command', 500);
  assert.equal(lat.events.size, 0, 'off at threshold 0');
  lat.threshold = 10;
  lat.addIfNeeded('command', 9.9);
  assert.equal(lat.events.size, 0, 'under the threshold');
  lat.addIfNeeded('command', 12.7);
  lat.addIfNeeded('command', 30);
  lat.addIfNeeded('command', 20);
  const ts = lat.events.get('command')!;
  const samples = LatencyMonitor.samples(ts);
  assert.equal(samples.length, 1, 'samples of one second merge');
  assert.equal(samples[0]![1], 30);
  assert.equal(ts.max, 30);
  lat.addIfNeeded('wal-fsync', 11);
  assert.equal(lat.reset('COMMAND'), 1, 'event names match in any case');
  assert.deepEqual([...lat.events.keys()], ['wal-fsync']);
  assert.equal(lat.reset(null), 1);
});

test('secrets are redacted as Redis redacts them before the slow log sees them', () => {
  const show = (name: string, line: string): string =>
    redactedArgv(
      name,
      line.split(' ').map((a) => Buffer.from(a)),
    )
      .map((a) => Buffer.from(a).toString())
      .join(' ');
  assert.equal(show('auth', 'AUTH user pass'), 'AUTH (redacted) (redacted)');
  assert.equal(show('hello', 'HELLO 3 AUTH user pass SETNAME n'), 'HELLO 3 AUTH (redacted) (redacted) SETNAME n');
  assert.equal(
    show('config|set', 'CONFIG SET requirepass x maxmemory 1 MASTERAUTH y'),
    'CONFIG SET requirepass (redacted) maxmemory 1 MASTERAUTH (redacted)',
  );
  assert.equal(show('migrate', 'MIGRATE h 1 k 0 5 AUTH2 u p'), 'MIGRATE h 1 k 0 5 AUTH2 (redacted) (redacted)');
  assert.equal(show('set', 'SET auth x'), 'SET auth x');
});
