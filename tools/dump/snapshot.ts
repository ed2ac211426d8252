/**
 * `cache-dump snapshot info | verify`: manifests and pages through the
 * server's own manifest reader and page loader (src/persistence/snapshot/,
 * manifest.ts and loader.ts), reading on past damage.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { listManifests, manifestName, readManifest, ManifestError } from '../../src/persistence/snapshot/manifest.js';
import type { Manifest } from '../../src/persistence/snapshot/manifest.js';
import {
  FRAME_NUMBER_SIZE,
  MAN,
  MANIFEST_CRC_SIZE,
  MANIFEST_HEADER_SIZE,
  MANIFEST_MAGIC,
  MANIFEST_VERSION,
  PAGE_REC,
  PAGE_RECORD_SIZE,
} from '../../src/persistence/format.js';
import { readSnapshotPages, type PageChecksumError } from '../../src/persistence/snapshot/loader.js';
import { indexFileName } from '../../src/persistence/snapshot/indexfile.js';
import { checkPageEntries, PAGE_SIZE } from '../../src/store/arena.js';
import { out, table, UnusableInput } from './output.js';

/**
 * The snapshot directory a path names: a data directory (its `snapshot/`) or the snapshot directory itself.
 *
 * @throws UnusableInput when the path does not exist, is not a directory, cannot be read, or holds no snapshot files
 */
export function snapshotDir(path: string): string {
  if (!existsSync(path)) throw new UnusableInput(`${path} does not exist`);
  const dir = existsSync(join(path, 'snapshot')) ? join(path, 'snapshot') : path;
  let names: string[];
  try {
    if (!statSync(dir).isDirectory())
      throw new UnusableInput(`${dir} is not a directory (give the data directory or its snapshot/ directory)`);
    names = readdirSync(dir);
  } catch (err) {
    if (err instanceof UnusableInput) throw err;
    throw new UnusableInput(`cannot read ${dir}: ${(err as Error).message}`);
  }
  if (!names.some((n) => n.startsWith('MANIFEST-') || n === 'pages.dat')) {
    // A data directory's snapshot/ that is still empty, or a directory that is no snapshot directory at all.
    throw new UnusableInput(basename(dir) === 'snapshot' ? noSnapshotYet(dir) : `no snapshot in ${dir}`);
  }
  return dir;
}

/** The words for a directory with no snapshot taken yet (exit 2, as for any input with nothing to read). */
function noSnapshotYet(dir: string): string {
  return (
    `no snapshot yet in ${dir}: the server takes its first after snapshot-interval or snapshot-wal-bytes, ` +
    'on SAVE or BGSAVE, or at shutdown; until then every write is in the WAL (cache-dump wal ls)'
  );
}

/**
 * The manifests of snapshot directory `dir`, newest first.
 *
 * @throws UnusableInput when there is none (only pages.dat, or only manifests set aside as damaged)
 */
function manifestsIn(dir: string): number[] {
  const seqs = listManifests(dir);
  if (seqs.length === 0) {
    const aside = setAside(dir);
    if (aside.length === 0) throw new UnusableInput(noSnapshotYet(dir));
    throw new UnusableInput(`no snapshot in ${dir}: no manifest (set aside as damaged: ${aside.join(', ')})`);
  }
  return seqs;
}

/** Manifests the server renamed `*.damaged`. */
function setAside(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith('.damaged'));
}

/**
 * The state of a manifest that did not load, in a word or two: `truncated`
 * when the file ends before its header or page list says it should (a
 * checksum then fails too, but the cause is the missing bytes), else what
 * failed.
 */
function manifestState(dir: string, seq: number, error: string): string {
  let buf: Buffer;
  try {
    buf = readFileSync(join(dir, manifestName(seq)));
  } catch {
    return 'unreadable';
  }
  if (buf.length < MANIFEST_HEADER_SIZE + MANIFEST_CRC_SIZE) return 'truncated';
  if (!buf.subarray(MAN.magic, MAN.magic + MANIFEST_MAGIC.length).equals(MANIFEST_MAGIC)) return 'not a manifest';
  // The page list as the header announces it: page records with their frame
  // numbers (docs/FORMAT.md, "Snapshot manifest"); a checksum closes the file.
  let end = MANIFEST_HEADER_SIZE;
  const count = buf.readUInt32LE(MAN.pageCount);
  for (let i = 0; i < count; i++) {
    if (end + PAGE_RECORD_SIZE > buf.length) return 'truncated';
    end += PAGE_RECORD_SIZE + FRAME_NUMBER_SIZE * buf.readUInt32LE(end + PAGE_REC.frameCount);
  }
  if (end + MANIFEST_CRC_SIZE > buf.length) return 'truncated';
  if (/^checksum mismatch/.test(error)) return 'BAD';
  if (/^version /.test(error)) return 'unsupported version';
  return 'damaged';
}

interface Checked {
  seq: number;
  manifest: Manifest | null;
  error: string | null;
  bad: PageChecksumError[];
  entryProblems: string[];
  pagesRead: number;
}

