/**
 * The servers a unit runs against: a fresh FlashCache (the built
 * `dist/src/cli.js`) or redis-server per unit, on a free loopback port below
 * the harness's own ports, with a temporary data directory and its output in
 * a log file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, waitReady } from '../../bench/lib.js';
import { RawClient } from '../helpers/resp.js';
import { HARNESS_PORT } from './harness.js';

/** Which server. */
export type ServerName = 'flashcache' | 'redis';

/**
 * redis-server's arguments besides port, bind and dir: no persistence, and
 * the protected configs, DEBUG and MODULE enabled as Redis's own
 * external-server CI starts it (.github/workflows/external.yml in 7.0.15).
 */
export const REDIS_ARGS = [
  '--save',
  '',
  '--appendonly',
  'no',
  '--enable-protected-configs',
  'yes',
  '--enable-debug-command',
  'yes',
  '--enable-module-command',
  'yes',
];

/** Whether a loopback port can be listened on now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A free loopback port in [16384, {@link HARNESS_PORT}): below the ports the
 * harness's test server tries, and below the kernel's ephemeral range that
 * other tests on the machine draw from with port 0.
 *
 * @throws Error when 200 random picks are all taken
 */
export async function freePortBelowHarness(): Promise<number> {
  const low = 16384;
  for (let i = 0; i < 200; i++) {
    const port = low + Math.floor(Math.random() * (HARNESS_PORT - low));
    if (await portFree(port)) return port;
  }
  throw new Error(`no free port in [${low}, ${HARNESS_PORT})`);
}

/** A running server under test. */
export interface Server {
  name: ServerName;
  port: number;
  dir: string;
  proc: ChildProcess;
  /** Exit code (or 128 + signal) once exited, else null. */
  exitCode(): number | null;
  /** SIGTERM, SIGKILL after 10 s; removes the data directory. */
  stop(): Promise<void>;
}

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** The server's stdout and stderr go here. */
  logFile: string;
  /** FlashCache's `--appendfsync`. */
  appendfsync: string;
  /** The FlashCache entry point. */
  cli?: string;
  /** Arguments added after the defaults. */
  extraArgs?: string[];
}

/**
 * Starts FlashCache (`node dist/src/cli.js --port <p> --bind 127.0.0.1 --dir
 * <tmp> --appendfsync <mode>`) or redis-server (`--port <p> --bind 127.0.0.1
 * --dir <tmp>` and {@link REDIS_ARGS}) and waits until it answers PING.
 *
 * @throws Error when it exits or does not answer within 30 s
 */
export async function startServer(name: ServerName, o: ServerOptions): Promise<Server> {
  const port = await freePortBelowHarness();
  const dir = mkdtempSync(join(tmpdir(), `redis-suite-${name}-`));
  const base = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir];
  const fd = openSync(o.logFile, 'w');
  const proc =
    name === 'flashcache'
      ? spawn(process.execPath, [o.cli ?? CLI, ...base, '--appendfsync', o.appendfsync, ...(o.extraArgs ?? [])], {
          stdio: ['ignore', fd, fd],
        })
      : spawn('redis-server', [...base, ...REDIS_ARGS, ...(o.extraArgs ?? [])], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let code: number | null = null;
  const exited = new Promise<void>((r) =>
    proc.once('exit', (c, signal) => {
      code = c ?? (signal ? 128 : -1);
      r();
    }),
  );
  const server: Server = {
    name,
    port,
    dir,
    proc,
    exitCode: () => code,
    async stop() {
      if (code === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
  const ready = await Promise.race([waitReady(port, 30_000).then(() => true), exited.then(() => false)]).catch(
    () => false,
  );
  if (!ready) {
    await server.stop();
    throw new Error(`${name} did not start on port ${port} (exit code ${code}); see ${o.logFile}`);
  }
  return server;
}

/**
 * Reads a RESP2 array of bulk strings (COMMAND LIST's reply).
 *
 * @throws Error when the reply is anything else (an error reply, say)
 */
export function parseBulkArray(reply: string): string[] {
  const head = /^\*(\d+)\r\n/.exec(reply);
  if (!head) throw new Error(`not an array of bulk strings: ${JSON.stringify(reply.slice(0, 80))}`);
  const out: string[] = [];
  let off = head[0].length;
  for (let i = 0; i < Number(head[1]); i++) {
    const bulk = /^\$(\d+)\r\n/.exec(reply.slice(off, off + 24));
    if (!bulk) throw new Error(`element ${i} is not a bulk string: ${JSON.stringify(reply.slice(off, off + 40))}`);
    off += bulk[0].length;
    out.push(reply.slice(off, off + Number(bulk[1])));
    off += Number(bulk[1]) + 2;
  }
  return out;
}

/** The command names a server's `COMMAND LIST` returns, lower case (subcommands are not in it). */
export async function commandList(port: number): Promise<string[]> {
  const c = await RawClient.connect(port);
  try {
    const reply = await c.call('COMMAND', 'LIST');
    if (reply === null) throw new Error(`port ${port} closed the connection on COMMAND LIST`);
    return parseBulkArray(reply).map((n) => n.toLowerCase());
  } finally {
    c.socket.destroy();
  }
}

/**
 * The top-level commands redis-server has and FlashCache does not, sorted:
 * starts one of each (logs `commands.<name>.server.log` in `logDir`), takes
 * redis-server's `COMMAND LIST` minus FlashCache's, and stops them. Names
 * with `|` (a module's or a container's subcommand) are left out: Redis
 * cannot rename a subcommand.
 *
 * @throws Error when a server does not start or COMMAND LIST fails
 */
export async function commandsMissingFromFlashCache(logDir: string, appendfsync: string): Promise<string[]> {
  const names: Record<ServerName, string[]> = { flashcache: [], redis: [] };
  for (const name of ['flashcache', 'redis'] as const) {
    const server = await startServer(name, { logFile: join(logDir, `commands.${name}.server.log`), appendfsync });
    try {
      names[name] = await commandList(server.port);
    } finally {
      await server.stop();
    }
  }
  const fc = new Set(names.flashcache);
  return names.redis.filter((n) => !n.includes('|') && !fc.has(n)).sort();
}

/**
 * redis-server arguments taking the given commands away: `--rename-command
 * <name> ""` for each (config.c's rename-command; a command renamed to the
 * empty string is removed from the command table).
 */
export function removeCommandsArgs(names: string[]): string[] {
  return names.flatMap((n) => ['--rename-command', n, '']);
}
