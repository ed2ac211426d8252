/**
 * Settings arrive four ways: flag, config file, FLASHCACHE_* environment
 * variable, CONFIG SET. Precedence and validation are checked on real
 * processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, CLI, run, startServer, tempDir } from '../helpers/server.js';
import { ALL_SETTINGS } from '../../src/config/settings.js';

async function configGet(port: number, name: string): Promise<string> {
  const { Redis } = await import('ioredis');
  const r = new Redis({ port, host: '127.0.0.1' });
  const [, value] = (await r.config('GET', name)) as [string, string];
  r.disconnect();
  return value;
}

test('flag beats config file beats environment beats default', async () => {
  const dir = tempDir();
  const conf = join(dir, 'flashcache.conf');
  writeFileSync(conf, '# a comment\nappendfsync everysec\nwal-segment-size 1mb\n\n');
  const env = { FLASHCACHE_APPENDFSYNC: 'no', FLASHCACHE_DATABASES: '4' };

  let srv = await startServer({ dir: join(dir, 'a'), env, args: ['--config', conf] });
  assert.equal(await configGet(srv.port, 'appendfsync'), 'everysec', 'file over environment');
  assert.equal(await configGet(srv.port, 'databases'), '4', 'environment over default');
  assert.equal(await configGet(srv.port, 'wal-segment-size'), '1048576', 'memory values in bytes');
  await srv.stop();

  srv = await startServer({ dir: join(dir, 'b'), env, args: [conf, '--appendfsync', 'always'] });
  assert.equal(await configGet(srv.port, 'appendfsync'), 'always', 'flag over file; positional config file');
  await srv.stop();

  srv = await startServer({ dir: join(dir, 'c') });
  assert.equal(await configGet(srv.port, 'appendfsync'), 'always', 'default');
  assert.equal(await configGet(srv.port, 'databases'), '16');
  await srv.stop();
  cleanup(dir);
});

test('client-output-buffer-limit lines, flag and environment keep the classes they do not name, in bytes', async () => {
  const dir = tempDir();
  const conf = join(dir, 'flashcache.conf');
  writeFileSync(
    conf,
    'client-output-buffer-limit pubsub 1mb 512kb 10\nclient-output-buffer-limit replica 64mb 16mb 30\n',
  );
  let srv = await startServer({ dir: join(dir, 'a'), args: [conf] });
  assert.equal(
    await configGet(srv.port, 'client-output-buffer-limit'),
    'normal 1073741824 268435456 60 slave 67108864 16777216 30 pubsub 1048576 524288 10',
    'both lines apply over the defaults',
  );
  await srv.stop();
  const env = { FLASHCACHE_CLIENT_OUTPUT_BUFFER_LIMIT: 'normal 0 0 0' };
  srv = await startServer({ dir: join(dir, 'b'), env });
  assert.equal(
    await configGet(srv.port, 'client-output-buffer-limit'),
    'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
  );
  await srv.stop();
  srv = await startServer({
    dir: join(dir, 'c'),
    args: ['--client-output-buffer-limit', 'pubsub 0 0 0 normal 1mb 0 0'],
  });
  assert.equal(
    await configGet(srv.port, 'client-output-buffer-limit'),
    'normal 1048576 0 0 slave 268435456 67108864 60 pubsub 0 0 0',
  );
  await srv.stop();
  cleanup(dir);
});

test('a bad config file line stops start-up naming the line', async () => {
  const dir = tempDir();
  const conf = join(dir, 'bad.conf');
  writeFileSync(conf, 'port 7000\nappendfsync sometimes\n');
  const srv = await startServer({ dir, args: [conf], expectExit: true });
  assert.equal(srv.exitCode, 1);
  assert.match(srv.stderr, /line 2/);
  assert.match(srv.stderr, /argument\(s\) must be one of the following: everysec, always, no/);
  writeFileSync(conf, 'no-such-directive 1\n');
  const srv2 = await startServer({ dir, args: [conf], expectExit: true });
  assert.match(srv2.stderr, /line 1: .*Bad directive or wrong number of arguments/);
  cleanup(dir);
});

test('a bad environment value is reported with the variable name', async () => {
  const srv = await startServer({ env: { FLASHCACHE_WAL_SEGMENT_SIZE: '1.5gb' }, expectExit: true });
  assert.equal(srv.exitCode, 1);
  assert.match(srv.stderr, /FLASHCACHE_WAL_SEGMENT_SIZE/);
  assert.match(srv.stderr, /argument must be a memory value/);
  cleanup(srv.dir);
});

test('--help documents every public setting with its default and variable', async () => {
  const { stdout, code } = await run(process.execPath, [CLI, '--help']);
  assert.equal(code, 0);
  for (const def of ALL_SETTINGS) {
    if (def.hidden) continue;
    assert.match(stdout, new RegExp(`--${def.name} `), def.name);
    assert.ok(stdout.includes(`FLASHCACHE_${def.name.toUpperCase().replace(/-/g, '_')}`), `${def.name} env var`);
  }
  assert.match(stdout, /default: always/);
});

test('the README configuration table lists every public setting with its default', () => {
  const readme = readFileSync(join(CLI, '..', '..', '..', 'README.md'), 'utf8');
  for (const def of ALL_SETTINGS) {
    if (def.hidden) continue;
    const shown = def.default === '' ? '(none)' : `\`${def.default}\``;
    assert.ok(
      readme.includes(`| \`${def.name}\` | ${shown} | ${def.runtime ? 'yes' : 'no'} |`),
      `README row for ${def.name}`,
    );
  }
});

test("Redis's second setting names are aliases, never settings of their own", () => {
  const names = new Set(ALL_SETTINGS.map((d) => d.name));
  for (const def of ALL_SETTINGS) {
    for (const alias of def.aliases ?? []) assert.ok(!names.has(alias), `${alias} is ${def.name}'s alias`);
  }
  assert.deepEqual(ALL_SETTINGS.find((d) => d.name === 'replica-read-only')?.aliases, ['slave-read-only']);
});

test('CONFIG SET changes run-time settings and refuses the rest as Redis does', async () => {
  const srv = await startServer();
  const redis = srv.client();
  assert.equal(await redis.config('SET', 'appendfsync', 'everysec'), 'OK');
  assert.match(await redis.info('persistence'), /wal_appendfsync:everysec/);
  assert.equal(await redis.config('SET', 'hash-max-listpack-entries', '256', 'appendfsync', 'always'), 'OK');
  // Redis 7.0's second names are the same setting: a pattern lists both, an exact name answers as typed.
  assert.deepEqual(await redis.config('GET', 'hash-max-*-entries'), [
    'hash-max-listpack-entries',
    '256',
    'hash-max-ziplist-entries',
    '256',
  ]);
  assert.equal(await redis.config('SET', 'slave-read-only', 'no'), 'OK');
  assert.deepEqual(await redis.config('GET', 'replica-read-only', 'SLAVE-READ-ONLY'), [
    'replica-read-only',
    'no',
    'SLAVE-READ-ONLY',
    'no',
  ]);
  assert.equal(await redis.config('SET', 'replica-read-only', 'yes'), 'OK');
  const of = (await redis.config('GET', '*of')) as string[];
  assert.deepEqual(of.filter((_, i) => i % 2 === 0).sort(), ['replicaof', 'slaveof']);
  await assert.rejects(redis.config('SET', 'port', '1'), /can't set immutable config/);
  await assert.rejects(redis.config('SET', 'wal-segment-size', 'lots'), /argument must be a memory value/);
  assert.equal(await redis.config('SET', 'wal-segment-size', '8mb'), 'OK');
  assert.deepEqual(await redis.config('GET', 'wal-segment-size'), ['wal-segment-size', String(8 * 1024 * 1024)]);
  // A batch with one bad value changes nothing.
  await assert.rejects(redis.config('SET', 'appendfsync', 'no', 'log-level', 'loud'), /log-level/);
  assert.deepEqual(await redis.config('GET', 'appendfsync'), ['appendfsync', 'always']);
  await srv.stop();
  cleanup(srv.dir);
});
