/**
 * Shared pieces of the benchmarks: starting FlashCache and redis-server on
 * free loopback ports, loading data through `redis-cli --pipe`, reading a
 * process's resident memory, waiting for a server to answer PING.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built server entry point. */
export const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');

/** A server under test. */
export interface Target {
  name: 'flashcache' | 'redis';
  port: number;
  dir: string;
  proc: ChildProcess;
  exited: Promise<void>;
}

/** A free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

/** Sends one inline command and returns the first reply line. */
export function command(port: number, line: string): Promise<string> {
  return new Promise((res, rej) => {
    const c = createConnection({ port, host: '127.0.0.1' }, () => c.write(line + '\r\n'));
    let buf = '';
    c.on('data', (d) => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\r\n');
      if (nl >= 0) {
        c.destroy();
        res(buf.slice(0, nl));
      }
    });
    c.on('close', () => res(buf));
    c.on('error', rej);
  });
}

/** Sends a command and returns the whole bulk reply (INFO). */
export function bulk(port: number, line: string): Promise<string> {
  return new Promise((res, rej) => {
    const c = createConnection({ port, host: '127.0.0.1' }, () => c.write(line + '\r\n'));
    let buf = Buffer.alloc(0);
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const nl = buf.indexOf('\r\n');
      if (nl < 0) return;
      const len = Number(buf.subarray(1, nl).toString());
      if (buf.length >= nl + 2 + len + 2) {
        c.destroy();
        res(buf.subarray(nl + 2, nl + 2 + len).toString());
      }
    });
    c.on('error', rej);
  });
}

/** One field of an INFO reply. */
export function infoField(info: string, name: string): string {
  const m = new RegExp(`^${name}:(.*)\\r?$`, 'm').exec(info);
  return m ? m[1]!.trim() : '';
}

/** Milliseconds until the server answers PING with PONG (not LOADING, not refused). */
export async function waitReady(port: number, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await command(port, 'PING')) === '+PONG') return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`port ${port} not ready`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * Starts a server on a free port in `dir` (a fresh temporary directory when
 * omitted) and waits until it answers.
 *
 * @param extra extra arguments for the server
 */
export async function startTarget(name: Target['name'], extra: string[] = [], dir?: string, port?: number): Promise<Target> {
  const p = port ?? (await freePort());
  const d = dir ?? mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const proc =
    name === 'flashcache'
      ? spawn(process.execPath, [CLI, '--port', String(p), '--dir', d, '--log-level', 'warn', ...extra], { stdio: 'ignore' })
      : spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--dir', d, ...extra], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  await waitReady(p);
  return { name, port: p, dir: d, proc, exited };
}

/** Stops a server: SHUTDOWN (FlashCache snapshots; Redis as configured), or SIGKILL. */
export async function stopTarget(t: Target, how: 'shutdown' | 'kill' = 'shutdown'): Promise<void> {
  if (how === 'kill') t.proc.kill('SIGKILL');
  else await command(t.port, 'SHUTDOWN').catch(() => {});
  await t.exited;
}

/** Removes a target's directory. */
export function removeDir(t: Target): void {
  rmSync(t.dir, { recursive: true, force: true });
}

/** Resident set size of a process, bytes (VmRSS). */
export function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/**
 * Loads `count` keys `key:<12 digits>` with `valueSize`-byte values through
 * `redis-cli --pipe`, generating the RESP stream on the fly.
 *
 * @param first index of the first key
 */
export function load(port: number, count: number, valueSize: number, first = 0): Promise<void> {
  return new Promise((res, rej) => {
    const cli = spawn('redis-cli', ['-p', String(port), '--pipe'], { stdio: ['pipe', 'ignore', 'inherit'] });
    cli.once('exit', (code) => (code === 0 ? res() : rej(new Error(`redis-cli --pipe exited ${code}`))));
    const value = Buffer.alloc(valueSize);
    for (let i = 0; i < valueSize; i++) value[i] = 97 + ((i * 7) % 26);
    const head = Buffer.from(`*3\r\n$3\r\nSET\r\n$16\r\n`);
    const mid = Buffer.from(`\r\n$${valueSize}\r\n`);
    const tail = Buffer.from('\r\n');
    let i = first;
    const end = first + count;
    const pump = (): void => {
      while (i < end) {
        const parts: Buffer[] = [];
        for (let k = 0; k < 2000 && i < end; k++, i++) {
          parts.push(head, Buffer.from(`key:${String(i).padStart(12, '0')}`), mid, value, tail);
        }
        if (!cli.stdin.write(Buffer.concat(parts))) {
          cli.stdin.once('drain', pump);
          return;
        }
      }
      cli.stdin.end();
    };
    pump();
  });
}

/** Median of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
