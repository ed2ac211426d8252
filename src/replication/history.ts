/**
 * The replication history of a data directory (Redis's replid and replid2,
 * replication.c `shiftReplicationId`): a 40-hex id naming the history its
 * LSNs belong to, the previous id and the last LSN written under it, and
 * whether a full sync was installing new data when the process stopped.
 * Kept in `<dir>/REPLICATION` (docs/REPLICATION.md, "History file"), written
 * durably (temporary file, sync, rename, directory sync).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurably } from '../persistence/fsutil.js';

/** File name of the history file in the data directory. */
export const HISTORY_FILE = 'REPLICATION';

/** Redis's replid2 when there is no previous history. */
export const NO_HISTORY = '0'.repeat(40);

/** A replication history. */
export interface ReplHistory {
  /** 40 lower-case hex characters. */
  id: string;
  /** The history this one forked from, or {@link NO_HISTORY}. */
  prevId: string;
  /** The last LSN of {@link prevId} this history shares; -1 without one. */
  forkLsn: number;
  /**
   * `syncing` while a full sync replaces the data: the directory's snapshot
   * and WAL are then not to be trusted, and start-up empties them.
   */
  state: 'ok' | 'syncing';
}

/** A fresh random history id (Redis's `changeReplicationId`). */
export function newHistoryId(): string {
  return randomBytes(20).toString('hex');
}

/** Whether `s` has the shape of a history id. */
export function isHistoryId(s: string): boolean {
  return /^[0-9a-f]{40}$/.test(s);
}

/**
 * Reads the history file of data directory `dir`.
 *
 * @returns the history, or null when the file is missing or malformed
 */
export function readHistory(dir: string): ReplHistory | null {
  let text: string;
  try {
    text = readFileSync(join(dir, HISTORY_FILE), 'utf8');
  } catch {
    return null;
  }
  const f = new Map(
    text
      .split('\n')
      .filter((l) => l.includes(' '))
      .map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)] as const),
  );
  const id = f.get('history') ?? '';
  const prevId = f.get('previous') ?? NO_HISTORY;
  const forkLsn = Number(f.get('fork') ?? '-1');
  const state = f.get('state') === 'syncing' ? 'syncing' : 'ok';
  if (!isHistoryId(id) || !isHistoryId(prevId) || !Number.isSafeInteger(forkLsn)) return null;
  return { id, prevId, forkLsn, state };
}

/**
 * Writes the history file of data directory `dir` durably.
 *
 * @throws NodeJS.ErrnoException when it cannot be written
 */
export async function writeHistory(dir: string, h: ReplHistory): Promise<void> {
  const text = `history ${h.id}\nprevious ${h.prevId}\nfork ${h.forkLsn}\nstate ${h.state}\n`;
  await writeFileDurably(join(dir, HISTORY_FILE), async (fh) => {
    await fh.writeFile(text);
  });
}
