/**
 * The process side of redis.conf: `daemonize`, `pidfile`, `supervised
 * systemd` and `logfile` (Redis 7.0's server.c `daemonize`,
 * `createPidFile`, `redisSupervisedSystemd`; config.c for `logfile`).
 *
 * Node cannot fork(2), so `daemonize yes` starts the same command again,
 * detached in a session of its own (marked by {@link DAEMON_CHILD_ENV}, so
 * that it serves instead of starting another), and the first
 * process exits 0 once that one listens (1, with its reason, when it fails
 * first). systemd's readiness message goes through `systemd-notify`, since
 * Node has no unix datagram sockets.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import type { Config } from '../config/config.js';
import type { Logger } from './logger.js';

/** Set in the environment of the detached server that `daemonize yes` starts. */
export const DAEMON_CHILD_ENV = 'FLASHCACHE_DAEMON_CHILD';

/** What the detached server tells the process that started it. */
export type DaemonMessage = { ready: true; port: number } | { ready: false; error: string };

/** Whether this process should start a detached copy of itself (`daemonize yes`, not supervised by systemd). */
export function shouldDaemonize(config: Config, env: NodeJS.ProcessEnv = process.env): boolean {
  return config.get('daemonize') && !notifiesSystemd(config, env) && env[DAEMON_CHILD_ENV] !== '1';
}

/** Whether readiness goes to systemd: `supervised systemd`, or `auto` with `$NOTIFY_SOCKET` set (as Redis). */
export function notifiesSystemd(config: Config, env: NodeJS.ProcessEnv = process.env): boolean {
  const s = config.get('supervised');
  return s === 'systemd' || (s === 'auto' && (env['NOTIFY_SOCKET'] ?? '') !== '');
}

/**
 * Starts this command again detached (`daemonize yes`) and waits for it:
 * prints one line naming its PID and port and resolves 0 once it listens;
 * prints its reason and resolves 1 when it fails or exits first. Its output
 * goes to `logfile`, or nowhere when that is "" (as Redis sends it to
 * /dev/null).
 *
 * @param argv this process's arguments after the script (`process.argv.slice(2)`)
 */
export function daemonize(config: Config, argv: readonly string[]): Promise<number> {
  const logfile = config.get('logfile');
  const out = logfile === '' ? 'ignore' : openSync(logfile, 'a');
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...argv], {
    detached: true,
    stdio: ['ignore', out, out, 'ipc'],
    env: { ...process.env, [DAEMON_CHILD_ENV]: '1' },
  });
  if (typeof out === 'number') closeSync(out);
  const see = logfile === '' ? '' : ` (see ${logfile})`;
  return new Promise((resolve) => {
    let done = false;
    const finish = (code: number, line: string, stream: NodeJS.WriteStream): void => {
      if (done) return;
      done = true;
      stream.write(`flashcache: ${line}\n`);
      resolve(code);
    };
    child.once('message', (m: DaemonMessage) => {
      if (m.ready) {
        if (child.connected) child.disconnect();
        child.unref();
        finish(0, `running in the background as PID ${child.pid}, port ${m.port}`, process.stdout);
      } else finish(1, m.error, process.stderr);
    });
    child.once('exit', (code, signal) => {
      // Its last message may arrive just after its exit: give it a moment.
      const why = `the background server stopped before it was ready (${signal ?? `exit code ${code}`})${see}`;
      setTimeout(() => finish(1, why, process.stderr), 500);
    });
    child.once('error', (err) => finish(1, `cannot start the background server: ${err.message}`, process.stderr));
  });
}

/** In the detached server: tells the process that started it how start-up went (no-op elsewhere). */
export function reportToParent(message: DaemonMessage): void {
  if (process.env[DAEMON_CHILD_ENV] !== '1' || process.send === undefined || !process.connected) return;
  // Either side may close the channel first; closing a closed one would throw.
  process.send(message, () => {
    if (process.connected) process.disconnect();
  });
}

/**
 * Writes the process ID to `pidfile` (when set), as Redis does before
 * loading data; a failure is a warning, not a stop (server.c `createPidFile`).
 *
 * @returns a function that removes the file (at exit)
 */
export function writePidfile(config: Config, log: Logger): () => void {
  const path = config.get('pidfile');
  if (path === '') return () => {};
  try {
    writeFileSync(path, `${process.pid}\n`);
  } catch (err) {
    log.warn({ pidfile: path }, `cannot write the pidfile ${path}: ${(err as Error).message}`);
    return () => {};
  }
  return () => rmSync(path, { force: true });
}

/**
 * Tells systemd the server is ready (`READY=1` with `MAINPID`) when
 * supervised by it: runs `systemd-notify --ready --no-block`, which sends
 * the datagram to `$NOTIFY_SOCKET`. The unit needs `NotifyAccess=all`, since
 * the message comes from that helper (packaging/flashcache.service).
 */
export async function notifyReady(config: Config, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (config.get('supervised') === 'upstart') log.warn('supervised upstart is not supported: nothing is signalled');
  if (!notifiesSystemd(config, env)) return;
  if ((env['NOTIFY_SOCKET'] ?? '') === '') {
    log.warn('supervised systemd, but NOTIFY_SOCKET is not set: systemd is not told when the server is ready');
    return;
  }
  const args = ['--ready', '--no-block', `--pid=${process.pid}`, 'STATUS=Ready to accept connections'];
  await new Promise<void>((resolve) => {
    execFile('systemd-notify', args, { env, timeout: 10_000 }, (err) => {
      if (err !== null) log.warn({ err: err.message }, `cannot tell systemd the server is ready: ${err.message}`);
      else log.info('told systemd the server is ready');
      resolve();
    });
  });
}
