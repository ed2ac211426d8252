/**
 * PUBLISH fan-out and MULTI/EXEC throughput against redis-server, in the
 * same run, alternating A B A B with a fresh server per run, medians and the
 * FlashCache/Redis ratio as compare.ts reports them:
 *
 *   npm run bench:pubsub -- --fsync always,none --runs 3 --out bench/RESULTS.md
 *
 * Suites (`--suite`, default both):
 * - pubsub: `--subscribers` connections (1, 10 and 100) subscribe to one
 *   channel; `--publishers` connections send PUBLISH of `--size`-byte
 *   messages, `--pipeline` at a time (each batch waits for its replies, as
 *   redis-benchmark -P does). A run ends when every publisher has its replies
 *   and every subscriber has received every message; publishes/s and
 *   messages delivered/s are over that time. Runs publish `--publishes`
 *   messages, or fewer so that at most `--deliveries` messages reach
 *   subscribers (100 subscribers: a tenth as many publishes).
 * - transactions: `--clients` connections each send `MULTI`, 10 `SET`s of
 *   `--datasize` bytes to random keys among `--keyspace`, `EXEC` in one write
 *   and wait for the 12 replies before the next; transactions/s.
 *
 * redis-benchmark cannot do either: it repeats one command per request (with
 * -P, the same command P times), so `redis-benchmark -- MULTI` only nests
 * MULTIs, and its clients never subscribe. The load generator here is raw
 * sockets in this process: subscribers count bytes (every message has the
 * same length), clients count reply bytes, and each total is checked against
 * what the replies must add up to, so an error reply fails the run.
 *
 * Persistence (`--fsync`): FlashCache `--appendfsync always|everysec|no`
 * (`none` runs as `no`); redis-server `--appendonly yes --appendfsync <mode>`
 * or `--appendonly no`, always `--save ""`. PUBLISH logs nothing on either
 * server; the pub/sub suite runs under each mode all the same, since every
 * FlashCache reply is released in LSN order.
 */
import { appendFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import {
  ensureRedisTools,
  environment,
  environmentLine,
  fsyncModes,
  listOption,
  median,
  rateSpread,
  removeDir,
  startTarget,
  stopTarget,
  type Fsync,
  type Target,
} from './lib.js';

const SUITES = ['pubsub', 'transactions'] as const;
type Suite = (typeof SUITES)[number];

const o = new Command('bench-pubsub')
  .option('--suite <list>', `suites: ${SUITES.join(', ')}`, SUITES.join(','))
  .option('--fsync <list>', 'persistence modes: always, everysec, none', 'always')
  .option('--subscribers <list>', 'subscriber counts of the pubsub suite', '1,10,100')
  .option('--publishers <n>', 'publishing connections', '4')
  .option('--pipeline <n>', 'PUBLISH commands per batch on each publishing connection', '16')
  .option('--size <bytes>', 'message size', '64')
  .option('--publishes <n>', 'PUBLISH calls per run (at most)', '200000')
  .option('--deliveries <n>', 'messages delivered to subscribers per run (at most)', '2000000')
  .option('--clients <n>', 'connections of the transactions suite', '50')
  .option('--transactions <n>', 'MULTI/EXEC transactions per run', '30000')
  .option('--datasize <bytes>', 'SET value size in transactions', '100')
  .option('--keyspace <n>', 'random keys of the SETs', '100000')
  .option('--runs <n>', 'runs per server and cell, alternating', '3')
  .option('--out <file>', 'append the Markdown section to this file')
  .parse()
  .opts<Record<string, string>>();

const suites = listOption(o['suite']!) as Suite[];
const modes = fsyncModes(o['fsync']!);
for (const s of suites) if (!SUITES.includes(s)) throw new Error(`unknown suite ${s}`);
const runs = Number(o['runs']);
const num = (name: string): number => Number(o[name]);

/** Server arguments for a persistence mode (as compare.ts). */
function serverArgs(name: Target['name'], fsync: Fsync): string[] {
  if (name === 'flashcache') return ['--appendfsync', fsync === 'none' ? 'no' : fsync];
  const aof = fsync === 'none' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', fsync];
  return ['--save', '', ...aof];
}

/** A connected loopback socket with Nagle off. */
function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ port, host: '127.0.0.1' }, () => resolve(s));
    s.setNoDelay(true);
    s.once('error', reject);
  });
}

