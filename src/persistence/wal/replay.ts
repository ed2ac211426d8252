/**
 * WAL replay at start-up, and the policy for damaged logs
 * (`wal-recovery`, docs/FORMAT.md "Torn writes and corruption"):
 *
 * - `tolerate-tail` (default): a torn tail of the last segment is truncated and
 *   logged with file, offset and bytes dropped; any other damage stops start-up.
 * - `strict`: any damage, a torn tail included, stops start-up.
 * - `skip-corrupt`: damaged bytes are skipped and logged, replay goes on with
 *   the next valid record. Records in the damaged range are lost.
 *
 * Replay applies records in LSN order through a callback (the server runs
 * them through the command table with expiry switched off), so the state after
 * replay does not depend on the clock.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fdatasyncFile, truncateFile } from '../fsutil.js';
import { listSegments } from './segment.js';
import { walkSegment, type WalkOptions, type WalProblem, type WalRecord } from './reader.js';

/** Damage policy at start-up (setting `wal-recovery`). */
export type WalRecoveryPolicy = 'tolerate-tail' | 'strict' | 'skip-corrupt';

/** Start-up refused because the WAL is damaged where the policy does not allow it. */
export class WalCorruptionError extends Error {
  override readonly name = 'WalCorruptionError';

  constructor(
    /** Path of the damaged segment. */
    readonly file: string,
    /** Byte offset of the damage in it. */
    readonly offset: number,
    /** What the reader found. */
    readonly problem: WalProblem | null,
    message: string,
  ) {
    super(message);
  }
}

/** What replay did, for the start-up summary line. */
export interface ReplayResult {
  /** Records applied. */
  records: number;
  /** Segments read. */
  segments: number;
  /** Segments skipped because the snapshot covers all of their records. */
  skippedSegments: number;
  /** LSN of the last record in the log (applied or covered by a snapshot); 0 for an empty log. */
  lastLsn: number;
  /** Torn tails truncated: file, offset, bytes dropped. */
  truncated: { file: string; offset: number; bytes: number }[];
  /** Damage skipped under `skip-corrupt`. */
  skipped: WalProblem[];
}

/** Settings of one replay. */
export interface ReplayOptions {
  /** WAL directory. */
  dir: string;
  policy: WalRecoveryPolicy;
  /** Records at or below this LSN are already in the loaded snapshot (0: none). */
  fromLsn: number;
  /** Applies one record's effect; the record object is reused, so copy what must outlive the call. */
  apply: (record: WalRecord) => void;
  /** Change nothing on disk: a torn tail is not applied but stays, nothing is synced (cache-dump). */
  readOnly?: boolean;
  /** Reports a truncation or a skip as it happens. */
  warn?: (message: string, fields: Record<string, unknown>) => void;
}

/**
 * Replays the WAL in `opts.dir`: every record above `opts.fromLsn`, in LSN
 * order, through `opts.apply`; a torn tail of the last segment is truncated
 * (unless `readOnly`) and the last segment fdatasynced, since its records are
 * about to count as durable.
 *
 * @throws WalCorruptionError when damage is found that the policy does not allow past;
 *   whatever `apply` throws; NodeJS.ErrnoException when a segment cannot be read or truncated
 */
export function replayWal(opts: ReplayOptions): ReplayResult {
  const segments = listSegments(opts.dir);
  const result: ReplayResult = {
    records: 0,
    segments: 0,
    skippedSegments: 0,
    lastLsn: opts.fromLsn,
    truncated: [],
    skipped: [],
  };
  const warn = opts.warn ?? (() => {});
  const repairHint = (file: string): string =>
    `Inspect it with 'cache-dump wal verify ${opts.dir}'; 'cache-dump wal repair ${opts.dir}' explains the choices ` +
    `(restore the file from a backup, move it aside, or truncate it with --force), ` +
    `or start with '--wal-recovery skip-corrupt' to skip the damaged records (they are lost). ` +
    `The damaged file is ${file}.`;
  let expect = -1;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const next = segments[i + 1];
    if (next !== undefined && next.firstLsn - 1 <= opts.fromLsn) {
      // Every record here is in the snapshot; the segment is kept only for a fallback.
      result.skippedSegments++;
      continue;
    }
    result.segments++;
    const path = join(opts.dir, seg.name);
    const isLast = i === segments.length - 1;
    const walkOpts: WalkOptions = {
      verifyFrom: opts.fromLsn + 1,
      lastSegment: isLast,
      onRecord: (rec) => {
        if (rec.lsn > opts.fromLsn) {
          opts.apply(rec);
          result.records++;
        }
      },
    };
    if (expect >= 0) walkOpts.expectLsn = expect;
    const scan = walkSegment(readFileSync(path), seg.name, walkOpts);
    if (expect < 0 && scan.header !== null && scan.header.firstLsn > opts.fromLsn + 1) {
      const msg =
        `WAL starts at LSN ${scan.header.firstLsn} but the snapshot covers only up to ${opts.fromLsn}: ` +
        'records are missing';
      if (opts.policy !== 'skip-corrupt') throw new WalCorruptionError(path, 0, null, `${msg}. ${repairHint(path)}`);
      warn(msg, { file: path });
    }
    for (const p of scan.problems) {
      const tornTail = p.torn;
      if (tornTail && opts.policy !== 'strict') continue;
      if (opts.policy === 'skip-corrupt') {
        result.skipped.push(p);
        warn('skipping damaged WAL bytes', {
          file: path,
          offset: p.offset,
          kind: p.kind,
          detail: p.detail,
          bytes: p.resumeAt - p.offset,
        });
        continue;
      }
      const what = tornTail
        ? 'torn tail (wal-recovery strict refuses to truncate it)'
        : p.kind === 'lsn-gap'
          ? 'missing records'
          : 'corruption';
      throw new WalCorruptionError(
        path,
        p.offset,
        p,
        `WAL ${what} in ${path} at offset ${p.offset}: ${p.detail}. ${repairHint(path)}`,
      );
    }
    if (scan.count > 0) {
      result.lastLsn = Math.max(result.lastLsn, scan.lastLsn);
      expect = scan.lastLsn + 1;
    } else if (scan.header !== null && expect < 0) {
      expect = scan.header.firstLsn;
    }
    const tail = scan.problems[scan.problems.length - 1];
    if (tail?.torn) {
      const keep = tail.offset;
      const dropped = scan.size - keep;
      result.truncated.push({ file: path, offset: keep, bytes: dropped });
      if (opts.readOnly) {
        warn('torn WAL tail ignored (file left as it is)', {
          file: path,
          offset: keep,
          bytes: dropped,
          kind: tail.kind,
        });
      } else {
        truncateFile(path, keep);
        warn('truncated torn WAL tail', { file: path, offset: keep, bytes: dropped, kind: tail.kind });
      }
    }
  }
  // The last segment may hold records a crash left written but not synced:
  // they are about to count as durable, so make them so.
  const last = segments[segments.length - 1];
  if (last !== undefined && !opts.readOnly) fdatasyncFile(join(opts.dir, last.name));
  return result;
}
