/**
 * `cache-dump export --format rdb`: the recovered keyspace as a dump.rdb
 * (RDB version 10) that redis-server 7.0 and 7.2 load at start (6.2 refuses version 10), every
 * key with its TTL; keys already expired are left out (docs/FORMAT.md, "RDB").
 */
import { RdbFileWriter } from '../../src/persistence/rdb/file.js';
import { toRdbObject } from '../../src/persistence/rdb/values.js';
import type { WalRecoveryPolicy } from '../../src/persistence/wal/replay.js';
import { eachKey, loadKeyspace } from './keyspace.js';
import { out, UnusableInput } from './output.js';

/**
 * Writes the keyspace of data directory `path` to stdout as an RDB file.
 *
 * @returns 0, or 1 when the load went past damage
 * @throws UnusableInput when stdout is a terminal (binary output), or as {@link loadKeyspace}
 */
export async function exportRdb(path: string, databases: number, policy: WalRecoveryPolicy): Promise<number> {
  if (process.stdout.isTTY) throw new UnusableInput('an RDB file is binary: redirect the output (> dump.rdb)');
  const { keyspace, damaged } = loadKeyspace(path, databases, policy);
  const now = Date.now();
  const pending: Buffer[] = [];
  const w = new RdbFileWriter((chunk) => pending.push(chunk));
  const drain = async () => {
    for (const chunk of pending.splice(0)) await out(chunk);
  };
  w.begin([
    ['redis-ver', '7.0.15'],
    ['redis-bits', '64'],
    ['ctime', String(Math.floor(now / 1000))],
    ['used-mem', String(process.memoryUsage().rss)],
    ['aof-base', '0'],
  ]);
  // RESIZEDB wants each database's key and TTL counts before its keys: a first pass counts.
  const counts = keyspace.dbs.map(() => ({ keys: 0, expires: 0 }));
  await eachKey(keyspace, {}, async (db, _key, _type, _value, at) => {
    if (at > 0 && at <= now) return;
    counts[db]!.keys++;
    if (at > 0) counts[db]!.expires++;
  });
  let selected = -1;
  await eachKey(keyspace, {}, async (db, key, _type, value, at) => {
    if (at > 0 && at <= now) return;
    if (db !== selected) {
      w.selectDb(db, counts[db]!.keys, counts[db]!.expires);
      selected = db;
    }
    w.entry(key, toRdbObject(value), at > 0 ? at : -1);
    if (pending.length > 0) await drain();
  });
  w.end();
  await drain();
  return damaged ? 1 : 0;
}
