/**
 * Debian's redis-server as a reference: the differential tests send the same
 * commands to it and to FlashCache and compare the reply bytes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { trackChild } from './children.js';
import { answersPing } from './resp.js';
import { cleanup, tempDir, waitFor } from './server.js';

/** A free loopback port (closed again before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** A running redis-server. */
export interface RedisHandle {
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` on a free port with persistence off (or with the
 * given extra arguments).
 */
export async function startRedis(args: string[] = ['--save', '', '--appendonly', 'no']): Promise<RedisHandle> {
  const dir = tempDir('flashcache-redis-');
  const port = await freePort();
  const proc = trackChild(
    spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...args], {
      stdio: 'ignore',
    }),
  );
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  await waitFor(() => answersPing(port), 10_000, 'redis-server to answer PING');
  return {
    port,
    proc,
    async stop() {
      proc.kill('SIGKILL');
      await exited;
      cleanup(dir);
    },
  };
}