/** A command as a RESP multibulk frame. */
function frame(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Reads from `s` until `bytes` more bytes arrived, failing on a closed
 * connection or, once all arrived, on a total that does not match (an error
 * reply, an unexpected count).
 */
class Counter {
  received = 0;
  private want = 0;
  private done: (() => void) | null = null;
  private failed: ((e: Error) => void) | null = null;

  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.received += d.length;
      if (this.done !== null && this.received >= this.want) {
        const f = this.done;
        this.done = null;
        f();
      }
    });
    socket.on('close', () => this.failed?.(new Error(`connection closed after ${this.received} bytes`)));
    socket.on('error', () => {});
  }

  /** Resolves once `total` bytes have arrived since the start; rejects if more, or on close. */
  until(total: number): Promise<void> {
    this.want = total;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.received === total) resolve();
        else reject(new Error(`expected ${total} reply bytes, got ${this.received}`));
      };
      this.failed = reject;
      if (this.received >= total) check();
      else this.done = check;
    });
  }
}

/** One run's operations and seconds. */
interface Run {
  ops: number;
  seconds: number;
}

/** The pubsub workload against `port`: publishes/s over the time until every message is delivered. */
async function publishRun(port: number, subscribers: number): Promise<Run> {
  const publishes = Math.min(num('publishes'), Math.floor(num('deliveries') / subscribers));
  const channel = 'bench';
  const message = Buffer.alloc(num('size'), 'm');
  const confirm = `*3\r\n$9\r\nsubscribe\r\n$${channel.length}\r\n${channel}\r\n:1\r\n`.length;
  const delivery = frame(['message', channel, message]).length;
  const subs: Counter[] = [];
  for (let i = 0; i < subscribers; i++) {
    const c = new Counter(await connect(port));
    c.socket.write(frame(['SUBSCRIBE', channel]));
    await c.until(confirm);
    subs.push(c);
  }
  const pipeline = num('pipeline');
  const publish = frame(['PUBLISH', channel, message]);
  const batch = Buffer.concat(Array(pipeline).fill(publish));
  const reply = `:${subscribers}\r\n`.length;
  const pubs = await Promise.all(
    Array.from({ length: num('publishers') }, async () => new Counter(await connect(port))),
  );
  const share = (i: number): number => Math.floor(publishes / pubs.length) + (i < publishes % pubs.length ? 1 : 0);
  const start = performance.now();
  const publishing = pubs.map(async (p, i) => {
    const mine = share(i);
    for (let sent = 0; sent < mine; ) {
      const n = Math.min(pipeline, mine - sent);
      p.socket.write(n === pipeline ? batch : Buffer.concat(Array(n).fill(publish)));
      sent += n;
      await p.until(sent * reply);
    }
  });
  await Promise.all([...publishing, ...subs.map((s) => s.until(confirm + publishes * delivery))]);
  const seconds = (performance.now() - start) / 1000;
  for (const c of [...subs, ...pubs]) c.socket.destroy();
  return { ops: publishes, seconds };
}

