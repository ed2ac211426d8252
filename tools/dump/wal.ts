/**
 * `cache-dump wal ls | cat | verify | repair`: the WAL seen through the
 * server's own reader (src/persistence/wal/reader.ts) in its keep-going mode.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { listSegments, parseSegmentFileName, type SegmentInfo } from '../../src/persistence/wal/segment.js';
import { recordEffects } from '../../src/persistence/wal/codec.js';
import { walkSegment, type SegmentWalk, type WalProblem, type WalRecord } from '../../src/persistence/wal/reader.js';
import { applyRepair, asidePath, lockForRepair, planRepair } from '../../src/persistence/wal/repair.js';
import type { RepairPlan } from '../../src/persistence/wal/repair.js';
import { RECORD_VERSION_TRANSACTION, SEGMENT_MAGIC } from '../../src/persistence/format.js';
import { dropMapped, mapFileReadOnly } from '../../src/persistence/mmap.js';
import { DirectoryLockedError, type DirLock } from '../../src/persistence/lock.js';
import type { CommandTable } from '../../src/commands/table.js';
import { globMatch } from '../../src/store/glob.js';
import { escapeArg, isoSeconds, jsonBytes, out, progress, table, UnusableInput } from './output.js';

/** The segments a command reads. */
export interface SegmentSet {
  /** The WAL directory they are in. */
  dir: string;
  /** Segment files, oldest first. */
  paths: string[];
  /**
   * Whether the last of `paths` is the last segment of its log. Only there
   * can damage be a torn tail; every earlier segment was synced whole.
   */
  endsLog: boolean;
}

/** An errno error from a file system call. */
function isErrno(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}

/**
 * Runs a file system call on input the operator named, turning its errors
 * (ENOENT, EACCES, ENOTDIR, EISDIR...) into {@link UnusableInput}.
 */
function reading<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isErrno(err))
      throw new UnusableInput(
        `cannot read ${path}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`,
      );
    throw err;
  }
}

/** The segments of WAL directory `dir`, oldest first. @throws UnusableInput when it cannot be listed */
function listed(dir: string): SegmentInfo[] {
  return reading(dir, () => listSegments(dir));
}

/** Whether the file at `path` starts with the segment magic. */
function hasSegmentMagic(path: string): boolean {
  return reading(path, () => {
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(SEGMENT_MAGIC.length);
      return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(SEGMENT_MAGIC);
    } finally {
      closeSync(fd);
    }
  });
}

function statInput(path: string): Stats {
  if (!existsSync(path)) throw new UnusableInput(`${path} does not exist`);
  return reading(path, () => statSync(path));
}

/**
 * The segment files a path names, for the read-only commands: one file, a
 * WAL directory, or a data directory (its `wal/`). A single file named like
 * a segment is classified by its place in its directory; a file named
 * otherwise (a `.broken` copy, say) is read if it starts like a segment, as
 * the end of a log.
 *
 * @throws UnusableInput when the path does not exist, cannot be read, holds no segments or is not a segment
 */
export function segmentSet(path: string): SegmentSet {
  const st = statInput(path);
  if (st.isFile()) {
    const dir = dirname(path);
    const name = basename(path);
    if (!Number.isNaN(parseSegmentFileName(name))) {
      const segs = listed(dir);
      const i = segs.findIndex((s) => s.name === name);
      return { dir, paths: [path], endsLog: i < 0 || i === segs.length - 1 };
    }
    if (!hasSegmentMagic(path))
      throw new UnusableInput(
        `${path} is not a WAL segment: its name is not <first LSN, 20 digits>.wal and it does not start with FLASHWAL`,
      );
    return { dir, paths: [path], endsLog: true };
  }
  if (!st.isDirectory()) throw new UnusableInput(`${path} is neither a directory nor a WAL segment file`);
  const dir = existsSync(join(path, 'wal')) ? join(path, 'wal') : path;
  const segs = listed(dir);
  if (segs.length === 0) throw new UnusableInput(`no WAL segments in ${dir}`);
  return { dir, paths: segs.map((s) => join(dir, s.name)), endsLog: true };
}

/**
 * The segments `wal repair` considers: those of a WAL or data directory, or,
 * for one segment file, the segments of its directory up to and including
 * it, so that its place in the log (last or not) is known.
 *
 * @throws UnusableInput when the path names no segments, or a file that is not a segment in a WAL directory
 */
