/**
 * The logging persistence needs: lifecycle events only (a truncated tail, a
 * damaged manifest, a snapshot taken or failed), never per record. A subset of
 * pino's `Logger` (fields first, then the message), so the server passes its
 * own logger and persistence never imports the server's logging module.
 */

/** What persistence logs through; pino's `Logger` satisfies it. */
export interface Log {
  /** @param fields structured context (file, offset, LSN...) @param msg one line for people */
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}
