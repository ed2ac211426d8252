/**
 * hash commands (filled in by the hashes family).
 */
import type { CommandSpec } from './table.js';

/** The hash family's table entries. */
export const hashCommands: CommandSpec[] = [];