export function repairSet(path: string): SegmentSet {
  const st = statInput(path);
  if (st.isFile()) {
    const dir = dirname(path);
    const name = basename(path);
    const segs = Number.isNaN(parseSegmentFileName(name)) ? [] : listed(dir);
    const i = segs.findIndex((s) => s.name === name);
    if (i < 0)
      throw new UnusableInput(
        `${path} is not a WAL segment (<first LSN, 20 digits>.wal) in a WAL directory; ` +
          'give wal repair the data directory, its wal/ directory or one of its segments',
      );
    return { dir, paths: segs.slice(0, i + 1).map((s) => join(dir, s.name)), endsLog: i === segs.length - 1 };
  }
  return segmentSet(path);
}

/** Chunk size for reading a segment that cannot be mapped. */
const READ_CHUNK = 64 << 20;
/** Files from this size on are read, not mapped (the mapping addon takes sizes below 2 GiB). */
const MAP_LIMIT = 2 ** 31;

/** A segment's bytes: a read-only mapping, or a copy read in chunks when the file cannot be mapped. */
export interface SegmentBytes {
  buf: Buffer;
  /** Whether `buf` is a mapping, whose pages {@link dropMapped} may release (never on a copy: it would zero it). */
  mapped: boolean;
}

/**
 * Reads a segment: mapped when it can be, else read into memory in chunks
 * (files of 2 GiB and more, which the mapping addon refuses, or a mapping
 * that fails).
 *
 * @param mapLimit files from this size on are read, not mapped
 * @throws UnusableInput when it cannot be opened or read, or is larger than a buffer can hold
 */
export function loadSegment(path: string, mapLimit = MAP_LIMIT): SegmentBytes {
  const size = reading(path, () => statSync(path).size);
  if (size < mapLimit) {
    try {
      return { buf: mapFileReadOnly(path), mapped: true };
    } catch (err) {
      if (isErrno(err)) throw new UnusableInput(`cannot read ${path}: ${err.message}`);
      // The mapping itself failed (address space, limits): read it instead.
    }
  }
  if (size > bufferConstants.MAX_LENGTH)
    throw new UnusableInput(
      `${path} is ${size} bytes, more than cache-dump can hold in memory (${bufferConstants.MAX_LENGTH}); ` +
        'it is not a segment this server wrote',
    );
  return reading(path, () => {
    const fd = openSync(path, 'r');
    try {
      let buf: Buffer;
      try {
        buf = Buffer.allocUnsafe(fstatSync(fd).size);
      } catch {
        throw new UnusableInput(
          `${path} is ${size} bytes and too large to map, and there is not enough memory to read it whole`,
        );
      }
      let off = 0;
      while (off < buf.length) {
        const n = readSync(fd, buf, off, Math.min(READ_CHUNK, buf.length - off), off);
        if (n === 0) break;
        off += n;
      }
      return { buf: buf.subarray(0, off), mapped: false };
    } finally {
      closeSync(fd);
    }
  });
}

/** One segment walked, with every valid record. */
interface Walked {
  path: string;
  /** The segment's bytes; reading them again faults dropped pages back in. */
  buf: Buffer;
  walk: SegmentWalk;
  records: WalRecord[];
  /** Whether this is the last segment of its log. */
  isLast: boolean;
}

/**
 * Walks every segment in order, as recovery does: sequence checked across
 * segments, the last segment's torn tail recognised, damage reported and
 * read past. Yields one segment at a time (a segment is at most ~1 GiB).
 */
function* walkAll(set: SegmentSet, keepRecords: boolean): Generator<Walked> {
  const { paths } = set;
  let expect: number | undefined;
  const bar = progress(
    'reading',
    paths.reduce((a, p) => a + reading(p, () => statSync(p).size), 0),
  );
  let done = 0;
  try {
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i]!;
      const isLast = set.endsLog && i === paths.length - 1;
      // Mapped, not read: no copy of the segment, and the pages already
      // checked are dropped as the walk goes, so memory stays flat however
      // large the log. Records kept for `wal cat` fault theirs back in.
      const { buf, mapped } = loadSegment(path);
      const records: WalRecord[] = [];
      const walk = walkSegment(buf, basename(path), {
        ...(expect !== undefined ? { expectLsn: expect } : {}),
        lastSegment: isLast,
        ...(keepRecords ? { onRecord: (r: WalRecord) => records.push({ ...r }) } : {}),
        ...(mapped ? { onAdvance: (offset: number) => dropMapped(buf, 0, offset) } : {}),
      });
      if (mapped) dropMapped(buf, 0, buf.length);
      if (walk.count > 0) expect = walk.lastLsn + 1;
      else if (walk.header !== null && expect === undefined) expect = walk.header.firstLsn;
      done += buf.length;
      bar.update(done);
      yield { path, buf, walk, records, isLast };
    }
  } finally {
    bar.stop();
  }
}

