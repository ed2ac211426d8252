/**
 * Redis 7.0.15's own test inputs, read at test time from Debian's source
 * package of redis (fetched and extracted by test/redis-suite/fetch.ts into
 * `.cache/redis-suite/` at the repository root, as the Redis suite runner
 * does) rather than copied into this repository: the RDB files of
 * `tests/assets/` and the DUMP payloads of `tests/integration/corrupt-dump.tcl`.
 *
 * Test files run in parallel (node --test), so the first fetch is serialized
 * with a lock directory next to the cache; a test that cannot get the source
 * (no apt-get, no network) skips with the reason instead of failing.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ensureSuite, REDIS_VERSION } from '../redis-suite/fetch.js';

/** The repository root (this file runs from dist/test/helpers/). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The cache directory the Redis suite runner uses too. */
export const SUITE_CACHE = join(ROOT, '.cache', 'redis-suite');

/**
 * The RDB files of Redis's `tests/assets/` the codec tests read: older
 * encodings (ziplists, zipmap, intset, quicklist 14, text scores) and empty
 * keys. `corrupt_ziplist.rdb` and `scriptbackup.rdb` are left out.
 */
export const ASSET_RDBS = [
  'corrupt_empty_keys.rdb',
  'encodings.rdb',
  'hash-ziplist.rdb',
  'hash-zipmap.rdb',
  'list-quicklist.rdb',
  'zset-ziplist.rdb',
];

/** How long a test waits for another test file's fetch before giving up. */
const LOCK_WAIT_MS = 240_000;

/** Whether process `pid` is alive. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` holding `<cache>.lock` (a directory, created atomically, holding
 * the owner's pid). A lock whose owner is gone, or that has no pid after 30 s,
 * is removed.
 *
 * @throws Error when the lock is still held after {@link LOCK_WAIT_MS}
 */
async function withLock<T>(cache: string, fn: () => T): Promise<T> {
  const lock = `${cache}.lock`;
  const owner = join(lock, 'pid');
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let stale = false;
    try {
      stale = !alive(Number(readFileSync(owner, 'utf8')));
    } catch {
      try {
        stale = Date.now() - statSync(lock).mtimeMs > 30_000;
      } catch {
        // Released meanwhile.
      }
    }
    if (stale) rmSync(lock, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`${lock} still held after ${LOCK_WAIT_MS / 1000} s`);
    else await sleep(200);
  }
  try {
    writeFileSync(owner, String(process.pid));
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The extracted source, or why it is unavailable. */
export type RedisSource = { root: string; skip?: undefined } | { root?: undefined; skip: string };

/**
 * Redis {@link REDIS_VERSION}'s source tree (its `tests/` and `runtest`),
 * downloaded with apt-get and extracted on first use under the lock.
 *
 * @returns `{ root }`, or `{ skip }` with the reason when the source cannot be had
 */
export async function redisSource(cache: string = SUITE_CACHE): Promise<RedisSource> {
  try {
    return { root: await withLock(cache, () => ensureSuite(cache).root) };
  } catch (e) {
    return { skip: `Debian's redis ${REDIS_VERSION} source package unavailable: ${(e as Error).message}` };
  }
}

/** The paths of {@link ASSET_RDBS} under a source tree `root`. */
export function assetRdbs(root: string): string[] {
  return ASSET_RDBS.map((f) => join(root, 'tests', 'assets', f));
}

/** Tcl's one-character backslash escapes. */
const TCL_ESCAPES: Record<string, number> = {
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  v: 0x0b,
  '\\': 0x5c,
  '"': 0x22,
  $: 0x24,
  '[': 0x5b,
  ']': 0x5d,
};

/**
 * The bytes of a Tcl double-quoted word's contents, in the forms
 * corrupt-dump.tcl uses: `\xHH` (one or two hex digits, as Tcl 8.6 reads
 * them), the one-character escapes of {@link TCL_ESCAPES}, and other
 * characters as their latin1 bytes.
 *
 * @throws Error on anything else (another escape, a `$` or `[` substitution)
 */
export function tclQuoted(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '$' || ch === '[') throw new Error(`Tcl substitution at ${i} in "${text}"`);
    if (ch !== '\\') {
      out.push(text.charCodeAt(i) & 0xff);
      continue;
    }
    const next = text[++i];
    const hex = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 1));
    if (next === 'x' && hex) {
      out.push(Number.parseInt(hex[0], 16));
      i += hex[0].length;
    } else if (next !== undefined && next in TCL_ESCAPES) out.push(TCL_ESCAPES[next]!);
    else throw new Error(`unsupported Tcl escape \\${next ?? ''} in "${text}"`);
  }
  return Buffer.from(out);
}

/**
 * The DUMP payloads of `tests/integration/corrupt-dump.tcl` under `root`:
 * the quoted arguments of `restore <key> 0 "..."` (any case) and of
 * `set corrupt_payload_<n> "..."` (restored through the variable), each once,
 * in the order of first appearance.
 */
export function corruptDumpPayloads(root: string): Buffer[] {
  const text = readFileSync(join(root, 'tests', 'integration', 'corrupt-dump.tcl'), 'latin1');
  const quoted = /(?:\brestore\s+\S+\s+0|\bset\s+corrupt_payload_\w+)\s+"((?:[^"\\]|\\.)*)"/gi;
  const seen = new Set<string>();
  const payloads: Buffer[] = [];
  for (const m of text.matchAll(quoted)) {
    const p = tclQuoted(m[1]!);
    const key = p.toString('latin1');
    if (seen.has(key)) continue;
    seen.add(key);
    payloads.push(p);
  }
  return payloads;
}