/** Reads one manifest and checks every page (and, with `entries`, every entry header) of it. */
function check(dir: string, seq: number, entries: boolean, databases: number): Checked {
  const c: Checked = { seq, manifest: null, error: null, bad: [], entryProblems: [], pagesRead: 0 };
  try {
    c.manifest = readManifest(dir, seq);
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err;
    c.error = err.message;
    return c;
  }
  try {
    const pages = readSnapshotPages(dir, c.manifest, true, (e) => c.bad.push(e));
    c.pagesRead = pages.length;
    if (entries) {
      for (const p of pages)
        for (const problem of checkPageEntries(p.buf, p.used, databases))
          c.entryProblems.push(`page ${p.id}: ${problem}`);
    }
  } catch (err) {
    c.error = (err as Error).message;
  }
  return c;
}

/**
 * Describes the page frames a manifest uses against the size of pages.dat (the
 * output line is labelled `slots`, the name scripts read).
 *
 * @returns the description, and whether pages.dat is too short for them
 */
function framesLine(m: Manifest, pagesDat: string): [string, boolean] {
  const frames = [...m.pages.values()].flatMap((p) => p.frames);
  if (!existsSync(pagesDat)) return [`${frames.length}, but pages.dat is missing`, frames.length > 0];
  const fileBytes = statSync(pagesDat).size;
  const fileFrames = Math.floor(fileBytes / PAGE_SIZE);
  const needed = frames.length > 0 ? Math.max(...frames) + 1 : 0;
  if (needed > fileFrames) {
    const held = `${fileFrames} slot${fileFrames === 1 ? '' : 's'}`;
    const uses = `the manifest uses slots up to ${needed - 1}`;
    return [`${frames.length}, but pages.dat is short: ${fileBytes} bytes hold ${held}, ${uses}`, true];
  }
  return [`${frames.length} of ${fileFrames} in pages.dat (${fileBytes} bytes)`, false];
}

/**
 * `snapshot info`: each retained manifest and the state of its checksums.
 *
 * @returns 0 clean, 1 a manifest or page damaged
 * @throws UnusableInput when the directory holds no manifest
 */
export async function snapshotInfo(path: string, databases: number): Promise<number> {
  const dir = snapshotDir(path);
  const pagesDat = join(dir, 'pages.dat');
  const seqs = manifestsIn(dir);
  let damaged = false;
  for (const seq of seqs) {
    const c = check(dir, seq, false, databases);
    const m = c.manifest;
    const state = m === null ? manifestState(dir, seq, c.error ?? '') : 'ok';
    const rows: string[][] = [['manifest', `${manifestName(seq)} (version ${MANIFEST_VERSION}, checksum ${state})`]];
    if (m === null) {
      rows.push(['error', c.error ?? '']);
      damaged = true;
    } else {
      const pages = [...m.pages.values()];
      const large = pages.filter((p) => p.length !== PAGE_SIZE).length;
      const [frames, short] = framesLine(m, pagesDat);
      rows.push(
        ['covered LSN', String(m.coveredLsn)],
        ['created', new Date(m.created).toISOString()],
        ['pages', `${pages.length} (${pages.length - large} shared, ${large} large)`],
        ['bytes', `${pages.reduce((a, p) => a + p.used, 0)} used`],
        ['slots', frames],
        [
          'page checksums',
          c.error
            ? `unreadable: ${c.error}`
            : c.bad.length === 0
              ? `all ${pages.length} ok`
              : `${c.bad.length} of ${pages.length} damaged: ${c.bad.map((b) => b.message).join('; ')}`,
        ],
        ['saved index', existsSync(join(dir, indexFileName(seq))) ? indexFileName(seq) : 'none'],
      );
      damaged ||= c.bad.length > 0 || c.error !== null || short;
    }
    await out(table(rows) + '\n');
  }
  const aside = setAside(dir);
  if (aside.length > 0) await out(`set aside as damaged: ${aside.join(', ')}\n`);
  return damaged ? 1 : 0;
}

/**
 * `snapshot verify`: every manifest, page checksum and entry header.
 *
 * @returns 0 clean, 1 damaged
 * @throws UnusableInput when the directory holds no manifest
 */
export async function snapshotVerify(path: string, databases: number): Promise<number> {
  const dir = snapshotDir(path);
  const seqs = manifestsIn(dir);
  let problems = 0;
  for (const seq of seqs) {
    const c = check(dir, seq, true, databases);
    const name = manifestName(seq);
    if (c.manifest === null) {
      await out(`${name}: manifest damaged: ${c.error}\n`);
      problems++;
      continue;
    }
    if (c.error !== null) {
      await out(`${name}: ${c.error}\n`);
      problems++;
    }
    for (const b of c.bad) await out(`${name}: ${b.message}\n`);
    for (const e of c.entryProblems) await out(`${name}: ${e}\n`);
    problems += c.bad.length + c.entryProblems.length;
    if (c.error === null && c.bad.length === 0 && c.entryProblems.length === 0) {
      await out(`${name}: ok (${c.pagesRead} pages, covered LSN ${c.manifest.coveredLsn})\n`);
    }
  }
  return problems > 0 ? 1 : 0;
}
