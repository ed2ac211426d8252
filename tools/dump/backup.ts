/**
 * `cache-dump backup SRC DEST`: a consistent copy of a data directory, taken
 * while a server runs on it (docs/OPERATIONS.md, "Backups").
 *
 * Why the order works (docs/FORMAT.md, "Snapshot"): a snapshot never writes
 * a frame of pages.dat that a retained manifest references, the two newest
 * manifests are retained, and WAL segments are deleted only when the older
 * retained manifest covers them. So while the newest manifest M stays on
 * disk, its frames and every WAL record after its covered LSN stay as they
 * are. The copy takes M, then the frames M uses, then every WAL segment
 * (again, until no new segment appears, since a roll completes the one
 * before it), then checks that M is still there; if it is not (two
 * snapshots finished during the copy), it starts over. Records acknowledged
 * before the copy began are synced, so they are in the copied WAL; a batch
 * being written while its segment was read is cut off as a torn tail.
 */
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
} from 'node:fs';
import { join } from 'node:path';
import { listManifests, type Manifest, manifestName, readManifest } from '../../src/persistence/snapshot/manifest.js';
import { HISTORY_FILE } from '../../src/replication/history.js';
import { listSegments } from '../../src/persistence/wal/segment.js';
import { scanSegmentFile } from '../../src/persistence/wal/reader.js';
import { PAGE_SIZE } from '../../src/store/arena.js';
import { out, UnusableInput } from './output.js';

/** Attempts before giving up when snapshots keep replacing the one being copied. */
const ATTEMPTS = 5;

/** What one copy attempt ended with. */
type Attempt = { ok: true; manifest: Manifest | null; segments: number; lastLsn: number } | { ok: false; why: string };

/**
 * Copies data directory `src` into `dest` (which must not exist, or be
 * empty), consistently, while a server may be writing to `src`.
 *
 * @returns 0 when the copy is complete, 1 when snapshots kept replacing the manifest being copied
 * @throws UnusableInput when `src` is no data directory or `dest` is not empty
 */
export async function backup(src: string, dest: string): Promise<number> {
  if (!existsSync(join(src, 'wal'))) throw new UnusableInput(`${src} is not a data directory (no wal/ in it)`);
  if (existsSync(dest) && (!statSync(dest).isDirectory() || readdirSync(dest).length > 0)) {
    throw new UnusableInput(`${dest} exists and is not an empty directory`);
  }
  let last = '';
  for (let i = 0; i < ATTEMPTS; i++) {
    rmSync(dest, { recursive: true, force: true });
    const a = copyOnce(src, dest);
    if (a.ok) {
      const m = a.manifest;
      await out(
        `${dest}: ${m === null ? 'no snapshot' : `snapshot ${m.seq} (covered LSN ${m.coveredLsn})`}, ` +
          `${a.segments} WAL segment${a.segments === 1 ? '' : 's'} up to LSN ${a.lastLsn}\n`,
      );
      return 0;
    }
    last = a.why;
  }
  rmSync(dest, { recursive: true, force: true });
  process.stderr.write(`cache-dump: no consistent copy after ${ATTEMPTS} attempts: ${last}\n`);
  return 1;
}

function copyOnce(src: string, dest: string): Attempt {
  const snapSrc = join(src, 'snapshot');
  const snapDest = join(dest, 'snapshot');
  const walSrc = join(src, 'wal');
  const walDest = join(dest, 'wal');
  mkdirSync(snapDest, { recursive: true });
  mkdirSync(walDest, { recursive: true });
  // 1. The newest readable manifest, then the frames it uses.
  const before = listManifests(snapSrc);
  let manifest: Manifest | null = null;
  for (const seq of before) {
    try {
      manifest = readManifest(snapSrc, seq);
      break;
    } catch {
      // Damaged, or replaced while being read: recovery would skip it too.
    }
  }
  if (manifest !== null) {
    try {
      copyFileSync(join(snapSrc, manifestName(manifest.seq)), join(snapDest, manifestName(manifest.seq)));
      let frames = 0;
      for (const p of manifest.pages.values()) for (const f of p.frames) frames = Math.max(frames, f + 1);
      const pages = join(snapDest, 'pages.dat');
      copyFileSync(join(snapSrc, 'pages.dat'), pages);
      if (statSync(pages).size > frames * PAGE_SIZE) truncateSync(pages, frames * PAGE_SIZE);
    } catch (err) {
      return { ok: false, why: `snapshot ${manifest.seq}: ${(err as Error).message}` };
    }
  }
  // 2. Every segment, until a listing shows none new; the last one copied again after a roll.
  const copied = new Map<string, number>();
  for (;;) {
    let segs: ReturnType<typeof listSegments>;
    try {
      segs = listSegments(walSrc);
    } catch (err) {
      return { ok: false, why: `listing ${walSrc}: ${(err as Error).message}` };
    }
    const fresh = segs.filter((s) => !copied.has(s.name));
    if (fresh.length === 0 && copied.size > 0) break;
    const lastCopied = [...copied.keys()].pop();
    for (const s of [...(lastCopied !== undefined ? [{ name: lastCopied }] : []), ...fresh]) {
      try {
        copyFileSync(join(walSrc, s.name), join(walDest, s.name));
        copied.set(s.name, 1);
      } catch (err) {
        // A segment the snapshots no longer need was deleted: it is not needed here either.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return { ok: false, why: (err as Error).message };
        copied.delete(s.name);
        rmSync(join(walDest, s.name), { force: true });
      }
    }
    if (segs.length === 0) break;
  }
  // 3. The manifest must still be retained: then nothing it needs was overwritten or deleted.
  const after = listManifests(snapSrc);
  if (manifest !== null ? !after.includes(manifest.seq) : after.length > 1) {
    return { ok: false, why: 'two snapshots finished during the copy' };
  }
  // 4. The WAL copied must reach back to the snapshot and run without a gap; a torn last batch is cut.
  const segs = listSegments(walDest);
  let next = manifest === null ? 1 : manifest.coveredLsn + 1;
  let lastLsn = manifest?.coveredLsn ?? 0;
  for (const [i, s] of segs.entries()) {
    const path = join(walDest, s.name);
    const scan = scanSegmentFile(path);
    const first = scan.records[0]?.lsn ?? s.firstLsn;
    const end = scan.records.at(-1)?.lsn ?? s.firstLsn - 1;
    if (first > next) return { ok: false, why: `WAL gap: LSN ${next} is missing before ${s.name}` };
    if (scan.problems.length > 0) {
      if (i < segs.length - 1) return { ok: false, why: `${s.name}: ${scan.problems[0]!.detail}` };
      truncateSync(path, scan.goodEnd);
    }
    next = Math.max(next, end + 1);
    lastLsn = Math.max(lastLsn, end);
  }
  if (existsSync(join(src, HISTORY_FILE))) copyFileSync(join(src, HISTORY_FILE), join(dest, HISTORY_FILE));
  syncTree(dest);
  return { ok: true, manifest, segments: listSegments(walDest).length, lastLsn };
}

/** fsyncs every file and directory under `dir`, so the copy survives a crash of the machine. */
function syncTree(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) syncTree(join(dir, e.name));
    else fsyncPath(join(dir, e.name));
  }
  fsyncPath(dir);
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
