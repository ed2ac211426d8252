/**
 * The snapshotter: takes incremental snapshots by shadow paging. The five
 * steps (freeze, copy into free page frames, sync, commit the manifest,
 * retire), why a crash at any instant is safe and what a snapshot costs are
 * told once, in docs/ARCHITECTURE.md ("Snapshots"); the files are specified in
 * docs/FORMAT.md ("Snapshot"). The crash stages of docs/RELIABILITY.md are
 * marked here with {@link crashPoint}.
 */
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { type Arena, PAGE_SIZE, type PageWriteObserver } from '../../store/arena.js';
import { crashPoint, maybeFail } from '../faults.js';
import type { Log } from '../log.js';
import { listManifests, manifestName, writeManifest, type Manifest, type PageRecord } from './manifest.js';
import { PageFile } from './pagefile.js';
import { removeIndexFiles } from './indexfile.js';
import type { Wal } from '../wal/writer.js';

const EMPTY = Buffer.alloc(0);

/** Page copying per event-loop turn while a snapshot runs, ms: the copy never stalls a turn for long. */
const COPY_BUDGET_MS = 4;
/** Work {@link Snapshotter.encodeAhead} may leave to the freeze (chunks of about a millisecond each). */
const FREEZE_LEFT = 4;

/** Figures INFO persistence reports. */
export interface SnapshotStats {
  /** Snapshots completed since start. */
  completed: number;
  /** Unix seconds of the last successful snapshot (0: none yet). */
  lastTime: number;
  /** Wall time the last snapshot took, ms. */
  lastDurationMs: number;
  /** Pages (dirty pages) the last snapshot wrote. */
  lastPagesWritten: number;
  /** Bytes the last snapshot wrote to pages.dat. */
  lastBytesWritten: number;
  /** Pages preserved by copy-on-write during the last snapshot. */
  lastPagesPreserved: number;
  /** 'ok' or 'err'. */
  lastStatus: 'ok' | 'err';
  /** The last failure's message, or ''. */
  lastError: string;
}

/** The snapshot machinery of a running server. */
export class Snapshotter implements PageWriteObserver {
  readonly stats: SnapshotStats = {
    completed: 0,
    lastTime: 0,
    lastDurationMs: 0,
    lastPagesWritten: 0,
    lastBytesWritten: 0,
    lastPagesPreserved: 0,
    lastStatus: 'ok',
    lastError: '',
  };
  /** WAL bytes written when the last snapshot froze (for `snapshot-wal-bytes`). */
  walBytesAtFreeze = 0;
  /** Unix ms when the last snapshot froze, or when the server started. */
  lastFreezeAt = Date.now();
  /**
   * Called first when a snapshot freezes, on the main thread: brings data
   * kept outside the arena into it (the keyspace writes the images of
   * changed collections). Whatever it writes is in the frozen pages.
   */
  prepare: () => void = () => {};
  /**
   * Called before the freeze, once per event-loop turn, on the main thread:
   * does part of what {@link prepare} will (the keyspace encodes changed
   * chunks of large collections) until `deadline` (`performance.now()` ms),
   * and says how much is left. Whatever changes afterwards {@link prepare}
   * still brings up to date, so this only shortens the freeze.
   *
   * @returns units of work left (0: nothing)
   */
  encodeAhead: (deadline: number) => number = () => 0;
  /**
   * How long the main thread was held, ms, for the latency monitor:
   * `snapshot-freeze` once per snapshot (writing collection images and
   * taking the dirty pages, the instant Redis would fork), `snapshot-copy`
   * per turn of page copying, `snapshot-encode` per turn of
   * {@link encodeAhead}.
   */
  onLatency: (event: 'snapshot-freeze' | 'snapshot-copy' | 'snapshot-encode', ms: number) => void = () => {};
  /**
   * Snapshots being sent to replicas (src/replication/primary.ts): their page
   * frames are not reused until they are unpinned.
   */
  readonly pinned = new Set<Manifest>();
  private running: Promise<Manifest> | null = null;
  /** Copies of frozen pages made before they were overwritten. */
  private readonly preserved = new Map<number, Buffer>();
  private preservedCount = 0;

  /**
   * @param dir the snapshot directory (`<data dir>/snapshot`)
   * @param retained the durable manifests recovery may use, newest first (at most two)
   */
  private constructor(
    private readonly dir: string,
    private readonly arena: Arena,
    private readonly wal: Wal,
    private readonly log: Log,
    private readonly pageFile: PageFile,
    private retained: Manifest[],
  ) {}

