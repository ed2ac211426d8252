/**
 * Loading the newest usable snapshot at start-up (docs/ARCHITECTURE.md,
 * "Recovery"). Manifests are tried newest first; a manifest that fails its
 * own checksum, or any of whose pages fails its checksum, is logged with the
 * page, its page frames and checksums, set aside as `MANIFEST-<seq>.damaged`, and the
 * next older one is tried. When none is usable the caller falls back to the
 * WAL alone, which works when the WAL still reaches back to LSN 1.
 */
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import type { Log } from '../log.js';
import { listManifests, manifestName, ManifestError, readManifest, type Manifest } from './manifest.js';
import { PageFileReader } from './pagefile.js';
import { PAGE_SIZE } from '../../store/arena.js';

/** One page read back from pages.dat. */
export interface LoadedPage {
  id: number;
  buf: Buffer;
  used: number;
  /** Whether `buf` is a view of the file's private mapping (copy before writing). */
  mapped: boolean;
}

/** What {@link loadSnapshot} found. */
export interface LoadResult {
  /** The snapshot loaded, or null when none was usable. */
  manifest: Manifest | null;
  pages: LoadedPage[];
  /** Durable manifests a later snapshot must not overwrite, newest first. */
  retained: Manifest[];
  /** Manifests set aside as damaged, with why. */
  damaged: { seq: number; reason: string }[];
}

/** A page whose bytes do not match its manifest. */
export class PageChecksumError extends Error {
  override readonly name = 'PageChecksumError';

  constructor(
    readonly page: number,
    /** Page frames of pages.dat the page is stored in. */
    readonly frames: readonly number[],
    readonly expected: number,
    readonly found: number,
  ) {
    super(
      `page ${page} in slot${frames.length === 1 ? '' : 's'} ${frames.join(',')}: ` +
        `checksum ${hex(found)}, manifest says ${hex(expected)}`,
    );
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/**
 * Reads every page of `m` from pages.dat and checks it.
 *
 * @param keepGoing report every bad page through `onBad` instead of stopping at the first
 * @throws PageChecksumError for the first bad page (unless keepGoing), RangeError for a page frame past the end,
 *   NodeJS.ErrnoException when pages.dat cannot be read
 */
export function readSnapshotPages(
  dir: string,
  m: Manifest,
  keepGoing = false,
  onBad?: (err: PageChecksumError) => void,
): LoadedPage[] {
  const reader = PageFileReader.open(join(dir, 'pages.dat'));
  try {
    const out: LoadedPage[] = [];
    for (const p of [...m.pages.values()].sort((a, b) => a.id - b.id)) {
      // A one-frame page is mapped, not read: no copy, and bytes come in as touched.
      const view = p.frames.length === 1 && p.length === PAGE_SIZE ? reader.map(p.frames[0]!) : null;
      const buf = view ?? reader.read(p.frames, p.length, p.used);
      const crc = crc32c(buf.subarray(0, p.used));
      if (crc !== p.crc) {
        const err = new PageChecksumError(p.id, p.frames, p.crc, crc);
        if (!keepGoing) throw err;
        onBad?.(err);
        continue;
      }
      out.push({ id: p.id, buf, used: p.used, mapped: view !== null });
    }
    return out;
  } finally {
    reader.close();
  }
}

/**
 * Loads the newest usable snapshot of `dir` (the snapshot directory).
 *
 * @param readOnly leave damaged manifests where they are (cache-dump)
 * @throws only for errors that are not damage (permissions, I/O)
 */
export function loadSnapshot(dir: string, log: Log, readOnly = false): LoadResult {
  const result: LoadResult = { manifest: null, pages: [], retained: [], damaged: [] };
  const seqs = listManifests(dir);
  const setAside = (seq: number, reason: string): void => {
    result.damaged.push({ seq, reason });
    if (readOnly) return;
    try {
      renameSync(join(dir, manifestName(seq)), join(dir, manifestName(seq) + '.damaged'));
    } catch {
      // Best effort: the manifest is skipped either way.
    }
  };
  for (let i = 0; i < seqs.length; i++) {
    const seq = seqs[i]!;
    let m: Manifest;
    try {
      m = readManifest(dir, seq);
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      log.error(
        { manifest: manifestName(seq), reason: err.message },
        `snapshot manifest ${manifestName(seq)} is damaged: ${err.message}`,
      );
      setAside(seq, err.message);
      continue;
    }
    try {
      result.pages = readSnapshotPages(dir, m);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') {
        log.error({ file: join(dir, 'pages.dat') }, 'snapshot pages.dat is missing: no snapshot can be loaded');
        for (const s of seqs.slice(i)) setAside(s, 'pages.dat is missing');
        break;
      }
      if (!(err instanceof PageChecksumError) && !(err instanceof RangeError)) throw err;
      // The log field keeps the name `slots` that log readers know.
      const fields =
        err instanceof PageChecksumError
          ? { page: err.page, slots: err.frames, expected: hex(err.expected), found: hex(err.found) }
          : {};
      log.error(
        { manifest: manifestName(seq), ...fields, reason: e.message },
        `snapshot ${manifestName(seq)} has a damaged page: ${e.message}`,
      );
      setAside(seq, e.message);
      continue;
    }
    result.manifest = m;
    result.retained = [m];
    for (const older of seqs.slice(i + 1)) {
      try {
        result.retained.push(readManifest(dir, older));
        break;
      } catch {
        // An older manifest that does not parse protects nothing.
      }
    }
    if (result.damaged.length > 0) {
      log.warn(
        { manifest: manifestName(seq), coveredLsn: m.coveredLsn },
        `fell back to the older snapshot ${manifestName(seq)}`,
      );
    }
    return result;
  }
  return result;
}
