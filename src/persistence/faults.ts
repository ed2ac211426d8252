/**
 * Fault injection for tests and drills, off unless `FLASHCACHE_FAULTS` is set.
 * docs/RELIABILITY.md lists the hooks and how to use each.
 *
 * `FLASHCACHE_FAULTS` is a comma-separated list of `point=ERRNO` or
 * `point=ERRNO@file`. With `@file`, the fault fires only while that file
 * exists, so a test can switch a disk-full condition on and off.
 *
 * Points: `wal-write`, `wal-fsync` (the WAL's write and fdatasync),
 * `snapshot-write` (growing pages.dat or writing a manifest).
 * Example: `FLASHCACHE_FAULTS=wal-write=ENOSPC@/tmp/full`.
 *
 * `crash-at=<stage>` kills the process with SIGKILL when it reaches that
 * stage (see {@link crashPoint}), to test what a crash at that instant leaves.
 */
import { existsSync } from 'node:fs';
import { constants } from 'node:os';

/** Points in the code where a fault can be injected. */
export type FaultPoint = 'wal-write' | 'wal-fsync' | 'snapshot-write';

interface FaultSpec {
  code: string;
  whileFile: string | null;
}

const specs = new Map<string, FaultSpec>();
let crashStage: string | null = null;
for (const part of (process.env['FLASHCACHE_FAULTS'] ?? '').split(',')) {
  const crash = /^\s*crash-at=([a-z-]+)\s*$/.exec(part);
  if (crash) {
    crashStage = crash[1]!;
    continue;
  }
  const m = /^\s*([a-z-]+)=([A-Z0-9]+)(?:@(.+))?\s*$/.exec(part);
  if (m) specs.set(m[1]!, { code: m[2]!, whileFile: m[3] ?? null });
}

/** Whether any fault is configured (checked once, so the hot path pays nothing otherwise). */
export const faultsEnabled = specs.size > 0 || crashStage !== null;

/**
 * Kills the process with SIGKILL if `crash-at=<stage>` names this stage.
 * Stages are listed in docs/RELIABILITY.md.
 */
export function crashPoint(stage: string): void {
  if (crashStage === stage) process.kill(process.pid, 'SIGKILL');
}

/**
 * Throws the configured error at `point`, as the system call would have.
 *
 * @throws NodeJS.ErrnoException with `code` set (ENOSPC, EIO, ...)
 */
export function maybeFail(point: FaultPoint): void {
  if (!faultsEnabled) return;
  const spec = specs.get(point);
  if (spec === undefined) return;
  if (spec.whileFile !== null && !existsSync(spec.whileFile)) return;
  const errno = (constants.errno as Record<string, number>)[spec.code];
  const messages: Record<string, string> = {
    ENOSPC: 'no space left on device',
    EIO: 'i/o error',
    EDQUOT: 'disk quota exceeded',
  };
  const err = new Error(
    `${spec.code}: ${messages[spec.code] ?? 'injected fault'}, ${point} (injected)`,
  ) as NodeJS.ErrnoException;
  err.code = spec.code;
  if (errno !== undefined) err.errno = -errno;
  err.syscall = point === 'wal-fsync' ? 'fdatasync' : 'write';
  throw err;
}