  /**
   * Opens pages.dat for writing snapshots, creating it if needed.
   *
   * @param dir the snapshot directory (`<data dir>/snapshot`), which must exist
   * @param retained the manifests recovery loaded or could fall back to, newest first
   * @throws NodeJS.ErrnoException when pages.dat cannot be opened or mapped
   */
  static async open(dir: string, arena: Arena, wal: Wal, log: Log, retained: Manifest[]): Promise<Snapshotter> {
    const pf = await PageFile.open(join(dir, 'pages.dat'));
    return new Snapshotter(dir, arena, wal, log, pf, retained.slice(0, 2));
  }

  /** Whether a snapshot is being taken. */
  get inProgress(): boolean {
    return this.running !== null;
  }

  /** The newest durable snapshot, if any. */
  get newest(): Manifest | undefined {
    return this.retained[0];
  }

  /**
   * Forgets the retained snapshots: a replica's full sync replaced the data
   * they hold, and its next snapshot is the first of a new history.
   */
  forgetRetained(): void {
    this.retained = [];
  }

  /**
   * The used bytes of page `p` of a retained or pinned snapshot, copied out
   * of pages.dat (a primary sends them to a replica).
   */
  pageBytes(p: PageRecord): Buffer {
    const out = Buffer.allocUnsafe(p.used);
    for (let k = 0; k < p.frames.length; k++) {
      const from = k * PAGE_SIZE;
      this.pageFile.frame(p.frames[k]!).copy(out, from, 0, Math.min(PAGE_SIZE, p.used - from));
    }
    return out;
  }

  /** Page frames in pages.dat. */
  get frameCount(): number {
    return this.pageFile.frameCount;
  }

