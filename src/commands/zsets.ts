/**
 * zset commands (filled in by the zsets family).
 */
import type { CommandSpec } from './table.js';

/** The zset family's table entries. */
export const zsetCommands: CommandSpec[] = [];
