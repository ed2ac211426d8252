/**
 * Writes a snapshot directory as versions before chunked collection images
 * wrote them (docs/FORMAT.md, "Collection image": every collection a whole
 * image, kind 0), so that tests can check that such snapshots still load.
 * It uses this build's own writer with chunking switched off, which is the
 * earlier versions' writer unchanged: one manifest (sequence 1, covering
 * LSN 0) and pages.dat with the pages in consecutive frames.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { writeManifest, type PageRecord } from '../../src/persistence/snapshot/manifest.js';
import { PageFile } from '../../src/persistence/snapshot/pagefile.js';
import { PAGE_SIZE } from '../../src/store/arena.js';
import { chunking } from '../../src/store/collection-chunks.js';
import { Keyspace } from '../../src/store/keyspace.js';

/**
 * Creates `<dir>/snapshot` holding what `fill` puts in a keyspace of 16
 * databases, every collection imaged whole however large.
 */
export async function writeWholeImageSnapshot(dir: string, fill: (ks: Keyspace) => void): Promise<void> {
  const snap = join(dir, 'snapshot');
  mkdirSync(snap, { recursive: true });
  const ks = new Keyspace(16, { onExpired: () => {} });
  fill(ks);
  const saved = chunking.minPositions;
  chunking.minPositions = Number.POSITIVE_INFINITY;
  try {
    ks.writeImages();
  } finally {
    chunking.minPositions = saved;
  }
  const arena = ks.arena;
  const pf = await PageFile.open(join(snap, 'pages.dat'));
  const pages = new Map<number, PageRecord>();
  let next = 0;
  arena.pages.forEach((page, id) => {
    if (page === undefined) return;
    const used = arena.used[id]!;
    const frames = Array.from({ length: Math.ceil(used / PAGE_SIZE) }, () => next++);
    pages.set(id, { id, length: page.length, used, crc: crc32c(page.subarray(0, used)), frames });
  });
  await pf.ensure(next);
  for (const p of pages.values()) {
    const page = arena.pages[p.id]!;
    p.frames.forEach((f, k) => {
      page.copy(pf.frame(f), 0, k * PAGE_SIZE, Math.min(p.used, (k + 1) * PAGE_SIZE));
    });
  }
  await pf.sync();
  await pf.close();
  await writeManifest(snap, {
    seq: 1,
    coveredLsn: 0,
    created: Date.now(),
    frameSize: PAGE_SIZE,
    headPage: arena.head,
    pages,
  });
}
