/**
 * Lifecycle logging (pino, JSON lines on stdout): listening, recovery summary,
 * truncated tails, WAL failures, shutdown. Never per command: the hot path
 * logs nothing.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Creates the server's logger.
 *
 * @param level lowest level written (`log-level`)
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
