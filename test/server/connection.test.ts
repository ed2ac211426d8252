/**
 * The connection layer over real sockets: pipelining, frames split at every
 * byte, binary values, inline commands, protocol errors that close only the
 * offending connection, QUIT.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { RawClient, encodeCommand } from '../helpers/resp.js';

let srv: ServerHandle;

before(async () => {
  srv = await startServer();
});

after(async () => {
  await srv.stop();
});

test('pipelined commands are answered in order', async () => {
  const c = await RawClient.connect(srv.port);
  const frames: Buffer[] = [];
  for (let i = 0; i < 1000; i++)
    frames.push(encodeCommand(['SET', `pipe:${i}`, String(i)]), encodeCommand(['GET', `pipe:${i}`]));
  c.write(Buffer.concat(frames));
  for (let i = 0; i < 1000; i++) {
    assert.equal(await c.read(), '+OK\r\n');
    assert.equal(await c.read(), `$${String(i).length}\r\n${i}\r\n`);
  }
  c.close();
});

test('a frame written one byte at a time is decoded', async () => {
  const c = await RawClient.connect(srv.port);
  const frame = Buffer.concat([encodeCommand(['SET', 'split', 'a\r\nb']), encodeCommand(['GET', 'split'])]);
  for (const byte of frame) {
    c.write(Buffer.from([byte]));
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(await c.read(), '+OK\r\n');
  assert.equal(await c.read(), '$4\r\na\r\nb\r\n');
  c.close();
});

test('binary keys and values with NUL bytes round-trip', async () => {
  const redis = srv.client();
  const key = Buffer.from([0, 1, 2, 0xff, 0]);
  const value = Buffer.from([0, 0, 13, 10, 0xfe, 0]);
  assert.equal(await redis.set(key, value), 'OK');
  assert.deepEqual(await redis.getBuffer(key), value);
  assert.equal(await redis.strlen(key), value.length);
  const keys = await redis.keysBuffer('*');
  assert.ok(keys.some((k) => k.equals(key)));
  redis.disconnect();
});

test('inline commands work as from telnet', async () => {
  const c = await RawClient.connect(srv.port);
  c.write('SET inline "hello world"\r\nGET inline\r\nPING\r\n');
  assert.equal(await c.read(), '+OK\r\n');
  assert.equal(await c.read(), '$11\r\nhello world\r\n');
  assert.equal(await c.read(), '+PONG\r\n');
  c.close();
});

test('a protocol error is answered, closes that connection only, and keeps earlier replies', async () => {
  const other = await RawClient.connect(srv.port);
  const bad = await RawClient.connect(srv.port);
  bad.write(
    Buffer.concat([
      encodeCommand(['SET', 'before-error', '1']),
      Buffer.from('*1\r\n$x\r\n'),
      encodeCommand(['SET', 'after-error', '1']),
    ]),
  );
  assert.equal(await bad.read(), '+OK\r\n');
  assert.equal(await bad.read(), '-ERR Protocol error: invalid bulk length\r\n');
  await bad.waitClosed();
  assert.equal(await other.call('EXISTS', 'before-error', 'after-error'), ':1\r\n');
  other.close();
});

test('malformed frames of every kind get Redis protocol errors', async () => {
  const cases: [string, string][] = [
    ['*2\r\n$3\r\nGET\r\n:1\r\n', "-ERR Protocol error: expected '$', got ':'\r\n"],
    ['*x\r\n', '-ERR Protocol error: invalid multibulk length\r\n'],
    // Redis 7.0 allows up to INT_MAX arguments.
    ['*3000000000\r\n', '-ERR Protocol error: invalid multibulk length\r\n'],
    ['*1\r\n$600000000\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
    ['GET "unbalanced\r\n', '-ERR Protocol error: unbalanced quotes in request\r\n'],
  ];
  for (const [input, reply] of cases) {
    const c = await RawClient.connect(srv.port);
    c.write(input);
    assert.equal(await c.read(), reply, JSON.stringify(input));
    await c.waitClosed();
  }
  const big = await RawClient.connect(srv.port);
  big.write('A'.repeat(70 * 1024));
  assert.equal(await big.read(), '-ERR Protocol error: too big inline request\r\n');
  await big.waitClosed();
  const redis = srv.client();
  assert.equal(await redis.ping(), 'PONG');
  redis.disconnect();
});

test('QUIT replies OK and closes', async () => {
  const c = await RawClient.connect(srv.port);
  assert.equal(await c.call('QUIT'), '+OK\r\n');
  await c.waitClosed();
});

test('a value of several megabytes is stored and returned whole', async () => {
  const redis = srv.client();
  const value = Buffer.alloc(5 * 1024 * 1024);
  for (let i = 0; i < value.length; i++) value[i] = (i * 7) & 0xff;
  await redis.set('big', value);
  assert.deepEqual(await redis.getBuffer('big'), value);
  redis.disconnect();
});

test('clients that claim huge bulk strings but send little cost little memory', async () => {
  const before = Number(/used_memory_rss:(\d+)/.exec(await srv.client().info('memory'))![1]);
  const claimers = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(srv.port)));
  for (const c of claimers) c.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\n' + 'x'.repeat(40_000));
  const redis = srv.client();
  assert.equal(await redis.ping(), 'PONG');
  const after = Number(/used_memory_rss:(\d+)/.exec(await redis.info('memory'))![1]);
  assert.ok(after - before < 100 * 1024 * 1024, `RSS grew by ${after - before} bytes for 20 claims of 512 MiB`);
  for (const c of claimers) c.close();
  redis.disconnect();
});
