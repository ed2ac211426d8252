/**
 * Snapshot manifests: `snapshot/MANIFEST-<sequence, 20 digits>`, each the
 * complete map of one snapshot (page id → slots, used bytes, checksum), the
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
import { readU64, writeU64 } from '../format.js';
import { writeFileDurably } from '../fsutil.js';

/** First 8 bytes of a manifest. */
export const MANIFEST_MAGIC = Buffer.from('FLASHMAN', 'latin1');
/** Manifest format version. */
export const MANIFEST_VERSION = 1;
/** Bytes of the fixed manifest header. */
export const MANIFEST_HEADER_SIZE = 48;
/** File-name prefix of manifests. */
export const MANIFEST_PREFIX = 'MANIFEST-';
/** "No head page" in the header. */
const NO_PAGE = 0xffff_ffff;

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
  /** Slots of pages.dat holding the used bytes, in order, PAGE_SIZE bytes each. */
  slots: number[];
}

/** One snapshot. */
export interface Manifest {
  /** Sequence number; the file is `MANIFEST-<seq>`. */
  seq: number;
  /** Every WAL record at or below this LSN is in the snapshot. */
  coveredLsn: number;
  /** Unix ms when the snapshot was frozen. */
  created: number;
  /** Slot size the snapshot was written with, bytes. */
  slotSize: number;
  /** The arena page appends went to, or -1. */
  headPage: number;
  /** Pages by id. */
  pages: Map<number, PageRecord>;
}

/** File name of manifest `seq`. */
export function manifestName(seq: number): string {
  return MANIFEST_PREFIX + String(seq).padStart(20, '0');
}

/** Sequence numbers of the manifests in `dir`, newest first. */
export function listManifests(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((n) => n.startsWith(MANIFEST_PREFIX) && /^[0-9]{20}$/.test(n.slice(MANIFEST_PREFIX.length)))
    .map((n) => Number(n.slice(MANIFEST_PREFIX.length)))
    .sort((a, b) => b - a);
}

/** Serializes a manifest (docs/FORMAT.md, "Snapshot manifest"). */
export function encodeManifest(m: Manifest): Buffer {
  let size = MANIFEST_HEADER_SIZE + 4;
  for (const p of m.pages.values()) size += 20 + 4 * p.slots.length;
  const buf = Buffer.alloc(size);
  MANIFEST_MAGIC.copy(buf, 0);
  buf.writeUInt16LE(MANIFEST_VERSION, 8);
  buf.writeUInt16LE(MANIFEST_HEADER_SIZE, 10);
  buf.writeUInt32LE(m.pages.size, 12);
  writeU64(buf, m.seq, 16);
  writeU64(buf, m.coveredLsn, 24);
  writeU64(buf, m.created, 32);
  buf.writeUInt32LE(m.slotSize, 40);
  buf.writeUInt32LE(m.headPage < 0 ? NO_PAGE : m.headPage, 44);
  let off = MANIFEST_HEADER_SIZE;
  for (const p of [...m.pages.values()].sort((a, b) => a.id - b.id)) {
    buf.writeUInt32LE(p.id, off);
    buf.writeUInt32LE(p.length, off + 4);
    buf.writeUInt32LE(p.used, off + 8);
    buf.writeUInt32LE(p.crc, off + 12);
    buf.writeUInt32LE(p.slots.length, off + 16);
    off += 20;
    for (const s of p.slots) {
      buf.writeUInt32LE(s, off);
      off += 4;
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
  if (buf.length < MANIFEST_HEADER_SIZE + 4) throw new ManifestError(`file is ${buf.length} bytes, shorter than a manifest header`);
  if (!buf.subarray(0, 8).equals(MANIFEST_MAGIC)) throw new ManifestError('magic is not FLASHMAN');
  const stored = buf.readUInt32LE(buf.length - 4);
  const actual = crc32c(buf.subarray(0, buf.length - 4));
  if (stored !== actual) throw new ManifestError(`checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)})`);
  const version = buf.readUInt16LE(8);
  if (version !== MANIFEST_VERSION) throw new ManifestError(`version ${version} is not supported (expected ${MANIFEST_VERSION})`);
  const count = buf.readUInt32LE(12);
  const head = buf.readUInt32LE(44);
  const m: Manifest = {
    seq: readU64(buf, 16),
    coveredLsn: readU64(buf, 24),
    created: readU64(buf, 32),
    slotSize: buf.readUInt32LE(40),
    headPage: head === NO_PAGE ? -1 : head,
    pages: new Map(),
  };
  let off = MANIFEST_HEADER_SIZE;
  for (let i = 0; i < count; i++) {
    if (off + 20 > buf.length - 4) throw new ManifestError(`page list cut short at entry ${i} of ${count}`);
    const slotCount = buf.readUInt32LE(off + 16);
    if (off + 20 + slotCount * 4 > buf.length - 4) throw new ManifestError(`slot list of page entry ${i} cut short`);
    const p: PageRecord = {
      id: buf.readUInt32LE(off),
      length: buf.readUInt32LE(off + 4),
      used: buf.readUInt32LE(off + 8),
      crc: buf.readUInt32LE(off + 12),
      slots: [],
    };
    off += 20;
    for (let j = 0; j < slotCount; j++, off += 4) p.slots.push(buf.readUInt32LE(off));
    m.pages.set(p.id, p);
  }
  if (off !== buf.length - 4) throw new ManifestError(`${buf.length - 4 - off} unexpected bytes after the page list`);
  return m;
}

/** Reads and checks `dir/MANIFEST-<seq>`. @throws ManifestError or NodeJS.ErrnoException */
export function readManifest(dir: string, seq: number): Manifest {
  return decodeManifest(readFileSync(join(dir, manifestName(seq))));
}

/**
 * Writes a manifest durably: temporary file, fdatasync, rename, directory
 * fsync. Once this resolves, a crash cannot lose it.
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