function stateOf(w: SegmentWalk): string {
  const p = w.problems[0];
  if (p === undefined) return 'ok';
  const more = w.problems.length > 1 ? ` (+${w.problems.length - 1} more)` : '';
  if (p.torn) return `torn tail at offset ${p.offset}${more}`;
  if (p.kind === 'bad-segment-header') return `bad segment header${more}`;
  if (p.kind === 'lsn-gap') return `records missing at offset ${p.offset}${more}`;
  return `corrupt at offset ${p.offset}${more}`;
}

/** `wal ls`: one line per segment. */
export async function walLs(path: string): Promise<number> {
  const rows = [['SEGMENT', 'FIRST LSN', 'LAST LSN', 'RECORDS', 'BYTES', 'STATE']];
  let damaged = false;
  for (const { path: p, walk } of walkAll(segmentSet(path), false)) {
    damaged ||= walk.problems.length > 0;
    rows.push([
      basename(p),
      walk.header ? String(walk.header.firstLsn) : '-',
      walk.count > 0 ? String(walk.lastLsn) : '-',
      String(walk.count),
      String(walk.size),
      stateOf(walk),
    ]);
  }
  await out(table(rows));
  return damaged ? 1 : 0;
}

/** Filters of `wal cat`. */
export interface CatOptions {
  fromLsn?: number;
  toLsn?: number;
  db?: number;
  key?: string;
  json?: boolean;
}

/** The server's command table, loaded only when `--key` needs key positions. */
async function commandTable(): Promise<{
  commands: CommandTable;
  keysOf: typeof import('../../src/commands/table.js').keysOf;
}> {
  const [{ allCommands }, { CommandTable: Table, keysOf }] = await Promise.all([
    import('../../src/commands/index.js'),
    import('../../src/commands/table.js'),
  ]);
  const commands = new Table();
  commands.add(allCommands());
  return { commands, keysOf };
}

/** The key arguments of an effect: what its key specs find, and the keys it writes in other databases. */
function effectKeys({ commands, keysOf }: Awaited<ReturnType<typeof commandTable>>, args: Buffer[]): Buffer[] {
  const spec = commands.lookup(args);
  if (spec === undefined) return [];
  return [...keysOf(spec, args), ...(spec.otherDbKeys?.(args) ?? []).map((k) => k.key)];
}

/**
 * `wal cat`: every effect, one a line (or JSON lines); damage noted on stderr.
 * The effects of a transaction record share its LSN and sit between `MULTI`
 * and `EXEC` lines (JSON: each carries `transaction: { index, effects }`).
 */
export async function walCat(path: string, o: CatOptions): Promise<number> {
  const pattern = o.key !== undefined ? Buffer.from(o.key) : null;
  const cmds = pattern !== null ? await commandTable() : null;
  let damaged = false;
  for (const { walk, records } of walkAll(segmentSet(path), true)) {
    for (const p of walk.problems) {
      damaged = true;
      process.stderr.write(`# ${p.file}:${p.offset} ${p.torn ? 'torn tail' : p.kind}: ${p.detail}\n`);
    }
    for (const r of records) {
      if (o.fromLsn !== undefined && r.lsn < o.fromLsn) continue;
      if (o.toLsn !== undefined && r.lsn > o.toLsn) continue;
      const effects = recordEffects(r.version, r.db, r.payload);
      const transaction = r.version === RECORD_VERSION_TRANSACTION;
      const lines: string[] = [];
      for (const [index, e] of effects.entries()) {
        if (o.db !== undefined && e.db !== o.db) continue;
        const args = e.args.map((a) => (typeof a === 'string' ? Buffer.from(a, 'latin1') : a));
        if (pattern !== null && !effectKeys(cmds!, args).some((k) => globMatch(pattern, k))) continue;
        const name = args[0]!.toString('latin1');
        if (o.json) {
          const line = {
            lsn: r.lsn,
            time: isoSeconds(r.time),
            db: e.db,
            command: name,
            args: args.slice(1).map(jsonBytes),
          };
          lines.push(JSON.stringify(transaction ? { ...line, transaction: { index, effects: effects.length } } : line));
        } else {
          lines.push(
            `${r.lsn}  ${isoSeconds(r.time)}  db=${e.db}  ${[name, ...args.slice(1).map(escapeArg)].join(' ')}`,
          );
        }
      }
      if (lines.length === 0) continue;
      if (transaction && !o.json) {
        const frame = (word: string): string => `${r.lsn}  ${isoSeconds(r.time)}  db=${r.db}  ${word}`;
        lines.unshift(frame(`MULTI (${effects.length} effects)`));
        lines.push(frame('EXEC'));
      }
      await out(lines.join('\n') + '\n');
    }
  }
  return damaged ? 1 : 0;
}

