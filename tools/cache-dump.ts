#!/usr/bin/env node
/**
 * `cache-dump`: inspect, verify, repair and export a FlashCache data
 * directory without starting the server. Every command reads through the
 * server's own code (WAL reader, manifest and page loader, recovery) in a
 * keep-going or read-only mode; only `wal repair` changes anything, and it
 * copies the file aside and asks first.
 *
 * Exit codes: 0 clean / done; 1 damage found, or a repair refused or
 * declined by the user; 2 unusable input (no such directory, nothing to read,
 * a file that is not a segment, bad arguments, a directory a server holds),
 * or a repair that must ask but has no terminal to ask on and no `--yes`.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { narrowHelp } from '../src/help-width.js';
import { FLASHCACHE_VERSION } from '../src/version.js';
import type { WalRecoveryPolicy } from '../src/persistence/wal/replay.js';
import { UnusableInput } from './dump/output.js';
import type { CatOptions } from './dump/wal.js';

// Each command loads only the modules it needs: `wal verify` need not load
// the server's command table, and start-up stays short for scripts.
const walTool = (): Promise<typeof import('./dump/wal.js')> => import('./dump/wal.js');
const snapshotTool = (): Promise<typeof import('./dump/snapshot.js')> => import('./dump/snapshot.js');
const backupTool = (): Promise<typeof import('./dump/backup.js')> => import('./dump/backup.js');
const keyspaceTool = (): Promise<typeof import('./dump/keyspace.js')> => import('./dump/keyspace.js');

function int(name: string) {
  return (v: string): number => {
    if (!/^[0-9]+$/.test(v)) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return Number(v);
  };
}

/**
 * Exits once everything written to stdout has left the process: a pipe whose
 * reader is slow holds queued writes that `process.exit` alone would drop.
 */
function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

// A reader that goes away (`cache-dump wal cat DIR | head`) ends the run
// quietly, with the status of a process stopped by SIGPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(141);
  throw err;
});

/** Runs an action and exits with its code; known input errors exit 2 with a one-line message. */
function run(action: () => Promise<number>): Promise<void> {
  return action().then(
    (code) => exitAfterFlush(code),
    (err: Error) => {
      process.stderr.write(`cache-dump: ${err.message}\n`);
      exitAfterFlush(err instanceof UnusableInput ? 2 : 1);
    },
  );
}

const program = new Command('cache-dump')
  .configureHelp(narrowHelp())
  .description('Inspect, verify, repair and export FlashCache WAL segments and snapshots.')
  .version(FLASHCACHE_VERSION)
  .option('--databases <n>', "the server's databases setting", int('--databases'), 16)
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

const databases = (): number => program.opts<{ databases: number }>().databases;

const wal = program.command('wal').description('WAL segments');
wal
  .command('ls')
  .description('segments with first and last LSN, record count, bytes and state')
  .argument('<path>', 'data directory, WAL directory or one segment file')
  .action((path: string) => run(async () => (await walTool()).walLs(path)));
wal
  .command('cat')
  .description('records, one a line: LSN, time, database, command and arguments (binary bytes escaped)')
  .argument('<path>', 'data directory, WAL directory or one segment file')
  .option('--from-lsn <n>', 'first LSN to print', int('--from-lsn'))
  .option('--to-lsn <n>', 'last LSN to print', int('--to-lsn'))
  .option('--db <n>', 'only records for this database', int('--db'))
  .option('--key <pattern>', 'only records whose keys match this glob')
  .option('--json', 'JSON lines instead of text')
  .action((path: string, o: CatOptions) => run(async () => (await walTool()).walCat(path, o)));
wal
  .command('verify')
  .description(
    'read every record; print each problem and how far the log is good (exit 0 clean, 1 damaged, 2 unusable)',
  )
  .argument('<path>', 'data directory, WAL directory or one segment file')
  .action((path: string) => run(async () => (await walTool()).walVerify(path)));
