/**
 * `cache-dump snapshot info | verify`: manifests and pages through the
 * server's own manifest reader and page loader (src/persistence/manifest.ts,
 * loader.ts), reading on past damage.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { listManifests, manifestName, MANIFEST_VERSION, readManifest, ManifestError, type Manifest } from '../../src/persistence/manifest.js';
import { readSnapshotPages, type PageChecksumError } from '../../src/persistence/loader.js';
import { indexFileName } from '../../src/persistence/indexfile.js';
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
    if (!statSync(dir).isDirectory()) throw new UnusableInput(`${dir} is not a directory (give the data directory or its snapshot/ directory)`);
    names = readdirSync(dir);
  } catch (err) {
    if (err instanceof UnusableInput) throw err;
    throw new UnusableInput(`cannot read ${dir}: ${(err as Error).message}`);
  }
  if (!names.some((n) => n.startsWith('MANIFEST-') || n === 'pages.dat')) throw new UnusableInput(`no snapshot in ${dir}`);
  return dir;
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
      for (const p of pages) for (const problem of checkPageEntries(p.buf, p.used, databases)) c.entryProblems.push(`page ${p.id}: ${problem}`);
    }
  } catch (err) {
    c.error = (err as Error).message;
  }
  return c;
}

/** `snapshot info`: each retained manifest and the state of its checksums. */
export async function snapshotInfo(path: string, databases: number): Promise<number> {
  const dir = snapshotDir(path);
  const pagesDat = join(dir, 'pages.dat');
  const fileBytes = existsSync(pagesDat) ? statSync(pagesDat).size : 0;
  const seqs = listManifests(dir);
  let damaged = false;
  if (seqs.length === 0) await out(`no manifest in ${dir}\n`);
  for (const seq of seqs) {
    const c = check(dir, seq, false, databases);
    const m = c.manifest;
    const rows: string[][] = [['manifest', `${manifestName(seq)} (version ${MANIFEST_VERSION}, checksum ${c.error && !m ? 'BAD' : 'ok'})`]];
    if (m === null) {
      rows.push(['error', c.error ?? '']);
      damaged = true;
    } else {
      const pages = [...m.pages.values()];
      const large = pages.filter((p) => p.length !== PAGE_SIZE).length;
      const slots = pages.reduce((a, p) => a + p.slots.length, 0);
      rows.push(
        ['covered LSN', String(m.coveredLsn)],
        ['created', new Date(m.created).toISOString()],
        ['pages', `${pages.length} (${pages.length - large} shared, ${large} large)`],
        ['bytes', `${pages.reduce((a, p) => a + p.used, 0)} used`],
        ['slots', `${slots} of ${Math.floor(fileBytes / PAGE_SIZE)} in pages.dat (${fileBytes} bytes)`],
        ['page checksums', c.error ? `unreadable: ${c.error}` : c.bad.length === 0 ? `all ${pages.length} ok` : `${c.bad.length} of ${pages.length} damaged: ${c.bad.map((b) => b.message).join('; ')}`],
        ['saved index', existsSync(join(dir, indexFileName(seq))) ? indexFileName(seq) : 'none'],
      );
      damaged ||= c.bad.length > 0 || c.error !== null;
    }
    await out(table(rows) + '\n');
  }
  const aside = readdirSync(dir).filter((n) => n.endsWith('.damaged'));
  if (aside.length > 0) await out(`set aside as damaged: ${aside.join(', ')}\n`);
  return damaged ? 1 : 0;
}

/** `snapshot verify`: every manifest, page checksum and entry header. Exit code 0 clean, 1 damaged. */
export async function snapshotVerify(path: string, databases: number): Promise<number> {
  const dir = snapshotDir(path);
  const seqs = listManifests(dir);
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
  if (seqs.length === 0) {
    await out(`no manifest in ${dir}\n`);
    return 2;
  }
  return problems > 0 ? 1 : 0;
}
