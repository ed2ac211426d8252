/**
 * Protocol errors against redis-server 7.0.15: each malformed request goes,
 * on a fresh connection, to FlashCache and to Debian's redis-server; the
 * bytes each answers and whether it then closes the connection must be the
 * same (networking.c `processInlineBuffer`, `processMultibulkBuffer`). An
 * inline request that reaches 64 KiB without a newline, or a header line
 * hidden by a NUL byte (Redis's "protocol desync" regression inputs), gets
 * `-ERR Protocol error: ...` and a closed connection while the client is
 * still writing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverPair, type Pair } from '../helpers/differential.js';
import { RawClient } from '../helpers/resp.js';

let pair: Pair;
serverPair((p) => (pair = p));

/** What a server does with `input` sent on a fresh connection: its bytes, and whether it closed. */
async function answer(port: number, input: string | Buffer): Promise<{ reply: string; closed: boolean }> {
  const c = await RawClient.connect(port);
  try {
    c.write(input);
    c.write('*1\r\n$4\r\nPING\r\n');
    let reply = '';
    for (;;) {
      const r = await c.read(2000).catch(() => null);
      if (r === null) break;
      reply += r;
      if (r === '+PONG\r\n') break;
    }
    // Answered PING: the connection is still in use. Otherwise it must be closed, or be closing.
    if (!reply.endsWith('+PONG\r\n')) await c.waitClosed(2000).catch(() => {});
    return { reply, closed: c.closed };
  } finally {
    c.close();
  }
}

test('malformed requests get the Protocol error texts redis-server sends, and the connection closes as there', async () => {
  const inputs = [
    '\r\n',
    '   \r\n',
    '*-10\r\n',
    '*0\r\n',
    '*3000000000\r\n',
    '*2147483648\r\n',
    '*abc\r\n',
    '*-99999999999999999\r\n',
    '*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n',
    '*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n',
    '*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n',
    '*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n',
    '*1\r\nfoo\r\n',
    '*1\r\n\r\n',
    '*1\r\n:1\r\n',
    'set "\\"\\"test-key\\"\\"" test-value\r\nping\r\n',
    "set 'a\r\n",
    'PING\n',
    'ECHO "a\\x41\\n"\r\n',
  ];
  for (const input of inputs) {
    const [mine, ref] = await Promise.all([answer(pair.fc.port, input), answer(pair.redis.port, input)]);
    assert.deepEqual(mine, ref, JSON.stringify(input));
  }
});

/**
 * Sends `head`, then `payload` again and again as the Tcl test does, until
 * a write fails because the server closed; returns what it answered.
 */
async function desync(port: number, head: string): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    c.write(head);
    const deadline = Date.now() + 10_000;
    while (!c.closed && !c.socket.destroyed) {
      assert.ok(Date.now() < deadline, 'the server closed the connection');
      const ok = await new Promise<boolean>((r) => c.socket.write('payload'.repeat(100), (err) => r(!err)));
      if (!ok) break;
    }
    await c.waitClosed(2000).catch(() => {});
    return (await c.read(100).catch(() => null)) ?? '';
  } finally {
    c.close();
  }
}

test('a line that reaches 64 KiB without its end closes the connection with Protocol error, as in Redis', async () => {
  for (const head of ['\x00', '*\x00', '$\x00', 'GET ', '*1\r\n$']) {
    const [mine, ref] = await Promise.all([desync(pair.fc.port, head), desync(pair.redis.port, head)]);
    // The reply may be lost to the reset of a connection the client still writes to; when it is not, it is Redis's.
    if (mine !== '' && ref !== '') assert.equal(mine, ref, JSON.stringify(head));
    if (mine !== '')
      assert.match(mine, /^-ERR Protocol error: too big (inline request|mbulk count string|bulk count string)\r\n$/);
  }
  // The 64 KiB are counted as Redis counts them: just under, the request still waits for its end.
  const c = await RawClient.connect(pair.fc.port);
  try {
    c.write('ECHO ' + 'a'.repeat(64 * 1024 - 5));
    await new Promise((r) => setTimeout(r, 100));
    c.write('\r\n');
    assert.equal((await c.read())!.length, `$${64 * 1024 - 5}\r\n`.length + 64 * 1024 - 5 + 2);
  } finally {
    c.close();
  }
});
