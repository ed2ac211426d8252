/**
 * Client limits and hostile clients against a real server: query and output
 * buffer limits, a client typing one byte at a time, and a fast-check
 * generator of malformed and odd RESP over real sockets (seed printed). The
 * server never crashes, never stalls other clients, and drops only the
 * offender.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import fc from 'fast-check';
import { cleanup, startServer, waitFor, type ServerHandle } from '../helpers/server.js';
import { RawClient, encodeCommand } from '../helpers/resp.js';
import { testSeed } from '../helpers/random.js';

let srv: ServerHandle;
let witness: RawClient;

before(async () => {
  srv = await startServer({
    args: [
      '--appendfsync',
      'everysec',
      '--client-query-buffer-limit',
      '2mb',
      '--client-output-buffer-limit',
      'normal 8mb 4mb 1',
    ],
  });
  witness = await RawClient.connect(srv.port);
});

after(async () => {
  witness.close();
  await srv.stop();
  cleanup(srv.dir);
});

/** An INFO field of the server, as a number. */
async function info(field: string): Promise<number> {
  const m = new RegExp(`^${field}:(\\d+)\r`, 'm').exec((await witness.call('INFO', 'everything'))!);
  assert.ok(m, field);
  return Number(m[1]);
}

/** Connects a raw socket. */
function connect(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ port: srv.port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
}

test('client-query-buffer-limit: a command that would buffer past it closes that client only', async () => {
  const before = await info('client_buffer_limit_disconnections');
  const s = await connect();
  s.on('error', () => {});
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  // A 3 MB argument, under proto-max-bulk-len (512 MB) but over the 2 MB query buffer limit.
  s.write('*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$3000000\r\n');
  const chunk = Buffer.alloc(64 * 1024, 120);
  for (let sent = 0; sent < 3_000_000 && !s.destroyed; sent += chunk.length) {
    if (!s.write(chunk)) await new Promise((r) => s.once('drain', r).once('close', r));
  }
  await closed;
  assert.equal(await info('client_buffer_limit_disconnections'), before + 1);
  assert.equal(await witness.call('EXISTS', 'big'), ':0\r\n');
  assert.equal(await witness.call('PING'), '+PONG\r\n');
});

test('client-output-buffer-limit: a client that asks for large replies and reads nothing is dropped; memory stays bounded', async () => {
  assert.equal(await witness.call('SET', 'mb', 'x'.repeat(1024 * 1024)), '+OK\r\n');
  const before = await info('client_buffer_limit_disconnections');
  const rssBefore = await info('used_memory_rss');
  const s = await connect();
  s.on('error', () => {});
  s.pause(); // never reads
  const get = encodeCommand(['GET', 'mb']);
  for (let i = 0; i < 300; i++) s.write(get);
  await waitFor(
    async () => (await info('client_buffer_limit_disconnections')) === before + 1,
    20_000,
    'the non-reading client to be dropped',
  );
  const rssAfter = await info('used_memory_rss');
  // 300 replies of 1 MB would be 300 MB buffered without the limit.
  assert.ok(
    rssAfter - rssBefore < 150 * 1024 * 1024,
    `RSS grew by ${((rssAfter - rssBefore) / 2 ** 20).toFixed(0)} MB`,
  );
  s.destroy();
  assert.equal(await witness.call('PING'), '+PONG\r\n');
  assert.match((await witness.call('CONFIG', 'GET', 'client-output-buffer-limit')) ?? '', /normal 8388608 4194304 1 /);
  assert.match(
    (await witness.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 1gb')) ?? '',
    /^-ERR CONFIG SET failed .*Wrong number of arguments in buffer limit configuration/,
  );
  await witness.call('DEL', 'mb');
});

test('a client sending one byte at a time is served, and others are not held up meanwhile', async () => {
  const slow = await connect();
  let reply = '';
  slow.on('data', (d) => (reply += d.toString('latin1')));
  const bytes = encodeCommand(['SET', 'slow', 'typed byte by byte']);
  for (let i = 0; i < bytes.length; i++) {
    slow.write(bytes.subarray(i, i + 1));
    // Between two bytes another client gets its answers.
    if (i % 8 === 0) assert.equal(await witness.call('PING'), '+PONG\r\n');
    await new Promise((r) => setImmediate(r));
  }
  await waitFor(() => reply === '+OK\r\n', 5000, 'the slow client to get its reply');
  assert.equal(await witness.call('GET', 'slow'), '$18\r\ntyped byte by byte\r\n');
  slow.destroy();
});

test('a client that stops mid-command holds nobody up, and its half command is dropped with it', async () => {
  const stalled = await connect();
  stalled.write('*3\r\n$3\r\nSET\r\n$7\r\nstalled\r\n$10\r\nhalf');
  for (let i = 0; i < 20; i++) assert.equal(await witness.call('PING'), '+PONG\r\n');
  stalled.destroy();
  await waitFor(async () => (await info('connected_clients')) === 1, 5000, 'the stalled client to be forgotten');
  assert.equal(await witness.call('EXISTS', 'stalled'), ':0\r\n');
});

/** Malformed and odd-but-valid RESP: fragments a parser must survive. */
const frame = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  fc
    .constantFrom(
      '*',
      '$',
      '+',
      '-',
      ':',
      '\r\n',
      '\r',
      '\n',
      '*-1\r\n',
      '*0\r\n',
      '$-1\r\n',
      '*1\r\n$-5\r\n',
      '*3\r\n$3\r\nSET\r\n',
      '"unbalanced',
      "'x' 'y",
      ' \t ',
    )
    .map((s) => Buffer.from(s)),
  fc
    .tuple(fc.integer({ min: -5, max: 2 ** 40 }), fc.integer({ min: -5, max: 2 ** 40 }))
    .map(([n, len]) => Buffer.from(`*${n}\r\n$${len}\r\n`)),
  fc
    .array(
      fc.oneof(
        fc.constantFrom(
          'GET',
          'SET',
          'PING',
          'ECHO',
          'INCR',
          'LPUSH',
          'HSET',
          'EXPIRE',
          'DEL',
          'AUTH',
          'SELECT',
          'CLIENT',
        ),
        fc.string({ maxLength: 12 }),
      ),
      { minLength: 1, maxLength: 5 },
    )
    .map((args) => encodeCommand(args)),
  fc
    .array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 4 })
    .map((words) => Buffer.from(words.join(' ') + '\r\n')),
);