function describeProblem(p: WalProblem): string {
  const kind = p.torn ? 'torn tail (an unsynced last batch; `cache-dump wal repair` truncates it)' : p.kind;
  return `${p.file}:${p.offset}  ${kind}: ${p.detail}`;
}

/**
 * `wal verify`: reads every record, prints each problem and how far the log
 * is good. Exit code 0 clean, 1 damaged.
 */
export async function walVerify(path: string): Promise<number> {
  let goodFile = '';
  let goodOffset = 0;
  let goodLsn = 0;
  let stopped = false;
  let records = 0;
  let segments = 0;
  const problems: WalProblem[] = [];
  for (const { path: p, buf, walk } of walkAll(segmentSet(path), false)) {
    segments++;
    records += walk.count;
    problems.push(...walk.problems);
    if (stopped) continue;
    goodFile = basename(p);
    if (walk.problems.length === 0) {
      goodOffset = walk.size;
      if (walk.count > 0) goodLsn = walk.lastLsn;
    } else {
      goodOffset = walk.problems[0]!.offset;
      goodLsn = lastLsnBefore(buf, goodOffset) ?? goodLsn;
      stopped = true;
    }
  }
  for (const p of problems) await out(describeProblem(p) + '\n');
  await out(`ok up to ${goodFile}:${goodOffset} (LSN ${goodLsn})\n`);
  await out(`${plural(segments, 'segment')}, ${records} valid records, ${plural(problems.length, 'problem')}\n`);
  return problems.length > 0 ? 1 : 0;
}

/** LSN of the last valid record that ends at or before `offset` in a segment buffer. */
function lastLsnBefore(buf: Buffer, offset: number): number | null {
  const walk = walkSegment(buf.subarray(0, offset), 'x', { lastSegment: false });
  return walk.count > 0 ? walk.lastLsn : null;
}

/** Options of `wal repair`. */
export interface RepairOptions {
  /** Do not ask for confirmation. */
  yes: boolean;
  /** Act on damage that is not a torn tail too, losing the records from the damage on. */
  force: boolean;
}

