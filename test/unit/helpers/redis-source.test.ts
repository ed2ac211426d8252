/**
 * The Tcl string reader that takes the DUMP payloads out of Redis's
 * corrupt-dump.tcl: the escapes that file uses, and refusal of anything else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tclQuoted } from '../../helpers/redis-source.js';

test('Tcl quoted words: \\xHH with one or two digits, one-character escapes, other characters as bytes', () => {
  assert.deepEqual(tclQuoted('\\x0E\\x1b\\x02a'), Buffer.from([0x0e, 0x1b, 0x02, 0x61]));
  assert.deepEqual(tclQuoted('\\r\\t\\bk\\x36x'), Buffer.from([0x0d, 0x09, 0x08, 0x6b, 0x36, 0x78]));
  assert.deepEqual(tclQuoted('\\x7\\\\\\"\\$'), Buffer.from([0x07, 0x5c, 0x22, 0x24]));
  assert.throws(() => tclQuoted('\\q'), /unsupported Tcl escape/);
  assert.throws(() => tclQuoted('a$b'), /Tcl substitution/);
  assert.throws(() => tclQuoted('[r ping]'), /Tcl substitution/);
});
