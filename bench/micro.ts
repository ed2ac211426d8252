/**
 * Micro-benchmarks of the server's hot paths, calling the code in src/
 * directly (no sockets, no server):
 * - RESP decode: `RespDecoder` over a buffer of 1000 pipelined
 *   `SET key:<12 digits> <100-byte value>` frames, and of GET frames;
 * - reply encode: `ReplyBuffer` appending 1000 +OK, 100-byte bulk or integer
 *   replies, then `take()`;
 * - WAL group commit: `Wal` with appendfsync always and no, SET effects
 *   appended 50 per event-loop turn with a `flush()` at the end of each turn
 *   (as the server does), until `onReleasable` reports the last LSN;
 * - keyspace: `Db.setString` of 100k new keys with 100-byte values into a
 *   fresh `Keyspace`, then `Db.lookup` + `Db.value` of each.
 *
 *   npm run bench:micro
 *   node dist/bench/micro.js --runs 5 --dir /var/tmp
 *
 * Each benchmark runs once to warm up, then `--runs` times; reported are the
 * median ns per operation and the ops/s it implies. The WAL writes under
 * `--dir` (default: the system temporary directory), which should be on the
 * disk whose fsync is to be measured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Command } from 'commander';
import { RespDecoder } from '../src/protocol/decoder.js';
import { ReplyBuffer } from '../src/protocol/encoder.js';
import { Wal, type FsyncPolicy } from '../src/persistence/wal/writer.js';
import { Keyspace } from '../src/store/keyspace.js';
import { environment, environmentLine, median } from './lib.js';

const o = new Command('bench-micro')
  .option('--runs <n>', 'timed runs per benchmark (after one warm-up run)', '5')
  .option('--dir <dir>', 'parent directory of the WAL benchmark', tmpdir())
  .parse()
  .opts<{ runs: string; dir: string }>();

const FRAMES = 1000;
const VALUE = Buffer.alloc(100, 'v');
const keyOf = (i: number): Buffer => Buffer.from(`key:${String(i).padStart(12, '0')}`);

/**
 * Times `run`, which performs `ops` operations, once to warm up and then
 * `--runs` times, and prints a table row.
 *
 * @param run one timed run; may return a note for the row (from the last run)
 */
async function measure(name: string, ops: number, run: () => unknown): Promise<void> {
  await run();
  const ns: number[] = [];
  let note = '';
  for (let r = 0; r < Number(o.runs); r++) {
    const t0 = process.hrtime.bigint();
    const out = await run();
    note = typeof out === 'string' ? out : '';
    ns.push(Number(process.hrtime.bigint() - t0) / ops);
  }
  const perOp = median(ns);
  process.stdout.write(
    `| ${name} | ${Math.round(1e9 / perOp).toLocaleString('en-US')} | ${perOp.toFixed(1)} | ${note} |\n`,
  );
}

/** RESP multibulk encoding of one command. */
function frame(args: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) parts.push(Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

/** Decodes `reps` copies of a pipelined buffer with one decoder; counts arguments. */
function decode(buf: Buffer, reps: number): string {
  const d = new RespDecoder();
  let args = 0;
  for (let r = 0; r < reps; r++) {
    d.push(buf);
    for (let argv = d.next(); argv !== null; argv = d.next()) args += argv.length;
  }
  return `${args / reps / FRAMES} arguments per frame`;
}

/** Appends `FRAMES` replies with `add` and takes them, `reps` times. */
function encode(reps: number, add: (b: ReplyBuffer, i: number) => void): void {
  const b = new ReplyBuffer();
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < FRAMES; i++) add(b, i);
    b.take();
  }
}

/**
 * Appends `records` SET effects to `wal`, `perTurn` per event-loop turn with
 * a flush at the end of each, and resolves once they are durable.
 *
 * @returns group commits and fsyncs the records took
 */
async function walRun(wal: Wal, keys: Buffer[], records: number, perTurn: number): Promise<string> {
  const batches = wal.batches;
  const fsyncs = wal.syncs;
  let last = 0;
  const durable = new Promise<void>((res) => {
    wal.onReleasable = (lsn) => {
      if (last > 0 && lsn >= last) res();
    };
  });
  for (let i = 0; i < records; i++) {
    const lsn = wal.append(0, ['SET', keys[i % keys.length]!, VALUE]);
    if (i === records - 1) last = lsn;
    if ((i + 1) % perTurn === 0 || i === records - 1) {
      wal.flush();
      await nextTurn();
    }
  }
  if (wal.releasableLsn < last) await durable;
  const b = wal.batches - batches;
  return `${b} group commits (${Math.round(records / b)} records each), ${wal.syncs - fsyncs} fsyncs`;
}

const env = environment();
process.stdout.write(`${environmentLine(env)} Median of ${o.runs} runs after a warm-up.\n\n`);
process.stdout.write('| benchmark | ops/s | ns/op | notes |\n|---|---|---|---|\n');

const keys = Array.from({ length: FRAMES }, (_, i) => keyOf(i));
const REPS = 200;
const sets = Buffer.concat(keys.map((k) => frame([Buffer.from('SET'), k, VALUE])));
const gets = Buffer.concat(keys.map((k) => frame([Buffer.from('GET'), k])));
await measure(`RESP decode, ${FRAMES} pipelined SET (100 B) frames per buffer`, FRAMES * REPS, () =>
  decode(sets, REPS),
);
await measure(`RESP decode, ${FRAMES} pipelined GET frames per buffer`, FRAMES * REPS, () => decode(gets, REPS));

await measure('reply encode, +OK', FRAMES * REPS, () => encode(REPS, (b) => b.ok()));
await measure('reply encode, 100 B bulk', FRAMES * REPS, () => encode(REPS, (b) => b.bulk(VALUE)));
await measure('reply encode, integer', FRAMES * REPS, () => encode(REPS, (b, i) => b.int(i * 7919)));

const RECORDS = 100_000;
for (const appendfsync of ['always', 'no'] as FsyncPolicy[]) {
  const dir = mkdtempSync(join(o.dir, 'bench-micro-wal-'));
  const wal = await Wal.open({ dir, segmentSize: 64 * 2 ** 20, appendfsync, nextLsn: 1 });
  try {
    await measure(`WAL append + group commit, appendfsync ${appendfsync}, SET 100 B, 50 per turn`, RECORDS, () =>
      walRun(wal, keys, RECORDS, 50),
    );
  } finally {
    await wal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const KEYS = 100_000;
const many = Array.from({ length: KEYS }, (_, i) => keyOf(i));
const fill = (): Keyspace => {
  const ks = new Keyspace(1, { onExpired: () => {} });
  const db = ks.dbs[0]!;
  for (const k of many) db.setString(k, VALUE, 0);
  return ks;
};
await measure(`keyspace set, ${KEYS} new keys, 100 B values`, KEYS, () => void fill());
const db = fill().dbs[0]!;
await measure(`keyspace get, ${KEYS} keys, 100 B values`, KEYS, () => {
  let bytes = 0;
  for (const k of many) bytes += db.value(db.lookup(k)).length;
  if (bytes !== KEYS * VALUE.length) throw new Error(`read ${bytes} bytes`);
});