  /**
   * Takes a snapshot, or joins the one being taken.
   *
   * @param reason for the log line (`SAVE`, `BGSAVE`, `snapshot-interval`, `snapshot-wal-bytes`, `shutdown`...)
   * @returns the manifest once it is durable
   * @throws the error that stopped it (the previous snapshot and the WAL stay intact)
   */
  take(reason: string): Promise<Manifest> {
    const newest = this.retained[0];
    if (
      this.running === null &&
      newest !== undefined &&
      newest.coveredLsn === this.wal.lastLsn &&
      !this.arena.dirty.includes(1)
    ) {
      // Nothing changed since the newest snapshot: it is this snapshot.
      return Promise.resolve(newest);
    }
    if (this.running === null) {
      this.running = this.run(reason).finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  /** Copy-on-write: keeps the frozen bytes of page `id` before they change (see {@link PageWriteObserver}). */
  preserve(id: number, page: Buffer): void {
    const n = this.arena.frozenUsed[id]!;
    const copy = Buffer.allocUnsafeSlow(n);
    page.copy(copy, 0, 0, n);
    this.preserved.set(id, copy);
    this.arena.frozenUsed[id] = 0;
    this.preservedCount++;
  }

  private async run(reason: string): Promise<Manifest> {
    const t0 = performance.now();
    const arena = this.arena;
    // 0. Encode ahead, a time budget per turn, until what is left for the freeze is small.
    let left = this.encodeAhead(t0 + COPY_BUDGET_MS);
    this.onLatency('snapshot-encode', performance.now() - t0);
    for (let turns = 4 * left + 16; left > FREEZE_LEFT && turns > 0; turns--) {
      await new Promise((r) => setImmediate(r));
      const t = performance.now();
      left = this.encodeAhead(t + COPY_BUDGET_MS);
      this.onLatency('snapshot-encode', performance.now() - t);
    }
    const prev = this.retained[0];
    // 1. Freeze.
    const tFreeze = performance.now();
    this.prepare();
    const coveredLsn = this.wal.lastLsn;
    const created = Date.now();
    const pages = new Map<number, PageRecord>(prev?.pages ?? []);
    const frozen: { id: number; length: number; used: number }[] = [];
    const touched: number[] = [];
    for (let id = 0; id < arena.dirty.length; id++) {
      if (arena.dirty[id] === 0) continue;
      arena.dirty[id] = 0;
      touched.push(id);
      const page = arena.pages[id];
      if (page === undefined) {
        pages.delete(id);
        continue;
      }
      const used = arena.used[id]!;
      arena.frozenUsed[id] = used;
      frozen.push({ id, length: page.length, used });
    }
    arena.observer = this;
    this.preservedCount = 0;
    this.walBytesAtFreeze = this.wal.bytesWritten;
    this.lastFreezeAt = created;
    const headPage = arena.head;
    this.onLatency('snapshot-freeze', performance.now() - tFreeze);
    crashPoint('snapshot-frozen');
    let bytesWritten = 0;
    try {
      // 2. Page frames: never one a retained manifest references.
      const taken = new Set<number>();
      for (const m of [...this.retained, ...this.pinned])
        for (const p of m.pages.values()) for (const f of p.frames) taken.add(f);
      const free: number[] = [];
      let next = 0;
      const allocFrame = (): number => {
        while (free.length === 0) {
          if (!taken.has(next)) free.push(next);
          next++;
        }
        return free.pop()!;
      };
      const plans = frozen.map((f) => ({
        ...f,
        frames: Array.from({ length: Math.ceil(f.used / PAGE_SIZE) }, allocFrame),
      }));
      const maxFrame = plans.reduce((m, p) => Math.max(m, ...p.frames), -1);
      maybeFail('snapshot-write');
      await this.pageFile.ensure(maxFrame + 1);
      // 3. Copy, a time budget per turn.
      let deadline = performance.now() + COPY_BUDGET_MS;
      for (let i = 0; i < plans.length; i++) {
        const p = plans[i]!;
        const src = p.used === 0 ? EMPTY : (this.preserved.get(p.id) ?? arena.pages[p.id]!);
        for (let k = 0; k < p.frames.length; k++) {
          const from = k * PAGE_SIZE;
          src.copy(this.pageFile.frame(p.frames[k]!), 0, from, Math.min(p.used, from + PAGE_SIZE));
        }
        const crc = crc32c(src.subarray(0, p.used));
        pages.set(p.id, { id: p.id, length: p.length, used: p.used, crc, frames: p.frames });
        this.preserved.delete(p.id);
        arena.frozenUsed[p.id] = 0;
        bytesWritten += p.used;
        if (i === 0) crashPoint('snapshot-copying');
        if (performance.now() >= deadline) {
          this.onLatency('snapshot-copy', performance.now() - (deadline - COPY_BUDGET_MS));
          await new Promise((r) => setImmediate(r));
          deadline = performance.now() + COPY_BUDGET_MS;
        }
      }
      if (plans.length > 0) this.onLatency('snapshot-copy', performance.now() - (deadline - COPY_BUDGET_MS));
      arena.observer = null;
      crashPoint('snapshot-copied');
      // 4. Make pages and the WAL they depend on durable, then the manifest.
      await this.pageFile.sync();
      await this.wal.syncedThrough(coveredLsn);
      crashPoint('snapshot-pages-synced');
      const manifest: Manifest = {
        seq: Math.max(prev?.seq ?? 0, ...listManifests(this.dir)) + 1,
        coveredLsn,
        created,
        frameSize: PAGE_SIZE,
        headPage,
        pages,
      };
      maybeFail('snapshot-write');
      await writeManifest(this.dir, manifest, () => crashPoint('snapshot-manifest-written'));
      crashPoint('snapshot-committed');
      // Saved indexes belong to older snapshots now.
      removeIndexFiles(this.dir);
      // 5. Retention: this one and the previous; older manifests and their frames go.
      this.retained = prev ? [manifest, prev] : [manifest];
      for (const seq of listManifests(this.dir)) {
        if (!this.retained.some((m) => m.seq === seq)) await unlink(join(this.dir, manifestName(seq))).catch(() => {});
      }
      const keepFrom = this.retained[this.retained.length - 1]!.coveredLsn;
      const trimmed = prev ? await this.wal.deleteThrough(keepFrom) : [];
      crashPoint('snapshot-wal-trimmed');
      const ms = performance.now() - t0;
      Object.assign(this.stats, {
        completed: this.stats.completed + 1,
        lastTime: Math.floor(created / 1000),
        lastDurationMs: Math.round(ms),
        lastPagesWritten: plans.length,
        lastBytesWritten: bytesWritten,
        lastPagesPreserved: this.preservedCount,
        lastStatus: 'ok',
        lastError: '',
      });
      this.log.info(
        {
          reason,
          seq: manifest.seq,
          coveredLsn,
          pagesWritten: plans.length,
          pagesTotal: pages.size,
          bytes: bytesWritten,
          ms: Math.round(ms),
          walSegmentsDeleted: trimmed.length,
        },
        `snapshot ${manifest.seq} taken (${reason}): ` +
          `${plans.length} of ${pages.size} pages written in ${ms.toFixed(1)} ms`,
      );
      return manifest;
    } catch (err) {
      // Nothing of this snapshot counts: everything it froze is dirty again.
      arena.observer = null;
      for (const f of frozen) arena.frozenUsed[f.id] = 0;
      for (const id of touched) arena.dirty[id] = 1;
      this.preserved.clear();
      this.stats.lastStatus = 'err';
      this.stats.lastError = (err as Error).message;
      this.log.error(
        { reason, err: (err as Error).message },
        'snapshot failed; the previous snapshot and the WAL are intact',
      );
      throw err;
    }
  }

  /**
   * Waits for a snapshot in progress (its failure is logged, not thrown),
   * then closes pages.dat.
   */
  async close(): Promise<void> {
    if (this.running) await this.running.catch(() => {});
    await this.pageFile.close();
  }
}
