/**
 * The Redis test-suite runner's pure parts (test/redis-suite): reading the
 * harness's output, matching tests between the two servers, and mirroring
 * apt's `deb` entries as `deb-src` in both source formats.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHarnessOutput, unchop, type UnitRun } from '../../redis-suite/harness.js';
import { counts, markdownTable, regressions, type UnitPair } from '../../redis-suite/report.js';
import { missingSrcEntries, parseDeb822, parseOneLine, renderDeb822, renderOneLine } from '../../redis-suite/fetch.js';

const COMPLETED = [
  'Cleanup: may take some time... OK',
  'Starting test server at port 21079',
  '[ready]: 10635',
  'Testing unit/slowlog',
  '[\x1b[0;32;49mok\x1b[0m]: SLOWLOG - zero max length is correctly handled (3 ms)',
  '[err]: SLOWLOG - max entries is correctly handled in tests/unit/slowlog.tcl',
  "n command 'slowlog', with args beginning with: 'len'",
  "ERR unknown command 'slowlog', with args beginning with: 'len'",
  '    while executing',
  '"r slowlog len"',
  '[err]: SLOWLOG - count must be >= -1 in tests/unit/slowlog.tcl',
  "Expected 'ERR unknown command' to match 'ERR count*' (context: type eval line 2)",
  "[err]: n command 'subscribe', with args beginning with: '__redis__:invalidate'",
  "ERR unknown command 'subscribe', with args beginning with: '__redis__:invalidate'",
  '    while executing',
  '[ignore]: Tracking gets notification of lazy expired keys: Tag: needs:debug denied',
  '[ignore]: Not supported on external server',
  '[skip]: SLOWLOG - a skipped test',
  '[ok]: SLOWLOG - zero max length is correctly handled (1 ms)',
  '[1/1 done]: unit/slowlog (1 seconds)',
  '',
  '                   The End',
  '',
  'Execution time of different units:',
  '  1 seconds - unit/slowlog',
  '!!! WARNING The following tests failed:',
  '*** [err]: SLOWLOG - max entries is correctly handled in tests/unit/slowlog.tcl',
  'Cleanup: may take some time... OK',
].join('\n');

test('a completed unit: passes, failures with their whole message, errors outside tests, ignores, skips', () => {
  const log = parseHarnessOutput(COMPLETED);
  assert.equal(log.done, true);
  assert.equal(log.exception, undefined);
  assert.deepEqual(
    log.tests.map((t) => [t.name, t.status]),
    [
      ['SLOWLOG - zero max length is correctly handled', 'ok'],
      ['SLOWLOG - max entries is correctly handled', 'err'],
      ['SLOWLOG - count must be >= -1', 'err'],
      ['SLOWLOG - zero max length is correctly handled', 'ok'],
    ],
  );
  assert.match(log.tests[1]!.message!, /^ERR unknown command 'slowlog', with args beginning with: 'len'\n/);
  assert.match(log.tests[2]!.message!, /^Expected 'ERR unknown command'/);
  assert.equal(log.blockErrors.length, 1);
  assert.match(log.blockErrors[0]!, /^ERR unknown command 'subscribe'/);
  assert.equal(log.ignored.length, 2);
  assert.deepEqual(log.skipped, ['SLOWLOG - a skipped test']);
});

test('an exception ends the unit without its done line', () => {
  const log = parseHarnessOutput(
    [
      'Testing unit/pubsub',
      "[exception]: Executing test client: ERR unknown command 'function', with args beginning with: 'flush'.",
      "ERR unknown command 'function', with args beginning with: 'flush'",
      '    while executing',
      'Cleanup: may take some time... OK',
    ].join('\n'),
  );
  assert.equal(log.done, false);
  assert.equal(log.tests.length, 0);
  assert.match(log.exception!, /^Executing test client: ERR unknown command 'function'/);
  assert.doesNotMatch(log.exception!, /Cleanup/);
});

test('unchop drops only a line the harness cut by ten characters', () => {
  assert.deepEqual(unchop(['n command x', 'ERR unknown command x', 'trace']), ['ERR unknown command x', 'trace']);
  assert.deepEqual(unchop(['Expected 1', 'trace']), ['Expected 1', 'trace']);
});

/** A unit run with the given tests. */
function run(tests: [string, 'ok' | 'err'][], outcome: UnitRun['outcome'] = 'completed'): UnitRun {
  return {
    unit: 'unit/x',
    tests: tests.map(([name, status]) => ({ name, status, message: status === 'err' ? 'boom' : undefined })),
    skipped: [],
    ignored: [],
    blockErrors: [],
    done: outcome === 'completed',
    harnessTimeout: false,
    outcome,
    exitCode: 0,
    seconds: 1,
    logFile: '/dev/null',
  };
}

test('regressions match tests by name and occurrence, in redis-server order', () => {
  const pair: UnitPair = {
    unit: 'unit/x',
    redis: run([
      ['a', 'ok'],
      ['b', 'ok'],
      ['a', 'ok'],
      ['c', 'err'],
      ['d', 'ok'],
    ]),
    flashcache: run(
      [
        ['a', 'ok'],
        ['b', 'err'],
        ['a', 'err'],
      ],
      'exception',
    ),
    serverExit: { flashcache: null, redis: null },
  };
  assert.deepEqual(regressions(pair), [
    { name: 'b', status: 'err', message: 'boom' },
    { name: 'a', status: 'err', message: 'boom' },
    { name: 'd', status: 'not run' },
  ]);
  assert.deepEqual(counts(pair.flashcache), { ok: 1, err: 2, run: 3 });
  const table = markdownTable([pair]);
  assert.match(table, /\| unit\/x \| 1 \/ 3 \| 4 \/ 5 \| 25\.0% \|/);
  assert.match(table, /\| \*\*total\*\* \| 1 \/ 3 \| 4 \/ 5 \| 25\.0% \|/);
});

const DEB822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Enabled: no
Types: deb
URIs: https://example.org/apt
Suites: stable
Components: main
`;

test('deb822: every enabled deb stanza gets a deb-src twin, and none once it has one', () => {
  const entries = parseDeb822(DEB822);
  assert.equal(entries.length, 2, 'the disabled stanza is left out');
  const missing = missingSrcEntries(entries);
  assert.equal(
    renderDeb822(missing),
    [
      'Types: deb-src',
      'URIs: http://deb.debian.org/debian',
      'Suites: bookworm bookworm-updates',
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      '',
      'Types: deb-src',
      'URIs: http://deb.debian.org/debian-security',
      'Suites: bookworm-security',
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      '',
    ].join('\n'),
  );
  assert.deepEqual(missingSrcEntries([...entries, ...parseDeb822(renderDeb822(missing))]), []);
});

test('one-line lists: options kept, comments ignored, an existing deb-src respected', () => {
  const list = [
    'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ' +
      'http://deb.debian.org/debian bookworm main contrib',
    'deb http://deb.debian.org/debian-security bookworm-security main # security',
    '# deb http://deb.debian.org/debian bookworm-backports main',
    'deb-src http://deb.debian.org/debian-security bookworm-security main',
  ].join('\n');
  const missing = missingSrcEntries(parseOneLine(list));
  assert.equal(
    renderOneLine(missing),
    'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ' +
      'http://deb.debian.org/debian bookworm main contrib\n',
  );
});
