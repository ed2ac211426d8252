/**
 * Lifecycle logging (pino, JSON lines on stdout or in `logfile`): listening, recovery summary,
 * truncated tails, WAL failures, shutdown. Never per command: the hot path
 * logs nothing.
 */
import { closeSync, openSync } from 'node:fs';
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Creates the server's logger.
 *
 * @param level lowest level written (`log-level`)
 * @param file a file to append lines to (`logfile`), written synchronously; '' or omitted for stdout
 * @throws Error when the file cannot be opened for appending
 */
export function createLogger(level: string, file = ''): Logger {
  const opts = { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  if (file === '') return pino(opts);
  closeSync(openSync(file, 'a'));
  return pino(opts, pino.destination({ dest: file, append: true, sync: true }));
}