function lsnRange(lsns: number[]): string {
  if (lsns.length === 0) return '';
  return lsns.length === 1 ? ` (LSN ${lsns[0]})` : ` (LSN ${lsns[0]}..${lsns[lsns.length - 1]})`;
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** The records setting a segment aside loses, as the question before it names them. */
function setAsideLoss(lost: number[]): string {
  return lost.length > 0 ? `, ${plural(lost.length, 'valid record')}${lsnRange(lost)}` : ', no valid record';
}

/** The explanation of a refused repair of segment `name`, with the choices left to the operator. */
function refusalText(name: string, problem: WalProblem, plan: Extract<RepairPlan, { kind: 'refuse' }>): string {
  if (plan.reason === 'not-last-segment') {
    return (
      `The damage is in ${name}, which is not the last segment: the records after it were synced ` +
      `and may have been acknowledged, so they are not dropped silently. Choices:\n` +
      `  1. start the server with --wal-recovery skip-corrupt: ` +
      `it skips the damaged bytes and keeps every valid record after them;\n` +
      `  2. restore the data directory from a backup;\n` +
      `  3. move ${name} and every later segment aside, losing every record from the damage on.\n` +
      `Nothing was changed.\n`
    );
  }
  const lost = plan.forced.lost;
  if (plan.reason === 'header-holds-records') {
    return refusal(
      name,
      `its header is damaged and it still holds ${plural(lost.length, 'valid record')}${lsnRange(lost)}`,
      `it skips this whole segment, and its records are lost`,
      `move ${name} aside anyway, losing those records`,
    );
  }
  const why =
    plan.reason === 'missing-records'
      ? `records are missing before offset ${problem.offset} (${problem.detail}), ` +
        'and the records after the gap were synced'
      : 'a record after it was written once the damaged record had been synced, ' +
        'so the damaged bytes may hold acknowledged writes';
  return refusal(
    name,
    why,
    `it skips the damaged bytes and keeps every valid record after them`,
    `truncate ${name} at offset ${problem.offset} anyway, dropping ${plan.forced.bytes} bytes ` +
      `and ${plural(lost.length, 'record')} from the damage on${lsnRange(lost)}`,
  );
}

/** The refusal of a repair of the last segment, with the choices left to the operator. */
function refusal(name: string, why: string, skip: string, force: string): string {
  return (
    `${name} is the last segment, but this damage is not a torn tail: ${why}. ` +
    'Repair only truncates a torn tail. Choices:\n' +
    `  1. start the server with --wal-recovery skip-corrupt: ${skip};\n` +
    `  2. restore the data directory from a backup;\n` +
    `  3. move ${name} aside yourself, losing every record in it;\n` +
    `  4. re-run with --force to ${force}.\n` +
    `Nothing was changed.\n`
  );
}

/**
 * `wal repair`: truncates a torn tail of the last segment after copying the
 * segment aside as `<segment>.broken`, or sets aside a last segment whose
 * header is damaged and which holds no valid record; asks first unless
 * `o.yes`. Other damage is reported with the choices and nothing is changed,
 * unless `o.force`. The data directory lock is held from before the scan to
 * the end, so no server starts on the directory meanwhile.
 *
 * @returns 0 repaired or clean, 1 refused or declined, 2 no terminal to ask on (and no `--yes`)
 * @throws UnusableInput when the path names no WAL, or a server holds the directory
 */
export async function walRepair(path: string, o: RepairOptions): Promise<number> {
  const set = repairSet(path);
  const lock = lockWalDir(set.dir);
  try {
    return await repairLocked(set, o);
  } finally {
    lock?.release();
  }
}

async function repairLocked(set: SegmentSet, o: RepairOptions): Promise<number> {
  let target: Walked | null = null;
  for (const w of walkAll(set, false)) {
    if (w.walk.problems.length > 0) {
      target = w;
      break;
    }
  }
  if (target === null) {
    await out(
      set.endsLog
        ? 'the WAL is clean: nothing to repair\n'
        : `the WAL is clean up to ${basename(set.paths[set.paths.length - 1]!)}: nothing to repair\n`,
    );
    return 0;
  }
  const problem = target.walk.problems[0]!;
  const name = basename(target.path);
  await out(describeProblem(problem) + '\n');
  const action = planRepair(target.buf, problem, target.isLast, o.force);
  if (action.kind === 'refuse') {
    await out(refusalText(name, problem, action));
    return 1;
  }
  const aside = asidePath(target.path);
  const lost =
    action.lost.length > 0
      ? ` and ${plural(action.lost.length, 'valid-looking record')} from the damage on${lsnRange(action.lost)}`
      : '';
  const what =
    action.kind === 'truncate'
      ? `truncate ${name} at offset ${action.offset}, dropping ${action.bytes} bytes${lost}`
      : `move ${name} (${action.bytes} bytes${setAsideLoss(action.lost)}) aside as ${basename(aside)}, ` +
        'taking it out of the log';
  if (!o.yes) {
    if (!process.stdin.isTTY) {
      await out(
        `Would ${what}. Re-run with --yes to do it (stdin is not a terminal to ask on). Nothing was changed.\n`,
      );
      return 2;
    }
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question(`${what[0]!.toUpperCase()}${what.slice(1)}? [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      await out('Nothing was changed.\n');
      return 1;
    }
  }
  await applyRepair(target.path, action, aside);
  if (action.kind === 'set-aside') {
    await out(
      `Moved ${name} aside as ${basename(aside)} (${action.bytes} bytes, ${plural(action.lost.length, 'record')}); ` +
        'it is no longer part of the log.\n',
    );
    return 0;
  }
  await out(
    `Truncated ${name} at offset ${action.offset}: dropped ${action.bytes} bytes ` +
      `(${plural(action.lost.length, 'record')}). The original is saved as ${basename(aside)}.\n`,
  );
  return 0;
}

/**
 * Takes the lock of the data directory whose WAL directory is `walDir` for
 * the repair ({@link lockForRepair}).
 *
 * @returns the held lock, or null when `walDir` is not named `wal` (no server uses it)
 * @throws UnusableInput when a server (or another repair) holds the directory, or it cannot be locked
 */
function lockWalDir(walDir: string): DirLock | null {
  try {
    return lockForRepair(walDir);
  } catch (err) {
    if (err instanceof DirectoryLockedError)
      throw new UnusableInput(`${err.message}; stop the server before repairing its WAL`);
    if (isErrno(err)) throw new UnusableInput(`cannot lock ${dirname(resolve(walDir))} for the repair: ${err.message}`);
    throw err;
  }
}
