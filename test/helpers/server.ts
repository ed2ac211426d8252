/**
 * Test harness: a real FlashCache process on a loopback port with a real data
 * directory, and real clients (ioredis, redis-cli). No part of the server is
 * mocked.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { trackChild } from './children.js';

const here = dirname(fileURLToPath(import.meta.url));
/**
 * The built server as the `flashcache` bin runs it: the bundle (`dist/bundle/flashcache.cjs`, scripts/bundle.mjs)
 * made from the same sources as `dist/src/cli.js`.
 */
export const CLI = resolve(here, '..', '..', 'bundle', 'flashcache.cjs');
/** How long {@link ServerHandle.stop} waits after SIGTERM before it kills the server and fails (ms). */
const STOP_GRACE_MS = 30_000;
/** How long {@link run} lets a program run before it kills it (ms). */
const RUN_TIMEOUT_MS = 120_000;

/** A fresh temporary directory, removed by {@link cleanup}. */
export function tempDir(prefix = 'flashcache-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Removes a temporary directory. Retried a few times: a server that has just
 * exited may have left a file being created as the walk listed the directory
 * (ENOTEMPTY), seen on the loaded 2-core CI machine.
 */
export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
}

/** One parsed log line. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

/** Options of {@link startServer}. */
export interface StartOptions {
  /** Data directory; a fresh temporary one when omitted. */
  dir?: string;
  /** Extra command-line arguments. */
  args?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Expect start-up to fail: resolve when the process exits instead of when it listens. */
  expectExit?: boolean;
}

/** A running (or exited) server process. */
export interface ServerHandle {
  port: number;
  dir: string;
  proc: ChildProcess;
  /** Log lines seen so far (JSON parsed; non-JSON lines as `{ msg }`). */
  logs: LogLine[];
  /** stderr text seen so far. */
  stderr: string;
  /** Exit code once exited, else null. */
  exitCode: number | null;
  /** Resolves with the exit code when the process exits. */
  exited: Promise<number | null>;
  /** An ioredis client for this server (closed by {@link ServerHandle.stop}). */
  client(opts?: Record<string, unknown>): Redis;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** Waits until a log line satisfies `pred`. */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

/**
 * Starts `flashcache --port 0 --dir <dir>` and waits until it logs that it is
 * listening (or, with `expectExit`, until it exits).
 */
export async function startServer(opts: StartOptions = {}): Promise<ServerHandle> {
  const dir = opts.dir ?? tempDir();
  const proc = trackChild(
    spawn(process.execPath, [CLI, '--port', '0', '--dir', dir, ...(opts.args ?? [])], {
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const clients: Redis[] = [];
  const waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  const handle: ServerHandle = {
    port: 0,
    dir,
    proc,
    logs: [],
    stderr: '',
    exitCode: null,
    exited: new Promise((r) => proc.once('exit', (code, signal) => r(code ?? (signal ? 128 : null)))),
    client(extra = {}) {
      // A reply that never comes fails the test after a minute, naming the command, instead of hanging the suite.
      const c = new Redis({
        port: handle.port,
        host: '127.0.0.1',
        lazyConnect: false,
        maxRetriesPerRequest: 1,
        commandTimeout: 60_000,
        ...extra,
      });
      c.on('error', () => {});
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.disconnect();
      if (handle.exitCode === null) proc.kill('SIGTERM');
      // A server that does not finish its shutdown within STOP_GRACE_MS is killed, and the test fails on it.
      let late: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([
        handle.exited.then(() => true),
        new Promise<false>((r) => (late = setTimeout(() => r(false), STOP_GRACE_MS))),
      ]);
      clearTimeout(late);
      if (!stopped) {
        proc.kill('SIGKILL');
        await handle.exited;
        throw new Error(
          `server did not exit within ${STOP_GRACE_MS} ms of SIGTERM; logs: ${JSON.stringify(handle.logs)}`,
        );
      }
      return handle.exited;
    },
    async kill() {
      for (const c of clients) c.disconnect();
      if (handle.exitCode === null) proc.kill('SIGKILL');
      await handle.exited;
    },
    waitForLog(pred, timeoutMs = 20_000) {
      const seen = handle.logs.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolveWait, reject) => {
        const t = setTimeout(
          () => reject(new Error(`no matching log line within ${timeoutMs} ms; logs: ${JSON.stringify(handle.logs)}`)),
          timeoutMs,
        );
        waiters.push({
          pred,
          resolve: (l) => {
            clearTimeout(t);
            resolveWait(l);
          },
        });
      });
    },
  };
  void handle.exited.then((code) => (handle.exitCode = code ?? -1));
  proc.stderr!.on('data', (d: Buffer) => (handle.stderr += d.toString()));
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    let parsed: LogLine;
    try {
      parsed = JSON.parse(line) as LogLine;
    } catch {
      parsed = { msg: line };
    }
    handle.logs.push(parsed);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.pred(parsed)) {
        waiters[i]!.resolve(parsed);
        waiters.splice(i, 1);
      }
    }
  });
  if (opts.expectExit) {
    await handle.exited;
    return handle;
  }
  const ready = await Promise.race([
    handle.waitForLog((l) => typeof l.port === 'number' && String(l.msg).startsWith('ready to accept')),
    handle.exited.then((code) => {
      throw new Error(
        `server exited with ${code} before listening; logs: ${JSON.stringify(handle.logs)} stderr: ${handle.stderr}`,
      );
    }),
  ]);
  handle.port = ready.port as number;
  return handle;
}

/** Result of running a command-line tool. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes (binary output, such as an export). */
  raw: Buffer;
}

/**
 * Runs a program to completion.
 *
 * @param input bytes written to its stdin, if any
 */
export function run(
  file: string,
  args: string[],
  input?: string | Buffer,
  env?: Record<string, string>,
): Promise<RunResult> {
  return new Promise((resolveRun) => {
    const child = execFile(
      file,
      args,
      {
        encoding: 'buffer',
        maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, ...env },
        timeout: RUN_TIMEOUT_MS,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        const code = err ? ((err as NodeJS.ErrnoException & { code?: unknown }).code as unknown) : 0;
        resolveRun({
          code: typeof code === 'number' ? code : (child.exitCode ?? 1),
          stdout: stdout.toString(),
          stderr: stderr.toString() + (child.killed ? `\n(killed after ${RUN_TIMEOUT_MS} ms)` : ''),
          raw: stdout,
        });
      },
    );
    trackChild(child);
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Runs `redis-cli -p <port> ...args`. */
export function redisCli(port: number, args: string[], input?: string | Buffer): Promise<RunResult> {
  return run('redis-cli', ['-p', String(port), ...args], input);
}

/**
 * Polls `check` until it returns a truthy value.
 *
 * @throws when `timeoutMs` passes first
 */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
