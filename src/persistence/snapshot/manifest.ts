/**
 * Snapshot manifests: `snapshot/MANIFEST-<sequence, 20 digits>`, each the
 * complete map of one snapshot (page id → page frames, used bytes, checksum), the
 * LSN it covers, and a checksum over itself. Format: docs/FORMAT.md,
 * "Snapshot manifest".
 *
 * A manifest replaces nothing: a new one gets the next sequence number and is
 * written as a temporary file, synced, renamed and its directory synced. The
 * two newest are kept so that recovery can fall back one snapshot.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import {
  MAN,
  MANIFEST_CRC_SIZE,
  MANIFEST_HEADER_SIZE,
  MANIFEST_MAGIC,
  MANIFEST_NO_PAGE,
  MANIFEST_PREFIX,
  MANIFEST_VERSION,
  PAGE_REC,
  PAGE_RECORD_SIZE,
  FRAME_NUMBER_SIZE,
  readU64,
  SNAPSHOT_SEQ_DIGITS,
  writeU64,
} from '../format.js';
import { writeFileDurably } from '../fsutil.js';

/** Where one arena page of a snapshot is, and what it must hash to. */
export interface PageRecord {
  /** Arena page id. */
  id: number;
  /** Size of the page buffer, bytes (PAGE_SIZE, or more for a large page). */
  length: number;
  /** Bytes at the start of the page that hold entries; the rest is not stored. */
  used: number;
  /** CRC32C of the used bytes. */
  crc: number;
  /** Page frames of pages.dat holding the used bytes, in order, PAGE_SIZE bytes each. */
  frames: number[];
}

/** One snapshot. */
export interface Manifest {
  /** Sequence number; the file is `MANIFEST-<seq>`. */
  seq: number;
  /** Every WAL record at or below this LSN is in the snapshot. */
  coveredLsn: number;
  /** Unix ms when the snapshot was frozen. */
  created: number;
  /** Page frame size the snapshot was written with, bytes. */
  frameSize: number;
  /** The arena page appends went to, or -1. */
  headPage: number;
  /** Pages by id. */
  pages: Map<number, PageRecord>;
}

/** File name of manifest `seq`. */
export function manifestName(seq: number): string {
  return MANIFEST_PREFIX + String(seq).padStart(SNAPSHOT_SEQ_DIGITS, '0');
}

/**
 * Sequence numbers of the manifests in `dir`, newest first; files set aside
 * (`.damaged`) and temporary files are not manifests.
 *
 * @returns the sequence numbers, or none when `dir` does not exist
 * @throws NodeJS.ErrnoException when `dir` cannot be read
 */
export function listManifests(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((n) => n.startsWith(MANIFEST_PREFIX) && isSeq(n.slice(MANIFEST_PREFIX.length)))
    .map((n) => Number(n.slice(MANIFEST_PREFIX.length)))
    .sort((a, b) => b - a);
}

/** Whether `s` is a sequence number as file names carry it. */
function isSeq(s: string): boolean {
  return s.length === SNAPSHOT_SEQ_DIGITS && /^[0-9]+$/.test(s);
}

/** Serializes a manifest (docs/FORMAT.md, "Snapshot manifest"). */
export function encodeManifest(m: Manifest): Buffer {
  let size = MANIFEST_HEADER_SIZE + MANIFEST_CRC_SIZE;
  for (const p of m.pages.values()) size += PAGE_RECORD_SIZE + FRAME_NUMBER_SIZE * p.frames.length;
  const buf = Buffer.alloc(size);
  MANIFEST_MAGIC.copy(buf, MAN.magic);
  buf.writeUInt16LE(MANIFEST_VERSION, MAN.version);
  buf.writeUInt16LE(MANIFEST_HEADER_SIZE, MAN.headerSize);
  buf.writeUInt32LE(m.pages.size, MAN.pageCount);
  writeU64(buf, m.seq, MAN.seq);
  writeU64(buf, m.coveredLsn, MAN.coveredLsn);
  writeU64(buf, m.created, MAN.created);
  buf.writeUInt32LE(m.frameSize, MAN.frameSize);
  buf.writeUInt32LE(m.headPage < 0 ? MANIFEST_NO_PAGE : m.headPage, MAN.headPage);
  let off = MANIFEST_HEADER_SIZE;
  for (const p of [...m.pages.values()].sort((a, b) => a.id - b.id)) {
    buf.writeUInt32LE(p.id, off + PAGE_REC.id);
    buf.writeUInt32LE(p.length, off + PAGE_REC.length);
    buf.writeUInt32LE(p.used, off + PAGE_REC.used);
    buf.writeUInt32LE(p.crc, off + PAGE_REC.crc);
    buf.writeUInt32LE(p.frames.length, off + PAGE_REC.frameCount);
    off += PAGE_REC.frames;
    for (const f of p.frames) {
      buf.writeUInt32LE(f, off);
      off += FRAME_NUMBER_SIZE;
    }
  }
  buf.writeUInt32LE(crc32c(buf.subarray(0, off)), off);
  return buf;
}

