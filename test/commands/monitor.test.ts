/**
 * MONITOR against redis-server 7.0.15: a scripted sequence of commands from
 * one connection while another monitors, on both servers; the monitor's
 * lines must be equal once the time stamp and the client's port (which
 * differ by nature) are masked: the database shown, the quoting of binary
 * arguments, the commands of MULTI/EXEC (and of an aborted one), AUTH and
 * HELLO AUTH redacted, admin commands and refused commands left out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverPair, type Pair } from '../helpers/differential.js';
import type { RawClient } from '../helpers/resp.js';
import { onBoth } from '../helpers/scenario.js';

let pair: Pair;
serverPair((p) => (pair = p));

/** A monitor line with its time stamp checked and masked, and the monitored clients' ports named. */
function masked(line: string, names: Map<number, string>): string {
  const m = /^\+(\d+)\.(\d{6}) \[\d+ 127\.0\.0\.1:(\d+)\] /.exec(line);
  if (m === null) return line;
  assert.ok(Math.abs(Number(m[1]) - Date.now() / 1000) < 60, 'the time is now');
  return line.slice(m[0].length - 1).replace(/^ /, `+T [${line.split(' ')[1]!.slice(1)} ${names.get(Number(m[3]))}] `);
}

/** Reads the monitor's replies up to and including `last`. */
async function readUntil(m: RawClient, last: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const r = await m.read();
    assert.ok(r !== null, 'monitor still connected');
    out.push(r);
    if (r === last) return out;
  }
}

/** Runs `script` on `c`, then PING on monitor `m`, and returns the monitor's lines, masked. */
async function monitored(m: RawClient, c: RawClient, script: (string | Buffer)[][]): Promise<string[]> {
  for (const cmd of script) assert.ok((await c.call(...cmd)) !== null);
  m.write('PING\r\n');
  const lines = await readUntil(m, '+PONG\r\n');
  // The monitor's own PING is shown to it after its reply.
  lines.push((await m.read())!);
  const names = new Map([
    [c.socket.localPort!, 'C'],
    [m.socket.localPort!, 'M'],
  ]);
  return lines.map((l) => masked(l, names));
}

test('MONITOR shows what redis-server shows: every command run, EXEC bodies, redacted secrets, quoted bytes', async () => {
  const [mine, ref] = await onBoth(pair, async (s) => {
    const [m, c] = await Promise.all([s.open(), s.open()]);
    await s.call(c, 'FLUSHALL');
    const out: string[] = [String(await s.call(m, 'MONITOR'))];
    const script: (string | Buffer)[][] = [
      ['SET', 'foo', 'a "quoted" \\ back\r\n\t\x07\x08 tab'],
      [Buffer.from('SeT'), Buffer.from([0x00, 0xff, 0x7f, 0x20, 0x7e]), 'v'],
      ['GET', 'foo'],
      ['SELECT', '2'],
      ['MULTI'],
      ['SET', 'k', 'v'],
      ['LPUSH', 'k', 'x'],
      ['EXEC'],
      ['MULTI'],
      ['NOSUCH'],
      ['EXEC'],
      ['EXEC', 'x'],
      ['SELECT', '0'],
      ['AUTH', 'secret'],
      ['AUTH', 'user', 'secret'],
      ['AUTH', 'a', 'b', 'c'],
      ['HELLO', '2', 'AUTH', 'default', 'secret'],
      ['HELLO', '2', 'SETNAME', 'ok', 'AUTH', 'default', 'secret'],
      ['HELLO', '2', 'SETNAME', 'not ok', 'AUTH', 'default', 'secret'],
      ['HELLO', '9', 'AUTH', 'default', 'secret'],
      ['CLIENT', 'LIST'],
      ['CLIENT', 'KILL', 'ID', '999999'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['MONITOR', 'x'],
      ['CLIENT', 'ID'],
      ['CLIENT', 'SETNAME', 'watched'],
      ['GET'],
      ['UNKNOWN', 'x'],
      ['BLPOP', 'q', '0.01'],
      ['PING'],
    ];
    out.push(...(await monitored(m, c, script)));
    // Inline commands are shown as their arguments.
    c.write('ECHO "in line"\r\n');
    await c.read();
    out.push(...(await monitored(m, c, [])));
    // The monitor may not touch keys; a second MONITOR is ignored, without a reply.
    out.push((await m.call('GET', 'foo'))!.trim());
    m.write('MONITOR\r\nPING\r\n');
    out.push(...(await readUntil(m, '+PONG\r\n')));
    await m.read();
    // RESET ends MONITOR mode: nothing more is shown.
    out.push(String(await s.call(m, 'RESET')));
    await s.call(c, 'SET', 'after', 'reset');
    out.push(String(await s.call(m, 'PING')));
    return out;
  });
  assert.deepEqual(mine, ref);
  assert.ok(mine.includes('+T [0 C] "SeT" "\\x00\\xff\\x7f ~" "v"\r\n'), 'bytes quoted as sdscatrepr');
  assert.ok(mine.includes('+T [2 C] "MULTI"\r\n'));
  assert.ok(mine.includes('+T [0 C] "AUTH" "(redacted)" "(redacted)"\r\n'));
  assert.ok(mine.includes("-ERR Replica can't interact with the keyspace"));
  assert.ok(mine.includes('+T [0 C] "ECHO" "in line"\r\n'));
  assert.ok(!mine.some((l) => l.includes('"CLIENT" "LIST"')), 'admin commands are not shown');
  assert.equal(mine.at(-1), 'PONG');
});

test('a monitor in RESP3 gets its lines as simple strings, as in RESP2', async () => {
  const [mine, ref] = await onBoth(pair, async (s) => {
    const [m, c] = await Promise.all([s.open(), s.open()]);
    await s.call(m, 'HELLO', '3');
    const out = [String(await s.call(m, 'MONITOR'))];
    out.push(
      ...(await monitored(m, c, [
        ['SET', 'x', '1'],
        ['INCR', 'x'],
      ])),
    );
    return out;
  });
  assert.deepEqual(mine, ref);
  assert.deepEqual(mine, [
    'OK',
    '+T [0 C] "SET" "x" "1"\r\n',
    '+T [0 C] "INCR" "x"\r\n',
    '+PONG\r\n',
    '+T [0 M] "PING"\r\n',
  ]);
});

test('MONITOR inside MULTI is refused when EXEC runs it', async () => {
  const [mine, ref] = await onBoth(pair, async (s) => {
    const c = await s.open();
    return [await s.call(c, 'MULTI'), await s.call(c, 'MONITOR'), await s.call(c, 'EXEC'), await s.call(c, 'PING')];
  });
  assert.deepEqual(mine, ref);
});
