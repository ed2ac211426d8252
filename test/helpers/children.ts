/**
 * Every process a test file starts (FlashCache servers, redis-server,
 * Sentinels, tools) is recorded here and SIGKILLed when the test file's
 * process exits, so a test that fails before its own `stop()` cannot leave a
 * server behind that keeps the file (and the whole run) alive.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let hooked = false;

/** Records `proc` until it exits; returns it. */
export function trackChild<T extends ChildProcess>(proc: T): T {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const p of live) p.kill('SIGKILL');
    });
  }
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  return proc;
}