/** A manifest file that cannot be used. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

/**
 * Parses and checks a manifest.
 *
 * @throws ManifestError naming what is wrong (magic, version, checksum, truncation)
 */
export function decodeManifest(buf: Buffer): Manifest {
  if (buf.length < MANIFEST_HEADER_SIZE + MANIFEST_CRC_SIZE) {
    throw new ManifestError(`file is ${buf.length} bytes, shorter than a manifest header`);
  }
  if (!buf.subarray(MAN.magic, MAN.magic + MANIFEST_MAGIC.length).equals(MANIFEST_MAGIC)) {
    throw new ManifestError('magic is not FLASHMAN');
  }
  const end = buf.length - MANIFEST_CRC_SIZE;
  const stored = buf.readUInt32LE(end);
  const actual = crc32c(buf.subarray(0, end));
  if (stored !== actual) throw new ManifestError(`checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)})`);
  const version = buf.readUInt16LE(MAN.version);
  if (version !== MANIFEST_VERSION) {
    throw new ManifestError(`version ${version} is not supported (expected ${MANIFEST_VERSION})`);
  }
  const count = buf.readUInt32LE(MAN.pageCount);
  const head = buf.readUInt32LE(MAN.headPage);
  const m: Manifest = {
    seq: readU64(buf, MAN.seq),
    coveredLsn: readU64(buf, MAN.coveredLsn),
    created: readU64(buf, MAN.created),
    frameSize: buf.readUInt32LE(MAN.frameSize),
    headPage: head === MANIFEST_NO_PAGE ? -1 : head,
    pages: new Map(),
  };
  let off = MANIFEST_HEADER_SIZE;
  for (let i = 0; i < count; i++) {
    if (off + PAGE_RECORD_SIZE > end) throw new ManifestError(`page list cut short at entry ${i} of ${count}`);
    const frameCount = buf.readUInt32LE(off + PAGE_REC.frameCount);
    if (off + PAGE_RECORD_SIZE + frameCount * FRAME_NUMBER_SIZE > end) {
      throw new ManifestError(`slot list of page entry ${i} cut short`);
    }
    const p: PageRecord = {
      id: buf.readUInt32LE(off + PAGE_REC.id),
      length: buf.readUInt32LE(off + PAGE_REC.length),
      used: buf.readUInt32LE(off + PAGE_REC.used),
      crc: buf.readUInt32LE(off + PAGE_REC.crc),
      frames: [],
    };
    off += PAGE_REC.frames;
    for (let j = 0; j < frameCount; j++, off += FRAME_NUMBER_SIZE) p.frames.push(buf.readUInt32LE(off));
    m.pages.set(p.id, p);
  }
  if (off !== end) throw new ManifestError(`${end - off} unexpected bytes after the page list`);
  return m;
}

/**
 * Reads and checks `dir/MANIFEST-<seq>`.
 *
 * @throws ManifestError when the file is damaged; NodeJS.ErrnoException when it cannot be read
 */
export function readManifest(dir: string, seq: number): Manifest {
  return decodeManifest(readFileSync(join(dir, manifestName(seq))));
}

/**
 * Writes a manifest durably: temporary file, fdatasync, rename, directory
 * fsync ({@link writeFileDurably}). Once this resolves, a crash cannot lose it.
 *
 * @param beforeRename called once the temporary file is synced (the `snapshot-manifest-written` crash stage)
 * @throws NodeJS.ErrnoException from any step (ENOSPC, EIO...)
 */
export async function writeManifest(dir: string, m: Manifest, beforeRename?: () => void): Promise<void> {
  await writeFileDurably(
    join(dir, manifestName(m.seq)),
    async (fh) => {
      const bytes = encodeManifest(m);
      await fh.write(bytes, 0, bytes.length, 0);
    },
    beforeRename,
  );
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