/** The transactions workload against `port`: MULTI, 10 SETs, EXEC per transaction; transactions/s. */
async function multiRun(port: number): Promise<Run> {
  const total = num('transactions');
  const value = Buffer.alloc(num('datasize'), 'v');
  const keyspace = num('keyspace');
  // A pool of distinct transactions, sent round-robin: random keys without generating them in the loop.
  const pool: Buffer[] = [];
  for (let i = 0; i < 1024; i++) {
    const parts = [frame(['MULTI'])];
    for (let j = 0; j < 10; j++) {
      const key = `key:${String(Math.floor(Math.random() * keyspace)).padStart(12, '0')}`;
      parts.push(frame(['SET', key, value]));
    }
    parts.push(frame(['EXEC']));
    pool.push(Buffer.concat(parts));
  }
  // +OK, 10 +QUEUED, then EXEC's *10 of +OK.
  const reply = '+OK\r\n'.length + 10 * '+QUEUED\r\n'.length + '*10\r\n'.length + 10 * '+OK\r\n'.length;
  const clients = await Promise.all(
    Array.from({ length: num('clients') }, async () => new Counter(await connect(port))),
  );
  const share = (i: number): number => Math.floor(total / clients.length) + (i < total % clients.length ? 1 : 0);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    clients.map(async (c, i) => {
      const mine = share(i);
      for (let done = 0; done < mine; done++) {
        c.socket.write(pool[next++ % pool.length]!);
        await c.until((done + 1) * reply);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  for (const c of clients) c.socket.destroy();
  return { ops: total, seconds };
}

/** One table row: a workload under one persistence mode, run against both servers. */
interface Cell {
  suite: Suite;
  fsync: Fsync;
  /** Subscribers (pubsub) or connections (transactions). */
  width: number;
  /** Operations per run. */
  ops: number;
  flashcache: number[];
  redis: number[];
}

/** Runs a cell: `runs` rounds of both servers, the first of each round alternating, a fresh server each time. */
async function runCell(suite: Suite, fsync: Fsync, width: number): Promise<Cell> {
  const cell: Cell = { suite, fsync, width, ops: 0, flashcache: [], redis: [] };
  for (let run = 0; run < runs; run++) {
    for (const name of run % 2 === 0 ? (['flashcache', 'redis'] as const) : (['redis', 'flashcache'] as const)) {
      const t = await startTarget(name, serverArgs(name, fsync));
      try {
        const r = suite === 'pubsub' ? await publishRun(t.port, width) : await multiRun(t.port);
        cell.ops = r.ops;
        cell[name].push(r.ops / r.seconds);
      } finally {
        await stopTarget(t, 'kill');
        removeDir(t);
      }
    }
  }
  return cell;
}

const k = (x: number): string => (x / 1000).toFixed(1);
const ratio = (c: Cell): number => median(c.flashcache) / median(c.redis);

/** One table row. */
function row(c: Cell): string {
  if (c.suite === 'transactions') {
    const sets = (xs: number[]): string => k(median(xs) * 10);
    return (
      `| ${c.width} | ${c.ops} | ${rateSpread(c.flashcache)} | ${rateSpread(c.redis)} | ${ratio(c).toFixed(2)}x | ` +
      `${sets(c.flashcache)} | ${sets(c.redis)} |`
    );
  }
  const delivered = (xs: number[]): string => k(median(xs) * c.width);
  return (
    `| ${c.width} | ${c.ops} | ${rateSpread(c.flashcache)} | ${rateSpread(c.redis)} | ${ratio(c).toFixed(2)}x | ` +
    `${delivered(c.flashcache)} | ${delivered(c.redis)} |`
  );
}

/** Markdown section of one suite under one mode. */
function section(cells: Cell[]): string {
  const { suite, fsync } = cells[0]!;
  const servers =
    `FlashCache ${serverArgs('flashcache', fsync).join(' ')}; ` +
    `redis-server ${serverArgs('redis', fsync)
      .map((a) => (a === '' ? '""' : a))
      .join(' ')}.`;
  const head =
    suite === 'pubsub'
      ? [
          `${o['publishers']} publishing connections, PUBLISH of ${o['size']}-byte messages ${o['pipeline']} at a ` +
            'time per connection; subscribers on their own connections; a run ends when every message is delivered.',
          '',
          '| subscribers | publishes per run | FlashCache k publishes/s | Redis k publishes/s | ratio | ' +
            'FlashCache k messages delivered/s | Redis k messages delivered/s |',
        ]
      : [
          `${o['clients']} connections, each sending MULTI, 10 SETs of ${o['datasize']}-byte values to random keys ` +
            `among ${o['keyspace']}, EXEC in one write and waiting for the replies before the next.`,
          '',
          '| connections | transactions per run | FlashCache k transactions/s | Redis k transactions/s | ratio | ' +
            'FlashCache k SETs/s | Redis k SETs/s |',
        ];
  return [`### ${suite}, persistence ${fsync}`, '', servers, ...head, `|${'---|'.repeat(7)}`, ...cells.map(row)].join(
    '\n',
  );
}

ensureRedisTools();
const env = environment();
const commandText = ['node dist/bench/pubsub.js', ...process.argv.slice(2)].join(' ');
const sections: string[] = [];
for (const fsync of modes) {
  for (const suite of suites) {
    const widths = suite === 'pubsub' ? listOption(o['subscribers']!).map(Number) : [num('clients')];
    const cells: Cell[] = [];
    for (const w of widths) {
      const cell = await runCell(suite, fsync, w);
      cells.push(cell);
      process.stderr.write(`${fsync} ${suite}: ${row(cell)}\n`);
    }
    sections.push(section(cells));
  }
}
const markdown = [
  `## ${env.date}: PUBLISH fan-out and MULTI/EXEC against redis-server (${suites.join(', ')}; ` +
    `fsync ${modes.join(', ')})`,
  '',
  `\`${commandText}\``,
  '',
  environmentLine(env),
  `Each cell: ${runs} run${runs === 1 ? '' : 's'} per server, alternating (the server started first flips every ` +
    'run), a fresh server per run; the load generator is raw sockets in one Node process on the same machine ' +
    '(bench/pubsub.ts). Rates as median (min-max); ratio is FlashCache/Redis of the medians.',
  '',
  sections.join('\n\n'),
].join('\n');
process.stdout.write(markdown + '\n');
if (o['out']) appendFileSync(o['out'], '\n' + markdown + '\n');