wal
  .command('repair')
  .description(
    'truncate a torn tail of the last segment after copying it aside as <segment>.broken, ' +
      'or set aside a last segment whose header is damaged and ' +
      'which holds no valid record; other damage is explained and left alone (exit 1) unless --force',
  )
  .argument(
    '<path>',
    'data directory, WAL directory, or one segment file (repaired only if it is the last of its directory)',
  )
  .option(
    '--yes',
    'do not ask for confirmation (without it, and without a terminal to ask on, nothing is done: exit 2)',
  )
  .option(
    '--force',
    'also truncate damage that is not a torn tail, at its offset, losing every record from there on (acknowledged ' +
      'writes among them)',
  )
  .action((path: string, o: { yes?: boolean; force?: boolean }) =>
    run(async () => (await walTool()).walRepair(path, { yes: o.yes === true, force: o.force === true })),
  );

const snapshot = program.command('snapshot').description('snapshot manifests and pages');
snapshot
  .command('info')
  .description(
    'each manifest: version, covered LSN, pages, slots, sizes, creation time, checksum state ' +
      '(exit 1 damaged; 2 when no snapshot was taken yet, said in words)',
  )
  .argument('<path>', 'data directory or snapshot directory')
  .action((path: string) => run(async () => (await snapshotTool()).snapshotInfo(path, databases())));
snapshot
  .command('verify')
  .description('every manifest, page checksum and entry header (exit 0 clean, 1 damaged, 2 unusable)')
  .argument('<path>', 'data directory or snapshot directory')
  .action((path: string) => run(async () => (await snapshotTool()).snapshotVerify(path, databases())));

program
  .command('backup')
  .description(
    'copy a data directory consistently, also while a server runs on it: the newest snapshot, ' +
      'its pages, then the WAL (exit 1 when snapshots kept replacing it)',
  )
  .argument('<src>', 'data directory')
  .argument('<dest>', 'new directory for the copy (must not exist, or be empty)')
  .action((src: string, dest: string) => run(async () => (await backupTool()).backup(src, dest)));

const recovery = new Option('--wal-recovery <policy>', "damaged WAL: as the server's wal-recovery setting")
  .choices(['tolerate-tail', 'strict', 'skip-corrupt'])
  .default('tolerate-tail');

program
  .command('keys')
  .description(
    'the keyspace as the server would load it (snapshot + WAL tail): database, key, type, size, expiry (exit 1 ' +
      'when the load read past damage)',
  )
  .argument('<path>', 'data directory')
  .option('--db <n>', 'only this database', int('--db'))
  .option('--match <pattern>', 'only keys matching this glob')
  .addOption(recovery)
  .action((path: string, o: { db?: number; match?: string; walRecovery: WalRecoveryPolicy }) =>
    run(async () =>
      (await keyspaceTool()).keys(path, databases(), o.walRecovery, {
        ...(o.db !== undefined ? { db: o.db } : {}),
        ...(o.match !== undefined ? { match: o.match } : {}),
      }),
    ),
  );
program
  .command('export')
  .description(
    'the recovered keyspace as RESP commands (pipe into redis-cli --pipe), JSON lines, or a dump.rdb that ' +
      'redis-server loads (exit 1 when the load read past damage)',
  )
  .argument('<path>', 'data directory')
  .addOption(new Option('--format <format>', 'output format').choices(['resp', 'json', 'rdb']).default('resp'))
  .addOption(recovery)
  .action((path: string, o: { format: 'resp' | 'json' | 'rdb'; walRecovery: WalRecoveryPolicy }) =>
    run(async () =>
      o.format === 'rdb'
        ? (await import('./dump/rdb.js')).exportRdb(path, databases(), o.walRecovery)
        : (await keyspaceTool()).exportKeyspace(path, databases(), o.walRecovery, o.format),
    ),
  );

await program.parseAsync();