/** Writes `chunks` on a fresh connection and waits until the server closes it or goes quiet for 30 ms. */
function throwAt(chunks: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const s = createConnection({ port: srv.port, host: '127.0.0.1' }, () => {
      for (const c of chunks) s.write(c);
    });
    let quiet: NodeJS.Timeout = setTimeout(() => s.destroy(), 200);
    s.on('data', () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => s.destroy(), 30);
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(quiet);
      resolve();
    });
  });
}

test('protocol fuzzing: malformed and odd RESP never crashes the server or stalls another client', async () => {
  const seed = testSeed('protocol fuzz');
  const rssBefore = await info('used_memory_rss');
  let cases = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 8 }), async (chunks) => {
      cases++;
      await throwAt(chunks);
      // The witness, connected all along, is still answered at once.
      assert.equal(await witness.call('PING'), '+PONG\r\n');
    }),
    { seed, numRuns: 300 },
  );
  assert.equal(cases, 300);
  assert.equal(srv.exitCode, null, 'the server is still running');
  await waitFor(async () => (await info('connected_clients')) === 1, 5000, 'every fuzz connection to be forgotten');
  await witness.call('FLUSHALL');
  const rssAfter = await info('used_memory_rss');
  assert.ok(
    rssAfter - rssBefore < 100 * 1024 * 1024,
    `RSS grew by ${((rssAfter - rssBefore) / 2 ** 20).toFixed(0)} MB`,
  );
});

test('tcp-keepalive: the server probes idle connections, so a peer that vanished without a word is found', async (t) => {
  const probe = spawnSync('ss', ['-V'], { encoding: 'utf8' });
  if (probe.status !== 0) return t.skip('ss (iproute2) is not installed');
  const s = await connect();
  try {
    const clientPort = s.localPort!;
    const line = await waitFor(
      () => {
        const out = spawnSync('ss', ['-tnoH', 'state', 'established', `( sport = :${srv.port} )`], {
          encoding: 'utf8',
        }).stdout;
        // Until the server has accepted the connection and set keepalive, the line has no such timer: wait for it.
        return (
          out
            .split('\n')
            .find(
              (l) =>
                (l.includes(`:${clientPort} `) || l.endsWith(`:${clientPort}`)) &&
                /timer:\(keepalive,[0-9]+min/.test(l),
            ) ?? null
        );
      },
      5000,
      "the server's side of the connection to show a keepalive timer in ss",
    );
    // Default tcp-keepalive 300: the kernel's keepalive timer runs on the server's socket.
    assert.match(line ?? '', /timer:\(keepalive,[0-9]+min/);
  } finally {
    s.destroy();
  }
});
