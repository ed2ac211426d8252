/**
 * The `flashcache` command line read without commander (src/cli-args.ts
 * `quickArgs`) gives what commander gives for the lines it takes, and
 * leaves every other line to commander.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commanderArgs, flashcacheProgram, quickArgs } from '../../src/cli-args.js';

const TAKEN: string[][] = [
  [],
  ['--port', '6380'],
  ['/etc/flashcache.conf'],
  ['/etc/flashcache.conf', '--port', '0', '--dir', '/tmp/x'],
  ['--port', '1', '--port', '2'],
  ['--config', 'a.conf', '--appendfsync', 'everysec', '--log-level', 'warn'],
  ['b.conf', '--config', 'a.conf'],
  ['--bind', '-::1'],
  ['--port', '-5'],
  ['--requirepass', ''],
  ['--dir', '--port'],
  [''],
  ['--rename-command', 'FLUSHALL ""', '--port', '7', '--rename-command', 'DEBUG ""'],
];

const LEFT: string[][] = [
  ['--help'],
  ['-h'],
  ['--version'],
  ['-V'],
  ['--port=6380'],
  ['--port'],
  ['--no-such-setting', 'x'],
  ['--port', '6380', 'extra.conf'],
  ['a.conf', 'b.conf'],
  ['--', '--port', '1'],
  ['--port', '--'],
  ['-p', '6380'],
  // A hidden setting is a config-file line only: commander calls it an unknown option.
  ['--save', '900 1'],
];

test('quickArgs gives what commander gives for the lines it takes', async () => {
  for (const argv of TAKEN) {
    const quick = quickArgs(argv);
    assert.notEqual(quick, null, JSON.stringify(argv));
    const program = await flashcacheProgram();
    assert.deepEqual(quick, commanderArgs(program, argv), JSON.stringify(argv));
  }
});

test('quickArgs leaves help, version, other option forms and errors to commander', () => {
  for (const argv of LEFT) assert.equal(quickArgs(argv), null, JSON.stringify(argv));
});
